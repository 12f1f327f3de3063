//! Subscription filter policies, matched as SNS matches them: on message
//! attributes or on the JSON message body, with exact values, `prefix`,
//! `suffix`, `equals-ignore-case`, `wildcard`, `cidr`, `anything-but`,
//! `numeric` ranges, `exists` and `$or`. Pure functions over JSON.

use std::net::IpAddr;

use serde_json::{Map, Value as Json};

/// Where a policy looks (the `FilterPolicyScope` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

/// Parses and checks a policy; the error is the reason AWS gives after
/// "Invalid parameter: FilterPolicy: ".
pub fn parse(policy: &str) -> Result<Json, String> {
    let v: Json = serde_json::from_str(policy).map_err(|_| "failed to parse JSON.".to_string())?;
    let Json::Object(m) = &v else {
        return Err("Filter policy must be a JSON object".into());
    };
    check_object(m)?;
    Ok(v)
}

fn check_object(m: &Map<String, Json>) -> Result<(), String> {
    if m.is_empty() {
        return Err("Empty filter policy".into());
    }
    for (k, v) in m {
        match (k.as_str(), v) {
            ("$or", Json::Array(alts)) if alts.len() >= 2 => {
                for a in alts {
                    match a {
                        Json::Object(o) => check_object(o)?,
                        _ => return Err("$or must be an array of objects".into()),
                    }
                }
            }
            ("$or", _) => return Err("$or must be an array of at least two objects".into()),
            (_, Json::Object(o)) => check_object(o)?,
            (_, Json::Array(conds)) => {
                if conds.is_empty() {
                    return Err(format!("Empty arrays are not allowed for key {k}"));
                }
                for c in conds {
                    check_condition(c)?;
                }
            }
            _ => return Err(format!("\"{k}\" must be an object or an array")),
        }
    }
    Ok(())
}

fn check_condition(c: &Json) -> Result<(), String> {
    let Json::Object(o) = c else {
        return Ok(());
    };
    let Some((op, arg)) = o.iter().next().filter(|_| o.len() == 1) else {
        return Err("Match objects must have exactly one key".into());
    };
    match op.as_str() {
        "prefix" | "suffix" | "equals-ignore-case" if arg.is_string() => Ok(()),
        "exists" if arg.is_boolean() => Ok(()),
        "wildcard" => check_wildcard(arg),
        "cidr" => Cidr::parse(arg).map(|_| ()),
        "anything-but" => match arg {
            Json::String(_) | Json::Number(_) => Ok(()),
            Json::Array(a) if a.iter().all(|x| x.is_string() || x.is_number()) => Ok(()),
            Json::Object(inner) if inner.len() == 1 => match inner.iter().next() {
                Some((k, v))
                    if matches!(k.as_str(), "prefix" | "suffix" | "equals-ignore-case")
                        && v.is_string() =>
                {
                    Ok(())
                }
                _ => Err("Unsupported anything-but pattern".into()),
            },
            _ => Err("Invalid anything-but value".into()),
        },
        "numeric" => {
            let Json::Array(parts) = arg else {
                return Err("Value of numeric must be an array.".into());
            };
            if parts.is_empty() || parts.len() % 2 != 0 || parts.len() > 4 {
                return Err("Invalid numeric range".into());
            }
            for pair in parts.chunks(2) {
                let op_ok = pair[0]
                    .as_str()
                    .is_some_and(|o| matches!(o, "=" | "<" | "<=" | ">" | ">="));
                if !op_ok || !pair[1].is_number() {
                    return Err(format!("Unrecognized numeric range operator: {}", pair[0]));
                }
            }
            Ok(())
        }
        _ => Err(format!("Unrecognized match type {op}")),
    }
}

fn check_wildcard(arg: &Json) -> Result<(), String> {
    let Some(p) = arg.as_str() else {
        return Err("wildcard match pattern must be a string".into());
    };
    let mut prev_star = false;
    let mut chars = p.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                // Only `\*` and `\\` are escapes.
                match chars.next() {
                    Some((_, '*' | '\\')) => {}
                    _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
                }
                prev_star = false;
            }
            '*' if prev_star => {
                return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
            }
            '*' => prev_star = true,
            _ => prev_star = false,
        }
    }
    Ok(())
}

/// A `cidr` operand: an IPv4 or IPv6 network.
struct Cidr {
    net: IpAddr,
    bits: u32,
}

impl Cidr {
    fn parse(arg: &Json) -> Result<Cidr, String> {
        let Some(s) = arg.as_str() else {
            return Err("prefix match pattern must be a string".into());
        };
        let Some((ip, bits)) = s.split_once('/').filter(|(_, b)| !b.contains('/')) else {
            return Err("Malformed CIDR, one '/' required".into());
        };
        let bits: u32 = bits
            .parse()
            .map_err(|_| "Malformed CIDR, mask bits must be an integer".to_string())?;
        let net: IpAddr = ip
            .parse()
            .map_err(|_| format!("Nonstandard IP address: {ip}"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        if bits > max {
            return Err(format!("Nonstandard IP address: {ip}"));
        }
        Ok(Cidr { net, bits })
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.bits).unwrap_or(0);
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.bits).unwrap_or(0);
                u128::from(n) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

/// `*` matches any run of characters (none too); `\*` is a star, `\\` a backslash.
fn wildcard_matches(pattern: &str, s: &str) -> bool {
    // Tokens: Some(c) a literal character, None a wildcard.
    let mut tokens: Vec<Option<char>> = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(chars.next()),
            '*' => tokens.push(None),
            c => tokens.push(Some(c)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Greedy match with backtracking to the last star: linear in practice.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Some(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(None) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(Option::is_none)
}

/// Whether a message passes the policy. `attributes` are the message
/// attributes as JSON values (strings, numbers, arrays for `String.Array`).
pub fn matches(policy: &Json, scope: Scope, attributes: &Map<String, Json>, body: &str) -> bool {
    let Json::Object(p) = policy else {
        return false;
    };
    match scope {
        Scope::MessageAttributes => object_matches(p, attributes, false),
        Scope::MessageBody => match serde_json::from_str::<Json>(body) {
            Ok(Json::Object(b)) => object_matches(p, &b, true),
            _ => false,
        },
    }
}

fn object_matches(policy: &Map<String, Json>, value: &Map<String, Json>, nested: bool) -> bool {
    policy.iter().all(|(k, cond)| match (k.as_str(), cond) {
        ("$or", Json::Array(alts)) => alts.iter().any(|a| match a {
            Json::Object(o) => object_matches(o, value, nested),
            _ => false,
        }),
        (_, Json::Object(inner)) if nested => match value.get(k) {
            Some(Json::Object(v)) => object_matches(inner, v, nested),
            _ => inner_absent_ok(inner),
        },
        (_, Json::Array(conds)) => conds.iter().any(|c| condition_matches(c, value.get(k))),
        _ => false,
    })
}

/// A nested policy over a missing object matches only if all its leaves
/// ask for absence.
fn inner_absent_ok(policy: &Map<String, Json>) -> bool {
    policy.values().all(|c| match c {
        Json::Array(conds) => conds.iter().any(|c| condition_matches(c, None)),
        Json::Object(o) => inner_absent_ok(o),
        _ => false,
    })
}

fn condition_matches(cond: &Json, field: Option<&Json>) -> bool {
    if let Some(Json::Bool(want)) = cond.get("exists") {
        return field.is_some() == *want;
    }
    let Some(field) = field else {
        return false;
    };
    match field {
        Json::Array(items) => items.iter().any(|v| scalar_matches(cond, v)),
        v => scalar_matches(cond, v),
    }
}

fn scalar_matches(cond: &Json, v: &Json) -> bool {
    match cond {
        Json::String(s) => v.as_str() == Some(s),
        Json::Number(n) => match (n.as_f64(), v.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        Json::Null => v.is_null(),
        Json::Bool(b) => v.as_bool() == Some(*b),
        Json::Object(o) => {
            let Some((op, arg)) = o.iter().next() else {
                return false;
            };
            match op.as_str() {
                "prefix" | "suffix" | "equals-ignore-case" => string_op(op, arg, v),
                "wildcard" => match (arg.as_str(), v.as_str()) {
                    (Some(p), Some(s)) => wildcard_matches(p, s),
                    _ => false,
                },
                "cidr" => match (Cidr::parse(arg), v.as_str().and_then(|s| s.parse().ok())) {
                    (Ok(net), Some(ip)) => net.contains(&ip),
                    _ => false,
                },
                "anything-but" => match arg {
                    Json::Array(excluded) => !excluded.iter().any(|x| scalar_matches(x, v)),
                    Json::Object(inner) => match inner.iter().next() {
                        Some((iop, iarg)) => v.is_string() && !string_op(iop, iarg, v),
                        None => false,
                    },
                    x => !scalar_matches(x, v),
                },
                "numeric" => numeric(arg, v),
                _ => false,
            }
        }
        Json::Array(_) => false,
    }
}

fn string_op(op: &str, arg: &Json, v: &Json) -> bool {
    let (Some(a), Some(s)) = (arg.as_str(), v.as_str()) else {
        return false;
    };
    match op {
        "prefix" => s.starts_with(a),
        "suffix" => s.ends_with(a),
        "equals-ignore-case" => s.to_lowercase() == a.to_lowercase(),
        _ => false,
    }
}

fn numeric(arg: &Json, v: &Json) -> bool {
    let (Json::Array(parts), Some(x)) = (arg, v.as_f64()) else {
        return false;
    };
    parts.chunks(2).all(|pair| {
        let (Some(op), Some(n)) = (pair[0].as_str(), pair.get(1).and_then(Json::as_f64)) else {
            return false;
        };
        match op {
            "=" => x == n,
            "<" => x < n,
            "<=" => x <= n,
            ">" => x > n,
            ">=" => x >= n,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn on_attrs(policy: Json, a: Json) -> bool {
        let p = parse(&policy.to_string()).expect("valid policy");
        matches(&p, Scope::MessageAttributes, &attrs(a), "")
    }

    fn on_body(policy: Json, body: Json) -> bool {
        let p = parse(&policy.to_string()).expect("valid policy");
        matches(&p, Scope::MessageBody, &Map::new(), &body.to_string())
    }

    #[test]
    fn exact_values_and_arrays() {
        assert!(on_attrs(
            json!({"color": ["red", "blue"]}),
            json!({"color": "blue"})
        ));
        assert!(!on_attrs(
            json!({"color": ["red"]}),
            json!({"color": "green"})
        ));
        assert!(!on_attrs(json!({"color": ["red"]}), json!({})));
        assert!(on_attrs(json!({"size": [10]}), json!({"size": 10.0})));
        assert!(on_attrs(
            json!({"tags": ["b"]}),
            json!({"tags": ["a", "b"]})
        ));
        // Every key must match.
        assert!(!on_attrs(
            json!({"a": ["1"], "b": ["2"]}),
            json!({"a": "1", "b": "3"})
        ));
    }

    #[test]
    fn string_operators() {
        assert!(on_attrs(
            json!({"s": [{"prefix": "ord"}]}),
            json!({"s": "order-1"})
        ));
        assert!(!on_attrs(
            json!({"s": [{"prefix": "ord"}]}),
            json!({"s": "xorder"})
        ));
        assert!(on_attrs(
            json!({"s": [{"suffix": ".png"}]}),
            json!({"s": "a.png"})
        ));
        assert!(on_attrs(
            json!({"s": [{"equals-ignore-case": "RED"}]}),
            json!({"s": "rEd"})
        ));
    }

    #[test]
    fn anything_but() {
        assert!(on_attrs(
            json!({"s": [{"anything-but": "red"}]}),
            json!({"s": "blue"})
        ));
        assert!(!on_attrs(
            json!({"s": [{"anything-but": ["red", "blue"]}]}),
            json!({"s": "blue"})
        ));
        assert!(!on_attrs(
            json!({"s": [{"anything-but": "red"}]}),
            json!({})
        ));
        assert!(on_attrs(
            json!({"n": [{"anything-but": [1, 2]}]}),
            json!({"n": 3})
        ));
        assert!(!on_attrs(
            json!({"s": [{"anything-but": {"prefix": "x"}}]}),
            json!({"s": "xy"})
        ));
        assert!(on_attrs(
            json!({"s": [{"anything-but": {"prefix": "x"}}]}),
            json!({"s": "yx"})
        ));
    }

    #[test]
    fn numeric_ranges() {
        let p = json!({"price": [{"numeric": [">", 0, "<=", 100]}]});
        assert!(on_attrs(p.clone(), json!({"price": 100})));
        assert!(!on_attrs(p.clone(), json!({"price": 0})));
        assert!(!on_attrs(p.clone(), json!({"price": "50"})));
        assert!(on_attrs(
            json!({"n": [{"numeric": ["=", 3.5]}]}),
            json!({"n": 3.5})
        ));
    }

    #[test]
    fn exists() {
        assert!(on_attrs(
            json!({"k": [{"exists": true}]}),
            json!({"k": "v"})
        ));
        assert!(!on_attrs(json!({"k": [{"exists": true}]}), json!({})));
        assert!(on_attrs(json!({"k": [{"exists": false}]}), json!({})));
        assert!(!on_attrs(
            json!({"k": [{"exists": false}]}),
            json!({"k": 1})
        ));
    }

    #[test]
    fn or_and_nested_body() {
        let p = json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]});
        assert!(on_attrs(p.clone(), json!({"b": "2"})));
        assert!(!on_attrs(p, json!({"a": "2"})));
        let body = json!({"order": {"kind": "book", "total": 12}, "region": "eu"});
        assert!(on_body(
            json!({"order": {"kind": ["book"], "total": [{"numeric": [">", 10]}]}}),
            body.clone()
        ));
        assert!(!on_body(
            json!({"order": {"kind": ["music"]}}),
            body.clone()
        ));
        assert!(on_body(
            json!({"missing": {"x": [{"exists": false}]}}),
            body.clone()
        ));
        let p = parse(&json!({"a": ["1"]}).to_string()).unwrap();
        assert!(!matches(&p, Scope::MessageBody, &Map::new(), "not json"));
    }

    #[test]
    fn wildcard_matching_as_documented() {
        let p = json!({"customer_interests": [{"wildcard": "*ball*"}]});
        assert!(on_attrs(
            p.clone(),
            json!({"customer_interests": "baseball"})
        ));
        assert!(on_attrs(p.clone(), json!({"customer_interests": "ball"})));
        assert!(on_attrs(
            p.clone(),
            json!({"customer_interests": ["rugby", "basketball"]})
        ));
        assert!(!on_attrs(p, json!({"customer_interests": "rugby"})));
        let p = json!({"file": [{"wildcard": "dir/*.png"}]});
        assert!(on_attrs(p.clone(), json!({"file": "dir/a.png"})));
        assert!(!on_attrs(p.clone(), json!({"file": "dir/a.png.txt"})));
        assert!(!on_attrs(p, json!({"file": "other/a.png"})));
        assert!(on_body(
            json!({"order": {"id": [{"wildcard": "A*-*9"}]}}),
            json!({"order": {"id": "AB-1239"}})
        ));
        // An escaped star is a literal star.
        assert!(on_attrs(
            json!({"k": [{"wildcard": "a\\*b"}]}),
            json!({"k": "a*b"})
        ));
        assert!(!on_attrs(
            json!({"k": [{"wildcard": "a\\*b"}]}),
            json!({"k": "axb"})
        ));
        assert!(wildcard_matches("*", ""));
        assert!(!wildcard_matches("a*", ""));
        assert!(wildcard_matches("*a*a*", "banana"));
    }

    #[test]
    fn cidr_matching_as_documented() {
        let p = json!({"source_ip": [{"cidr": "10.0.0.0/24"}]});
        assert!(on_attrs(p.clone(), json!({"source_ip": "10.0.0.255"})));
        assert!(!on_attrs(p.clone(), json!({"source_ip": "10.0.1.0"})));
        assert!(!on_attrs(p.clone(), json!({"source_ip": "not an ip"})));
        assert!(!on_attrs(p, json!({"source_ip": "2001:db8::1"})));
        let p = json!({"source_ip": [{"cidr": "2001:db8::/32"}]});
        assert!(on_attrs(
            p.clone(),
            json!({"source_ip": "2001:db8:ffff::1"})
        ));
        assert!(!on_attrs(p, json!({"source_ip": "2001:db9::1"})));
        assert!(on_attrs(
            json!({"ip": [{"cidr": "0.0.0.0/0"}]}),
            json!({"ip": "203.0.113.9"})
        ));
        assert!(on_body(
            json!({"client": {"ip": [{"cidr": "192.168.0.0/16"}]}}),
            json!({"client": {"ip": "192.168.44.1"}})
        ));
    }

    #[test]
    fn bad_wildcard_and_cidr_forms_give_aws_reasons() {
        let reason = |p: Json| parse(&p.to_string()).unwrap_err();
        assert_eq!(
            reason(json!({"k": [{"wildcard": 5}]})),
            "wildcard match pattern must be a string"
        );
        assert_eq!(
            reason(json!({"k": [{"wildcard": "a**b"}]})),
            "Consecutive wildcard characters at pos 3"
        );
        assert_eq!(
            reason(json!({"k": [{"cidr": 10}]})),
            "prefix match pattern must be a string"
        );
        assert_eq!(
            reason(json!({"k": [{"cidr": "10.0.0.0"}]})),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            reason(json!({"k": [{"cidr": "10.0.0.0/x"}]})),
            "Malformed CIDR, mask bits must be an integer"
        );
        assert_eq!(
            reason(json!({"k": [{"cidr": "10.0.0.300/24"}]})),
            "Nonstandard IP address: 10.0.0.300"
        );
        assert!(parse(&json!({"k": [{"cidr": "10.0.0.0/33"}]}).to_string()).is_err());
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(parse("nope").is_err());
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"a": "x"}"#).is_err());
        assert!(parse(r#"{"a": []}"#).is_err());
        assert!(parse(r#"{"a": [{"regex": "x"}]}"#).is_err());
        assert!(parse(r#"{"a": [{"numeric": ["~", 1]}]}"#).is_err());
        assert!(parse(r#"{"$or": [{"a": ["1"]}]}"#).is_err());
    }
}
