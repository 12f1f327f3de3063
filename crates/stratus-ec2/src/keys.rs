//! SSH key material for key pairs: generation (RSA 2048 and ED25519),
//! the private key formats EC2 hands out (PEM and PuTTY's PPK), parsing of
//! imported OpenSSH public keys, and AWS's fingerprints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use md5::Md5;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use sha1::{Digest as _, Sha1};
use sha2::{Digest as _, Sha256};

/// A key pair made by CreateKeyPair: what the caller gets once, and what
/// EC2 keeps.
#[derive(Debug, Clone)]
pub struct Generated {
    pub private_key: String,
    /// `ssh-rsa AAAA...` (no comment).
    pub public_key: String,
    pub fingerprint: String,
}

/// An imported public key: its type (`rsa`/`ed25519`), the OpenSSH line
/// (no comment) and its fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub key_type: &'static str,
    pub public_key: String,
    pub fingerprint: String,
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

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// SSH wire encoding: a length-prefixed string.
fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// SSH wire encoding of a non-negative integer (mpint).
fn put_mpint(out: &mut Vec<u8>, n: &BigUint) {
    let mut b = n.to_bytes_be();
    while b.len() > 1 && b[0] == 0 {
        b.remove(0);
    }
    if b == [0] {
        b.clear();
    }
    if b.first().is_some_and(|x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    put_string(out, &b);
}

fn wrap(text: &str, width: usize) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn pem(label: &str, der: &[u8], width: usize) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----",
        wrap(&B64.encode(der), width)
    )
}

fn rsa_blob(n: &BigUint, e: &BigUint) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, e);
    put_mpint(&mut blob, n);
    blob
}

fn ed25519_blob(public: &[u8; 32]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

/// `ssh-keygen -l`'s SHA256 fingerprint, as EC2 shows it (padded base64,
/// no `SHA256:` prefix).
pub fn sha256_fingerprint(blob: &[u8]) -> String {
    B64.encode(Sha256::digest(blob))
}

/// PuTTY's private key file, version 2, unencrypted.
fn ppk(alg: &str, comment: &str, public: &[u8], private: &[u8]) -> String {
    let mut mac_data = Vec::new();
    for part in [alg.as_bytes(), b"none", comment.as_bytes(), public, private] {
        put_string(&mut mac_data, part);
    }
    let key = Sha1::digest(b"putty-private-key-file-mac-key");
    let mac = hmac_sha1(&key, &mac_data);
    let pub_b64 = wrap(&B64.encode(public), 64);
    let priv_b64 = wrap(&B64.encode(private), 64);
    format!(
        "PuTTY-User-Key-File-2: {alg}\nEncryption: none\nComment: {comment}\nPublic-Lines: {}\n{pub_b64}\nPrivate-Lines: {}\n{priv_b64}\nPrivate-MAC: {}\n",
        pub_b64.lines().count(),
        priv_b64.lines().count(),
        mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<_>>());
    inner.update(data);
    let mut outer = Sha1::new();
    outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>());
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// A new 2048-bit RSA key: PKCS#1 PEM (or PPK), and as fingerprint the
/// SHA-1 of the PKCS#8 DER private key, as EC2 computes it.
pub fn generate_rsa(ppk_comment: Option<&str>) -> Result<Generated, String> {
    let mut key = RsaPrivateKey::new(&mut Rng, 2048).map_err(|e| e.to_string())?;
    key.precompute().map_err(|e| e.to_string())?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    let fingerprint = colon_hex(&Sha1::digest(pkcs8.as_bytes()));
    let blob = rsa_blob(key.n(), key.e());
    let private_key = match ppk_comment {
        None => {
            let der = key.to_pkcs1_der().map_err(|e| e.to_string())?;
            pem("RSA PRIVATE KEY", der.as_bytes(), 64)
        }
        Some(comment) => {
            let primes = key.primes();
            let (p, q) = (&primes[0], &primes[1]);
            let iqmp = key.crt_coefficient().ok_or("no CRT coefficient")?;
            let mut private = Vec::new();
            put_mpint(&mut private, key.d());
            put_mpint(&mut private, p);
            put_mpint(&mut private, q);
            put_mpint(&mut private, &iqmp);
            ppk("ssh-rsa", comment, &blob, &private)
        }
    };
    Ok(Generated {
        private_key,
        public_key: format!("ssh-rsa {}", B64.encode(&blob)),
        fingerprint,
    })
}

/// A new ED25519 key in OpenSSH's private key format (or PPK); the
/// fingerprint is the SHA-256 of the public key blob.
pub fn generate_ed25519(comment: &str, as_ppk: bool) -> Generated {
    let seed: [u8; 32] = stratus_core::ids::random_bytes(32)
        .try_into()
        .unwrap_or([7u8; 32]);
    ed25519_from_seed(&seed, comment, as_ppk)
}

fn ed25519_from_seed(seed: &[u8; 32], comment: &str, as_ppk: bool) -> Generated {
    let public = ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes();
    let blob = ed25519_blob(&public);
    let private_key = if as_ppk {
        let mut private = Vec::new();
        put_string(&mut private, seed);
        ppk("ssh-ed25519", comment, &blob, &private)
    } else {
        openssh_private(&blob, seed, &public, comment)
    };
    Generated {
        private_key,
        public_key: format!("ssh-ed25519 {}", B64.encode(&blob)),
        fingerprint: sha256_fingerprint(&blob),
    }
}

/// OpenSSH's own private key format (`openssh-key-v1`), unencrypted.
fn openssh_private(blob: &[u8], seed: &[u8; 32], public: &[u8; 32], comment: &str) -> String {
    let mut out = b"openssh-key-v1\0".to_vec();
    put_string(&mut out, b"none");
    put_string(&mut out, b"none");
    put_string(&mut out, b"");
    out.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut out, blob);
    let check = stratus_core::ids::random_bytes(4);
    let mut private = Vec::new();
    private.extend_from_slice(&check);
    private.extend_from_slice(&check);
    put_string(&mut private, b"ssh-ed25519");
    put_string(&mut private, public);
    let mut both = seed.to_vec();
    both.extend_from_slice(public);
    put_string(&mut private, &both);
    put_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    put_string(&mut out, &private);
    pem("OPENSSH PRIVATE KEY", &out, 70)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(self.0.get(..4)?.try_into().ok()?) as usize;
        let s = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        Some(s)
    }
}

/// Parses an OpenSSH public key (`ssh-rsa AAAA... comment` or
/// `ssh-ed25519 ...`, also RFC 4716's `---- BEGIN SSH2 PUBLIC KEY ----`
/// form) and computes EC2's fingerprint for it: MD5 of the DER public key
/// for RSA, SHA-256 of the key blob for ED25519.
pub fn import(material: &[u8]) -> Option<Imported> {
    let text = std::str::from_utf8(material).ok()?.trim();
    let b64: String = if text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----") {
        let mut body = String::new();
        let mut continued = false;
        for line in text.lines().skip(1) {
            let line = line.trim();
            if line.starts_with("---- END") {
                break;
            }
            // Header lines (`Comment: ...`) and their continuations.
            if continued || line.contains(':') {
                continued = line.ends_with('\\');
                continue;
            }
            body.push_str(line);
        }
        body
    } else {
        let mut parts = text.split_whitespace();
        let kind = parts.next()?;
        if kind != "ssh-rsa" && kind != "ssh-ed25519" {
            return None;
        }
        parts.next()?.to_string()
    };
    let blob = B64.decode(b64.as_bytes()).ok()?;
    let mut r = Reader(&blob);
    match r.string()? {
        b"ssh-rsa" => {
            let e = BigUint::from_bytes_be(r.string()?);
            let n = BigUint::from_bytes_be(r.string()?);
            if !r.0.is_empty() || n.bits() < 1024 {
                return None;
            }
            let public = RsaPublicKey::new(n, e).ok()?;
            let der = public.to_public_key_der().ok()?;
            Some(Imported {
                key_type: "rsa",
                public_key: format!("ssh-rsa {}", B64.encode(&blob)),
                fingerprint: colon_hex(&Md5::digest(der.as_bytes())),
            })
        }
        b"ssh-ed25519" => {
            let key = r.string()?;
            if key.len() != 32 || !r.0.is_empty() {
                return None;
            }
            Some(Imported {
                key_type: "ed25519",
                public_key: format!("ssh-ed25519 {}", B64.encode(&blob)),
                fingerprint: sha256_fingerprint(&blob),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_public_key_from_rfc8032_seed() {
        // RFC 8032, section 7.1, test 1.
        let seed: [u8; 32] = (0..32)
            .map(|i| {
                u8::from_str_radix(
                    &"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
                        [i * 2..i * 2 + 2],
                    16,
                )
                .unwrap()
            })
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let g = ed25519_from_seed(&seed, "k", false);
        let blob = B64
            .decode(g.public_key.strip_prefix("ssh-ed25519 ").unwrap())
            .unwrap();
        let hex: String = blob[blob.len() - 32..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert!(
            g.private_key
                .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n")
        );
        assert!(g.private_key.lines().all(|l| l.len() <= 70));
        // Importing the public half gives the same fingerprint.
        let imported = import(format!("{} me@host", g.public_key).as_bytes()).unwrap();
        assert_eq!(imported.fingerprint, g.fingerprint);
        assert_eq!(imported.key_type, "ed25519");
        assert!(g.fingerprint.ends_with('='), "{}", g.fingerprint);
    }

    #[test]
    fn rsa_keys_round_trip_through_import() {
        let g = generate_rsa(None).unwrap();
        assert!(
            g.private_key
                .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
        );
        assert_eq!(g.fingerprint.len(), 59);
        let imported = import(g.public_key.as_bytes()).unwrap();
        assert_eq!(imported.key_type, "rsa");
        // Imported RSA keys have an MD5 fingerprint: 16 bytes.
        assert_eq!(imported.fingerprint.len(), 47);
        assert_eq!(imported.public_key, g.public_key);
        let p = generate_rsa(Some("lab")).unwrap();
        assert!(
            p.private_key
                .starts_with("PuTTY-User-Key-File-2: ssh-rsa\n")
        );
        assert!(p.private_key.contains("\nPrivate-MAC: "));
    }

    #[test]
    fn rejects_what_is_not_an_openssh_key() {
        assert!(import(b"not a key").is_none());
        assert!(import(b"ssh-rsa !!!!").is_none());
        assert!(import(b"ssh-dss AAAAB3NzaC1kc3M=").is_none());
        // A blob whose type disagrees with nothing valid inside.
        assert!(import(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=").is_none());
    }

    #[test]
    fn hmac_matches_rfc2202() {
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }
}
