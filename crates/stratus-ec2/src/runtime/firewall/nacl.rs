//! Network ACLs in the VPC router: stateless, per subnet, rules in number
//! order, first match wins, a final deny. Ingress rules see packets that
//! enter the subnet from outside it, egress rules packets that leave it;
//! traffic within one subnet never reaches the router (as on AWS).

use std::fmt::Write;

use super::{join, l4_match};
use crate::state::{AclEntryRec, AclRec, RegionState};

/// The ACL a subnet follows: its association, else its VPC's default.
pub fn acl_of<'a>(s: &'a RegionState, vpc: &str, subnet: &str) -> Option<&'a AclRec> {
    s.acls
        .values()
        .find(|a| a.assocs.iter().any(|x| x.subnet == subnet))
        .or_else(|| s.default_acls.get(vpc).and_then(|id| s.acls.get(id)))
}

fn ordered(entries: &[AclEntryRec], egress: bool) -> Vec<&AclEntryRec> {
    let mut v: Vec<&AclEntryRec> = entries.iter().filter(|e| e.egress == egress).collect();
    v.sort_by_key(|e| e.rule);
    v
}

/// Whether a direction's first IPv4 rule allows everything, so the
/// router need not look (the default ACL).
pub fn allows_all(entries: &[AclEntryRec], egress: bool) -> bool {
    ordered(entries, egress)
        .into_iter()
        .find(|e| e.cidr4.is_some())
        .is_some_and(|e| {
            e.action == "allow" && e.protocol == "-1" && e.cidr4.as_deref() == Some("0.0.0.0/0")
        })
}

/// A chain of one direction's rules: an allow returns to the caller, a
/// deny drops, and nothing matched drops (the `*` rule).
pub fn chain(name: &str, entries: &[AclEntryRec], egress: bool) -> String {
    let mut out = format!("\tchain {name} {{\n");
    let side = if egress { "daddr" } else { "saddr" };
    for e in ordered(entries, egress) {
        let Some(cidr) = &e.cidr4 else {
            continue;
        };
        let Some(l4) = l4_match(&e.protocol, e.ports, e.icmp) else {
            continue;
        };
        let verdict = if e.action == "allow" {
            "return"
        } else {
            "drop"
        };
        let addr = format!("ip {side} {cidr}");
        let _ = writeln!(out, "\t\t{}", join(&[&addr, &l4, verdict]));
    }
    out.push_str("\t\tdrop\n\t}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ACL_LAST_RULE;

    fn entry(
        rule: i32,
        egress: bool,
        action: &str,
        cidr: &str,
        ports: Option<(i32, i32)>,
    ) -> AclEntryRec {
        AclEntryRec {
            rule,
            egress,
            protocol: if ports.is_some() { "6" } else { "-1" }.into(),
            action: action.into(),
            cidr4: Some(cidr.into()),
            ports,
            ..Default::default()
        }
    }

    #[test]
    fn the_default_acl_allows_all_and_a_new_one_does_not() {
        let d = AclRec::new("vpc-1", true);
        assert!(allows_all(&d.entries, true) && allows_all(&d.entries, false));
        let n = AclRec::new("vpc-1", false);
        assert!(!allows_all(&n.entries, false));
        assert_eq!(
            chain("in", &n.entries, false),
            "\tchain in {\n\t\tip saddr 0.0.0.0/0 drop\n\t\tdrop\n\t}\n"
        );
    }

    #[test]
    fn rules_run_in_number_order_whatever_their_order_of_creation() {
        let mut d = AclRec::new("vpc-1", true);
        d.entries
            .push(entry(50, false, "deny", "10.1.1.0/24", Some((80, 80))));
        assert!(!allows_all(&d.entries, false));
        assert!(allows_all(&d.entries, true));
        let text = chain("in", &d.entries, false);
        let deny = text.find("ip saddr 10.1.1.0/24 tcp dport 80 drop").unwrap();
        let allow = text.find("ip saddr 0.0.0.0/0 return").unwrap();
        let last = text.rfind("ip saddr 0.0.0.0/0 drop").unwrap();
        assert!(deny < allow && allow < last, "{text}");
        assert!(d.entries.iter().any(|e| e.rule == ACL_LAST_RULE));
    }

    #[test]
    fn egress_rules_match_the_destination() {
        let e = [entry(100, true, "allow", "10.1.2.0/24", None)];
        let text = chain("out", &e, true);
        assert!(text.contains("ip daddr 10.1.2.0/24 return"));
    }
}
