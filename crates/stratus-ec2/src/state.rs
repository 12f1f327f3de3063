//! Each region's network: VPCs, subnets, gateways, route tables and security
//! groups, created with AWS's defaults on first use and persisted as one
//! document per account and region.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use stratus_core::{AwsError, Clock, ids};
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
    /// Secondary IPv4 blocks, in the order they were associated.
    pub extra_cidrs: Vec<CidrAssocRec>,
    pub tags: Tags,
}

/// A secondary IPv4 block of a VPC and its association id.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct CidrAssocRec {
    pub id: String,
    pub cidr: String,
}

impl VpcRec {
    /// Every IPv4 block of the VPC, the primary first.
    pub fn cidrs(&self) -> Vec<&str> {
        std::iter::once(self.cidr.as_str())
            .chain(self.extra_cidrs.iter().map(|c| c.cidr.as_str()))
            .collect()
    }
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

/// An instance's (or a NAT gateway's) place on an interface.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EniAttachment {
    pub id: String,
    pub instance: String,
    pub device_index: i32,
    pub delete_on_termination: bool,
    pub attached_at: i64,
}

/// A public address on an interface: an Elastic IP (with its allocation and
/// association ids) or one auto-assigned at launch (neither id).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PublicIpRec {
    pub ip: String,
    pub allocation: Option<String>,
    pub association: Option<String>,
}

/// A network interface: the holder of a private address in a subnet, of
/// security groups, and of any public address.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EniRec {
    pub id: String,
    pub subnet: String,
    pub vpc: String,
    pub az: String,
    pub private_ip: String,
    pub secondary_ips: Vec<String>,
    pub mac: String,
    pub description: String,
    /// `interface`, `nat_gateway`, `vpc_endpoint`, ... as AWS's InterfaceType.
    pub kind: String,
    /// Interfaces AWS manages for a service (NAT gateways, endpoints).
    pub requester_managed: bool,
    pub groups: Vec<String>,
    pub source_dest_check: bool,
    pub attachment: Option<EniAttachment>,
    pub public_ip: Option<PublicIpRec>,
    pub tags: Tags,
    /// What another service serves at this address (an RDS endpoint).
    pub service: Option<ServiceRec>,
}

impl EniRec {
    /// Who manages the interface, for requester-managed ones.
    pub fn requester_id(&self) -> Option<String> {
        self.requester_managed.then(|| match &self.service {
            Some(x) => format!("amazon-{}", x.service),
            None => "amazon-aws".to_string(),
        })
    }
}

/// The service behind an interface another service keeps in a subnet
/// (`stratus_core::compute::ServiceAddress`).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct ServiceRec {
    /// `rds`: the requester is `amazon-rds`.
    pub service: String,
    pub owner: String,
    /// Names the VPC's resolver answers with the interface's address.
    pub names: Vec<String>,
    /// Ports relayed to the same ports of this machine's loopback.
    pub ports: Vec<u16>,
}

/// One rule of a network ACL. `protocol` is a number as AWS reports it
/// (`-1` for all); ports and ICMP type/code only where the protocol uses them.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct AclEntryRec {
    pub rule: i32,
    pub egress: bool,
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    pub cidr4: Option<String>,
    pub cidr6: Option<String>,
    /// ICMP (type, code).
    pub icmp: Option<(i32, i32)>,
    /// Port range (from, to).
    pub ports: Option<(i32, i32)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AclAssocRec {
    pub id: String,
    pub subnet: String,
}

/// A network ACL; every subnet is associated with exactly one.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AclRec {
    pub id: String,
    pub vpc: String,
    pub is_default: bool,
    pub entries: Vec<AclEntryRec>,
    pub assocs: Vec<AclAssocRec>,
    pub tags: Tags,
}

/// The rule number of the `*` rule every ACL ends with.
pub const ACL_LAST_RULE: i32 = 32767;

impl AclRec {
    /// An ACL with AWS's rules: a default ACL allows all traffic (rule 100)
    /// before the final deny; a new ACL only has the final deny.
    pub fn new(vpc: &str, is_default: bool) -> AclRec {
        let mut entries = Vec::new();
        for egress in [true, false] {
            if is_default {
                entries.push(AclEntryRec {
                    rule: 100,
                    egress,
                    protocol: "-1".into(),
                    action: "allow".into(),
                    cidr4: Some("0.0.0.0/0".into()),
                    ..Default::default()
                });
            }
            entries.push(AclEntryRec {
                rule: ACL_LAST_RULE,
                egress,
                protocol: "-1".into(),
                action: "deny".into(),
                cidr4: Some("0.0.0.0/0".into()),
                ..Default::default()
            });
        }
        AclRec {
            id: new_id("acl"),
            vpc: vpc.to_string(),
            is_default,
            entries,
            assocs: Vec::new(),
            tags: Tags::new(),
        }
    }
}

/// A DHCP options set: option name and its values, in the order given.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DhcpRec {
    pub id: String,
    pub config: Vec<(String, Vec<String>)>,
    pub tags: Tags,
}

impl DhcpRec {
    /// The set AWS gives each region: its internal domain and Amazon's DNS.
    pub fn region_default(id: &str, region: &str) -> DhcpRec {
        let domain = if region == "us-east-1" {
            "ec2.internal".to_string()
        } else {
            format!("{region}.compute.internal")
        };
        DhcpRec {
            id: id.to_string(),
            config: vec![
                ("domain-name".into(), vec![domain]),
                (
                    "domain-name-servers".into(),
                    vec!["AmazonProvidedDNS".into()],
                ),
            ],
            tags: Tags::new(),
        }
    }
}

/// An egress-only internet gateway, created attached to its VPC.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EigwRec {
    pub id: String,
    pub vpc: String,
    pub tags: Tags,
}

/// One side of a peering connection.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PeerSide {
    pub vpc: String,
    pub owner: String,
    pub region: String,
    pub cidrs: Vec<String>,
    pub dns_from_remote: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PeeringRec {
    pub id: String,
    pub requester: PeerSide,
    pub accepter: PeerSide,
    /// `pending-acceptance`, `active`, `rejected`, `deleted`, `failed`, `expired`.
    pub status: String,
    pub message: String,
    /// When a pending request expires (ms since the epoch).
    pub expires: i64,
    /// When a closed connection stops being listed (ms since the epoch).
    pub hide_at: Option<i64>,
    pub tags: Tags,
}

impl PeeringRec {
    /// Connections that still link their VPCs (or may come to).
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "pending-acceptance" | "active")
    }

    pub fn involves(&self, vpc: &str) -> bool {
        self.requester.vpc == vpc || self.accepter.vpc == vpc
    }
}

/// A flow log on a VPC, subnet or interface, with where it would deliver.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FlowLogRec {
    pub id: String,
    pub resource: String,
    pub traffic_type: String,
    pub destination_type: String,
    pub destination: Option<String>,
    pub log_group: Option<String>,
    pub role_arn: Option<String>,
    pub format: String,
    pub max_aggregation_interval: i32,
    pub file_format: Option<String>,
    pub hive_compatible_partitions: Option<bool>,
    pub per_hour_partition: Option<bool>,
    pub created: i64,
    pub tags: Tags,
}

/// A key pair: EC2 keeps only the public half.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyPairRec {
    pub id: String,
    pub name: String,
    /// `rsa` or `ed25519`.
    pub key_type: String,
    pub fingerprint: String,
    /// The OpenSSH public key line, without comment.
    pub public_key: String,
    pub created_ms: i64,
    pub tags: Tags,
}

/// One block device of an image (or of a launch): an EBS volume from a
/// snapshot, an instance store (`virtual_name`), or a suppressed device.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct BlockDeviceRec {
    pub device: String,
    pub snapshot: Option<String>,
    pub size_gib: Option<i32>,
    pub volume_type: Option<String>,
    pub delete_on_termination: bool,
    pub encrypted: bool,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub kms_key: Option<String>,
    /// `ephemeral0`... for instance store volumes.
    pub virtual_name: Option<String>,
    pub no_device: bool,
}

/// An image (AMI): registered, copied or created by an account, or a
/// catalogue image (built from `images::ImageDef`, never stored).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ImageRec {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: String,
    /// `amazon` for Amazon's images, `self` never stored.
    pub owner_alias: Option<String>,
    pub architecture: String,
    pub root_device_name: String,
    /// `ebs` or `instance-store`.
    pub root_device_type: String,
    pub virtualization_type: String,
    /// `Some("windows")` or none.
    pub platform: Option<String>,
    pub ena_support: bool,
    pub sriov_net_support: Option<String>,
    pub boot_mode: Option<String>,
    pub imds_support: Option<String>,
    pub image_location: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub block_devices: Vec<BlockDeviceRec>,
    /// Accounts given launch permission.
    pub launch_users: Vec<String>,
    /// Launch permission for group `all`.
    pub public: bool,
    pub created_ms: i64,
    /// When a pending image (copied, or created from an instance) becomes
    /// available; 0 when it was available at once.
    pub ready_ms: i64,
    /// A state that overrides the timed one (`failed`, `disabled`).
    pub state_override: Option<String>,
    pub source_instance: Option<String>,
    pub source_image: Option<String>,
    pub source_region: Option<String>,
    pub deprecation_ms: Option<i64>,
    /// The instance runtime's filesystem layers of this image, newest
    /// first, over its root directory (see `runtime::disk`).
    pub layers: Vec<String>,
    /// The directory under the layers; the host's `/` when none.
    pub root_dir: Option<String>,
    /// The instance whose disk the runtime is copying into `layers[0]`;
    /// the image stays pending until it is done.
    pub capture: Option<String>,
    pub tags: Tags,
}

impl ImageRec {
    /// `pending` until `ready_ms`, then `available` (unless overridden).
    pub fn state(&self, now: i64) -> &str {
        match &self.state_override {
            Some(s) => s,
            None if now < self.ready_ms => "pending",
            None => "available",
        }
    }

    /// Whether `account` may see and launch this image.
    pub fn launchable_by(&self, account: &str) -> bool {
        self.public || self.owner == account || self.launch_users.iter().any(|u| u == account)
    }
}

/// One numbered version of a launch template; `data` holds the request's
/// `LaunchTemplateData` members as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LaunchTemplateVersionRec {
    pub number: i64,
    pub description: Option<String>,
    pub created_ms: i64,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LaunchTemplateRec {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub created_by: String,
    pub default_version: i64,
    pub latest_version: i64,
    pub versions: BTreeMap<i64, LaunchTemplateVersionRec>,
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
    pub enis: BTreeMap<String, EniRec>,
    pub key_pairs: BTreeMap<String, KeyPairRec>,
    /// Images this account owns in the region.
    pub images: BTreeMap<String, ImageRec>,
    pub launch_templates: BTreeMap<String, LaunchTemplateRec>,
    pub instances: BTreeMap<String, crate::compute::InstanceRec>,
    pub volumes: BTreeMap<String, crate::compute::VolumeRec>,
    pub snapshots: BTreeMap<String, crate::compute::SnapshotRec>,
    pub ebs_encryption_by_default: bool,
    pub acls: BTreeMap<String, AclRec>,
    pub dhcp: BTreeMap<String, DhcpRec>,
    pub eigws: BTreeMap<String, EigwRec>,
    pub peerings: BTreeMap<String, PeeringRec>,
    pub flow_logs: BTreeMap<String, FlowLogRec>,
    /// Elastic IPs by allocation id.
    pub addresses: BTreeMap<String, AddressRec>,
    pub nats: BTreeMap<String, NatRec>,
    /// Customer-managed prefix lists (AWS's own are computed per region).
    pub prefix_lists: BTreeMap<String, PrefixListRec>,
    pub endpoints: BTreeMap<String, EndpointRec>,
    /// Until when no lifecycle transition is due (0: unknown), so settling
    /// on every request scans the instances only when one may be. Whatever
    /// starts a transition resets it.
    #[serde(skip)]
    pub settled_until_ms: i64,
    /// Each instance's interface ids by device index, built on first use
    /// and dropped whenever an interface is added, removed, attached or
    /// detached ([`RegionState::eni_moved`]), so that describing one
    /// instance does not scan every interface in the region.
    #[serde(skip)]
    attached: std::sync::OnceLock<HashMap<String, Vec<String>>>,
}

/// An Elastic IP: allocated to the account, and associated with one
/// private address of an interface (or not).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AddressRec {
    pub allocation: String,
    pub ip: String,
    pub border_group: String,
    pub eni: Option<String>,
    pub private_ip: Option<String>,
    pub association: Option<String>,
    pub tags: Tags,
}

/// A NAT gateway; its state is derived from the clock when read.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NatRec {
    pub id: String,
    pub subnet: String,
    pub vpc: String,
    /// `public` or `private`.
    pub connectivity: String,
    pub allocation: Option<String>,
    pub association: Option<String>,
    pub public_ip: Option<String>,
    pub eni: String,
    pub private_ip: String,
    /// Milliseconds on the service clock.
    pub created: i64,
    pub deleted: Option<i64>,
    pub client_token: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct PrefixEntry {
    pub cidr: String,
    pub description: Option<String>,
}

/// A customer-managed prefix list with every version's entries.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PrefixListRec {
    pub id: String,
    pub name: String,
    pub family: String,
    pub max_entries: i32,
    pub version: i64,
    pub entries: Vec<PrefixEntry>,
    /// Entries of earlier versions: (version, entries).
    pub history: Vec<(i64, Vec<PrefixEntry>)>,
    pub tags: Tags,
}

/// A VPC endpoint: `Gateway` (routes in route tables) or `Interface` (one
/// requester-managed interface per subnet).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EndpointRec {
    pub id: String,
    pub vpc: String,
    pub service: String,
    pub kind: String,
    pub route_tables: Vec<String>,
    pub subnets: Vec<String>,
    pub enis: Vec<String>,
    pub groups: Vec<String>,
    pub private_dns: bool,
    pub policy: String,
    pub created: i64,
    pub client_token: Option<String>,
    pub tags: Tags,
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

/// The zone id of a zone name in a region (`use1-az1` for `us-east-1a`).
pub fn zone_id(region: &str, az: &str) -> Option<String> {
    zones(region).into_iter().find(|z| z.0 == az).map(|z| z.1)
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
        let dopt = DhcpRec::region_default(&s.dhcp_options, region);
        s.dhcp.insert(dopt.id.clone(), dopt);
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
        s.upgrade(region);
        s
    }

    /// Fills in what older saved states lack: records for the default
    /// network ACLs and DHCP options that were only ids, and the default
    /// ACL's association with every subnet that has none.
    pub fn upgrade(&mut self, region: &str) {
        if !self.dhcp_options.is_empty() && !self.dhcp.contains_key(&self.dhcp_options) {
            let d = DhcpRec::region_default(&self.dhcp_options, region);
            self.dhcp.insert(d.id.clone(), d);
        }
        for (vpc, acl) in self.default_acls.clone() {
            if !self.acls.contains_key(&acl) && self.vpcs.contains_key(&vpc) {
                let mut rec = AclRec::new(&vpc, true);
                rec.id = acl.clone();
                self.acls.insert(acl, rec);
            }
        }
        let subnets: Vec<String> = self.subnets.keys().cloned().collect();
        for id in subnets {
            self.join_default_acl(&id);
        }
    }

    /// The default network ACL of a VPC.
    pub fn default_acl(&self, vpc: &str) -> Option<&AclRec> {
        self.acls.values().find(|a| a.vpc == vpc && a.is_default)
    }

    /// The ACL a subnet is associated with.
    pub fn subnet_acl(&self, subnet: &str) -> Option<&AclRec> {
        self.acls
            .values()
            .find(|a| a.assocs.iter().any(|x| x.subnet == subnet))
    }

    /// Associates a subnet that has no ACL with its VPC's default ACL.
    pub fn join_default_acl(&mut self, subnet: &str) {
        if self.subnet_acl(subnet).is_some() {
            return;
        }
        let Some(vpc) = self.subnets.get(subnet).map(|x| x.vpc.clone()) else {
            return;
        };
        let Some(acl) = self.default_acl(&vpc).map(|a| a.id.clone()) else {
            return;
        };
        if let Some(a) = self.acls.get_mut(&acl) {
            a.assocs.push(AclAssocRec {
                id: new_id("aclassoc"),
                subnet: subnet.to_string(),
            });
        }
    }

    /// Drops what a deleted subnet leaves behind: its ACL association and
    /// its flow logs.
    pub fn forget_subnet(&mut self, subnet: &str) {
        for a in self.acls.values_mut() {
            a.assocs.retain(|x| x.subnet != subnet);
        }
        self.flow_logs.retain(|_, f| f.resource != subnet);
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
                extra_cidrs: Vec::new(),
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
        let acl = AclRec::new(&id, true);
        self.default_acls.insert(id.clone(), acl.id.clone());
        self.acls.insert(acl.id.clone(), acl);
        id
    }

    /// The lowest free address of a subnet, past the four AWS reserves at
    /// its start and before the broadcast address it reserves at the end.
    pub fn free_ip(&self, subnet: &str) -> Option<String> {
        let cidr = Cidr::parse(&self.subnets.get(subnet)?.cidr)?;
        let taken: std::collections::HashSet<u32> = self
            .enis
            .values()
            .filter(|e| e.subnet == subnet)
            .flat_map(|e| std::iter::once(&e.private_ip).chain(&e.secondary_ips))
            .filter_map(|ip| ip.parse::<std::net::Ipv4Addr>().ok().map(u32::from))
            .collect();
        let last = cidr.base as u64 + cidr.size() - 1;
        (cidr.base as u64 + 4..last)
            .map(|a| a as u32)
            .find(|a| !taken.contains(a))
            .map(|a| std::net::Ipv4Addr::from(a).to_string())
    }

    /// Whether `ip` is a host address of the subnet free for a new interface.
    pub fn ip_usable(&self, subnet: &str, ip: &str) -> bool {
        let (Some(sn), Ok(addr)) = (self.subnets.get(subnet), ip.parse::<std::net::Ipv4Addr>())
        else {
            return false;
        };
        let Some(cidr) = Cidr::parse(&sn.cidr) else {
            return false;
        };
        let a = u32::from(addr) as u64;
        let host = a >= cidr.base as u64 + 4 && a < cidr.base as u64 + cidr.size() - 1;
        host && !self.enis.values().any(|e| {
            e.subnet == subnet && (e.private_ip == ip || e.secondary_ips.iter().any(|s| s == ip))
        })
    }

    /// Creates an interface in a subnet with the given (already checked) or
    /// the lowest free private address; counts it against the subnet.
    pub fn add_eni(&mut self, mut eni: EniRec, ip: Option<String>) -> Option<String> {
        let sn = self.subnets.get(&eni.subnet)?;
        eni.vpc = sn.vpc.clone();
        eni.az = sn.az.clone();
        eni.private_ip = match ip {
            Some(ip) => ip,
            None => self.free_ip(&eni.subnet)?,
        };
        if eni.id.is_empty() {
            eni.id = new_id("eni");
        }
        if eni.mac.is_empty() {
            let h = ids::hex(10);
            eni.mac = format!(
                "02:{}:{}:{}:{}:{}",
                &h[0..2],
                &h[2..4],
                &h[4..6],
                &h[6..8],
                &h[8..10]
            );
        }
        let id = eni.id.clone();
        if let Some(sn) = self.subnets.get_mut(&eni.subnet) {
            sn.used += 1 + eni.secondary_ips.len() as u32;
        }
        self.enis.insert(id.clone(), eni);
        self.eni_moved(&id, None);
        Some(id)
    }

    /// Deletes an interface and gives its addresses back to the subnet.
    /// Elastic IPs on it stay allocated, unassociated.
    pub fn remove_eni(&mut self, id: &str) -> Option<EniRec> {
        let eni = self.enis.remove(id)?;
        self.eni_moved(id, eni.attachment.as_ref().map(|a| a.instance.as_str()));
        for a in self.addresses.values_mut() {
            if a.eni.as_deref() == Some(id) {
                a.eni = None;
                a.private_ip = None;
                a.association = None;
            }
        }
        self.flow_logs.retain(|_, f| f.resource != id);
        if let Some(sn) = self.subnets.get_mut(&eni.subnet) {
            sn.used = sn.used.saturating_sub(1 + eni.secondary_ips.len() as u32);
        }
        Some(eni)
    }

    /// Keeps the index of attached interfaces in step after `eni` was
    /// added, removed, attached or detached; `was` is the instance it was
    /// attached to before. An index not built yet is built whole on first use.
    pub fn eni_moved(&mut self, eni: &str, was: Option<&str>) {
        let enis = &self.enis;
        let Some(index) = self.attached.get_mut() else {
            return;
        };
        if let Some(w) = was
            && let Some(list) = index.get_mut(w)
        {
            list.retain(|x| x != eni);
            if list.is_empty() {
                index.remove(w);
            }
        }
        let device = |id: &String| {
            enis.get(id)
                .and_then(|e| e.attachment.as_ref())
                .map_or(i32::MAX, |a| a.device_index)
        };
        if let Some(a) = enis.get(eni).and_then(|e| e.attachment.as_ref()) {
            let list = index.entry(a.instance.clone()).or_default();
            if !list.iter().any(|x| x == eni) {
                list.push(eni.to_string());
                list.sort_by_key(device);
            }
        }
    }

    /// The interfaces attached to an instance, by device index.
    pub fn instance_enis<'a>(&'a self, instance: &str) -> impl Iterator<Item = &'a EniRec> + 'a {
        let index = self.attached.get_or_init(|| {
            let mut by: HashMap<String, Vec<(i32, String)>> = HashMap::new();
            for e in self.enis.values() {
                if let Some(a) = &e.attachment {
                    by.entry(a.instance.clone())
                        .or_default()
                        .push((a.device_index, e.id.clone()));
                }
            }
            by.into_iter()
                .map(|(i, mut v)| {
                    v.sort();
                    (i, v.into_iter().map(|(_, id)| id).collect())
                })
                .collect()
        });
        let instance = instance.to_string();
        index
            .get(&instance)
            .into_iter()
            .flatten()
            .filter_map(|id| self.enis.get(id))
            // A stale entry would only ever name an interface that moved.
            .filter(move |e| {
                e.attachment
                    .as_ref()
                    .is_some_and(|a| a.instance == instance)
            })
    }

    /// The interface at an instance's device index, to change.
    pub fn instance_eni_mut(&mut self, instance: &str, index: i32) -> Option<&mut EniRec> {
        let id = self.instance_eni(instance, index)?.id.clone();
        self.enis.get_mut(&id)
    }

    /// The interface at an instance's device index (0 is the primary).
    pub fn instance_eni(&self, instance: &str, index: i32) -> Option<&EniRec> {
        self.instance_enis(instance).find(|e| {
            e.attachment
                .as_ref()
                .is_some_and(|a| a.device_index == index)
        })
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
        if let Some(v) = self.enis.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.instances.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.volumes.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.snapshots.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.acls.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.dhcp.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.eigws.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.peerings.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.flow_logs.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.addresses.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.nats.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.prefix_lists.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.endpoints.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.key_pairs.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.images.get_mut(id) {
            return Some(&mut v.tags);
        }
        if let Some(v) = self.launch_templates.get_mut(id) {
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
        out.extend(
            self.enis
                .values()
                .map(|v| (v.id.clone(), "network-interface", &v.tags)),
        );
        out.extend(
            self.instances
                .values()
                .map(|v| (v.id.clone(), "instance", &v.tags)),
        );
        out.extend(
            self.volumes
                .values()
                .map(|v| (v.id.clone(), "volume", &v.tags)),
        );
        out.extend(
            self.snapshots
                .values()
                .map(|v| (v.id.clone(), "snapshot", &v.tags)),
        );
        out.extend(
            self.acls
                .values()
                .map(|v| (v.id.clone(), "network-acl", &v.tags)),
        );
        out.extend(
            self.dhcp
                .values()
                .map(|v| (v.id.clone(), "dhcp-options", &v.tags)),
        );
        out.extend(
            self.eigws
                .values()
                .map(|v| (v.id.clone(), "egress-only-internet-gateway", &v.tags)),
        );
        out.extend(
            self.peerings
                .values()
                .map(|v| (v.id.clone(), "vpc-peering-connection", &v.tags)),
        );
        out.extend(
            self.flow_logs
                .values()
                .map(|v| (v.id.clone(), "vpc-flow-log", &v.tags)),
        );
        out.extend(
            self.addresses
                .values()
                .map(|v| (v.allocation.clone(), "elastic-ip", &v.tags)),
        );
        out.extend(
            self.nats
                .values()
                .map(|v| (v.id.clone(), "natgateway", &v.tags)),
        );
        out.extend(
            self.prefix_lists
                .values()
                .map(|v| (v.id.clone(), "prefix-list", &v.tags)),
        );
        out.extend(
            self.endpoints
                .values()
                .map(|v| (v.id.clone(), "vpc-endpoint", &v.tags)),
        );
        out.extend(
            self.key_pairs
                .values()
                .map(|v| (v.id.clone(), "key-pair", &v.tags)),
        );
        out.extend(
            self.images
                .values()
                .map(|v| (v.id.clone(), "image", &v.tags)),
        );
        out.extend(
            self.launch_templates
                .values()
                .map(|v| (v.id.clone(), "launch-template", &v.tags)),
        );
        out
    }
}

/// Public addresses come from ranges that are never routed on the internet:
/// the three documentation networks (RFC 5737), then the benchmarking
/// network 198.18.0.0/15 (RFC 2544).
const PUBLIC_POOLS: &[(u32, u32)] = &[
    (0xC000_0200, 254), // 192.0.2.1-254
    (0xC633_6400, 254), // 198.51.100.1-254
    (0xCB00_7100, 254), // 203.0.113.1-254
    (0xC612_0000, 131_070),
];

/// The `n`th address of the public pools, wrapping when they are spent.
pub fn public_ip_at(n: u32) -> String {
    let total: u32 = PUBLIC_POOLS.iter().map(|p| p.1).sum();
    let mut n = n % total;
    for (base, len) in PUBLIC_POOLS {
        if n < *len {
            return std::net::Ipv4Addr::from(base + 1 + n).to_string();
        }
        n -= len;
    }
    unreachable!("n is reduced modulo the pools' total")
}

/// The position of an address in the public pools, if it is one of theirs.
pub fn public_ip_index(ip: &str) -> Option<u32> {
    let a = u32::from(ip.parse::<std::net::Ipv4Addr>().ok()?);
    let mut before = 0;
    for (base, len) in PUBLIC_POOLS {
        if a > *base && a <= base + len {
            return Some(before + (a - base - 1));
        }
        before += len;
    }
    None
}

impl RegionState {
    /// Every public address this region holds (on interfaces or allocated).
    pub fn public_ips(&self) -> Vec<&str> {
        let mut ips: Vec<&str> = self
            .enis
            .values()
            .filter_map(|e| e.public_ip.as_ref().map(|p| p.ip.as_str()))
            .chain(self.addresses.values().map(|a| a.ip.as_str()))
            .collect();
        ips.sort_unstable();
        ips.dedup();
        ips
    }
}

/// Every region of every account.
pub struct Regions {
    store: Store,
    clock: Clock,
    regions: RwLock<HashMap<(String, String), Arc<Mutex<RegionState>>>>,
    /// The next public address to hand out, shared by every account and
    /// region so that no two resources ever hold the same one.
    next_public: Mutex<u32>,
    /// Images their owners made public or shared with other accounts, by
    /// (region, image id): what other accounts see without locking the
    /// owner's region.
    shared_images: RwLock<BTreeMap<(String, String), ImageRec>>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

impl Regions {
    pub fn load(store: Store, clock: Clock) -> Result<Regions, AwsError> {
        let mut map = HashMap::new();
        for (k, v) in store.scan(TABLE, b"").map_err(store_err)? {
            let key = String::from_utf8_lossy(&k).into_owned();
            let Some((account, region)) = key.split_once('/') else {
                continue;
            };
            let Ok(mut state) = serde_json::from_slice::<RegionState>(&v) else {
                continue;
            };
            state.upgrade(region);
            map.insert(
                (account.to_string(), region.to_string()),
                Arc::new(Mutex::new(state)),
            );
        }
        let next_public = map
            .values()
            .flat_map(|r| {
                let r = r.lock();
                r.public_ips()
                    .into_iter()
                    .filter_map(public_ip_index)
                    .collect::<Vec<_>>()
            })
            .max()
            .map_or(0, |m| m + 1);
        let mut shared = BTreeMap::new();
        for ((_, region), r) in &map {
            for img in r.lock().images.values() {
                if img.public || !img.launch_users.is_empty() {
                    shared.insert((region.clone(), img.id.clone()), img.clone());
                }
            }
        }
        Ok(Regions {
            store,
            clock,
            regions: RwLock::new(map),
            next_public: Mutex::new(next_public),
            shared_images: RwLock::new(shared),
        })
    }

    /// The region's state, created with its defaults on first use, with
    /// every lifecycle transition the clock has made due applied.
    pub fn get(&self, account: &str, region: &str) -> Arc<Mutex<RegionState>> {
        let key = (account.to_string(), region.to_string());
        let found = self.regions.read().get(&key).cloned();
        let r = match found {
            Some(r) => r,
            None => self
                .regions
                .write()
                .entry(key)
                .or_insert_with(|| Arc::new(Mutex::new(RegionState::with_defaults(region))))
                .clone(),
        };
        // Transitions follow from stored times, so settling needs no save:
        // after a restart the same ones are made again.
        r.lock().settle(self.clock.now_millis());
        r
    }

    /// Every (account, region) that has state.
    pub fn keys(&self) -> Vec<(String, String)> {
        self.regions.read().keys().cloned().collect()
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

    /// A public address no other resource holds.
    pub fn public_ip(&self) -> String {
        let mut n = self.next_public.lock();
        let ip = public_ip_at(*n);
        *n = n.wrapping_add(1);
        ip
    }

    /// Records an image's sharing after a change: kept while it is public
    /// or shared with some account, dropped otherwise.
    pub fn publish(&self, region: &str, img: &ImageRec) {
        let key = (region.to_string(), img.id.clone());
        let mut shared = self.shared_images.write();
        if img.public || !img.launch_users.is_empty() {
            shared.insert(key, img.clone());
        } else {
            shared.remove(&key);
        }
    }

    /// Forgets a deregistered image.
    pub fn withdraw(&self, region: &str, id: &str) {
        self.shared_images
            .write()
            .remove(&(region.to_string(), id.to_string()));
    }

    /// Images of other accounts that `account` may launch in `region`.
    pub fn shared_with(&self, account: &str, region: &str) -> Vec<ImageRec> {
        self.shared_images
            .read()
            .iter()
            .filter(|((r, _), img)| {
                r == region && img.owner != account && img.launchable_by(account)
            })
            .map(|(_, img)| img.clone())
            .collect()
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        self.store.clear(TABLE).map_err(store_err)?;
        self.shared_images.write().clear();
        self.regions.write().clear();
        *self.next_public.lock() = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attached_ids(s: &RegionState, instance: &str) -> Vec<String> {
        s.instance_enis(instance).map(|e| e.id.clone()).collect()
    }

    #[test]
    fn the_interface_index_follows_every_move() {
        let mut s = RegionState::with_defaults("us-east-1");
        let subnet = s.subnets.keys().next().unwrap().clone();
        let attach = |instance: &str, index: i32| EniAttachment {
            id: new_id("eni-attach"),
            instance: instance.into(),
            device_index: index,
            ..Default::default()
        };
        let eni = |attachment| EniRec {
            subnet: subnet.clone(),
            attachment,
            ..Default::default()
        };
        let a1 = s.add_eni(eni(Some(attach("i-a", 1))), None).unwrap();
        assert!(
            attached_ids(&s, "i-a") == [a1.clone()],
            "built on first use"
        );
        // Added, attached and detached after the index exists.
        let a0 = s.add_eni(eni(Some(attach("i-a", 0))), None).unwrap();
        let loose = s.add_eni(eni(None), None).unwrap();
        assert_eq!(attached_ids(&s, "i-a"), [a0.clone(), a1.clone()]);
        s.enis.get_mut(&loose).unwrap().attachment = Some(attach("i-b", 0));
        s.eni_moved(&loose, None);
        assert_eq!(attached_ids(&s, "i-b"), [loose.clone()]);
        let was = s.enis.get_mut(&a1).unwrap().attachment.take();
        s.eni_moved(&a1, was.as_ref().map(|a| a.instance.as_str()));
        assert_eq!(attached_ids(&s, "i-a"), [a0.clone()]);
        s.remove_eni(&a0);
        assert!(attached_ids(&s, "i-a").is_empty());
        assert_eq!(
            s.instance_eni("i-b", 0).map(|e| e.id.clone()),
            Some(loose.clone())
        );
        // A region loaded from the store builds the same index afresh.
        let reloaded: RegionState =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(attached_ids(&reloaded, "i-b"), [loose]);
        assert!(attached_ids(&reloaded, "i-a").is_empty());
    }

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
    fn public_addresses_stay_in_unrouted_ranges() {
        assert_eq!(public_ip_at(0), "192.0.2.1");
        assert_eq!(public_ip_at(253), "192.0.2.254");
        assert_eq!(public_ip_at(254), "198.51.100.1");
        assert_eq!(public_ip_at(762), "198.18.0.1");
        for n in [0, 1, 253, 254, 600, 762, 70_000] {
            assert_eq!(public_ip_index(&public_ip_at(n)), Some(n));
        }
        assert_eq!(public_ip_index("8.8.8.8"), None);
    }

    #[test]
    fn interfaces_take_the_lowest_free_address() {
        let mut s = RegionState::with_defaults("us-east-1");
        let subnet = s.subnets.values().next().unwrap().id.clone();
        let first = s.free_ip(&subnet).unwrap();
        assert!(first.ends_with(".4"), "{first}");
        let eni = EniRec {
            subnet: subnet.clone(),
            ..Default::default()
        };
        let id = s.add_eni(eni, None).unwrap();
        assert_eq!(s.enis[&id].private_ip, first);
        assert!(!s.ip_usable(&subnet, &first));
        assert!(s.free_ip(&subnet).unwrap().ends_with(".5"));
        assert_eq!(s.subnets[&subnet].used, 1);
        s.remove_eni(&id);
        assert_eq!(s.subnets[&subnet].used, 0);
        assert!(s.ip_usable(&subnet, &first));
    }

    #[test]
    fn default_acls_and_dhcp_options_are_records() {
        let s = RegionState::with_defaults("eu-west-1");
        let vpc = s.vpcs.values().next().unwrap().id.clone();
        let acl = s.default_acl(&vpc).unwrap();
        assert_eq!(s.default_acls[&vpc], acl.id);
        assert_eq!(acl.assocs.len(), s.subnets.len());
        assert_eq!(acl.entries.len(), 4);
        let dopt = &s.dhcp[&s.dhcp_options];
        assert_eq!(
            dopt.config[0].1,
            vec!["eu-west-1.compute.internal".to_string()]
        );
    }

    #[test]
    fn older_states_gain_their_acl_and_dhcp_records() {
        let mut s = RegionState::with_defaults("us-east-1");
        s.acls.clear();
        s.dhcp.clear();
        let old = serde_json::to_string(&s).unwrap();
        let mut back: RegionState = serde_json::from_str(&old).unwrap();
        back.upgrade("us-east-1");
        let vpc = back.vpcs.values().next().unwrap().id.clone();
        let acl = back.default_acl(&vpc).unwrap();
        assert_eq!(acl.id, back.default_acls[&vpc]);
        assert_eq!(acl.assocs.len(), back.subnets.len());
        assert_eq!(
            back.dhcp[&back.dhcp_options].config[0].1,
            vec!["ec2.internal".to_string()]
        );
        // Upgrading twice changes nothing.
        let ids: Vec<String> = acl.assocs.iter().map(|a| a.id.clone()).collect();
        back.upgrade("us-east-1");
        let again: Vec<String> = back
            .default_acl(&vpc)
            .unwrap()
            .assocs
            .iter()
            .map(|a| a.id.clone())
            .collect();
        assert_eq!(ids, again);
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
