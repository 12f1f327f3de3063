//! Composite alarm rules: `ALARM("a") AND NOT OK(b) OR (TRUE AND ...)`.
//! Alarms are named by name or ARN, quoted or bare.

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Const(bool),
    /// The state tested and the alarm (name or ARN).
    State(String, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' => {
                it.next();
                out.push(Tok::Open);
            }
            ')' => {
                it.next();
                out.push(Tok::Close);
            }
            '"' | '\'' => {
                it.next();
                let mut t = String::new();
                loop {
                    match it.next() {
                        Some(q) if q == c => break,
                        Some('\\') => t.extend(it.next()),
                        Some(ch) => t.push(ch),
                        None => return Err("unterminated quoted alarm name".into()),
                    }
                }
                out.push(Tok::Quoted(t));
            }
            _ => {
                let mut t = String::new();
                while let Some(&ch) = it.peek() {
                    if ch.is_whitespace() || ch == '(' || ch == ')' {
                        break;
                    }
                    t.push(ch);
                    it.next();
                }
                out.push(Tok::Word(t));
            }
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn word(&mut self, w: &str) -> bool {
        if matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Rule, String> {
        let mut l = self.and()?;
        while self.word("OR") {
            l = Rule::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut l = self.not()?;
        while self.word("AND") {
            l = Rule::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Rule, String> {
        if self.word("NOT") {
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match t {
            Some(Tok::Open) => {
                let r = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("expected )".into());
                }
                self.pos += 1;
                Ok(r)
            }
            Some(Tok::Word(w)) if w == "TRUE" => Ok(Rule::Const(true)),
            Some(Tok::Word(w)) if w == "FALSE" => Ok(Rule::Const(false)),
            Some(Tok::Word(w)) if ["ALARM", "OK", "INSUFFICIENT_DATA"].contains(&w.as_str()) => {
                if self.toks.get(self.pos) != Some(&Tok::Open) {
                    return Err(format!("expected ( after {w}"));
                }
                self.pos += 1;
                let name = match self.toks.get(self.pos).cloned() {
                    Some(Tok::Quoted(n)) | Some(Tok::Word(n)) => n,
                    _ => return Err(format!("expected an alarm name in {w}()")),
                };
                self.pos += 1;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err("expected )".into());
                }
                self.pos += 1;
                Ok(Rule::State(w, name))
            }
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => Err(format!("unexpected \"{w}\"")),
            Some(Tok::Close) => Err("unexpected )".into()),
            None => Err("unexpected end of rule".into()),
        }
    }
}

pub fn parse(s: &str) -> Result<Rule, String> {
    let mut p = P {
        toks: lex(s)?,
        pos: 0,
    };
    let r = p.or()?;
    if p.pos != p.toks.len() {
        return Err("unexpected text after the rule".into());
    }
    Ok(r)
}

/// The alarms a rule names, as written.
pub fn alarms(r: &Rule, out: &mut Vec<String>) {
    match r {
        Rule::Const(_) => {}
        Rule::State(_, a) => out.push(a.clone()),
        Rule::Not(a) => alarms(a, out),
        Rule::And(a, b) | Rule::Or(a, b) => {
            alarms(a, out);
            alarms(b, out);
        }
    }
}

/// Evaluates with `state_of` giving an alarm's current state.
pub fn eval(r: &Rule, state_of: &dyn Fn(&str) -> Option<String>) -> bool {
    match r {
        Rule::Const(b) => *b,
        Rule::State(s, a) => state_of(a).is_some_and(|st| &st == s),
        Rule::Not(a) => !eval(a, state_of),
        Rule::And(a, b) => eval(a, state_of) && eval(b, state_of),
        Rule::Or(a, b) => eval(a, state_of) || eval(b, state_of),
    }
}

/// The name an alarm reference resolves to (ARNs end in `alarm:NAME`).
pub fn alarm_name(reference: &str) -> &str {
    if reference.starts_with("arn:") {
        reference
            .split_once(":alarm:")
            .map_or(reference, |(_, n)| n)
    } else {
        reference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_evaluate() {
        let r = parse(r#"ALARM("cpu high") AND NOT OK(disk) OR FALSE"#).unwrap();
        let mut names = Vec::new();
        alarms(&r, &mut names);
        assert_eq!(names, vec!["cpu high", "disk"]);
        let states = |a: &str| {
            Some(match a {
                "cpu high" => "ALARM".to_string(),
                _ => "INSUFFICIENT_DATA".to_string(),
            })
        };
        assert!(eval(&r, &states));
        let r = parse("(ALARM(a) OR ALARM(b)) AND TRUE").unwrap();
        assert!(!eval(&r, &|_| Some("OK".into())));
        assert!(eval(&parse("INSUFFICIENT_DATA(x)").unwrap(), &|_| Some(
            "INSUFFICIENT_DATA".into()
        )));
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(parse("ALARM(a) AND").is_err());
        assert!(parse("ALARM a").is_err());
        assert!(parse("MAYBE(a)").is_err());
        assert!(parse("(ALARM(a)").is_err());
        assert_eq!(
            alarm_name("arn:aws:cloudwatch:us-east-1:000000000000:alarm:x"),
            "x"
        );
    }
}
