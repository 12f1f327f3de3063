//! The `query` and `ec2` protocols: form-encoded input, XML output.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;
use stratus_core::{AwsError, Fault};

use super::xmlplan::XmlPlan;
use super::xmlser::{read_scalar, write_members};
use super::{Protocol, Request, Response, malformed, parse_form};
use crate::model::{Operation, ServiceModel, Shape, ShapeRef};
use crate::value::Value;
use crate::xml::escape;

/// The request's form parameters: the body of a form POST, else the query string.
pub fn form_params(req: &Request) -> BTreeMap<String, String> {
    let is_form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let mut out: BTreeMap<String, String> = parse_form(req.query.as_bytes()).into_iter().collect();
    if is_form || (req.method == "POST" && !req.body.is_empty()) {
        out.extend(parse_form(&req.body));
    }
    out
}

struct Decoder<'a> {
    protocol: Protocol,
    model: &'a ServiceModel,
    params: &'a BTreeMap<String, String>,
}

pub fn decode(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    req: &Request,
) -> Result<Value, AwsError> {
    let params = form_params(req);
    let d = Decoder {
        protocol,
        model,
        params: &params,
    };
    match &op.input {
        Some(r) => {
            let s = model.shape(&r.shape);
            d.structure(s, "").map_err(|e| malformed(protocol, e))
        }
        None => Ok(Value::map()),
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Decoder<'_> {
    fn name(&self, member: &str, r: &ShapeRef) -> String {
        if self.protocol == Protocol::Ec2 {
            if let Some(q) = &r.query_name {
                return q.clone();
            }
            return capitalize(r.location_name.as_deref().unwrap_or(member));
        }
        r.location_name
            .clone()
            .unwrap_or_else(|| member.to_string())
    }

    /// True when any parameter is at `key` or below it.
    fn present(&self, key: &str) -> bool {
        if self.params.contains_key(key) {
            return true;
        }
        let lo = format!("{key}.");
        self.params
            .range::<String, _>((Bound::Included(&lo), Bound::Unbounded))
            .next()
            .is_some_and(|(k, _)| k.starts_with(&lo))
    }

    /// The numeric indexes under `prefix.` in ascending order.
    fn indexes(&self, prefix: &str) -> Vec<u64> {
        let lo = format!("{prefix}.");
        let mut out: Vec<u64> = self
            .params
            .range::<String, _>((Bound::Included(&lo), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&lo))
            .filter_map(|(k, _)| k[lo.len()..].split('.').next()?.parse().ok())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn structure(&self, s: &Shape, prefix: &str) -> Result<Value, String> {
        let mut out = BTreeMap::new();
        for (mname, mr) in &s.members {
            let key = join(prefix, &self.name(mname, mr));
            if let Some(v) = self.value(mr, &key)? {
                out.insert(mname.clone(), v);
            }
        }
        Ok(Value::Map(out))
    }

    fn value(&self, r: &ShapeRef, key: &str) -> Result<Option<Value>, String> {
        let s = self.model.shape(&r.shape);
        if !self.present(key) && !self.list_elsewhere(r, s, key) {
            return Ok(None);
        }
        match s.kind.as_str() {
            "structure" => self.structure(s, key).map(Some),
            "list" => {
                let mr = s.member.as_deref().cloned().unwrap_or_default();
                let flat = self.protocol == Protocol::Ec2 || r.flattened.unwrap_or(s.flattened);
                let list_prefix = if flat {
                    match (&mr.location_name, self.protocol) {
                        (Some(n), Protocol::Query) => match key.rsplit_once('.') {
                            Some((head, _)) => format!("{head}.{n}"),
                            None => n.clone(),
                        },
                        _ => key.to_string(),
                    }
                } else {
                    let inner = mr.location_name.as_deref().unwrap_or("member");
                    format!("{key}.{inner}")
                };
                let mut items = Vec::new();
                if self.params.get(key).is_some_and(|v| v.is_empty()) {
                    return Ok(Some(Value::List(items)));
                }
                for i in self.indexes(&list_prefix) {
                    if let Some(v) = self.value(&mr, &format!("{list_prefix}.{i}"))? {
                        items.push(v);
                    }
                }
                Ok(Some(Value::List(items)))
            }
            "map" => {
                let flat = r.flattened.unwrap_or(s.flattened);
                let entry_prefix = if flat {
                    key.to_string()
                } else {
                    format!("{key}.entry")
                };
                let kr = s.key.as_deref().cloned().unwrap_or_default();
                let vr = s.value.as_deref().cloned().unwrap_or_default();
                let kname = kr.location_name.as_deref().unwrap_or("key");
                let vname = vr.location_name.as_deref().unwrap_or("value");
                let mut out = BTreeMap::new();
                if self.params.get(key).is_some_and(|v| v.is_empty()) {
                    return Ok(Some(Value::Map(out)));
                }
                for i in self.indexes(&entry_prefix) {
                    let Some(k) = self.params.get(&format!("{entry_prefix}.{i}.{kname}")) else {
                        continue;
                    };
                    let v = self
                        .value(&vr, &format!("{entry_prefix}.{i}.{vname}"))?
                        .unwrap_or(Value::Null);
                    out.insert(k.clone(), v);
                }
                Ok(Some(Value::Map(out)))
            }
            _ => match self.params.get(key) {
                Some(text) => read_scalar(r, s, text)
                    .map(Some)
                    .map_err(|e| format!("{e} for parameter {key}")),
                None => Ok(None),
            },
        }
    }

    /// A flattened query list whose members carry their own name lives under
    /// a different key than the member's.
    fn list_elsewhere(&self, r: &ShapeRef, s: &Shape, key: &str) -> bool {
        if s.kind != "list"
            || self.protocol != Protocol::Query
            || !r.flattened.unwrap_or(s.flattened)
        {
            return false;
        }
        match s.member.as_ref().and_then(|m| m.location_name.as_deref()) {
            Some(n) => {
                let alt = match key.rsplit_once('.') {
                    Some((head, _)) => format!("{head}.{n}"),
                    None => n.to_string(),
                };
                self.present(&alt)
            }
            None => false,
        }
    }
}

/// The namespace AWS puts on query responses.
fn namespace(model: &ServiceModel) -> String {
    model.metadata.xml_namespace.clone().unwrap_or_else(|| {
        format!(
            "https://{}.amazonaws.com/doc/{}/",
            model.metadata.endpoint_prefix, model.metadata.api_version
        )
    })
}

pub fn encode(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    out: &Value,
    request_id: &str,
) -> Response {
    let empty = BTreeMap::new();
    let members = match out {
        Value::Map(m) => m,
        _ => &empty,
    };
    encode_with(protocol, model, op, request_id, None, |x| {
        if let Some(r) = &op.output {
            write_members(model, model.shape(&r.shape), members, x);
        }
    })
}

/// The response envelope of `op`, with `body` writing the output's members
/// (sized from `plan`'s last body when there is one).
pub fn encode_with(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    request_id: &str,
    plan: Option<&XmlPlan>,
    body: impl FnOnce(&mut String),
) -> Response {
    let mut x = plan.map_or_else(|| String::with_capacity(256), |p| p.buffer(512));
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let root = format!("{}Response", op.name);
    x.push('<');
    x.push_str(&root);
    x.push_str(" xmlns=\"");
    if protocol == Protocol::Ec2 {
        escape(
            &format!(
                "http://ec2.amazonaws.com/doc/{}/",
                model.metadata.api_version
            ),
            &mut x,
        );
        x.push_str("\">");
        x.push_str("<requestId>");
        escape(request_id, &mut x);
        x.push_str("</requestId>");
        body(&mut x);
    } else {
        escape(&namespace(model), &mut x);
        x.push_str("\">");
        if let Some(r) = &op.output {
            let wrapper = r
                .result_wrapper
                .clone()
                .unwrap_or_else(|| format!("{}Result", op.name));
            x.push_str(&format!("<{wrapper}>"));
            body(&mut x);
            x.push_str(&format!("</{wrapper}>"));
        }
        x.push_str("<ResponseMetadata><RequestId>");
        escape(request_id, &mut x);
        x.push_str("</RequestId></ResponseMetadata>");
    }
    x.push_str(&format!("</{root}>"));
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: Bytes::from(x),
    }
}

pub(crate) fn push_fields(err: &AwsError, x: &mut String) {
    for (k, v) in &err.fields {
        x.push_str(&format!("<{k}>"));
        escape(v, x);
        x.push_str(&format!("</{k}>"));
    }
}

pub fn encode_error(model: Option<&ServiceModel>, err: &AwsError, request_id: &str) -> Response {
    let mut x = String::with_capacity(256);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse");
    if let Some(m) = model {
        x.push_str(" xmlns=\"");
        escape(&namespace(m), &mut x);
        x.push('"');
    }
    x.push_str("><Error><Type>");
    x.push_str(match err.fault {
        Fault::Sender => "Sender",
        Fault::Receiver => "Receiver",
    });
    x.push_str("</Type><Code>");
    // Handlers raise errors by shape name; query clients know some by an older code.
    let code = model.and_then(|m| m.query_code(&err.code));
    escape(code.as_deref().unwrap_or(&err.code), &mut x);
    x.push_str("</Code><Message>");
    escape(&err.message, &mut x);
    x.push_str("</Message>");
    push_fields(err, &mut x);
    x.push_str("</Error><RequestId>");
    escape(request_id, &mut x);
    x.push_str("</RequestId></ErrorResponse>");
    Response {
        status: err.status,
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: Bytes::from(x),
    }
}

pub fn encode_ec2_error(err: &AwsError, request_id: &str) -> Response {
    let mut x = String::with_capacity(256);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
    escape(&err.code, &mut x);
    x.push_str("</Code><Message>");
    escape(&err.message, &mut x);
    x.push_str("</Message>");
    push_fields(err, &mut x);
    x.push_str("</Error></Errors><RequestID>");
    escape(request_id, &mut x);
    x.push_str("</RequestID></Response>");
    Response {
        status: err.status,
        headers: vec![("Content-Type".into(), "text/xml;charset=UTF-8".into())],
        body: Bytes::from(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_list_items_take_their_member_name() {
        // SQS's query model: QueueUrls is a flattened list whose member is named QueueUrl.
        let m = crate::model::load("sqs-query").expect("sqs-query is embedded");
        let op = m.operation("ListQueues").unwrap();
        let mut out = Value::map();
        out.insert(
            "QueueUrls",
            Value::List(vec![Value::String("u1".into()), Value::String("u2".into())]),
        );
        let r = encode(Protocol::Query, &m, op, &out, "rid");
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            body.contains("<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>"),
            "{body}"
        );
    }

    #[test]
    fn error_codes_come_from_the_model() {
        let m = crate::model::load("sqs-query").unwrap();
        let e = AwsError::bad_request("QueueDoesNotExist", "The specified queue does not exist.");
        let r = encode_error(Some(&m), &e, "rid");
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            body.contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"),
            "{body}"
        );
    }
}
