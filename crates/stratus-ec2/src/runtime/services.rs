//! Addresses other services keep in a VPC (an RDS instance's endpoint).
//! Where instances run in the VPC, each such address gets a namespace on
//! the VPC's bridge as an instance does, with its security groups as its
//! firewall, and a relay from its address and ports to the same ports of
//! this machine's loopback, where the service listens. The VPC's resolver
//! answers the service's names with the address.

use std::collections::BTreeSet;
use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};

use super::netns::in_namespace;
use crate::cidr::Cidr;
use crate::state::RegionState;

/// What the runtime sets up for one service address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePlan {
    pub vpc: String,
    pub ip: Ipv4Addr,
    pub address_cidr: String,
    pub gateway: String,
    pub gateway_cidr: String,
    pub ports: Vec<u16>,
    pub names: Vec<String>,
}

/// The service addresses (by interface id) in the VPCs of `vpcs`.
pub fn plans(s: &RegionState, vpcs: &BTreeSet<String>) -> Vec<(String, ServicePlan)> {
    s.enis
        .values()
        .filter(|e| vpcs.contains(&e.vpc))
        .filter_map(|e| {
            let x = e.service.as_ref()?;
            let block = Cidr::parse(&s.subnets.get(&e.subnet)?.cidr)?;
            let gateway = Ipv4Addr::from(block.base + 1).to_string();
            Some((
                e.id.clone(),
                ServicePlan {
                    vpc: e.vpc.clone(),
                    ip: e.private_ip.parse().ok()?,
                    address_cidr: format!("{}/{}", e.private_ip, block.prefix),
                    gateway_cidr: format!("{gateway}/{}", block.prefix),
                    gateway,
                    ports: x.ports.clone(),
                    names: x.names.iter().map(|n| n.to_ascii_lowercase()).collect(),
                },
            ))
        })
        .collect()
}

/// The relays of one address; dropping them closes their listeners and
/// the connections they carry.
pub struct Relays(Vec<JoinHandle<()>>);

impl Drop for Relays {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Listens at `ip` on each port inside namespace `ns` and carries each
/// connection to the same port of 127.0.0.1.
pub fn relay(
    rt: &tokio::runtime::Handle,
    ns: &str,
    ip: Ipv4Addr,
    ports: &[u16],
) -> io::Result<Relays> {
    let _guard = rt.enter();
    let mut tasks = Vec::new();
    for &port in ports {
        let listener = in_namespace(ns, move || {
            let l = std::net::TcpListener::bind((ip, port))?;
            l.set_nonblocking(true)?;
            Ok(l)
        })?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tasks.push(rt.spawn(async move {
            // Held by the accepting task, so aborting it ends every
            // connection it carries.
            let mut open = JoinSet::new();
            loop {
                while open.try_join_next().is_some() {}
                let Ok((mut inbound, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                open.spawn(async move {
                    let to = (Ipv4Addr::LOCALHOST, port);
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }
    Ok(Relays(tasks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EniRec, ServiceRec, SubnetRec};

    #[test]
    fn only_service_addresses_in_running_vpcs_are_planned() {
        let mut s = RegionState::default();
        for (id, vpc, cidr) in [
            ("subnet-a", "vpc-1", "10.0.2.0/24"),
            ("subnet-b", "vpc-2", "10.9.0.0/16"),
        ] {
            s.subnets.insert(
                id.into(),
                SubnetRec {
                    id: id.into(),
                    vpc: vpc.into(),
                    cidr: cidr.into(),
                    ..Default::default()
                },
            );
        }
        let service = ServiceRec {
            service: "rds".into(),
            owner: "db-1".into(),
            names: vec!["DB1.x.us-east-1.rds.localhost".into()],
            ports: vec![3306],
        };
        for (id, subnet, vpc, ip, svc) in [
            (
                "eni-db",
                "subnet-a",
                "vpc-1",
                "10.0.2.4",
                Some(service.clone()),
            ),
            ("eni-web", "subnet-a", "vpc-1", "10.0.2.5", None),
            ("eni-db2", "subnet-b", "vpc-2", "10.9.0.4", Some(service)),
        ] {
            s.enis.insert(
                id.into(),
                EniRec {
                    id: id.into(),
                    subnet: subnet.into(),
                    vpc: vpc.into(),
                    private_ip: ip.into(),
                    service: svc,
                    ..Default::default()
                },
            );
        }
        let p = plans(&s, &BTreeSet::from(["vpc-1".to_string()]));
        assert_eq!(p.len(), 1);
        let (id, plan) = &p[0];
        assert_eq!(id, "eni-db");
        assert_eq!(plan.address_cidr, "10.0.2.4/24");
        assert_eq!(plan.gateway, "10.0.2.1");
        assert_eq!(plan.gateway_cidr, "10.0.2.1/24");
        assert_eq!(plan.ports, vec![3306]);
        assert_eq!(
            plan.names,
            vec!["db1.x.us-east-1.rds.localhost".to_string()]
        );
    }
}
