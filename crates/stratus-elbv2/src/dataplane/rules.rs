//! Which rule of a listener a request meets: AWS's condition matching
//! (wildcards, case rules per field, values OR'ed within a condition,
//! conditions AND'ed), rules in priority order, then the default actions.

use std::net::IpAddr;

use crate::state::{ActionRec, ConditionRec, ListenerRec, RuleRec};

/// The parts of a request that conditions read.
#[derive(Debug, Clone, Default)]
pub struct RequestView {
    pub method: String,
    /// The Host header without its port.
    pub host: String,
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header names lowercase.
    pub headers: Vec<(String, String)>,
    pub source_ip: Option<IpAddr>,
}

/// `*` matches any run of characters, `?` exactly one.
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.chars().flat_map(char::to_lowercase).collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (fold(pattern), fold(text));
    // Iterative matching with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn in_cidr(cidr: &str, ip: IpAddr) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    match (net.parse::<IpAddr>(), ip) {
        (Ok(IpAddr::V4(n)), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (Ok(IpAddr::V6(n)), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Whether one condition holds for the request.
pub fn condition_matches(c: &ConditionRec, r: &RequestView) -> bool {
    match c.field.as_str() {
        "host-header" => c.values.iter().any(|v| wildcard(v, &r.host, true)),
        "path-pattern" => c.values.iter().any(|v| wildcard(v, &r.path, false)),
        "http-request-method" => c.values.contains(&r.method),
        "http-header" => {
            let name = c.header_name.as_deref().unwrap_or("").to_ascii_lowercase();
            r.headers
                .iter()
                .filter(|(k, _)| *k == name)
                .any(|(_, hv)| c.values.iter().any(|v| wildcard(v, hv, true)))
        }
        "query-string" => c.query.iter().any(|(key, value)| {
            r.query.iter().any(|(k, v)| {
                key.as_deref().is_none_or(|key| wildcard(key, k, true)) && wildcard(value, v, true)
            })
        }),
        "source-ip" => r
            .source_ip
            .is_some_and(|ip| c.values.iter().any(|v| in_cidr(v, ip))),
        _ => false,
    }
}

/// The actions for the request, with the priority of the rule they come
/// from: the first rule (lowest priority number) whose conditions all hold,
/// else the listener's defaults (priority 0, as access logs show them).
pub fn choose<'a>(
    listener: &'a ListenerRec,
    rules: &'a [RuleRec],
    r: &RequestView,
) -> (i32, &'a [ActionRec]) {
    rules
        .iter()
        .find(|rule| rule.conditions.iter().all(|c| condition_matches(c, r)))
        .map_or((0, listener.default_actions.as_slice()), |rule| {
            (rule.priority, rule.actions.as_slice())
        })
}

/// Percent-decodes a query component (`+` is a space).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, values: &[&str]) -> ConditionRec {
        ConditionRec {
            field: field.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn req() -> RequestView {
        RequestView {
            method: "GET".into(),
            host: "api.Example.com".into(),
            path: "/img/Cat.png".into(),
            query: parse_query("version=v2&debug&name=a%20b"),
            headers: vec![("user-agent".into(), "Mozilla/5.0 (Mobile)".into())],
            source_ip: Some("192.168.1.7".parse().unwrap()),
        }
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(wildcard("*.example.com", "api.example.com", false));
        assert!(wildcard("/img/*", "/img/", false));
        assert!(wildcard("a?c", "abc", false));
        assert!(!wildcard("a?c", "ac", false));
        assert!(wildcard("*a*b*", "xxaxxbxx", false));
        assert!(!wildcard("*a*b", "xxaxxbxxc", false));
        assert!(wildcard("ABC", "abc", true));
        assert!(!wildcard("ABC", "abc", false));
        assert!(wildcard("*", "", false));
    }

    #[test]
    fn fields_follow_aws_case_rules() {
        let r = req();
        assert!(condition_matches(
            &cond("host-header", &["*.example.COM"]),
            &r
        ));
        assert!(condition_matches(
            &cond("path-pattern", &["/img/*.png"]),
            &r
        ));
        assert!(!condition_matches(
            &cond("path-pattern", &["/img/cat.png"]),
            &r
        ));
        // Values within a condition are alternatives.
        assert!(condition_matches(
            &cond("path-pattern", &["/api/*", "/img/*"]),
            &r
        ));
        assert!(condition_matches(
            &cond("http-request-method", &["POST", "GET"]),
            &r
        ));
        assert!(!condition_matches(
            &cond("http-request-method", &["get"]),
            &r
        ));
        assert!(condition_matches(
            &cond("source-ip", &["192.168.0.0/16"]),
            &r
        ));
        assert!(!condition_matches(&cond("source-ip", &["10.0.0.0/8"]), &r));
        let mut h = cond("http-header", &["*mobile*"]);
        h.header_name = Some("User-Agent".into());
        assert!(condition_matches(&h, &r));
        h.header_name = Some("X-Other".into());
        assert!(!condition_matches(&h, &r));
    }

    #[test]
    fn query_pairs_match_with_or_without_a_key() {
        let r = req();
        let mut q = cond("query-string", &[]);
        q.query = vec![(Some("VERSION".into()), "v?".into())];
        assert!(condition_matches(&q, &r));
        q.query = vec![(None, "a b".into())];
        assert!(condition_matches(&q, &r));
        q.query = vec![
            (Some("version".into()), "v1".into()),
            (Some("debug".into()), "".into()),
        ];
        assert!(condition_matches(&q, &r));
        q.query = vec![(Some("version".into()), "v1".into())];
        assert!(!condition_matches(&q, &r));
    }

    #[test]
    fn the_first_matching_rule_wins_else_the_defaults() {
        let action = |kind: &str| ActionRec {
            kind: kind.into(),
            ..Default::default()
        };
        let listener = ListenerRec {
            default_actions: vec![action("default")],
            ..Default::default()
        };
        let rules = vec![
            RuleRec {
                priority: 1,
                conditions: vec![
                    cond("path-pattern", &["/img/*"]),
                    cond("host-header", &["nope"]),
                ],
                actions: vec![action("one")],
                ..Default::default()
            },
            RuleRec {
                priority: 2,
                conditions: vec![cond("path-pattern", &["/img/*"])],
                actions: vec![action("two")],
                ..Default::default()
            },
        ];
        let (priority, actions) = choose(&listener, &rules, &req());
        assert_eq!((priority, actions[0].kind.as_str()), (2, "two"));
        let mut other = req();
        other.path = "/".into();
        let (priority, actions) = choose(&listener, &rules, &other);
        assert_eq!((priority, actions[0].kind.as_str()), (0, "default"));
    }
}
