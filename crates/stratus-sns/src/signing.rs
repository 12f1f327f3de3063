//! Message signatures that verify: one RSA key per server (kept in the
//! store, so certificates stay valid across restarts), a self-signed X.509
//! certificate for it served at the `SigningCertURL`, and SHA1withRSA
//! (SignatureVersion 1) or SHA256withRSA (2) over the string AWS documents.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use parking_lot::Mutex;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::Sha256;
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::router::Caller;
use stratus_protocol::{Body, HttpFuture, HttpHandler};
use stratus_store::{Batch, Store};

const TABLE: &str = "sns.signing";
const KEY: &[u8] = b"key";
const CERT_PREFIX: &str = "/SimpleNotificationService-";
/// Certificates are valid for ten years from the key's creation.
const VALIDITY_MS: i64 = 10 * 365 * 86_400_000;

/// DER DigestInfo headers that PKCS#1 v1.5 puts before the hash.
const SHA1_INFO: &[u8] = &[
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA256_INFO: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// sha256WithRSAEncryption, 1.2.840.113549.1.1.11, with NULL parameters.
const SHA256_WITH_RSA: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
/// commonName, 2.5.4.3.
const COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];

#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    /// PKCS#8 DER, base64.
    key: String,
    created_ms: i64,
}

/// The server's signing key and its certificate.
pub struct Signer {
    id: String,
    key: RsaPrivateKey,
    cert_pem: String,
}

/// The random source of the RSA crate, fed by the process's generator.
struct Rng;

impl rand_core_06::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        let b = stratus_core::ids::random_bytes(4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.copy_from_slice(&stratus_core::ids::random_bytes(dest.len()));
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for Rng {}

impl Signer {
    pub fn generate(bits: usize, id: String, now_ms: i64) -> Result<Signer, String> {
        let key = RsaPrivateKey::new(&mut Rng, bits).map_err(|e| e.to_string())?;
        Signer::from_key(id, key, now_ms)
    }

    fn from_key(id: String, key: RsaPrivateKey, created_ms: i64) -> Result<Signer, String> {
        let cert = certificate(&key, created_ms)?;
        Ok(Signer {
            id,
            key,
            cert_pem: pem("CERTIFICATE", &cert),
        })
    }

    /// The path the certificate is served at, after the server's base URL.
    pub fn cert_path(&self) -> String {
        format!("{CERT_PREFIX}{}.pem", self.id)
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The base64 signature of `text`: SHA256withRSA for version "2",
    /// SHA1withRSA otherwise.
    pub fn sign(&self, version: &str, text: &str) -> String {
        let mut info = Vec::with_capacity(51);
        if version == "2" {
            use sha2::Digest as _;
            info.extend_from_slice(SHA256_INFO);
            info.extend_from_slice(&Sha256::digest(text.as_bytes()));
        } else {
            use sha1::Digest as _;
            info.extend_from_slice(SHA1_INFO);
            info.extend_from_slice(&Sha1::digest(text.as_bytes()));
        }
        match self.key.sign(Pkcs1v15Sign::new_unprefixed(), &info) {
            Ok(sig) => B64.encode(sig),
            Err(e) => {
                tracing::error!(error = %e, "could not sign an SNS message");
                String::new()
            }
        }
    }
}

/// The string SNS signs: the named members in this order, each as its name,
/// a newline, its value and a newline; absent members are left out.
pub fn string_to_sign(fields: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        if let Some(v) = value {
            out.push_str(name);
            out.push('\n');
            out.push_str(v);
            out.push('\n');
        }
    }
    out
}

/// The key, loaded from the store or made on first use.
pub struct Keys {
    store: Store,
    signer: Mutex<Option<Arc<Signer>>>,
}

impl Keys {
    pub fn load(store: Store) -> Result<Keys, AwsError> {
        let stored: Option<Stored> = store
            .get(TABLE, KEY)
            .map_err(|e| AwsError::internal(e.to_string()))?
            .and_then(|v| serde_json::from_slice(&v).ok());
        let signer = stored.and_then(|s| {
            let der = B64.decode(&s.key).ok()?;
            let key = RsaPrivateKey::from_pkcs8_der(&der).ok()?;
            Signer::from_key(s.id, key, s.created_ms).ok()
        });
        Ok(Keys {
            store,
            signer: Mutex::new(signer.map(Arc::new)),
        })
    }

    /// The signer, made (and stored) the first time one is needed.
    pub fn signer(&self, now_ms: i64) -> Result<Arc<Signer>, AwsError> {
        let mut slot = self.signer.lock();
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let id = stratus_core::ids::hex(32);
        let signer = Signer::generate(2048, id.clone(), now_ms).map_err(AwsError::internal)?;
        let der = signer
            .key
            .to_pkcs8_der()
            .map_err(|e| AwsError::internal(e.to_string()))?;
        let stored = Stored {
            id,
            key: B64.encode(der.as_bytes()),
            created_ms: now_ms,
        };
        let mut b = Batch::new();
        b.put_json(TABLE, KEY.to_vec(), &stored)
            .map_err(|e| AwsError::internal(e.to_string()))?;
        self.store
            .commit(b)
            .map_err(|e| AwsError::internal(e.to_string()))?;
        let signer = Arc::new(signer);
        *slot = Some(signer.clone());
        Ok(signer)
    }
}

/// Serves the signing certificate at `/SimpleNotificationService-<id>.pem`.
pub struct CertHandler(pub Arc<Keys>);

impl HttpHandler for CertHandler {
    fn name(&self) -> &'static str {
        "sns-signing-certificate"
    }

    fn claims(&self, head: &http::request::Parts, _caller: &Caller) -> bool {
        let path = head.uri.path();
        head.method == http::Method::GET && path.starts_with(CERT_PREFIX) && path.ends_with(".pem")
    }

    fn handle<'a>(&'a self, ctx: RequestContext, req: http::Request<Body>) -> HttpFuture<'a> {
        Box::pin(async move {
            let signer = self.0.signer(ctx.clock.now_millis()).ok();
            let found = signer
                .as_ref()
                .filter(|s| s.cert_path() == req.uri().path())
                .map(|s| s.cert_pem().to_string());
            let (status, body) = match found {
                Some(pem) => (http::StatusCode::OK, pem),
                None => (http::StatusCode::NOT_FOUND, String::new()),
            };
            let full: Body = Full::new(Bytes::from(body))
                .map_err(|never| match never {})
                .boxed_unsync();
            let mut resp = http::Response::new(full);
            *resp.status_mut() = status;
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-pem-file"),
            );
            resp
        })
    }

    fn reset(&self) -> Result<(), AwsError> {
        // The key outlives resets, like a certificate subscribers have cached.
        Ok(())
    }
}

// -- a minimal DER encoder, enough for one self-signed certificate ---------

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive INTEGER from big-endian bytes.
fn integer(be: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&trimmed);
    tlv(0x02, &content)
}

fn name(common_name: &str) -> Vec<u8> {
    let attr = sequence(&[COMMON_NAME, &tlv(0x0c, common_name.as_bytes())]);
    sequence(&[&tlv(0x31, &attr)])
}

/// UTCTime through 2049, GeneralizedTime after, as RFC 5280 asks.
fn time(epoch_ms: i64) -> Vec<u8> {
    let secs = epoch_ms.div_euclid(1000);
    let (y, mo, d) = stratus_core::time::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let hms = format!("{:02}{:02}{:02}Z", t / 3600, t % 3600 / 60, t % 60);
    if (1950..2050).contains(&y) {
        tlv(0x17, format!("{:02}{mo:02}{d:02}{hms}", y % 100).as_bytes())
    } else {
        tlv(0x18, format!("{y:04}{mo:02}{d:02}{hms}").as_bytes())
    }
}

fn certificate(key: &RsaPrivateKey, created_ms: i64) -> Result<Vec<u8>, String> {
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    let version = tlv(0xa0, &integer(&[2]));
    let serial = integer(&created_ms.to_be_bytes());
    let subject = name("sns.amazonaws.com");
    let validity = sequence(&[&time(created_ms), &time(created_ms + VALIDITY_MS)]);
    let tbs = sequence(&[
        &version,
        &serial,
        SHA256_WITH_RSA,
        &subject,
        &validity,
        &subject,
        spki.as_bytes(),
    ]);
    let mut info = SHA256_INFO.to_vec();
    {
        use sha2::Digest as _;
        info.extend_from_slice(&Sha256::digest(&tbs));
    }
    let sig = key
        .sign(Pkcs1v15Sign::new_unprefixed(), &info)
        .map_err(|e| e.to_string())?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    Ok(sequence(&[&tbs, SHA256_WITH_RSA, &tlv(0x03, &bits)]))
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;

    #[test]
    fn der_lengths_and_integers() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(integer(&[0, 0, 5]), vec![0x02, 1, 5]);
        assert_eq!(integer(&[0x80]), vec![0x02, 2, 0, 0x80]);
        assert_eq!(integer(&[0]), vec![0x02, 1, 0]);
        // 2024-01-02T03:04:05Z and 2051-01-01T00:00:00Z
        assert_eq!(&time(1_704_164_645_000)[2..], b"240102030405Z");
        assert_eq!(time(2_556_144_000_000)[0], 0x18);
    }

    #[test]
    fn string_to_sign_leaves_out_absent_members() {
        let s = string_to_sign(&[
            ("Message", Some("hi")),
            ("MessageId", Some("m1")),
            ("Subject", None),
            ("Timestamp", Some("t")),
        ]);
        assert_eq!(s, "Message\nhi\nMessageId\nm1\nTimestamp\nt\n");
    }

    #[test]
    fn signatures_verify_against_the_certificate_key() {
        let signer = Signer::generate(1024, "abc".into(), 1_700_000_000_000).unwrap();
        assert_eq!(signer.cert_path(), "/SimpleNotificationService-abc.pem");
        let pem_body: String = signer
            .cert_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cert = B64.decode(pem_body).unwrap();
        // The certificate carries the key's SubjectPublicKeyInfo.
        let spki = signer.key.to_public_key().to_public_key_der().unwrap();
        let at = cert
            .windows(spki.as_bytes().len())
            .position(|w| w == spki.as_bytes())
            .expect("public key in the certificate");
        let public =
            RsaPublicKey::from_public_key_der(&cert[at..at + spki.as_bytes().len()]).unwrap();
        for (version, info) in [("1", SHA1_INFO), ("2", SHA256_INFO)] {
            let sig = B64.decode(signer.sign(version, "Message\nhi\n")).unwrap();
            let mut expected = info.to_vec();
            if version == "2" {
                use sha2::Digest as _;
                expected.extend_from_slice(&Sha256::digest(b"Message\nhi\n"));
            } else {
                use sha1::Digest as _;
                expected.extend_from_slice(&Sha1::digest(b"Message\nhi\n"));
            }
            public
                .verify(Pkcs1v15Sign::new_unprefixed(), &expected, &sig)
                .expect("signature verifies");
            assert!(
                public
                    .verify(
                        Pkcs1v15Sign::new_unprefixed(),
                        &expected,
                        &sig[..sig.len() - 1]
                    )
                    .is_err()
            );
        }
    }
}
