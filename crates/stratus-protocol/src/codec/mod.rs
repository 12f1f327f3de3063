//! One codec per AWS protocol, all driven by the service model.
//!
//! Each protocol decodes an HTTP request into a [`Value`] shaped by the
//! operation's input, and encodes an output [`Value`] or an [`AwsError`] the
//! way AWS does on that protocol.

pub mod cbor;
pub mod json;
pub mod query;
pub mod rest;
pub mod rpc;
pub mod xmlplan;
pub mod xmlser;

use bytes::Bytes;
use http::HeaderMap;
use stratus_core::AwsError;
use stratus_core::time;

use crate::model::{Operation, ServiceModel};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Query,
    Ec2,
    Json,
    RestJson,
    RestXml,
    Cbor,
}

impl Protocol {
    pub fn from_name(s: &str) -> Option<Protocol> {
        Some(match s {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" => Protocol::Json,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::Cbor,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Json => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
            Protocol::Cbor => "smithy-rpc-v2-cbor",
        }
    }

    /// The error code for input that breaks the model's constraints.
    pub fn validation_code(self) -> &'static str {
        match self {
            Protocol::Query => "ValidationError",
            Protocol::Ec2 => "InvalidParameterValue",
            _ => "ValidationException",
        }
    }
}

/// An HTTP request as the codecs see it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The raw path, still percent-encoded.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decoded query-string pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_form(self.query.as_bytes())
    }
}

/// An HTTP response a codec produced.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes `application/x-www-form-urlencoded` (also query strings).
pub fn parse_form(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &[u8]) -> String {
    let plus: Vec<u8> = s
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// Timestamp wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsFormat {
    Iso8601,
    Rfc822,
    Epoch,
}

impl TsFormat {
    pub fn from_trait(t: Option<&str>) -> Option<TsFormat> {
        Some(match t? {
            "iso8601" => TsFormat::Iso8601,
            "rfc822" => TsFormat::Rfc822,
            "unixTimestamp" => TsFormat::Epoch,
            _ => return None,
        })
    }

    pub fn format(self, ms: i64) -> String {
        match self {
            TsFormat::Iso8601 => time::iso8601(ms),
            TsFormat::Rfc822 => time::http_date(ms),
            TsFormat::Epoch => format_epoch_secs(ms),
        }
    }
}

/// Epoch seconds with up to millisecond precision and no trailing zeros.
pub fn format_epoch_secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        return (ms / 1000).to_string();
    }
    let s = format!("{:.3}", ms as f64 / 1000.0);
    s.trim_end_matches('0').to_string()
}

/// Parses a timestamp in the expected format, accepting the other common
/// forms too (clients are not always consistent).
pub fn parse_timestamp(s: &str, preferred: TsFormat) -> Option<i64> {
    let epoch = || s.parse::<f64>().ok().map(|f| (f * 1000.0).round() as i64);
    match preferred {
        TsFormat::Epoch => epoch().or_else(|| time::parse_iso8601(s)),
        TsFormat::Rfc822 => time::parse_http_date(s).or_else(|| time::parse_iso8601(s)),
        TsFormat::Iso8601 => time::parse_iso8601(s)
            .or_else(epoch)
            .or_else(|| time::parse_http_date(s)),
    }
}

/// A decoding failure: always the client's fault.
pub fn malformed(protocol: Protocol, detail: impl Into<String>) -> AwsError {
    let detail = detail.into();
    match protocol {
        Protocol::Query | Protocol::Ec2 => AwsError::bad_request("MalformedInput", detail),
        Protocol::RestXml => AwsError::bad_request("MalformedXML", detail),
        _ => AwsError::bad_request("SerializationException", detail),
    }
}

/// Decodes the input of `op` from `req` as `protocol` lays it out.
pub fn decode_input(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    req: &Request,
) -> Result<Value, AwsError> {
    let inflated;
    let req = match gunzip(req)? {
        Some(r) => {
            inflated = r;
            &inflated
        }
        None => req,
    };
    match protocol {
        Protocol::Query | Protocol::Ec2 => query::decode(protocol, model, op, req),
        Protocol::Json => rpc::decode_json(model, op, req),
        Protocol::Cbor => rpc::decode_cbor(model, op, req),
        Protocol::RestJson | Protocol::RestXml => rest::decode(protocol, model, op, req),
    }
}

/// SDKs may gzip request bodies (`requestcompression`); the gzip coding is
/// theirs, so it is removed from `Content-Encoding` before the handler sees it.
fn gunzip(req: &Request) -> Result<Option<Request>, AwsError> {
    use std::io::Read;
    let Some(enc) = req.header("content-encoding") else {
        return Ok(None);
    };
    let codings: Vec<&str> = enc.split(',').map(str::trim).collect();
    if !codings.iter().any(|c| c.eq_ignore_ascii_case("gzip")) {
        return Ok(None);
    }
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&req.body[..])
        .take(MAX_INFLATED)
        .read_to_end(&mut body)
        .map_err(|_| {
            AwsError::bad_request("InvalidRequest", "The request body is not valid gzip data")
        })?;
    let mut out = req.clone();
    out.body = body.into();
    let rest: Vec<&str> = codings
        .into_iter()
        .filter(|c| !c.eq_ignore_ascii_case("gzip"))
        .collect();
    if rest.is_empty() {
        out.headers.remove("content-encoding");
    } else if let Ok(v) = http::HeaderValue::from_str(&rest.join(", ")) {
        out.headers.insert("content-encoding", v);
    }
    Ok(Some(out))
}

/// The most a gzip body may inflate to: a bound against decompression bombs.
const MAX_INFLATED: u64 = 64 << 20;

/// Encodes the output of `op`.
pub fn encode_output(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    out: &Value,
    request_id: &str,
) -> Response {
    let mut resp = match protocol {
        Protocol::Query | Protocol::Ec2 => query::encode(protocol, model, op, out, request_id),
        Protocol::Json => rpc::encode_json(model, op, out),
        Protocol::Cbor => rpc::encode_cbor(model, op, out),
        Protocol::RestJson | Protocol::RestXml => rest::encode(protocol, model, op, out),
    };
    resp.headers
        .push(("x-amzn-RequestId".into(), request_id.to_string()));
    resp
}

/// Encodes a handler's typed output: query and ec2 write it straight from
/// its compiled XML plan, the other protocols from its [`Value`].
pub fn encode_reply(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    reply: Box<dyn crate::emit::Reply>,
    request_id: &str,
) -> Response {
    if matches!(protocol, Protocol::Query | Protocol::Ec2) {
        let plan = match &op.output {
            Some(r) => model.xml_plan(&r.shape).map(Some),
            None => Some(None),
        };
        if let Some(plan) = plan {
            let mut resp =
                query::encode_with(protocol, model, op, request_id, plan.as_deref(), |x| {
                    if let Some(p) = &plan {
                        p.write(|e| reply.emit(e), x);
                    }
                });
            resp.headers
                .push(("x-amzn-RequestId".into(), request_id.to_string()));
            return resp;
        }
    }
    encode_output(protocol, model, op, &reply.into_value(), request_id)
}

/// Encodes an error the way the protocol (and, where known, the service) does.
pub fn encode_error(
    protocol: Protocol,
    model: Option<&ServiceModel>,
    err: &AwsError,
    request_id: &str,
) -> Response {
    let mut resp = match protocol {
        Protocol::Query => query::encode_error(model, err, request_id),
        Protocol::Ec2 => query::encode_ec2_error(err, request_id),
        Protocol::Json => rpc::encode_json_error(model, err),
        Protocol::Cbor => rpc::encode_cbor_error(model, err),
        Protocol::RestJson => rest::encode_json_error(err),
        Protocol::RestXml => rest::encode_xml_error(err, request_id),
    };
    resp.status = err.status;
    resp.headers
        .push(("x-amzn-RequestId".into(), request_id.to_string()));
    for (k, v) in &err.headers {
        resp.headers.push((k.clone(), v.clone()));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let p = parse_form(b"Action=Foo&Name=a+b%2Fc&Empty=&Flag");
        assert_eq!(p[0], ("Action".into(), "Foo".into()));
        assert_eq!(p[1], ("Name".into(), "a b/c".into()));
        assert_eq!(p[2], ("Empty".into(), "".into()));
        assert_eq!(p[3], ("Flag".into(), "".into()));
    }

    #[test]
    fn epoch_formatting() {
        assert_eq!(format_epoch_secs(1_422_172_800_000), "1422172800");
        assert_eq!(format_epoch_secs(1_422_172_800_120), "1422172800.12");
    }
}
