//! Interfaces other services keep in subnets for their resources (an RDS
//! instance's endpoint): requester-managed, attached to no instance, so
//! users can see them and their groups but neither delete nor detach them.

use stratus_core::compute::ServiceAddress;

use super::enis::service_attachment;
use crate::state::{EniRec, RegionState, ServiceRec};

fn record(service: &str, a: &ServiceAddress) -> ServiceRec {
    ServiceRec {
        service: service.to_string(),
        owner: a.owner.clone(),
        names: a.names.clone(),
        ports: a.ports.clone(),
    }
}

/// The groups of `a` that exist in the subnet's VPC.
fn groups(s: &RegionState, a: &ServiceAddress) -> Vec<String> {
    let vpc = s.subnets.get(&a.subnet_id).map(|n| n.vpc.as_str());
    a.groups
        .iter()
        .filter(|g| s.sgs.get(*g).is_some_and(|x| Some(x.vpc.as_str()) == vpc))
        .cloned()
        .collect()
}

/// Makes `service`'s interfaces exactly `want`; says whether anything
/// changed. An address whose subnet is gone or full is left out.
pub fn reconcile(s: &mut RegionState, service: &str, want: &[ServiceAddress], now: i64) -> bool {
    let mut changed = false;
    let ours: Vec<(String, String, String)> = s
        .enis
        .values()
        .filter_map(|e| {
            let x = e.service.as_ref().filter(|x| x.service == service)?;
            Some((e.id.clone(), x.owner.clone(), e.subnet.clone()))
        })
        .collect();
    for (id, owner, subnet) in &ours {
        let keep = want
            .iter()
            .any(|a| &a.owner == owner && &a.subnet_id == subnet);
        if !keep {
            s.remove_eni(id);
            changed = true;
        }
    }
    for a in want {
        let groups = groups(s, a);
        let rec = record(service, a);
        let existing = s.enis.values_mut().find(|e| {
            e.service
                .as_ref()
                .is_some_and(|x| x.service == service && x.owner == a.owner)
        });
        match existing {
            Some(e) => {
                if e.groups != groups
                    || e.service.as_ref() != Some(&rec)
                    || e.description != a.description
                {
                    e.groups = groups;
                    e.service = Some(rec);
                    e.description = a.description.clone();
                    changed = true;
                }
            }
            None => {
                if !s.subnets.contains_key(&a.subnet_id) {
                    continue;
                }
                let eni = EniRec {
                    subnet: a.subnet_id.clone(),
                    description: a.description.clone(),
                    kind: "interface".into(),
                    requester_managed: true,
                    source_dest_check: true,
                    groups,
                    attachment: Some(service_attachment(now)),
                    service: Some(rec),
                    ..Default::default()
                };
                changed |= s.add_eni(eni, None).is_some();
            }
        }
    }
    changed
}

/// (owner, private address) of each of `service`'s interfaces.
pub fn addresses(s: &RegionState, service: &str) -> Vec<(String, String)> {
    s.enis
        .values()
        .filter_map(|e| {
            let x = e.service.as_ref().filter(|x| x.service == service)?;
            Some((x.owner.clone(), e.private_ip.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SgRec, SubnetRec};

    fn state() -> RegionState {
        let mut s = RegionState::default();
        for (id, cidr) in [("subnet-a", "10.0.1.0/24"), ("subnet-b", "10.0.2.0/24")] {
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
        for (id, vpc) in [("sg-db", "vpc-1"), ("sg-other", "vpc-2")] {
            s.sgs.insert(
                id.into(),
                SgRec {
                    id: id.into(),
                    vpc: vpc.into(),
                    ..Default::default()
                },
            );
        }
        s
    }

    fn want(owner: &str, subnet: &str, port: u16) -> ServiceAddress {
        ServiceAddress {
            owner: owner.into(),
            description: "RDSNetworkInterface".into(),
            subnet_id: subnet.into(),
            groups: vec!["sg-db".into(), "sg-other".into(), "sg-gone".into()],
            names: vec![format!("{owner}.rds.localhost")],
            ports: vec![port],
        }
    }

    #[test]
    fn addresses_follow_what_the_service_wants() {
        let mut s = state();
        assert!(reconcile(
            &mut s,
            "rds",
            &[want("db1", "subnet-a", 3306)],
            0
        ));
        let e = s.enis.values().next().unwrap().clone();
        assert_eq!(e.private_ip, "10.0.1.4");
        assert_eq!(
            e.groups,
            vec!["sg-db".to_string()],
            "only the VPC's groups that exist"
        );
        assert!(e.requester_managed && e.attachment.is_some());
        assert_eq!(e.requester_id().as_deref(), Some("amazon-rds"));
        assert_eq!(s.subnets["subnet-a"].used, 1);
        // The same wish changes nothing; a new port updates in place.
        assert!(!reconcile(
            &mut s,
            "rds",
            &[want("db1", "subnet-a", 3306)],
            0
        ));
        assert!(reconcile(
            &mut s,
            "rds",
            &[want("db1", "subnet-a", 3307)],
            0
        ));
        assert_eq!(s.enis[&e.id].service.as_ref().unwrap().ports, vec![3307]);
        // Another subnet: a new interface there, the old one released.
        assert!(reconcile(
            &mut s,
            "rds",
            &[want("db1", "subnet-b", 3307)],
            0
        ));
        assert_eq!(s.enis.len(), 1);
        assert_eq!(s.enis.values().next().unwrap().private_ip, "10.0.2.4");
        assert_eq!(s.subnets["subnet-a"].used, 0);
        // Other services' interfaces are not touched; an unknown subnet is skipped.
        assert!(!reconcile(&mut s, "elb", &[], 0));
        assert_eq!(s.enis.len(), 1);
        assert!(reconcile(
            &mut s,
            "rds",
            &[want("db2", "subnet-x", 5432)],
            0
        ));
        assert!(s.enis.is_empty());
        assert!(addresses(&s, "rds").is_empty());
    }
}
