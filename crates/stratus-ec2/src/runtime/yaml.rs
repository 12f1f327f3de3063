//! The subset of YAML that `#cloud-config` documents use: block mappings
//! and sequences (a sequence may sit at its key's indentation), flow
//! `[...]` and `{...}`, plain, single- and double-quoted scalars (also over
//! several lines), literal `|` and folded `>` block scalars with their
//! chomping indicators, anchors, aliases and `<<` merge keys, and comments.
//! Tags are read past: every scalar is text. Scalars stay
//! text: the reader of each key decides what `true` or `0644` means, as
//! cloud-init's modules do with what PyYAML hands them.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Str(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    /// YAML 1.1's booleans, as PyYAML reads them.
    pub fn truthy(&self) -> bool {
        matches!(
            self.str().map(str::to_ascii_lowercase).as_deref(),
            Some("true" | "yes" | "on" | "y")
        )
    }
}

/// The error a document that is not in the subset gives, with its line.
#[derive(Debug, PartialEq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

pub fn parse(text: &str) -> Result<Yaml, Error> {
    let mut p = Parser {
        lines: text
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
        at: 0,
        anchors: HashMap::new(),
    };
    // A document start marker, if any, is only a separator here.
    p.skip_blank();
    if p.at < p.lines.len() && p.lines[p.at].trim_end() == "---" {
        p.at += 1;
    }
    let Some(indent) = p.next_indent() else {
        return Ok(Yaml::Null);
    };
    let doc = p.node(indent)?;
    p.skip_blank();
    if p.at < p.lines.len() && p.lines[p.at].trim() != "..." {
        return Err(p.error("unexpected content after the document"));
    }
    Ok(doc)
}

struct Parser {
    lines: Vec<String>,
    at: usize,
    /// Nodes by anchor name, for the aliases after them.
    anchors: HashMap<String, Yaml>,
}

/// Splits a node's properties off its text: tags (`!!str`, `!local`) are
/// dropped, an anchor (`&name`) is returned.
fn props(text: &str) -> (Option<String>, &str) {
    let mut rest = text.trim_start();
    let mut anchor = None;
    loop {
        let Some(first) = rest.chars().next().filter(|c| matches!(c, '&' | '!')) else {
            break;
        };
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        if first == '&' {
            anchor = Some(rest[1..end].to_string());
        }
        rest = rest[end..].trim_start();
    }
    (anchor, rest)
}

/// Whether a quoted scalar's closing quote is on this text.
fn quote_closed(t: &str) -> bool {
    let bytes = t.as_bytes();
    let Some(&q) = bytes.first() else {
        return true;
    };
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == q {
            if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return true;
        }
        if q == b'"' && bytes[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    false
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn is_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

impl Parser {
    fn error(&self, message: &str) -> Error {
        Error {
            line: self.at + 1,
            message: message.to_string(),
        }
    }

    fn skip_blank(&mut self) {
        while self.at < self.lines.len() && blank(&self.lines[self.at]) {
            self.at += 1;
        }
    }

    fn next_indent(&mut self) -> Option<usize> {
        self.skip_blank();
        self.lines.get(self.at).map(|l| indent_of(l))
    }

    /// The block node whose first line is the next one, at `indent`.
    fn node(&mut self, indent: usize) -> Result<Yaml, Error> {
        let t = self.lines[self.at].trim().to_string();
        if is_item(&t) {
            self.seq(indent)
        } else if split_key(&t).is_some() {
            self.map(indent)
        } else {
            self.at += 1;
            self.inline(&t, indent)
        }
    }

    fn seq(&mut self, indent: usize) -> Result<Yaml, Error> {
        let mut items = Vec::new();
        while self.next_indent() == Some(indent) && is_item(self.lines[self.at].trim()) {
            let line = self.lines[self.at].clone();
            let rest = line.trim()[1..].trim_start().to_string();
            let col = line.len() - rest.len();
            let (anchor, bare) = props(&rest);
            if anchor.is_some() || bare.len() != rest.len() {
                let bare = bare.to_string();
                let value = if is_item(&bare) || (split_key(&bare).is_some() && !flow_start(&bare))
                {
                    let col = line.len() - bare.len();
                    self.lines[self.at] = format!("{}{bare}", " ".repeat(col));
                    self.node(col)?
                } else {
                    self.at += 1;
                    self.value_after(&bare, indent)?
                };
                self.keep(anchor, &value);
                items.push(value);
            } else if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                items.push(match self.next_indent() {
                    Some(i) if i > indent => self.node(i)?,
                    _ => Yaml::Null,
                });
            } else if is_item(&rest) || (split_key(&rest).is_some() && !flow_start(&rest)) {
                // `- key: value` and `- - x` open a node at the item's column.
                self.lines[self.at] = format!("{}{rest}", " ".repeat(col));
                items.push(self.node(col)?);
            } else {
                self.at += 1;
                items.push(self.inline(&rest, indent)?);
            }
        }
        Ok(Yaml::List(items))
    }

    fn map(&mut self, indent: usize) -> Result<Yaml, Error> {
        let mut entries = Vec::new();
        while self.next_indent() == Some(indent) {
            let t = self.lines[self.at].trim().to_string();
            if is_item(&t) {
                break;
            }
            let Some((key, rest)) = split_key(&t) else {
                return Err(self.error("expected a `key: value` line"));
            };
            let key = match unquote(key) {
                Some(k) => k,
                None => key.to_string(),
            };
            self.at += 1;
            let (anchor, rest) = props(rest);
            let rest = rest.trim().to_string();
            let value = self.value_after(&rest, indent)?;
            self.keep(anchor, &value);
            if key == "<<" {
                // Merged entries go first: the map's own keys win.
                let merged = match value {
                    Yaml::Map(m) => m,
                    Yaml::List(maps) => maps
                        .into_iter()
                        .rev()
                        .flat_map(|m| match m {
                            Yaml::Map(m) => m,
                            _ => Vec::new(),
                        })
                        .collect(),
                    _ => return Err(self.error("a merge key takes a mapping or a list of them")),
                };
                entries.splice(0..0, merged);
            } else {
                entries.push((key, value));
            }
        }
        Ok(Yaml::Map(entries))
    }

    /// The value after `key:` or `- `: on the line, or the block below it.
    fn value_after(&mut self, rest: &str, indent: usize) -> Result<Yaml, Error> {
        if !(rest.is_empty() || rest.starts_with('#')) {
            return self.inline(rest, indent);
        }
        Ok(match self.next_indent() {
            Some(i) if i > indent => self.node(i)?,
            // A sequence may sit at its key's indentation.
            Some(i) if i == indent && is_item(self.lines[self.at].trim()) => self.seq(i)?,
            _ => Yaml::Null,
        })
    }

    fn keep(&mut self, anchor: Option<String>, value: &Yaml) {
        if let Some(a) = anchor {
            self.anchors.insert(a, value.clone());
        }
    }

    /// A value written on its line (after `key:` or `- `); block scalars
    /// and unclosed flow collections take the lines after it.
    fn inline(&mut self, text: &str, indent: usize) -> Result<Yaml, Error> {
        if let Some(name) = text.strip_prefix('*') {
            let name = name.split(" #").next().unwrap_or("").trim();
            return self
                .anchors
                .get(name)
                .cloned()
                .ok_or_else(|| self.error(&format!("unknown alias `*{name}`")));
        }
        if let Some(header) = text
            .strip_prefix('|')
            .map(|h| ('|', h))
            .or_else(|| text.strip_prefix('>').map(|h| ('>', h)))
        {
            return Ok(Yaml::Str(self.block_scalar(header.0, header.1, indent)));
        }
        if flow_start(text) {
            let mut all = text.to_string();
            while !balanced(&all) && self.at < self.lines.len() {
                all.push(' ');
                all.push_str(self.lines[self.at].trim());
                self.at += 1;
            }
            let mut f = Flow {
                s: all.as_bytes(),
                at: 0,
                anchors: &self.anchors,
            };
            let v = f.value().map_err(|m| self.error(&m))?;
            return Ok(v);
        }
        // A scalar may go on over the lines indented below it: their
        // breaks fold into spaces, blank lines into line breaks.
        let quoted = text.starts_with('"') || text.starts_with('\'');
        let mut all = text.to_string();
        let mut breaks = 0;
        while self.at < self.lines.len() && !(quoted && quote_closed(&all)) {
            let line = &self.lines[self.at];
            let t = line.trim();
            if t.is_empty() {
                breaks += 1;
                self.at += 1;
                continue;
            }
            if !quoted && (indent_of(line) <= indent || t.starts_with('#')) {
                break;
            }
            if !quoted && split_key(t).is_some() {
                return Err(self.error("mapping values are not allowed here"));
            }
            if breaks > 0 {
                all.push_str(&"\n".repeat(breaks));
                breaks = 0;
            } else {
                all.push(' ');
            }
            all.push_str(t);
            self.at += 1;
        }
        if quoted && !quote_closed(&all) {
            return Err(self.error("a quoted scalar is not closed"));
        }
        Ok(scalar(&all))
    }

    fn block_scalar(&mut self, style: char, header: &str, parent: usize) -> String {
        let header = header.split(" #").next().unwrap_or("").trim();
        let chomp = if header.contains('-') {
            '-'
        } else if header.contains('+') {
            '+'
        } else {
            ' '
        };
        let explicit: Option<usize> = header
            .chars()
            .find(|c| c.is_ascii_digit())
            .and_then(|c| c.to_digit(10))
            .map(|d| parent + d as usize);
        let mut body: Vec<String> = Vec::new();
        let mut indent = explicit;
        while self.at < self.lines.len() {
            let line = &self.lines[self.at];
            if line.trim().is_empty() {
                body.push(String::new());
                self.at += 1;
                continue;
            }
            let ind = indent_of(line);
            let want = *indent.get_or_insert(ind);
            if ind < want || ind <= parent {
                break;
            }
            body.push(line[want..].to_string());
            self.at += 1;
        }
        // Trailing blank lines belong to the scalar only under `+`.
        let mut trailing = 0;
        while body.last().is_some_and(String::is_empty) {
            body.pop();
            trailing += 1;
        }
        let mut text = if style == '|' {
            body.join("\n")
        } else {
            fold(&body)
        };
        if body.is_empty() {
            return if chomp == '+' {
                "\n".repeat(trailing)
            } else {
                String::new()
            };
        }
        match chomp {
            '-' => {}
            '+' => text.push_str(&"\n".repeat(trailing + 1)),
            _ => text.push('\n'),
        }
        text
    }
}

/// Folded lines: single line breaks become spaces, blank lines breaks,
/// more-indented lines stay as they are.
fn fold(lines: &[String]) -> String {
    let mut out = String::new();
    let mut prev_plain = false;
    for line in lines {
        let more = line.starts_with(' ') || line.starts_with('\t');
        if line.is_empty() {
            out.push('\n');
            prev_plain = false;
            continue;
        }
        if prev_plain && !more {
            out.push(' ');
        } else if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(line);
        prev_plain = !more;
    }
    out
}

fn flow_start(t: &str) -> bool {
    t.starts_with('[') || t.starts_with('{')
}

/// Whether the brackets of a flow collection are closed (outside quotes).
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for c in s.chars() {
        match quote {
            Some(q) if c == q && !(q == '"' && prev == '\\') => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            },
        }
        prev = c;
    }
    depth <= 0
}

/// `key: rest` at the first `: ` (or final `:`) outside quotes.
fn split_key(t: &str) -> Option<(&str, &str)> {
    if t.starts_with('#') || flow_start(t) {
        return None;
    }
    let bytes = t.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && i == 0 => quote = Some(b),
            None if b == b'#' && i > 0 && bytes[i - 1] == b' ' => return None,
            None if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') => {
                return Some((t[..i].trim(), &t[i + 1..]));
            }
            None => {}
        }
    }
    None
}

/// A quoted scalar's text, if `t` is one.
fn unquote(t: &str) -> Option<String> {
    let t = t.trim();
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return Some(t[1..t.len() - 1].replace("''", "'"));
    }
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        return Some(unescape(&t[1..t.len() - 1]));
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('e') => out.push('\x1b'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A scalar on one line: quoted, or plain up to a comment.
fn scalar(text: &str) -> Yaml {
    let t = text.trim();
    if t.starts_with('"') || t.starts_with('\'') {
        // The closing quote, then perhaps a comment.
        let q = t.as_bytes()[0];
        let mut i = 1;
        let bytes = t.as_bytes();
        while i < bytes.len() {
            if bytes[i] == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            if q == b'"' && bytes[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        let end = (i + 1).min(t.len());
        if let Some(s) = unquote(&t[..end]) {
            return Yaml::Str(s);
        }
    }
    let plain = match t.find(" #") {
        Some(i) => t[..i].trim_end(),
        None => t,
    };
    match plain {
        "" | "~" | "null" | "Null" | "NULL" => Yaml::Null,
        s => Yaml::Str(s.to_string()),
    }
}

/// Flow collections: `[a, "b", [c]]`, `{k: v}`.
struct Flow<'a> {
    s: &'a [u8],
    at: usize,
    anchors: &'a HashMap<String, Yaml>,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && (self.s[self.at] as char).is_whitespace() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Yaml, String> {
        self.ws();
        match self.s.get(self.at) {
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    match self.s.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Yaml::List(items));
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => items.push(self.value()?),
                        None => return Err("unclosed `[`".into()),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                loop {
                    self.ws();
                    match self.s.get(self.at) {
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Yaml::Map(entries));
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => {
                            let key = match self.value()? {
                                Yaml::Str(k) => k,
                                _ => return Err("a flow mapping key must be a scalar".into()),
                            };
                            self.ws();
                            let value = if self.s.get(self.at) == Some(&b':') {
                                self.at += 1;
                                self.value()?
                            } else {
                                Yaml::Null
                            };
                            entries.push((key, value));
                        }
                        None => return Err("unclosed `{`".into()),
                    }
                }
            }
            Some(&q) if q == b'"' || q == b'\'' => {
                let start = self.at;
                self.at += 1;
                while self.at < self.s.len() {
                    let b = self.s[self.at];
                    if q == b'"' && b == b'\\' {
                        self.at += 2;
                        continue;
                    }
                    if b == q {
                        if q == b'\'' && self.s.get(self.at + 1) == Some(&b'\'') {
                            self.at += 2;
                            continue;
                        }
                        self.at += 1;
                        let text = String::from_utf8_lossy(&self.s[start..self.at]);
                        return Ok(Yaml::Str(unquote(&text).unwrap_or_default()));
                    }
                    self.at += 1;
                }
                Err("unclosed quote".into())
            }
            Some(_) => {
                let start = self.at;
                while self.at < self.s.len() {
                    let b = self.s[self.at];
                    let colon = b == b':'
                        && self
                            .s
                            .get(self.at + 1)
                            .is_none_or(|n| (*n as char).is_whitespace());
                    if matches!(b, b',' | b']' | b'}') || colon {
                        break;
                    }
                    self.at += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.at]);
                match text.trim().strip_prefix('*') {
                    Some(name) => self
                        .anchors
                        .get(name)
                        .cloned()
                        .ok_or_else(|| format!("unknown alias `*{name}`")),
                    None => Ok(scalar(&text)),
                }
            }
            None => Ok(Yaml::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Yaml {
        Yaml::Str(v.into())
    }

    #[test]
    fn anchors_aliases_merge_keys_and_tags() {
        let doc = parse(
            "defaults: &file\n\
             \x20 owner: root:root\n\
             \x20 permissions: '0644'\n\
             write_files:\n\
             \x20 - <<: *file\n\
             \x20   path: /a\n\
             \x20   permissions: !!str 0600\n\
             \x20 - &second\n\
             \x20   path: /b\n\
             \x20 - *second\n\
             \x20 - &third path: /c\n\
             packages: &pkgs [curl, jq]\n\
             also: *pkgs\n\
             both:\n\
             \x20 <<: [*file, {owner: web}]\n",
        )
        .unwrap();
        let files = match doc.get("write_files") {
            Some(Yaml::List(l)) => l.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(files[0].get("owner"), Some(&s("root:root")));
        assert_eq!(
            files[0].get("permissions"),
            Some(&s("0600")),
            "the map's own key wins"
        );
        assert_eq!(files[0].get("path"), Some(&s("/a")));
        assert_eq!(files[1], files[2]);
        assert_eq!(files[2].get("path"), Some(&s("/b")));
        assert_eq!(files[3].get("path"), Some(&s("/c")));
        assert_eq!(doc.get("also"), doc.get("packages"));
        // In a list of merged maps the earlier one wins.
        assert_eq!(
            doc.get("both").and_then(|b| b.get("owner")),
            Some(&s("root:root"))
        );
        let e = parse("a: *nowhere\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "unknown alias `*nowhere`")
        );
    }

    #[test]
    fn scalars_over_several_lines() {
        let doc = parse(
            "runcmd:\n\
             \x20 - echo one\n\
             \x20   two\n\
             \x20 - \"quoted\n\
             \x20   across\"\n\
             long: first\n\
             \x20 second\n\
             \n\
             \x20 after blank\n\
             next: 'it''s\n\
             \x20 here'\n\
             last: x\n",
        )
        .unwrap();
        assert_eq!(
            doc.get("runcmd"),
            Some(&Yaml::List(vec![s("echo one two"), s("quoted across")]))
        );
        assert_eq!(doc.get("long"), Some(&s("first second\nafter blank")));
        assert_eq!(doc.get("next"), Some(&s("it's here")));
        assert_eq!(doc.get("last"), Some(&s("x")));
        assert!(parse("a: \"open\nb: c\n").is_err());
    }

    #[test]
    fn cloud_config_shapes() {
        let doc = parse(
            "#cloud-config\n\
             hostname: web-1   # the short name\n\
             package_update: true\n\
             packages:\n\
             - nginx\n\
             - [curl, 7.88]\n\
             write_files:\n\
             \x20 - path: /tmp/a b.txt\n\
             \x20   permissions: '0600'\n\
             \x20   content: |\n\
             \x20     line one\n\
             \x20       indented\n\
             \n\
             \x20     after blank\n\
             \x20 - path: \"/tmp/q\\\"uote\"\n\
             \x20   content: >-\n\
             \x20     folded\n\
             \x20     text\n\
             runcmd:\n\
             \x20 - \"echo 'hi: there'\"\n\
             \x20 - echo 'a: b'\n\
             \x20 - [sh, -c, \"echo $HOME\"]\n\
             \x20 - - ls\n\
             \x20   - -l\n\
             empty:\n\
             flow: {a: 1, b: [x, 'y, z']}\n",
        )
        .unwrap();
        assert_eq!(doc.get("hostname"), Some(&s("web-1")));
        assert!(doc.get("package_update").unwrap().truthy());
        assert_eq!(
            doc.get("packages"),
            Some(&Yaml::List(vec![
                s("nginx"),
                Yaml::List(vec![s("curl"), s("7.88")])
            ]))
        );
        let Some(Yaml::List(files)) = doc.get("write_files") else {
            panic!("write_files: {doc:?}")
        };
        assert_eq!(files[0].get("path"), Some(&s("/tmp/a b.txt")));
        assert_eq!(files[0].get("permissions"), Some(&s("0600")));
        assert_eq!(
            files[0].get("content"),
            Some(&s("line one\n  indented\n\nafter blank\n"))
        );
        assert_eq!(files[1].get("path"), Some(&s("/tmp/q\"uote")));
        assert_eq!(files[1].get("content"), Some(&s("folded text")));
        assert_eq!(
            doc.get("runcmd"),
            Some(&Yaml::List(vec![
                s("echo 'hi: there'"),
                // As in PyYAML: `: ` in a plain scalar makes a mapping.
                Yaml::Map(vec![("echo 'a".into(), s("b'"))]),
                Yaml::List(vec![s("sh"), s("-c"), s("echo $HOME")]),
                Yaml::List(vec![s("ls"), s("-l")]),
            ]))
        );
        assert_eq!(doc.get("empty"), Some(&Yaml::Null));
        assert_eq!(
            doc.get("flow"),
            Some(&Yaml::Map(vec![
                ("a".into(), s("1")),
                ("b".into(), Yaml::List(vec![s("x"), s("y, z")])),
            ]))
        );
    }

    #[test]
    fn chomping_and_multi_line_flow() {
        let doc = parse("a: |+\n  keep\n\nb: |-\n  strip\nc: [one,\n  two]\n").unwrap();
        assert_eq!(doc.get("a"), Some(&s("keep\n\n")));
        assert_eq!(doc.get("b"), Some(&s("strip")));
        assert_eq!(doc.get("c"), Some(&Yaml::List(vec![s("one"), s("two")])));
    }

    #[test]
    fn what_is_outside_the_subset_is_an_error_with_its_line() {
        let e = parse("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(parse("").unwrap(), Yaml::Null);
        assert_eq!(parse("# only a comment\n").unwrap(), Yaml::Null);
    }
}
