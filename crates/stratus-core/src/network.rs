//! How data planes (load balancers, health checks) reach the hosts behind
//! an address. An instance runtime that gives instances their own network
//! (namespaces on a per-VPC bridge) implements [`Network`] so that a
//! connection opened for a VPC lands in that VPC, whatever the host's own
//! routes say (VPCs may overlap). Without one, [`HostNetwork`] reaches only
//! this machine's loopback addresses.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

pub trait Network: Send + Sync + 'static {
    /// Whether something real can answer at `addr` in `vpc_id`: an instance
    /// the runtime runs, or a loopback address of this machine. Targets
    /// that are not get the simulated behaviour (health from the instance
    /// state, no traffic).
    fn reachable(&self, vpc_id: Option<&str>, addr: IpAddr) -> bool;

    /// A TCP connection to `addr:port` as seen from inside `vpc_id`.
    /// Blocking; callers run it off their async threads.
    fn dial(
        &self,
        vpc_id: Option<&str>,
        addr: IpAddr,
        port: u16,
        timeout: Duration,
    ) -> io::Result<TcpStream>;
}

/// The security groups that load balancers use, so that an instance
/// firewall can admit a balancer's traffic (which reaches instances from
/// the VPC's router) where a rule names one of those groups, as a web
/// group that allows HTTP from the load balancer's group does on AWS.
pub trait BalancerGroups: Send + Sync + 'static {
    /// The groups of every load balancer in `account` and `region`.
    fn balancer_groups(&self, _account: &str, _region: &str) -> Vec<String> {
        Vec::new()
    }
}

/// This machine's own network: loopback addresses only.
pub struct HostNetwork;

impl Network for HostNetwork {
    fn reachable(&self, _vpc_id: Option<&str>, addr: IpAddr) -> bool {
        addr.is_loopback()
    }

    fn dial(
        &self,
        vpc_id: Option<&str>,
        addr: IpAddr,
        port: u16,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        if !self.reachable(vpc_id, addr) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{addr} is not reachable from this machine"),
            ));
        }
        TcpStream::connect_timeout(&SocketAddr::new(addr, port), timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_network_reaches_loopback_only() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let n = HostNetwork;
        assert!(n.reachable(None, "127.0.0.1".parse().unwrap()));
        assert!(!n.reachable(Some("vpc-1"), "10.0.1.5".parse().unwrap()));
        n.dial(
            None,
            "127.0.0.1".parse().unwrap(),
            port,
            Duration::from_secs(1),
        )
        .unwrap();
        let e = n
            .dial(
                None,
                "10.0.1.5".parse().unwrap(),
                port,
                Duration::from_secs(1),
            )
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrNotAvailable);
    }
}
