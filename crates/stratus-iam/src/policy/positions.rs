//! Where each statement of a policy document sits in its text, as the
//! simulator reports matched statements: line and column (both from 1) of
//! a statement's opening brace, and of the column just past its closing one.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: i32,
    pub column: i32,
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
    line: i32,
    column: i32,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            // Columns count characters, not the continuation bytes of one.
            self.column += 1;
        }
        Some(b)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
    }

    /// A string's contents (escapes kept as written); the cursor is on `"`.
    fn string(&mut self) -> Option<String> {
        self.bump();
        let start = self.at;
        loop {
            match self.bump()? {
                b'\\' => {
                    self.bump()?;
                }
                b'"' => break,
                _ => {}
            }
        }
        String::from_utf8(self.text[start..self.at - 1].to_vec()).ok()
    }

    /// Skips one JSON value, giving where it began and where it ended.
    fn value(&mut self) -> Option<(Position, Position)> {
        self.skip_space();
        let start = self.position();
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.bump();
                let mut depth = 1;
                while depth > 0 {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                        }
                        b if b == open => {
                            depth += 1;
                            self.bump();
                        }
                        b if b == close => {
                            depth -= 1;
                            self.bump();
                        }
                        _ => {
                            self.bump();
                        }
                    }
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.bump();
                }
            }
        }
        Some((start, self.position()))
    }
}

/// The span of each statement of a policy document, in document order; empty
/// when the text is not a document with statements.
pub fn statement_spans(text: &str) -> Vec<(Position, Position)> {
    spans(text).unwrap_or_default()
}

fn spans(text: &str) -> Option<Vec<(Position, Position)>> {
    let mut c = Cursor {
        text: text.as_bytes(),
        at: 0,
        line: 1,
        column: 1,
    };
    c.skip_space();
    if c.bump()? != b'{' {
        return None;
    }
    loop {
        c.skip_space();
        match c.peek()? {
            b'}' => return None,
            b',' => {
                c.bump();
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key = c.string()?;
        c.skip_space();
        if c.bump()? != b':' {
            return None;
        }
        if key != "Statement" {
            c.value()?;
            continue;
        }
        c.skip_space();
        if c.peek()? != b'[' {
            return Some(vec![c.value()?]);
        }
        c.bump();
        let mut out = Vec::new();
        loop {
            c.skip_space();
            match c.peek()? {
                b']' => return Some(out),
                b',' => {
                    c.bump();
                }
                _ => out.push(c.value()?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: i32, column: i32) -> Position {
        Position { line, column }
    }

    #[test]
    fn spans_of_statements_in_an_array() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\"\n    },\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"arn:aws:s3:::b/{x}\"}\n  ]\n}";
        assert_eq!(
            statement_spans(doc),
            vec![(p(4, 5), p(8, 6)), (p(9, 5), p(9, 81))]
        );
    }

    #[test]
    fn a_single_statement_object_on_one_line() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}"#;
        assert_eq!(statement_spans(doc), vec![(p(1, 37), p(1, 87))]);
    }

    #[test]
    fn statement_after_other_members_with_nested_values() {
        let doc = r#"{"Id":"x","Condition":{"a":["}",{"b":"]"}]},"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let spans = statement_spans(doc);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].0, p(1, 58));
        assert!(statement_spans("not json").is_empty());
    }
}
