//! Attribute values as the engine holds them, converted from and to the wire
//! shape, with DynamoDB's validation, ordering and item size rules.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use stratus_core::AwsError;
use stratus_protocol::Blob;

use crate::generated::AttributeValue;
use crate::number::Number;

#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, Attr>),
    L(Vec<Attr>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

pub type Item = BTreeMap<String, Attr>;

/// The largest item DynamoDB stores.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

pub fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationException", msg)
}

fn invalid(msg: &str) -> AwsError {
    validation(format!("One or more parameter values were invalid: {msg}"))
}

fn number(s: &str) -> Result<Number, AwsError> {
    Number::parse(s).map_err(|e| validation(e.message()))
}

fn no_duplicates<T: PartialEq + std::fmt::Debug>(
    items: &[T],
    show: impl Fn(&T) -> String,
) -> Result<(), AwsError> {
    for (i, a) in items.iter().enumerate() {
        if items[..i].contains(a) {
            let all: Vec<String> = items.iter().map(&show).collect();
            return Err(validation(format!(
                "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                all.join(", ")
            )));
        }
    }
    Ok(())
}

impl Attr {
    pub fn from_wire(v: AttributeValue) -> Result<Attr, AwsError> {
        let set = [
            v.s.is_some(),
            v.n.is_some(),
            v.b.is_some(),
            v.ss.is_some(),
            v.ns.is_some(),
            v.bs.is_some(),
            v.m.is_some(),
            v.l.is_some(),
            v.null.is_some(),
            v.bool.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if set == 0 {
            return Err(validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        }
        if set > 1 {
            return Err(validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        Ok(if let Some(s) = v.s {
            Attr::S(s)
        } else if let Some(n) = v.n {
            Attr::N(number(&n)?)
        } else if let Some(b) = v.b {
            Attr::B(b.0)
        } else if let Some(ss) = v.ss {
            if ss.is_empty() {
                return Err(invalid("An string set  may not be empty"));
            }
            no_duplicates(&ss, |s| s.clone())?;
            Attr::Ss(ss)
        } else if let Some(ns) = v.ns {
            if ns.is_empty() {
                return Err(invalid("An number set  may not be empty"));
            }
            let nums: Vec<Number> = ns.iter().map(|n| number(n)).collect::<Result<_, _>>()?;
            no_duplicates(&nums, |n| n.to_string())?;
            Attr::Ns(nums)
        } else if let Some(bs) = v.bs {
            if bs.is_empty() {
                return Err(invalid("Binary sets should not be empty"));
            }
            let bs: Vec<Vec<u8>> = bs.into_iter().map(|b| b.0).collect();
            no_duplicates(&bs, |b| format!("{b:?}"))?;
            Attr::Bs(bs)
        } else if let Some(m) = v.m {
            Attr::M(
                m.into_iter()
                    .map(|(k, v)| Ok((k, Attr::from_wire(v)?)))
                    .collect::<Result<_, AwsError>>()?,
            )
        } else if let Some(l) = v.l {
            Attr::L(
                l.into_iter()
                    .map(Attr::from_wire)
                    .collect::<Result<_, _>>()?,
            )
        } else if let Some(null) = v.null {
            if !null {
                return Err(invalid(
                    "Null attribute value types must have the value of true",
                ));
            }
            Attr::Null
        } else {
            Attr::Bool(v.bool.unwrap_or_default())
        })
    }

    pub fn to_wire(&self) -> AttributeValue {
        let mut v = AttributeValue::default();
        match self {
            Attr::S(s) => v.s = Some(s.clone()),
            Attr::N(n) => v.n = Some(n.to_string()),
            Attr::B(b) => v.b = Some(Blob(b.clone())),
            Attr::Bool(b) => v.bool = Some(*b),
            Attr::Null => v.null = Some(true),
            Attr::M(m) => v.m = Some(m.iter().map(|(k, a)| (k.clone(), a.to_wire())).collect()),
            Attr::L(l) => v.l = Some(l.iter().map(Attr::to_wire).collect()),
            Attr::Ss(s) => v.ss = Some(s.clone()),
            Attr::Ns(n) => v.ns = Some(n.iter().map(Number::to_string).collect()),
            Attr::Bs(b) => v.bs = Some(b.iter().map(|x| Blob(x.clone())).collect()),
        }
        v
    }

    /// The type's name as DynamoDB writes it (`S`, `N`, `SS`, `BOOL` ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Attr::S(_) => "S",
            Attr::N(_) => "N",
            Attr::B(_) => "B",
            Attr::Bool(_) => "BOOL",
            Attr::Null => "NULL",
            Attr::M(_) => "M",
            Attr::L(_) => "L",
            Attr::Ss(_) => "SS",
            Attr::Ns(_) => "NS",
            Attr::Bs(_) => "BS",
        }
    }

    /// The bytes DynamoDB counts for a value (item size and capacity).
    pub fn size(&self) -> usize {
        match self {
            Attr::S(s) => s.len(),
            Attr::N(n) => number_size(n),
            Attr::B(b) => b.len(),
            Attr::Bool(_) | Attr::Null => 1,
            Attr::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Attr::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Attr::Ss(s) => s.iter().map(String::len).sum(),
            Attr::Ns(n) => n.iter().map(number_size).sum(),
            Attr::Bs(b) => b.iter().map(Vec::len).sum(),
        }
    }
}

/// Numbers cost about one byte per two significant digits, plus one.
fn number_size(n: &Number) -> usize {
    n.significant_digits().div_ceil(2) + 1
}

pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

pub fn item_from_wire(m: BTreeMap<String, AttributeValue>) -> Result<Item, AwsError> {
    m.into_iter()
        .map(|(k, v)| Ok((k, Attr::from_wire(v)?)))
        .collect()
}

pub fn item_to_wire(item: &Item) -> BTreeMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), v.to_wire())).collect()
}

/// A key attribute's value: the only types keys may have, ordered as
/// DynamoDB orders sort keys (strings and binaries bytewise, numbers by value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyVal {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl Ord for KeyVal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyVal::S(a), KeyVal::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (KeyVal::N(a), KeyVal::N(b)) => a.cmp(b),
            (KeyVal::B(a), KeyVal::B(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for KeyVal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KeyVal {
    fn rank(&self) -> u8 {
        match self {
            KeyVal::S(_) => 0,
            KeyVal::N(_) => 1,
            KeyVal::B(_) => 2,
        }
    }

    pub fn of(a: &Attr) -> Option<KeyVal> {
        Some(match a {
            Attr::S(s) => KeyVal::S(s.clone()),
            Attr::N(n) => KeyVal::N(*n),
            Attr::B(b) => KeyVal::B(b.clone()),
            _ => return None,
        })
    }

    pub fn to_attr(&self) -> Attr {
        match self {
            KeyVal::S(s) => Attr::S(s.clone()),
            KeyVal::N(n) => Attr::N(*n),
            KeyVal::B(b) => Attr::B(b.clone()),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            KeyVal::S(_) => "S",
            KeyVal::N(_) => "N",
            KeyVal::B(_) => "B",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_s(s: &str) -> AttributeValue {
        AttributeValue {
            s: Some(s.into()),
            ..Default::default()
        }
    }

    #[test]
    fn exactly_one_type() {
        assert!(
            Attr::from_wire(AttributeValue::default())
                .unwrap_err()
                .message
                .contains("is empty")
        );
        let mut two = wire_s("a");
        two.bool = Some(true);
        assert!(
            Attr::from_wire(two)
                .unwrap_err()
                .message
                .contains("more than one")
        );
    }

    #[test]
    fn sets_are_checked() {
        let v = AttributeValue {
            ss: Some(vec!["a".into(), "a".into()]),
            ..Default::default()
        };
        assert!(
            Attr::from_wire(v)
                .unwrap_err()
                .message
                .contains("contains duplicates")
        );
        let v = AttributeValue {
            ns: Some(vec![]),
            ..Default::default()
        };
        assert!(Attr::from_wire(v).is_err());
        let v = AttributeValue {
            ns: Some(vec!["1".into(), "1.0".into()]),
            ..Default::default()
        };
        assert!(Attr::from_wire(v).is_err(), "1 and 1.0 are the same number");
    }

    #[test]
    fn round_trips() {
        let mut m = BTreeMap::new();
        m.insert("k".to_string(), wire_s("v"));
        let v = AttributeValue {
            l: Some(vec![
                AttributeValue {
                    m: Some(m),
                    ..Default::default()
                },
                AttributeValue {
                    n: Some("1.50".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let a = Attr::from_wire(v).unwrap();
        let back = a.to_wire();
        assert_eq!(back.l.as_ref().unwrap()[1].n.as_deref(), Some("1.5"));
        assert_eq!(Attr::from_wire(back).unwrap(), a);
    }

    #[test]
    fn sizes() {
        let mut item = Item::new();
        item.insert("name".into(), Attr::S("abc".into()));
        item.insert("n".into(), Attr::N(Number::parse("12345").unwrap()));
        assert_eq!(item_size(&item), 4 + 3 + 1 + 4);
    }

    #[test]
    fn key_order() {
        let mut v = vec![
            KeyVal::N(Number::parse("10").unwrap()),
            KeyVal::N(Number::parse("9").unwrap()),
            KeyVal::N(Number::parse("-1").unwrap()),
        ];
        v.sort();
        assert_eq!(v[0], KeyVal::N(Number::parse("-1").unwrap()));
        assert_eq!(v[2], KeyVal::N(Number::parse("10").unwrap()));
        assert!(KeyVal::S("B".into()) < KeyVal::S("a".into()));
    }
}
