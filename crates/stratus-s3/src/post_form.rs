//! Browser POST uploads sign their policy with the visitor's secret, which
//! Stratus does not check (any credentials work). The signature fields are
//! renamed to `x-ignore-` fields as the form streams by, same length so Content-Length
//! holds, and s3s then takes the upload as an unsigned form; it still
//! enforces the policy's expiry and conditions.

use std::sync::Arc;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use parking_lot::Mutex;
use stratus_protocol::Body;

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

pub fn strip_signature(body: Body, filename: FormFilename) -> Body {
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
                            rewrite(&mut carry);
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

#[cfg(test)]
mod tests {
    use super::*;

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
