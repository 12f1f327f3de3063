//! Shape-driven JSON: the bodies of the `json` and `rest-json` protocols.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Number, Value as Json};

use super::{TsFormat, format_epoch_secs, parse_timestamp};
use crate::model::{ServiceModel, Shape, ShapeRef};
use crate::value::Value;

/// The name a member has in a JSON body.
pub fn member_name<'a>(name: &'a str, r: &'a ShapeRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(name)
}

fn ts_format(r: &ShapeRef, s: &Shape) -> TsFormat {
    TsFormat::from_trait(
        r.timestamp_format
            .as_deref()
            .or(s.timestamp_format.as_deref()),
    )
    .unwrap_or(TsFormat::Epoch)
}

/// Decodes a JSON value as the shape `r` refers to.
pub fn decode(model: &ServiceModel, r: &ShapeRef, j: &Json, path: &str) -> Result<Value, String> {
    let s = model.shape(&r.shape);
    decode_shape(model, r, s, j, path)
}

fn decode_shape(
    model: &ServiceModel,
    r: &ShapeRef,
    s: &Shape,
    j: &Json,
    path: &str,
) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    let bad = |what: &str| format!("Expected {what} at '{path}'");
    Ok(match s.kind.as_str() {
        "structure" if s.document => Value::Document(j.clone()),
        "structure" => {
            let obj = j.as_object().ok_or_else(|| bad("an object"))?;
            let mut out = BTreeMap::new();
            for (name, mr) in &s.members {
                if mr.location.is_some() {
                    continue;
                }
                if let Some(v) = obj.get(member_name(name, mr)) {
                    let dv = decode(model, mr, v, name)?;
                    if !dv.is_null() {
                        out.insert(name.clone(), dv);
                    }
                }
            }
            Value::Map(out)
        }
        "list" => {
            let arr = j.as_array().ok_or_else(|| bad("a list"))?;
            let m = s.member.as_deref().cloned().unwrap_or_default();
            let mut out = Vec::with_capacity(arr.len());
            for v in arr {
                out.push(decode(model, &m, v, path)?);
            }
            Value::List(out)
        }
        "map" => {
            let obj = j.as_object().ok_or_else(|| bad("a map"))?;
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            let mut out = BTreeMap::new();
            for (k, v) in obj {
                let dv = decode(model, &vr, v, path)?;
                if !dv.is_null() {
                    out.insert(k.clone(), dv);
                }
            }
            Value::Map(out)
        }
        "string" => Value::String(j.as_str().ok_or_else(|| bad("a string"))?.to_string()),
        "boolean" => Value::Bool(j.as_bool().ok_or_else(|| bad("a boolean"))?),
        "integer" | "long" | "short" | "byte" => match j {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => return Err(bad("an integer")),
            },
            _ => return Err(bad("an integer")),
        },
        "float" | "double" => match j {
            Json::Number(n) => Value::Float(n.as_f64().ok_or_else(|| bad("a number"))?),
            Json::String(s) => Value::Float(special_float(s).ok_or_else(|| bad("a number"))?),
            _ => return Err(bad("a number")),
        },
        "bigdecimal" | "biginteger" => match j {
            Json::Number(n) => Value::String(n.to_string()),
            Json::String(s) => Value::String(s.clone()),
            _ => return Err(bad("a number")),
        },
        "blob" => {
            let s = j.as_str().ok_or_else(|| bad("a base64 string"))?;
            Value::Blob(B64.decode(s).map_err(|_| bad("base64 data"))?)
        }
        "timestamp" => match j {
            Json::Number(n) => {
                let f = n.as_f64().ok_or_else(|| bad("a timestamp"))?;
                Value::Timestamp((f * 1000.0).round() as i64)
            }
            Json::String(t) => Value::Timestamp(
                parse_timestamp(t, ts_format(r, s)).ok_or_else(|| bad("a timestamp"))?,
            ),
            _ => return Err(bad("a timestamp")),
        },
        _ => Value::Document(j.clone()),
    })
}

fn special_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Encodes a value as the shape `r` refers to.
pub fn encode(model: &ServiceModel, r: &ShapeRef, v: &Value) -> Json {
    let s = model.shape(&r.shape);
    match (s.kind.as_str(), v) {
        (_, Value::Document(d)) => d.clone(),
        ("structure", Value::Map(m)) => encode_members(model, s, m, false),
        ("list", Value::List(items)) => {
            let mr = s.member.as_deref().cloned().unwrap_or_default();
            Json::Array(items.iter().map(|i| encode(model, &mr, i)).collect())
        }
        ("map", Value::Map(m)) => {
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            Json::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), encode(model, &vr, v)))
                    .collect(),
            )
        }
        ("timestamp", Value::Timestamp(ms)) => match ts_format(r, s) {
            TsFormat::Epoch => epoch_json(*ms),
            f => Json::String(f.format(*ms)),
        },
        (_, v) => scalar(v),
    }
}

/// The members of a structure that belong in the body (no HTTP location).
pub fn encode_members(
    model: &ServiceModel,
    s: &Shape,
    m: &BTreeMap<String, Value>,
    skip_bound: bool,
) -> Json {
    let mut obj = Map::new();
    for (name, mr) in &s.members {
        if skip_bound && !in_output_body(mr) {
            continue;
        }
        if let Some(v) = m.get(name) {
            if v.is_null() {
                continue;
            }
            obj.insert(member_name(name, mr).to_string(), encode(model, mr, v));
        }
    }
    Json::Object(obj)
}

/// In a response, only headers and the status code live outside the body.
pub fn in_output_body(r: &ShapeRef) -> bool {
    !matches!(
        r.location.as_deref(),
        Some("header" | "headers" | "statusCode")
    )
}

fn epoch_json(ms: i64) -> Json {
    if ms % 1000 == 0 {
        Json::Number(Number::from(ms / 1000))
    } else {
        format_epoch_secs(ms)
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// A scalar value in its plain JSON form.
pub fn scalar(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => {
            if f.is_nan() {
                Json::String("NaN".into())
            } else if f.is_infinite() {
                Json::String(if *f > 0.0 { "Infinity" } else { "-Infinity" }.into())
            } else {
                Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null)
            }
        }
        Value::String(s) => Json::String(s.clone()),
        Value::Blob(b) => Json::String(B64.encode(b)),
        Value::Timestamp(ms) => epoch_json(*ms),
        Value::List(l) => Json::Array(l.iter().map(scalar).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect()),
        Value::Document(d) => d.clone(),
    }
}
