//! A small XML tree for decoding request bodies, and an escaping writer.

use quick_xml::events::Event;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    /// The local name (any `prefix:` stripped).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name || k.rsplit(':').next() == Some(name))
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses a document into its root element. Depth and size are bounded by the
/// caller's body limit; malformed input is an error, never a panic.
pub fn parse(input: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(input).map_err(|e| e.to_string())?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                if stack.len() > 200 {
                    return Err("document nested too deeply".into());
                }
                stack.push(start(&e)?);
            }
            Event::Empty(e) => {
                let el = start(&e)?;
                attach(&mut stack, &mut root, el)?;
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced end tag")?;
                attach(&mut stack, &mut root, el)?;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let raw = String::from_utf8_lossy(&t);
                    let s = quick_xml::escape::unescape(&raw).map_err(|e| e.to_string())?;
                    top.text.push_str(&s);
                } else if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err("text outside the root element".into());
                }
            }
            Event::GeneralRef(r) => {
                let top = stack
                    .last_mut()
                    .ok_or("reference outside the root element")?;
                let name = String::from_utf8_lossy(&r);
                let entity = format!("&{name};");
                let s = quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?;
                top.text.push_str(&s);
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn start(e: &quick_xml::events::BytesStart) -> Result<Element, String> {
    let mut el = Element {
        name: local(e.name().as_ref()),
        ..Default::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let raw = String::from_utf8_lossy(&a.value);
        let v = quick_xml::escape::unescape(&raw).map_err(|e| e.to_string())?;
        el.attrs.push((key, v.into_owned()));
    }
    Ok(el)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => {
            if root.is_some() {
                return Err("more than one root element".into());
            }
            *root = Some(el);
        }
    }
    Ok(())
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str, out: &mut String) {
    // Most text needs no escaping: copy it whole. The lead bytes 0xC2 and
    // 0xE2 start U+0085 and U+2028, the two non-ASCII characters escaped.
    let plain = !s.bytes().any(|b| {
        matches!(
            b,
            b'<' | b'>' | b'&' | b'"' | b'\'' | b'\r' | b'\n' | 0xC2 | 0xE2
        )
    });
    if plain {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\u{85}' => out.push_str("&#x85;"),
            '\u{2028}' => out.push_str("&#x2028;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_elements_and_entities() {
        let e =
            parse(br#"<?xml version="1.0"?><a xmlns="x"><b k="1">t &amp; u</b><c/></a>"#).unwrap();
        assert_eq!(e.name, "a");
        assert_eq!(e.child("b").unwrap().text, "t & u");
        assert_eq!(e.child("b").unwrap().attr("k"), Some("1"));
        assert!(e.child("c").is_some());
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }
}
