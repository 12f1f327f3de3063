//! Condition operators: String*, Numeric*, Date*, Bool, BinaryEquals,
//! IpAddress, Arn*, Null, with the IfExists suffix and the ForAllValues /
//! ForAnyValue set qualifiers.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::document::ConditionClause;
use super::glob;
use super::variables::{Context, expand};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub base: Base,
    pub set: SetQualifier,
    pub if_exists: bool,
}

const BASES: &[(&str, Base)] = &[
    ("StringEquals", Base::StringEquals),
    ("StringNotEquals", Base::StringNotEquals),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Base::StringNotEqualsIgnoreCase),
    ("StringLike", Base::StringLike),
    ("StringNotLike", Base::StringNotLike),
    ("NumericEquals", Base::NumericEquals),
    ("NumericNotEquals", Base::NumericNotEquals),
    ("NumericLessThan", Base::NumericLessThan),
    ("NumericLessThanEquals", Base::NumericLessThanEquals),
    ("NumericGreaterThan", Base::NumericGreaterThan),
    ("NumericGreaterThanEquals", Base::NumericGreaterThanEquals),
    ("DateEquals", Base::DateEquals),
    ("DateNotEquals", Base::DateNotEquals),
    ("DateLessThan", Base::DateLessThan),
    ("DateLessThanEquals", Base::DateLessThanEquals),
    ("DateGreaterThan", Base::DateGreaterThan),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals),
    ("Bool", Base::Bool),
    ("BinaryEquals", Base::BinaryEquals),
    ("IpAddress", Base::IpAddress),
    ("NotIpAddress", Base::NotIpAddress),
    ("ArnEquals", Base::ArnEquals),
    ("ArnLike", Base::ArnLike),
    ("ArnNotEquals", Base::ArnNotEquals),
    ("ArnNotLike", Base::ArnNotLike),
    ("Null", Base::Null),
];

/// Reads an operator name such as `ForAnyValue:StringLikeIfExists`.
pub fn parse_operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (SetQualifier::ForAllValues, r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (SetQualifier::ForAnyValue, r)
    } else {
        (SetQualifier::None, name)
    };
    let (if_exists, rest) = match rest.strip_suffix("IfExists") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let base = BASES.iter().find(|(n, _)| *n == rest)?.1;
    if base == Base::Null && if_exists {
        return None;
    }
    Some(Operator {
        base,
        set,
        if_exists,
    })
}

impl Base {
    /// Negated operators match when no policy value matches.
    fn negated(self) -> bool {
        matches!(
            self,
            Base::StringNotEquals
                | Base::StringNotEqualsIgnoreCase
                | Base::StringNotLike
                | Base::NumericNotEquals
                | Base::DateNotEquals
                | Base::NotIpAddress
                | Base::ArnNotEquals
                | Base::ArnNotLike
        )
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Dates as AWS accepts them: ISO 8601 (date or date-time) or epoch seconds.
pub fn date_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse::<i64>().ok().map(|v| v.saturating_mul(1000));
    }
    if let Some(ms) = stratus_core::time::parse_iso8601(s) {
        return Some(ms);
    }
    if s.len() == 10 {
        return stratus_core::time::parse_iso8601(&format!("{s}T00:00:00Z"));
    }
    None
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Ok(ip) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return false;
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return false;
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// ARNs compare segment by segment; the last segment keeps its slashes and colons.
fn arn_like(pattern: &[glob::Tok], value: &str) -> bool {
    let text = glob::to_text(pattern);
    let p: Vec<&str> = text.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    if p.len() != 6 || v.len() != 6 {
        return false;
    }
    // Re-tokenise each segment from the expanded pattern so literal wildcards
    // from variables stay literal: walk the token list in step.
    let mut segs: Vec<Vec<glob::Tok>> = vec![Vec::new()];
    for t in pattern {
        if *t == glob::Tok::Lit(':') && segs.len() < 6 {
            segs.push(Vec::new());
        } else if let Some(last) = segs.last_mut() {
            last.push(t.clone());
        }
    }
    segs.len() == 6 && segs.iter().zip(v).all(|(s, v)| glob::matches(s, v, false))
}

/// Whether one request value satisfies one policy value under the positive
/// form of `base`.
fn positive(base: Base, policy: &[glob::Tok], value: &str) -> bool {
    let ptext = || glob::to_text(policy);
    match base {
        Base::StringEquals | Base::StringNotEquals => ptext() == value,
        Base::StringEqualsIgnoreCase | Base::StringNotEqualsIgnoreCase => {
            ptext().to_lowercase() == value.to_lowercase()
        }
        Base::StringLike | Base::StringNotLike => glob::matches(policy, value, false),
        Base::NumericEquals | Base::NumericNotEquals => cmp_num(&ptext(), value, |a, b| a == b),
        Base::NumericLessThan => cmp_num(&ptext(), value, |a, b| a < b),
        Base::NumericLessThanEquals => cmp_num(&ptext(), value, |a, b| a <= b),
        Base::NumericGreaterThan => cmp_num(&ptext(), value, |a, b| a > b),
        Base::NumericGreaterThanEquals => cmp_num(&ptext(), value, |a, b| a >= b),
        Base::DateEquals | Base::DateNotEquals => cmp_date(&ptext(), value, |a, b| a == b),
        Base::DateLessThan => cmp_date(&ptext(), value, |a, b| a < b),
        Base::DateLessThanEquals => cmp_date(&ptext(), value, |a, b| a <= b),
        Base::DateGreaterThan => cmp_date(&ptext(), value, |a, b| a > b),
        Base::DateGreaterThanEquals => cmp_date(&ptext(), value, |a, b| a >= b),
        Base::Bool => ptext().eq_ignore_ascii_case(value.trim()),
        Base::BinaryEquals => match (B64.decode(ptext().trim()), B64.decode(value.trim())) {
            (Ok(a), Ok(b)) => a == b,
            _ => ptext() == value,
        },
        Base::IpAddress | Base::NotIpAddress => cidr_contains(&ptext(), value),
        Base::ArnEquals | Base::ArnLike | Base::ArnNotEquals | Base::ArnNotLike => {
            arn_like(policy, value)
        }
        Base::Null => false,
    }
}

/// The request value is on the left: `NumericLessThan {"k": 10}` holds when k < 10.
fn cmp_num(policy: &str, value: &str, f: impl Fn(f64, f64) -> bool) -> bool {
    match (number(value), number(policy)) {
        (Some(v), Some(p)) => f(v, p),
        _ => false,
    }
}

fn cmp_date(policy: &str, value: &str, f: impl Fn(i64, i64) -> bool) -> bool {
    match (date_ms(value), date_ms(policy)) {
        (Some(v), Some(p)) => f(v, p),
        _ => false,
    }
}

/// Whether one request value satisfies the clause's list of policy values.
fn value_matches(base: Base, policy: &[Vec<glob::Tok>], value: &str) -> bool {
    let any = policy.iter().any(|p| positive(base, p, value));
    if base.negated() { !any } else { any }
}

/// Evaluates one condition clause against the request context.
pub fn clause_holds(c: &ConditionClause, ctx: &Context, vars: bool) -> bool {
    let op = &c.operator;
    let present = ctx.get(&c.key).filter(|v| !v.is_empty());
    if op.base == Base::Null {
        return c
            .values
            .iter()
            .any(|v| match v.to_ascii_lowercase().as_str() {
                "true" => present.is_none(),
                "false" => present.is_some(),
                _ => false,
            });
    }
    // A value whose variables cannot be resolved matches nothing.
    let policy: Vec<Vec<glob::Tok>> = c
        .values
        .iter()
        .filter_map(|v| expand(v, ctx, vars))
        .collect();
    let Some(values) = present else {
        return match op.set {
            SetQualifier::ForAllValues => true,
            SetQualifier::ForAnyValue => false,
            SetQualifier::None => op.if_exists || op.base.negated(),
        };
    };
    match op.set {
        SetQualifier::ForAllValues => values.iter().all(|v| value_matches(op.base, &policy, v)),
        SetQualifier::ForAnyValue => values.iter().any(|v| value_matches(op.base, &policy, v)),
        SetQualifier::None => {
            let any = values
                .iter()
                .any(|v| policy.iter().any(|p| positive(op.base, p, v)));
            if op.base.negated() { !any } else { any }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(op: &str, key: &str, values: &[&str]) -> ConditionClause {
        ConditionClause {
            operator: parse_operator(op).unwrap(),
            key: key.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn holds(op: &str, key: &str, values: &[&str], ctx: &Context) -> bool {
        clause_holds(&clause(op, key, values), ctx, true)
    }

    #[test]
    fn operator_names() {
        let o = parse_operator("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(
            (o.base, o.set, o.if_exists),
            (Base::StringLike, SetQualifier::ForAnyValue, true)
        );
        assert!(parse_operator("StringEqualz").is_none());
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("stringequals").is_none());
    }

    #[test]
    fn string_operators() {
        let c = Context::new().with("aws:PrincipalTag/job-category", "iamuser-admin");
        assert!(holds(
            "StringEquals",
            "aws:PrincipalTag/job-category",
            &["iamuser-admin"],
            &c
        ));
        assert!(!holds(
            "StringEquals",
            "aws:PrincipalTag/job-category",
            &["IAMUser-Admin"],
            &c
        ));
        assert!(holds(
            "StringEqualsIgnoreCase",
            "aws:PrincipalTag/job-category",
            &["IAMUser-Admin"],
            &c
        ));
        assert!(holds(
            "StringNotEquals",
            "aws:PrincipalTag/job-category",
            &["other"],
            &c
        ));
        assert!(holds(
            "StringLike",
            "aws:PrincipalTag/job-category",
            &["iamuser-*"],
            &c
        ));
        assert!(!holds(
            "StringNotLike",
            "aws:PrincipalTag/job-category",
            &["iamuser-*"],
            &c
        ));
        // Missing key: positive operators fail, negated ones hold.
        assert!(!holds("StringEquals", "aws:PrincipalTag/dept", &["x"], &c));
        assert!(holds(
            "StringNotEquals",
            "aws:PrincipalTag/dept",
            &["x"],
            &c
        ));
        assert!(holds(
            "StringEqualsIfExists",
            "aws:PrincipalTag/dept",
            &["x"],
            &c
        ));
    }

    #[test]
    fn string_like_with_variables() {
        // From the docs: s3:prefix like home/${aws:username}/*
        let c = Context::new()
            .with("aws:username", "David")
            .with("s3:prefix", "home/David/photos");
        assert!(holds(
            "StringLike",
            "s3:prefix",
            &["", "home/", "home/${aws:username}/*"],
            &c
        ));
        let c2 = Context::new()
            .with("aws:username", "Mary")
            .with("s3:prefix", "home/David/photos");
        assert!(!holds(
            "StringLike",
            "s3:prefix",
            &["home/${aws:username}/*"],
            &c2
        ));
    }

    #[test]
    fn numeric_operators() {
        // Docs example: s3:max-keys NumericLessThanEquals 10
        let c = Context::new().with("s3:max-keys", "10");
        assert!(holds("NumericLessThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!holds("NumericLessThan", "s3:max-keys", &["10"], &c));
        assert!(holds("NumericGreaterThan", "s3:max-keys", &["9.5"], &c));
        assert!(holds("NumericNotEquals", "s3:max-keys", &["11"], &c));
        assert!(!holds("NumericEquals", "s3:max-keys", &["ten"], &c));
    }

    #[test]
    fn date_operators() {
        // Docs example: access only between two dates.
        let c = Context::new().with("aws:CurrentTime", "2020-04-01T12:00:00Z");
        assert!(holds(
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2020-04-01T00:00:00Z"],
            &c
        ));
        assert!(holds(
            "DateLessThan",
            "aws:CurrentTime",
            &["2020-06-30T23:59:59Z"],
            &c
        ));
        assert!(!holds(
            "DateLessThan",
            "aws:CurrentTime",
            &["2020-03-01"],
            &c
        ));
        let epoch = Context::new().with("aws:EpochTime", "1585742400");
        assert!(holds(
            "DateEquals",
            "aws:EpochTime",
            &["2020-04-01T12:00:00Z"],
            &epoch
        ));
    }

    #[test]
    fn bool_and_null() {
        // Docs example: deny when aws:SecureTransport is false.
        let c = Context::new().with("aws:SecureTransport", "false");
        assert!(holds("Bool", "aws:SecureTransport", &["false"], &c));
        assert!(!holds("Bool", "aws:SecureTransport", &["true"], &c));
        assert!(holds(
            "BoolIfExists",
            "aws:MultiFactorAuthPresent",
            &["false"],
            &c
        ));
        // Docs example: Null true when the key is absent (long-term credentials).
        assert!(holds("Null", "aws:TokenIssueTime", &["true"], &c));
        assert!(!holds("Null", "aws:SecureTransport", &["true"], &c));
        assert!(holds("Null", "aws:SecureTransport", &["false"], &c));
    }

    #[test]
    fn binary_equals() {
        let c = Context::new().with("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==");
        assert!(holds(
            "BinaryEquals",
            "key",
            &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="],
            &c
        ));
        assert!(!holds("BinaryEquals", "key", &["QmluYXJ5"], &c));
    }

    #[test]
    fn ip_addresses() {
        // Docs example: allow from 203.0.113.0/24 and 2001:DB8:1234:5678::/64.
        let c = Context::new().with("aws:SourceIp", "203.0.113.7");
        assert!(holds(
            "IpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24", "2001:DB8:1234:5678::/64"],
            &c
        ));
        assert!(!holds(
            "NotIpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24"],
            &c
        ));
        assert!(holds("NotIpAddress", "aws:SourceIp", &["192.0.2.0/24"], &c));
        let v6 = Context::new().with("aws:SourceIp", "2001:db8:1234:5678::1");
        assert!(holds(
            "IpAddress",
            "aws:SourceIp",
            &["2001:DB8:1234:5678::/64"],
            &v6
        ));
        assert!(holds("IpAddress", "aws:SourceIp", &["203.0.113.7"], &c));
    }

    #[test]
    fn arn_operators() {
        // Docs example: aws:SourceArn like arn:aws:sns:REGION:123456789012:TOPIC-ID
        let c = Context::new().with(
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:123456789012:my-topic",
        );
        assert!(holds(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:sns:us-east-1:123456789012:my-topic"],
            &c
        ));
        assert!(holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:*"],
            &c
        ));
        assert!(!holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:111122223333:*"],
            &c
        ));
        assert!(holds(
            "ArnNotLike",
            "aws:SourceArn",
            &["arn:aws:sqs:*:*:*"],
            &c
        ));
        // A wildcard does not span segments.
        assert!(!holds(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:*:my-topic"],
            &c
        ));
    }

    #[test]
    fn set_qualifiers() {
        // Docs example: ForAllValues:StringEquals aws:TagKeys [environment, cost-center]
        let mut c = Context::new();
        c.set_many(
            "aws:TagKeys",
            vec!["environment".into(), "cost-center".into()],
        );
        assert!(holds(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["environment", "cost-center"],
            &c
        ));
        assert!(!holds(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["environment"],
            &c
        ));
        assert!(holds(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["environment"],
            &c
        ));
        assert!(!holds(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["owner"],
            &c
        ));
        // Absent keys: ForAllValues holds vacuously, ForAnyValue does not.
        let empty = Context::new();
        assert!(holds(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["x"],
            &empty
        ));
        assert!(!holds(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["x"],
            &empty
        ));
        // ForAnyValue:StringNotEquals: some key is outside the list.
        assert!(holds(
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["environment"],
            &c
        ));
        assert!(!holds(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["environment"],
            &c
        ));
    }
}
