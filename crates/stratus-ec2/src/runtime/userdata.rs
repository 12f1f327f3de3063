//! What an instance's user data asks for at boot, as cloud-init reads it:
//! a script (`#!` first) runs as root; other formats are reported on the
//! console and left alone.

use base64::Engine;

#[derive(Debug, PartialEq, Eq)]
pub enum UserData {
    None,
    Script(Vec<u8>),
    /// A format this runtime does not run, with the console line saying so.
    Unsupported(&'static str),
}

/// The user data's bytes, from its stored form (base64, as the caller sent
/// it; text that is not base64 is taken as it is).
pub fn decode(stored: Option<&str>) -> Option<Vec<u8>> {
    let text = stored.map(str::trim).filter(|s| !s.is_empty())?;
    let engine = base64::engine::general_purpose::STANDARD;
    Some(
        engine
            .decode(text)
            .unwrap_or_else(|_| text.as_bytes().to_vec()),
    )
}

/// Reads user data as stored.
pub fn parse(stored: Option<&str>) -> UserData {
    decode(stored).map_or(UserData::None, classify)
}

fn classify(bytes: Vec<u8>) -> UserData {
    if bytes.starts_with(b"#!") {
        UserData::Script(bytes)
    } else if bytes.starts_with(b"#cloud-config") {
        UserData::Unsupported("#cloud-config user data is not run by this runtime yet")
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        UserData::Unsupported("gzip-compressed user data is not run by this runtime yet")
    } else if bytes.starts_with(b"Content-Type: multipart") {
        UserData::Unsupported("MIME multi-part user data is not run by this runtime yet")
    } else {
        UserData::Unsupported("user data does not start with #! and is not run")
    }
}

/// The host name an instance takes: `ip-10-0-1-23`.
pub fn hostname(private_ip: &str) -> String {
    format!("ip-{}", private_ip.replace('.', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_run_and_other_formats_are_named() {
        let script = base64::engine::general_purpose::STANDARD.encode("#!/bin/sh\necho hi\n");
        assert_eq!(
            parse(Some(&script)),
            UserData::Script(b"#!/bin/sh\necho hi\n".to_vec())
        );
        let cc = base64::engine::general_purpose::STANDARD.encode("#cloud-config\nruncmd: []\n");
        assert!(matches!(parse(Some(&cc)), UserData::Unsupported(m) if m.contains("cloud-config")));
        assert_eq!(parse(None), UserData::None);
        assert_eq!(parse(Some("  ")), UserData::None);
        // Plain text that is not base64 is read as it is.
        assert_eq!(
            parse(Some("#!/bin/bash\ntrue")),
            UserData::Script(b"#!/bin/bash\ntrue".to_vec())
        );
        assert_eq!(hostname("10.0.1.23"), "ip-10-0-1-23");
    }
}
