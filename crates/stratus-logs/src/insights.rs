//! CloudWatch Logs Insights: the common commands (`fields`, `display`,
//! `filter`, `stats ... by`, `sort`, `limit`, `parse`, `dedup`) over records
//! with `@timestamp`, `@message`, `@logStream`, `@log`, `@ingestionTime` and
//! the fields discovered in JSON messages.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value as Json;

/// A value in a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Num(f64),
    Str(String),
    Bool(bool),
    /// Epoch milliseconds, shown as `2024-01-02 03:04:05.000`.
    Time(i64),
}

impl Val {
    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Time(t) => Some(*t as f64),
            Val::Str(s) => s.trim().parse().ok(),
            Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Val::Null => None,
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0,
            Val::Time(_) => true,
            Val::Str(s) => !s.is_empty(),
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Num(n) => Some(fmt_num(*n)),
            Val::Str(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Time(t) => Some(fmt_time(*t)),
        }
    }
}

pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub fn fmt_time(ms: i64) -> String {
    let iso = stratus_core::time::iso8601_millis(ms);
    iso.trim_end_matches('Z').replacen('T', " ", 1)
}

fn cmp_vals(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Null, Val::Null) => Ordering::Equal,
        (Val::Null, _) => Ordering::Less,
        (_, Val::Null) => Ordering::Greater,
        _ => match (a.num(), b.num()) {
            (Some(x), Some(y)) if !matches!((a, b), (Val::Str(_), Val::Str(_))) => {
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            _ => a.text().cmp(&b.text()),
        },
    }
}

fn vals_equal(a: &Val, b: &Val) -> bool {
    if matches!(a, Val::Null) || matches!(b, Val::Null) {
        return false;
    }
    match (a.num(), b.num()) {
        (Some(x), Some(y)) => x == y,
        _ => a.text() == b.text(),
    }
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    /// A duration such as `5m`, in milliseconds.
    Dur(i64),
    /// A regular expression and whether it ignores case.
    Re(String, bool),
    Op(String),
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Pipe,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

fn err<T>(message: impl Into<String>, start: usize, end: usize) -> Result<T, QueryError> {
    Err(QueryError {
        message: message.into(),
        start,
        end,
    })
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '@' | '_' | '.' | '$')
}

fn regex_allowed(prev: &[Token]) -> bool {
    match prev.last().map(|t| &t.tok) {
        Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("like") => true,
        Some(Tok::Op(o)) if o == "=~" => true,
        Some(Tok::Ident(_)) => {
            // `parse FIELD /regex/`
            prev.len() >= 2
                && matches!(&prev[prev.len() - 2].tok, Tok::Ident(w) if w.eq_ignore_ascii_case("parse"))
        }
        _ => false,
    }
}

fn duration_ms(unit: &str) -> Option<i64> {
    Some(match unit {
        "ms" => 1,
        "s" | "sec" | "second" | "seconds" => 1000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hr" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 7 * 86_400_000,
        _ => return None,
    })
}

fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let tok = match c {
            '|' => {
                i += 1;
                Tok::Pipe
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '[' => {
                i += 1;
                Tok::LBracket
            }
            ']' => {
                i += 1;
                Tok::RBracket
            }
            '"' | '\'' => {
                let q = c;
                let mut s = String::new();
                i += 1;
                loop {
                    if i >= chars.len() {
                        return err("unterminated string", start, i);
                    }
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        x if x == q => {
                            i += 1;
                            break;
                        }
                        x => {
                            s.push(x);
                            i += 1;
                        }
                    }
                }
                Tok::Str(s)
            }
            '`' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '`')
                    .ok_or(QueryError {
                        message: "unterminated `".into(),
                        start,
                        end: chars.len(),
                    })?;
                let s: String = chars[i + 1..i + 1 + close].iter().collect();
                i += close + 2;
                Tok::Ident(s)
            }
            '/' if regex_allowed(&out) => {
                let mut s = String::new();
                i += 1;
                loop {
                    if i >= chars.len() {
                        return err("unterminated regular expression", start, i);
                    }
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            if chars[i + 1] != '/' {
                                s.push('\\');
                            }
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        '/' => {
                            i += 1;
                            break;
                        }
                        x => {
                            s.push(x);
                            i += 1;
                        }
                    }
                }
                // Flags: only `i` changes matching.
                let mut flags = String::new();
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    flags.push(chars[i]);
                    i += 1;
                }
                Tok::Re(s, flags.contains('i'))
            }
            '=' | '!' | '<' | '>' | '+' | '-' | '*' | '/' | '%' | '^' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                if ["==", "!=", "<=", ">=", "=~"].contains(&two.as_str()) {
                    i += 2;
                    Tok::Op(if two == "==" { "=".into() } else { two })
                } else if c == '!' {
                    return err("unexpected !", start, start + 1);
                } else {
                    i += 1;
                    Tok::Op(c.to_string())
                }
            }
            d if d.is_ascii_digit() => {
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let num: String = chars[start..i].iter().collect();
                let n: f64 = num.parse().map_err(|_| QueryError {
                    message: format!("bad number {num}"),
                    start,
                    end: i,
                })?;
                let ustart = i;
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
                if ustart < i {
                    let unit: String = chars[ustart..i].iter().collect();
                    let per = duration_ms(&unit).ok_or(QueryError {
                        message: format!("unknown time unit {unit}"),
                        start,
                        end: i,
                    })?;
                    Tok::Dur((n * per as f64) as i64)
                } else {
                    Tok::Num(n)
                }
            }
            x if is_ident_char(x) => {
                while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '-') {
                    // A dash continues a name only when a letter follows.
                    if chars[i] == '-' && !chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()) {
                        break;
                    }
                    i += 1;
                }
                Tok::Ident(chars[start..i].iter().collect())
            }
            other => return err(format!("unexpected symbol found {other}"), start, start + 1),
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

// ---------------------------------------------------------------- syntax

#[derive(Debug, Clone)]
enum Expr {
    Field(String),
    Lit(Val),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Box<Expr>, String, Box<Expr>),
    Like(Box<Expr>, Like, bool),
    In(Box<Expr>, Vec<Expr>, bool),
    Arith(Box<Expr>, char, Box<Expr>),
    Neg(Box<Expr>),
    Call(String, Vec<Expr>),
    Star,
}

#[derive(Debug, Clone)]
enum Like {
    Re(regress::Regex),
    Sub(String),
}

#[derive(Debug, Clone)]
struct Agg {
    func: String,
    args: Vec<Expr>,
}

#[derive(Debug, Clone)]
enum Cmd {
    Fields(Vec<(Expr, String)>),
    Display(Vec<(Expr, String)>),
    Filter(Expr),
    Stats {
        aggs: Vec<(Agg, String)>,
        by: Vec<(Expr, String)>,
    },
    Sort(Vec<(Expr, bool)>),
    Limit(usize),
    Parse {
        field: Expr,
        re: regress::Regex,
        names: Vec<String>,
    },
    Dedup(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub struct Query {
    cmds: Vec<Cmd>,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn here(&self) -> (usize, usize) {
        self.toks
            .get(self.pos)
            .map(|t| (t.start, t.end))
            .unwrap_or((self.src.chars().count(), self.src.chars().count()))
    }

    fn fail<T>(&self, what: &str) -> Result<T, QueryError> {
        let (s, e) = self.here();
        match self.toks.get(self.pos) {
            Some(_) => {
                let text: String = self.src.chars().skip(s).take(e - s).collect();
                err(format!("unexpected symbol found {text} ({what})"), s, e)
            }
            None => err(format!("unexpected end of query ({what})"), s, e),
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(k)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn at_end(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Pipe))
    }

    fn text(&self, from: usize, to: usize) -> String {
        let s = self.toks[from].start;
        let e = self.toks[to - 1].end;
        self.src.chars().skip(s).take(e - s).collect()
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let negated = self.keyword("not");
        if self.keyword("like") {
            let like = self.like_rhs()?;
            return Ok(Expr::Like(Box::new(left), like, negated));
        }
        if self.keyword("in") {
            if self.next() != Some(Tok::LBracket) {
                self.pos -= 1;
                return self.fail("expected [ after in");
            }
            let mut items = Vec::new();
            if self.peek() != Some(&Tok::RBracket) {
                loop {
                    items.push(self.additive()?);
                    if self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
            }
            if self.next() != Some(Tok::RBracket) {
                self.pos -= 1;
                return self.fail("expected ]");
            }
            return Ok(Expr::In(Box::new(left), items, negated));
        }
        if negated {
            return self.fail("expected like or in after not");
        }
        if let Some(Tok::Op(o)) = self.peek().cloned() {
            if ["=", "!=", "<", "<=", ">", ">="].contains(&o.as_str()) {
                self.pos += 1;
                let right = self.additive()?;
                return Ok(Expr::Cmp(Box::new(left), o, Box::new(right)));
            }
            if o == "=~" {
                self.pos += 1;
                let like = self.like_rhs()?;
                return Ok(Expr::Like(Box::new(left), like, false));
            }
        }
        Ok(left)
    }

    fn like_rhs(&mut self) -> Result<Like, QueryError> {
        let (s, e) = self.here();
        match self.next() {
            Some(Tok::Re(r, icase)) => regress::Regex::with_flags(&r, if icase { "i" } else { "" })
                .map(Like::Re)
                .or_else(|x| err(format!("invalid regular expression: {x}"), s, e)),
            Some(Tok::Str(t)) => Ok(Like::Sub(t)),
            _ => {
                self.pos -= 1;
                self.fail("expected a /regex/ or a string")
            }
        }
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.multiplicative()?;
        while let Some(Tok::Op(o)) = self.peek().cloned() {
            if o != "+" && o != "-" {
                break;
            }
            self.pos += 1;
            let right = self.multiplicative()?;
            left = Expr::Arith(
                Box::new(left),
                o.chars().next().unwrap_or('+'),
                Box::new(right),
            );
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        while let Some(Tok::Op(o)) = self.peek().cloned() {
            if o != "*" && o != "/" && o != "%" {
                break;
            }
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Arith(
                Box::new(left),
                o.chars().next().unwrap_or('*'),
                Box::new(right),
            );
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.peek() == Some(&Tok::Op("-".into())) {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Lit(Val::Num(n))),
            Some(Tok::Dur(d)) => Ok(Expr::Lit(Val::Num(d as f64))),
            Some(Tok::Str(s)) => Ok(Expr::Lit(Val::Str(s))),
            Some(Tok::LParen) => {
                let e = self.expr()?;
                if self.next() != Some(Tok::RParen) {
                    self.pos -= 1;
                    return self.fail("expected )");
                }
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.peek() != Some(&Tok::RParen) {
                        loop {
                            if self.peek() == Some(&Tok::Op("*".into())) {
                                self.pos += 1;
                                args.push(Expr::Star);
                            } else {
                                args.push(self.expr()?);
                            }
                            if self.peek() == Some(&Tok::Comma) {
                                self.pos += 1;
                                continue;
                            }
                            break;
                        }
                    }
                    if self.next() != Some(Tok::RParen) {
                        self.pos -= 1;
                        return self.fail("expected )");
                    }
                    return Ok(Expr::Call(name.to_ascii_lowercase(), args));
                }
                if name.eq_ignore_ascii_case("true") {
                    return Ok(Expr::Lit(Val::Bool(true)));
                }
                if name.eq_ignore_ascii_case("false") {
                    return Ok(Expr::Lit(Val::Bool(false)));
                }
                Ok(Expr::Field(name))
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                self.fail("expected a field or a value")
            }
        }
    }

    /// `expr [as name]`, named by its text when not aliased.
    fn named_list(&mut self) -> Result<Vec<(Expr, String)>, QueryError> {
        let mut out = Vec::new();
        loop {
            let from = self.pos;
            let e = self.expr()?;
            let mut name = self.text(from, self.pos);
            if self.keyword("as") {
                match self.next() {
                    Some(Tok::Ident(n)) => name = n,
                    _ => {
                        self.pos -= 1;
                        return self.fail("expected a name after as");
                    }
                }
            }
            out.push((e, name));
            if self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                continue;
            }
            return Ok(out);
        }
    }

    fn command(&mut self) -> Result<Cmd, QueryError> {
        let Some(Tok::Ident(word)) = self.peek().cloned() else {
            return self.fail("expected a command");
        };
        self.pos += 1;
        let cmd = match word.to_ascii_lowercase().as_str() {
            "fields" => Cmd::Fields(self.named_list()?),
            "display" => Cmd::Display(self.named_list()?),
            "filter" => Cmd::Filter(self.expr()?),
            "stats" => {
                let mut aggs = Vec::new();
                loop {
                    let from = self.pos;
                    let e = self.primary()?;
                    let Expr::Call(func, args) = e else {
                        self.pos = from;
                        return self.fail("expected an aggregate function");
                    };
                    if !AGGREGATES.contains(&func.as_str()) {
                        self.pos = from;
                        return self.fail("unknown aggregate function");
                    }
                    let mut name = self.text(from, self.pos);
                    if self.keyword("as") {
                        match self.next() {
                            Some(Tok::Ident(n)) => name = n,
                            _ => {
                                self.pos -= 1;
                                return self.fail("expected a name after as");
                            }
                        }
                    }
                    aggs.push((Agg { func, args }, name));
                    if self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                let by = if self.keyword("by") {
                    self.named_list()?
                } else {
                    Vec::new()
                };
                Cmd::Stats { aggs, by }
            }
            "sort" => {
                let mut keys = Vec::new();
                loop {
                    let e = self.additive()?;
                    let desc = if self.keyword("desc") {
                        true
                    } else {
                        self.keyword("asc");
                        false
                    };
                    keys.push((e, desc));
                    if self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                Cmd::Sort(keys)
            }
            "limit" | "head" => match self.next() {
                Some(Tok::Num(n)) if n >= 1.0 && n.fract() == 0.0 => Cmd::Limit(n as usize),
                _ => {
                    self.pos -= 1;
                    return self.fail("expected a positive whole number");
                }
            },
            "dedup" => {
                let mut fields = Vec::new();
                loop {
                    fields.push(self.primary()?);
                    if self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                Cmd::Dedup(fields)
            }
            "parse" => {
                let field = match self.next() {
                    Some(Tok::Ident(f)) => Expr::Field(f),
                    _ => {
                        self.pos -= 1;
                        return self.fail("expected a field to parse");
                    }
                };
                let (s, e) = self.here();
                match self.next() {
                    Some(Tok::Str(glob)) => {
                        if !self.keyword("as") {
                            return self.fail("expected as after the parse pattern");
                        }
                        let mut names = Vec::new();
                        loop {
                            match self.next() {
                                Some(Tok::Ident(n)) => names.push(n),
                                _ => {
                                    self.pos -= 1;
                                    return self.fail("expected a field name");
                                }
                            }
                            if self.peek() == Some(&Tok::Comma) {
                                self.pos += 1;
                                continue;
                            }
                            break;
                        }
                        let stars = glob.matches('*').count();
                        if stars != names.len() {
                            return err(
                                format!(
                                    "the parse pattern has {stars} wildcards but {} names",
                                    names.len()
                                ),
                                s,
                                e,
                            );
                        }
                        let re = regress::Regex::new(&glob_regex(&glob))
                            .or_else(|x| err(x.to_string(), s, e))?;
                        Cmd::Parse { field, re, names }
                    }
                    Some(Tok::Re(r, icase)) => {
                        let names = group_names(&r);
                        if names.is_empty() {
                            return err(
                                "the parse expression names no capture groups (?<name>...)",
                                s,
                                e,
                            );
                        }
                        let re = regress::Regex::with_flags(&r, if icase { "i" } else { "" })
                            .or_else(|x| err(x.to_string(), s, e))?;
                        Cmd::Parse { field, re, names }
                    }
                    _ => {
                        self.pos -= 1;
                        return self.fail("expected a \"pattern\" or /regex/");
                    }
                }
            }
            _ => {
                self.pos -= 1;
                return self.fail("unknown command");
            }
        };
        if !self.at_end() {
            return self.fail("expected | or the end of the query");
        }
        Ok(cmd)
    }
}

const AGGREGATES: &[&str] = &[
    "count",
    "count_distinct",
    "sum",
    "avg",
    "min",
    "max",
    "pct",
    "earliest",
    "latest",
];

/// A parse glob as a regular expression: `*` captures lazily, the last
/// one greedily when nothing follows it.
fn glob_regex(glob: &str) -> String {
    let mut out = String::new();
    let parts: Vec<&str> = glob.split('*').collect();
    for (i, p) in parts.iter().enumerate() {
        for c in p.chars() {
            if "\\^$.|?*+()[]{}/".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        if i + 1 < parts.len() {
            let last = i + 2 == parts.len() && parts[i + 1].is_empty();
            out.push_str(if last { "(.*)" } else { "(.*?)" });
        }
    }
    out
}

fn group_names(re: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = re;
    while let Some(i) = rest.find("(?<") {
        let after = &rest[i + 3..];
        if after.starts_with('=') || after.starts_with('!') {
            rest = after;
            continue;
        }
        if let Some(end) = after.find('>') {
            out.push(after[..end].to_string());
            rest = &after[end..];
        } else {
            break;
        }
    }
    out
}

impl Query {
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        let toks = tokenize(src)?;
        let mut p = Parser { src, toks, pos: 0 };
        let mut cmds = Vec::new();
        while p.pos < p.toks.len() {
            if p.peek() == Some(&Tok::Pipe) {
                p.pos += 1;
                continue;
            }
            cmds.push(p.command()?);
        }
        if cmds.is_empty() {
            return err("the query is empty", 0, 0);
        }
        Ok(Query { cmds })
    }
}

// ---------------------------------------------------------------- records

/// One log event as the query sees it.
pub struct Input<'a> {
    pub timestamp: i64,
    pub ingested: i64,
    pub message: &'a str,
    pub stream: &'a str,
    /// `account:group`.
    pub log: &'a str,
    pub ptr: String,
}

type Record = HashMap<String, Val>;

fn flatten(prefix: &str, j: &Json, out: &mut Record) {
    match j {
        Json::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Json::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        Json::String(s) => {
            out.insert(prefix.to_string(), Val::Str(s.clone()));
        }
        Json::Number(n) => {
            out.insert(prefix.to_string(), Val::Num(n.as_f64().unwrap_or(0.0)));
        }
        Json::Bool(b) => {
            out.insert(prefix.to_string(), Val::Bool(*b));
        }
        Json::Null => {}
    }
}

fn record(ev: &Input) -> Record {
    let mut r = Record::new();
    if ev.message.trim_start().starts_with('{') {
        if let Ok(j) = serde_json::from_str::<Json>(ev.message) {
            flatten("", &j, &mut r);
        }
    }
    r.insert("@timestamp".into(), Val::Time(ev.timestamp));
    r.insert("@ingestionTime".into(), Val::Time(ev.ingested));
    r.insert("@message".into(), Val::Str(ev.message.to_string()));
    r.insert("@logStream".into(), Val::Str(ev.stream.to_string()));
    r.insert("@log".into(), Val::Str(ev.log.to_string()));
    r.insert("@ptr".into(), Val::Str(ev.ptr.clone()));
    r
}

fn eval(e: &Expr, r: &Record) -> Val {
    match e {
        Expr::Field(f) => r.get(f).cloned().unwrap_or(Val::Null),
        Expr::Lit(v) => v.clone(),
        Expr::Star => Val::Null,
        Expr::Not(x) => Val::Bool(!eval(x, r).truthy()),
        Expr::And(a, b) => Val::Bool(eval(a, r).truthy() && eval(b, r).truthy()),
        Expr::Or(a, b) => Val::Bool(eval(a, r).truthy() || eval(b, r).truthy()),
        Expr::Cmp(a, op, b) => {
            let (x, y) = (eval(a, r), eval(b, r));
            if matches!(x, Val::Null) || matches!(y, Val::Null) {
                return Val::Bool(false);
            }
            let ord = cmp_vals(&x, &y);
            Val::Bool(match op.as_str() {
                "=" => vals_equal(&x, &y),
                "!=" => !vals_equal(&x, &y),
                "<" => ord == Ordering::Less,
                "<=" => ord != Ordering::Greater,
                ">" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        Expr::Like(a, like, negated) => {
            let Some(t) = eval(a, r).text() else {
                return Val::Bool(false);
            };
            let hit = match like {
                Like::Re(re) => re.find(&t).is_some(),
                Like::Sub(s) => t.contains(s.as_str()),
            };
            Val::Bool(hit != *negated)
        }
        Expr::In(a, items, negated) => {
            let x = eval(a, r);
            let hit = items.iter().any(|i| vals_equal(&x, &eval(i, r)));
            Val::Bool(hit != *negated)
        }
        Expr::Neg(x) => eval(x, r).num().map_or(Val::Null, |n| Val::Num(-n)),
        Expr::Arith(a, op, b) => {
            let (Some(x), Some(y)) = (eval(a, r).num(), eval(b, r).num()) else {
                return Val::Null;
            };
            Val::Num(match op {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                '/' if y != 0.0 => x / y,
                '%' if y != 0.0 => x % y,
                _ => return Val::Null,
            })
        }
        Expr::Call(f, args) => call(f, args, r),
    }
}

fn call(f: &str, args: &[Expr], r: &Record) -> Val {
    let arg = |i: usize| args.get(i).map_or(Val::Null, |a| eval(a, r));
    match f {
        "ispresent" => Val::Bool(!matches!(arg(0), Val::Null)),
        "isempty" => Val::Bool(arg(0).text().is_none_or(|t| t.is_empty())),
        "isblank" => Val::Bool(arg(0).text().is_none_or(|t| t.trim().is_empty())),
        "strlen" => arg(0)
            .text()
            .map_or(Val::Null, |t| Val::Num(t.chars().count() as f64)),
        "tolower" => arg(0)
            .text()
            .map_or(Val::Null, |t| Val::Str(t.to_lowercase())),
        "toupper" => arg(0)
            .text()
            .map_or(Val::Null, |t| Val::Str(t.to_uppercase())),
        "trim" => arg(0)
            .text()
            .map_or(Val::Null, |t| Val::Str(t.trim().to_string())),
        "concat" => Val::Str(
            (0..args.len())
                .filter_map(|i| arg(i).text())
                .collect::<String>(),
        ),
        "abs" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.abs())),
        "ceil" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.ceil())),
        "floor" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.floor())),
        "bin" => {
            let (Some(period), Some(ts)) = (arg(0).num(), r.get("@timestamp").and_then(Val::num))
            else {
                return Val::Null;
            };
            bin_time(ts as i64, period as i64)
        }
        "datefloor" => {
            let (Some(ts), Some(period)) = (arg(0).num(), arg(1).num()) else {
                return Val::Null;
            };
            bin_time(ts as i64, period as i64)
        }
        _ => Val::Null,
    }
}

fn bin_time(ts: i64, period: i64) -> Val {
    if period <= 0 {
        return Val::Null;
    }
    Val::Time(ts.div_euclid(period) * period)
}

#[derive(Default)]
struct Acc {
    count: f64,
    sum: f64,
    min: Option<Val>,
    max: Option<Val>,
    distinct: HashSet<String>,
    values: Vec<f64>,
    earliest: Option<(i64, Val)>,
    latest: Option<(i64, Val)>,
}

impl Acc {
    fn add(&mut self, agg: &Agg, r: &Record) {
        let v = match agg.args.first() {
            None | Some(Expr::Star) => Val::Bool(true),
            Some(e) => eval(e, r),
        };
        if matches!(v, Val::Null) {
            return;
        }
        self.count += 1.0;
        if let Some(n) = v.num() {
            self.sum += n;
            self.values.push(n);
        }
        if let Some(t) = v.text() {
            self.distinct.insert(t);
        }
        if self
            .min
            .as_ref()
            .is_none_or(|m| cmp_vals(&v, m) == Ordering::Less)
        {
            self.min = Some(v.clone());
        }
        if self
            .max
            .as_ref()
            .is_none_or(|m| cmp_vals(&v, m) == Ordering::Greater)
        {
            self.max = Some(v.clone());
        }
        let ts = r.get("@timestamp").and_then(Val::num).unwrap_or(0.0) as i64;
        if self.earliest.as_ref().is_none_or(|(t, _)| ts < *t) {
            self.earliest = Some((ts, v.clone()));
        }
        if self.latest.as_ref().is_none_or(|(t, _)| ts >= *t) {
            self.latest = Some((ts, v));
        }
    }

    fn result(&self, agg: &Agg) -> Val {
        match agg.func.as_str() {
            "count" => Val::Num(self.count),
            "count_distinct" => Val::Num(self.distinct.len() as f64),
            "sum" => Val::Num(self.sum),
            "avg" if !self.values.is_empty() => Val::Num(self.sum / self.values.len() as f64),
            "min" => self.min.clone().unwrap_or(Val::Null),
            "max" => self.max.clone().unwrap_or(Val::Null),
            "earliest" => self.earliest.clone().map_or(Val::Null, |(_, v)| v),
            "latest" => self.latest.clone().map_or(Val::Null, |(_, v)| v),
            "pct" if !self.values.is_empty() => {
                let p = match agg.args.get(1) {
                    Some(Expr::Lit(v)) => v.num().unwrap_or(50.0),
                    _ => 50.0,
                };
                let mut v = self.values.clone();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
                let idx = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
                Val::Num(v[idx.min(v.len() - 1)])
            }
            _ => Val::Null,
        }
    }
}

/// What a query produced: rows of (field, value) and how many records the
/// filters let through.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub rows: Vec<Vec<(String, String)>>,
    pub matched: usize,
}

const DEFAULT_FIELDS: &[&str] = &["@timestamp", "@message", "@logStream", "@log"];

impl Query {
    pub fn run(&self, events: &[Input], limit: usize) -> Outcome {
        let mut records: Vec<Record> = events.iter().map(record).collect();
        let mut columns: Option<Vec<String>> = None;
        let mut aggregated = false;
        let mut displayed = false;
        let mut matched: Option<usize> = None;
        for cmd in &self.cmds {
            match cmd {
                Cmd::Filter(e) => records.retain(|r| eval(e, r).truthy()),
                Cmd::Parse { field, re, names } => {
                    for r in &mut records {
                        let Some(text) = eval(field, r).text() else {
                            continue;
                        };
                        if let Some(m) = re.find(&text) {
                            for (i, name) in names.iter().enumerate() {
                                if let Some(Some(range)) = m.captures.get(i) {
                                    r.insert(
                                        name.clone(),
                                        Val::Str(text[range.clone()].to_string()),
                                    );
                                }
                            }
                        }
                    }
                }
                Cmd::Fields(list) | Cmd::Display(list) => {
                    for r in &mut records {
                        for (e, name) in list {
                            if !matches!(e, Expr::Field(f) if f == name) {
                                let v = eval(e, r);
                                r.insert(name.clone(), v);
                            }
                        }
                    }
                    displayed |= matches!(cmd, Cmd::Display(_));
                    let names: Vec<String> = list.iter().map(|(_, n)| n.clone()).collect();
                    columns = Some(match (cmd, columns.take()) {
                        (Cmd::Fields(_), Some(mut prev)) if !aggregated => {
                            for n in names {
                                if !prev.contains(&n) {
                                    prev.push(n);
                                }
                            }
                            prev
                        }
                        _ => names,
                    });
                }
                Cmd::Stats { aggs, by } => {
                    matched.get_or_insert(records.len());
                    let mut groups: BTreeMap<Vec<KeyVal>, (Vec<Val>, Vec<Acc>)> = BTreeMap::new();
                    for r in &records {
                        let keys: Vec<Val> = by.iter().map(|(e, _)| eval(e, r)).collect();
                        let sort_key: Vec<KeyVal> = keys.iter().map(KeyVal::from).collect();
                        let entry = groups.entry(sort_key).or_insert_with(|| {
                            (keys.clone(), aggs.iter().map(|_| Acc::default()).collect())
                        });
                        for ((agg, _), acc) in aggs.iter().zip(entry.1.iter_mut()) {
                            acc.add(agg, r);
                        }
                    }
                    if groups.is_empty() && by.is_empty() {
                        groups.insert(
                            Vec::new(),
                            (Vec::new(), aggs.iter().map(|_| Acc::default()).collect()),
                        );
                    }
                    records = groups
                        .into_values()
                        .map(|(keys, accs)| {
                            let mut r = Record::new();
                            for ((_, name), v) in by.iter().zip(keys) {
                                r.insert(name.clone(), v);
                            }
                            for ((agg, name), acc) in aggs.iter().zip(&accs) {
                                r.insert(name.clone(), acc.result(agg));
                            }
                            r
                        })
                        .collect();
                    let mut cols: Vec<String> = by.iter().map(|(_, n)| n.clone()).collect();
                    cols.extend(aggs.iter().map(|(_, n)| n.clone()));
                    columns = Some(cols);
                    aggregated = true;
                }
                Cmd::Sort(keys) => records.sort_by(|a, b| {
                    for (e, desc) in keys {
                        let o = cmp_vals(&eval(e, a), &eval(e, b));
                        let o = if *desc { o.reverse() } else { o };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                }),
                Cmd::Limit(n) => {
                    matched.get_or_insert(records.len());
                    records.truncate(*n);
                }
                Cmd::Dedup(fields) => {
                    let mut seen = HashSet::new();
                    records.retain(|r| {
                        let key: Vec<Option<String>> =
                            fields.iter().map(|f| eval(f, r).text()).collect();
                        seen.insert(key)
                    });
                }
            }
        }
        let matched = matched.unwrap_or(records.len());
        records.truncate(limit);
        let mut cols =
            columns.unwrap_or_else(|| DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect());
        if !aggregated && !displayed && !cols.iter().any(|c| c == "@ptr") {
            cols.push("@ptr".into());
        }
        let rows = records
            .iter()
            .map(|r| {
                cols.iter()
                    .filter_map(|c| r.get(c).and_then(Val::text).map(|v| (c.clone(), v)))
                    .collect()
            })
            .collect();
        Outcome { rows, matched }
    }
}

/// A totally ordered stand-in for a group key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyVal {
    Null,
    Num(i128, String),
    Str(String),
}

impl From<&Val> for KeyVal {
    fn from(v: &Val) -> Self {
        match v {
            Val::Null => KeyVal::Null,
            Val::Num(n) => KeyVal::Num((n * 1e6) as i128, fmt_num(*n)),
            Val::Time(t) => KeyVal::Num(i128::from(*t) * 1_000_000, t.to_string()),
            other => KeyVal::Str(other.text().unwrap_or_default()),
        }
    }
}

/// An event's fields as GetLogRecord shows them (times in epoch millis).
pub fn record_text(ev: &Input) -> BTreeMap<String, String> {
    record(ev)
        .into_iter()
        .filter(|(k, _)| k != "@ptr")
        .filter_map(|(k, v)| {
            let text = match v {
                Val::Time(t) => Some(t.to_string()),
                other => other.text(),
            };
            text.map(|t| (k, t))
        })
        .collect()
}

/// The fields a query could read from these messages, with the share of
/// events holding each (GetLogGroupFields).
pub fn field_shares(messages: &[&str]) -> Vec<(String, i32)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for m in messages {
        let ev = Input {
            timestamp: 0,
            ingested: 0,
            message: m,
            stream: "",
            log: "",
            ptr: String::new(),
        };
        for k in record(&ev).into_keys() {
            if k != "@ptr" {
                *counts.entry(k).or_default() += 1;
            }
        }
    }
    let n = messages.len().max(1);
    counts
        .into_iter()
        .map(|(k, c)| (k, ((c * 100) / n) as i32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ts: i64, msg: &'static str, stream: &'static str) -> Input<'static> {
        Input {
            timestamp: ts,
            ingested: ts,
            message: msg,
            stream,
            log: "123456789012:app",
            ptr: format!("p{ts}"),
        }
    }

    fn sample() -> Vec<Input<'static>> {
        vec![
            input(
                1_700_000_000_000,
                r#"{"level":"ERROR","latency":120,"path":"/a"}"#,
                "s1",
            ),
            input(
                1_700_000_030_000,
                r#"{"level":"INFO","latency":30,"path":"/b"}"#,
                "s1",
            ),
            input(
                1_700_000_090_000,
                r#"{"level":"ERROR","latency":300,"path":"/a"}"#,
                "s2",
            ),
            input(
                1_700_000_400_000,
                "plain text WARN line user=bob action=login",
                "s2",
            ),
        ]
    }

    fn run(q: &str) -> Outcome {
        Query::parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
            .run(&sample(), 10_000)
    }

    fn col(o: &Outcome, name: &str) -> Vec<String> {
        o.rows
            .iter()
            .map(|r| {
                r.iter()
                    .find(|(f, _)| f == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn fields_sort_limit() {
        let o = run("fields @timestamp, @message | sort @timestamp desc | limit 2");
        assert_eq!(o.rows.len(), 2);
        assert_eq!(o.matched, 4, "records matched counts what the limit cut");
        assert_eq!(col(&o, "@timestamp")[0], "2023-11-14 22:20:00.000");
        assert!(o.rows[0].iter().any(|(f, _)| f == "@ptr"));
        assert_eq!(o.rows[0][0].0, "@timestamp");
        assert_eq!(o.rows[0][1].0, "@message");
    }

    #[test]
    fn filter_comparisons_and_like() {
        assert_eq!(run("filter level = \"ERROR\"").matched, 2);
        assert_eq!(run("filter latency > 100").matched, 2);
        assert_eq!(run("filter latency >= 30 and latency < 200").matched, 2);
        assert_eq!(run("filter level != 'ERROR'").matched, 1);
        assert_eq!(run("filter @message like /WARN|INFO/").matched, 2);
        assert_eq!(run("filter @message like /warn/i").matched, 1);
        assert_eq!(run("filter @message not like \"ERROR\"").matched, 2);
        assert_eq!(run("filter @message =~ /user=\\w+/").matched, 1);
        assert_eq!(run("filter path in [\"/a\", \"/c\"]").matched, 2);
        assert_eq!(run("filter not ispresent(level)").matched, 1);
        assert_eq!(run("filter @logStream = 's2' or latency < 50").matched, 3);
        assert_eq!(run("filter (latency + 10) * 2 > 600").matched, 1);
    }

    #[test]
    fn stats_with_groups() {
        let o = run(
            "stats count(*) as n, avg(latency), max(latency) by level | sort n desc, level desc",
        );
        assert_eq!(col(&o, "level"), vec!["ERROR", "INFO", ""]);
        assert_eq!(col(&o, "n"), vec!["2", "1", "1"]);
        assert_eq!(col(&o, "avg(latency)")[0], "210");
        assert_eq!(col(&o, "max(latency)")[0], "300");
        assert_eq!(o.matched, 4);
        assert!(!o.rows[0].iter().any(|(f, _)| f == "@ptr"));
    }

    #[test]
    fn stats_by_bin() {
        let o = run("filter ispresent(latency) | stats sum(latency) as total by bin(5m)");
        assert_eq!(col(&o, "bin(5m)"), vec!["2023-11-14 22:10:00.000"]);
        assert_eq!(col(&o, "total"), vec!["450"]);
        assert_eq!(o.matched, 3);
        let o = run("stats count(*) as n by bin(1m)");
        assert_eq!(
            col(&o, "bin(1m)"),
            vec![
                "2023-11-14 22:13:00.000",
                "2023-11-14 22:14:00.000",
                "2023-11-14 22:20:00.000"
            ]
        );
        assert_eq!(col(&o, "n"), vec!["2", "1", "1"]);
    }

    #[test]
    fn stats_without_groups_and_distinct() {
        let o = run("stats count() as c, count_distinct(path) as paths, min(latency) as lo");
        assert_eq!(col(&o, "c"), vec!["4"]);
        assert_eq!(col(&o, "paths"), vec!["2"]);
        assert_eq!(col(&o, "lo"), vec!["30"]);
        let empty = run("filter latency > 10000 | stats count(*)");
        assert_eq!(col(&empty, "count(*)"), vec!["0"]);
    }

    #[test]
    fn parse_glob_and_regex() {
        let o = run(
            "parse @message \"user=* action=*\" as user, action | filter ispresent(user) | fields user, action",
        );
        assert_eq!(col(&o, "user"), vec!["bob"]);
        assert_eq!(col(&o, "action"), vec!["login"]);
        let o = run("parse @message /user=(?<who>\\w+)/ | filter ispresent(who) | display who");
        assert_eq!(col(&o, "who"), vec!["bob"]);
        assert_eq!(o.rows[0].len(), 1, "display shows only its fields");
    }

    #[test]
    fn log_and_stream_fields() {
        let o = run("fields @log, @logStream | filter @logStream = \"s1\"");
        assert_eq!(col(&o, "@log"), vec!["123456789012:app"; 2]);
    }

    #[test]
    fn dedup_and_limit() {
        let o = run("filter ispresent(path) | dedup path | fields path");
        assert_eq!(col(&o, "path"), vec!["/a", "/b"]);
        assert_eq!(
            Query::parse("fields @message")
                .unwrap()
                .run(&sample(), 1)
                .rows
                .len(),
            1
        );
    }

    #[test]
    fn comments_and_pipes_in_regex() {
        let o = run("# errors only\nfilter @message like /ERROR|WARN/ | stats count(*) as n");
        assert_eq!(col(&o, "n"), vec!["3"]);
    }

    #[test]
    fn malformed_queries() {
        for bad in [
            "",
            "bogus x",
            "filter",
            "fields a,",
            "stats latency",
            "stats nosuch(x)",
            "limit x",
            "parse @message \"a=*\" as a, b",
            "filter x = \"unterminated",
            "sort a | limit 0",
            "filter @message like 3",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let e = Query::parse("fields @message | bogus").unwrap_err();
        assert!(e.message.contains("bogus"), "{e:?}");
        assert_eq!(e.start, 18);
    }

    #[test]
    fn field_shares_count_json_keys() {
        let shares = field_shares(&[r#"{"a":1}"#, "text"]);
        assert!(shares.contains(&("a".to_string(), 50)));
        assert!(shares.contains(&("@message".to_string(), 100)));
    }
}
