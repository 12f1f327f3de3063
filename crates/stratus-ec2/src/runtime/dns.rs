//! The VPC's DNS resolver at 169.254.169.253 (the Amazon-provided DNS
//! address), in the VPC's namespace: it answers the instances' private DNS
//! names (`ip-10-0-1-5.ec2.internal`, and the reverse `PTR` names), the
//! names of the services with an address in the VPC (an RDS endpoint), and says
//! NXDOMAIN at once to everything else, since nothing outside the machine
//! is reachable, so programs never wait for a resolver that is not there.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use parking_lot::Mutex;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::imds::Directory;
use super::netns::{DNS_IP, in_namespace, vpc_ns};

/// Services' names in a VPC (lower case) and the addresses they answer at.
pub type Names = Arc<Mutex<HashMap<String, Ipv4Addr>>>;

const A: u16 = 1;
const PTR: u16 = 12;
const IN: u16 = 1;

/// One parsed question: the lower-cased name, its type and where the
/// question section ends.
fn question(msg: &[u8]) -> Option<(String, u16, usize)> {
    if msg.len() < 12 || u16::from_be_bytes([msg[4], msg[5]]) != 1 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = *msg.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(msg.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?]);
    let qclass = u16::from_be_bytes([*msg.get(i + 2)?, *msg.get(i + 3)?]);
    (qclass == IN).then_some((labels.join("."), qtype, i + 4))
}

/// `ip-10-0-1-5.ec2.internal` or `ip-10-0-1-5.REGION.compute.internal`.
fn address_of(name: &str) -> Option<Ipv4Addr> {
    let host = name.split('.').next()?;
    let rest = &name[host.len()..];
    if rest != ".ec2.internal" && !rest.ends_with(".compute.internal") {
        return None;
    }
    host.strip_prefix("ip-")?.replace('-', ".").parse().ok()
}

/// `5.1.0.10.in-addr.arpa` -> 10.0.1.5
fn reverse_of(name: &str) -> Option<Ipv4Addr> {
    let digits = name.strip_suffix(".in-addr.arpa")?;
    let mut parts: Vec<&str> = digits.split('.').collect();
    parts.reverse();
    parts.join(".").parse().ok()
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// The answer to one query, given the VPC's instances and services.
pub fn answer(msg: &[u8], directory: &Directory, names: &Names) -> Option<Vec<u8>> {
    let (name, qtype, end) = question(msg)?;
    let known = |ip: Ipv4Addr| {
        directory
            .lock()
            .values()
            .find(|m| m.private_ip == ip.to_string())
            .map(|m| m.hostname.clone())
    };
    let service = names.lock().get(&name).copied();
    let record: Option<(u16, Vec<u8>)> = match qtype {
        A => address_of(&name)
            .filter(|ip| known(*ip).is_some())
            .or(service)
            .map(|ip| (A, ip.octets().to_vec())),
        PTR => reverse_of(&name).and_then(known).map(|host| {
            let mut data = Vec::new();
            encode_name(&host, &mut data);
            (PTR, data)
        }),
        _ => None,
    };
    let mut out = Vec::with_capacity(end + 32);
    out.extend_from_slice(&msg[..2]);
    // Response, recursion desired copied, recursion available; NOERROR or
    // NXDOMAIN.
    out.push(0x80 | (msg[2] & 0x01));
    let name_known = record.is_some()
        || service.is_some()
        || address_of(&name).is_some_and(|ip| known(ip).is_some());
    out.push(0x80 | if name_known { 0 } else { 3 });
    out.extend_from_slice(&[0, 1, 0, u8::from(record.is_some()), 0, 0, 0, 0]);
    out.extend_from_slice(&msg[12..end]);
    if let Some((rtype, data)) = record {
        out.extend_from_slice(&[0xc0, 12]);
        out.extend_from_slice(&rtype.to_be_bytes());
        out.extend_from_slice(&IN.to_be_bytes());
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}

/// Serves the VPC's resolver until the handle is aborted.
pub fn serve(
    rt: &tokio::runtime::Handle,
    vpc: &str,
    directory: Directory,
    names: Names,
) -> std::io::Result<JoinHandle<()>> {
    let _guard = rt.enter();
    let std_socket = in_namespace(&vpc_ns(vpc), || {
        let s = std::net::UdpSocket::bind((DNS_IP, 53))?;
        s.set_nonblocking(true)?;
        Ok(s)
    })?;
    let socket = UdpSocket::from_std(std_socket)?;
    Ok(rt.spawn(async move {
        let mut buf = [0u8; 512];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            if let Some(reply) = answer(&buf[..n], &directory, &names) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::imds::Meta;
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        encode_name(name, &mut q);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&IN.to_be_bytes());
        q
    }

    fn directory() -> Directory {
        let d = Directory::default();
        d.lock().insert(
            "10.0.1.5".into(),
            Meta {
                private_ip: "10.0.1.5".into(),
                hostname: "ip-10-0-1-5.ec2.internal".into(),
                ..Default::default()
            },
        );
        d
    }

    #[test]
    fn private_names_resolve_and_others_are_nxdomain_at_once() {
        let d = directory();
        let n = Names::default();
        let r = answer(&query("ip-10-0-1-5.ec2.internal", A), &d, &n).unwrap();
        assert_eq!(&r[..2], &[0x12, 0x34]);
        assert_eq!(r[3] & 0x0f, 0);
        assert_eq!(&r[r.len() - 4..], &[10, 0, 1, 5]);
        let r = answer(&query("example.com", A), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 3);
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 0);
        let r = answer(&query("5.1.0.10.in-addr.arpa", PTR), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 0);
        assert!(r.ends_with(b"\x0bip-10-0-1-5\x03ec2\x08internal\x00"));
        let r = answer(&query("ip-10-0-1-6.ec2.internal", A), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 3);
        assert!(answer(&[0u8; 5], &d, &n).is_none());
    }

    #[test]
    fn a_service_name_answers_with_its_address_in_the_vpc() {
        let d = directory();
        let n = Names::default();
        let name = "db1.abc.us-east-1.rds.localhost";
        let r = answer(&query("DB1.abc.us-east-1.rds.localhost", A), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 3, "unknown until the service has an address");
        n.lock().insert(name.into(), Ipv4Addr::new(10, 0, 2, 4));
        let r = answer(&query("DB1.abc.us-east-1.rds.localhost", A), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 0);
        assert_eq!(&r[r.len() - 4..], &[10, 0, 2, 4]);
        // AAAA: the name exists, with no IPv6 address.
        let r = answer(&query(name, 28), &d, &n).unwrap();
        assert_eq!(r[3] & 0x0f, 0);
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 0);
    }
}
