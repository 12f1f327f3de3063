//! Listener rule conditions: reading them from a request (legacy `Values` or
//! the per-field configurations), AWS's validation of their values and
//! limits, and how DescribeRules shows them back. A data plane evaluates
//! the normalized [`ConditionRec`]s.

use stratus_core::AwsError;

use crate::errors::validation;
use crate::generated::{
    HostHeaderConditionConfig, HttpHeaderConditionConfig, HttpRequestMethodConditionConfig,
    PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair, RuleCondition,
    SourceIpConditionConfig,
};
use crate::state::ConditionRec;

pub const FIELDS: &[&str] = &[
    "http-header",
    "http-request-method",
    "host-header",
    "path-pattern",
    "query-string",
    "source-ip",
];

/// Condition values (and wildcards) one rule may carry.
pub const MAX_VALUES: usize = 5;
pub const MAX_WILDCARDS: usize = 5;

fn config_name(field: &str) -> &'static str {
    match field {
        "host-header" => "HostHeaderConfig",
        "path-pattern" => "PathPatternConfig",
        "http-header" => "HttpHeaderConfig",
        "http-request-method" => "HttpRequestMethodConfig",
        "query-string" => "QueryStringConfig",
        _ => "SourceIpConfig",
    }
}

/// Reads one condition, refusing a configuration that belongs to another
/// field and a field given both ways.
pub fn from_api(c: RuleCondition) -> Result<ConditionRec, AwsError> {
    let Some(field) = c.field.clone() else {
        return Err(validation("A condition field must be specified"));
    };
    if !FIELDS.contains(&field.as_str()) {
        return Err(validation(format!(
            "Condition field '{field}' must be one of '[{}]'",
            FIELDS.join(", ")
        )));
    }
    let given: Vec<&str> = [
        c.host_header_config.is_some().then_some("host-header"),
        c.path_pattern_config.is_some().then_some("path-pattern"),
        c.http_header_config.is_some().then_some("http-header"),
        c.http_request_method_config
            .is_some()
            .then_some("http-request-method"),
        c.query_string_config.is_some().then_some("query-string"),
        c.source_ip_config.is_some().then_some("source-ip"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(other) = given.iter().find(|g| **g != field) {
        return Err(validation(format!(
            "A '{}' cannot be specified for condition field '{field}'",
            config_name(other)
        )));
    }
    let legacy = c.values.clone();
    let has_config = !given.is_empty();
    if legacy.is_some() && has_config {
        return Err(validation(format!(
            "You cannot specify both 'Values' and '{}' for condition field '{field}'",
            config_name(&field)
        )));
    }
    let mut rec = ConditionRec {
        field: field.clone(),
        legacy: legacy.is_some(),
        ..Default::default()
    };
    match field.as_str() {
        "host-header" | "path-pattern" => {
            let (values, regex) =
                match (field.as_str(), c.host_header_config, c.path_pattern_config) {
                    ("host-header", Some(h), _) => (h.values, h.regex_values),
                    ("path-pattern", _, Some(p)) => (p.values, p.regex_values),
                    _ => (legacy, c.regex_values),
                };
            rec.values = values.unwrap_or_default();
            rec.regex_values = regex.unwrap_or_default();
        }
        _ if legacy.is_some() => {
            return Err(validation(format!(
                "You must specify '{}' for condition field '{field}'; 'Values' is only supported for 'host-header' and 'path-pattern'",
                config_name(&field)
            )));
        }
        "http-header" => {
            let h = c.http_header_config.unwrap_or_default();
            rec.header_name = h.http_header_name;
            rec.values = h.values.unwrap_or_default();
            rec.regex_values = h.regex_values.unwrap_or_default();
            if rec.header_name.as_deref().unwrap_or("").is_empty() {
                return Err(validation(
                    "An HTTP header name must be specified for condition field 'http-header'",
                ));
            }
        }
        "http-request-method" => {
            rec.values = c
                .http_request_method_config
                .and_then(|m| m.values)
                .unwrap_or_default();
        }
        "query-string" => {
            rec.query = c
                .query_string_config
                .and_then(|q| q.values)
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.key, p.value.unwrap_or_default()))
                .collect();
        }
        _ => {
            rec.values = c
                .source_ip_config
                .and_then(|s| s.values)
                .unwrap_or_default();
        }
    }
    Ok(rec)
}

fn count(c: &ConditionRec) -> usize {
    c.values.len() + c.regex_values.len() + c.query.len()
}

fn wildcards(c: &ConditionRec) -> usize {
    let n = |s: &str| s.chars().filter(|ch| *ch == '*' || *ch == '?').count();
    match c.field.as_str() {
        "host-header" | "path-pattern" | "http-header" => c.values.iter().map(|v| n(v)).sum(),
        "query-string" => c
            .query
            .iter()
            .map(|(k, v)| k.as_deref().map_or(0, n) + n(v))
            .sum(),
        _ => 0,
    }
}

fn host_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*' | '?'))
}

fn path_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '-'
                        | '.'
                        | '$'
                        | '/'
                        | '~'
                        | '"'
                        | '\''
                        | '@'
                        | ':'
                        | '+'
                        | '&'
                        | '*'
                        | '?'
                )
        })
}

fn header_name_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 40
        && v.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '!' | '#'
                        | '$'
                        | '%'
                        | '&'
                        | '\''
                        | '*'
                        | '+'
                        | '-'
                        | '.'
                        | '^'
                        | '_'
                        | '`'
                        | '|'
                        | '~'
                )
        })
}

fn method_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 40
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c == '-' || c == '_')
}

/// An IPv4 or IPv6 block in CIDR notation.
pub fn cidr_ok(v: &str) -> bool {
    let Some((addr, len)) = v.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    if let Ok(_a) = addr.parse::<std::net::Ipv4Addr>() {
        return len <= 32;
    }
    addr.parse::<std::net::Ipv6Addr>().is_ok() && len <= 128
}

/// AWS's checks on a rule's conditions: each value's form, one condition per
/// field (headers: per header name), at most five values and five wildcards.
pub fn validate(conds: &[ConditionRec]) -> Result<(), AwsError> {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for c in conds {
        let key = (
            c.field.clone(),
            c.header_name.as_ref().map(|h| h.to_ascii_lowercase()),
        );
        if seen.contains(&key) {
            return Err(validation(format!(
                "A rule cannot have more than one '{}' condition",
                c.field
            )));
        }
        seen.push(key);
        if count(c) == 0 {
            return Err(validation(format!(
                "A condition value must be specified for condition field '{}'",
                c.field
            )));
        }
        for v in c.values.iter() {
            let ok = match c.field.as_str() {
                "host-header" => host_ok(v),
                "path-pattern" => path_ok(v),
                "http-header" => !v.is_empty() && v.len() <= 128,
                "http-request-method" => method_ok(v),
                _ => cidr_ok(v),
            };
            if !ok {
                return Err(validation(match c.field.as_str() {
                    "host-header" => format!("The host header value '{v}' is not valid"),
                    "path-pattern" => format!("The path pattern value '{v}' is not valid"),
                    "http-header" => format!("The HTTP header value '{v}' is not valid"),
                    "http-request-method" => {
                        format!("The HTTP request method '{v}' is not valid")
                    }
                    _ => format!("The source IP value '{v}' is not a valid CIDR block"),
                }));
            }
        }
        if let Some(h) = &c.header_name
            && !header_name_ok(h)
        {
            return Err(validation(format!(
                "The HTTP header name '{h}' is not valid"
            )));
        }
        for (k, v) in &c.query {
            if v.is_empty()
                || v.len() > 128
                || k.as_ref().is_some_and(|k| k.is_empty() || k.len() > 128)
            {
                return Err(validation(format!(
                    "The query string pair '{}={v}' is not valid",
                    k.as_deref().unwrap_or("")
                )));
            }
        }
    }
    let total: usize = conds.iter().map(count).sum();
    if total > MAX_VALUES {
        return Err(validation(format!(
            "A rule can only have '{MAX_VALUES}' condition values"
        )));
    }
    let wild: usize = conds.iter().map(wildcards).sum();
    if wild > MAX_WILDCARDS {
        return Err(validation(format!(
            "A rule can only have '{MAX_WILDCARDS}' wildcards"
        )));
    }
    Ok(())
}

fn some_vec<T>(v: &[T]) -> Option<Vec<T>>
where
    T: Clone,
{
    (!v.is_empty()).then(|| v.to_vec())
}

/// The condition as DescribeRules shows it: host and path conditions with
/// both `Values` and their configuration, the others with their
/// configuration only.
pub fn to_api(c: &ConditionRec) -> RuleCondition {
    let mut out = RuleCondition {
        field: Some(c.field.clone()),
        ..Default::default()
    };
    match c.field.as_str() {
        "host-header" => {
            out.values = Some(c.values.clone());
            out.host_header_config = Some(HostHeaderConditionConfig {
                values: Some(c.values.clone()),
                regex_values: some_vec(&c.regex_values),
            });
        }
        "path-pattern" => {
            out.values = Some(c.values.clone());
            out.path_pattern_config = Some(PathPatternConditionConfig {
                values: Some(c.values.clone()),
                regex_values: some_vec(&c.regex_values),
            });
        }
        "http-header" => {
            out.http_header_config = Some(HttpHeaderConditionConfig {
                http_header_name: c.header_name.clone(),
                values: Some(c.values.clone()),
                regex_values: some_vec(&c.regex_values),
            });
        }
        "http-request-method" => {
            out.http_request_method_config = Some(HttpRequestMethodConditionConfig {
                values: Some(c.values.clone()),
            });
        }
        "query-string" => {
            out.query_string_config = Some(QueryStringConditionConfig {
                values: Some(
                    c.query
                        .iter()
                        .map(|(k, v)| QueryStringKeyValuePair {
                            key: k.clone(),
                            value: Some(v.clone()),
                        })
                        .collect(),
                ),
            });
        }
        _ => {
            out.source_ip_config = Some(SourceIpConditionConfig {
                values: Some(c.values.clone()),
                ip_address_type: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(values: &[&str]) -> RuleCondition {
        RuleCondition {
            field: Some("host-header".into()),
            values: Some(values.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    fn read(c: RuleCondition) -> Result<ConditionRec, String> {
        from_api(c).map_err(|e| e.message)
    }

    fn check(cs: Vec<RuleCondition>) -> Result<(), String> {
        let recs = cs
            .into_iter()
            .map(from_api)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.message)?;
        validate(&recs).map_err(|e| e.message)
    }

    #[test]
    fn legacy_values_and_configs_read_alike() {
        let a = read(host(&["example.com"])).unwrap();
        let b = read(RuleCondition {
            field: Some("host-header".into()),
            host_header_config: Some(HostHeaderConditionConfig {
                values: Some(vec!["example.com".into()]),
                regex_values: None,
            }),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(a.values, b.values);
        assert!(a.legacy && !b.legacy);
        let shown = to_api(&b);
        assert_eq!(shown.values, Some(vec!["example.com".to_string()]));
        assert!(shown.host_header_config.is_some());
    }

    #[test]
    fn unknown_fields_and_mismatched_configs_are_refused() {
        let e = read(RuleCondition {
            field: Some("cookie".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            e,
            "Condition field 'cookie' must be one of '[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]'"
        );
        assert!(
            read(RuleCondition {
                field: Some("path-pattern".into()),
                host_header_config: Some(HostHeaderConditionConfig::default()),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            read(RuleCondition {
                field: Some("http-request-method".into()),
                values: Some(vec!["GET".into()]),
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn values_are_checked_per_field() {
        assert!(check(vec![host(&["*.example.com"])]).is_ok());
        assert!(check(vec![host(&["exa mple.com"])]).is_err());
        assert!(check(vec![host(&[])]).is_err());
        let method = |m: &str| RuleCondition {
            field: Some("http-request-method".into()),
            http_request_method_config: Some(HttpRequestMethodConditionConfig {
                values: Some(vec![m.into()]),
            }),
            ..Default::default()
        };
        assert!(check(vec![method("GET")]).is_ok());
        assert!(check(vec![method("get")]).is_err());
        let ip = |v: &str| RuleCondition {
            field: Some("source-ip".into()),
            source_ip_config: Some(SourceIpConditionConfig {
                values: Some(vec![v.into()]),
                ip_address_type: None,
            }),
            ..Default::default()
        };
        assert!(check(vec![ip("10.0.0.0/16")]).is_ok());
        assert!(check(vec![ip("2001:db8::/32")]).is_ok());
        assert!(check(vec![ip("10.0.0.0")]).is_err());
        assert!(check(vec![ip("10.0.0.0/33")]).is_err());
        let header = |name: &str| RuleCondition {
            field: Some("http-header".into()),
            http_header_config: Some(HttpHeaderConditionConfig {
                http_header_name: Some(name.into()),
                values: Some(vec!["a*".into()]),
                regex_values: None,
            }),
            ..Default::default()
        };
        assert!(check(vec![header("User-Agent"), header("X-Env")]).is_ok());
        assert!(check(vec![header("X-Env"), header("x-env")]).is_err());
        assert!(check(vec![header("Bad Header")]).is_err());
        let query = RuleCondition {
            field: Some("query-string".into()),
            query_string_config: Some(QueryStringConditionConfig {
                values: Some(vec![QueryStringKeyValuePair {
                    key: Some("version".into()),
                    value: Some("v1".into()),
                }]),
            }),
            ..Default::default()
        };
        assert!(check(vec![query]).is_ok());
    }

    #[test]
    fn limits_apply_across_the_rule() {
        assert!(
            check(vec![host(&["a.com", "b.com", "c.com"]), {
                let mut p = host(&["/a", "/b"]);
                p.field = Some("path-pattern".into());
                p
            }])
            .is_ok()
        );
        assert_eq!(
            check(vec![host(&[
                "a.com", "b.com", "c.com", "d.com", "e.com", "f.com"
            ])])
            .unwrap_err(),
            "A rule can only have '5' condition values"
        );
        assert!(check(vec![host(&["a.com"]), host(&["b.com"])]).is_err());
        assert_eq!(
            check(vec![host(&["*.a?*", "*?*.b"])]).unwrap_err(),
            "A rule can only have '5' wildcards"
        );
    }
}
