//! DynamoDB's expression languages: condition, filter and key-condition
//! expressions, update expressions and projection expressions. `parse.rs`
//! turns text into the tree below; `eval.rs` evaluates it against items.

mod eval;
mod parse;

pub use eval::{Names, Values, apply_update, evaluate, project};
pub use parse::{parse_condition, parse_projection, parse_update};

/// One step of a document path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Name(String),
    Index(usize),
}

/// A document path as written: names may still be `#placeholders`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path(pub Vec<Step>);

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    /// A `:placeholder` from ExpressionAttributeValues.
    Value(String),
    /// A placeholder replaced by its value (after `eval::Values::resolve`).
    Lit(crate::attr::Attr),
    Size(Path),
    IfNotExists(Path, Box<Operand>),
    ListAppend(Box<Operand>, Box<Operand>),
    Plus(Box<Operand>, Box<Operand>),
    Minus(Box<Operand>, Box<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Compare(Operand, Cmp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    AttributeType(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

impl Path {
    /// The attribute the path starts at.
    pub fn head(&self) -> Option<&str> {
        match self.0.first()? {
            Step::Name(n) => Some(n),
            Step::Index(_) => None,
        }
    }
}

impl Operand {
    fn heads<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Operand::Path(p) | Operand::Size(p) => out.extend(p.head()),
            Operand::IfNotExists(p, o) => {
                out.extend(p.head());
                o.heads(out);
            }
            Operand::ListAppend(a, b) | Operand::Plus(a, b) | Operand::Minus(a, b) => {
                a.heads(out);
                b.heads(out);
            }
            Operand::Value(_) | Operand::Lit(_) => {}
        }
    }
}

impl Cond {
    /// The top-level attributes the condition reads.
    pub fn heads(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_heads(&mut out);
        out
    }

    fn collect_heads<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Cond::Compare(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
                a.heads(out);
                b.heads(out);
            }
            Cond::Between(a, b, c) => {
                a.heads(out);
                b.heads(out);
                c.heads(out);
            }
            Cond::In(a, list) => {
                a.heads(out);
                list.iter().for_each(|o| o.heads(out));
            }
            Cond::Exists(p) | Cond::NotExists(p) => out.extend(p.head()),
            Cond::AttributeType(p, o) => {
                out.extend(p.head());
                o.heads(out);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.collect_heads(out);
                b.collect_heads(out);
            }
            Cond::Not(c) => c.collect_heads(out),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(Path, Operand),
    Remove(Path),
    Add(Path, Operand),
    Delete(Path, Operand),
}

/// Which expression a message is about, as DynamoDB names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}

/// `Invalid <Kind>: <detail>`, DynamoDB's wording for a bad expression.
pub fn invalid(kind: Kind, detail: impl std::fmt::Display) -> stratus_core::AwsError {
    crate::attr::validation(format!("Invalid {}: {detail}", kind.name()))
}
