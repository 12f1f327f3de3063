//! The VPC router: route tables, the internet gateway's one-to-one address
//! translation and NAT gateways, as the forward and NAT chains of the
//! VPC's namespace. The router's uplink (`up0`) leads to the namespace
//! that stands for the internet.
//!
//! Per subnet, the route table (its association, else the VPC's main one)
//! decides by longest prefix: the VPC's own blocks are local, a route to
//! the attached internet gateway lets out instances that have a public
//! address, a route to an available public NAT gateway (whose own subnet
//! reaches the internet gateway) leaves as the gateway's address, and
//! anything else (a blackhole, a detached gateway, no route) drops. From
//! the internet only connections to public addresses of instances in a
//! subnet that routes to the internet gateway come in.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::nacl;
use crate::cidr::Cidr;
use crate::state::{AclEntryRec, AclRec, RegionState, RtbRec};

/// The router's end of the link to the internet.
pub const UPLINK: &str = "up0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    Local,
    /// Out through the internet gateway (instances with a public address).
    Internet,
    /// Out through a NAT gateway, as its public address.
    Nat(String),
    Drop,
}

#[derive(Debug, Clone)]
pub struct SubnetPlan {
    pub id: String,
    pub cidr: Cidr,
    /// Longest prefix first, so the first match is the route taken.
    pub routes: Vec<(Cidr, Hop)>,
    pub acl: Vec<AclEntryRec>,
    /// Private addresses here with a public address the internet reaches.
    pub public: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VpcPlan {
    pub cidrs: Vec<Cidr>,
    pub subnets: Vec<SubnetPlan>,
    /// (private, public): one-to-one translation at the internet gateway.
    pub public: Vec<(String, String)>,
    /// Public addresses of NAT gateways that subnets route through.
    pub nat_ips: Vec<String>,
}

/// The route table a subnet follows: its association, else the main one.
pub fn rtb_of<'a>(s: &'a RegionState, vpc: &str, subnet: &str) -> Option<&'a RtbRec> {
    s.rtbs
        .values()
        .find(|r| r.assocs.iter().any(|a| a.subnet.as_deref() == Some(subnet)))
        .or_else(|| s.main_rtb(vpc))
}

fn attached_igws(s: &RegionState, vpc: &str) -> BTreeSet<String> {
    s.igws
        .values()
        .filter(|g| g.vpc.as_deref() == Some(vpc))
        .map(|g| g.id.clone())
        .collect()
}

fn reaches_igw(rtb: Option<&RtbRec>, igws: &BTreeSet<String>) -> bool {
    rtb.is_some_and(|r| r.routes.iter().any(|x| igws.contains(&x.target)))
}

fn hop(s: &RegionState, vpc: &str, target: &str, igws: &BTreeSet<String>, now_ms: i64) -> Hop {
    if target == "local" {
        return Hop::Local;
    }
    if igws.contains(target) {
        return Hop::Internet;
    }
    if let Some(n) = s.nats.get(target) {
        let usable = n.vpc == vpc
            && n.connectivity != "private"
            && crate::ops::nat::state_at(n, now_ms) == "available"
            && reaches_igw(rtb_of(s, vpc, &n.subnet), igws);
        if let (true, Some(ip)) = (usable, &n.public_ip) {
            return Hop::Nat(ip.clone());
        }
    }
    Hop::Drop
}

/// What the router of `vpc` does, from EC2's state at `now_ms`.
pub fn plan(s: &RegionState, vpc: &str, now_ms: i64) -> VpcPlan {
    let Some(v) = s.vpcs.get(vpc) else {
        return VpcPlan::default();
    };
    let cidrs: Vec<Cidr> = std::iter::once(v.cidr.as_str())
        .chain(v.extra_cidrs.iter().map(|c| c.cidr.as_str()))
        .filter_map(Cidr::parse)
        .collect();
    let igws = attached_igws(s, vpc);
    let mut plan = VpcPlan {
        cidrs,
        ..Default::default()
    };
    let mut nat_ips = BTreeSet::new();
    for sn in s.subnets.values().filter(|sn| sn.vpc == vpc) {
        let Some(cidr) = Cidr::parse(&sn.cidr) else {
            continue;
        };
        let mut routes: Vec<(Cidr, Hop)> = rtb_of(s, vpc, &sn.id)
            .map(|r| {
                r.routes
                    .iter()
                    .filter_map(|x| {
                        Some((Cidr::parse(&x.dest)?, hop(s, vpc, &x.target, &igws, now_ms)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        routes.sort_by(|a, b| b.0.prefix.cmp(&a.0.prefix));
        for (_, h) in &routes {
            if let Hop::Nat(ip) = h {
                nat_ips.insert(ip.clone());
            }
        }
        let public_subnet = routes.iter().any(|(_, h)| *h == Hop::Internet);
        let mut public = Vec::new();
        if public_subnet {
            for e in s
                .enis
                .values()
                .filter(|e| e.subnet == sn.id && e.kind != "nat_gateway" && e.public_ip.is_some())
            {
                let ip = e
                    .public_ip
                    .as_ref()
                    .map(|p| p.ip.clone())
                    .unwrap_or_default();
                plan.public.push((e.private_ip.clone(), ip));
                public.push(e.private_ip.clone());
            }
        }
        plan.subnets.push(SubnetPlan {
            id: sn.id.clone(),
            cidr,
            routes,
            // A VPC always has a default ACL; without one nothing is filtered.
            acl: nacl::acl_of(s, vpc, &sn.id)
                .map_or_else(|| AclRec::new(vpc, true).entries, |a| a.entries.clone()),
            public,
        });
    }
    plan.nat_ips = nat_ips.into_iter().collect();
    plan
}

impl VpcPlan {
    /// The public addresses the internet routes to this VPC.
    pub fn announced(&self) -> Vec<String> {
        let mut v: Vec<String> = self.public.iter().map(|(_, p)| p.clone()).collect();
        v.extend(self.nat_ips.iter().cloned());
        v.sort();
        v.dedup();
        v
    }

    /// The ruleset body of the VPC's namespace.
    pub fn ruleset(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n",
        );
        for (private, public) in &self.public {
            let _ = writeln!(
                out,
                "\t\tiifname \"{UPLINK}\" ip daddr {public} dnat ip to {private}"
            );
        }
        out.push_str("\t}\n");
        out.push_str("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        for (private, public) in &self.public {
            let _ = writeln!(
                out,
                "\t\toifname \"{UPLINK}\" ip saddr {private} snat ip to {public}"
            );
        }
        for sn in &self.subnets {
            for (dest, h) in &sn.routes {
                if let Hop::Nat(ip) = h {
                    let _ = writeln!(
                        out,
                        "\t\toifname \"{UPLINK}\" ip saddr {} ip daddr {dest} snat ip to {ip}",
                        sn.cidr
                    );
                }
            }
        }
        out.push_str("\t}\n");
        let mut acls = String::new();
        out.push_str(
            "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n",
        );
        for (i, sn) in self.subnets.iter().enumerate() {
            let c = sn.cidr;
            if !nacl::allows_all(&sn.acl, true) {
                let name = format!("acl_out_{i}");
                let _ = writeln!(out, "\t\tip saddr {c} ip daddr != {c} jump {name}");
                acls.push_str(&nacl::chain(&name, &sn.acl, true));
            }
            if !nacl::allows_all(&sn.acl, false) {
                let name = format!("acl_in_{i}");
                let _ = writeln!(out, "\t\tip daddr {c} ip saddr != {c} jump {name}");
                acls.push_str(&nacl::chain(&name, &sn.acl, false));
            }
        }
        out.push_str("\t\tct state established,related accept\n");
        let _ = writeln!(out, "\t\tiifname \"{UPLINK}\" ct status dnat accept");
        let _ = writeln!(out, "\t\tiifname \"{UPLINK}\" drop");
        for c in &self.cidrs {
            let _ = writeln!(out, "\t\tip daddr {c} accept");
        }
        for sn in &self.subnets {
            let c = sn.cidr;
            for (dest, h) in &sn.routes {
                match h {
                    Hop::Local | Hop::Nat(_) => {
                        let _ = writeln!(out, "\t\tip saddr {c} ip daddr {dest} accept");
                    }
                    Hop::Internet => {
                        if !sn.public.is_empty() {
                            let _ = writeln!(
                                out,
                                "\t\tip saddr {{ {} }} ip daddr {dest} accept",
                                sn.public.join(", ")
                            );
                        }
                        let _ = writeln!(out, "\t\tip saddr {c} ip daddr {dest} drop");
                    }
                    Hop::Drop => {
                        let _ = writeln!(out, "\t\tip saddr {c} ip daddr {dest} drop");
                    }
                }
            }
        }
        out.push_str("\t}\n");
        out.push_str(&acls);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{
        AssocRec, EniRec, IgwRec, NatRec, PublicIpRec, RouteRec, SubnetRec, VpcRec,
    };

    const NOW: i64 = 1_000_000;

    fn route(dest: &str, target: &str) -> RouteRec {
        RouteRec {
            dest: dest.into(),
            target: target.into(),
            origin: "CreateRoute".into(),
        }
    }

    /// The bastion lab: a public subnet routed to an attached gateway, a
    /// private one on the main table, a bastion with a public address and
    /// a private web server.
    fn lab() -> RegionState {
        let mut s = RegionState::default();
        s.vpcs.insert(
            "vpc-1".into(),
            VpcRec {
                id: "vpc-1".into(),
                cidr: "10.1.0.0/16".into(),
                ..Default::default()
            },
        );
        for (id, cidr) in [
            ("subnet-pub", "10.1.1.0/24"),
            ("subnet-priv", "10.1.2.0/24"),
        ] {
            s.subnets.insert(
                id.into(),
                SubnetRec {
                    id: id.into(),
                    vpc: "vpc-1".into(),
                    cidr: cidr.into(),
                    ..Default::default()
                },
            );
        }
        s.igws.insert(
            "igw-1".into(),
            IgwRec {
                id: "igw-1".into(),
                vpc: Some("vpc-1".into()),
                ..Default::default()
            },
        );
        s.rtbs.insert(
            "rtb-main".into(),
            RtbRec {
                id: "rtb-main".into(),
                vpc: "vpc-1".into(),
                routes: vec![route("10.1.0.0/16", "local")],
                assocs: vec![AssocRec {
                    id: "a-1".into(),
                    subnet: None,
                    main: true,
                }],
                ..Default::default()
            },
        );
        s.rtbs.insert(
            "rtb-pub".into(),
            RtbRec {
                id: "rtb-pub".into(),
                vpc: "vpc-1".into(),
                routes: vec![route("10.1.0.0/16", "local"), route("0.0.0.0/0", "igw-1")],
                assocs: vec![AssocRec {
                    id: "a-2".into(),
                    subnet: Some("subnet-pub".into()),
                    main: false,
                }],
                ..Default::default()
            },
        );
        for (id, subnet, ip, public) in [
            ("eni-b", "subnet-pub", "10.1.1.10", Some("198.51.100.7")),
            ("eni-w", "subnet-priv", "10.1.2.20", None),
        ] {
            s.enis.insert(
                id.into(),
                EniRec {
                    id: id.into(),
                    vpc: "vpc-1".into(),
                    subnet: subnet.into(),
                    private_ip: ip.into(),
                    kind: "interface".into(),
                    public_ip: public.map(|p| PublicIpRec {
                        ip: p.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            );
        }
        s
    }

    fn with_nat(s: &mut RegionState, created: i64) {
        s.nats.insert(
            "nat-1".into(),
            NatRec {
                id: "nat-1".into(),
                vpc: "vpc-1".into(),
                subnet: "subnet-pub".into(),
                connectivity: "public".into(),
                public_ip: Some("198.51.100.9".into()),
                created,
                ..Default::default()
            },
        );
        s.rtbs
            .get_mut("rtb-main")
            .unwrap()
            .routes
            .push(route("0.0.0.0/0", "nat-1"));
    }

    #[test]
    fn a_public_address_in_a_public_subnet_is_translated() {
        let p = plan(&lab(), "vpc-1", NOW);
        assert_eq!(
            p.public,
            vec![("10.1.1.10".to_string(), "198.51.100.7".to_string())]
        );
        assert_eq!(p.announced(), vec!["198.51.100.7".to_string()]);
        let r = p.ruleset();
        assert!(r.contains("iifname \"up0\" ip daddr 198.51.100.7 dnat ip to 10.1.1.10"));
        assert!(r.contains("oifname \"up0\" ip saddr 10.1.1.10 snat ip to 198.51.100.7"));
        assert!(r.contains("ip saddr { 10.1.1.10 } ip daddr 0.0.0.0/0 accept"));
        assert!(r.contains("ip saddr 10.1.1.0/24 ip daddr 0.0.0.0/0 drop"));
        assert!(r.contains("ip daddr 10.1.0.0/16 accept"));
        // The private subnet has no way out.
        assert!(!r.contains("ip saddr 10.1.2.0/24 ip daddr 0.0.0.0/0"));
        // The default ACL (none here) filters nothing.
        assert!(!r.contains("jump"));
    }

    #[test]
    fn without_the_gateway_route_or_the_gateway_nothing_is_public() {
        let mut s = lab();
        s.rtbs.get_mut("rtb-pub").unwrap().routes.pop();
        assert!(plan(&s, "vpc-1", NOW).public.is_empty());
        let mut s = lab();
        s.igws.get_mut("igw-1").unwrap().vpc = None;
        let p = plan(&s, "vpc-1", NOW);
        assert!(p.public.is_empty());
        let pubnet = p.subnets.iter().find(|x| x.id == "subnet-pub").unwrap();
        assert_eq!(
            pubnet.routes[1].1,
            Hop::Drop,
            "a detached gateway is a blackhole"
        );
    }

    #[test]
    fn the_longest_prefix_wins() {
        let mut s = lab();
        s.rtbs
            .get_mut("rtb-pub")
            .unwrap()
            .routes
            .push(route("192.0.0.0/24", "igw-gone"));
        let r = plan(&s, "vpc-1", NOW).ruleset();
        let specific = r.find("ip daddr 192.0.0.0/24 drop").unwrap();
        let default = r.find("ip daddr 0.0.0.0/0 accept").unwrap();
        assert!(specific < default, "{r}");
    }

    #[test]
    fn a_nat_gateway_carries_a_private_subnet_out_once_available() {
        let mut s = lab();
        with_nat(&mut s, NOW);
        let pending = plan(&s, "vpc-1", NOW);
        assert!(pending.nat_ips.is_empty());
        let p = plan(&s, "vpc-1", NOW + 60_000);
        assert_eq!(p.nat_ips, vec!["198.51.100.9".to_string()]);
        let r = p.ruleset();
        assert!(r.contains(
            "oifname \"up0\" ip saddr 10.1.2.0/24 ip daddr 0.0.0.0/0 snat ip to 198.51.100.9"
        ));
        assert!(r.contains("ip saddr 10.1.2.0/24 ip daddr 0.0.0.0/0 accept"));
        // Nothing comes in to the private subnet from the internet.
        assert!(!r.contains("dnat ip to 10.1.2.20"));
        assert!(r.contains("iifname \"up0\" drop"));
    }

    #[test]
    fn a_nat_gateway_in_a_private_subnet_leads_nowhere() {
        let mut s = lab();
        with_nat(&mut s, 0);
        s.nats.get_mut("nat-1").unwrap().subnet = "subnet-priv".into();
        let p = plan(&s, "vpc-1", NOW);
        assert!(p.nat_ips.is_empty());
        assert!(
            p.ruleset()
                .contains("ip saddr 10.1.2.0/24 ip daddr 0.0.0.0/0 drop")
        );
    }

    #[test]
    fn a_custom_acl_is_jumped_to_for_traffic_crossing_its_subnet() {
        let mut s = lab();
        let mut acl = crate::state::AclRec::new("vpc-1", false);
        acl.assocs.push(crate::state::AclAssocRec {
            id: "aclassoc-1".into(),
            subnet: "subnet-priv".into(),
        });
        s.acls.insert(acl.id.clone(), acl);
        let r = plan(&s, "vpc-1", NOW).ruleset();
        assert!(r.contains("ip saddr 10.1.2.0/24 ip daddr != 10.1.2.0/24 jump acl_out_0"));
        assert!(r.contains("ip daddr 10.1.2.0/24 ip saddr != 10.1.2.0/24 jump acl_in_0"));
        assert!(r.contains("chain acl_in_0 {"));
        // ACLs come before the stateful accept: they are stateless.
        assert!(r.find("jump acl_in_0").unwrap() < r.find("ct state established").unwrap());
    }
}
