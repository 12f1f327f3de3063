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
    resign_v4(parts)
}

fn resign_v4(parts: &mut http::request::Parts) -> Result<Option<ChunkSigner>, AwsError> {
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(auth) = auth {
        if auth.starts_with("AWS ") {
            parts.headers.remove(http::header::AUTHORIZATION);
            return Ok(None);
        }
        let Ok(signed) = sigv4::parse_authorization_header(&auth) else {
            return Ok(None);
        };
        if payload_unchecked(parts, &signed)? {
            parts.headers.remove(http::header::AUTHORIZATION);
            return Ok(None);
        }
        return Ok(resign_header(parts, &auth, &signed));
    }
    if parts
        .uri
        .query()
        .is_some_and(|q| q.contains("X-Amz-Signature="))
    {
        resign_query(parts);
    }
    Ok(None)
}

/// SHA-256 of an empty payload.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Whether a header-signed request can reach s3s unsigned: its payload is
/// `UNSIGNED-PAYLOAD`, or declared empty and absent, so s3s would check
/// nothing of it. Re-signing such a request only for s3s to verify it again
/// is about a quarter of a small GET's cost. What s3s would still check of
/// it is checked here: the date's skew and a body's Content-Length.
/// Anything unusual (no date, a scope that disagrees with it, another
/// service) goes the re-signing way, for s3s to answer.
fn payload_unchecked(
    parts: &http::request::Parts,
    signed: &SignedRequest,
) -> Result<bool, AwsError> {
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
    let chunked = parts.headers.contains_key(http::header::TRANSFER_ENCODING);
    let length = header("content-length");
    match header("x-amz-content-sha256") {
        Some("UNSIGNED-PAYLOAD") if chunked && length.is_none() => {
            return Err(AwsError::new(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            ));
        }
        Some("UNSIGNED-PAYLOAD") => {}
        Some(EMPTY_SHA256) if !chunked && length.is_none_or(|l| l == "0") => {}
        _ => return Ok(false),
    }
    let Some(date) = header("x-amz-date") else {
        return Ok(false);
    };
    let scope = &signed.credential;
    if scope.service != "s3" || date.get(..8) != Some(scope.date.as_str()) {
        return Ok(false);
    }
    let Some(request_ms) = stratus_core::time::parse_iso8601(date) else {
        return Ok(false);
    };
    // As s3s does: the skew is against real time, which `--test-mode` does
    // not move, so moving the server's clock never fails signed requests.
    let now_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if (request_ms / 1000 - now_secs).abs() > 15 * 60 {
        return Err(crate::signature::skew_error(request_ms / 1000, now_secs));
    }
    Ok(true)
}

fn resign_header(
    parts: &mut http::request::Parts,
    auth: &str,
    signed: &SignedRequest,
) -> Option<ChunkSigner> {
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
