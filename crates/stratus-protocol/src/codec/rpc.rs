//! The RPC protocols: `json` (1.0 / 1.1, by `X-Amz-Target`) and
//! `smithy-rpc-v2-cbor` (by path). The whole input is the body.

use bytes::Bytes;
use stratus_core::{AwsError, Fault};

use super::{Protocol, Response, cbor, json, malformed};
use crate::codec::Request;
use crate::model::{Operation, ServiceModel};
use crate::value::Value;

pub fn decode_json(model: &ServiceModel, op: &Operation, req: &Request) -> Result<Value, AwsError> {
    let Some(r) = &op.input else {
        return Ok(Value::map());
    };
    // AWS treats an empty body as an empty object.
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::map());
    }
    let j: serde_json::Value = serde_json::from_slice(&req.body).map_err(|_| {
        malformed(
            Protocol::Json,
            "Start of structure or map found where not expected.",
        )
    })?;
    if !j.is_object() {
        return Err(malformed(
            Protocol::Json,
            "Start of structure or map found where not expected.",
        ));
    }
    json::decode(model, r, &j, "").map_err(|e| malformed(Protocol::Json, e))
}

pub fn decode_cbor(model: &ServiceModel, op: &Operation, req: &Request) -> Result<Value, AwsError> {
    let Some(r) = &op.input else {
        return Ok(Value::map());
    };
    if req.body.is_empty() {
        return Ok(Value::map());
    }
    let item = cbor::decode(&req.body).map_err(|e| malformed(Protocol::Cbor, e))?;
    if !matches!(item, cbor::Item::Map(_)) {
        return Err(malformed(
            Protocol::Cbor,
            "expected a CBOR map as the request body",
        ));
    }
    cbor::to_value(model, r, &item).map_err(|e| malformed(Protocol::Cbor, e))
}

fn json_content_type(model: Option<&ServiceModel>) -> String {
    let v = model
        .and_then(|m| m.metadata.json_version.clone())
        .unwrap_or_else(|| "1.0".into());
    format!("application/x-amz-json-{v}")
}

pub fn encode_json(model: &ServiceModel, op: &Operation, out: &Value) -> Response {
    let body = match &op.output {
        Some(r) => json::encode(model, r, out),
        None => serde_json::Value::Object(Default::default()),
    };
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), json_content_type(Some(model)))],
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    }
}

pub fn encode_cbor(model: &ServiceModel, op: &Operation, out: &Value) -> Response {
    let item = match &op.output {
        Some(r) => cbor::from_value(model, r, out),
        None => cbor::Item::Map(vec![]),
    };
    let mut buf = Vec::new();
    cbor::encode(&item, &mut buf);
    Response {
        status: 200,
        headers: cbor_headers(),
        body: Bytes::from(buf),
    }
}

fn cbor_headers() -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/cbor".into()),
        ("smithy-protocol".into(), "rpc-v2-cbor".into()),
    ]
}

/// The `__type` of an error and, for query-compatible services, the
/// `x-amzn-query-error` header carrying the legacy query code.
fn error_identity(model: Option<&ServiceModel>, err: &AwsError) -> (String, Option<String>) {
    let shape = model.and_then(|m| m.error_shape(&err.code));
    let type_name = shape
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| err.code.clone());
    let query = model.filter(|m| m.metadata.query_compatible()).map(|m| {
        let code = m.query_code(&err.code).unwrap_or_else(|| err.code.clone());
        let fault = match err.fault {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        };
        format!("{code};{fault}")
    });
    (type_name, query)
}

pub fn encode_json_error(model: Option<&ServiceModel>, err: &AwsError) -> Response {
    let (type_name, query) = error_identity(model, err);
    let mut obj = serde_json::Map::new();
    obj.insert("__type".into(), type_name.into());
    obj.insert("message".into(), err.message.clone().into());
    for (k, v) in &err.fields {
        obj.insert(k.clone(), v.clone().into());
    }
    for (k, raw) in &err.json_fields {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) {
            obj.insert(k.clone(), v);
        }
    }
    let mut headers = vec![("Content-Type".into(), json_content_type(model))];
    if let Some(q) = query {
        headers.push(("x-amzn-query-error".into(), q));
    }
    Response {
        status: err.status,
        headers,
        body: Bytes::from(serde_json::to_vec(&obj).unwrap_or_default()),
    }
}

pub fn encode_cbor_error(model: Option<&ServiceModel>, err: &AwsError) -> Response {
    let (type_name, query) = error_identity(model, err);
    let mut entries = vec![
        (
            cbor::Item::Text("__type".into()),
            cbor::Item::Text(type_name),
        ),
        (
            cbor::Item::Text("message".into()),
            cbor::Item::Text(err.message.clone()),
        ),
    ];
    for (k, v) in &err.fields {
        entries.push((cbor::Item::Text(k.clone()), cbor::Item::Text(v.clone())));
    }
    for (k, raw) in &err.json_fields {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) {
            entries.push((
                cbor::Item::Text(k.clone()),
                cbor::scalar(&crate::Value::Document(v)),
            ));
        }
    }
    let mut buf = Vec::new();
    cbor::encode(&cbor::Item::Map(entries), &mut buf);
    let mut headers = cbor_headers();
    if let Some(q) = query {
        headers.push(("x-amzn-query-error".into(), q));
    }
    Response {
        status: err.status,
        headers,
        body: Bytes::from(buf),
    }
}
