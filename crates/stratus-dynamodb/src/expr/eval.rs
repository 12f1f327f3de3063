//! Resolving placeholders and evaluating expressions against items.

use std::collections::{BTreeMap, BTreeSet};

use stratus_core::AwsError;

use super::{Cmp, Cond, Kind, Operand, Path, Step, UpdateAction, invalid};
use crate::attr::{Attr, Item, validation};
use crate::number::Number;

/// ExpressionAttributeNames, with a record of which were used.
#[derive(Default)]
pub struct Names {
    map: BTreeMap<String, String>,
    used: BTreeSet<String>,
    given: bool,
}

/// ExpressionAttributeValues, with a record of which were used.
#[derive(Default)]
pub struct Values {
    map: BTreeMap<String, Attr>,
    used: BTreeSet<String>,
    given: bool,
}

impl Names {
    pub fn new(map: Option<BTreeMap<String, String>>) -> Names {
        Names {
            given: map.is_some(),
            map: map.unwrap_or_default(),
            used: BTreeSet::new(),
        }
    }

    fn path(&mut self, kind: Kind, p: &mut Path) -> Result<(), AwsError> {
        for step in &mut p.0 {
            if let Step::Name(n) = step {
                if n.starts_with('#') {
                    let real = self.map.get(n.as_str()).cloned().ok_or_else(|| {
                        invalid(
                            kind,
                            format!("An expression attribute name used in the document path is not defined; attribute name: {n}"),
                        )
                    })?;
                    self.used.insert(n.clone());
                    *n = real;
                }
            }
        }
        Ok(())
    }

    /// DynamoDB refuses names given but never used.
    pub fn check_unused(&self) -> Result<(), AwsError> {
        if !self.given {
            return Ok(());
        }
        if self.map.is_empty() {
            return Err(validation("ExpressionAttributeNames must not be empty"));
        }
        let unused: Vec<&str> = self
            .map
            .keys()
            .filter(|k| !self.used.contains(*k))
            .map(String::as_str)
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused.join(", ")
            )))
        }
    }
}

impl Values {
    pub fn new(map: Option<BTreeMap<String, Attr>>) -> Values {
        Values {
            given: map.is_some(),
            map: map.unwrap_or_default(),
            used: BTreeSet::new(),
        }
    }

    fn operand(&mut self, names: &mut Names, kind: Kind, o: &mut Operand) -> Result<(), AwsError> {
        match o {
            Operand::Path(p) | Operand::Size(p) => names.path(kind, p),
            Operand::Value(v) => {
                let a = self.map.get(v.as_str()).cloned().ok_or_else(|| {
                    invalid(
                        kind,
                        format!("An expression attribute value used in expression is not defined; attribute value: {v}"),
                    )
                })?;
                self.used.insert(v.clone());
                *o = Operand::Lit(a);
                Ok(())
            }
            Operand::Lit(_) => Ok(()),
            Operand::IfNotExists(p, v) => {
                names.path(kind, p)?;
                self.operand(names, kind, v)
            }
            Operand::ListAppend(a, b) | Operand::Plus(a, b) | Operand::Minus(a, b) => {
                self.operand(names, kind, a)?;
                self.operand(names, kind, b)
            }
        }
    }

    /// Replaces every placeholder in a condition by its name or value.
    pub fn resolve(&mut self, names: &mut Names, kind: Kind, c: &mut Cond) -> Result<(), AwsError> {
        match c {
            Cond::Compare(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
                self.operand(names, kind, a)?;
                self.operand(names, kind, b)
            }
            Cond::Between(a, b, d) => {
                self.operand(names, kind, a)?;
                self.operand(names, kind, b)?;
                self.operand(names, kind, d)
            }
            Cond::In(a, list) => {
                self.operand(names, kind, a)?;
                list.iter_mut()
                    .try_for_each(|o| self.operand(names, kind, o))
            }
            Cond::Exists(p) | Cond::NotExists(p) => names.path(kind, p),
            Cond::AttributeType(p, t) => {
                names.path(kind, p)?;
                self.operand(names, kind, t)
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.resolve(names, kind, a)?;
                self.resolve(names, kind, b)
            }
            Cond::Not(a) => self.resolve(names, kind, a),
        }
    }

    pub fn resolve_update(
        &mut self,
        names: &mut Names,
        actions: &mut [UpdateAction],
    ) -> Result<(), AwsError> {
        for a in actions {
            match a {
                UpdateAction::Set(p, o) | UpdateAction::Add(p, o) | UpdateAction::Delete(p, o) => {
                    names.path(Kind::Update, p)?;
                    self.operand(names, Kind::Update, o)?;
                }
                UpdateAction::Remove(p) => names.path(Kind::Update, p)?,
            }
        }
        Ok(())
    }

    pub fn resolve_paths(
        names: &mut Names,
        kind: Kind,
        paths: &mut [Path],
    ) -> Result<(), AwsError> {
        paths.iter_mut().try_for_each(|p| names.path(kind, p))
    }

    pub fn check_unused(&self) -> Result<(), AwsError> {
        if !self.given {
            return Ok(());
        }
        if self.map.is_empty() {
            return Err(validation("ExpressionAttributeValues must not be empty"));
        }
        let unused: Vec<&str> = self
            .map
            .keys()
            .filter(|k| !self.used.contains(*k))
            .map(String::as_str)
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused.join(", ")
            )))
        }
    }
}

pub fn resolve_path<'a>(item: &'a Item, p: &Path) -> Option<&'a Attr> {
    let mut steps = p.0.iter();
    let mut cur = match steps.next()? {
        Step::Name(n) => item.get(n)?,
        Step::Index(_) => return None,
    };
    for s in steps {
        cur = match (s, cur) {
            (Step::Name(n), Attr::M(m)) => m.get(n)?,
            (Step::Index(i), Attr::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn type_word(a: &Attr) -> &'static str {
    match a {
        Attr::S(_) => "STRING",
        Attr::N(_) => "NUMBER",
        Attr::B(_) => "BINARY",
        Attr::Bool(_) => "BOOLEAN",
        Attr::Null => "NULL",
        Attr::M(_) => "MAP",
        Attr::L(_) => "LIST",
        Attr::Ss(_) => "STRING SET",
        Attr::Ns(_) => "NUMBER SET",
        Attr::Bs(_) => "BINARY SET",
    }
}

fn wrong_type(kind: Kind, op: &str, a: &Attr) -> AwsError {
    invalid(
        kind,
        format!(
            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
            a.type_name()
        ),
    )
}

fn value(kind: Kind, item: &Item, o: &Operand) -> Result<Option<Attr>, AwsError> {
    Ok(match o {
        Operand::Path(p) => resolve_path(item, p).cloned(),
        Operand::Lit(a) => Some(a.clone()),
        Operand::Value(v) => {
            return Err(invalid(
                kind,
                format!(
                    "An expression attribute value used in expression is not defined; attribute value: {v}"
                ),
            ));
        }
        Operand::Size(p) => match resolve_path(item, p) {
            None => None,
            Some(a) => {
                let n = match a {
                    Attr::S(s) => s.chars().count(),
                    Attr::B(b) => b.len(),
                    Attr::M(m) => m.len(),
                    Attr::L(l) => l.len(),
                    Attr::Ss(s) => s.len(),
                    Attr::Ns(s) => s.len(),
                    Attr::Bs(s) => s.len(),
                    other => return Err(wrong_type(kind, "size", other)),
                };
                Some(Attr::N(
                    Number::parse(&n.to_string()).unwrap_or(Number::ZERO),
                ))
            }
        },
        Operand::IfNotExists(p, v) => match resolve_path(item, p) {
            Some(a) => Some(a.clone()),
            None => value(kind, item, v)?,
        },
        Operand::ListAppend(a, b) => {
            let (x, y) = (must(kind, item, a)?, must(kind, item, b)?);
            match (x, y) {
                (Attr::L(mut l1), Attr::L(l2)) => {
                    l1.extend(l2);
                    Some(Attr::L(l1))
                }
                (Attr::L(_), other) | (other, _) => {
                    return Err(wrong_type(kind, "list_append", &other));
                }
            }
        }
        Operand::Plus(a, b) | Operand::Minus(a, b) => {
            let sym = if matches!(o, Operand::Plus(..)) {
                "+"
            } else {
                "-"
            };
            let (x, y) = (must(kind, item, a)?, must(kind, item, b)?);
            match (x, y) {
                (Attr::N(m), Attr::N(n)) => {
                    let r = if sym == "+" { m.add(n) } else { m.sub(n) };
                    Some(Attr::N(r.map_err(|e| validation(e.message()))?))
                }
                (Attr::N(_), other) | (other, _) => return Err(wrong_type(kind, sym, &other)),
            }
        }
    })
}

/// An operand that must exist (update values).
fn must(kind: Kind, item: &Item, o: &Operand) -> Result<Attr, AwsError> {
    value(kind, item, o)?.ok_or_else(|| {
        invalid(
            kind,
            "The provided expression refers to an attribute that does not exist in the item",
        )
    })
}

fn set_eq<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// Equality as DynamoDB sees it: sets are unordered.
pub fn attr_eq(a: &Attr, b: &Attr) -> bool {
    match (a, b) {
        (Attr::Ss(x), Attr::Ss(y)) => set_eq(x, y),
        (Attr::Ns(x), Attr::Ns(y)) => set_eq(x, y),
        (Attr::Bs(x), Attr::Bs(y)) => set_eq(x, y),
        (Attr::M(x), Attr::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| attr_eq(v, w)))
        }
        (Attr::L(x), Attr::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| attr_eq(v, w))
        }
        _ => a == b,
    }
}

fn order(a: &Attr, b: &Attr) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Attr::S(x), Attr::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Attr::N(x), Attr::N(y)) => Some(x.cmp(y)),
        (Attr::B(x), Attr::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(a: Option<&Attr>, cmp: Cmp, b: Option<&Attr>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => match cmp {
            Cmp::Eq => attr_eq(x, y),
            Cmp::Ne => !attr_eq(x, y),
            _ => order(x, y).is_some_and(|o| match cmp {
                Cmp::Lt => o.is_lt(),
                Cmp::Le => o.is_le(),
                Cmp::Gt => o.is_gt(),
                _ => o.is_ge(),
            }),
        },
        // A missing operand is unequal to anything present.
        (None, Some(_)) | (Some(_), None) => cmp == Cmp::Ne,
        (None, None) => false,
    }
}

/// Evaluates a resolved condition against an item (an absent item is empty).
pub fn evaluate(kind: Kind, c: &Cond, item: &Item) -> Result<bool, AwsError> {
    Ok(match c {
        Cond::Compare(a, cmp, b) => {
            let (x, y) = (value(kind, item, a)?, value(kind, item, b)?);
            compare(x.as_ref(), *cmp, y.as_ref())
        }
        Cond::Between(a, lo, hi) => {
            let (x, l, h) = (
                value(kind, item, a)?,
                value(kind, item, lo)?,
                value(kind, item, hi)?,
            );
            if let (Some(l), Some(h)) = (&l, &h) {
                if order(l, h).is_some_and(|o| o.is_gt()) {
                    return Err(invalid(
                        kind,
                        format!(
                            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                            l.type_name(),
                            show(l),
                            h.type_name(),
                            show(h)
                        ),
                    ));
                }
            }
            compare(x.as_ref(), Cmp::Ge, l.as_ref()) && compare(x.as_ref(), Cmp::Le, h.as_ref())
        }
        Cond::In(a, list) => {
            let x = value(kind, item, a)?;
            let mut hit = false;
            for o in list {
                if compare(x.as_ref(), Cmp::Eq, value(kind, item, o)?.as_ref()) {
                    hit = true;
                    break;
                }
            }
            hit
        }
        Cond::Exists(p) => resolve_path(item, p).is_some(),
        Cond::NotExists(p) => resolve_path(item, p).is_none(),
        Cond::AttributeType(p, t) => {
            let want = match value(kind, item, t)? {
                Some(Attr::S(s)) => s,
                Some(other) => return Err(wrong_type(kind, "attribute_type", &other)),
                None => return Ok(false),
            };
            const TYPES: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
            if !TYPES.contains(&want.as_str()) {
                return Err(invalid(
                    kind,
                    format!(
                        "Invalid attribute type name found; type: {want}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                    ),
                ));
            }
            resolve_path(item, p).is_some_and(|a| a.type_name() == want)
        }
        Cond::BeginsWith(a, b) => match (value(kind, item, a)?, value(kind, item, b)?) {
            (Some(Attr::S(x)), Some(Attr::S(y))) => x.starts_with(&y),
            (Some(Attr::B(x)), Some(Attr::B(y))) => x.starts_with(&y),
            (_, Some(other)) if !matches!(other, Attr::S(_) | Attr::B(_)) => {
                return Err(wrong_type(kind, "begins_with", &other));
            }
            _ => false,
        },
        Cond::Contains(a, b) => match (value(kind, item, a)?, value(kind, item, b)?) {
            (Some(Attr::S(x)), Some(Attr::S(y))) => x.contains(&y),
            (Some(Attr::B(x)), Some(Attr::B(y))) => {
                y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice())
            }
            (Some(Attr::Ss(x)), Some(Attr::S(y))) => x.contains(&y),
            (Some(Attr::Ns(x)), Some(Attr::N(y))) => x.contains(&y),
            (Some(Attr::Bs(x)), Some(Attr::B(y))) => x.contains(&y),
            (Some(Attr::L(x)), Some(y)) => x.iter().any(|v| attr_eq(v, &y)),
            _ => false,
        },
        Cond::And(a, b) => evaluate(kind, a, item)? && evaluate(kind, b, item)?,
        Cond::Or(a, b) => evaluate(kind, a, item)? || evaluate(kind, b, item)?,
        Cond::Not(a) => !evaluate(kind, a, item)?,
    })
}

fn show(a: &Attr) -> String {
    match a {
        Attr::S(s) => s.clone(),
        Attr::N(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn path_text(p: &Path) -> String {
    let parts: Vec<String> =
        p.0.iter()
            .map(|s| match s {
                Step::Name(n) => n.clone(),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
    format!("[{}]", parts.join(", "))
}

fn overlaps(a: &Path, b: &Path) -> bool {
    let n = a.0.len().min(b.0.len());
    a.0[..n] == b.0[..n]
}

/// Applies resolved update actions to a copy of `item`, refusing to touch
/// the key attributes. Every operand reads the item as it was before.
pub fn apply_update(
    actions: &[UpdateAction],
    item: &Item,
    keys: &[&str],
) -> Result<Item, AwsError> {
    let kind = Kind::Update;
    let paths: Vec<&Path> = actions
        .iter()
        .map(|a| match a {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        })
        .collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            if overlaps(a, b) {
                return Err(invalid(
                    kind,
                    format!(
                        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        path_text(a),
                        path_text(b)
                    ),
                ));
            }
        }
        if let Some(Step::Name(top)) = a.0.first() {
            if keys.contains(&top.as_str()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {top}. This attribute is part of the key"
                )));
            }
        }
    }
    let mut out = item.clone();
    // Removals from a list shift later elements: apply them last to first.
    let mut removals: Vec<&Path> = Vec::new();
    for a in actions {
        match a {
            UpdateAction::Set(p, o) => {
                let v = must(kind, item, o)?;
                set_path(&mut out, p, v)?;
            }
            UpdateAction::Remove(p) => removals.push(p),
            UpdateAction::Add(p, o) => {
                let v = must(kind, item, o)?;
                let new = match (resolve_path(item, p), v) {
                    (None, v @ (Attr::N(_) | Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_))) => v,
                    (Some(Attr::N(x)), Attr::N(y)) => {
                        Attr::N(x.add(y).map_err(|e| validation(e.message()))?)
                    }
                    (Some(Attr::Ss(x)), Attr::Ss(y)) => Attr::Ss(union(x.clone(), y)),
                    (Some(Attr::Ns(x)), Attr::Ns(y)) => Attr::Ns(union(x.clone(), y)),
                    (Some(Attr::Bs(x)), Attr::Bs(y)) => Attr::Bs(union(x.clone(), y)),
                    (Some(cur), v) => {
                        let bad =
                            if matches!(v, Attr::N(_) | Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_)) {
                                cur
                            } else {
                                &v
                            };
                        return Err(invalid(
                            kind,
                            format!(
                                "Incorrect operand type for operator or function; operator: ADD, operand type: {}",
                                type_word(bad)
                            ),
                        ));
                    }
                    (None, v) => {
                        return Err(invalid(
                            kind,
                            format!(
                                "Incorrect operand type for operator or function; operator: ADD, operand type: {}",
                                type_word(&v)
                            ),
                        ));
                    }
                };
                set_path(&mut out, p, new)?;
            }
            UpdateAction::Delete(p, o) => {
                let v = must(kind, item, o)?;
                let remaining = match (resolve_path(item, p), &v) {
                    (None, Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_)) => continue,
                    (Some(Attr::Ss(x)), Attr::Ss(y)) => {
                        (!x.iter().all(|e| y.contains(e))).then(|| Attr::Ss(minus(x, y)))
                    }
                    (Some(Attr::Ns(x)), Attr::Ns(y)) => {
                        (!x.iter().all(|e| y.contains(e))).then(|| Attr::Ns(minus(x, y)))
                    }
                    (Some(Attr::Bs(x)), Attr::Bs(y)) => {
                        (!x.iter().all(|e| y.contains(e))).then(|| Attr::Bs(minus(x, y)))
                    }
                    (Some(cur), v) => {
                        let bad = if matches!(v, Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_)) {
                            cur
                        } else {
                            v
                        };
                        return Err(invalid(
                            kind,
                            format!(
                                "Incorrect operand type for operator or function; operator: DELETE, operand type: {}",
                                type_word(bad)
                            ),
                        ));
                    }
                    (None, v) => {
                        return Err(invalid(
                            kind,
                            format!(
                                "Incorrect operand type for operator or function; operator: DELETE, operand type: {}",
                                type_word(v)
                            ),
                        ));
                    }
                };
                match remaining {
                    Some(r) => set_path(&mut out, p, r)?,
                    None => remove_path(&mut out, p),
                }
            }
        }
    }
    removals.sort_by(|a, b| b.0.cmp_steps(&a.0));
    for p in removals {
        remove_path(&mut out, p);
    }
    Ok(out)
}

trait StepOrder {
    fn cmp_steps(&self, other: &Self) -> std::cmp::Ordering;
}

impl StepOrder for Vec<Step> {
    fn cmp_steps(&self, other: &Self) -> std::cmp::Ordering {
        for (a, b) in self.iter().zip(other) {
            let o = match (a, b) {
                (Step::Index(x), Step::Index(y)) => x.cmp(y),
                (Step::Name(x), Step::Name(y)) => x.cmp(y),
                (Step::Name(_), Step::Index(_)) => std::cmp::Ordering::Less,
                (Step::Index(_), Step::Name(_)) => std::cmp::Ordering::Greater,
            };
            if o.is_ne() {
                return o;
            }
        }
        self.len().cmp(&other.len())
    }
}

fn union<T: PartialEq + Clone>(mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
    for x in b {
        if !a.contains(&x) {
            a.push(x);
        }
    }
    a
}

fn minus<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

fn bad_path() -> AwsError {
    validation("The document path provided in the update expression is invalid for update")
}

fn set_path(item: &mut Item, p: &Path, v: Attr) -> Result<(), AwsError> {
    let (last, parents) = p.0.split_last().ok_or_else(bad_path)?;
    if parents.is_empty() {
        return match last {
            Step::Name(n) => {
                item.insert(n.clone(), v);
                Ok(())
            }
            Step::Index(_) => Err(bad_path()),
        };
    }
    let mut cur: &mut Attr = match &parents[0] {
        Step::Name(n) => item.get_mut(n).ok_or_else(bad_path)?,
        Step::Index(_) => return Err(bad_path()),
    };
    for s in &parents[1..] {
        cur = match (s, cur) {
            (Step::Name(n), Attr::M(m)) => m.get_mut(n).ok_or_else(bad_path)?,
            (Step::Index(i), Attr::L(l)) => l.get_mut(*i).ok_or_else(bad_path)?,
            _ => return Err(bad_path()),
        };
    }
    match (last, cur) {
        (Step::Name(n), Attr::M(m)) => {
            m.insert(n.clone(), v);
        }
        (Step::Index(i), Attr::L(l)) => {
            // Past the end appends, as DynamoDB does.
            if *i < l.len() {
                l[*i] = v;
            } else {
                l.push(v);
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}

fn remove_path(item: &mut Item, p: &Path) {
    let Some((last, parents)) = p.0.split_last() else {
        return;
    };
    if parents.is_empty() {
        if let Step::Name(n) = last {
            item.remove(n);
        }
        return;
    }
    let mut cur: &mut Attr = match &parents[0] {
        Step::Name(n) => match item.get_mut(n) {
            Some(a) => a,
            None => return,
        },
        Step::Index(_) => return,
    };
    for s in &parents[1..] {
        cur = match (s, cur) {
            (Step::Name(n), Attr::M(m)) => match m.get_mut(n) {
                Some(a) => a,
                None => return,
            },
            (Step::Index(i), Attr::L(l)) => match l.get_mut(*i) {
                Some(a) => a,
                None => return,
            },
            _ => return,
        };
    }
    match (last, cur) {
        (Step::Name(n), Attr::M(m)) => {
            m.remove(n);
        }
        (Step::Index(i), Attr::L(l)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => {}
    }
}

/// The parts of an item a projection names, nested structure kept.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for p in paths {
        if let Some(v) = resolve_path(item, p) {
            insert_projected(&mut out, &p.0, v.clone());
        }
    }
    out
}

fn insert_projected(out: &mut Item, steps: &[Step], v: Attr) {
    let Some(Step::Name(first)) = steps.first() else {
        return;
    };
    if steps.len() == 1 {
        out.insert(first.clone(), v);
        return;
    }
    let slot = out.entry(first.clone()).or_insert_with(|| match steps[1] {
        Step::Name(_) => Attr::M(BTreeMap::new()),
        Step::Index(_) => Attr::L(Vec::new()),
    });
    insert_nested(slot, &steps[1..], v);
}

fn insert_nested(slot: &mut Attr, steps: &[Step], v: Attr) {
    let Some(step) = steps.first() else { return };
    let next_container = || match steps.get(1) {
        Some(Step::Name(_)) => Attr::M(BTreeMap::new()),
        _ => Attr::L(Vec::new()),
    };
    match (step, slot) {
        (Step::Name(n), Attr::M(m)) => {
            if steps.len() == 1 {
                m.insert(n.clone(), v);
            } else {
                let child = m.entry(n.clone()).or_insert_with(next_container);
                insert_nested(child, &steps[1..], v);
            }
        }
        // Projected list elements are compacted, in the order requested.
        (Step::Index(_), Attr::L(l)) => {
            if steps.len() == 1 {
                l.push(v);
            } else {
                l.push(next_container());
                if let Some(child) = l.last_mut() {
                    insert_nested(child, &steps[1..], v);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_condition, parse_update};
    use super::*;

    fn n(s: &str) -> Attr {
        Attr::N(Number::parse(s).unwrap())
    }

    fn s(v: &str) -> Attr {
        Attr::S(v.into())
    }

    fn item() -> Item {
        let mut m = Item::new();
        m.insert("pk".into(), s("a"));
        m.insert("count".into(), n("5"));
        m.insert("tags".into(), Attr::Ss(vec!["x".into(), "y".into()]));
        m.insert("list".into(), Attr::L(vec![s("one"), s("two"), s("three")]));
        let mut inner = BTreeMap::new();
        inner.insert("city".into(), s("Seoul"));
        m.insert("addr".into(), Attr::M(inner));
        m
    }

    fn cond(text: &str, values: &[(&str, Attr)], names: &[(&str, &str)]) -> Result<bool, AwsError> {
        let mut c = parse_condition(Kind::Condition, text)?;
        let mut nm = Names::new((!names.is_empty()).then(|| {
            names
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        }));
        let mut vs = Values::new((!values.is_empty()).then(|| {
            values
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        }));
        vs.resolve(&mut nm, Kind::Condition, &mut c)?;
        nm.check_unused()?;
        vs.check_unused()?;
        evaluate(Kind::Condition, &c, &item())
    }

    #[test]
    fn conditions() {
        assert!(cond("#c > :v", &[(":v", n("4"))], &[("#c", "count")]).unwrap());
        assert!(!cond("#c > :v", &[(":v", n("5"))], &[("#c", "count")]).unwrap());
        assert!(
            cond(
                "#c BETWEEN :a AND :b",
                &[(":a", n("1")), (":b", n("5"))],
                &[("#c", "count")]
            )
            .unwrap()
        );
        assert!(
            cond(
                "contains(tags, :t) AND attribute_exists(addr.city)",
                &[(":t", s("x"))],
                &[]
            )
            .unwrap()
        );
        assert!(
            cond(
                "size(#l) = :three AND #l[1] = :two",
                &[(":three", n("3")), (":two", s("two"))],
                &[("#l", "list")]
            )
            .unwrap()
        );
        assert!(cond("begins_with(addr.city, :p)", &[(":p", s("Se"))], &[]).unwrap());
        assert!(cond("attribute_type(tags, :t)", &[(":t", s("SS"))], &[]).unwrap());
        assert!(cond("absent <> :v", &[(":v", s("q"))], &[]).unwrap());
        assert!(!cond("absent = :v", &[(":v", s("q"))], &[]).unwrap());
        assert!(cond("pk IN (:a, :b)", &[(":a", s("z")), (":b", s("a"))], &[]).unwrap());
        assert!(cond("NOT (pk = :a)", &[(":a", s("z"))], &[]).unwrap());
    }

    #[test]
    fn condition_errors() {
        let e = cond("pk = :nope", &[(":v", s("x"))], &[]).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
        );
        let e = cond("pk = :v", &[(":v", s("x")), (":w", s("y"))], &[]).unwrap_err();
        assert_eq!(
            e.message,
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
        );
        let e = cond(
            "#c BETWEEN :a AND :b",
            &[(":a", n("5")), (":b", n("1"))],
            &[("#c", "count")],
        )
        .unwrap_err();
        assert!(
            e.message.contains("BETWEEN operator requires upper bound"),
            "{}",
            e.message
        );
    }

    fn update(text: &str, values: &[(&str, Attr)]) -> Result<Item, AwsError> {
        let mut u = parse_update(text)?;
        let mut nm = Names::new(None);
        let mut vs = Values::new(Some(
            values
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ));
        vs.resolve_update(&mut nm, &mut u)?;
        apply_update(&u, &item(), &["pk"])
    }

    #[test]
    fn updates() {
        let out = update(
            "SET #x = #x + :one, list[5] = :z, addr.zip = :zip REMOVE list[0], list[1] ADD tags :t DELETE nothing :d",
            &[
                (":one", n("1")),
                (":z", s("four")),
                (":zip", s("04524")),
                (":t", Attr::Ss(vec!["z".into()])),
                (":d", Attr::Ss(vec!["q".into()])),
            ],
        );
        // #x is undefined: DynamoDB refuses it.
        assert!(out.is_err());
        let out = update(
            "SET count = count + :one, list[5] = :z, addr.zip = :zip REMOVE list[0], list[1] ADD tags :t",
            &[
                (":one", n("1")),
                (":z", s("four")),
                (":zip", s("04524")),
                (":t", Attr::Ss(vec!["z".into()])),
            ],
        );
        assert!(out.is_err(), "count is a reserved word");
    }

    #[test]
    fn update_semantics() {
        let mut u = parse_update(
            "SET #c = #c + :one, #l[5] = :z, addr.zip = :zip REMOVE #l[0], #l[1] ADD tags :t",
        )
        .unwrap();
        let mut nm = Names::new(Some(
            [
                ("#c".to_string(), "count".to_string()),
                ("#l".to_string(), "list".to_string()),
            ]
            .into(),
        ));
        let mut vs = Values::new(Some(
            [
                (":one".to_string(), n("1")),
                (":z".to_string(), s("four")),
                (":zip".to_string(), s("04524")),
                (":t".to_string(), Attr::Ss(vec!["z".into()])),
            ]
            .into(),
        ));
        vs.resolve_update(&mut nm, &mut u).unwrap();
        let out = apply_update(&u, &item(), &["pk"]).unwrap();
        assert_eq!(out["count"], n("6"));
        assert_eq!(out["list"], Attr::L(vec![s("three"), s("four")]));
        assert_eq!(
            resolve_path(
                &out,
                &Path(vec![Step::Name("addr".into()), Step::Name("zip".into())])
            ),
            Some(&s("04524"))
        );
        assert_eq!(
            out["tags"],
            Attr::Ss(vec!["x".into(), "y".into(), "z".into()])
        );
    }

    #[test]
    fn update_refusals() {
        let mut u = parse_update("SET pk = :v").unwrap();
        let mut vs = Values::new(Some([(":v".to_string(), s("b"))].into()));
        vs.resolve_update(&mut Names::new(None), &mut u).unwrap();
        let e = apply_update(&u, &item(), &["pk"]).unwrap_err();
        assert_eq!(
            e.message,
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
        );
        let mut u = parse_update("SET addr = :v REMOVE addr.city").unwrap();
        let mut vs = Values::new(Some([(":v".to_string(), s("b"))].into()));
        vs.resolve_update(&mut Names::new(None), &mut u).unwrap();
        let e = apply_update(&u, &item(), &["pk"]).unwrap_err();
        assert!(
            e.message.contains("Two document paths overlap"),
            "{}",
            e.message
        );
    }

    #[test]
    fn projection_keeps_structure() {
        let p = vec![
            Path(vec![Step::Name("addr".into()), Step::Name("city".into())]),
            Path(vec![Step::Name("list".into()), Step::Index(2)]),
        ];
        let out = project(&item(), &p);
        assert_eq!(out["list"], Attr::L(vec![s("three")]));
        assert!(matches!(&out["addr"], Attr::M(m) if m.len() == 1));
    }
}
