//! The REST protocols (`rest-json`, `rest-xml`): input and output spread
//! over the URI, query string, headers, status code and body.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use stratus_core::AwsError;

use super::xmlser::{self, read_members, read_scalar, scalar_text};
use super::{Protocol, Request, Response, TsFormat, json, malformed};
use crate::model::{Operation, ServiceModel, Shape, ShapeRef, XmlNamespace};
use crate::value::Value;
use crate::xml;

/// Matches a path against an operation's `requestUri` template, returning the
/// decoded label values, or `None` when it does not match.
pub fn match_uri(
    template: &str,
    path: &str,
    query: &[(String, String)],
) -> Option<BTreeMap<String, String>> {
    let (tpath, tquery) = template.split_once('?').unwrap_or((template, ""));
    for lit in tquery.split('&').filter(|s| !s.is_empty()) {
        let ok = match lit.split_once('=') {
            Some((k, v)) => query.iter().any(|(qk, qv)| qk == k && qv == v),
            None => query.iter().any(|(qk, _)| qk == lit),
        };
        if !ok {
            return None;
        }
    }
    let tsegs: Vec<&str> = tpath.trim_start_matches('/').split('/').collect();
    let psegs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut labels = BTreeMap::new();
    let mut pi = 0;
    for (ti, t) in tsegs.iter().enumerate() {
        if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            if let Some(greedy) = name.strip_suffix('+') {
                // A greedy label takes every segment the rest of the template leaves.
                let rest_t = tsegs.len() - ti - 1;
                if psegs.len() < pi + 1 + rest_t {
                    return None;
                }
                let end = psegs.len() - rest_t;
                let joined = psegs[pi..end].join("/");
                if joined.is_empty() {
                    return None;
                }
                labels.insert(greedy.to_string(), decode_seg(&joined));
                pi = end;
            } else {
                let seg = psegs.get(pi)?;
                if seg.is_empty() {
                    return None;
                }
                labels.insert(name.to_string(), decode_seg(seg));
                pi += 1;
            }
        } else {
            let seg = psegs.get(pi)?;
            if decode_seg(seg) != *t {
                return None;
            }
            pi += 1;
        }
    }
    // A trailing slash on the request is tolerated; anything more is not ours.
    match psegs.get(pi..) {
        Some([]) | Some([""]) => Some(labels),
        None => Some(labels),
        _ => None,
    }
}

fn decode_seg(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// How specific a template is: more literal segments win over labels.
pub fn specificity(template: &str) -> (usize, usize, usize) {
    let (p, q) = template.split_once('?').unwrap_or((template, ""));
    let literal = p
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .count();
    let labels = p.split('/').filter(|s| s.starts_with('{')).count();
    let qlits = q.split('&').filter(|s| !s.is_empty()).count();
    (qlits, literal, labels)
}

fn header_scalar(r: &ShapeRef, s: &Shape, text: &str) -> Result<Value, String> {
    if s.kind == "timestamp" {
        let fmt = TsFormat::from_trait(
            r.timestamp_format
                .as_deref()
                .or(s.timestamp_format.as_deref()),
        )
        .unwrap_or(TsFormat::Rfc822);
        return super::parse_timestamp(text.trim(), fmt)
            .map(Value::Timestamp)
            .ok_or_else(|| format!("invalid timestamp '{text}'"));
    }
    if s.kind == "string" && s.media_type.is_some() && !r.json_value {
        let raw = B64
            .decode(text.trim())
            .map_err(|_| "invalid base64 header")?;
        return Ok(Value::String(String::from_utf8_lossy(&raw).into_owned()));
    }
    if s.kind == "string" && r.json_value {
        let raw = B64
            .decode(text.trim())
            .map_err(|_| "invalid base64 JSON header")?;
        return serde_json::from_slice(&raw)
            .map(Value::Document)
            .map_err(|_| "invalid JSON header".into());
    }
    read_scalar(r, s, text)
}

/// Splits a list header; HTTP dates contain a comma of their own, so a list
/// of them is split on every second comma.
pub fn split_header_list_of(model: &ServiceModel, item: &ShapeRef, v: &str) -> Vec<String> {
    if v.trim().is_empty() {
        return Vec::new();
    }
    let parts = split_header_list(v);
    let s = model.shape(&item.shape);
    let fmt = TsFormat::from_trait(
        item.timestamp_format
            .as_deref()
            .or(s.timestamp_format.as_deref()),
    );
    if s.kind == "timestamp" && fmt.unwrap_or(TsFormat::Rfc822) == TsFormat::Rfc822 {
        return parts.chunks(2).map(|c| c.join(", ")).collect();
    }
    parts
}

fn split_header_list(v: &str) -> Vec<String> {
    // Values may be quoted when they contain commas.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

pub fn decode(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    req: &Request,
) -> Result<Value, AwsError> {
    let Some(r) = &op.input else {
        return Ok(Value::map());
    };
    let s = model.shape(&r.shape);
    let query = req.query_pairs();
    let labels = match_uri(&op.http.request_uri, &req.path, &query).unwrap_or_default();
    let bad = |e: String| malformed(protocol, e);
    let mut out = BTreeMap::new();
    let bound_query: Vec<&str> = s
        .members
        .iter()
        .filter(|(_, mr)| mr.location.as_deref() == Some("querystring"))
        .map(|(n, mr)| mr.location_name.as_deref().unwrap_or(n))
        .collect();
    for (name, mr) in &s.members {
        let ms = model.shape(&mr.shape);
        let loc_name = mr.location_name.as_deref().unwrap_or(name);
        let v = match mr.location.as_deref() {
            Some("uri") => match labels.get(loc_name) {
                Some(t) => Some(read_scalar(mr, ms, t).map_err(bad)?),
                None => None,
            },
            Some("querystring") => {
                if ms.kind == "map" {
                    let vr = ms.value.as_deref().cloned().unwrap_or_default();
                    let is_list = model.shape(&vr.shape).kind == "list";
                    let mut m: BTreeMap<String, Value> = BTreeMap::new();
                    // Named parameters take precedence; the map gets the rest.
                    for (k, v) in query
                        .iter()
                        .filter(|(k, _)| !bound_query.contains(&k.as_str()))
                    {
                        if is_list {
                            match m.entry(k.clone()).or_insert_with(|| Value::List(vec![])) {
                                Value::List(l) => l.push(Value::String(v.clone())),
                                _ => {}
                            }
                        } else {
                            m.entry(k.clone())
                                .or_insert_with(|| Value::String(v.clone()));
                        }
                    }
                    (!m.is_empty()).then_some(Value::Map(m))
                } else if ms.kind == "list" {
                    let ir = ms.member.as_deref().cloned().unwrap_or_default();
                    let is_ = model.shape(&ir.shape);
                    let items: Result<Vec<_>, _> = query
                        .iter()
                        .filter(|(k, _)| k == loc_name)
                        .map(|(_, v)| read_scalar(&ir, is_, v))
                        .collect();
                    let items = items.map_err(bad)?;
                    (!items.is_empty()).then_some(Value::List(items))
                } else {
                    match query.iter().find(|(k, _)| k == loc_name) {
                        Some((_, v)) => Some(read_scalar(mr, ms, v).map_err(bad)?),
                        None => None,
                    }
                }
            }
            Some("header") => {
                let vals: Vec<&str> = req
                    .headers
                    .get_all(loc_name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                if vals.is_empty() {
                    None
                } else if ms.kind == "list" {
                    let ir = ms.member.as_deref().cloned().unwrap_or_default();
                    let is_ = model.shape(&ir.shape);
                    let mut items = Vec::new();
                    for part in vals
                        .iter()
                        .flat_map(|v| split_header_list_of(model, &ir, v))
                    {
                        items.push(header_scalar(&ir, is_, &part).map_err(bad)?);
                    }
                    Some(Value::List(items))
                } else {
                    Some(header_scalar(mr, ms, &vals.join(",")).map_err(bad)?)
                }
            }
            Some("headers") => {
                let prefix = loc_name.to_ascii_lowercase();
                let mut m = BTreeMap::new();
                for (k, v) in req.headers.iter() {
                    if let Some(rest) = k.as_str().strip_prefix(prefix.as_str()) {
                        if let Ok(v) = v.to_str() {
                            m.insert(rest.to_string(), Value::String(v.to_string()));
                        }
                    }
                }
                (!m.is_empty()).then_some(Value::Map(m))
            }
            Some(_) => None,
            None => None,
        };
        if let Some(v) = v {
            out.insert(name.clone(), v);
        }
    }
    // The body: one payload member, or every member without a location.
    if let Some(p) = r.payload.as_ref().or(s.payload.as_ref()) {
        if let Some(pr) = s.members.get(p) {
            let ps = model.shape(&pr.shape);
            match ps.kind.as_str() {
                "blob" => {
                    if !req.body.is_empty() {
                        out.insert(p.clone(), Value::Blob(req.body.to_vec()));
                    }
                }
                "string" => {
                    if !req.body.is_empty() {
                        out.insert(
                            p.clone(),
                            Value::String(String::from_utf8_lossy(&req.body).into_owned()),
                        );
                    }
                }
                _ => {
                    if !req.body.iter().all(u8::is_ascii_whitespace) {
                        let v = match protocol {
                            Protocol::RestXml => {
                                let el = xml::parse(&req.body).map_err(bad)?;
                                xmlser::read_element(model, pr, &el).map_err(bad)?
                            }
                            _ => {
                                let j: serde_json::Value = serde_json::from_slice(&req.body)
                                    .map_err(|e| bad(e.to_string()))?;
                                json::decode(model, pr, &j, p).map_err(bad)?
                            }
                        };
                        out.insert(p.clone(), v);
                    }
                }
            }
        }
    } else if s.members.values().any(|m| m.location.is_none())
        && !req.body.iter().all(u8::is_ascii_whitespace)
    {
        match protocol {
            Protocol::RestXml => {
                let el = xml::parse(&req.body).map_err(bad)?;
                out.extend(read_members(model, s, &el, false).map_err(bad)?);
            }
            _ => {
                let j: serde_json::Value =
                    serde_json::from_slice(&req.body).map_err(|e| bad(e.to_string()))?;
                if !j.is_object() {
                    return Err(bad("expected a JSON object".into()));
                }
                if let Value::Map(m) = json::decode(model, r, &j, "").map_err(bad)? {
                    out.extend(m);
                }
            }
        }
    }
    Ok(Value::Map(out))
}

pub fn encode(protocol: Protocol, model: &ServiceModel, op: &Operation, out: &Value) -> Response {
    let mut resp = Response {
        status: op.http.response_code.unwrap_or(200),
        headers: vec![],
        body: Bytes::new(),
    };
    let Some(r) = &op.output else {
        return resp;
    };
    let s = model.shape(&r.shape);
    let empty = BTreeMap::new();
    let m = match out {
        Value::Map(m) => m,
        _ => &empty,
    };
    for (name, mr) in &s.members {
        let Some(v) = m.get(name) else { continue };
        let ms = model.shape(&mr.shape);
        let loc_name = mr.location_name.as_deref().unwrap_or(name);
        match mr.location.as_deref() {
            Some("statusCode") => {
                if let Value::Int(code) = v {
                    resp.status = *code as u16;
                }
            }
            Some("header") => {
                let text = match (ms.kind.as_str(), v) {
                    ("list", Value::List(items)) => {
                        let ir = ms.member.as_deref().cloned().unwrap_or_default();
                        let is_ = model.shape(&ir.shape);
                        items
                            .iter()
                            .map(|i| header_text(&ir, is_, i))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                    _ => header_text(mr, ms, v),
                };
                resp.headers.push((loc_name.to_string(), text));
            }
            Some("headers") => {
                if let Value::Map(hm) = v {
                    for (k, hv) in hm {
                        if let Value::String(hv) = hv {
                            resp.headers.push((format!("{loc_name}{k}"), hv.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(p) = r.payload.as_ref().or(s.payload.as_ref()) {
        if let (Some(pr), Some(v)) = (s.members.get(p), m.get(p)) {
            match v {
                Value::Blob(b) => resp.body = Bytes::from(b.clone()),
                Value::String(t) if model.shape(&pr.shape).kind == "string" => {
                    resp.body = Bytes::from(t.clone())
                }
                v => match protocol {
                    Protocol::RestXml => {
                        let ps = model.shape(&pr.shape);
                        let name = pr
                            .location_name
                            .as_deref()
                            .or(ps.location_name.as_deref())
                            .unwrap_or(&pr.shape);
                        let mut x = String::new();
                        xmlser::write_element(model, name, pr, v, &mut x);
                        resp.body = Bytes::from(x);
                        resp.headers
                            .push(("Content-Type".into(), "application/xml".into()));
                    }
                    _ => {
                        let j = json::encode(model, pr, v);
                        resp.body = Bytes::from(serde_json::to_vec(&j).unwrap_or_default());
                        resp.headers
                            .push(("Content-Type".into(), "application/json".into()));
                    }
                },
            }
        }
    } else if s.members.values().any(|mr| json::in_output_body(mr)) {
        match protocol {
            Protocol::RestXml => {
                let has_body = s
                    .members
                    .iter()
                    .any(|(n, mr)| json::in_output_body(mr) && m.contains_key(n));
                if has_body {
                    let root = s.location_name.as_deref().unwrap_or(&r.shape);
                    let mut rr = r.clone();
                    if rr.xml_namespace.is_none() && s.xml_namespace.is_none() {
                        rr.xml_namespace = Some(XmlNamespace::Uri(format!(
                            "https://{}.amazonaws.com/doc/{}/",
                            model.metadata.endpoint_prefix, model.metadata.api_version
                        )));
                    }
                    let mut x = String::new();
                    xmlser::write_element(model, root, &rr, out, &mut x);
                    resp.body = Bytes::from(x);
                    resp.headers
                        .push(("Content-Type".into(), "application/xml".into()));
                }
            }
            _ => {
                let j = json::encode_members(model, s, m, true);
                resp.body = Bytes::from(serde_json::to_vec(&j).unwrap_or_default());
                resp.headers
                    .push(("Content-Type".into(), "application/json".into()));
            }
        }
    }
    resp
}

fn header_text(r: &ShapeRef, s: &Shape, v: &Value) -> String {
    match v {
        Value::Timestamp(ms) => TsFormat::from_trait(
            r.timestamp_format
                .as_deref()
                .or(s.timestamp_format.as_deref()),
        )
        .unwrap_or(TsFormat::Rfc822)
        .format(*ms),
        Value::Document(d) if r.json_value => B64.encode(d.to_string()),
        Value::String(t) if r.json_value => B64.encode(t),
        v => scalar_text(r, s, v),
    }
}

pub fn encode_json_error(err: &AwsError) -> Response {
    let mut obj = serde_json::Map::new();
    obj.insert("__type".into(), err.code.clone().into());
    obj.insert("message".into(), err.message.clone().into());
    for (k, v) in &err.fields {
        obj.insert(k.clone(), v.clone().into());
    }
    Response {
        status: err.status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), err.code.clone()),
        ],
        body: Bytes::from(serde_json::to_vec(&obj).unwrap_or_default()),
    }
}

pub fn encode_xml_error(err: &AwsError, request_id: &str) -> Response {
    super::query::encode_error(None, err, request_id)
}

/// S3's own error body: a bare `<Error>` with the error's extra fields
/// (StringToSign, CanonicalRequest, ...) between Message and RequestId.
pub fn encode_s3_error(err: &AwsError, request_id: &str) -> Response {
    let mut x = String::with_capacity(512);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    xml::escape(&err.code, &mut x);
    x.push_str("</Code><Message>");
    xml::escape(&err.message, &mut x);
    x.push_str("</Message>");
    super::query::push_fields(err, &mut x);
    x.push_str("<RequestId>");
    xml::escape(request_id, &mut x);
    x.push_str("</RequestId><HostId>");
    xml::escape(request_id, &mut x);
    x.push_str("</HostId></Error>");
    Response {
        status: err.status,
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: Bytes::from(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_errors_are_bare_error_elements_with_their_fields() {
        let mut e = AwsError::new(403, "SignatureDoesNotMatch", "Check your key & method.");
        e.fields.insert("StringToSign".into(), "a<b".into());
        let r = encode_s3_error(&e, "RID");
        let body = String::from_utf8(r.body.to_vec()).unwrap();
        assert_eq!(r.status, 403);
        assert!(body.contains(
            "<Error><Code>SignatureDoesNotMatch</Code><Message>Check your key &amp; method.</Message>\
             <StringToSign>a&lt;b</StringToSign><RequestId>RID</RequestId><HostId>RID</HostId></Error>"
        ));
    }
}
