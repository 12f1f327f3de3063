//! The parameters older SDK code still sends (`Expected`, `KeyConditions`,
//! `QueryFilter`, `ScanFilter`, `AttributeUpdates`, `AttributesToGet`),
//! translated into the expression trees the engine evaluates.

use std::collections::BTreeMap;

use stratus_core::AwsError;

use crate::attr::{Attr, validation};
use crate::expr::{Cmp, Cond, Operand, Path, Step, UpdateAction};
use crate::generated::{AttributeValueUpdate, Condition, ExpectedAttributeValue};

fn path(name: &str) -> Path {
    Path(vec![Step::Name(name.to_string())])
}

fn op_path(name: &str) -> Operand {
    Operand::Path(path(name))
}

fn values(list: Option<Vec<crate::generated::AttributeValue>>) -> Result<Vec<Attr>, AwsError> {
    list.unwrap_or_default()
        .into_iter()
        .map(Attr::from_wire)
        .collect()
}

fn arity(op: &str, got: usize, want: usize) -> Result<(), AwsError> {
    if got != want {
        return Err(validation(format!(
            "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
        )));
    }
    Ok(())
}

/// One `ComparisonOperator` condition on an attribute.
fn comparison(name: &str, op: &str, vals: Vec<Attr>) -> Result<Cond, AwsError> {
    let lit = |i: usize| Operand::Lit(vals[i].clone());
    let cmp = |c: Cmp| -> Result<Cond, AwsError> {
        arity(op, vals.len(), 1)?;
        Ok(Cond::Compare(op_path(name), c, lit(0)))
    };
    Ok(match op {
        "EQ" => cmp(Cmp::Eq)?,
        "NE" => cmp(Cmp::Ne)?,
        "LT" => cmp(Cmp::Lt)?,
        "LE" => cmp(Cmp::Le)?,
        "GT" => cmp(Cmp::Gt)?,
        "GE" => cmp(Cmp::Ge)?,
        "NOT_NULL" => {
            arity(op, vals.len(), 0)?;
            Cond::Exists(path(name))
        }
        "NULL" => {
            arity(op, vals.len(), 0)?;
            Cond::NotExists(path(name))
        }
        "CONTAINS" => {
            arity(op, vals.len(), 1)?;
            Cond::Contains(op_path(name), lit(0))
        }
        "NOT_CONTAINS" => {
            arity(op, vals.len(), 1)?;
            Cond::Not(Box::new(Cond::Contains(op_path(name), lit(0))))
        }
        "BEGINS_WITH" => {
            arity(op, vals.len(), 1)?;
            Cond::BeginsWith(op_path(name), lit(0))
        }
        "IN" => {
            if vals.is_empty() {
                arity(op, 0, 1)?;
            }
            Cond::In(op_path(name), vals.into_iter().map(Operand::Lit).collect())
        }
        "BETWEEN" => {
            arity(op, vals.len(), 2)?;
            Cond::Between(op_path(name), lit(0), lit(1))
        }
        other => {
            return Err(validation(format!(
                "Unsupported ComparisonOperator: {other}"
            )));
        }
    })
}

fn combine(parts: Vec<Cond>, operator: Option<&str>) -> Result<Option<Cond>, AwsError> {
    let or = match operator.unwrap_or("AND") {
        "AND" => false,
        "OR" => true,
        other => {
            return Err(validation(format!(
                "Unsupported ConditionalOperator: {other}"
            )));
        }
    };
    Ok(parts.into_iter().reduce(|a, b| {
        if or {
            Cond::Or(Box::new(a), Box::new(b))
        } else {
            Cond::And(Box::new(a), Box::new(b))
        }
    }))
}

/// `Expected` as a condition.
pub fn expected(
    exp: BTreeMap<String, ExpectedAttributeValue>,
    operator: Option<&str>,
) -> Result<Option<Cond>, AwsError> {
    let mut parts = Vec::new();
    for (name, e) in exp {
        let cond = match (e.comparison_operator, e.exists, e.value) {
            (Some(op), _, v) => {
                let mut vals = values(e.attribute_value_list)?;
                if let Some(v) = v {
                    vals.push(Attr::from_wire(v)?);
                }
                comparison(&name, &op, vals)?
            }
            (None, Some(false), Some(_)) => {
                return Err(validation(
                    "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ".to_string() + &name,
                ));
            }
            (None, Some(false), None) => Cond::NotExists(path(&name)),
            (None, _, Some(v)) => {
                Cond::Compare(op_path(&name), Cmp::Eq, Operand::Lit(Attr::from_wire(v)?))
            }
            (None, _, None) => {
                return Err(validation(
                    "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ".to_string() + &name,
                ));
            }
        };
        parts.push(cond);
    }
    combine(parts, operator)
}

/// `KeyConditions`, `QueryFilter` or `ScanFilter` as a condition.
pub fn conditions(
    conds: BTreeMap<String, Condition>,
    operator: Option<&str>,
) -> Result<Option<Cond>, AwsError> {
    let mut parts = Vec::new();
    for (name, c) in conds {
        parts.push(comparison(
            &name,
            &c.comparison_operator,
            values(c.attribute_value_list)?,
        )?);
    }
    combine(parts, operator)
}

/// `AttributeUpdates` as update actions.
pub fn attribute_updates(
    updates: BTreeMap<String, AttributeValueUpdate>,
) -> Result<Vec<UpdateAction>, AwsError> {
    let mut out = Vec::new();
    for (name, u) in updates {
        let value = match u.value {
            Some(v) => Some(Attr::from_wire(v)?),
            None => None,
        };
        let action = match (u.action.as_deref().unwrap_or("PUT"), value) {
            ("PUT", Some(v)) => UpdateAction::Set(path(&name), Operand::Lit(v)),
            ("ADD", Some(v)) => UpdateAction::Add(path(&name), Operand::Lit(v)),
            ("DELETE", Some(v)) => UpdateAction::Delete(path(&name), Operand::Lit(v)),
            ("DELETE", None) => UpdateAction::Remove(path(&name)),
            ("PUT" | "ADD", None) => {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified for attribute: {name}"
                )));
            }
            (other, _) => return Err(validation(format!("Unsupported AttributeAction: {other}"))),
        };
        out.push(action);
    }
    Ok(out)
}

/// `AttributesToGet` as a projection.
pub fn attributes_to_get(names: Vec<String>) -> Vec<Path> {
    names.iter().map(|n| path(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Item;
    use crate::expr::{Kind, evaluate};
    use crate::generated::AttributeValue;
    use crate::number::Number;

    fn n(v: &str) -> AttributeValue {
        AttributeValue {
            n: Some(v.into()),
            ..Default::default()
        }
    }

    #[test]
    fn expected_translates() {
        let mut item = Item::new();
        item.insert("a".into(), Attr::N(Number::parse("5").unwrap()));
        let mut exp = BTreeMap::new();
        exp.insert(
            "a".to_string(),
            ExpectedAttributeValue {
                value: Some(n("5")),
                ..Default::default()
            },
        );
        exp.insert(
            "b".to_string(),
            ExpectedAttributeValue {
                exists: Some(false),
                ..Default::default()
            },
        );
        let c = expected(exp, None).unwrap().unwrap();
        assert!(evaluate(Kind::Condition, &c, &item).unwrap());
        let mut exp = BTreeMap::new();
        exp.insert(
            "a".to_string(),
            ExpectedAttributeValue {
                comparison_operator: Some("BETWEEN".into()),
                attribute_value_list: Some(vec![n("6"), n("9")]),
                ..Default::default()
            },
        );
        let c = expected(exp, None).unwrap().unwrap();
        assert!(!evaluate(Kind::Condition, &c, &item).unwrap());
    }

    #[test]
    fn arity_is_checked() {
        let mut conds = BTreeMap::new();
        conds.insert(
            "a".to_string(),
            Condition {
                comparison_operator: "EQ".into(),
                attribute_value_list: None,
            },
        );
        assert!(
            conditions(conds, None)
                .unwrap_err()
                .message
                .contains("Invalid number of argument(s) for the EQ ComparisonOperator")
        );
    }
}
