//! Conversions between the wire's values and what records keep: nested
//! structures stored as given (as JSON), times in causes, page tokens.

use serde_json::Value as Json;
use stratus_protocol::value::{FromValue, ToValue, Value};

use crate::errors::invalid_token;

pub fn to_json(v: Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(b),
        Value::Int(i) => Json::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s),
        Value::Blob(b) => Json::String(String::from_utf8_lossy(&b).into_owned()),
        Value::Timestamp(t) => Json::from(t),
        Value::List(l) => Json::Array(l.into_iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
        Value::Document(d) => d,
    }
}

pub fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::List(a.iter().map(from_json).collect()),
        Json::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

/// Keeps a nested structure of a request as JSON.
pub fn keep<T: ToValue>(v: T) -> Json {
    to_json(v.to_value())
}

/// Gives a kept structure back in its wire type.
pub fn give<T: FromValue + Default>(j: &Option<Json>) -> Option<T> {
    j.as_ref().and_then(|j| T::from_value(from_json(j)).ok())
}

/// A moment as activity causes write it: `2026-01-02T03:04:05Z`.
pub fn cause_time(ms: i64) -> String {
    stratus_core::time::iso8601(ms - ms.rem_euclid(1000))
}

/// One page of `items` from a `NextToken` (an offset) and `MaxRecords`.
pub fn page<T: Clone>(
    items: &[T],
    token: Option<&str>,
    max: Option<i32>,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>), stratus_core::AwsError> {
    let start = match token {
        None | Some("") => 0,
        Some(t) => t.parse::<usize>().map_err(|_| invalid_token())?,
    };
    if start > items.len() {
        return Err(invalid_token());
    }
    let max = max.map(|m| m.max(1) as usize).unwrap_or(default_max);
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}
