//! Signed aws-chunked bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`)
//! chain each chunk's signature from the previous one, starting at the
//! request's. Once the request is re-signed (see `resign`), every chunk and
//! trailer signature is recomputed the same way as the body streams by.
//! Signatures keep their length, so Content-Length holds; one chunk at a
//! time is held in memory, as large as the client made it.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use sha2::{Digest, Sha256};
use stratus_protocol::{Body, BoxError};

const SIG_FIELD: &[u8] = b";chunk-signature=";
const TRAILER_SIG: &[u8] = b"x-amz-trailer-signature:";
/// Longest chunk header line accepted (hex size, extension, signature).
const MAX_HEADER_LINE: usize = 4096;

pub struct ChunkSigner {
    pub key: [u8; 32],
    pub amz_date: String,
    /// `yyyymmdd/region/service/aws4_request`
    pub scope: String,
    /// The previous signature: the request's, then each chunk's.
    pub prev: String,
    pub trailer: bool,
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

impl ChunkSigner {
    fn hmac(&self, s: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(s.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.prev,
            sha_hex(b""),
            sha_hex(data)
        );
        self.prev = self.hmac(&sts);
        self.prev.clone()
    }

    fn sign_trailer(&self, canonical: &[u8]) -> String {
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.prev,
            sha_hex(canonical)
        );
        self.hmac(&sts)
    }
}

enum Step {
    /// Needs more input.
    More,
    /// Emit these bytes and go on.
    Out(Vec<u8>),
    /// Emit these bytes; everything after passes through unchanged.
    Last(Vec<u8>),
}

fn bad(msg: &str) -> BoxError {
    Box::new(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        msg.to_string(),
    ))
}

/// One step over `buf`: a whole chunk (or the trailer section) re-signed.
fn step(s: &mut ChunkSigner, buf: &mut Vec<u8>) -> Result<Step, BoxError> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        if buf.len() > MAX_HEADER_LINE {
            return Err(bad("aws-chunked header line too long"));
        }
        return Ok(Step::More);
    };
    let line = &buf[..eol];
    let sig_at = line
        .windows(SIG_FIELD.len())
        .position(|w| w == SIG_FIELD)
        .ok_or_else(|| bad("aws-chunked chunk without a signature"))?;
    let size_hex = std::str::from_utf8(&line[..sig_at]).map_err(|_| bad("bad chunk size"))?;
    let size = usize::from_str_radix(size_hex.trim(), 16).map_err(|_| bad("bad chunk size"))?;
    let head_len = sig_at + SIG_FIELD.len();
    if size == 0 {
        let sig = s.sign_chunk(b"");
        if !s.trailer {
            let mut out = buf[..head_len].to_vec();
            out.extend_from_slice(sig.as_bytes());
            out.extend_from_slice(b"\r\n");
            buf.drain(..eol + 2);
            return Ok(Step::Last(out));
        }
        // The trailer section ends with its signature line and a blank line.
        let rest = &buf[eol + 2..];
        let Some(sig_line) = rest
            .windows(TRAILER_SIG.len())
            .position(|w| w.eq_ignore_ascii_case(TRAILER_SIG))
        else {
            if rest.len() > 16 << 10 {
                return Err(bad("aws-chunked trailer too long"));
            }
            return Ok(Step::More);
        };
        let Some(sig_end) = rest[sig_line..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(Step::More);
        };
        let trailers = &rest[..sig_line];
        let mut entries: Vec<(String, String)> = trailers
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.is_empty())
            .filter_map(|l| {
                let c = l.iter().position(|&b| b == b':')?;
                Some((
                    String::from_utf8_lossy(&l[..c]).to_ascii_lowercase(),
                    String::from_utf8_lossy(&l[c + 1..]).trim().to_string(),
                ))
            })
            .collect();
        entries.sort();
        let canonical: String = entries.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let tsig = s.sign_trailer(canonical.as_bytes());
        let mut out = buf[..head_len].to_vec();
        out.extend_from_slice(sig.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(trailers);
        out.extend_from_slice(TRAILER_SIG);
        out.extend_from_slice(tsig.as_bytes());
        buf.drain(..eol + 2 + sig_line + sig_end);
        return Ok(Step::Last(out));
    }
    let need = eol + 2 + size + 2;
    if buf.len() < need {
        return Ok(Step::More);
    }
    let sig = s.sign_chunk(&buf[eol + 2..eol + 2 + size]);
    let mut out = buf[..head_len].to_vec();
    out.extend_from_slice(sig.as_bytes());
    out.extend_from_slice(&buf[eol..need]);
    buf.drain(..need);
    Ok(Step::Out(out))
}

pub fn resign_body(body: Body, signer: ChunkSigner) -> Body {
    struct St {
        body: Body,
        signer: ChunkSigner,
        buf: Vec<u8>,
        passthrough: bool,
        ended: bool,
    }
    let st = St {
        body,
        signer,
        buf: Vec::new(),
        passthrough: false,
        ended: false,
    };
    let stream = futures::stream::unfold(st, |mut st| async move {
        loop {
            if st.passthrough {
                if !st.buf.is_empty() {
                    let rest = std::mem::take(&mut st.buf);
                    return Some((Ok(Frame::data(Bytes::from(rest))), st));
                }
                return match st.body.frame().await {
                    Some(Ok(f)) => Some((Ok(f), st)),
                    Some(Err(e)) => Some((Err(e), st)),
                    None => None,
                };
            }
            if !st.buf.is_empty() {
                match step(&mut st.signer, &mut st.buf) {
                    Ok(Step::Out(out)) => return Some((Ok(Frame::data(Bytes::from(out))), st)),
                    Ok(Step::Last(out)) => {
                        st.passthrough = true;
                        return Some((Ok(Frame::data(Bytes::from(out))), st));
                    }
                    Ok(Step::More) => {}
                    Err(e) => {
                        st.passthrough = true;
                        st.buf.clear();
                        return Some((Err(e), st));
                    }
                }
            }
            if st.ended {
                // A truncated body: hand on what is left for s3s to refuse.
                st.passthrough = true;
                continue;
            }
            match st.body.frame().await {
                Some(Ok(f)) => match f.into_data() {
                    Ok(d) => st.buf.extend_from_slice(&d),
                    Err(other) => return Some((Ok(other), st)),
                },
                Some(Err(e)) => return Some((Err(e), st)),
                None => st.ended = true,
            }
        }
    });
    StreamBody::new(stream).boxed_unsync()
}
