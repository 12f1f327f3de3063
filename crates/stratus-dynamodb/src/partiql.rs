//! The PartiQL subset DynamoDB speaks (SELECT, INSERT, UPDATE, DELETE over
//! one table), parsed into the same condition and update trees that the
//! expression parameters use.

use std::collections::BTreeMap;

use stratus_core::AwsError;

use crate::attr::{Attr, Item, validation};
use crate::expr::{Cmp, Cond, Operand, Path, Step, UpdateAction};
use crate::number::Number;

#[derive(Debug)]
pub enum Statement {
    Select {
        table: String,
        index: Option<String>,
        projection: Option<Vec<Path>>,
        filter: Option<Cond>,
    },
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        actions: Vec<UpdateAction>,
        filter: Cond,
        returning: Option<String>,
    },
    Delete {
        table: String,
        filter: Cond,
        returning: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Sym(&'static str),
    Param,
    End,
}

fn syntax(detail: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

fn lex(s: &str) -> Result<Vec<Tok>, AwsError> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match ch {
            '\'' | '"' => {
                let q = ch;
                let mut v = String::new();
                i += 1;
                loop {
                    match c.get(i) {
                        None => return Err(syntax("unterminated quote")),
                        Some(&x) if x == q && c.get(i + 1) == Some(&q) => {
                            v.push(q);
                            i += 2;
                        }
                        Some(&x) if x == q => {
                            i += 1;
                            break;
                        }
                        Some(&x) => {
                            v.push(x);
                            i += 1;
                        }
                    }
                }
                if q == '\'' {
                    Tok::Str(v)
                } else {
                    Tok::Quoted(v)
                }
            }
            '?' => {
                i += 1;
                Tok::Param
            }
            x if x.is_ascii_digit()
                || (x == '-' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while i < c.len()
                    && (c[i].is_ascii_digit() || matches!(c[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    if matches!(c[i], '+' | '-') && !matches!(c[i - 1], 'e' | 'E') {
                        break;
                    }
                    i += 1;
                }
                Tok::Num(c[start..i].iter().collect())
            }
            x if x.is_alphabetic() || x == '_' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                Tok::Word(c[start..i].iter().collect())
            }
            _ => {
                let two: String = c[i..(i + 2).min(c.len())].iter().collect();
                let sym: &'static str = match two.as_str() {
                    "<=" => "<=",
                    ">=" => ">=",
                    "<>" => "<>",
                    "!=" => "<>",
                    "<<" => "<<",
                    ">>" => ">>",
                    _ => match ch {
                        '=' => "=",
                        '<' => "<",
                        '>' => ">",
                        '(' => "(",
                        ')' => ")",
                        '[' => "[",
                        ']' => "]",
                        '{' => "{",
                        '}' => "}",
                        ',' => ",",
                        '.' => ".",
                        ':' => ":",
                        '*' => "*",
                        '+' => "+",
                        '-' => "-",
                        ';' => ";",
                        other => return Err(syntax(format!("unexpected character {other}"))),
                    },
                };
                i += sym.len();
                Tok::Sym(sym)
            }
        };
        out.push(tok);
    }
    out.push(Tok::End);
    Ok(out)
}

struct P<'a> {
    toks: Vec<Tok>,
    pos: usize,
    params: &'a [Attr],
    next_param: usize,
}

impl P<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos]
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), AwsError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(syntax(format!("expected {kw}")))
        }
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(s) if *s == sym) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), AwsError> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(syntax(format!("expected {sym}")))
        }
    }

    fn name(&mut self) -> Result<String, AwsError> {
        match self.bump() {
            Tok::Word(w) | Tok::Quoted(w) => Ok(w),
            other => Err(syntax(format!("expected a name, found {other:?}"))),
        }
    }

    /// `"table"` or `"table"."index"`.
    fn table(&mut self) -> Result<(String, Option<String>), AwsError> {
        let t = self.name()?;
        let idx = if self.eat(".") {
            Some(self.name()?)
        } else {
            None
        };
        Ok((t, idx))
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut steps = vec![Step::Name(self.name()?)];
        loop {
            if self.eat(".") {
                steps.push(Step::Name(self.name()?));
            } else if matches!(self.peek(), Tok::Sym("["))
                && matches!(self.toks.get(self.pos + 1), Some(Tok::Num(_)))
            {
                self.bump();
                let Tok::Num(n) = self.bump() else {
                    unreachable!("checked above")
                };
                steps.push(Step::Index(
                    n.parse().map_err(|_| syntax("bad list index"))?,
                ));
                self.expect("]")?;
            } else {
                return Ok(Path(steps));
            }
        }
    }

    fn value(&mut self) -> Result<Attr, AwsError> {
        Ok(match self.bump() {
            Tok::Param => {
                let v = self.params.get(self.next_param).cloned().ok_or_else(|| {
                    validation("Number of parameters in request and statement don't match.")
                })?;
                self.next_param += 1;
                v
            }
            Tok::Str(s) => Attr::S(s),
            Tok::Num(n) => Attr::N(Number::parse(&n).map_err(|e| validation(e.message()))?),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Attr::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Attr::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Attr::Null,
            Tok::Sym("{") => {
                let mut m = BTreeMap::new();
                if !self.eat("}") {
                    loop {
                        let k = match self.bump() {
                            Tok::Str(s) | Tok::Quoted(s) => s,
                            _ => return Err(syntax("map keys must be quoted")),
                        };
                        self.expect(":")?;
                        m.insert(k, self.value()?);
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Attr::M(m)
            }
            Tok::Sym("[") => {
                let mut l = Vec::new();
                if !self.eat("]") {
                    loop {
                        l.push(self.value()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Attr::L(l)
            }
            Tok::Sym("<<") => {
                let mut l = Vec::new();
                loop {
                    l.push(self.value()?);
                    if self.eat(">>") {
                        break;
                    }
                    self.expect(",")?;
                }
                match l.first() {
                    Some(Attr::S(_)) => Attr::Ss(
                        l.into_iter()
                            .filter_map(|a| if let Attr::S(s) = a { Some(s) } else { None })
                            .collect(),
                    ),
                    Some(Attr::N(_)) => Attr::Ns(
                        l.into_iter()
                            .filter_map(|a| if let Attr::N(n) = a { Some(n) } else { None })
                            .collect(),
                    ),
                    Some(Attr::B(_)) => Attr::Bs(
                        l.into_iter()
                            .filter_map(|a| if let Attr::B(b) = a { Some(b) } else { None })
                            .collect(),
                    ),
                    _ => return Err(syntax("sets hold strings, numbers or binaries")),
                }
            }
            other => return Err(syntax(format!("expected a value, found {other:?}"))),
        })
    }

    fn operand(&mut self) -> Result<Operand, AwsError> {
        match self.peek() {
            Tok::Word(w)
                if w.eq_ignore_ascii_case("size")
                    && self.toks.get(self.pos + 1) == Some(&Tok::Sym("(")) =>
            {
                self.bump();
                self.bump();
                let p = self.path()?;
                self.expect(")")?;
                Ok(Operand::Size(p))
            }
            Tok::Word(w)
                if !["true", "false", "null"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Ok(Operand::Path(self.path()?))
            }
            Tok::Quoted(_) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Lit(self.value()?)),
        }
    }

    fn cond(&mut self) -> Result<Cond, AwsError> {
        let mut l = self.and_cond()?;
        while self.eat_kw("OR") {
            l = Cond::Or(Box::new(l), Box::new(self.and_cond()?));
        }
        Ok(l)
    }

    fn and_cond(&mut self) -> Result<Cond, AwsError> {
        let mut l = self.not_cond()?;
        while self.eat_kw("AND") {
            l = Cond::And(Box::new(l), Box::new(self.not_cond()?));
        }
        Ok(l)
    }

    fn not_cond(&mut self) -> Result<Cond, AwsError> {
        if self.eat_kw("NOT") {
            return Ok(Cond::Not(Box::new(self.not_cond()?)));
        }
        if self.eat("(") {
            let c = self.cond()?;
            self.expect(")")?;
            return Ok(c);
        }
        let fname = match (self.peek(), self.toks.get(self.pos + 1)) {
            (Tok::Word(w), Some(Tok::Sym("("))) => Some(w.to_ascii_lowercase()),
            _ => None,
        };
        if let Some(f) = fname.filter(|f| f != "size") {
            self.bump();
            self.bump();
            let c = match f.as_str() {
                "begins_with" | "contains" | "attribute_type" => {
                    let a = self.operand()?;
                    self.expect(",")?;
                    let b = self.operand()?;
                    match f.as_str() {
                        "begins_with" => Cond::BeginsWith(a, b),
                        "contains" => Cond::Contains(a, b),
                        _ => match a {
                            Operand::Path(p) => Cond::AttributeType(p, b),
                            _ => return Err(syntax("attribute_type takes a path")),
                        },
                    }
                }
                "exists" | "attribute_exists" => Cond::Exists(self.path()?),
                "attribute_not_exists" => Cond::NotExists(self.path()?),
                other => return Err(syntax(format!("unsupported function {other}"))),
            };
            self.expect(")")?;
            return Ok(c);
        }
        let left = self.operand()?;
        if self.eat_kw("IS") {
            let neg = self.eat_kw("NOT");
            self.expect_kw("MISSING")?;
            let Operand::Path(p) = left else {
                return Err(syntax("IS MISSING takes a path"));
            };
            return Ok(if neg {
                Cond::Exists(p)
            } else {
                Cond::NotExists(p)
            });
        }
        if self.eat_kw("BETWEEN") {
            let lo = self.operand()?;
            self.expect_kw("AND")?;
            let hi = self.operand()?;
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.eat_kw("IN") {
            let close = if self.eat("[") {
                "]"
            } else {
                self.expect("(")?;
                ")"
            };
            let mut list = vec![self.operand()?];
            while self.eat(",") {
                list.push(self.operand()?);
            }
            self.expect(close)?;
            return Ok(Cond::In(left, list));
        }
        let cmp = match self.bump() {
            Tok::Sym("=") => Cmp::Eq,
            Tok::Sym("<>") => Cmp::Ne,
            Tok::Sym("<") => Cmp::Lt,
            Tok::Sym("<=") => Cmp::Le,
            Tok::Sym(">") => Cmp::Gt,
            Tok::Sym(">=") => Cmp::Ge,
            other => return Err(syntax(format!("expected a comparison, found {other:?}"))),
        };
        Ok(Cond::Compare(left, cmp, self.operand()?))
    }

    fn returning(&mut self) -> Result<Option<String>, AwsError> {
        if !self.eat_kw("RETURNING") {
            return Ok(None);
        }
        let scope = self.name()?.to_ascii_uppercase();
        let age = self.name()?.to_ascii_uppercase();
        self.expect("*")?;
        Ok(Some(format!("{scope}_{age}")))
    }

    fn finish(&mut self) -> Result<(), AwsError> {
        self.eat(";");
        if matches!(self.peek(), Tok::End) {
            Ok(())
        } else {
            Err(syntax(format!("unexpected {:?}", self.peek())))
        }
    }
}

pub fn parse(text: &str, params: &[Attr]) -> Result<Statement, AwsError> {
    let mut p = P {
        toks: lex(text)?,
        pos: 0,
        params,
        next_param: 0,
    };
    let st = if p.eat_kw("SELECT") {
        let projection = if p.eat("*") {
            None
        } else {
            let mut v = vec![p.path()?];
            while p.eat(",") {
                v.push(p.path()?);
            }
            Some(v)
        };
        p.expect_kw("FROM")?;
        let (table, index) = p.table()?;
        let filter = if p.eat_kw("WHERE") {
            Some(p.cond()?)
        } else {
            None
        };
        Statement::Select {
            table,
            index,
            projection,
            filter,
        }
    } else if p.eat_kw("INSERT") {
        p.expect_kw("INTO")?;
        let (table, _) = p.table()?;
        p.expect_kw("VALUE")?;
        let Attr::M(item) = p.value()? else {
            return Err(syntax("INSERT takes a map value"));
        };
        Statement::Insert { table, item }
    } else if p.eat_kw("UPDATE") {
        let (table, _) = p.table()?;
        let mut actions = Vec::new();
        loop {
            if p.eat_kw("SET") {
                loop {
                    let path = p.path()?;
                    p.expect("=")?;
                    let fname = match (p.peek(), p.toks.get(p.pos + 1)) {
                        (Tok::Word(w), Some(Tok::Sym("("))) => Some(w.to_ascii_lowercase()),
                        _ => None,
                    };
                    let action = match fname.as_deref() {
                        Some(f @ ("set_add" | "set_delete" | "list_append")) => {
                            p.bump();
                            p.bump();
                            let a = p.operand()?;
                            p.expect(",")?;
                            let b = p.operand()?;
                            p.expect(")")?;
                            match f {
                                "set_add" => UpdateAction::Add(path, b),
                                "set_delete" => UpdateAction::Delete(path, b),
                                _ => UpdateAction::Set(
                                    path,
                                    Operand::ListAppend(Box::new(a), Box::new(b)),
                                ),
                            }
                        }
                        _ => {
                            let a = p.operand()?;
                            let v = if p.eat("+") {
                                Operand::Plus(Box::new(a), Box::new(p.operand()?))
                            } else if p.eat("-") {
                                Operand::Minus(Box::new(a), Box::new(p.operand()?))
                            } else {
                                a
                            };
                            UpdateAction::Set(path, v)
                        }
                    };
                    actions.push(action);
                    if !p.eat(",") {
                        break;
                    }
                }
            } else if p.eat_kw("REMOVE") {
                actions.push(UpdateAction::Remove(p.path()?));
                while p.eat(",") {
                    actions.push(UpdateAction::Remove(p.path()?));
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(syntax("UPDATE needs SET or REMOVE"));
        }
        p.expect_kw("WHERE")?;
        let filter = p.cond()?;
        let returning = p.returning()?;
        Statement::Update {
            table,
            actions,
            filter,
            returning,
        }
    } else if p.eat_kw("DELETE") {
        p.expect_kw("FROM")?;
        let (table, _) = p.table()?;
        p.expect_kw("WHERE")?;
        let filter = p.cond()?;
        let returning = p.returning()?;
        Statement::Delete {
            table,
            filter,
            returning,
        }
    } else {
        return Err(syntax(
            "statements start with SELECT, INSERT, UPDATE or DELETE",
        ));
    };
    p.finish()?;
    if p.next_param != params.len() {
        return Err(validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    Ok(st)
}

/// The equality conditions on top-level attributes among a WHERE clause's
/// AND-ed terms (how statements name keys).
pub fn equalities(c: &Cond) -> Vec<(String, Attr)> {
    let mut out = Vec::new();
    collect(c, &mut out);
    out
}

fn collect(c: &Cond, out: &mut Vec<(String, Attr)>) {
    match c {
        Cond::And(a, b) => {
            collect(a, out);
            collect(b, out);
        }
        Cond::Compare(Operand::Path(Path(steps)), Cmp::Eq, Operand::Lit(v))
        | Cond::Compare(Operand::Lit(v), Cmp::Eq, Operand::Path(Path(steps))) => {
            if let [Step::Name(n)] = steps.as_slice() {
                out.push((n.clone(), v.clone()));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Attr {
        Attr::S(v.into())
    }

    #[test]
    fn statements_parse() {
        let st = parse(
            r#"SELECT a, b.c FROM "t"."idx" WHERE pk = ? AND n > 3 AND x IS NOT MISSING"#,
            &[s("k")],
        )
        .unwrap();
        assert!(
            matches!(st, Statement::Select { ref index, projection: Some(ref p), .. } if index.as_deref() == Some("idx") && p.len() == 2)
        );
        let st = parse(
            r#"INSERT INTO t VALUE {'pk': ?, 'n': 1, 'tags': <<'a', 'b'>>, 'l': [1, 'x']}"#,
            &[s("k")],
        )
        .unwrap();
        match st {
            Statement::Insert { item, .. } => {
                assert_eq!(item["pk"], s("k"));
                assert_eq!(item["tags"], Attr::Ss(vec!["a".into(), "b".into()]));
            }
            other => panic!("{other:?}"),
        }
        let st = parse(r#"UPDATE "t" SET n = n + 1, tags = set_add(tags, <<'c'>>) REMOVE old WHERE pk = 'k' RETURNING ALL NEW *"#, &[]).unwrap();
        assert!(
            matches!(st, Statement::Update { ref actions, ref returning, .. } if actions.len() == 3 && returning.as_deref() == Some("ALL_NEW"))
        );
        let st = parse("DELETE FROM t WHERE pk = ?", &[s("k")]).unwrap();
        assert!(
            matches!(st, Statement::Delete { ref filter, .. } if equalities(filter) == vec![("pk".to_string(), s("k"))])
        );
    }

    #[test]
    fn errors() {
        assert!(
            parse("SELECT * FROM t WHERE pk = ?", &[])
                .unwrap_err()
                .message
                .contains("parameters")
        );
        assert!(
            parse("SELECT * FROM t", &[s("x")])
                .unwrap_err()
                .message
                .contains("parameters")
        );
        assert!(
            parse("DROP TABLE t", &[])
                .unwrap_err()
                .message
                .starts_with("Statement wasn't well formed")
        );
        assert!(parse("SELECT * FROM t WHERE", &[]).is_err());
    }
}
