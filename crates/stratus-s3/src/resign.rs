//! Any credentials work, as everywhere in Stratus: the server has already
//! resolved the caller. s3s still verifies SigV4 (and decodes aws-chunked
//! bodies on the way), so each request's signature is recomputed with a
//! secret only this process knows before s3s sees it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use stratus_core::AwsError;

use crate::chunked::ChunkSigner;
use stratus_protocol::sigv4::{self, RequestParts, SignedRequest};

/// The secret [`crate::InternalAuth`] hands s3s for every access key.
pub const INTERNAL_SECRET: &str = "stratus-s3-internal-signing-secret";

fn sign(date: &str, signed: &SignedRequest, canonical: &str) -> String {
    let sts = sigv4::string_to_sign(date, &signed.credential, canonical);
    let c = &signed.credential;
    let key = sigv4::signing_key(INTERNAL_SECRET, &c.date, &c.region, &c.service);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
    mac.update(sts.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Whether the head carries a SigV2 signature (header or presigned query),
/// which only S3 still accepts.
pub fn is_sigv2(head: &http::request::Parts) -> bool {
    let header = head
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("AWS "));
    let query = head.uri.query().unwrap_or("");
    header || (query.contains("AWSAccessKeyId=") && query.contains("Signature="))
}

/// Refuses a presigned URL past its expiry on the server's clock (which
/// `--test-mode` can move).
pub fn check_expiry(parts: &http::request::Parts, now_secs: i64) -> Result<(), AwsError> {
    let query = parts.uri.query().unwrap_or("");
    let expired = || AwsError::new(403, "AccessDenied", "Request has expired");
    if query.contains("AWSAccessKeyId=") && query.contains("Signature=") {
        let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
        let expires = pairs
            .iter()
            .find(|(k, _)| k == "Expires")
            .and_then(|(_, v)| v.parse::<i64>().ok());
        if expires.is_some_and(|e| e < now_secs) {
            return Err(expired());
        }
    } else if query.contains("X-Amz-Signature=") {
        let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let start = get("X-Amz-Date").and_then(|d| stratus_core::time::parse_iso8601(d));
        let expires = get("X-Amz-Expires").and_then(|e| e.parse::<i64>().ok());
        if let (Some(start), Some(expires)) = (start, expires) {
            if start / 1000 + expires < now_secs {
                return Err(expired());
            }
        }
    }
    Ok(())
}

/// Rewrites the signature of `parts` in place. Requests that cannot be
/// re-signed are left alone (s3s then answers them as AWS would a bad
/// signature); SigV2 requests become anonymous once their expiry is checked.
pub fn resign(
    parts: &mut http::request::Parts,
    now_secs: i64,
) -> Result<Option<ChunkSigner>, AwsError> {
    check_expiry(parts, now_secs)?;
    let query = parts.uri.query().unwrap_or("").to_string();
    if query.contains("AWSAccessKeyId=") && query.contains("Signature=") {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| {
                !(p.starts_with("AWSAccessKeyId=")
                    || p.starts_with("Signature=")
                    || p.starts_with("Expires="))
            })
            .collect();
        set_query(parts, &kept.join("&"));
        return Ok(None);
    }
    Ok(resign_v4(parts))
}

fn resign_v4(parts: &mut http::request::Parts) -> Option<ChunkSigner> {
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(auth) = auth {
        if auth.starts_with("AWS ") {
            parts.headers.remove(http::header::AUTHORIZATION);
            return None;
        }
        return resign_header(parts, &auth);
    }
    if parts
        .uri
        .query()
        .is_some_and(|q| q.contains("X-Amz-Signature="))
    {
        resign_query(parts);
    }
    None
}

fn resign_header(parts: &mut http::request::Parts, auth: &str) -> Option<ChunkSigner> {
    let signed = sigv4::parse_authorization_header(auth).ok()?;
    let Some(date) = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return None;
    };
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("UNSIGNED-PAYLOAD")
        .to_string();
    let headers = header_pairs(&parts.headers);
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload_sha256: &payload,
    };
    let canonical = sigv4::canonical_request(&req, &signed, true);
    let sig = sign(&date, &signed, &canonical);
    let (head, _) = auth.rsplit_once("Signature=")?;
    if let Ok(v) = http::HeaderValue::from_str(&format!("{head}Signature={sig}")) {
        parts.headers.insert(http::header::AUTHORIZATION, v);
    }
    let trailer = match payload.as_str() {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => false,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => true,
        _ => return None,
    };
    let c = &signed.credential;
    Some(ChunkSigner {
        key: sigv4::signing_key(INTERNAL_SECRET, &c.date, &c.region, &c.service),
        amz_date: date,
        scope: format!("{}/{}/{}/aws4_request", c.date, c.region, c.service),
        prev: sig,
        trailer,
    })
}

fn resign_query(parts: &mut http::request::Parts) {
    let query = parts.uri.query().unwrap_or("").to_string();
    let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
    let Ok(Some(signed)) = sigv4::parse_presigned_query(&pairs) else {
        return;
    };
    let Some(date) = signed.amz_date.clone() else {
        return;
    };
    let headers = header_pairs(&parts.headers);
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: &query,
        headers: &headers,
        payload_sha256: "UNSIGNED-PAYLOAD",
    };
    let canonical = sigv4::canonical_request(&req, &signed, true);
    let sig = sign(&date, &signed, &canonical);
    let rebuilt: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with("X-Amz-Signature=") {
                format!("X-Amz-Signature={sig}")
            } else {
                p.to_string()
            }
        })
        .collect();
    set_query(parts, &rebuilt.join("&"));
}

fn set_query(parts: &mut http::request::Parts, query: &str) {
    let pq = if query.is_empty() {
        parts.uri.path().to_string()
    } else {
        format!("{}?{query}", parts.uri.path())
    };
    let mut b = http::uri::Builder::new();
    if let Some(s) = parts.uri.scheme() {
        b = b.scheme(s.clone());
    }
    if let Some(a) = parts.uri.authority() {
        b = b.authority(a.clone());
    }
    if let Ok(uri) = b.path_and_query(pq).build() {
        parts.uri = uri;
    }
}
