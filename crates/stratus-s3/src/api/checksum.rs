//! Upload integrity: Content-MD5 and the flexible checksums (CRC32, CRC32C,
//! CRC64NVME, SHA1, SHA256), sent as headers or as aws-chunked trailers.

use base64::Engine as _;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
use s3s::dto::Checksum;
use s3s::{S3Error, S3ErrorCode, S3Result, TrailingHeaders};

use super::err;

pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// What the client asked to be checked.
pub struct Wanted {
    /// Upper-case algorithm name.
    pub algorithm: String,
    /// The value sent as a header, if not in a trailer.
    pub header_value: Option<String>,
    /// Whether the client named the algorithm (else the CRC64NVME default).
    pub explicit: bool,
}

pub fn header_name(algo: &str) -> String {
    format!("x-amz-checksum-{}", algo.to_ascii_lowercase())
}

pub fn get(c: &Checksum, algo: &str) -> Option<String> {
    match algo {
        "CRC32" => c.checksum_crc32.clone(),
        "CRC32C" => c.checksum_crc32c.clone(),
        "CRC64NVME" => c.checksum_crc64nvme.clone(),
        "SHA1" => c.checksum_sha1.clone(),
        "SHA256" => c.checksum_sha256.clone(),
        _ => None,
    }
}

pub fn set(c: &mut Checksum, algo: &str, v: String) {
    match algo {
        "CRC32" => c.checksum_crc32 = Some(v),
        "CRC32C" => c.checksum_crc32c = Some(v),
        "CRC64NVME" => c.checksum_crc64nvme = Some(v),
        "SHA1" => c.checksum_sha1 = Some(v),
        "SHA256" => c.checksum_sha256 = Some(v),
        _ => {}
    }
}

pub fn hasher(algo: &str) -> ChecksumHasher {
    let mut h = ChecksumHasher::default();
    match algo {
        "CRC32" => h.crc32 = Some(Crc32::new()),
        "CRC32C" => h.crc32c = Some(Crc32c::new()),
        "CRC64NVME" => h.crc64nvme = Some(Crc64Nvme::new()),
        "SHA1" => h.sha1 = Some(Sha1::new()),
        "SHA256" => h.sha256 = Some(Sha256::new()),
        _ => {}
    }
    h
}

/// Reads the request's checksum intent from the headers s3s decoded.
pub fn wanted(
    headers: &http::HeaderMap,
    algorithm: Option<&str>,
    given: &Checksum,
) -> S3Result<Wanted> {
    let sent: Vec<&str> = ALGORITHMS
        .iter()
        .copied()
        .filter(|a| get(given, a).is_some())
        .collect();
    if sent.len() > 1 {
        return Err(err(
            S3ErrorCode::InvalidRequest,
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ));
    }
    let trailer = headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| {
            ALGORITHMS
                .iter()
                .find(|a| t.trim().eq_ignore_ascii_case(&header_name(a)))
        })
        .copied();
    let algo = algorithm.map(str::to_ascii_uppercase);
    if let Some(a) = &algo {
        if !ALGORITHMS.contains(&a.as_str()) {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            ));
        }
    }
    let chosen = sent
        .first()
        .copied()
        .map(str::to_string)
        .or(trailer.map(str::to_string))
        .or(algo.clone());
    if let (Some(a), Some(s)) = (&algo, sent.first()) {
        if a != s {
            return Err(err(
                S3ErrorCode::InvalidRequest,
                format!(
                    "Value for x-amz-checksum-{} header is invalid.",
                    a.to_ascii_lowercase()
                ),
            ));
        }
    }
    Ok(match chosen {
        Some(a) => Wanted {
            header_value: get(given, &a),
            algorithm: a,
            explicit: true,
        },
        None => Wanted {
            algorithm: "CRC64NVME".into(),
            header_value: None,
            explicit: false,
        },
    })
}

/// Compares what was computed with what the client sent (header or trailer).
pub fn verify(w: &Wanted, computed: &Checksum, trailers: Option<&TrailingHeaders>) -> S3Result<()> {
    let expected = w.header_value.clone().or_else(|| {
        trailers.and_then(|t| {
            t.read(|h| {
                h.get(header_name(&w.algorithm).as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
            .flatten()
        })
    });
    let Some(expected) = expected else {
        return Ok(());
    };
    let actual = get(computed, &w.algorithm).unwrap_or_default();
    if expected != actual {
        return Err(bad_digest(&w.algorithm));
    }
    Ok(())
}

pub fn bad_digest(algo: &str) -> S3Error {
    err(
        S3ErrorCode::BadDigest,
        format!("The {algo} you specified did not match the calculated checksum."),
    )
}

/// Content-MD5 against the MD5 of what arrived.
pub fn verify_md5(content_md5: Option<&str>, md5: &[u8; 16]) -> S3Result<()> {
    let Some(v) = content_md5 else { return Ok(()) };
    let decoded = base64::engine::general_purpose::STANDARD.decode(v.trim());
    match decoded {
        Ok(d) if d.len() == 16 => {
            if d.as_slice() == md5 {
                Ok(())
            } else {
                Err(err(
                    S3ErrorCode::BadDigest,
                    "The Content-MD5 you specified did not match what we received.",
                ))
            }
        }
        _ => Err(err(
            S3ErrorCode::InvalidDigest,
            "The Content-MD5 you specified was invalid.",
        )),
    }
}
