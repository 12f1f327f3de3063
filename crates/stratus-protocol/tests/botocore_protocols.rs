//! botocore's protocol test cases, used in reverse: every serialized request
//! must decode to the case's params, and every result must encode to a body
//! that decodes to the same data as the case's body.
//!
//! Cases that cannot apply to a server, or that we do not pass yet, are listed
//! in `KNOWN` with the reason; any other failure fails the test, and a listed
//! case that starts passing fails it too, so the list stays true.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use indexmap::IndexMap;
use serde_json::Value as Json;
use stratus_core::AwsError;
use stratus_protocol::codec::{self, Protocol, Request, Response, cbor, xmlser};
use stratus_protocol::model::{Metadata, Operation, ServiceModel, Shape, ShapeRef};
use stratus_protocol::{Value, xml};

/// Cases we knowingly do not pass, with the reason.
const KNOWN: &[(&str, &str)] = &[
    (
        "input/ec2:Ec2EmptyQueryLists",
        "the client sends nothing for an empty EC2 list, so a server cannot see it",
    ),
    (
        "input/rest-json:RestJsonOmitsEmptyListQueryValues",
        "empty query lists are omitted on the wire, so a server cannot see them",
    ),
    (
        "input/rest-json:RestJsonAllQueryStringTypes",
        "the case also sets a query map to keys that named parameters use; on the wire they are one parameter, and named parameters take precedence (RestJsonQueryParamsStringListMap)",
    ),
    (
        "input/rest-json:RestJsonQueryStringEscaping",
        "as RestJsonAllQueryStringTypes: map keys collide with named parameters",
    ),
    (
        "input/rest-json:RestJsonSupportsNaNFloatQueryValues",
        "as RestJsonAllQueryStringTypes: map keys collide with named parameters",
    ),
    (
        "input/rest-json:RestJsonSupportsInfinityFloatQueryValues",
        "as RestJsonAllQueryStringTypes: map keys collide with named parameters",
    ),
    (
        "input/rest-json:RestJsonSupportsNegativeInfinityFloatQueryValues",
        "as RestJsonAllQueryStringTypes: map keys collide with named parameters",
    ),
    (
        "input/rest-json:RestJsonZeroAndFalseQueryValues",
        "as RestJsonAllQueryStringTypes: map keys collide with named parameters",
    ),
    (
        "legacy/input/rest-json:Content-Type and JSON body#7",
        "the client adds a default Content-Type that the params do not hold",
    ),
    (
        "legacy/input/rest-json:List in header#1",
        "the client sends nothing for an empty header list",
    ),
    (
        "legacy/input/rest-xml:List in header#1",
        "the client sends nothing for an empty header list",
    ),
    (
        "legacy/input/rest-xml:Header maps#0",
        "legacy form: HTTP location set on the shape instead of the member reference; no current model does this",
    ),
    (
        "legacy/output/rest-json:Scalar members#0",
        "legacy form: HTTP location set on the shape instead of the member reference",
    ),
    (
        "legacy/output/rest-xml:Scalar members#0",
        "legacy form: HTTP location set on the shape instead of the member reference",
    ),
    (
        "legacy/output/rest-xml:Scalar members#1",
        "legacy form: HTTP location set on the shape instead of the member reference",
    ),
    (
        "legacy/output/rest-xml:Scalar members in headers#0",
        "legacy form: HTTP location set on the shape instead of the member reference",
    ),
    (
        "legacy/output/rest-json:Supports header maps#0",
        "legacy form: a header map with an empty prefix that also holds transport headers",
    ),
    (
        "legacy/output/json:Lists#1",
        "the case's shape says string but the body holds objects; we reject type mismatches",
    ),
    (
        "legacy/output/query:Flattened list with location name#0",
        "old botocore naming for flattened lists; the current Smithy cases (XmlLists) name them by the member, which we follow",
    ),
    (
        "legacy/output/rest-json:Tagged Unions#2",
        "unknown union members are a client-side fallback (SDK_UNKNOWN_MEMBER)",
    ),
    (
        "legacy/output/rest-xml:Unions#2",
        "unknown union members are a client-side fallback (SDK_UNKNOWN_MEMBER)",
    ),
    (
        "legacy/output/json:RPC JSON Event Stream#0",
        "event streams are not implemented yet",
    ),
    (
        "legacy/output/rest-xml:REST XML Event Stream#0",
        "event streams are not implemented yet",
    ),
    (
        "legacy/output/rest-xml:REST XML Event Stream#1",
        "event streams are not implemented yet",
    ),
    (
        "legacy/output/rest-xml:REST XML Event Stream#2",
        "event streams are not implemented yet",
    ),
];

fn suites(kind: &str) -> Vec<(String, Json)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/botocore")
        .join(kind);
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    files.sort_by_key(|e| e.path());
    for f in files {
        let name = f.path().file_stem().unwrap().to_string_lossy().to_string();
        let j: Json = serde_json::from_slice(&std::fs::read(f.path()).unwrap()).unwrap();
        for suite in j.as_array().unwrap() {
            out.push((name.clone(), suite.clone()));
        }
    }
    out
}

fn model_for(suite: &Json, case: &Json) -> (ServiceModel, Operation) {
    let metadata: Metadata = serde_json::from_value(suite["metadata"].clone()).unwrap();
    let shapes: HashMap<String, Shape> =
        serde_json::from_value(suite["shapes"].clone()).unwrap_or_default();
    let op: Operation = serde_json::from_value(case["given"].clone()).unwrap();
    let mut ops = IndexMap::new();
    ops.insert(op.name.clone(), op.clone());
    (ServiceModel::from_parts("test", metadata, ops, shapes), op)
}

fn protocol_of(file: &str, suite: &Json) -> Protocol {
    let p = suite["metadata"]["protocol"].as_str().unwrap_or(file);
    Protocol::from_name(p).unwrap_or_else(|| panic!("unknown protocol {p}"))
}

/// Turns a case's params/result into a comparable JSON, guided by the shape:
/// blobs as base64, timestamps as epoch milliseconds.
fn norm_json(model: &ServiceModel, r: &ShapeRef, j: &Json) -> Json {
    let s = model.shape(&r.shape);
    match (s.kind.as_str(), j) {
        ("structure", Json::Object(o)) if !s.document => Json::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let mr = s.members.get(k).cloned().unwrap_or_default();
                    (k.clone(), norm_json(model, &mr, v))
                })
                .collect(),
        ),
        ("list", Json::Array(a)) => {
            let mr = s.member.as_deref().cloned().unwrap_or_default();
            Json::Array(a.iter().map(|v| norm_json(model, &mr, v)).collect())
        }
        ("map", Json::Object(o)) => {
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            Json::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), norm_json(model, &vr, v)))
                    .collect(),
            )
        }
        ("blob", Json::String(t)) => Json::String(B64.encode(t.as_bytes())),
        ("timestamp", Json::Number(n)) => Json::from((n.as_f64().unwrap() * 1000.0).round() as i64),
        ("timestamp", Json::String(t)) => {
            Json::from(codec::parse_timestamp(t, codec::TsFormat::Iso8601).unwrap_or_default())
        }
        ("float" | "double", Json::Number(n)) => Json::from(n.as_f64().unwrap()),
        ("float" | "double", Json::String(t)) => Json::String(t.clone()),
        _ => j.clone(),
    }
}

/// Our decoded value in the same comparable form.
fn norm_value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) if f.is_nan() => Json::String("NaN".into()),
        Value::Float(f) if f.is_infinite() => {
            Json::String(if *f > 0.0 { "Infinity" } else { "-Infinity" }.into())
        }
        Value::Float(f) => Json::from(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Blob(b) => Json::String(B64.encode(b)),
        Value::Timestamp(t) => Json::from(*t),
        Value::List(l) => Json::Array(l.iter().map(norm_value).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), norm_value(v))).collect()),
        Value::Document(d) => d.clone(),
    }
}

/// The case's data as a Value, to feed our encoder.
fn to_value(model: &ServiceModel, r: &ShapeRef, j: &Json) -> Value {
    let s = model.shape(&r.shape);
    match (s.kind.as_str(), j) {
        (_, Json::Null) => Value::Null,
        ("structure", _) if s.document => Value::Document(j.clone()),
        ("structure", Json::Object(o)) => Value::Map(
            o.iter()
                .map(|(k, v)| {
                    let mr = s.members.get(k).cloned().unwrap_or_default();
                    (k.clone(), to_value(model, &mr, v))
                })
                .collect(),
        ),
        ("list", Json::Array(a)) => {
            let mr = s.member.as_deref().cloned().unwrap_or_default();
            Value::List(a.iter().map(|v| to_value(model, &mr, v)).collect())
        }
        ("map", Json::Object(o)) => {
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), to_value(model, &vr, v)))
                    .collect(),
            )
        }
        ("blob", Json::String(t)) => Value::Blob(t.as_bytes().to_vec()),
        ("timestamp", Json::Number(n)) => {
            Value::Timestamp((n.as_f64().unwrap() * 1000.0).round() as i64)
        }
        ("integer" | "long" | "short" | "byte", Json::Number(n)) => Value::Int(n.as_i64().unwrap()),
        ("float" | "double", Json::Number(n)) => Value::Float(n.as_f64().unwrap()),
        ("float" | "double", Json::String(t)) => Value::Float(match t.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            _ => f64::NEG_INFINITY,
        }),
        ("boolean", Json::Bool(b)) => Value::Bool(*b),
        ("string", Json::String(t)) => Value::String(t.clone()),
        (_, Json::String(t)) => Value::String(t.clone()),
        _ => Value::Document(j.clone()),
    }
}

fn request_of(case: &Json, protocol: Protocol) -> Request {
    let ser = &case["serialized"];
    let uri = ser["uri"].as_str().unwrap_or("/");
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut headers = http::HeaderMap::new();
    if let Some(h) = ser["headers"].as_object() {
        for (k, v) in h {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                http::HeaderValue::from_str(v.as_str().unwrap_or("")),
            ) {
                headers.append(n, v);
            }
        }
    }
    let body = ser["body"].as_str().unwrap_or("");
    let body = if protocol == Protocol::Cbor {
        B64.decode(body).unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    Request {
        method: ser["method"].as_str().unwrap_or("POST").to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: body.into(),
    }
}

fn check_input(file: &str, suite: &Json, case: &Json) -> Result<(), String> {
    let (model, op) = model_for(suite, case);
    let protocol = protocol_of(file, suite);
    let req = request_of(case, protocol);
    let got = codec::decode_input(protocol, &model, &op, &req).map_err(|e| e.to_string())?;
    let want = match &op.input {
        Some(r) => norm_json(&model, r, &case["params"]),
        None => Json::Object(Default::default()),
    };
    let got = norm_value(&got);
    if strip_empty(&got) != strip_empty(&want) {
        return Err(format!("decoded {got}\n   wanted {want}"));
    }
    Ok(())
}

/// An empty structure and an absent one carry the same data; compare
/// without them.
fn strip_empty(j: &Json) -> Json {
    match j {
        Json::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), strip_empty(v)))
                .filter(|(_, v)| {
                    !matches!(v, Json::Null) && v.as_object().is_none_or(|o| !o.is_empty())
                })
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(strip_empty).collect()),
        other => other.clone(),
    }
}

/// Decodes a response body back into output data, per protocol.
fn decode_output(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    resp: &Response,
) -> Result<Json, String> {
    let Some(r) = &op.output else {
        return Ok(Json::Object(Default::default()));
    };
    let s = model.shape(&r.shape);
    let v = match protocol {
        Protocol::Query | Protocol::Ec2 => {
            if resp.body.is_empty() {
                return Ok(Json::Object(Default::default()));
            }
            let root = xml::parse(&resp.body)?;
            let el = match (&r.result_wrapper, protocol) {
                (Some(w), _) => root.child(w).cloned().unwrap_or_default(),
                (None, Protocol::Query) => root
                    .children
                    .iter()
                    .find(|c| c.name.ends_with("Result"))
                    .cloned()
                    .unwrap_or(root),
                _ => root,
            };
            Value::Map(xmlser::read_members(model, s, &el, true)?)
        }
        Protocol::Json => {
            let j: Json = if resp.body.is_empty() {
                Json::Object(Default::default())
            } else {
                serde_json::from_slice(&resp.body).map_err(|e| e.to_string())?
            };
            codec::json::decode(model, r, &j, "")?
        }
        Protocol::Cbor => {
            if resp.body.is_empty() {
                return Ok(Json::Object(Default::default()));
            }
            cbor::to_value(model, r, &cbor::decode(&resp.body)?)?
        }
        Protocol::RestJson | Protocol::RestXml => {
            // Reuse the request decoder: a response is laid out the same way,
            // with headers and body, and a status code member.
            rest_output(protocol, model, s, r, resp)?
        }
    };
    Ok(norm_value(&v))
}

fn rest_output(
    protocol: Protocol,
    model: &ServiceModel,
    s: &Shape,
    r: &ShapeRef,
    resp: &Response,
) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for (name, mr) in &s.members {
        let ms = model.shape(&mr.shape);
        let loc = mr.location_name.as_deref().unwrap_or(name);
        match mr.location.as_deref() {
            Some("statusCode") => {
                out.insert(name.clone(), Value::Int(resp.status as i64));
            }
            Some("header") => {
                if let Some(h) = resp.header(loc) {
                    let v = match ms.kind.as_str() {
                        "list" => {
                            let ir = ms.member.as_deref().cloned().unwrap_or_default();
                            let is_ = model.shape(&ir.shape);
                            Value::List(
                                codec::rest::split_header_list_of(model, &ir, h)
                                    .iter()
                                    .map(|p| xmlser::read_scalar(&ir, is_, p))
                                    .collect::<Result<_, _>>()?,
                            )
                        }
                        "timestamp" => Value::Timestamp(
                            codec::parse_timestamp(
                                h,
                                codec::TsFormat::from_trait(
                                    mr.timestamp_format
                                        .as_deref()
                                        .or(ms.timestamp_format.as_deref()),
                                )
                                .unwrap_or(codec::TsFormat::Rfc822),
                            )
                            .ok_or("bad header timestamp")?,
                        ),
                        _ if mr.json_value => Value::Document(
                            serde_json::from_slice(&B64.decode(h).map_err(|e| e.to_string())?)
                                .map_err(|e| e.to_string())?,
                        ),
                        _ => xmlser::read_scalar(mr, ms, h)?,
                    };
                    out.insert(name.clone(), v);
                }
            }
            Some("headers") => {
                let mut m = BTreeMap::new();
                // The request id is transport, not data of the operation.
                for (k, v) in resp.headers.iter().filter(|(k, _)| k != "x-amzn-RequestId") {
                    if k.to_ascii_lowercase()
                        .starts_with(&loc.to_ascii_lowercase())
                    {
                        m.insert(k[loc.len()..].to_string(), Value::String(v.clone()));
                    }
                }
                if !m.is_empty() {
                    out.insert(name.clone(), Value::Map(m));
                }
            }
            _ => {}
        }
    }
    if let Some(p) = r.payload.as_ref().or(s.payload.as_ref()) {
        let pr = s.members.get(p).cloned().unwrap_or_default();
        let ps = model.shape(&pr.shape);
        if !resp.body.is_empty() {
            let v = match ps.kind.as_str() {
                "blob" => Value::Blob(resp.body.to_vec()),
                "string" => Value::String(String::from_utf8_lossy(&resp.body).into_owned()),
                _ if protocol == Protocol::RestXml => {
                    xmlser::read_element(model, &pr, &xml::parse(&resp.body)?)?
                }
                _ => codec::json::decode(
                    model,
                    &pr,
                    &serde_json::from_slice(&resp.body).map_err(|e| e.to_string())?,
                    "",
                )?,
            };
            out.insert(p.clone(), v);
        }
    } else if !resp.body.iter().all(u8::is_ascii_whitespace) {
        match protocol {
            Protocol::RestXml => out.extend(xmlser::read_members(
                model,
                s,
                &xml::parse(&resp.body)?,
                true,
            )?),
            _ => {
                let j: Json = serde_json::from_slice(&resp.body).map_err(|e| e.to_string())?;
                if let Value::Map(m) = codec::json::decode(model, r, &j, "")? {
                    out.extend(m);
                }
            }
        }
    }
    Ok(Value::Map(out))
}

fn response_of(case: &Json, protocol: Protocol) -> Response {
    let r = &case["response"];
    let is_cbor = protocol == Protocol::Cbor;
    let body = r["body"].as_str().unwrap_or("");
    Response {
        status: r["status_code"].as_u64().unwrap_or(200) as u16,
        headers: r["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        body: if is_cbor {
            B64.decode(body).unwrap_or_default().into()
        } else {
            body.as_bytes().to_vec().into()
        },
    }
}

/// The error code and message a client reads from an error response.
fn read_error(protocol: Protocol, resp: &Response) -> Result<(String, String), String> {
    match protocol {
        Protocol::Query | Protocol::Ec2 | Protocol::RestXml => {
            let root = xml::parse(&resp.body)?;
            let err = root
                .child("Errors")
                .and_then(|e| e.child("Error"))
                .or(root.child("Error"))
                .unwrap_or(&root);
            let code = err
                .child("Code")
                .map(|c| c.text.clone())
                .unwrap_or_default();
            let msg = err
                .child("Message")
                .map(|c| c.text.clone())
                .unwrap_or_default();
            Ok((code, msg))
        }
        Protocol::Cbor => {
            let item = cbor::decode(&resp.body)?;
            let mut code = String::new();
            let mut msg = String::new();
            if let cbor::Item::Map(m) = item {
                for (k, v) in m {
                    if let (cbor::Item::Text(k), cbor::Item::Text(v)) = (k, v) {
                        match k.as_str() {
                            "__type" => code = v,
                            "message" | "Message" => msg = v,
                            _ => {}
                        }
                    }
                }
            }
            Ok((query_code(resp).unwrap_or(short_code(&code)), msg))
        }
        _ => {
            let j: Json = serde_json::from_slice(&resp.body).map_err(|e| e.to_string())?;
            let code = resp
                .header("x-amzn-errortype")
                .map(str::to_string)
                .or_else(|| j["__type"].as_str().map(str::to_string))
                .or_else(|| j["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            let msg = j["message"]
                .as_str()
                .or(j["Message"].as_str())
                .unwrap_or("")
                .to_string();
            Ok((query_code(resp).unwrap_or(short_code(&code)), msg))
        }
    }
}

/// Query-compatible services name the legacy code in a header, and clients
/// prefer it.
fn query_code(resp: &Response) -> Option<String> {
    let h = resp.header("x-amzn-query-error")?;
    Some(h.split(';').next()?.to_string())
}

fn short_code(code: &str) -> String {
    let c = code.split(':').next().unwrap_or(code);
    c.rsplit('#').next().unwrap_or(c).to_string()
}

fn check_output(file: &str, suite: &Json, case: &Json) -> Result<(), String> {
    let (model, op) = model_for(suite, case);
    let protocol = protocol_of(file, suite);
    let expected = response_of(case, protocol);
    if let Some(code) = case["errorCode"].as_str() {
        let message = case["errorMessage"].as_str().unwrap_or("").to_string();
        let err = AwsError::new(expected.status, code, message.clone());
        let resp = codec::encode_error(protocol, Some(&model), &err, "foo-id");
        let (c, m) = read_error(protocol, &resp)?;
        if c != code || (!message.is_empty() && m != message) || resp.status != expected.status {
            return Err(format!("error encoded as ({c}, {m}, {})", resp.status));
        }
        return Ok(());
    }
    let want = match &op.output {
        Some(r) => norm_json(&model, r, &case["result"]),
        None => Json::Object(Default::default()),
    };
    // Our reader must understand AWS's own body...
    let theirs = decode_output(protocol, &model, &op, &expected)?;
    if strip_empty(&theirs) != strip_empty(&want) {
        return Err(format!(
            "reading AWS's body gave {theirs}\n   wanted {want}"
        ));
    }
    // ...and our writer must produce a body that reads the same.
    let result = match &op.output {
        Some(r) => to_value(&model, r, &case["result"]),
        None => Value::map(),
    };
    let resp = codec::encode_output(protocol, &model, &op, &result, "foo-id");
    let ours = decode_output(protocol, &model, &op, &resp)?;
    if strip_empty(&ours) != strip_empty(&want) {
        return Err(format!(
            "our body {}\n   reads as {ours}\n   wanted {want}",
            String::from_utf8_lossy(&resp.body)
        ));
    }
    if matches!(protocol, Protocol::RestJson | Protocol::RestXml) && resp.status != expected.status
    {
        return Err(format!("status {} wanted {}", resp.status, expected.status));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    passed: BTreeMap<String, usize>,
    failed: BTreeMap<String, usize>,
    ignored: BTreeMap<String, usize>,
    unexpected: Vec<String>,
    known_passing: Vec<String>,
}

/// botocore's own list of cases that do not apply to it; they test client
/// behaviour (idempotency token autofill, host prefixes, checksums) or
/// parser leniency.
fn ignored(kind: &str, file: &str, suite: &Json, id: &str) -> bool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/botocore/protocol-tests-ignore-list.json");
    let list: Json = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let dir = kind.rsplit('/').next().unwrap_or(kind);
    let desc = suite["description"].as_str().unwrap_or("");
    let has = |j: &Json, s: &str| j.as_array().is_some_and(|a| a.iter().any(|x| x == s));
    has(&list["general"][dir]["suites"], desc) || has(&list["protocols"][file][dir]["cases"], id)
}

fn run(kind: &str, check: fn(&str, &Json, &Json) -> Result<(), String>) -> Tally {
    let known: HashMap<&str, &str> = KNOWN.iter().copied().collect();
    let mut t = Tally::default();
    for (file, suite) in suites(kind) {
        for (n, case) in suite["cases"].as_array().unwrap().iter().enumerate() {
            let id = case["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}#{n}", suite["description"].as_str().unwrap_or("?")));
            if ignored(kind, &file, &suite, &id) {
                *t.ignored.entry(format!("{kind}/{file}")).or_default() += 1;
                continue;
            }
            let key = format!("{kind}/{file}:{id}");
            let res = std::panic::catch_unwind(|| check(&file, &suite, case))
                .unwrap_or_else(|_| Err("panicked".into()));
            match (res, known.contains_key(key.as_str())) {
                (Ok(()), false) => *t.passed.entry(format!("{kind}/{file}")).or_default() += 1,
                (Ok(()), true) => t.known_passing.push(key),
                (Err(_), true) => *t.failed.entry(format!("{kind}/{file}")).or_default() += 1,
                (Err(e), false) => {
                    *t.failed.entry(format!("{kind}/{file}")).or_default() += 1;
                    t.unexpected.push(format!("{key}: {e}"));
                }
            }
        }
    }
    t
}

fn report(t: &Tally) {
    for (k, p) in &t.passed {
        let f = t.failed.get(k).copied().unwrap_or(0);
        let i = t.ignored.get(k).copied().unwrap_or(0);
        println!("{k}: {p} passed, {f} failed ({i} not applicable to a server)");
    }
    for (k, f) in &t.failed {
        if !t.passed.contains_key(k) {
            println!("{k}: 0 passed, {f} failed");
        }
    }
    for u in &t.unexpected {
        println!("FAIL {u}");
    }
    for k in &t.known_passing {
        println!("NOW PASSING (remove from KNOWN): {k}");
    }
}

/// With `STRATUS_WRITE_PROTOCOL_REPORT=1`, the tallies and the known
/// failures with their reasons are written to docs/protocol-tests.md.
fn write_report(name: &str, t: &Tally) {
    if std::env::var_os("STRATUS_WRITE_PROTOCOL_REPORT").is_none() {
        return;
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let part = docs.join(format!(".protocol-tests-{name}.md"));
    let mut md = format!(
        "## {name} cases\n\n| Suite | Passed | Failed (known) | Not applicable to a server |\n|---|---:|---:|---:|\n"
    );
    let mut keys: Vec<&String> = t
        .passed
        .keys()
        .chain(t.failed.keys())
        .chain(t.ignored.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        md.push_str(&format!(
            "| {k} | {} | {} | {} |\n",
            t.passed.get(k).unwrap_or(&0),
            t.failed.get(k).unwrap_or(&0),
            t.ignored.get(k).unwrap_or(&0)
        ));
    }
    std::fs::write(&part, md).unwrap();
    let input = std::fs::read_to_string(docs.join(".protocol-tests-input.md")).unwrap_or_default();
    let output =
        std::fs::read_to_string(docs.join(".protocol-tests-output.md")).unwrap_or_default();
    let mut known = String::from("## Known failures\n\n| Case | Reason |\n|---|---|\n");
    for (k, why) in KNOWN {
        known.push_str(&format!("| `{k}` | {why} |\n"));
    }
    let doc = format!(
        "# botocore protocol tests\n\n\
         botocore's protocol test cases (botocore {}), used in reverse against Stratus's codecs: each serialized \
         request must decode to the case's params, and each result must encode to a body that decodes to the same \
         data as AWS's body (which our reader must also understand). Cases botocore itself lists as not applicable \
         (client-side behaviour such as idempotency-token autofill) are counted separately. Regenerate with \
         `STRATUS_WRITE_PROTOCOL_REPORT=1 cargo test -p stratus-protocol --test botocore_protocols`.\n\n{input}\n{output}\n{known}",
        stratus_protocol::embedded::BOTOCORE_VERSION
    );
    std::fs::write(docs.join("protocol-tests.md"), doc).unwrap();
}

#[test]
fn input_cases() {
    let mut t = run("input", check_input);
    let legacy = run("legacy/input", check_input);
    t.passed.extend(legacy.passed);
    t.failed.extend(legacy.failed);
    t.ignored.extend(legacy.ignored);
    t.unexpected.extend(legacy.unexpected);
    t.known_passing.extend(legacy.known_passing);
    report(&t);
    write_report("input", &t);
    assert!(t.unexpected.is_empty() && t.known_passing.is_empty());
}

#[test]
fn output_cases() {
    let mut t = run("output", check_output);
    let legacy = run("legacy/output", check_output);
    t.passed.extend(legacy.passed);
    t.failed.extend(legacy.failed);
    t.ignored.extend(legacy.ignored);
    t.unexpected.extend(legacy.unexpected);
    t.known_passing.extend(legacy.known_passing);
    report(&t);
    write_report("output", &t);
    assert!(t.unexpected.is_empty() && t.known_passing.is_empty());
}
