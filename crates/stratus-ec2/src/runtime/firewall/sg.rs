//! Security groups as an instance's own firewall: stateful (replies and
//! established connections pass), ingress and egress allow lists that are
//! the union of the rules of every group on the instance's interface.
//! A rule that names a group admits the private addresses of every
//! interface in that group in the same VPC, and the VPC's router (its
//! subnets' gateways, where load balancers and health checks come from)
//! when a load balancer uses that group.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::net::Ipv4Addr;

use super::{join, l4_match};
use crate::cidr::Cidr;
use crate::state::{EniRec, RegionState, RuleRec};

/// The metadata service and the VPC's resolver, never filtered (as on AWS).
const ALWAYS: &str = "{ 169.254.169.253, 169.254.169.254 }";

/// The addresses a rule names: its CIDR, its prefix list's entries, or the
/// members of its group.
fn peers(
    s: &RegionState,
    vpc: &str,
    r: &RuleRec,
    balancer_groups: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    if let Some(c) = &r.cidr4 {
        out.insert(c.clone());
    }
    if let Some(pl) = r
        .prefix_list
        .as_deref()
        .and_then(|id| s.prefix_lists.get(id))
    {
        out.extend(
            pl.entries
                .iter()
                .filter(|e| Cidr::parse(&e.cidr).is_some())
                .map(|e| e.cidr.clone()),
        );
    }
    if let Some(g) = &r.group {
        for e in s
            .enis
            .values()
            .filter(|e| e.vpc == vpc && e.groups.contains(g))
        {
            out.insert(e.private_ip.clone());
            out.extend(e.secondary_ips.iter().cloned());
        }
        if balancer_groups.contains(g) {
            out.extend(gateways(s, vpc));
        }
    }
    out.into_iter().collect()
}

/// The `.1` of every subnet of a VPC: the router's addresses.
pub fn gateways(s: &RegionState, vpc: &str) -> Vec<String> {
    s.subnets
        .values()
        .filter(|sn| sn.vpc == vpc)
        .filter_map(|sn| Cidr::parse(&sn.cidr))
        .map(|c| Ipv4Addr::from(c.base + 1).to_string())
        .collect()
}

fn rules(
    out: &mut String,
    s: &RegionState,
    eni: &EniRec,
    balancer_groups: &BTreeSet<String>,
    egress: bool,
) {
    let mut lines = BTreeSet::new();
    for g in eni.groups.iter().filter_map(|g| s.sgs.get(g)) {
        let list = if egress { &g.egress } else { &g.ingress };
        for r in list {
            let Some(l4) = l4_match(&r.protocol, Some((r.from, r.to)), Some((r.from, r.to))) else {
                continue;
            };
            for p in peers(s, &eni.vpc, r, balancer_groups) {
                let addr = format!("ip {} {p}", if egress { "daddr" } else { "saddr" });
                lines.insert(join(&[&addr, &l4, "accept"]));
            }
        }
    }
    for l in lines {
        let _ = writeln!(out, "\t\t{l}");
    }
}

/// The ruleset body of the namespace of the instance behind `eni`.
pub fn instance_ruleset(
    s: &RegionState,
    eni: &EniRec,
    balancer_groups: &BTreeSet<String>,
) -> String {
    let mut out = String::new();
    out.push_str("\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n");
    out.push_str("\t\tct state established,related accept\n\t\tiif \"lo\" accept\n");
    let _ = writeln!(out, "\t\tip saddr {ALWAYS} accept");
    rules(&mut out, s, eni, balancer_groups, false);
    out.push_str("\t}\n");
    out.push_str("\tchain output {\n\t\ttype filter hook output priority filter; policy drop;\n");
    out.push_str("\t\tct state established,related accept\n\t\toif \"lo\" accept\n");
    let _ = writeln!(out, "\t\tip daddr {ALWAYS} accept");
    rules(&mut out, s, eni, balancer_groups, true);
    out.push_str("\t}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SgRec, SubnetRec};

    fn rule(protocol: &str, from: i32, to: i32) -> RuleRec {
        RuleRec {
            protocol: protocol.into(),
            from,
            to,
            ..Default::default()
        }
    }

    fn eni(id: &str, ip: &str, groups: &[&str]) -> EniRec {
        EniRec {
            id: id.into(),
            vpc: "vpc-1".into(),
            subnet: "subnet-1".into(),
            private_ip: ip.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    fn state() -> RegionState {
        let mut s = RegionState::default();
        s.subnets.insert(
            "subnet-1".into(),
            SubnetRec {
                id: "subnet-1".into(),
                vpc: "vpc-1".into(),
                cidr: "10.1.1.0/24".into(),
                ..Default::default()
            },
        );
        let mut web = SgRec {
            id: "sg-web".into(),
            vpc: "vpc-1".into(),
            ..Default::default()
        };
        web.ingress.push(RuleRec {
            group: Some("sg-bastion".into()),
            ..rule("tcp", 80, 80)
        });
        web.egress.push(RuleRec {
            cidr4: Some("0.0.0.0/0".into()),
            ..rule("-1", -1, -1)
        });
        let mut bastion = SgRec {
            id: "sg-bastion".into(),
            vpc: "vpc-1".into(),
            ..Default::default()
        };
        bastion.ingress.push(RuleRec {
            cidr4: Some("0.0.0.0/0".into()),
            ..rule("tcp", 22, 22)
        });
        bastion.ingress.push(RuleRec {
            cidr4: Some("10.0.0.0/8".into()),
            ..rule("icmp", 8, -1)
        });
        s.sgs.insert("sg-web".into(), web);
        s.sgs.insert("sg-bastion".into(), bastion);
        for e in [
            eni("eni-web", "10.1.1.20", &["sg-web"]),
            eni("eni-b", "10.1.1.10", &["sg-bastion"]),
        ] {
            s.enis.insert(e.id.clone(), e);
        }
        s
    }

    #[test]
    fn a_group_reference_admits_the_group_members_only() {
        let s = state();
        let text = instance_ruleset(&s, &s.enis["eni-web"], &BTreeSet::new());
        let input = text.split("chain output").next().unwrap();
        assert!(input.contains("policy drop;"));
        assert!(input.contains("ct state established,related accept"));
        assert!(input.contains("ip saddr 10.1.1.10 tcp dport 80 accept"));
        assert!(
            !input.contains("10.1.1.1 "),
            "the router is no member: {input}"
        );
        assert!(!input.contains("10.1.1.20"));
        let output = text.split("chain output").nth(1).unwrap();
        assert!(output.contains("ip daddr 0.0.0.0/0 accept"));
    }

    #[test]
    fn a_load_balancer_group_admits_the_router() {
        let s = state();
        let lbs: BTreeSet<String> = ["sg-bastion".to_string()].into();
        let text = instance_ruleset(&s, &s.enis["eni-web"], &lbs);
        assert!(text.contains("ip saddr 10.1.1.1 tcp dport 80 accept"));
    }

    #[test]
    fn cidr_and_icmp_rules_and_no_egress_rules() {
        let s = state();
        let text = instance_ruleset(&s, &s.enis["eni-b"], &BTreeSet::new());
        assert!(text.contains("ip saddr 0.0.0.0/0 tcp dport 22 accept"));
        assert!(text.contains("ip saddr 10.0.0.0/8 icmp type 8 accept"));
        let output = text.split("chain output").nth(1).unwrap();
        // Without egress rules only replies, loopback and the metadata
        // service leave.
        assert_eq!(output.matches("accept").count(), 3, "{output}");
    }

    #[test]
    fn a_rule_with_no_one_in_its_group_admits_nothing() {
        let mut s = state();
        s.enis.remove("eni-b");
        let text = instance_ruleset(&s, &s.enis["eni-web"], &BTreeSet::new());
        let input = text.split("chain output").next().unwrap();
        assert!(!input.contains("dport 80"));
    }
}
