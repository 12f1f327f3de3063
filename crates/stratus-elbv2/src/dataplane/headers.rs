//! Headers the load balancer adds to what it forwards (X-Forwarded-*,
//! X-Amzn-Trace-Id), those it must not pass on (hop-by-hop), and the
//! cookies stickiness reads and sets.

use std::net::IpAddr;

use http::HeaderMap;
use http::header::HeaderValue;

/// Headers that describe one connection, not the request (RFC 9110 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<String> = h
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    for n in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        h.remove(n);
    }
}

/// A trace id as AWS writes it: version 1, the epoch seconds in hex, 96
/// random bits.
pub fn trace_id(now_ms: i64) -> String {
    format!(
        "Root=1-{:08x}-{}",
        (now_ms / 1000) as u32,
        stratus_core::ids::hex(24)
    )
}

/// Adds X-Forwarded-For (appending the client to what came in),
/// X-Forwarded-Proto and X-Forwarded-Port, and a trace id unless the
/// request brought one.
pub fn add_forwarded(
    h: &mut HeaderMap,
    client: Option<IpAddr>,
    proto: &str,
    port: u16,
    now_ms: i64,
) {
    if let Some(ip) = client {
        let prior: Vec<&str> = h
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let value = if prior.is_empty() {
            ip.to_string()
        } else {
            format!("{}, {ip}", prior.join(", "))
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert("x-forwarded-for", v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&proto.to_ascii_lowercase()) {
        h.insert("x-forwarded-proto", v);
    }
    h.insert("x-forwarded-port", HeaderValue::from(port));
    let has_root = h
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("Root="));
    if !has_root && let Ok(v) = HeaderValue::from_str(&trace_id(now_ms)) {
        h.insert("x-amzn-trace-id", v);
    }
}

/// The value of the request cookie `name`, if any.
pub fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether a response sets the cookie `name`.
pub fn sets_cookie(h: &HeaderMap, name: &str) -> bool {
    h.get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split_once('=').is_some_and(|(k, _)| k.trim() == name))
}

/// The two cookies AWS sets for one stickiness value: the plain one and
/// its `CORS` twin with `SameSite=None`.
pub fn sticky_cookies(name: &str, value: &str, expires_ms: i64) -> [String; 2] {
    let expires = stratus_core::time::http_date(expires_ms);
    [
        format!("{name}={value}; Expires={expires}; Path=/"),
        format!("{name}CORS={value}; Expires={expires}; Path=/; SameSite=None"),
    ]
}

/// An opaque, stable token for a target or group, from which the load
/// balancer finds it again among the current candidates.
pub fn token(parts: &[&str]) -> String {
    // FNV-1a, 64 bits: stable across restarts, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_headers_append_and_trace_ids_have_aws_shape() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        h.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
        h.insert("x-hop", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert!(h.get("connection").is_none() && h.get("x-hop").is_none());
        add_forwarded(
            &mut h,
            Some("127.0.0.1".parse().unwrap()),
            "HTTP",
            80,
            1_700_000_000_000,
        );
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-port"], "80");
        let t = h["x-amzn-trace-id"].to_str().unwrap();
        assert!(t.starts_with("Root=1-6553f100-"), "{t}");
        assert_eq!(t.len(), "Root=1-6553f100-".len() + 24);
    }

    #[test]
    fn cookies_are_read_and_sticky_ones_come_in_pairs() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            HeaderValue::from_static("a=1; AWSALB=abc; AWSALBCORS=abc"),
        );
        assert_eq!(cookie(&h, "AWSALB"), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
        let [plain, cors] = sticky_cookies("AWSALB", "abc", 0);
        assert_eq!(
            plain,
            "AWSALB=abc; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
        );
        assert!(cors.starts_with("AWSALBCORS=abc;") && cors.ends_with("SameSite=None"));
        assert_eq!(token(&["tg", "i-1"]), token(&["tg", "i-1"]));
        assert_ne!(token(&["tg", "i-1"]), token(&["tg", "i-2"]));
    }
}
