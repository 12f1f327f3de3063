//! A hand-written lexer and recursive-descent parser with DynamoDB's
//! error wording (`Syntax error; token: "x", near: "a x b"`).

use stratus_core::AwsError;

use super::{Cmp, Cond, Kind, Operand, Path, Step, UpdateAction, invalid};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    NamePh(String),
    ValuePh(String),
    Num(usize),
    Sym(&'static str),
    End,
}

struct Lexer;

impl Lexer {
    fn lex(kind: Kind, s: &str) -> Result<Vec<(Tok, usize)>, AwsError> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            let word = |i: &mut usize| {
                while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
                    *i += 1;
                }
            };
            let tok = match c {
                b'#' | b':' => {
                    i += 1;
                    word(&mut i);
                    if i == start + 1 {
                        return Err(invalid(
                            kind,
                            format!(
                                "Syntax error; token: \"{}\", near: \"{}\"",
                                c as char,
                                near(s, start)
                            ),
                        ));
                    }
                    let name = s[start..i].to_string();
                    if c == b'#' {
                        Tok::NamePh(name)
                    } else {
                        Tok::ValuePh(name)
                    }
                }
                b'0'..=b'9' => {
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    Tok::Num(
                        s[start..i]
                            .parse()
                            .map_err(|_| invalid(kind, "List index is too large"))?,
                    )
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    word(&mut i);
                    Tok::Ident(s[start..i].to_string())
                }
                _ => {
                    let two = s.get(i..i + 2).unwrap_or("");
                    let sym: &'static str = match two {
                        "<=" => "<=",
                        ">=" => ">=",
                        "<>" => "<>",
                        _ => match c {
                            b'=' => "=",
                            b'<' => "<",
                            b'>' => ">",
                            b'(' => "(",
                            b')' => ")",
                            b',' => ",",
                            b'.' => ".",
                            b'[' => "[",
                            b']' => "]",
                            b'+' => "+",
                            b'-' => "-",
                            _ => {
                                let ch = s[i..].chars().next().unwrap_or('?');
                                return Err(invalid(
                                    kind,
                                    format!(
                                        "Syntax error; token: \"{ch}\", near: \"{}\"",
                                        near(s, start)
                                    ),
                                ));
                            }
                        },
                    };
                    i += sym.len();
                    Tok::Sym(sym)
                }
            };
            out.push((tok, start));
        }
        out.push((Tok::End, s.len()));
        Ok(out)
    }
}

/// The text around a token, as DynamoDB quotes it in syntax errors.
fn near(s: &str, at: usize) -> String {
    let before = s[..at.min(s.len())].trim_end();
    let prev_start = before
        .rfind(|c: char| c.is_whitespace())
        .map_or(0, |p| p + 1);
    let after = &s[at.min(s.len())..];
    let mut words = after.split_whitespace();
    let tok = words.next().unwrap_or("");
    let next = words.next().unwrap_or("");
    let mut out = before[prev_start..].to_string();
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(tok);
    if !next.is_empty() {
        out.push(' ');
        out.push_str(next);
    }
    out.trim().to_string()
}

struct Parser<'a> {
    kind: Kind,
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
}

impl<'a> Parser<'a> {
    fn new(kind: Kind, src: &'a str) -> Result<Self, AwsError> {
        if src.trim().is_empty() {
            return Err(invalid(kind, "The expression can not be empty;"));
        }
        Ok(Parser {
            kind,
            src,
            toks: Lexer::lex(kind, src)?,
            pos: 0,
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn syntax(&self) -> AwsError {
        let (t, at) = &self.toks[self.pos];
        let text = match t {
            Tok::End => "<EOF>".to_string(),
            _ => self.src[*at..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .chars()
                .take_while(|c| !matches!(c, '(' | ')' | ','))
                .collect::<String>(),
        };
        let text = if text.is_empty() {
            self.src[*at..]
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default()
        } else {
            text
        };
        let near_text = if matches!(t, Tok::End) {
            near(self.src, self.src.len())
        } else {
            near(self.src, *at)
        };
        invalid(
            self.kind,
            format!("Syntax error; token: \"{text}\", near: \"{near_text}\""),
        )
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), AwsError> {
        if self.peek()
            == &Tok::Sym(match s {
                "(" => "(",
                ")" => ")",
                "," => ",",
                "=" => "=",
                "]" => "]",
                _ => "?",
            })
        {
            self.next();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(x) if *x == s) {
            self.next();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if is_kw(self.peek(), kw) {
            self.next();
            true
        } else {
            false
        }
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut steps = vec![self.path_name()?];
        loop {
            if self.eat_sym(".") {
                steps.push(self.path_name()?);
            } else if self.eat_sym("[") {
                match self.next() {
                    Tok::Num(n) => steps.push(Step::Index(n)),
                    _ => {
                        self.pos -= 1;
                        return Err(self.syntax());
                    }
                }
                self.expect_sym("]")?;
            } else {
                return Ok(Path(steps));
            }
        }
    }

    fn path_name(&mut self) -> Result<Step, AwsError> {
        match self.peek().clone() {
            Tok::Ident(w) => {
                if let Some(r) = super::parse::reserved(&w) {
                    return Err(invalid(
                        self.kind,
                        format!("Attribute name is a reserved keyword; reserved keyword: {r}"),
                    ));
                }
                self.next();
                Ok(Step::Name(w))
            }
            Tok::NamePh(p) => {
                self.next();
                Ok(Step::Name(p))
            }
            _ => Err(self.syntax()),
        }
    }

    /// A function call's name, if the next tokens are `name (`.
    fn function_name(&self) -> Option<String> {
        match (
            &self.toks[self.pos].0,
            self.toks.get(self.pos + 1).map(|t| &t.0),
        ) {
            (Tok::Ident(w), Some(Tok::Sym("("))) => Some(w.clone()),
            _ => None,
        }
    }

    fn operand(&mut self, allow_update_fns: bool) -> Result<Operand, AwsError> {
        let left = self.simple_operand(allow_update_fns)?;
        if allow_update_fns {
            if self.eat_sym("+") {
                let right = self.simple_operand(true)?;
                return Ok(Operand::Plus(Box::new(left), Box::new(right)));
            }
            if self.eat_sym("-") {
                let right = self.simple_operand(true)?;
                return Ok(Operand::Minus(Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }

    fn simple_operand(&mut self, allow_update_fns: bool) -> Result<Operand, AwsError> {
        if let Some(f) = self.function_name() {
            let lf = f.to_ascii_lowercase();
            match lf.as_str() {
                "size" if !allow_update_fns => {
                    self.next();
                    self.next();
                    let p = self.path()?;
                    self.expect_sym(")")?;
                    return Ok(Operand::Size(p));
                }
                "if_not_exists" if allow_update_fns => {
                    self.next();
                    self.next();
                    let p = self.path()?;
                    self.expect_sym(",")?;
                    let v = self.simple_operand(true)?;
                    self.expect_sym(")")?;
                    return Ok(Operand::IfNotExists(p, Box::new(v)));
                }
                "list_append" if allow_update_fns => {
                    self.next();
                    self.next();
                    let a = self.simple_operand(true)?;
                    self.expect_sym(",")?;
                    let b = self.simple_operand(true)?;
                    self.expect_sym(")")?;
                    return Ok(Operand::ListAppend(Box::new(a), Box::new(b)));
                }
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains"
                | "size"
                | "if_not_exists"
                | "list_append" => {
                    return Err(invalid(
                        self.kind,
                        format!(
                            "The function is not allowed to be used this way in an expression; function: {f}"
                        ),
                    ));
                }
                _ => {
                    return Err(invalid(
                        self.kind,
                        format!("Invalid function name; function: {f}"),
                    ));
                }
            }
        }
        match self.peek().clone() {
            Tok::ValuePh(v) => {
                self.next();
                Ok(Operand::Value(v))
            }
            Tok::Ident(_) | Tok::NamePh(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax()),
        }
    }

    fn condition(&mut self) -> Result<Cond, AwsError> {
        let mut left = self.and_cond()?;
        while self.eat_kw("OR") {
            let right = self.and_cond()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_cond(&mut self) -> Result<Cond, AwsError> {
        let mut left = self.not_cond()?;
        while self.eat_kw("AND") {
            let right = self.not_cond()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_cond(&mut self) -> Result<Cond, AwsError> {
        if self.eat_kw("NOT") {
            return Ok(Cond::Not(Box::new(self.not_cond()?)));
        }
        self.primary_cond()
    }

    fn primary_cond(&mut self) -> Result<Cond, AwsError> {
        if self.eat_sym("(") {
            let c = self.condition()?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        if let Some(f) = self.function_name() {
            let lf = f.to_ascii_lowercase();
            let cond = match lf.as_str() {
                "attribute_exists" | "attribute_not_exists" => {
                    self.next();
                    self.next();
                    let p = self.path()?;
                    self.expect_sym(")")?;
                    if lf == "attribute_exists" {
                        Cond::Exists(p)
                    } else {
                        Cond::NotExists(p)
                    }
                }
                "attribute_type" => {
                    self.next();
                    self.next();
                    let p = self.path()?;
                    self.expect_sym(",")?;
                    let t = self.operand(false)?;
                    self.expect_sym(")")?;
                    Cond::AttributeType(p, t)
                }
                "begins_with" | "contains" => {
                    self.next();
                    self.next();
                    let a = self.operand(false)?;
                    self.expect_sym(",")?;
                    let b = self.operand(false)?;
                    self.expect_sym(")")?;
                    if lf == "begins_with" {
                        Cond::BeginsWith(a, b)
                    } else {
                        Cond::Contains(a, b)
                    }
                }
                "size" => return self.comparison(),
                _ => {
                    return Err(invalid(
                        self.kind,
                        format!("Invalid function name; function: {f}"),
                    ));
                }
            };
            return Ok(cond);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Cond, AwsError> {
        let left = self.operand(false)?;
        if self.eat_kw("BETWEEN") {
            let lo = self.operand(false)?;
            if !self.eat_kw("AND") {
                return Err(self.syntax());
            }
            let hi = self.operand(false)?;
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.eat_kw("IN") {
            self.expect_sym("(")?;
            let mut list = vec![self.operand(false)?];
            while self.eat_sym(",") {
                list.push(self.operand(false)?);
            }
            self.expect_sym(")")?;
            if list.len() > 100 {
                return Err(invalid(
                    self.kind,
                    "The IN operator is provided with too many operands; number of operands: "
                        .to_string()
                        + &list.len().to_string(),
                ));
            }
            return Ok(Cond::In(left, list));
        }
        let cmp = match self.peek() {
            Tok::Sym("=") => Cmp::Eq,
            Tok::Sym("<>") => Cmp::Ne,
            Tok::Sym("<") => Cmp::Lt,
            Tok::Sym("<=") => Cmp::Le,
            Tok::Sym(">") => Cmp::Gt,
            Tok::Sym(">=") => Cmp::Ge,
            _ => return Err(self.syntax()),
        };
        self.next();
        let right = self.operand(false)?;
        Ok(Cond::Compare(left, cmp, right))
    }

    fn finish(&mut self) -> Result<(), AwsError> {
        if matches!(self.peek(), Tok::End) {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }
}

pub fn parse_condition(kind: Kind, s: &str) -> Result<Cond, AwsError> {
    let mut p = Parser::new(kind, s)?;
    let c = p.condition()?;
    p.finish()?;
    Ok(c)
}

pub fn parse_projection(s: &str) -> Result<Vec<Path>, AwsError> {
    let mut p = Parser::new(Kind::Projection, s)?;
    let mut out = vec![p.path()?];
    while p.eat_sym(",") {
        out.push(p.path()?);
    }
    p.finish()?;
    Ok(out)
}

pub fn parse_update(s: &str) -> Result<Vec<UpdateAction>, AwsError> {
    let mut p = Parser::new(Kind::Update, s)?;
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let clause = match p.peek() {
            Tok::Ident(w)
                if ["SET", "REMOVE", "ADD", "DELETE"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                w.to_ascii_uppercase()
            }
            Tok::End if !out.is_empty() => break,
            _ => return Err(p.syntax()),
        };
        if seen.contains(&clause) {
            return Err(invalid(
                Kind::Update,
                format!("The \"{clause}\" section can only be used once in an update expression;"),
            ));
        }
        seen.push(clause.clone());
        p.next();
        loop {
            let path = p.path()?;
            let action = match clause.as_str() {
                "SET" => {
                    p.expect_sym("=")?;
                    UpdateAction::Set(path, p.operand(true)?)
                }
                "REMOVE" => UpdateAction::Remove(path),
                "ADD" => UpdateAction::Add(path, p.simple_operand(true)?),
                _ => UpdateAction::Delete(path, p.simple_operand(true)?),
            };
            out.push(action);
            if !p.eat_sym(",") {
                break;
            }
        }
    }
    Ok(out)
}

/// DynamoDB's reserved words may not appear bare as attribute names; the
/// check is case-insensitive and answers with the word as AWS prints it.
pub fn reserved(word: &str) -> Option<String> {
    let up = word.to_ascii_uppercase();
    crate::reserved::RESERVED
        .binary_search(&up.as_str())
        .ok()
        .map(|_| word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions_with_precedence() {
        let c = parse_condition(
            Kind::Condition,
            "a = :x OR b < :y AND NOT attribute_exists(c)",
        )
        .unwrap();
        match c {
            Cond::Or(_, r) => assert!(matches!(*r, Cond::And(_, _))),
            other => panic!("{other:?}"),
        }
        let c = parse_condition(Kind::Condition, "#n.parts[2].x BETWEEN :a AND :b").unwrap();
        assert!(matches!(c, Cond::Between(..)));
        let c = parse_condition(
            Kind::Condition,
            "size(tags) > :n AND begins_with(title, :p)",
        )
        .unwrap();
        assert!(matches!(c, Cond::And(..)));
        assert!(
            matches!(parse_condition(Kind::Condition, "x IN (:a, :b, :c)").unwrap(), Cond::In(_, l) if l.len() == 3)
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let e = parse_update("SET = :v").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid UpdateExpression: Syntax error; token: \"=\", near: \"SET = :v\""
        );
        let e = parse_condition(Kind::Condition, "a = ").unwrap_err();
        assert!(
            e.message.contains("Syntax error; token: \"<EOF>\""),
            "{}",
            e.message
        );
        let e = parse_condition(Kind::Condition, "").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid ConditionExpression: The expression can not be empty;"
        );
    }

    #[test]
    fn reserved_words_are_refused() {
        let e = parse_condition(Kind::Condition, "status = :s").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        assert!(parse_condition(Kind::Condition, "#s = :s").is_ok());
    }

    #[test]
    fn update_clauses() {
        let u = parse_update(
            "SET a = a + :one, b = list_append(b, :l) REMOVE c[1] ADD s :x DELETE t :y",
        )
        .unwrap();
        assert_eq!(u.len(), 5);
        assert!(matches!(&u[0], UpdateAction::Set(_, Operand::Plus(..))));
        let e = parse_update("SET a = :x SET b = :y").unwrap_err();
        assert!(
            e.message
                .contains("The \"SET\" section can only be used once")
        );
        let u = parse_update("set a = if_not_exists(a, :z)").unwrap();
        assert!(matches!(
            &u[0],
            UpdateAction::Set(_, Operand::IfNotExists(..))
        ));
    }

    #[test]
    fn projections() {
        let p = parse_projection("a, b.c, d[0], #e").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[2], Path(vec![Step::Name("d".into()), Step::Index(0)]));
    }
}
