//! `--verify-signatures` for S3: requests signed with a key Stratus issued
//! are checked against that key's secret. SigV4 header and presigned
//! signatures are checked here, before s3s sees the request, so the error
//! carries what S3 puts in it (StringToSign, CanonicalRequest, ...); such
//! requests then reach s3s with their own signature, and s3s, handed the
//! real secret, checks the rest as it reads the body: aws-chunked chunk and
//! trailer signatures, SigV2 header and query signatures, POST policy
//! signatures. Keys Stratus did not issue are not checked, as for every
//! other service, unless they look like issued keys (`AKIA`/`ASIA`).

use stratus_core::{AwsError, Identities};
use stratus_protocol::sigv4::{self, RequestParts, SigError, SignedRequest};

use crate::host::{self, HostKind};

pub const MSG_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

/// Looks up the secrets of the keys whose signatures are checked.
#[derive(Clone)]
pub struct Verifier {
    pub identities: Identities,
}

fn invalid_key() -> AwsError {
    AwsError::new(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    )
}

/// `AKIA`/`ASIA` and 16 more: the shape of the keys IAM and STS issue.
fn looks_issued(key: &str) -> bool {
    (key.starts_with("AKIA") || key.starts_with("ASIA"))
        && key.len() == 20
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Verifier {
    /// The secret to check `key`'s signatures with; `None` for a key whose
    /// signatures are not checked; `InvalidAccessKeyId` for a key that is
    /// not (or no longer) Stratus's.
    pub fn secret(&self, key: &str) -> Result<Option<String>, AwsError> {
        match self.identities.issued(key) {
            Some(id) => match id.secret_key {
                // A deleted key is kept without a usable secret.
                Some(s) if s.is_empty() => Err(invalid_key()),
                Some(s) => Ok(Some(s)),
                None => Ok(None),
            },
            None if looks_issued(key) => Err(invalid_key()),
            None => Ok(None),
        }
    }
}

/// The signature a request head carries.
pub enum HeadSignature {
    V4(SignedRequest),
    /// SigV2 (`Authorization: AWS key:sig`, or `AWSAccessKeyId`/`Signature`
    /// in the query): the key, the signature, and whether it is presigned.
    V2 {
        key: String,
        signature: String,
        presigned: bool,
    },
    /// Anonymous, or a browser form (its signature is in the body).
    None,
}

pub fn head_signature(parts: &http::request::Parts) -> Result<HeadSignature, AwsError> {
    let sig_err = |e: SigError| AwsError::new(e.status(), e.code(), e.message());
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(a) = auth {
        if let Some(rest) = a.strip_prefix("AWS ") {
            let (key, signature) = rest.rsplit_once(':').unwrap_or((rest, ""));
            return Ok(HeadSignature::V2 {
                key: key.trim().to_string(),
                signature: signature.trim().to_string(),
                presigned: false,
            });
        }
        return sigv4::parse_authorization_header(a)
            .map(HeadSignature::V4)
            .map_err(sig_err);
    }
    let query = parts.uri.query().unwrap_or("");
    let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    if let (Some(key), Some(signature)) = (get("AWSAccessKeyId"), get("Signature")) {
        return Ok(HeadSignature::V2 {
            key,
            signature,
            presigned: true,
        });
    }
    match sigv4::parse_presigned_query(&pairs).map_err(sig_err)? {
        Some(s) => Ok(HeadSignature::V4(s)),
        None => Ok(HeadSignature::None),
    }
}

/// Hex bytes separated by spaces, as S3 spells `StringToSignBytes`.
fn spaced_hex(s: &str) -> String {
    s.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What S3 reports with a `SignatureDoesNotMatch`.
#[derive(Debug, Clone, Default)]
pub struct Mismatch {
    pub access_key: String,
    pub string_to_sign: String,
    pub signature_provided: String,
    /// SigV4 only.
    pub canonical_request: Option<String>,
}

impl Mismatch {
    pub fn error(&self) -> AwsError {
        let mut e = AwsError::new(403, "SignatureDoesNotMatch", MSG_MISMATCH);
        e.fields
            .insert("AWSAccessKeyId".into(), self.access_key.clone());
        e.fields
            .insert("StringToSign".into(), self.string_to_sign.clone());
        e.fields
            .insert("StringToSignBytes".into(), spaced_hex(&self.string_to_sign));
        e.fields
            .insert("SignatureProvided".into(), self.signature_provided.clone());
        if let Some(c) = &self.canonical_request {
            e.fields.insert("CanonicalRequest".into(), c.clone());
            e.fields
                .insert("CanonicalRequestBytes".into(), spaced_hex(c));
        }
        e
    }
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Checks a SigV4 header or presigned signature with `secret`.
pub fn check_v4(
    parts: &http::request::Parts,
    signed: &SignedRequest,
    secret: &str,
    now_secs: i64,
) -> Result<(), AwsError> {
    let headers = header_pairs(&parts.headers);
    let payload = match parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(h) => h.to_string(),
        None => "UNSIGNED-PAYLOAD".to_string(),
    };
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload_sha256: &payload,
    };
    match sigv4::verify(&req, signed, secret, now_secs, true) {
        Ok(()) => Ok(()),
        Err(SigError::SignatureDoesNotMatch(_)) => {
            let canonical = sigv4::canonical_request(&req, signed, true);
            let date = sigv4::request_date(&req, signed, true).unwrap_or_default();
            let sts = sigv4::string_to_sign(&date, &signed.credential, &canonical);
            Err(Mismatch {
                access_key: signed.credential.access_key.clone(),
                string_to_sign: sts,
                signature_provided: signed.signature.clone(),
                canonical_request: Some(canonical),
            }
            .error())
        }
        Err(SigError::RequestTimeTooSkewed {
            request_epoch,
            server_epoch,
            s3: true,
        }) => Err(skew_error(request_epoch, server_epoch)),
        Err(e) => Err(AwsError::new(e.status(), e.code(), e.message())),
    }
}

/// S3's `RequestTimeTooSkewed`, with the times it reports.
pub fn skew_error(request_epoch: i64, server_epoch: i64) -> AwsError {
    let e = SigError::RequestTimeTooSkewed {
        request_epoch,
        server_epoch,
        s3: true,
    };
    let mut err = AwsError::new(e.status(), e.code(), e.message());
    err.fields.insert(
        "RequestTime".into(),
        stratus_core::time::iso8601(request_epoch * 1000),
    );
    err.fields.insert(
        "ServerTime".into(),
        stratus_core::time::iso8601(server_epoch * 1000),
    );
    err.fields
        .insert("MaxAllowedSkewMilliseconds".into(), "900000".into());
    err
}

/// Sub-resources that are part of a SigV2 string to sign.
const V2_SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// SigV2's string to sign, as clients build it: what S3 reports when a
/// SigV2 signature does not match.
pub fn v2_string_to_sign(parts: &http::request::Parts, presigned: bool) -> String {
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let query = parts.uri.query().unwrap_or("");
    let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
    let date = if presigned {
        pairs
            .iter()
            .find(|(k, _)| k == "Expires")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    } else if parts.headers.contains_key("x-amz-date") {
        String::new()
    } else {
        header("date")
    };
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if !n.starts_with("x-amz-") {
            continue;
        }
        let v = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
        match amz.iter_mut().find(|(k, _)| k == n) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            None => amz.push((n.to_string(), v)),
        }
    }
    amz.sort();
    let mut out = format!(
        "{}\n{}\n{}\n{date}\n",
        parts.method.as_str(),
        header("content-md5"),
        header("content-type")
    );
    for (k, v) in amz {
        out.push_str(&format!("{k}:{v}\n"));
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let HostKind::Api {
        bucket: Some(b), ..
    } = host::classify(host)
    {
        out.push('/');
        out.push_str(&b);
    }
    out.push_str(parts.uri.path());
    let mut subs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| V2_SUBRESOURCES.contains(&k.as_str()))
        .collect();
    subs.sort_by(|a, b| a.0.cmp(&b.0));
    if !subs.is_empty() {
        let raw_names: Vec<&str> = query.split('&').collect();
        let joined: Vec<String> = subs
            .iter()
            .map(|(k, v)| {
                // `?uploads` has no `=`; `?acl=` would.
                let bare = raw_names.iter().any(|p| p == k);
                if bare && v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        out.push('?');
        out.push_str(&joined.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn keys_that_look_issued() {
        assert!(looks_issued("AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_issued("ASIAZZZZZZZZZZZZZZZZ"));
        assert!(!looks_issued("test"));
        assert!(!looks_issued("123456789012"));
        assert!(!looks_issued("AKIA"));
    }

    #[test]
    fn unknown_and_deleted_keys_are_refused() {
        let ids = Identities::new("000000000000");
        let mut id = stratus_core::Identity::root("000000000000", "AKIAAAAAAAAAAAAAAAAA");
        id.secret_key = Some("s3cret".into());
        ids.register(id);
        let mut gone = stratus_core::Identity::root("000000000000", "AKIABBBBBBBBBBBBBBBB");
        gone.secret_key = Some(String::new());
        ids.register(gone);
        let v = Verifier { identities: ids };
        assert_eq!(
            v.secret("AKIAAAAAAAAAAAAAAAAA").unwrap().as_deref(),
            Some("s3cret")
        );
        assert_eq!(v.secret("test").unwrap(), None);
        assert_eq!(
            v.secret("AKIABBBBBBBBBBBBBBBB").unwrap_err().code,
            "InvalidAccessKeyId"
        );
        assert_eq!(
            v.secret("AKIACCCCCCCCCCCCCCCC").unwrap_err().code,
            "InvalidAccessKeyId"
        );
    }

    #[test]
    fn v2_string_to_sign_of_a_header_signed_put() {
        // The example of S3's SigV2 documentation (object PUT).
        let p = head(
            "PUT",
            "/photos/puppy.jpg",
            &[
                ("host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"),
                ("content-type", "image/jpeg"),
                ("date", "Tue, 27 Mar 2007 21:15:45 +0000"),
            ],
        );
        assert_eq!(
            v2_string_to_sign(&p, false),
            "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg"
        );
    }

    #[test]
    fn v2_string_to_sign_keeps_subresources_and_amz_headers() {
        let p = head(
            "GET",
            "/bucket/key?versionId=3&prefix=x&acl",
            &[
                ("host", "127.0.0.1:4566"),
                ("x-amz-meta-b", "2"),
                ("x-amz-date", "Tue, 27 Mar 2007 21:15:45 +0000"),
                ("date", "ignored"),
            ],
        );
        assert_eq!(
            v2_string_to_sign(&p, false),
            "GET\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:15:45 +0000\nx-amz-meta-b:2\n/bucket/key?acl&versionId=3"
        );
        let q = head(
            "GET",
            "/bucket/key?AWSAccessKeyId=AKID&Expires=1175139620&Signature=x",
            &[("host", "127.0.0.1:4566")],
        );
        assert_eq!(
            v2_string_to_sign(&q, true),
            "GET\n\n\n1175139620\n/bucket/key"
        );
    }

    #[test]
    fn mismatch_body_fields() {
        let m = Mismatch {
            access_key: "AKID".into(),
            string_to_sign: "AB".into(),
            signature_provided: "sig".into(),
            canonical_request: Some("C".into()),
        };
        let e = m.error();
        assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"));
        assert_eq!(e.fields["StringToSignBytes"], "41 42");
        assert_eq!(e.fields["CanonicalRequestBytes"], "43");
        assert_eq!(e.fields["AWSAccessKeyId"], "AKID");
    }
}
