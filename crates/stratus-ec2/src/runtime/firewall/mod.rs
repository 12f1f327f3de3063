//! The pure part of enforcement: EC2's state turned into nftables
//! rulesets, one table (`inet stratus`) per namespace. An instance's
//! namespace gets its security groups ([`sg`]); a VPC's namespace, the
//! VPC router, gets its route tables and address translation ([`routes`])
//! and its network ACLs ([`nacl`]). The runtime applies a ruleset only
//! when its text changed.

pub mod nacl;
pub mod routes;
pub mod sg;

/// The table Stratus owns in every namespace it filters.
pub const TABLE: &str = "inet stratus";

/// A whole ruleset file: the table is made (if missing), deleted and
/// written again in one transaction, so a namespace never sees half a
/// ruleset and chains that are no longer needed go too. Connection
/// tracking lives outside tables, so established connections survive.
pub fn file(body: &str) -> String {
    format!("table {TABLE} {{}}\ndelete table {TABLE}\ntable {TABLE} {{\n{body}}}\n")
}

/// The nftables match for a protocol as security groups and network ACLs
/// name it (`-1`, a name or a number), with its port range or ICMP type
/// and code; `None` when it can never match IPv4 traffic (ICMPv6) or is
/// unknown. An empty string matches every protocol.
pub fn l4_match(
    protocol: &str,
    ports: Option<(i32, i32)>,
    icmp: Option<(i32, i32)>,
) -> Option<String> {
    let proto = match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => return Some(String::new()),
        "tcp" | "6" => "tcp",
        "udp" | "17" => "udp",
        "icmp" | "1" => "icmp",
        "icmpv6" | "58" => return None,
        n => {
            let n: u8 = n.parse().ok()?;
            return Some(format!("meta l4proto {n}"));
        }
    };
    if proto == "icmp" {
        return Some(match icmp {
            Some((t, c)) if t >= 0 && c >= 0 => format!("icmp type {t} icmp code {c}"),
            Some((t, _)) if t >= 0 => format!("icmp type {t}"),
            _ => "meta l4proto icmp".to_string(),
        });
    }
    Some(match ports {
        Some((from, to)) if from == to && from >= 0 => format!("{proto} dport {from}"),
        Some((from, to)) if from > 0 || (to >= 0 && to < 65535) => {
            format!("{proto} dport {}-{}", from.max(0), to.clamp(0, 65535))
        }
        _ => format!("meta l4proto {proto}"),
    })
}

/// `a b c` without doubled spaces when a part is empty.
pub fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_become_matches() {
        assert_eq!(l4_match("-1", None, None).unwrap(), "");
        assert_eq!(
            l4_match("tcp", Some((22, 22)), None).unwrap(),
            "tcp dport 22"
        );
        assert_eq!(
            l4_match("6", Some((1024, 65535)), None).unwrap(),
            "tcp dport 1024-65535"
        );
        assert_eq!(
            l4_match("udp", Some((0, 65535)), None).unwrap(),
            "meta l4proto udp"
        );
        assert_eq!(
            l4_match("tcp", Some((-1, -1)), None).unwrap(),
            "meta l4proto tcp"
        );
        assert_eq!(
            l4_match("icmp", None, Some((8, -1))).unwrap(),
            "icmp type 8"
        );
        assert_eq!(
            l4_match("1", None, Some((3, 4))).unwrap(),
            "icmp type 3 icmp code 4"
        );
        assert_eq!(
            l4_match("icmp", None, Some((-1, -1))).unwrap(),
            "meta l4proto icmp"
        );
        assert_eq!(l4_match("47", None, None).unwrap(), "meta l4proto 47");
        assert!(l4_match("icmpv6", None, None).is_none());
        assert!(l4_match("bogus", None, None).is_none());
    }

    #[test]
    fn a_file_replaces_the_table_at_once() {
        let f = file("\tchain input {\n\t}\n");
        assert!(f.starts_with("table inet stratus {}\ndelete table inet stratus\n"));
        assert!(f.ends_with("table inet stratus {\n\tchain input {\n\t}\n}\n"));
    }
}
