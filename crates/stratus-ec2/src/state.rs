//! Each region's network: VPCs, subnets, gateways, route tables and security
//! groups, created with AWS's defaults on first use and persisted as one
//! document per account and region.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use stratus_core::{AwsError, ids};
use stratus_store::{Batch, Store};

use crate::cidr::Cidr;

const TABLE: &str = "ec2.regions";

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VpcRec {
    pub id: String,
    pub cidr: String,
    pub is_default: bool,
    pub tenancy: String,
    pub dhcp_options: String,
    pub dns_support: bool,
    pub dns_hostnames: bool,
    pub cidr_assoc: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SubnetRec {
    pub id: String,
    pub vpc: String,
    pub cidr: String,
    pub az: String,
    pub az_id: String,
    pub map_public_ip: bool,
    pub default_for_az: bool,
    /// Addresses taken by interfaces, beyond the five AWS reserves.
    pub used: u32,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct IgwRec {
    pub id: String,
    pub vpc: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct RouteRec {
    pub dest: String,
    /// `local`, `igw-...`, `nat-...`, `eni-...`, `pcx-...`, `i-...`.
    pub target: String,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AssocRec {
    pub id: String,
    pub subnet: Option<String>,
    pub main: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RtbRec {
    pub id: String,
    pub vpc: String,
    pub routes: Vec<RouteRec>,
    pub assocs: Vec<AssocRec>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct RuleRec {
    pub id: String,
    /// `-1` for all, else `tcp`, `udp`, `icmp` or a protocol number.
    pub protocol: String,
    pub from: i32,
    pub to: i32,
    pub cidr4: Option<String>,
    pub cidr6: Option<String>,
    pub group: Option<String>,
    pub prefix_list: Option<String>,
    pub description: Option<String>,
}

impl RuleRec {
    /// Two rules are the same permission when all but id and description match.
    pub fn same_permission(&self, o: &RuleRec) -> bool {
        self.protocol == o.protocol
            && self.from == o.from
            && self.to == o.to
            && self.cidr4 == o.cidr4
            && self.cidr6 == o.cidr6
            && self.group == o.group
            && self.prefix_list == o.prefix_list
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SgRec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc: String,
    pub ingress: Vec<RuleRec>,
    pub egress: Vec<RuleRec>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RegionState {
    pub vpcs: BTreeMap<String, VpcRec>,
    pub subnets: BTreeMap<String, SubnetRec>,
    pub igws: BTreeMap<String, IgwRec>,
    pub rtbs: BTreeMap<String, RtbRec>,
    pub sgs: BTreeMap<String, SgRec>,
    /// Network ACL id of each VPC's default ACL.
    pub default_acls: BTreeMap<String, String>,
    pub dhcp_options: String,
}

/// `prefix-` and 17 hex digits, as EC2 ids are.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", ids::hex(17))
}

/// The zones of a region: (name, zone id).
pub fn zones(region: &str) -> Vec<(String, String)> {
    let (count, code) = match region {
        "us-east-1" => (6, "use1"),
        "us-east-2" => (3, "use2"),
        "us-west-1" => (2, "usw1"),
        "us-west-2" => (4, "usw2"),
        "eu-west-1" => (3, "euw1"),
        "eu-west-2" => (3, "euw2"),
        "eu-central-1" => (3, "euc1"),
        "ap-northeast-1" => (3, "apne1"),
        "ap-northeast-2" => (4, "apne2"),
        "ap-southeast-1" => (3, "apse1"),
        "ap-southeast-2" => (3, "apse2"),
        "ap-south-1" => (3, "aps1"),
        "sa-east-1" => (3, "sae1"),
        "ca-central-1" => (3, "cac1"),
        _ => (3, "az"),
    };
    // us-west-1's zones are b and c; every other region starts at a.
    let first = if region == "us-west-1" { b'b' } else { b'a' };
    (0..count)
        .map(|i| {
            let letter = (first + i as u8) as char;
            (format!("{region}{letter}"), format!("{code}-az{}", i + 1))
        })
        .collect()
}

/// The regions DescribeRegions lists.
pub const REGIONS: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

impl RegionState {
    /// A region as AWS hands it over: a default VPC with a default subnet in
    /// every zone, an attached internet gateway, the main route table with
    /// its internet route, the default security group and network ACL.
    pub fn with_defaults(region: &str) -> RegionState {
        let mut s = RegionState {
            dhcp_options: new_id("dopt"),
            ..Default::default()
        };
        let vpc = s.add_vpc("172.31.0.0/16", true, "default");
        let igw = new_id("igw");
        s.igws.insert(
            igw.clone(),
            IgwRec {
                id: igw.clone(),
                vpc: Some(vpc.clone()),
                tags: Tags::new(),
            },
        );
        if let Some(main) = s.main_rtb(&vpc).map(|r| r.id.clone()) {
            if let Some(rtb) = s.rtbs.get_mut(&main) {
                rtb.routes.push(RouteRec {
                    dest: "0.0.0.0/0".into(),
                    target: igw,
                    origin: "CreateRoute".into(),
                });
            }
        }
        let base = Cidr::parse("172.31.0.0/16").map_or(0, |c| c.base);
        for (i, (az, az_id)) in zones(region).into_iter().enumerate() {
            let cidr = Cidr {
                base: base + (i as u32) * 4096,
                prefix: 20,
            };
            let id = new_id("subnet");
            s.subnets.insert(
                id.clone(),
                SubnetRec {
                    id,
                    vpc: vpc.clone(),
                    cidr: cidr.to_string(),
                    az,
                    az_id,
                    map_public_ip: true,
                    default_for_az: true,
                    used: 0,
                    tags: Tags::new(),
                },
            );
        }
        s
    }

    /// Adds a VPC with its main route table, default security group and ACL.
    pub fn add_vpc(&mut self, cidr: &str, is_default: bool, tenancy: &str) -> String {
        let id = new_id("vpc");
        self.vpcs.insert(
            id.clone(),
            VpcRec {
                id: id.clone(),
                cidr: cidr.to_string(),
                is_default,
                tenancy: tenancy.to_string(),
                dhcp_options: self.dhcp_options.clone(),
                dns_support: true,
                dns_hostnames: is_default,
                cidr_assoc: new_id("vpc-cidr-assoc"),
                tags: Tags::new(),
            },
        );
        let rtb = new_id("rtb");
        self.rtbs.insert(
            rtb.clone(),
            RtbRec {
                id: rtb.clone(),
                vpc: id.clone(),
                routes: vec![RouteRec {
                    dest: cidr.to_string(),
                    target: "local".into(),
                    origin: "CreateRouteTable".into(),
                }],
                assocs: vec![AssocRec {
                    id: new_id("rtbassoc"),
                    subnet: None,
                    main: true,
                }],
                tags: Tags::new(),
            },
        );
        let sg = new_id("sg");
        self.sgs.insert(
            sg.clone(),
            SgRec {
                id: sg.clone(),
                name: "default".into(),
                description: "default VPC security group".into(),
                vpc: id.clone(),
                ingress: vec![RuleRec {
                    id: new_id("sgr"),
                    protocol: "-1".into(),
                    from: -1,
                    to: -1,
                    group: Some(sg.clone()),
                    ..Default::default()
                }],
                egress: vec![RuleRec {
                    id: new_id("sgr"),
                    protocol: "-1".into(),
                    from: -1,
                    to: -1,
                    cidr4: Some("0.0.0.0/0".into()),
                    ..Default::default()
                }],
                tags: Tags::new(),
            },
        );
        self.default_acls.insert(id.clone(), new_id("acl"));
        id
    }

    pub fn main_rtb(&self, vpc: &str) -> Option<&RtbRec> {
        self.rtbs
            .values()
            .find(|r| r.vpc == vpc && r.assocs.iter().any(|a| a.main))
    }

    /// The tags of any resource by id.
    pub fn tags_mut(&mut self, id: &str) -> Option<&mut Tags> {
        if let Some(v) = self.vpcs.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.subnets.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.igws.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.rtbs.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.sgs.get_mut(id) {
            return Some(&mut v.tags);
        }
        None
    }

    /// Every tagged resource: (id, resource type, tags).
    pub fn all_tags(&self) -> Vec<(String, &'static str, &Tags)> {
        let mut out: Vec<(String, &'static str, &Tags)> = Vec::new();
        out.extend(self.vpcs.values().map(|v| (v.id.clone(), "vpc", &v.tags)));
        out.extend(
            self.subnets
                .values()
                .map(|v| (v.id.clone(), "subnet", &v.tags)),
        );
        out.extend(
            self.igws
                .values()
                .map(|v| (v.id.clone(), "internet-gateway", &v.tags)),
        );
        out.extend(
            self.rtbs
                .values()
                .map(|v| (v.id.clone(), "route-table", &v.tags)),
        );
        out.extend(
            self.sgs
                .values()
                .map(|v| (v.id.clone(), "security-group", &v.tags)),
        );
        out
    }
}

/// Every region of every account.
pub struct Regions {
    store: Store,
    regions: RwLock<HashMap<(String, String), Arc<Mutex<RegionState>>>>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

impl Regions {
    pub fn load(store: Store) -> Result<Regions, AwsError> {
        let mut map = HashMap::new();
        for (k, v) in store.scan(TABLE, b"").map_err(store_err)? {
            let key = String::from_utf8_lossy(&k).into_owned();
            let Some((account, region)) = key.split_once('/') else {
                continue;
            };
            let Ok(state) = serde_json::from_slice::<RegionState>(&v) else {
                continue;
            };
            map.insert(
                (account.to_string(), region.to_string()),
                Arc::new(Mutex::new(state)),
            );
        }
        Ok(Regions {
            store,
            regions: RwLock::new(map),
        })
    }

    /// The region's state, created with its defaults on first use.
    pub fn get(&self, account: &str, region: &str) -> Arc<Mutex<RegionState>> {
        let key = (account.to_string(), region.to_string());
        if let Some(r) = self.regions.read().get(&key) {
            return r.clone();
        }
        self.regions
            .write()
            .entry(key)
            .or_insert_with(|| Arc::new(Mutex::new(RegionState::with_defaults(region))))
            .clone()
    }

    /// Persists a region after a change (callers hold its lock).
    pub fn save(&self, account: &str, region: &str, state: &RegionState) -> Result<(), AwsError> {
        if !self.store.is_persistent() {
            return Ok(());
        }
        let mut b = Batch::new();
        b.put_json(TABLE, format!("{account}/{region}").into_bytes(), state)
            .map_err(store_err)?;
        self.store.commit(b).map_err(store_err)
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        self.store.clear(TABLE).map_err(store_err)?;
        self.regions.write().clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_region_network() {
        let s = RegionState::with_defaults("ap-northeast-2");
        assert_eq!(s.vpcs.len(), 1);
        let vpc = s.vpcs.values().next().unwrap();
        assert!(vpc.is_default && vpc.cidr == "172.31.0.0/16");
        let cidrs: Vec<&str> = s.subnets.values().map(|x| x.cidr.as_str()).collect();
        assert_eq!(cidrs.len(), 4);
        assert!(cidrs.contains(&"172.31.48.0/20"));
        let main = s.main_rtb(&vpc.id).unwrap();
        assert!(
            main.routes
                .iter()
                .any(|r| r.dest == "0.0.0.0/0" && r.target.starts_with("igw-"))
        );
        assert_eq!(s.sgs.values().filter(|g| g.name == "default").count(), 1);
    }

    #[test]
    fn zone_names() {
        assert_eq!(zones("us-west-1")[0].0, "us-west-1b");
        assert_eq!(
            zones("ap-northeast-2")[3],
            ("ap-northeast-2d".to_string(), "apne2-az4".to_string())
        );
    }
}
