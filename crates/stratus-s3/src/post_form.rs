//! Browser POST uploads sign their policy with the visitor's secret, which
//! Stratus does not check (any credentials work). The signature fields are
//! renamed to `x-ignore-` fields as the form streams by, same length so Content-Length
//! holds, and s3s then takes the upload as an unsigned form; it still
//! enforces the policy's expiry and conditions.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use http_body::Frame;
use http_body_util::{BodyExt, BodyStream, StreamBody};
use parking_lot::Mutex;
use stratus_protocol::{Body, BoxError};

/// `x-ignore-` fields are exempt from the policy's conditions, as on S3.
const PATTERNS: [(&[u8], &[u8]); 2] = [
    (b"name=\"x-amz-signature\"", b"name=\"x-ignore-sig-v4\""),
    (b"name=\"signature\"", b"name=\"x-ignore-\""),
];
/// Bytes held back between chunks so a field name split across them is seen whole.
const KEEP: usize = 23;

pub fn is_form_upload(head: &http::request::Parts) -> bool {
    head.method == http::Method::POST
        && head
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn rewrite(buf: &mut [u8]) {
    for (from, to) in PATTERNS {
        let mut i = 0;
        while i + from.len() <= buf.len() {
            if buf[i..i + from.len()].eq_ignore_ascii_case(from) {
                buf[i..i + to.len()].copy_from_slice(to);
                i += from.len();
            } else {
                i += 1;
            }
        }
    }
}

/// The uploaded file's name, seen as the form streams by, for `${filename}` in the key.
#[derive(Clone, Default)]
pub struct FormFilename(pub Arc<Mutex<Option<String>>>);

fn capture_filename(buf: &[u8], into: &FormFilename) {
    const MARK: &[u8] = b"filename=\"";
    if into.0.lock().is_some() {
        return;
    }
    let Some(start) = buf
        .windows(MARK.len())
        .position(|w| w.eq_ignore_ascii_case(MARK))
    else {
        return;
    };
    let rest = &buf[start + MARK.len()..];
    if let Some(end) = rest.iter().position(|&b| b == b'"') {
        *into.0.lock() = Some(String::from_utf8_lossy(&rest[..end]).to_string());
    }
}

/// Notes the file's name as the form streams by, changing nothing.
pub fn capture_only(body: Body, filename: FormFilename) -> Body {
    scan(body, filename, false)
}

pub fn strip_signature(body: Body, filename: FormFilename) -> Body {
    scan(body, filename, true)
}

fn scan(body: Body, filename: FormFilename, strip: bool) -> Body {
    let stream = futures::stream::unfold(
        (body, Vec::<u8>::new(), false),
        move |(mut body, mut carry, done)| {
            let filename = filename.clone();
            async move {
                if done {
                    return None;
                }
                match body.frame().await {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => {
                            carry.extend_from_slice(&data);
                            if strip {
                                rewrite(&mut carry);
                            }
                            capture_filename(&carry, &filename);
                            let emit = carry.len().saturating_sub(KEEP);
                            let out: Vec<u8> = carry.drain(..emit).collect();
                            Some((Ok(Frame::data(Bytes::from(out))), (body, carry, false)))
                        }
                        Err(other) => Some((Ok(other), (body, carry, false))),
                    },
                    Some(Err(e)) => Some((Err(e), (body, carry, true))),
                    None if carry.is_empty() => None,
                    None => {
                        let rest = std::mem::take(&mut carry);
                        Some((Ok(Frame::data(Bytes::from(rest))), (body, carry, true)))
                    }
                }
            }
        },
    );
    StreamBody::new(stream).boxed_unsync()
}

/// The most of a form read ahead for its fields: they come before the
/// file, and are small.
const FIELDS_LIMIT: usize = 1 << 20;

fn boundary_of(head: &http::request::Parts) -> Option<String> {
    let ct = head
        .headers
        .get(http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    ct.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The fields of the whole parts in `buf` before the file part.
fn parse_fields(buf: &[u8], boundary: &str) -> Vec<(String, String)> {
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    let mut rest = buf;
    let Some(start) = find(rest, delim.as_bytes()) else {
        return out;
    };
    rest = &rest[start + delim.len()..];
    while let Some(end) = find(rest, delim.as_bytes()) {
        let part = &rest[..end];
        rest = &rest[end + delim.len()..];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..split]);
        if headers.to_ascii_lowercase().contains("filename=") {
            break;
        }
        let Some(name) = headers.split(';').find_map(|p| {
            let p = p.trim();
            p.strip_prefix("name=\"")
                .or_else(|| p.strip_prefix("NAME=\""))
                .and_then(|n| n.split('"').next())
        }) else {
            continue;
        };
        let value = String::from_utf8_lossy(&part[split + 4..]).to_string();
        out.push((name.to_ascii_lowercase(), value));
    }
    out
}

/// Reads a form up to its file part, for the fields that sign it; the
/// body handed back yields everything read, then the rest.
pub async fn read_fields(
    head: &http::request::Parts,
    mut body: Body,
) -> (Vec<(String, String)>, Body) {
    let Some(boundary) = boundary_of(head) else {
        return (Vec::new(), body);
    };
    let mut buf = Vec::new();
    let mut failed: Option<BoxError> = None;
    loop {
        let file_head_read =
            find(&buf, b"filename=\"").is_some_and(|at| find(&buf[at..], b"\r\n\r\n").is_some());
        if file_head_read || buf.len() > FIELDS_LIMIT {
            break;
        }
        match body.frame().await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    buf.extend_from_slice(&d);
                }
            }
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let fields = parse_fields(&buf, &boundary);
    let first: Result<Frame<Bytes>, BoxError> = match failed {
        Some(e) => Err(e),
        None => Ok(Frame::data(Bytes::from(buf))),
    };
    let rest = BodyStream::new(body);
    let stream = futures::stream::once(async move { first }).chain(rest);
    (fields, StreamBody::new(stream).boxed_unsync())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_before_the_file() {
        let form = b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nin/${filename}\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"X-Amz-Credential\"\r\n\r\nAKID/20250101/us-east-1/s3/aws4_request\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nbody\r\n--XyZ--\r\n";
        let f = parse_fields(form, "XyZ");
        assert_eq!(
            f,
            vec![
                ("key".to_string(), "in/${filename}".to_string()),
                (
                    "x-amz-credential".to_string(),
                    "AKID/20250101/us-east-1/s3/aws4_request".to_string()
                ),
            ]
        );
    }

    #[test]
    fn renames_signature_fields_only() {
        let mut b = b"Content-Disposition: form-data; name=\"X-Amz-Signature\"\r\n\r\nabc\r\nname=\"signature\" name=\"key\"".to_vec();
        let len = b.len();
        rewrite(&mut b);
        assert_eq!(b.len(), len);
        let s = String::from_utf8(b).unwrap();
        assert!(s.contains("name=\"x-ignore-sig-v4\""));
        assert!(s.contains("name=\"x-ignore-\""));
        assert!(s.contains("name=\"key\""));
    }
}
