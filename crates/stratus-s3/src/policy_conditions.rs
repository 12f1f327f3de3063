//! The `Condition` block of a bucket policy statement, for anonymous
//! requests the IAM engine never sees (website visitors): the common keys
//! S3 users write (aws:SourceIp, aws:SecureTransport, aws:Referer,
//! aws:UserAgent, s3:ExistingObjectTag/<key>) with IAM's operators.

use std::net::IpAddr;

use serde_json::Value;

use crate::policy::glob;

/// What the request tells the conditions.
#[derive(Debug, Default, Clone)]
pub struct RequestFacts {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub referer: Option<String>,
    pub user_agent: Option<String>,
    /// The tags of the object read, when there is one.
    pub object_tags: Vec<(String, String)>,
}

impl RequestFacts {
    /// The values of a condition key (names are case-insensitive); `None`
    /// when the request does not carry it.
    fn values(&self, key: &str) -> Option<Vec<String>> {
        let k = key.to_ascii_lowercase();
        if let Some(tag) = k.strip_prefix("s3:existingobjecttag/") {
            // Tag keys keep their case: match the original spelling.
            let tag = &key[key.len() - tag.len()..];
            return self
                .object_tags
                .iter()
                .find(|(t, _)| t == tag)
                .map(|(_, v)| vec![v.clone()]);
        }
        match k.as_str() {
            "aws:sourceip" => self.source_ip.map(|ip| vec![ip.to_string()]),
            "aws:securetransport" => Some(vec![self.secure_transport.to_string()]),
            "aws:referer" => self.referer.clone().map(|r| vec![r]),
            "aws:useragent" => self.user_agent.clone().map(|u| vec![u]),
            _ => None,
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `addr` inside `cidr` (`192.0.2.0/24`, `2001:db8::/32`, or one address).
fn in_cidr(addr: IpAddr, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = net.trim().parse::<IpAddr>() else {
        return false;
    };
    let (a, n, width) = match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        // An IPv4 client seen through an IPv6 socket.
        (IpAddr::V6(a), IpAddr::V4(n)) => match a.to_ipv4_mapped() {
            Some(a4) => (u32::from(a4) as u128, u32::from(n) as u128, 32),
            None => return false,
        },
        _ => return false,
    };
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (n >> shift)
}

/// Whether one operator's test holds for one value.
fn test(op: &str, actual: &str, wanted: &str) -> Option<bool> {
    Some(match op {
        "stringequals" => actual == wanted,
        "stringequalsignorecase" => actual.eq_ignore_ascii_case(wanted),
        "stringlike" => glob(wanted, actual),
        "bool" => actual.eq_ignore_ascii_case(wanted),
        "ipaddress" => actual.parse().is_ok_and(|ip| in_cidr(ip, wanted)),
        _ => return None,
    })
}

/// The positive operator a negated one inverts.
fn negation(op: &str) -> Option<&'static str> {
    Some(match op {
        "stringnotequals" => "stringequals",
        "stringnotequalsignorecase" => "stringequalsignorecase",
        "stringnotlike" => "stringlike",
        "notipaddress" => "ipaddress",
        _ => return None,
    })
}

/// One `Operator: {key: values}` entry. `None`: an operator this evaluator
/// does not know, which makes the statement not apply.
fn entry(op: &str, key: &str, wanted: &Value, facts: &RequestFacts) -> Option<bool> {
    let mut op = op.to_ascii_lowercase();
    let mut set = None;
    for prefix in ["forallvalues:", "foranyvalue:"] {
        if let Some(rest) = op.strip_prefix(prefix) {
            set = Some(prefix);
            op = rest.to_string();
        }
    }
    let if_exists = op.ends_with("ifexists");
    if if_exists {
        op.truncate(op.len() - "ifexists".len());
    }
    let wanted = strings(wanted);
    let actual = facts.values(key);
    if op == "null" {
        let absent = actual.is_none();
        return Some(
            wanted
                .iter()
                .any(|w| w.eq_ignore_ascii_case(&absent.to_string())),
        );
    }
    let Some(actual) = actual else {
        // A missing key satisfies IfExists and negated operators only.
        return Some(if_exists || negation(&op).is_some() || set == Some("forallvalues:"));
    };
    let (positive, negated) = match negation(&op) {
        Some(p) => (p.to_string(), true),
        None => (op, false),
    };
    let mut hits = Vec::with_capacity(actual.len());
    for a in &actual {
        let mut any = false;
        for w in &wanted {
            any |= test(&positive, a, w)?;
        }
        hits.push(any != negated);
    }
    Some(match set {
        Some("forallvalues:") => hits.iter().all(|&h| h),
        _ => hits.iter().any(|&h| h),
    })
}

/// Whether every condition of a statement holds (a statement applies only
/// then); an operator or block this evaluator cannot read never holds.
pub fn holds(condition: &Value, facts: &RequestFacts) -> bool {
    let Some(ops) = condition.as_object() else {
        return false;
    };
    ops.iter().all(|(op, keys)| {
        keys.as_object().is_some_and(|keys| {
            keys.iter()
                .all(|(k, v)| entry(op, k, v, facts).unwrap_or(false))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> RequestFacts {
        RequestFacts {
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: false,
            referer: Some("http://www.example.com/page".into()),
            user_agent: Some("curl/8.5.0".into()),
            object_tags: vec![("public".into(), "yes".into())],
        }
    }

    #[test]
    fn source_ip_ranges() {
        let f = facts();
        assert!(holds(
            &json!({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
            &f
        ));
        assert!(holds(
            &json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.1/32"]}}),
            &f
        ));
        assert!(!holds(
            &json!({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}),
            &f
        ));
        assert!(holds(
            &json!({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}),
            &f
        ));
        assert!(!holds(
            &json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
            &f
        ));
        let v6 = RequestFacts {
            source_ip: Some("::ffff:127.0.0.1".parse().unwrap()),
            ..facts()
        };
        assert!(holds(
            &json!({"IpAddress": {"aws:SourceIp": "127.0.0.1"}}),
            &v6
        ));
    }

    #[test]
    fn secure_transport_is_false_over_http() {
        let f = facts();
        assert!(holds(
            &json!({"Bool": {"aws:SecureTransport": "false"}}),
            &f
        ));
        assert!(!holds(
            &json!({"Bool": {"aws:SecureTransport": "true"}}),
            &f
        ));
        assert!(holds(&json!({"Bool": {"aws:SecureTransport": false}}), &f));
    }

    #[test]
    fn referer_and_user_agent() {
        let f = facts();
        assert!(holds(
            &json!({"StringLike": {"aws:Referer": ["http://www.example.com/*"]}}),
            &f
        ));
        assert!(!holds(
            &json!({"StringLike": {"aws:Referer": "http://other.example/*"}}),
            &f
        ));
        assert!(holds(
            &json!({"StringNotLike": {"aws:UserAgent": "*bot*"}}),
            &f
        ));
        assert!(!holds(
            &json!({"StringEquals": {"aws:UserAgent": "curl"}}),
            &f
        ));
        // Without a Referer, a positive test fails and IfExists passes.
        let bare = RequestFacts {
            referer: None,
            ..facts()
        };
        assert!(!holds(&json!({"StringLike": {"aws:Referer": "*"}}), &bare));
        assert!(holds(
            &json!({"StringLikeIfExists": {"aws:Referer": "http://x/*"}}),
            &bare
        ));
        assert!(holds(&json!({"Null": {"aws:Referer": "true"}}), &bare));
        assert!(!holds(&json!({"Null": {"aws:Referer": "true"}}), &f));
    }

    #[test]
    fn existing_object_tags() {
        let f = facts();
        assert!(holds(
            &json!({"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}),
            &f
        ));
        assert!(!holds(
            &json!({"StringEquals": {"s3:ExistingObjectTag/public": "no"}}),
            &f
        ));
        assert!(!holds(
            &json!({"StringEquals": {"s3:ExistingObjectTag/Public": "yes"}}),
            &f
        ));
    }

    #[test]
    fn every_entry_must_hold_and_unknown_operators_never_do() {
        let f = facts();
        assert!(!holds(
            &json!({
                "IpAddress": {"aws:SourceIp": "127.0.0.1"},
                "StringEquals": {"aws:UserAgent": "wget"}
            }),
            &f
        ));
        assert!(!holds(
            &json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            &f
        ));
        assert!(!holds(
            &json!({"StringEquals": {"aws:PrincipalAccount": "123"}}),
            &f
        ));
    }
}
