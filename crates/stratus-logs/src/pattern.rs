//! Filter patterns as metric filters, subscription filters and
//! FilterLogEvents read them: terms and quoted phrases (`ERROR`,
//! `"bad request"`, `?ERROR ?WARN`, `ERROR -DEBUG`), regular expressions
//! between `%`, JSON patterns (`{ $.status >= 400 && $.user.name = "a*" }`)
//! and space-delimited patterns (`[ip, user, ..., status = 4*, bytes > 1000]`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

#[derive(Debug)]
pub struct FilterPattern {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    All,
    Text(Vec<Term>),
    Json(Expr),
    Delimited(Vec<Column>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Must,
    Any,
    Not,
}

#[derive(Debug)]
struct Term {
    mode: Mode,
    matcher: Matcher,
}

#[derive(Debug)]
enum Matcher {
    Lit(String),
    Re(regress::Regex),
}

impl Matcher {
    fn found_in(&self, text: &str) -> bool {
        match self {
            Matcher::Lit(s) => text.contains(s.as_str()),
            Matcher::Re(r) => r.find(text).is_some(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The right-hand side of a comparison.
#[derive(Debug)]
enum Operand {
    Num(f64),
    /// A string, `*` matching any run of characters.
    Glob(String),
    Re(regress::Regex),
}

#[derive(Debug)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Vec<Seg>, Op, Operand),
    IsNull(Vec<Seg>),
    NotExists(Vec<Seg>),
    IsBool(Vec<Seg>, bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
    AnyIndex,
}

#[derive(Debug)]
struct Column {
    name: Option<String>,
    ellipsis: bool,
    /// Alternatives of conjunctions, all about this column's value.
    cond: Vec<Vec<(Op, Operand)>>,
}

/// What a matching event yields for metric values and dimensions.
#[derive(Debug, Clone, PartialEq)]
pub enum Extract {
    None,
    Json(Json),
    Fields(Vec<(String, String)>),
}

impl Extract {
    /// The value `$.a.b` (JSON) or `$name` (space-delimited) refers to.
    pub fn get(&self, selector: &str) -> Option<String> {
        match self {
            Extract::Json(j) => {
                let path = parse_selector(selector).ok()?;
                let found = select(j, &path);
                found.first().and_then(|v| scalar_text(v))
            }
            Extract::Fields(fields) => {
                let name = selector.strip_prefix('$')?;
                fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            }
            Extract::None => None,
        }
    }
}

impl FilterPattern {
    pub fn parse(src: &str) -> Result<FilterPattern, String> {
        let t = src.trim();
        let kind = if t.is_empty() || t == "\"\"" {
            Kind::All
        } else if t.starts_with('{') {
            let inner = t
                .strip_suffix('}')
                .ok_or_else(|| "a JSON pattern must end with }".to_string())?;
            let mut p = JsonParser::new(&inner[1..]);
            let e = p.expr()?;
            p.skip_ws();
            if p.pos < p.chars.len() {
                return Err(format!(
                    "unexpected {:?} in JSON pattern",
                    p.chars[p.pos..].iter().collect::<String>()
                ));
            }
            Kind::Json(e)
        } else if t.starts_with('[') {
            let inner = t
                .strip_suffix(']')
                .ok_or_else(|| "a space-delimited pattern must end with ]".to_string())?;
            let cols = parse_columns(&inner[1..])?;
            if cols.is_empty() {
                Kind::All
            } else {
                Kind::Delimited(cols)
            }
        } else {
            let terms = parse_terms(t)?;
            if terms.is_empty() {
                Kind::All
            } else {
                Kind::Text(terms)
            }
        };
        Ok(FilterPattern { kind })
    }

    /// `Some` when the event matches, with what it yields.
    pub fn eval(&self, message: &str) -> Option<Extract> {
        match &self.kind {
            Kind::All => Some(Extract::None),
            Kind::Text(terms) => text_matches(terms, message).then_some(Extract::None),
            Kind::Json(e) => {
                let j: Json = serde_json::from_str(message.trim()).ok()?;
                if !j.is_object() && !j.is_array() {
                    return None;
                }
                eval_expr(e, &j).then_some(Extract::Json(j))
            }
            Kind::Delimited(cols) => {
                let fields = split_fields(message);
                let mut caps = Vec::new();
                match_columns(cols, &fields, &mut caps).then_some(Extract::Fields(caps))
            }
        }
    }

    pub fn matches(&self, message: &str) -> bool {
        self.eval(message).is_some()
    }

    /// The values TestMetricFilter reports for a match: named fields
    /// (`$name`) or the JSON selectors the pattern uses (`$.a`).
    pub fn extracted(&self, ex: &Extract) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match (&self.kind, ex) {
            (Kind::Delimited(_), Extract::Fields(f)) => {
                for (n, v) in f {
                    out.insert(format!("${n}"), v.clone());
                }
            }
            (Kind::Json(e), Extract::Json(j)) => {
                let mut paths = Vec::new();
                selectors(e, &mut paths);
                for p in paths {
                    if let Some(v) = select(j, &p).first().and_then(|v| scalar_text(v)) {
                        out.insert(selector_text(&p), v);
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// True when `$name` or `$.path` can be read from what this pattern extracts.
    pub fn provides(&self, selector: &str) -> bool {
        match &self.kind {
            Kind::Json(_) => selector.starts_with("$.") && parse_selector(selector).is_ok(),
            Kind::Delimited(cols) => selector
                .strip_prefix('$')
                .is_some_and(|n| cols.iter().any(|c| c.name.as_deref() == Some(n))),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------- terms

fn parse_terms(src: &str) -> Result<Vec<Term>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mode = match chars[i] {
            '?' => {
                i += 1;
                Mode::Any
            }
            '-' if i + 1 < chars.len() && !chars[i + 1].is_whitespace() => {
                i += 1;
                Mode::Not
            }
            _ => Mode::Must,
        };
        if i >= chars.len() {
            return Err("a term is missing after ?".into());
        }
        let matcher = match chars[i] {
            '"' => {
                let (s, next) = quoted(&chars, i)?;
                i = next;
                Matcher::Lit(s)
            }
            '%' => {
                let (re, next) = regex_at(&chars, i)?;
                i = next;
                Matcher::Re(re)
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                Matcher::Lit(chars[start..i].iter().collect())
            }
        };
        // An empty phrase ("") matches everything, so it adds no condition.
        if matches!(&matcher, Matcher::Lit(s) if s.is_empty()) {
            continue;
        }
        out.push(Term { mode, matcher });
    }
    Ok(out)
}

fn text_matches(terms: &[Term], msg: &str) -> bool {
    let mut any_seen = false;
    let mut any_hit = false;
    for t in terms {
        let hit = t.matcher.found_in(msg);
        match t.mode {
            Mode::Must if !hit => return false,
            Mode::Not if hit => return false,
            Mode::Any => {
                any_seen = true;
                any_hit |= hit;
            }
            _ => {}
        }
    }
    !any_seen || any_hit
}

/// A double-quoted string starting at `i`; returns it and the index after it.
fn quoted(chars: &[char], i: usize) -> Result<(String, usize), String> {
    let mut s = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if j + 1 < chars.len() => {
                s.push(chars[j + 1]);
                j += 2;
            }
            '"' => return Ok((s, j + 1)),
            c => {
                s.push(c);
                j += 1;
            }
        }
    }
    Err("unterminated quoted string".into())
}

/// A `%regex%` starting at `i`.
fn regex_at(chars: &[char], i: usize) -> Result<(regress::Regex, usize), String> {
    let mut j = i + 1;
    let mut s = String::new();
    while j < chars.len() {
        match chars[j] {
            '\\' if j + 1 < chars.len() => {
                s.push('\\');
                s.push(chars[j + 1]);
                j += 2;
            }
            '%' => {
                if s.is_empty() {
                    return Err("empty regular expression".into());
                }
                let re = regress::Regex::new(&s)
                    .map_err(|e| format!("invalid regular expression %{s}%: {e}"))?;
                return Ok((re, j + 1));
            }
            c => {
                s.push(c);
                j += 1;
            }
        }
    }
    Err("unterminated regular expression (missing %)".into())
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

// ---------------------------------------------------------------- comparisons

fn compare_text(text: &str, num: Option<f64>, op: Op, rhs: &Operand) -> bool {
    match rhs {
        Operand::Num(n) => {
            let Some(v) = num.or_else(|| text.trim().parse::<f64>().ok()) else {
                return false;
            };
            match op {
                Op::Eq => v == *n,
                Op::Ne => v != *n,
                Op::Lt => v < *n,
                Op::Le => v <= *n,
                Op::Gt => v > *n,
                Op::Ge => v >= *n,
            }
        }
        Operand::Glob(g) => match op {
            Op::Eq => glob(g, text),
            Op::Ne => !glob(g, text),
            _ => false,
        },
        Operand::Re(r) => match op {
            Op::Eq => r.find(text).is_some(),
            Op::Ne => r.find(text).is_none(),
            _ => false,
        },
    }
}

fn parse_op(chars: &[char], i: usize) -> Option<(Op, usize)> {
    let c = *chars.get(i)?;
    let next = chars.get(i + 1).copied();
    Some(match (c, next) {
        ('=', Some('=')) => (Op::Eq, 2),
        ('=', _) => (Op::Eq, 1),
        ('!', Some('=')) => (Op::Ne, 2),
        ('<', Some('=')) => (Op::Le, 2),
        ('<', _) => (Op::Lt, 1),
        ('>', Some('=')) => (Op::Ge, 2),
        ('>', _) => (Op::Gt, 1),
        _ => return None,
    })
}

/// Reads a comparison's right-hand side at `i`; `stop` ends a bare value.
fn parse_operand(
    chars: &[char],
    mut i: usize,
    op: Op,
    stop: &dyn Fn(&[char], usize) -> bool,
) -> Result<(Operand, usize), String> {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    if i >= chars.len() {
        return Err("a value is missing after the operator".into());
    }
    let ordering = !matches!(op, Op::Eq | Op::Ne);
    match chars[i] {
        '"' => {
            let (s, next) = quoted(chars, i)?;
            if ordering {
                return Err(format!("{s:?} is not a number"));
            }
            Ok((Operand::Glob(s), next))
        }
        '%' => {
            let (re, next) = regex_at(chars, i)?;
            if ordering {
                return Err("a regular expression needs = or !=".into());
            }
            Ok((Operand::Re(re), next))
        }
        _ => {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !stop(chars, i) {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            if raw.is_empty() {
                return Err("a value is missing after the operator".into());
            }
            match raw.parse::<f64>() {
                Ok(n) if !raw.contains('*') => Ok((Operand::Num(n), i)),
                _ if ordering => Err(format!("{raw:?} is not a number")),
                _ => Ok((Operand::Glob(raw), i)),
            }
        }
    }
}

// ---------------------------------------------------------------- JSON

struct JsonParser {
    chars: Vec<char>,
    pos: usize,
}

impl JsonParser {
    fn new(s: &str) -> Self {
        JsonParser {
            chars: s.chars().collect(),
            pos: 0,
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        let n = s.chars().count();
        if self.chars.len() >= self.pos + n
            && self.chars[self.pos..self.pos + n]
                .iter()
                .copied()
                .eq(s.chars())
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("(") {
            let e = self.expr()?;
            if !self.eat(")") {
                return Err("a ) is missing".into());
            }
            return Ok(e);
        }
        self.cond()
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.chars.len() && self.chars[self.pos].is_ascii_alphabetic() {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn cond(&mut self) -> Result<Expr, String> {
        self.skip_ws();
        if self.chars.get(self.pos) != Some(&'$') {
            return Err(format!(
                "expected a selector starting with $ at {:?}",
                self.chars[self.pos..].iter().collect::<String>()
            ));
        }
        let start = self.pos;
        while self.pos < self.chars.len() {
            let c = self.chars[self.pos];
            if c.is_whitespace() || "=!<>()&|".contains(c) {
                break;
            }
            self.pos += 1;
        }
        let sel: String = self.chars[start..self.pos].iter().collect();
        let path = parse_selector(&sel)?;
        self.skip_ws();
        if let Some((op, n)) = parse_op(&self.chars, self.pos) {
            self.pos += n;
            let stop = |c: &[char], i: usize| {
                matches!(c[i], ')' | '&' | '|') && (c[i] == ')' || c.get(i + 1) == Some(&c[i]))
            };
            let (rhs, next) = parse_operand(&self.chars, self.pos, op, &stop)?;
            self.pos = next;
            return Ok(Expr::Cmp(path, op, rhs));
        }
        let save = self.pos;
        let w1 = self.word().to_ascii_uppercase();
        let w2 = self.word().to_ascii_uppercase();
        match (w1.as_str(), w2.as_str()) {
            ("IS", "NULL") => Ok(Expr::IsNull(path)),
            ("IS", "TRUE") => Ok(Expr::IsBool(path, true)),
            ("IS", "FALSE") => Ok(Expr::IsBool(path, false)),
            ("NOT", "EXISTS") => Ok(Expr::NotExists(path)),
            _ => {
                self.pos = save;
                Err(format!("expected an operator after {sel}"))
            }
        }
    }
}

fn parse_selector(sel: &str) -> Result<Vec<Seg>, String> {
    let rest = sel
        .strip_prefix('$')
        .ok_or_else(|| format!("selector {sel} must start with $"))?;
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let key: String = chars[start..i].iter().collect();
                if key.is_empty() {
                    return Err(format!("selector {sel} has an empty key"));
                }
                out.push(Seg::Key(key));
            }
            '[' => {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or_else(|| format!("selector {sel} is missing ]"))?;
                let inner: String = chars[i + 1..i + close].iter().collect();
                if inner == "*" {
                    out.push(Seg::AnyIndex);
                } else {
                    let n = inner
                        .parse::<usize>()
                        .map_err(|_| format!("selector {sel} has a bad index [{inner}]"))?;
                    out.push(Seg::Index(n));
                }
                i += close + 1;
            }
            _ => return Err(format!("selector {sel} is not valid")),
        }
    }
    if out.is_empty() {
        return Err(format!("selector {sel} names no field"));
    }
    Ok(out)
}

fn selector_text(path: &[Seg]) -> String {
    let mut s = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(n) => s.push_str(&format!("[{n}]")),
            Seg::AnyIndex => s.push_str("[*]"),
        }
    }
    s
}

fn select<'a>(j: &'a Json, path: &[Seg]) -> Vec<&'a Json> {
    let mut cur = vec![j];
    for seg in path {
        let mut next = Vec::new();
        for v in cur {
            match (seg, v) {
                (Seg::Key(k), Json::Object(m)) => next.extend(m.get(k)),
                (Seg::Index(n), Json::Array(a)) => next.extend(a.get(*n)),
                (Seg::AnyIndex, Json::Array(a)) => next.extend(a.iter()),
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn eval_expr(e: &Expr, j: &Json) -> bool {
    match e {
        Expr::And(a, b) => eval_expr(a, j) && eval_expr(b, j),
        Expr::Or(a, b) => eval_expr(a, j) || eval_expr(b, j),
        Expr::Cmp(path, op, rhs) => select(j, path).into_iter().any(|v| match v {
            Json::Number(n) => compare_text(&n.to_string(), n.as_f64(), *op, rhs),
            Json::String(s) => compare_text(s, None, *op, rhs),
            Json::Bool(b) if !matches!(rhs, Operand::Num(_)) => {
                compare_text(&b.to_string(), None, *op, rhs)
            }
            _ => false,
        }),
        Expr::IsNull(path) => select(j, path).iter().any(|v| v.is_null()),
        Expr::NotExists(path) => select(j, path).is_empty(),
        Expr::IsBool(path, b) => select(j, path).iter().any(|v| v.as_bool() == Some(*b)),
    }
}

fn selectors(e: &Expr, out: &mut Vec<Vec<Seg>>) {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            selectors(a, out);
            selectors(b, out);
        }
        Expr::Cmp(p, _, _) | Expr::IsNull(p) | Expr::NotExists(p) | Expr::IsBool(p, _) => {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
}

// ---------------------------------------------------------------- space-delimited

/// Splits the pattern body on top-level commas (not inside quotes or %regex%).
fn split_commas(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut in_re = false;
    let mut esc = false;
    for c in s.chars() {
        if esc {
            cur.push(c);
            esc = false;
            continue;
        }
        match c {
            '\\' => {
                esc = true;
                cur.push(c);
            }
            '"' if !in_re => {
                in_quote = !in_quote;
                cur.push(c);
            }
            '%' if !in_quote => {
                in_re = !in_re;
                cur.push(c);
            }
            ',' if !in_quote && !in_re => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_columns(body: &str) -> Result<Vec<Column>, String> {
    if body.trim().is_empty() {
        return Ok(Vec::new());
    }
    split_commas(body)
        .into_iter()
        .map(|c| parse_column(c.trim()))
        .collect()
}

fn is_name_char(c: char) -> bool {
    !c.is_whitespace() && !"=!<>&|\"%".contains(c)
}

fn parse_column(spec: &str) -> Result<Column, String> {
    if spec.is_empty() {
        return Err("a field is empty".into());
    }
    if spec == "..." {
        return Ok(Column {
            name: None,
            ellipsis: true,
            cond: Vec::new(),
        });
    }
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut name: Option<String> = None;
    let mut alts: Vec<Vec<(Op, Operand)>> = vec![Vec::new()];
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < chars.len() && is_name_char(chars[i]) {
            i += 1;
        }
        let n: String = chars[start..i].iter().collect();
        if n.is_empty() && name.is_none() {
            return Err(format!("field {spec:?} has no name"));
        }
        if name.is_none() {
            name = Some(n);
        }
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let (op, n) = parse_op(&chars, i).ok_or_else(|| format!("bad condition in {spec:?}"))?;
        i += n;
        let stop = |c: &[char], k: usize| matches!(c[k], '&' | '|') && c.get(k + 1) == Some(&c[k]);
        let (rhs, next) = parse_operand(&chars, i, op, &stop)?;
        i = next;
        alts.last_mut().expect("one alternative").push((op, rhs));
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        if chars[i..].starts_with(&['&', '&']) {
            i += 2;
        } else if chars[i..].starts_with(&['|', '|']) {
            i += 2;
            alts.push(Vec::new());
        } else {
            return Err(format!("unexpected text in field {spec:?}"));
        }
    }
    let cond = if alts.iter().all(|a| a.is_empty()) {
        Vec::new()
    } else {
        alts
    };
    Ok(Column {
        name,
        ellipsis: false,
        cond,
    })
}

/// An event's fields: runs of non-space, with `"..."` and `[...]` kept whole.
pub fn split_fields(msg: &str) -> Vec<String> {
    let chars: Vec<char> = msg.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let close = match chars[i] {
            '"' => Some('"'),
            '[' => Some(']'),
            _ => None,
        };
        if let Some(close) = close {
            if let Some(end) = chars[i + 1..].iter().position(|&c| c == close) {
                out.push(chars[i + 1..i + 1 + end].iter().collect());
                i += end + 2;
                continue;
            }
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

fn column_accepts(col: &Column, value: &str) -> bool {
    col.cond.is_empty()
        || col.cond.iter().any(|conj| {
            conj.iter()
                .all(|(op, rhs)| compare_text(value, None, *op, rhs))
        })
}

fn match_columns(cols: &[Column], fields: &[String], caps: &mut Vec<(String, String)>) -> bool {
    let Some((col, rest)) = cols.split_first() else {
        return fields.is_empty();
    };
    if col.ellipsis {
        return (0..=fields.len()).any(|k| {
            let mark = caps.len();
            let ok = match_columns(rest, &fields[k..], caps);
            if !ok {
                caps.truncate(mark);
            }
            ok
        });
    }
    let Some((field, more)) = fields.split_first() else {
        return false;
    };
    if !column_accepts(col, field) {
        return false;
    }
    let mark = caps.len();
    if let Some(n) = &col.name {
        caps.push((n.clone(), field.clone()));
    }
    if match_columns(rest, more, caps) {
        true
    } else {
        caps.truncate(mark);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, msg: &str) -> bool {
        FilterPattern::parse(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .matches(msg)
    }

    #[test]
    fn empty_patterns_match_everything() {
        assert!(m("", "anything"));
        assert!(m(" ", "anything"));
        assert!(m("\"\"", "anything"));
        assert!(m("[]", "anything at all"));
    }

    #[test]
    fn terms_all_must_appear_case_sensitively() {
        assert!(m("ERROR", "[ERROR 400] BAD REQUEST"));
        assert!(!m("ERROR", "[error 400] bad request"));
        assert!(m("ERROR ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS"));
        assert!(!m("ERROR ARGUMENTS", "[ERROR 401] UNAUTHORIZED REQUEST"));
    }

    #[test]
    fn optional_terms_need_one() {
        assert!(m("?ERROR ?WARN", "WARN disk almost full"));
        assert!(m("?ERROR ?WARN", "ERROR disk full"));
        assert!(!m("?ERROR ?WARN", "INFO all good"));
    }

    #[test]
    fn excluded_terms() {
        assert!(m("ERROR -ARGUMENTS", "[ERROR 400] BAD REQUEST"));
        assert!(!m("ERROR -ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS"));
        assert!(m("-DEBUG", "INFO hello"));
        assert!(!m("-DEBUG", "DEBUG hello"));
        assert!(!m(
            "ERROR -\"MISSING ARGUMENTS\"",
            "[ERROR 419] MISSING ARGUMENTS"
        ));
    }

    #[test]
    fn quoted_phrases_match_exactly() {
        assert!(m(
            "\"INTERNAL SERVER ERROR\"",
            "[ERROR 500] INTERNAL SERVER ERROR"
        ));
        assert!(!m("\"INTERNAL SERVER ERROR\"", "INTERNAL ERROR SERVER"));
        assert!(m("\"user: \\\"bob\\\"\"", "login user: \"bob\""));
    }

    #[test]
    fn regex_terms() {
        assert!(m("%AUTHORIZED|SUCCESS%", "request SUCCESS"));
        assert!(!m("%^ERROR%", "an ERROR"));
        assert!(m("%^ERROR%", "ERROR at start"));
        assert!(m("%[0-9]{3}%", "code 404"));
        assert!(FilterPattern::parse("%unterminated").is_err());
    }

    #[test]
    fn json_strings_and_wildcards() {
        let ev = r#"{"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.2","user":{"name":"Alice"}}"#;
        assert!(m(r#"{ $.eventType = "UpdateTrail" }"#, ev));
        assert!(m(r#"{$.eventType = UpdateTrail}"#, ev));
        assert!(!m(r#"{ $.eventType = "Other" }"#, ev));
        assert!(m(r#"{ $.eventType != "Other" }"#, ev));
        assert!(m("{ $.sourceIPAddress = 123.123.* }", ev));
        assert!(!m("{ $.sourceIPAddress != 123.123.* }", ev));
        assert!(m(r#"{ $.user.name = "Al*" }"#, ev));
        assert!(m(r#"{ $.user.name = *ic* }"#, ev));
        assert!(!m(r#"{ $.missing = "x" }"#, ev));
        assert!(!m(r#"{ $.missing != "x" }"#, ev));
        assert!(!m(r#"{ $.eventType = "UpdateTrail" }"#, "not json"));
    }

    #[test]
    fn json_numbers() {
        let ev = r#"{"bandwidth":80,"latency":"49","ratio":1.5e3,"code":"abc"}"#;
        assert!(m("{ $.bandwidth > 75 }", ev));
        assert!(!m("{ $.bandwidth < 75 }", ev));
        assert!(m("{ $.bandwidth >= 80 }", ev));
        assert!(m("{ $.bandwidth <= 80 }", ev));
        assert!(m("{ $.bandwidth = 80 }", ev));
        assert!(m("{ $.bandwidth != 81 }", ev));
        assert!(m("{ $.latency < 50 }", ev));
        assert!(m("{ $.ratio = 1500 }", ev));
        assert!(m("{ $.ratio = 1.5e3 }", ev));
        assert!(!m("{ $.code > 1 }", ev));
        assert!(FilterPattern::parse(r#"{ $.code > "a" }"#).is_err());
    }

    #[test]
    fn json_logic_and_arrays() {
        let ev = r#"{"user":{"id":2},"users":[{"email":"John.Doe@example.com"},{"email":"x@y"}],"actions":["GET","PUT","DELETE"]}"#;
        assert!(m(
            r#"{($.user.id = 2 && $.users[0].email = "John.Doe@example.com") || $.actions[2] = "GET"}"#,
            ev
        ));
        assert!(m(
            r#"{($.user.id = 3 && $.users[0].email = "x") || $.actions[2] = "DELETE"}"#,
            ev
        ));
        assert!(!m(r#"{ $.user.id = 3 || $.actions[0] = "PUT" }"#, ev));
        assert!(m(r#"{ $.users[*].email = "x@y" }"#, ev));
        assert!(m(r#"{ $.actions[*] = "PUT" }"#, ev));
        assert!(!m(r#"{ $.actions[5] = "PUT" }"#, ev));
        assert!(m(r#"{ $.user.id = 2 && $.actions[1] = PUT }"#, ev));
    }

    #[test]
    fn json_null_exists_and_booleans() {
        let ev = r#"{"a":null,"flag":true,"off":false}"#;
        assert!(m("{ $.a IS NULL }", ev));
        assert!(!m("{ $.flag IS NULL }", ev));
        assert!(m("{ $.nothing NOT EXISTS }", ev));
        assert!(!m("{ $.a NOT EXISTS }", ev));
        assert!(m("{ $.flag IS TRUE }", ev));
        assert!(m("{ $.off IS FALSE }", ev));
        assert!(!m("{ $.off IS TRUE }", ev));
        assert!(m("{ $.flag is true && $.a is null }", ev));
    }

    #[test]
    fn json_regex() {
        let ev = r#"{"msg":"user login failed"}"#;
        assert!(m("{ $.msg = %login (ok|failed)% }", ev) || m("{ $.msg = %login% }", ev));
        assert!(m("{ $.msg = %fail% }", ev));
        assert!(m("{ $.msg != %success% }", ev));
    }

    #[test]
    fn json_syntax_errors() {
        for bad in [
            "{ $.a = }",
            "{ a = 1 }",
            "{ $.a = 1",
            "{ $.a = 1 && }",
            "{ ($.a = 1 }",
            "{ $.a IS MAYBE }",
        ] {
            assert!(FilterPattern::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    const APACHE: &str =
        r#"127.0.0.1 frank alice [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

    #[test]
    fn delimited_fields_are_split_with_quotes_and_brackets() {
        assert_eq!(
            split_fields(APACHE),
            vec![
                "127.0.0.1",
                "frank",
                "alice",
                "10/Oct/2000:13:25:15 -0700",
                "GET /index.html HTTP/1.0",
                "404",
                "1534"
            ]
        );
    }

    #[test]
    fn delimited_patterns() {
        let all = "[ip, user, username, timestamp, request, status_code, bytes]";
        assert!(m(all, APACHE));
        assert!(!m("[ip, user, username]", APACHE), "field count must match");
        assert!(m(
            "[ip, user, username, timestamp, request = *.html*, status_code = 4*, bytes]",
            APACHE
        ));
        assert!(!m(
            "[ip, user, username, timestamp, request, status_code = 5*, bytes]",
            APACHE
        ));
        assert!(m("[ip, user, ..., status_code = 4*, bytes > 1000]", APACHE));
        assert!(!m(
            "[ip, user, ..., status_code = 4*, bytes > 2000]",
            APACHE
        ));
        assert!(m("[..., status_code = 404, bytes]", APACHE));
        assert!(m("[ip = 127.*, ...]", APACHE));
        assert!(m("[..., status >= 400 && status < 500, bytes]", APACHE));
        assert!(m("[..., status = 5* || status = 4*, bytes]", APACHE));
        assert!(!m("[..., status != 404, bytes]", APACHE));
        assert!(m("[ip, user = \"frank\", ...]", APACHE));
        assert!(m("[ip, user = %^fr%, ...]", APACHE));
        assert!(m(
            "[..., request = \"GET /index.html HTTP/1.0\", status, bytes]",
            APACHE
        ));
    }

    #[test]
    fn delimited_extraction() {
        let p = FilterPattern::parse("[ip, user, ..., status_code = 4*, bytes]").unwrap();
        let ex = p.eval(APACHE).unwrap();
        assert_eq!(ex.get("$bytes").as_deref(), Some("1534"));
        assert_eq!(ex.get("$ip").as_deref(), Some("127.0.0.1"));
        assert_eq!(ex.get("$nope"), None);
        let vals = p.extracted(&ex);
        assert_eq!(vals.get("$status_code").map(String::as_str), Some("404"));
        assert!(p.provides("$bytes"));
        assert!(!p.provides("$other"));
    }

    #[test]
    fn json_extraction() {
        let p = FilterPattern::parse("{ $.latency > 10 }").unwrap();
        let ex = p.eval(r#"{"latency": 42.5, "svc": "api"}"#).unwrap();
        assert_eq!(ex.get("$.latency").as_deref(), Some("42.5"));
        assert_eq!(ex.get("$.svc").as_deref(), Some("api"));
        assert_eq!(
            p.extracted(&ex).get("$.latency").map(String::as_str),
            Some("42.5")
        );
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*.html*", "GET /index.html HTTP"));
        assert!(!glob("a*c", "abd"));
        assert!(glob("4*", "404"));
        assert!(!glob("4*", "504"));
    }
}
