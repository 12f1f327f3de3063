//! Real health checks: an HTTP GET of the group's path (or a TCP connect)
//! to targets something answers for through the [`Network`]; every other
//! target keeps the simulated outcome of [`InstanceStateChecker`].

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_core::network::Network;

use crate::health::{HealthChecker, InstanceStateChecker, Outcome, Probe};

/// How many checks run at once.
const PARALLEL: usize = 32;

pub struct NetworkChecker {
    network: Arc<dyn Network>,
}

impl NetworkChecker {
    pub fn new(network: Arc<dyn Network>) -> Self {
        NetworkChecker { network }
    }

    /// Where a probe goes, when something real can answer there.
    fn reachable(&self, p: &Probe) -> Option<(Option<String>, IpAddr, u16)> {
        // A stopped or starting instance keeps its simulated answer.
        if p.instance.as_ref().is_some_and(|i| i.state != "running") {
            return None;
        }
        let addr: IpAddr = p.address.as_deref()?.parse().ok()?;
        let port = u16::try_from(p.port?).ok()?;
        let vpc = p
            .vpc_id
            .clone()
            .or_else(|| p.instance.as_ref().and_then(|i| i.vpc_id.clone()));
        self.network
            .reachable(vpc.as_deref(), addr)
            .then_some((vpc, addr, port))
    }
}

/// Whether `code` is one the matcher accepts: `200`, `200-299`, `200,302`.
pub fn code_matches(matcher: &str, code: u16) -> bool {
    matcher
        .split(',')
        .map(str::trim)
        .any(|part| match part.split_once('-') {
            Some((lo, hi)) => match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
                (Ok(lo), Ok(hi)) => (lo..=hi).contains(&code),
                _ => false,
            },
            None => part.parse::<u16>() == Ok(code),
        })
}

/// The status code of an HTTP response's first line.
pub fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

fn io_outcome(e: &std::io::Error) -> Outcome {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Outcome::Timeout,
        _ => Outcome::Failed,
    }
}

impl NetworkChecker {
    fn http(&self, p: &Probe, vpc: Option<&str>, addr: IpAddr, port: u16) -> Outcome {
        let timeout = Duration::from_secs(p.timeout_s.max(1) as u64);
        let deadline = Instant::now() + timeout;
        let mut s = match self.network.dial(vpc, addr, port, timeout) {
            Ok(s) => s,
            Err(e) => return io_outcome(&e),
        };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let _ = s.set_read_timeout(Some(left));
        let _ = s.set_write_timeout(Some(left));
        let host = match addr {
            IpAddr::V6(a) => format!("[{a}]:{port}"),
            IpAddr::V4(a) => format!("{a}:{port}"),
        };
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            p.path.as_deref().unwrap_or("/")
        );
        if let Err(e) = s.write_all(req.as_bytes()) {
            return io_outcome(&e);
        }
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.contains(&b'\n') && head.len() < 8192 {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
                Err(e) => return io_outcome(&e),
            }
        }
        match status_of(&head) {
            Some(code) if code_matches(p.matcher.as_deref().unwrap_or("200"), code) => {
                Outcome::Pass
            }
            Some(code) => Outcome::CodeMismatch(code.to_string()),
            None => Outcome::Failed,
        }
    }

    fn tcp(&self, p: &Probe, vpc: Option<&str>, addr: IpAddr, port: u16) -> Outcome {
        let timeout = Duration::from_secs(p.timeout_s.max(1) as u64);
        match self.network.dial(vpc, addr, port, timeout) {
            Ok(_) => Outcome::Pass,
            Err(e) => io_outcome(&e),
        }
    }
}

impl HealthChecker for NetworkChecker {
    fn check(&self, probe: &Probe) -> Outcome {
        let Some((vpc, addr, port)) = self.reachable(probe) else {
            return InstanceStateChecker.check(probe);
        };
        match probe.protocol.to_ascii_uppercase().as_str() {
            "HTTP" => self.http(probe, vpc.as_deref(), addr, port),
            // TLS is not spoken here: HTTPS, SSL and TCP checks connect only.
            _ => self.tcp(probe, vpc.as_deref(), addr, port),
        }
    }

    fn check_all(&self, probes: &[Probe]) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(probes.len());
        for chunk in probes.chunks(PARALLEL) {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunk.iter().map(|p| s.spawn(|| self.check(p))).collect();
                out.extend(
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or(Outcome::Failed)),
                );
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use stratus_core::network::HostNetwork;

    use super::*;

    fn probe(address: &str, port: u16, protocol: &str) -> Probe {
        Probe {
            target_group_arn: "tg".into(),
            target_type: "ip".into(),
            target_id: address.into(),
            instance: None,
            address: Some(address.into()),
            vpc_id: None,
            port: Some(i32::from(port)),
            protocol: protocol.into(),
            path: Some("/health".into()),
            matcher: Some("200-299".into()),
            timeout_s: 2,
        }
    }

    /// Answers each connection with `status` once.
    fn serve(status: &'static str) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            }
        });
        port
    }

    #[test]
    fn matchers_read_codes_ranges_and_lists() {
        assert!(code_matches("200", 200));
        assert!(!code_matches("200", 204));
        assert!(code_matches("200-299", 204));
        assert!(code_matches("200,302", 302));
        assert!(!code_matches("200,302", 301));
        assert_eq!(status_of(b"HTTP/1.1 404 Not Found\r\n"), Some(404));
        assert_eq!(status_of(b"garbage"), None);
    }

    #[test]
    fn real_checks_pass_mismatch_and_fail_and_others_stay_simulated() {
        let c = NetworkChecker::new(Arc::new(HostNetwork));
        let ok = serve("204 No Content");
        let missing = serve("404 Not Found");
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let probes = [
            probe("127.0.0.1", ok, "HTTP"),
            probe("127.0.0.1", missing, "HTTP"),
            probe("127.0.0.1", closed, "HTTP"),
            probe("127.0.0.1", missing, "TCP"),
            // Not reachable from here: simulated, and an ip target passes.
            probe("10.0.1.10", closed, "HTTP"),
        ];
        assert_eq!(
            c.check_all(&probes),
            vec![
                Outcome::Pass,
                Outcome::CodeMismatch("404".into()),
                Outcome::Failed,
                Outcome::Pass,
                Outcome::Pass,
            ]
        );
    }
}
