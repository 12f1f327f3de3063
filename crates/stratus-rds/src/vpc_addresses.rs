//! Each DB instance's and Aurora cluster's address inside its VPC, as AWS
//! gives each one an interface in a subnet of its DB subnet group: EC2
//! keeps them (requester-managed, in the resource's VPC security groups),
//! and where instances run in the VPC they reach the endpoint by name at
//! that address, filtered by those groups.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use parking_lot::Mutex;
use stratus_core::compute::{Instances, ServiceAddress};

use crate::names;
use crate::state::{Inner, SubnetGroupRec, key};

/// How the requester shows in EC2 (`amazon-rds`).
pub const SERVICE: &str = "rds";

type Region = (String, String);

fn subnet_in(group: &SubnetGroupRec, zone: &str) -> Option<String> {
    group
        .subnets
        .iter()
        .find(|s| s.zone == zone)
        .or_else(|| group.subnets.first())
        .map(|s| s.id.clone())
}

fn group_of<'a>(
    inner: &'a Inner,
    account: &str,
    region: &str,
    name: &str,
) -> Option<&'a SubnetGroupRec> {
    inner
        .subnet_groups
        .get(&key(account, region, name))
        .or_else(|| {
            inner
                .subnet_groups
                .get(&key(account, region, &name.to_ascii_lowercase()))
        })
}

fn port(p: i32) -> Option<u16> {
    u16::try_from(p).ok().filter(|p| *p != 0)
}

/// Every address RDS wants, by account and region.
pub fn wanted(inner: &Inner) -> BTreeMap<Region, Vec<ServiceAddress>> {
    let mut out: BTreeMap<Region, Vec<ServiceAddress>> = BTreeMap::new();
    for r in inner.instances.values() {
        let Some(subnet) = group_of(inner, &r.account, &r.region, &r.subnet_group)
            .and_then(|g| subnet_in(g, &r.zone))
        else {
            continue;
        };
        out.entry((r.account.clone(), r.region.clone()))
            .or_default()
            .push(ServiceAddress {
                owner: r.resource_id.clone(),
                description: "RDSNetworkInterface".into(),
                subnet_id: subnet,
                groups: r.security_groups.clone(),
                names: vec![names::endpoint_address(&r.id, &r.account, &r.region)],
                ports: port(r.port).into_iter().collect(),
            });
    }
    for c in inner.clusters.values() {
        let zone = c.zones.first().map(String::as_str).unwrap_or_default();
        let Some(subnet) = group_of(inner, &c.account, &c.region, &c.subnet_group)
            .and_then(|g| subnet_in(g, zone))
        else {
            continue;
        };
        // The reader endpoint listens on the port after the cluster's.
        let ports = port(c.port).into_iter().chain(port(c.port + 1)).collect();
        out.entry((c.account.clone(), c.region.clone()))
            .or_default()
            .push(ServiceAddress {
                owner: c.resource_id.clone(),
                description: "RDSNetworkInterface".into(),
                subnet_id: subnet,
                groups: c.security_groups.clone(),
                names: vec![
                    names::cluster_endpoint(&c.id, &c.account, &c.region, false),
                    names::cluster_endpoint(&c.id, &c.account, &c.region, true),
                ],
                ports,
            });
    }
    out
}

/// Hands EC2 what changed since the last time, region by region.
#[derive(Default)]
pub struct Publisher {
    pushed: Mutex<Option<HashMap<Region, Vec<ServiceAddress>>>>,
}

impl Publisher {
    pub fn publish(&self, ec2: &dyn Instances, want: BTreeMap<Region, Vec<ServiceAddress>>) {
        let mut guard = self.pushed.lock();
        // The first time, also the regions where EC2 still holds addresses
        // of instances gone while Stratus was down.
        let pushed = guard.get_or_insert_with(|| {
            ec2.service_regions(SERVICE)
                .into_iter()
                .map(|r| (r, Vec::new()))
                .collect()
        });
        let regions: BTreeSet<Region> = pushed.keys().chain(want.keys()).cloned().collect();
        for region in regions {
            let now = want.get(&region).cloned().unwrap_or_default();
            if pushed.get(&region) == Some(&now) && !now.is_empty() {
                continue;
            }
            let made = ec2.service_addresses(&region.0, &region.1, SERVICE, &now);
            // An address EC2 could not make yet (a full subnet) is asked
            // for again at the next tick.
            let all_made = now.iter().all(|a| made.iter().any(|(o, _)| *o == a.owner));
            if now.is_empty() || !all_made {
                pushed.remove(&region);
            } else {
                pushed.insert(region, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ClusterRec, InstanceRec, SubnetRec};

    fn inner() -> Inner {
        let mut i = Inner::default();
        i.subnet_groups.insert(
            key("1", "us-east-1", "lab"),
            SubnetGroupRec {
                account: "1".into(),
                region: "us-east-1".into(),
                name: "lab".into(),
                vpc_id: "vpc-1".into(),
                subnets: vec![
                    SubnetRec {
                        id: "subnet-a".into(),
                        zone: "us-east-1a".into(),
                    },
                    SubnetRec {
                        id: "subnet-b".into(),
                        zone: "us-east-1b".into(),
                    },
                ],
                ..Default::default()
            },
        );
        i.instances.insert(
            key("1", "us-east-1", "db1"),
            InstanceRec {
                account: "1".into(),
                region: "us-east-1".into(),
                id: "db1".into(),
                resource_id: "db-ABC".into(),
                zone: "us-east-1b".into(),
                subnet_group: "lab".into(),
                security_groups: vec!["sg-db".into()],
                port: 3306,
                ..Default::default()
            },
        );
        i
    }

    #[test]
    fn an_instance_has_an_address_in_its_zones_subnet() {
        let w = wanted(&inner());
        let a = &w[&("1".to_string(), "us-east-1".to_string())];
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].owner, "db-ABC");
        assert_eq!(a[0].subnet_id, "subnet-b");
        assert_eq!(a[0].groups, vec!["sg-db".to_string()]);
        assert_eq!(a[0].ports, vec![3306]);
        assert_eq!(
            a[0].names,
            vec![names::endpoint_address("db1", "1", "us-east-1")]
        );
    }

    #[test]
    fn a_cluster_serves_its_writer_and_reader_ports() {
        let mut i = inner();
        i.clusters.insert(
            key("1", "us-east-1", "aur"),
            ClusterRec {
                account: "1".into(),
                region: "us-east-1".into(),
                id: "aur".into(),
                resource_id: "cluster-XYZ".into(),
                subnet_group: "lab".into(),
                zones: vec!["us-east-1a".into()],
                port: 5432,
                ..Default::default()
            },
        );
        let w = wanted(&i);
        let a = &w[&("1".to_string(), "us-east-1".to_string())];
        let c = a.iter().find(|a| a.owner == "cluster-XYZ").unwrap();
        assert_eq!(c.subnet_id, "subnet-a");
        assert_eq!(c.ports, vec![5432, 5433]);
        assert_eq!(c.names.len(), 2);
    }

    /// EC2 as the publisher sees it: remembers each call, and makes every
    /// address but those in `full`.
    #[derive(Default)]
    struct Ec2 {
        calls: Mutex<Vec<(String, Vec<String>)>>,
        leftovers: Vec<(String, String)>,
        full: Vec<String>,
    }

    impl Instances for Ec2 {
        fn launch(
            &self,
            _: &str,
            _: &str,
            _: &stratus_core::compute::LaunchSpec,
        ) -> Result<stratus_core::compute::InstanceView, stratus_core::AwsError> {
            unreachable!()
        }
        fn act(
            &self,
            _: &str,
            _: &str,
            _: &[String],
            _: stratus_core::compute::InstanceAction,
        ) -> Result<(), stratus_core::AwsError> {
            unreachable!()
        }
        fn describe(
            &self,
            _: &str,
            _: &str,
            _: &[String],
        ) -> Vec<stratus_core::compute::InstanceView> {
            Vec::new()
        }
        fn subnets(
            &self,
            _: &str,
            _: &str,
            _: &[String],
        ) -> Vec<stratus_core::compute::SubnetView> {
            Vec::new()
        }
        fn security_groups(&self, _: &str, _: &str, _: &[String]) -> Vec<(String, String)> {
            Vec::new()
        }
        fn template(
            &self,
            _: &str,
            _: &str,
            _: &stratus_core::compute::TemplateRef,
        ) -> Result<stratus_core::compute::ResolvedTemplate, stratus_core::AwsError> {
            unreachable!()
        }
        fn service_addresses(
            &self,
            _: &str,
            region: &str,
            _: &str,
            want: &[ServiceAddress],
        ) -> Vec<(String, String)> {
            self.calls.lock().push((
                region.to_string(),
                want.iter().map(|a| a.owner.clone()).collect(),
            ));
            want.iter()
                .filter(|a| !self.full.contains(&a.owner))
                .map(|a| (a.owner.clone(), "10.0.0.4".to_string()))
                .collect()
        }
        fn service_regions(&self, _: &str) -> Vec<(String, String)> {
            self.leftovers.clone()
        }
    }

    #[test]
    fn the_publisher_calls_ec2_for_changes_leftovers_and_what_it_could_not_make() {
        let ec2 = Ec2 {
            leftovers: vec![("1".into(), "eu-west-1".into())],
            ..Default::default()
        };
        let p = Publisher::default();
        p.publish(&ec2, wanted(&inner()));
        let calls = ec2.calls.lock().clone();
        // The region a crash left addresses in is emptied; ours is made.
        assert!(calls.contains(&("eu-west-1".into(), vec![])));
        assert!(calls.contains(&("us-east-1".into(), vec!["db-ABC".into()])));
        ec2.calls.lock().clear();
        p.publish(&ec2, wanted(&inner()));
        assert!(ec2.calls.lock().is_empty(), "nothing changed");
        p.publish(&ec2, BTreeMap::new());
        assert_eq!(*ec2.calls.lock(), vec![("us-east-1".into(), vec![])]);

        let full = Ec2 {
            full: vec!["db-ABC".into()],
            ..Default::default()
        };
        let p = Publisher::default();
        p.publish(&full, wanted(&inner()));
        p.publish(&full, wanted(&inner()));
        assert_eq!(full.calls.lock().len(), 2, "asked again until it is made");
    }

    #[test]
    fn an_instance_without_a_known_subnet_group_has_none() {
        let mut i = inner();
        i.subnet_groups.clear();
        assert!(wanted(&i).is_empty());
    }
}
