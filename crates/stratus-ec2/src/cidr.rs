//! IPv4 CIDR arithmetic for VPCs and subnets.

use std::fmt;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub base: u32,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; the address must be the network's first.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let prefix: u8 = len.parse().ok().filter(|p| *p <= 32)?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let base = u32::from(ip);
        let c = Cidr {
            base: base & Cidr::mask(prefix),
            prefix,
        };
        (c.base == base).then_some(c)
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        }
    }

    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix)
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && (other.base & Cidr::mask(self.prefix)) == self.base
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// Addresses a subnet offers to instances: AWS reserves the first four
    /// and the last.
    pub fn usable(&self) -> u64 {
        self.size().saturating_sub(5)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_network_addresses_only() {
        assert_eq!(
            Cidr::parse("10.1.0.0/16").unwrap().to_string(),
            "10.1.0.0/16"
        );
        assert!(Cidr::parse("10.1.0.1/16").is_none());
        assert!(Cidr::parse("10.1.0.0/33").is_none());
        assert!(Cidr::parse("10.1.0/16").is_none());
        assert!(Cidr::parse("nonsense").is_none());
    }

    #[test]
    fn containment_and_overlap() {
        let vpc = Cidr::parse("10.1.0.0/16").unwrap();
        let a = Cidr::parse("10.1.1.0/24").unwrap();
        let b = Cidr::parse("10.1.1.128/25").unwrap();
        let out = Cidr::parse("10.2.0.0/24").unwrap();
        assert!(vpc.contains(&a) && vpc.contains(&b) && !vpc.contains(&out));
        assert!(a.overlaps(&b) && !a.overlaps(&out));
        assert_eq!(a.usable(), 251);
    }
}
