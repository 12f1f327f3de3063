//! Metric math: the expression language GetMetricData and alarms evaluate
//! over the time series of other queries (`m1 / m2 * 100`, `SUM(METRICS())`,
//! `RATE(m1)`, `FILL(m1, 0)`, `IF(m1 > 10, 1, 0)`, `SEARCH(...)`).

use std::collections::BTreeMap;

/// A time series: ascending timestamps (epoch ms) with values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ts {
    pub period: i64,
    pub points: Vec<(i64, f64)>,
}

/// A series in an array, with the label it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub label: String,
    pub ts: Ts,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Scalar(f64),
    Series(Ts),
    Array(Vec<Named>),
}

/// What an expression can see: the other queries' results, the request's
/// time range, and the stored metrics for SEARCH.
pub trait Env {
    fn get(&mut self, id: &str) -> Result<Option<Val>, String>;
    /// Every metric query's result, for METRICS().
    fn metrics(&mut self) -> Result<Vec<(String, Named)>, String>;
    fn search(&mut self, expr: &str, stat: &str, period: i64) -> Result<Vec<Named>, String>;
    /// The period timestamps of the request's range.
    fn grid(&self, period: i64) -> Vec<i64>;
    fn default_period(&self) -> i64;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Str(String),
    Ident(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    List(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Sym(&'static str),
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    const SYMS: &[&str] = &[
        "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "^", "(", ")", ",", "<", ">", "[",
        "]", "!",
    ];
    'outer: while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                i += 1;
                if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let n = s[start..i]
                .parse()
                .map_err(|_| format!("Invalid number \"{}\"", &s[start..i]))?;
            out.push(Tok::Num(n));
            continue;
        }
        if c == b'"' || c == b'\'' {
            let mut j = i + 1;
            let mut text = String::new();
            while j < b.len() && b[j] != c {
                if b[j] == b'\\' && j + 1 < b.len() {
                    j += 1;
                }
                let ch = s[j..].chars().next().unwrap_or(' ');
                text.push(ch);
                j += ch.len_utf8();
            }
            if j >= b.len() {
                return Err("Unterminated string".into());
            }
            out.push(Tok::Str(text));
            i = j + 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Ident(s[start..i].to_string()));
            continue;
        }
        for sym in SYMS {
            if s[i..].starts_with(sym) {
                out.push(Tok::Sym(sym));
                i += sym.len();
                continue 'outer;
            }
        }
        return Err(format!(
            "Unexpected character \"{}\"",
            s[i..].chars().next().unwrap_or(' ')
        ));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(format!("Expected \"{sym}\""))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.eat("||") || self.eat_word("OR") {
            l = Expr::Bin(Op::Or, Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.cmp()?;
        while self.eat("&&") || self.eat_word("AND") {
            l = Expr::Bin(Op::And, Box::new(l), Box::new(self.cmp()?));
        }
        Ok(l)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.add()?;
        for (s, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(s) {
                return Ok(Expr::Bin(op, Box::new(l), Box::new(self.add()?)));
            }
        }
        Ok(l)
    }

    fn add(&mut self) -> Result<Expr, String> {
        let mut l = self.mul()?;
        loop {
            if self.eat("+") {
                l = Expr::Bin(Op::Add, Box::new(l), Box::new(self.mul()?));
            } else if self.eat("-") {
                l = Expr::Bin(Op::Sub, Box::new(l), Box::new(self.mul()?));
            } else {
                return Ok(l);
            }
        }
    }

    fn mul(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        loop {
            if self.eat("*") {
                l = Expr::Bin(Op::Mul, Box::new(l), Box::new(self.unary()?));
            } else if self.eat("/") {
                l = Expr::Bin(Op::Div, Box::new(l), Box::new(self.unary()?));
            } else {
                return Ok(l);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("!") || self.eat_word("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.pow()
    }

    fn pow(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.eat("^") {
            return Ok(Expr::Bin(Op::Pow, Box::new(base), Box::new(self.unary()?)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Expr::Num(n))
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Expr::Str(s))
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if self.eat("(") {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    Ok(Expr::Call(name.to_ascii_uppercase(), args))
                } else {
                    Ok(Expr::Ident(name))
                }
            }
            Some(Tok::Sym("(")) => {
                self.pos += 1;
                let e = self.or()?;
                self.expect(")")?;
                Ok(e)
            }
            Some(Tok::Sym("[")) => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.or()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::List(items))
            }
            Some(t) => Err(format!("Unexpected token {}", show(&t))),
            None => Err("Unexpected end of expression".into()),
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Num(n) => n.to_string(),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Ident(s) => s.clone(),
        Tok::Sym(s) => s.to_string(),
    }
}

pub fn parse(s: &str) -> Result<Expr, String> {
    let toks = lex(s)?;
    let mut p = Parser { toks, pos: 0 };
    let e = p.or()?;
    if let Some(t) = p.peek() {
        return Err(format!("Unexpected token {}", show(t)));
    }
    Ok(e)
}

fn apply(op: Op, a: f64, b: f64) -> f64 {
    let t = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Pow => a.powf(b),
        Op::Lt => t(a < b),
        Op::Le => t(a <= b),
        Op::Gt => t(a > b),
        Op::Ge => t(a >= b),
        Op::Eq => t(a == b),
        Op::Ne => t(a != b),
        Op::And => t(a != 0.0 && b != 0.0),
        Op::Or => t(a != 0.0 || b != 0.0),
    }
}

/// Two series meet where both have a value.
fn zip(a: &Ts, b: &Ts, f: impl Fn(f64, f64) -> f64) -> Ts {
    let (mut i, mut j) = (0, 0);
    let mut points = Vec::new();
    while i < a.points.len() && j < b.points.len() {
        let (ta, va) = a.points[i];
        let (tb, vb) = b.points[j];
        if ta == tb {
            points.push((ta, f(va, vb)));
            i += 1;
            j += 1;
        } else if ta < tb {
            i += 1;
        } else {
            j += 1;
        }
    }
    Ts {
        period: a.period.max(b.period),
        points,
    }
}

fn map_ts(t: &Ts, f: impl Fn(f64) -> f64) -> Ts {
    Ts {
        period: t.period,
        points: t.points.iter().map(|(ts, v)| (*ts, f(*v))).collect(),
    }
}

fn binary(op: Op, a: Val, b: Val) -> Result<Val, String> {
    Ok(match (a, b) {
        (Val::Scalar(x), Val::Scalar(y)) => Val::Scalar(apply(op, x, y)),
        (Val::Series(s), Val::Scalar(y)) => Val::Series(map_ts(&s, |x| apply(op, x, y))),
        (Val::Scalar(x), Val::Series(s)) => Val::Series(map_ts(&s, |y| apply(op, x, y))),
        (Val::Series(s), Val::Series(t)) => Val::Series(zip(&s, &t, |x, y| apply(op, x, y))),
        (Val::Array(items), other) => Val::Array(
            items
                .into_iter()
                .map(|n| {
                    let v = binary(op, Val::Series(n.ts), other.clone())?;
                    Ok(Named {
                        label: n.label,
                        ts: series_of(v)?,
                    })
                })
                .collect::<Result<_, String>>()?,
        ),
        (other, Val::Array(items)) => Val::Array(
            items
                .into_iter()
                .map(|n| {
                    let v = binary(op, other.clone(), Val::Series(n.ts))?;
                    Ok(Named {
                        label: n.label,
                        ts: series_of(v)?,
                    })
                })
                .collect::<Result<_, String>>()?,
        ),
    })
}

fn series_of(v: Val) -> Result<Ts, String> {
    match v {
        Val::Series(s) => Ok(s),
        Val::Scalar(_) => Err("Expected a time series, got a scalar".into()),
        Val::Array(_) => Err("Expected a time series, got an array of time series".into()),
    }
}

/// Applies `f` to a series or to each series of an array.
fn each(v: Val, f: &dyn Fn(&Ts) -> Ts) -> Result<Val, String> {
    match v {
        Val::Series(s) => Ok(Val::Series(f(&s))),
        Val::Array(items) => Ok(Val::Array(
            items
                .into_iter()
                .map(|n| Named {
                    label: n.label,
                    ts: f(&n.ts),
                })
                .collect(),
        )),
        Val::Scalar(_) => Err("Expected a time series or an array of time series".into()),
    }
}

fn elementwise(v: Val, f: fn(f64) -> f64) -> Val {
    match v {
        Val::Scalar(x) => Val::Scalar(f(x)),
        Val::Series(s) => Val::Series(map_ts(&s, f)),
        Val::Array(items) => Val::Array(
            items
                .into_iter()
                .map(|n| Named {
                    label: n.label,
                    ts: map_ts(&n.ts, f),
                })
                .collect(),
        ),
    }
}

/// Per timestamp over an array's members; for one series, over its values.
fn reduce(v: Val, f: fn(&[f64]) -> f64) -> Result<Val, String> {
    match v {
        Val::Scalar(x) => Ok(Val::Scalar(x)),
        Val::Series(s) => {
            let vals: Vec<f64> = s.points.iter().map(|p| p.1).collect();
            if vals.is_empty() {
                return Ok(Val::Series(Ts {
                    period: s.period,
                    points: Vec::new(),
                }));
            }
            Ok(Val::Scalar(f(&vals)))
        }
        Val::Array(items) => {
            let mut by_ts: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            let mut period = 0;
            for n in &items {
                period = period.max(n.ts.period);
                for (t, v) in &n.ts.points {
                    by_ts.entry(*t).or_default().push(*v);
                }
            }
            Ok(Val::Series(Ts {
                period,
                points: by_ts.into_iter().map(|(t, v)| (t, f(&v))).collect(),
            }))
        }
    }
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}
fn avg(v: &[f64]) -> f64 {
    sum(v) / v.len() as f64
}
fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}
fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
fn stddev(v: &[f64]) -> f64 {
    let m = avg(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt()
}

fn pairwise(s: &Ts, f: impl Fn((i64, f64), (i64, f64)) -> f64) -> Ts {
    Ts {
        period: s.period,
        points: s
            .points
            .windows(2)
            .map(|w| (w[1].0, f(w[0], w[1])))
            .collect(),
    }
}

fn fill(s: &Ts, how: &Fill, grid: &[i64]) -> Ts {
    let mut points = Vec::with_capacity(grid.len());
    let known: BTreeMap<i64, f64> = s.points.iter().copied().collect();
    for &t in grid {
        if let Some(v) = known.get(&t) {
            points.push((t, *v));
            continue;
        }
        let before = known.range(..t).next_back();
        let after = known.range(t..).next();
        let v = match how {
            Fill::Value(v) => Some(*v),
            Fill::Repeat => before.or(after).map(|(_, v)| *v),
            Fill::Linear => match (before, after) {
                (Some((t0, v0)), Some((t1, v1))) => {
                    Some(v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64)
                }
                (Some((_, v)), None) | (None, Some((_, v))) => Some(*v),
                _ => None,
            },
        };
        if let Some(v) = v {
            points.push((t, v));
        }
    }
    Ts {
        period: s.period,
        points,
    }
}

enum Fill {
    Value(f64),
    Repeat,
    Linear,
}

fn period_of(v: &Val, env: &dyn Env) -> i64 {
    match v {
        Val::Series(s) if s.period > 0 => s.period,
        Val::Array(items) => items
            .iter()
            .map(|n| n.ts.period)
            .max()
            .filter(|p| *p > 0)
            .unwrap_or_else(|| env.default_period()),
        _ => env.default_period(),
    }
}

fn arity(name: &str, args: &[Expr], lo: usize, hi: usize) -> Result<(), String> {
    if args.len() < lo || args.len() > hi {
        return Err(format!(
            "Invalid number of arguments for function {name}: {}",
            args.len()
        ));
    }
    Ok(())
}

pub fn eval(e: &Expr, env: &mut dyn Env) -> Result<Val, String> {
    match e {
        Expr::Num(n) => Ok(Val::Scalar(*n)),
        Expr::Str(_) => Err("A string is only valid as a function argument".into()),
        Expr::Ident(id) => match env.get(id)? {
            Some(v) => Ok(v),
            None => Err(format!("Unrecognized metric or expression id \"{id}\"")),
        },
        Expr::Neg(a) => Ok(elementwise(eval(a, env)?, |x| -x)),
        Expr::Not(a) => Ok(elementwise(
            eval(a, env)?,
            |x| if x == 0.0 { 1.0 } else { 0.0 },
        )),
        Expr::Bin(op, a, b) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            binary(*op, x, y)
        }
        Expr::List(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let label = match item {
                    Expr::Ident(id) => id.clone(),
                    _ => format!("expression{}", i + 1),
                };
                match eval(item, env)? {
                    Val::Series(ts) => out.push(Named { label, ts }),
                    Val::Array(more) => out.extend(more),
                    Val::Scalar(x) => {
                        let p = env.default_period();
                        out.push(Named {
                            label,
                            ts: Ts {
                                period: p,
                                points: env.grid(p).into_iter().map(|t| (t, x)).collect(),
                            },
                        })
                    }
                }
            }
            Ok(Val::Array(out))
        }
        Expr::Call(name, args) => call(name, args, env),
    }
}

fn call(name: &str, args: &[Expr], env: &mut dyn Env) -> Result<Val, String> {
    let one = |env: &mut dyn Env| -> Result<Val, String> {
        arity(name, args, 1, 1)?;
        eval(&args[0], env)
    };
    match name {
        "ABS" => Ok(elementwise(one(env)?, f64::abs)),
        "CEIL" => Ok(elementwise(one(env)?, f64::ceil)),
        "FLOOR" => Ok(elementwise(one(env)?, f64::floor)),
        "LOG" => Ok(elementwise(one(env)?, f64::ln)),
        "LOG10" => Ok(elementwise(one(env)?, f64::log10)),
        "SQRT" => Ok(elementwise(one(env)?, f64::sqrt)),
        "SUM" => reduce(one(env)?, sum),
        "AVG" => reduce(one(env)?, avg),
        "MIN" => reduce(one(env)?, min),
        "MAX" => reduce(one(env)?, max),
        "STDDEV" => reduce(one(env)?, stddev),
        "DATAPOINT_COUNT" => match one(env)? {
            Val::Series(s) => Ok(Val::Scalar(s.points.len() as f64)),
            Val::Array(items) => Ok(Val::Array(
                items
                    .into_iter()
                    .map(|n| {
                        let c = n.ts.points.len() as f64;
                        Named {
                            label: n.label,
                            ts: map_ts(&n.ts, |_| c),
                        }
                    })
                    .collect(),
            )),
            Val::Scalar(_) => Ok(Val::Scalar(1.0)),
        },
        "PERIOD" => {
            let v = one(env)?;
            Ok(Val::Scalar(period_of(&v, env) as f64 / 1000.0))
        }
        "RATE" => each(one(env)?, &|s| {
            pairwise(s, |(t0, v0), (t1, v1)| {
                (v1 - v0) / ((t1 - t0) as f64 / 1000.0)
            })
        }),
        "DIFF" => each(one(env)?, &|s| pairwise(s, |(_, v0), (_, v1)| v1 - v0)),
        "DIFF_TIME" => each(one(env)?, &|s| {
            pairwise(s, |(t0, _), (t1, _)| (t1 - t0) as f64 / 1000.0)
        }),
        "RUNNING_SUM" => each(one(env)?, &|s| {
            let mut acc = 0.0;
            Ts {
                period: s.period,
                points: s
                    .points
                    .iter()
                    .map(|(t, v)| {
                        acc += v;
                        (*t, acc)
                    })
                    .collect(),
            }
        }),
        "FIRST" | "LAST" => match one(env)? {
            Val::Array(items) => {
                let pick = if name == "FIRST" {
                    items.into_iter().next()
                } else {
                    items.into_iter().last()
                };
                Ok(Val::Series(pick.map(|n| n.ts).unwrap_or_default()))
            }
            v => Ok(v),
        },
        "REMOVE_EMPTY" => match one(env)? {
            Val::Array(items) => Ok(Val::Array(
                items
                    .into_iter()
                    .filter(|n| !n.ts.points.is_empty())
                    .collect(),
            )),
            v => Ok(v),
        },
        "TIME_SERIES" => match one(env)? {
            Val::Scalar(x) => {
                let p = env.default_period();
                Ok(Val::Series(Ts {
                    period: p,
                    points: env.grid(p).into_iter().map(|t| (t, x)).collect(),
                }))
            }
            v => Ok(v),
        },
        "FILL" => {
            arity(name, args, 2, 2)?;
            let v = eval(&args[0], env)?;
            let how = match &args[1] {
                Expr::Ident(k) if k.eq_ignore_ascii_case("REPEAT") => Fill::Repeat,
                Expr::Ident(k) if k.eq_ignore_ascii_case("LINEAR") => Fill::Linear,
                other => match eval(other, env)? {
                    Val::Scalar(x) => Fill::Value(x),
                    _ => {
                        return Err(
                            "The second argument of FILL must be a number, REPEAT or LINEAR".into(),
                        );
                    }
                },
            };
            let grid = env.grid(period_of(&v, env));
            each(v, &|s| fill(s, &how, &grid))
        }
        "IF" => {
            arity(name, args, 2, 3)?;
            let cond = eval(&args[0], env)?;
            let then = eval(&args[1], env)?;
            let other = match args.get(2) {
                Some(e) => Some(eval(e, env)?),
                None => None,
            };
            let at = |v: &Val, t: i64| -> Option<f64> {
                match v {
                    Val::Scalar(x) => Some(*x),
                    Val::Series(s) => s
                        .points
                        .binary_search_by_key(&t, |p| p.0)
                        .ok()
                        .map(|i| s.points[i].1),
                    Val::Array(_) => None,
                }
            };
            let c = match cond {
                Val::Series(s) => s,
                Val::Scalar(x) => {
                    let p = period_of(&then, env);
                    Ts {
                        period: p,
                        points: env.grid(p).into_iter().map(|t| (t, x)).collect(),
                    }
                }
                Val::Array(_) => return Err("IF does not take an array as its condition".into()),
            };
            let points = c
                .points
                .iter()
                .filter_map(|(t, v)| {
                    let chosen = if *v != 0.0 {
                        Some(&then)
                    } else {
                        other.as_ref()
                    };
                    chosen.and_then(|x| at(x, *t)).map(|x| (*t, x))
                })
                .collect();
            Ok(Val::Series(Ts {
                period: c.period,
                points,
            }))
        }
        "METRICS" => {
            arity(name, args, 0, 1)?;
            let filter = match args.first() {
                Some(Expr::Str(s)) => Some(s.clone()),
                Some(_) => return Err("METRICS takes a string argument".into()),
                None => None,
            };
            let all = env.metrics()?;
            Ok(Val::Array(
                all.into_iter()
                    .filter(|(id, n)| {
                        filter
                            .as_ref()
                            .is_none_or(|f| id.contains(f.as_str()) || n.label.contains(f.as_str()))
                    })
                    .map(|(_, n)| n)
                    .collect(),
            ))
        }
        "SEARCH" => {
            arity(name, args, 3, 3)?;
            let Expr::Str(q) = &args[0] else {
                return Err("The first argument of SEARCH must be a string".into());
            };
            let Expr::Str(stat) = &args[1] else {
                return Err("The second argument of SEARCH must be a statistic name".into());
            };
            let period = match eval(&args[2], env)? {
                Val::Scalar(p) if p >= 1.0 => p as i64,
                _ => return Err("The third argument of SEARCH must be a period".into()),
            };
            Ok(Val::Array(env.search(q, stat, period)?))
        }
        other => Err(format!("Unknown function \"{other}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TestEnv(BTreeMap<String, Val>);

    impl Env for TestEnv {
        fn get(&mut self, id: &str) -> Result<Option<Val>, String> {
            Ok(self.0.get(id).cloned())
        }
        fn metrics(&mut self) -> Result<Vec<(String, Named)>, String> {
            Ok(self
                .0
                .iter()
                .filter_map(|(k, v)| match v {
                    Val::Series(ts) => Some((
                        k.clone(),
                        Named {
                            label: k.clone(),
                            ts: ts.clone(),
                        },
                    )),
                    _ => None,
                })
                .collect())
        }
        fn search(&mut self, _: &str, _: &str, _: i64) -> Result<Vec<Named>, String> {
            Ok(Vec::new())
        }
        fn grid(&self, period: i64) -> Vec<i64> {
            (0..5).map(|i| i * period).collect()
        }
        fn default_period(&self) -> i64 {
            60_000
        }
    }

    fn ts(points: &[(i64, f64)]) -> Val {
        Val::Series(Ts {
            period: 60_000,
            points: points.to_vec(),
        })
    }

    fn run(expr: &str) -> Result<Val, String> {
        let mut env = TestEnv(BTreeMap::from([
            (
                "m1".to_string(),
                ts(&[(0, 1.0), (60_000, 2.0), (120_000, 4.0)]),
            ),
            (
                "m2".to_string(),
                ts(&[(0, 10.0), (60_000, 20.0), (180_000, 30.0)]),
            ),
        ]));
        eval(&parse(expr)?, &mut env)
    }

    #[test]
    fn arithmetic_between_series_and_scalars() {
        assert_eq!(run("m1 + m2").unwrap(), ts(&[(0, 11.0), (60_000, 22.0)]));
        assert_eq!(
            run("m1 * 100 / 2").unwrap(),
            ts(&[(0, 50.0), (60_000, 100.0), (120_000, 200.0)])
        );
        assert_eq!(run("2 ^ 3 + -1").unwrap(), Val::Scalar(7.0));
        assert_eq!(run("(1 + 2) * 3").unwrap(), Val::Scalar(9.0));
    }

    #[test]
    fn aggregate_functions() {
        assert_eq!(
            run("SUM(METRICS())").unwrap(),
            ts(&[(0, 11.0), (60_000, 22.0), (120_000, 4.0), (180_000, 30.0)])
        );
        assert_eq!(run("MAX(m1)").unwrap(), Val::Scalar(4.0));
        assert_eq!(
            run("AVG([m1, m2])").unwrap(),
            ts(&[(0, 5.5), (60_000, 11.0), (120_000, 4.0), (180_000, 30.0)])
        );
        assert_eq!(
            run("MIN([m1, m2])").unwrap(),
            ts(&[(0, 1.0), (60_000, 2.0), (120_000, 4.0), (180_000, 30.0)])
        );
        assert_eq!(
            run("SUM(METRICS(\"m2\"))").unwrap(),
            ts(&[(0, 10.0), (60_000, 20.0), (180_000, 30.0)])
        );
    }

    #[test]
    fn rate_diff_and_fill() {
        assert_eq!(
            run("RATE(m1)").unwrap(),
            ts(&[(60_000, 1.0 / 60.0), (120_000, 2.0 / 60.0)])
        );
        assert_eq!(
            run("DIFF(m1)").unwrap(),
            ts(&[(60_000, 1.0), (120_000, 2.0)])
        );
        assert_eq!(
            run("FILL(m2, 0)").unwrap(),
            ts(&[
                (0, 10.0),
                (60_000, 20.0),
                (120_000, 0.0),
                (180_000, 30.0),
                (240_000, 0.0)
            ])
        );
        assert_eq!(
            run("FILL(m2, REPEAT)").unwrap(),
            ts(&[
                (0, 10.0),
                (60_000, 20.0),
                (120_000, 20.0),
                (180_000, 30.0),
                (240_000, 30.0)
            ])
        );
        assert_eq!(
            run("FILL(m2, LINEAR)").unwrap(),
            ts(&[
                (0, 10.0),
                (60_000, 20.0),
                (120_000, 25.0),
                (180_000, 30.0),
                (240_000, 30.0)
            ])
        );
    }

    #[test]
    fn conditions() {
        assert_eq!(
            run("IF(m1 > 1, m1, 0)").unwrap(),
            ts(&[(0, 0.0), (60_000, 2.0), (120_000, 4.0)])
        );
        assert_eq!(
            run("IF(m1 >= 2 AND m1 < 4, 1)").unwrap(),
            ts(&[(60_000, 1.0)])
        );
        assert_eq!(
            run("m1 == 2 || m1 == 4").unwrap(),
            ts(&[(0, 0.0), (60_000, 1.0), (120_000, 1.0)])
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(run("m1 +").unwrap_err().contains("end of expression"));
        assert!(run("m3 * 2").unwrap_err().contains("m3"));
        assert!(run("NOPE(m1)").unwrap_err().contains("NOPE"));
        assert!(run("m1 $ 2").unwrap_err().contains('$'));
    }
}
