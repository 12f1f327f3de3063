//! What an instance's user data holds, as cloud-init reads it: a script
//! (`#!`), a `#cloud-config` document, a `#cloud-boothook`, gzip of any of
//! them, or a MIME multi-part message whose parts are any of them (as
//! `aws ec2 run-instances` users, CloudFormation and the CDK write it).
//! What cloud-init does with each part is in [`super::cloudinit`].

use std::io::Read;

use base64::Engine;

/// One part of the user data, by what cloud-init does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// `text/x-shellscript`: run by the scripts-user module, under its name.
    Script { name: String, body: Vec<u8> },
    /// `text/cloud-config`: the YAML text, merged with the other parts'.
    Config(String),
    /// `text/cloud-boothook`: run early at every boot.
    Boothook { name: String, body: Vec<u8> },
    /// A part this runtime does not act on, with the console line saying why.
    Skipped(String),
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

/// Reads user data as stored, into the parts cloud-init acts on.
pub fn parse(stored: Option<&str>) -> Vec<Part> {
    let Some(bytes) = decode(stored) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    let mut count = 0;
    classify(bytes, None, &mut count, &mut parts, 0);
    parts
}

fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Sorts one body into parts, by its declared type when it has one, else
/// by how it starts (cloud-init's "starts with" rules).
fn classify(
    bytes: Vec<u8>,
    declared: Option<(&str, Option<String>)>,
    count: &mut usize,
    out: &mut Vec<Part>,
    depth: usize,
) {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        match gunzip(&bytes) {
            Some(plain) => classify(plain, declared, count, out, depth),
            None => out.push(Part::Skipped(
                "user data is gzip that does not decompress".into(),
            )),
        }
        return;
    }
    let (kind, filename) = match declared {
        Some((t, f)) => (t.to_ascii_lowercase(), f),
        None => (String::new(), None),
    };
    let starts = |p: &[u8]| bytes.starts_with(p);
    let mut name = || {
        *count += 1;
        filename
            .clone()
            .unwrap_or_else(|| format!("part-{:03}", *count))
    };
    let multipart = kind.starts_with("multipart/")
        || (kind.is_empty() && (starts(b"Content-Type: multipart") || starts(b"MIME-Version:")));
    if multipart && depth < 4 {
        match mime_parts(&bytes) {
            Some(parts) => {
                for (t, f, body) in parts {
                    classify(body, Some((&t, f)), count, out, depth + 1);
                }
            }
            None => out.push(Part::Skipped(
                "MIME multi-part user data has no boundary and is not run".into(),
            )),
        }
        return;
    }
    // An unnamed or generic part is told by its first line, as cloud-init does.
    let generic = kind.is_empty() || kind == "text/plain" || kind == "text/x-not-multipart";
    if kind == "text/x-shellscript" || (generic && starts(b"#!")) {
        let name = name();
        out.push(Part::Script { name, body: bytes });
    } else if kind == "text/cloud-config" || (generic && starts(b"#cloud-config")) {
        out.push(Part::Config(String::from_utf8_lossy(&bytes).into_owned()));
    } else if kind == "text/cloud-boothook" || (generic && starts(b"#cloud-boothook")) {
        let name = name();
        out.push(Part::Boothook { name, body: bytes });
    } else if kind == "text/x-include-url" || (generic && starts(b"#include")) {
        out.push(Part::Skipped(
            "#include user data is not fetched (instances reach no network beyond the machine)"
                .into(),
        ));
    } else if generic {
        out.push(Part::Skipped(
            "user data does not start with #!, #cloud-config or #cloud-boothook and is not run"
                .into(),
        ));
    } else {
        out.push(Part::Skipped(format!(
            "user data part of type {kind} is not run"
        )));
    }
}

/// A header's value in a block of `Name: value` lines (continuations folded).
fn header(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_string());
            }
        }
    }
    value
}

/// A parameter of a header value: `boundary="x"` in `multipart/mixed; boundary="x"`.
fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a message into its header block and body.
fn split_head(bytes: &[u8]) -> (String, &[u8]) {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(i) = bytes.windows(len).position(|w| w == sep) {
            return (
                String::from_utf8_lossy(&bytes[..i]).into_owned(),
                &bytes[i + len..],
            );
        }
    }
    (String::from_utf8_lossy(bytes).into_owned(), &[])
}

/// The parts of a MIME multi-part message: type, file name, decoded body.
fn mime_parts(bytes: &[u8]) -> Option<Vec<(String, Option<String>, Vec<u8>)>> {
    let (head, body) = split_head(bytes);
    let boundary = param(&header(&head, "Content-Type")?, "boundary")?;
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for chunk in text.split(&delimiter).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk
            .strip_prefix("\r\n")
            .or_else(|| chunk.strip_prefix('\n'))
            .unwrap_or(chunk);
        // The line break before the next delimiter belongs to it.
        let chunk = chunk
            .strip_suffix("\r\n")
            .or_else(|| chunk.strip_suffix('\n'))
            .unwrap_or(chunk);
        let (part_head, part_body) = split_head(chunk.as_bytes());
        let kind = header(&part_head, "Content-Type").unwrap_or_default();
        let mime = kind.split(';').next().unwrap_or("").trim().to_string();
        let filename = header(&part_head, "Content-Disposition")
            .and_then(|d| param(&d, "filename"))
            .filter(|f| !f.is_empty() && !f.contains('/'));
        let encoding = header(&part_head, "Content-Transfer-Encoding").unwrap_or_default();
        let body = if encoding.eq_ignore_ascii_case("base64") {
            let compact: String = String::from_utf8_lossy(part_body)
                .split_whitespace()
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?
        } else {
            part_body.to_vec()
        };
        if mime.starts_with("multipart/") {
            // A nested message keeps its own header block.
            out.push((mime, None, chunk.as_bytes().to_vec()));
        } else {
            out.push((mime, filename, body));
        }
    }
    Some(out)
}

/// The host name an instance takes: `ip-10-0-1-23`.
pub fn hostname(private_ip: &str) -> String {
    format!("ip-{}", private_ip.replace('.', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn single_formats_are_told_by_their_first_line() {
        assert_eq!(
            parse(Some(&b64(b"#!/bin/sh\necho hi\n"))),
            vec![Part::Script {
                name: "part-001".into(),
                body: b"#!/bin/sh\necho hi\n".to_vec()
            }]
        );
        assert_eq!(
            parse(Some(&b64(b"#cloud-config\nruncmd: []\n"))),
            vec![Part::Config("#cloud-config\nruncmd: []\n".into())]
        );
        assert!(parse(None).is_empty());
        assert!(parse(Some("  ")).is_empty());
        // Plain text that is not base64 is read as it is.
        assert!(matches!(
            &parse(Some("#!/bin/bash\ntrue"))[..],
            [Part::Script { .. }]
        ));
        assert!(matches!(&parse(Some(&b64(b"hello")))[..], [Part::Skipped(m)] if m.contains("#!")));
        assert_eq!(hostname("10.0.1.23"), "ip-10-0-1-23");
    }

    #[test]
    fn gzip_is_unpacked_first() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"#cloud-config\nhostname: x\n").unwrap();
        let packed = gz.finish().unwrap();
        assert_eq!(
            parse(Some(&b64(&packed))),
            vec![Part::Config("#cloud-config\nhostname: x\n".into())]
        );
    }

    #[test]
    fn multipart_messages_give_their_parts_in_order() {
        let msg = "Content-Type: multipart/mixed; boundary=\"//\"\r\n\
MIME-Version: 1.0\r\n\
\r\n\
--//\r\n\
Content-Type: text/cloud-config; charset=\"us-ascii\"\r\n\
MIME-Version: 1.0\r\n\
Content-Transfer-Encoding: 7bit\r\n\
Content-Disposition: attachment; filename=\"cloud-config.txt\"\r\n\
\r\n\
#cloud-config\r\n\
runcmd: [echo one]\r\n\
\r\n\
--//\r\n\
Content-Type: text/x-shellscript; charset=\"us-ascii\"\r\n\
Content-Disposition: attachment; filename=\"userdata.txt\"\r\n\
\r\n\
#!/bin/bash\r\n\
echo two\r\n\
--//\r\n\
Content-Type: text/x-shellscript\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
IyEvYmluL3NoCmVjaG8gdGhyZWUK\r\n\
--//--\r\n";
        let parts = parse(Some(&b64(msg.as_bytes())));
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert!(matches!(&parts[0], Part::Config(t) if t.contains("runcmd: [echo one]")));
        assert_eq!(
            parts[1],
            Part::Script {
                name: "userdata.txt".into(),
                body: b"#!/bin/bash\r\necho two".to_vec()
            }
        );
        assert_eq!(
            parts[2],
            Part::Script {
                name: "part-002".into(),
                body: b"#!/bin/sh\necho three\n".to_vec()
            }
        );
    }
}
