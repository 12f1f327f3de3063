//! Checks a decoded input against the model's constraints (required, length,
//! range, enum, pattern) and words the failure as AWS does.

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::RwLock;
use stratus_core::AwsError;

use crate::codec::Protocol;
use crate::model::{ServiceModel, Shape, ShapeRef};
use crate::value::Value;

/// AWS reports at most this many violations in one message.
const MAX_REPORTED: usize = 10;

/// Which of the model's constraints to check. Some services (SQS) never
/// refused unknown enum values and answer them with their own errors, so
/// they check those members themselves.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub enums: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { enums: true }
    }
}

pub fn validate(
    protocol: Protocol,
    model: &ServiceModel,
    input: &ShapeRef,
    v: &Value,
) -> Result<(), AwsError> {
    validate_with(protocol, model, input, v, Rules::default())
}

pub fn validate_with(
    protocol: Protocol,
    model: &ServiceModel,
    input: &ShapeRef,
    v: &Value,
    rules: Rules,
) -> Result<(), AwsError> {
    let mut errs = Vec::new();
    check(model, rules, model.shape(&input.shape), v, "", &mut errs);
    if errs.is_empty() {
        return Ok(());
    }
    let n = errs.len();
    errs.truncate(MAX_REPORTED);
    let message = format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        errs.join("; ")
    );
    Err(AwsError::bad_request(protocol.validation_code(), message))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn show(v: &Value, sensitive: bool) -> String {
    if sensitive {
        return "'***'".into();
    }
    match v {
        Value::Null => "null".into(),
        Value::String(s) => format!("'{s}'"),
        // AWS quotes every scalar in these messages, numbers included.
        Value::Int(i) => format!("'{i}'"),
        Value::Float(f) => format!("'{f}'"),
        Value::Bool(b) => format!("'{b}'"),
        Value::List(l) => format!(
            "[{}]",
            l.iter()
                .map(|i| show(i, false))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "'...'".into(),
    }
}

fn fail(errs: &mut Vec<String>, v: &Value, path: &str, sensitive: bool, constraint: String) {
    errs.push(format!(
        "Value {} at '{path}' failed to satisfy constraint: {constraint}",
        show(v, sensitive)
    ));
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        lower_first(name)
    } else {
        format!("{path}.{}", lower_first(name))
    }
}

fn check(
    model: &ServiceModel,
    rules: Rules,
    s: &Shape,
    v: &Value,
    path: &str,
    errs: &mut Vec<String>,
) {
    match (s.kind.as_str(), v) {
        ("structure", Value::Map(m)) => {
            for req in &s.required {
                if !m.contains_key(req) {
                    let mr = s.members.get(req);
                    // Members bound to the URI are always present by routing.
                    if mr.is_some_and(|r| r.location.as_deref() == Some("uri")) {
                        continue;
                    }
                    fail(
                        errs,
                        &Value::Null,
                        &join(path, req),
                        false,
                        "Member must not be null".into(),
                    );
                }
            }
            for (name, mr) in &s.members {
                if let Some(mv) = m.get(name) {
                    check(
                        model,
                        rules,
                        model.shape(&mr.shape),
                        mv,
                        &join(path, name),
                        errs,
                    );
                }
            }
        }
        ("list", Value::List(items)) => {
            length(s, items.len(), v, path, errs);
            if let Some(mr) = &s.member {
                let ms = model.shape(&mr.shape);
                for (i, item) in items.iter().enumerate() {
                    check(
                        model,
                        rules,
                        ms,
                        item,
                        &format!("{path}.{}.member", i + 1),
                        errs,
                    );
                }
            }
        }
        ("map", Value::Map(m)) => {
            length(s, m.len(), v, path, errs);
            if let Some(vr) = &s.value {
                let vs = model.shape(&vr.shape);
                for (k, item) in m {
                    check(model, rules, vs, item, &format!("{path}.{k}.member"), errs);
                }
            }
        }
        ("string", Value::String(t)) => {
            length(s, t.chars().count(), v, path, errs);
            if rules.enums && !s.enum_values.is_empty() && !s.enum_values.iter().any(|e| e == t) {
                fail(
                    errs,
                    v,
                    path,
                    s.sensitive,
                    format!(
                        "Member must satisfy enum value set: [{}]",
                        s.enum_values.join(", ")
                    ),
                );
            }
            if let Some(p) = &s.pattern {
                if !matches_pattern(p, t) {
                    fail(
                        errs,
                        v,
                        path,
                        s.sensitive,
                        format!("Member must satisfy regular expression pattern: {p}"),
                    );
                }
            }
        }
        ("blob", Value::Blob(b)) => length(s, b.len(), v, path, errs),
        (_, Value::Int(i)) => range(s, *i as f64, v, path, errs),
        (_, Value::Float(f)) => range(s, *f, v, path, errs),
        _ => {}
    }
}

fn length(s: &Shape, len: usize, v: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(min) = s.min {
        if (len as f64) < min {
            let c = format!(
                "Member must have length greater than or equal to {}",
                min as i64
            );
            fail(errs, v, path, s.sensitive, c);
            return;
        }
    }
    if let Some(max) = s.max {
        if (len as f64) > max {
            let c = format!(
                "Member must have length less than or equal to {}",
                max as i64
            );
            fail(errs, v, path, s.sensitive, c);
        }
    }
}

fn range(s: &Shape, n: f64, v: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(min) = s.min {
        if n < min {
            let c = format!(
                "Member must have value greater than or equal to {}",
                min as i64
            );
            fail(errs, v, path, s.sensitive, c);
            return;
        }
    }
    if let Some(max) = s.max {
        if n > max {
            let c = format!(
                "Member must have value less than or equal to {}",
                max as i64
            );
            fail(errs, v, path, s.sensitive, c);
        }
    }
}

/// Model patterns are ECMAScript regular expressions, and AWS requires the
/// whole value to match. A pattern we cannot compile accepts everything.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    static CACHE: OnceLock<RwLock<HashMap<String, Option<regress::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.read().get(pattern) {
        return re.as_ref().is_none_or(|re| full_match(re, text));
    }
    let re = regress::Regex::with_flags(&format!("^(?:{pattern})$"), "u")
        .or_else(|_| regress::Regex::new(&format!("^(?:{pattern})$")))
        .ok();
    let ok = re.as_ref().is_none_or(|re| full_match(re, text));
    cache.write().insert(pattern.to_string(), re);
    ok
}

fn full_match(re: &regress::Regex, text: &str) -> bool {
    re.find(text)
        .is_some_and(|m| m.start() == 0 && m.end() == text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts() -> std::sync::Arc<ServiceModel> {
        crate::model::load("sts").unwrap()
    }

    fn input(op: &str) -> ShapeRef {
        sts().operation(op).unwrap().input.clone().unwrap()
    }

    #[test]
    fn enum_checks_can_be_left_to_the_service() {
        let sqs = crate::model::load("sqs").unwrap();
        let input = sqs
            .operation("ReceiveMessage")
            .unwrap()
            .input
            .clone()
            .unwrap();
        let mut v = Value::map();
        v.insert("QueueUrl", Value::String("http://q".into()));
        v.insert(
            "AttributeNames",
            Value::List(vec![Value::String("ApproximateReceiveCount".into())]),
        );
        let e = validate(Protocol::Json, &sqs, &input, &v).unwrap_err();
        assert!(e.message.contains("enum value set"), "{}", e.message);
        assert!(validate_with(Protocol::Json, &sqs, &input, &v, Rules { enums: false }).is_ok());
    }

    #[test]
    fn missing_required_member() {
        let mut v = Value::map();
        v.insert(
            "RoleArn",
            Value::String("arn:aws:iam::123456789012:role/r".into()),
        );
        let e = validate(Protocol::Query, &sts(), &input("AssumeRole"), &v).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn length_range_and_pattern() {
        let mut v = Value::map();
        v.insert(
            "RoleArn",
            Value::String("arn:aws:iam::123456789012:role/r".into()),
        );
        v.insert("RoleSessionName", Value::String("a b".into()));
        v.insert("DurationSeconds", Value::Int(10));
        let e = validate(Protocol::Query, &sts(), &input("AssumeRole"), &v).unwrap_err();
        assert!(
            e.message.starts_with("2 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e.message.contains(
            "Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        ));
        assert!(e.message.contains("Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"));
    }

    #[test]
    fn valid_input_passes() {
        let mut v = Value::map();
        v.insert(
            "RoleArn",
            Value::String("arn:aws:iam::123456789012:role/r".into()),
        );
        v.insert("RoleSessionName", Value::String("session-1".into()));
        assert!(validate(Protocol::Query, &sts(), &input("AssumeRole"), &v).is_ok());
    }
}
