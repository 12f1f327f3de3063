//! CBOR (RFC 8949) for `smithy-rpc-v2-cbor`: a generic item type, a bounded
//! decoder that never panics on hostile input, an encoder, and the
//! shape-driven mapping to [`Value`].

use std::collections::BTreeMap;

use crate::model::{ServiceModel, ShapeRef};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Uint(u64),
    /// A negative integer: the value is `-1 - n`.
    Neg(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Item>),
    Map(Vec<(Item, Item)>),
    Tag(u64, Box<Item>),
    Bool(bool),
    Null,
    Undefined,
    Float(f64),
}

const MAX_DEPTH: usize = 128;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or("unexpected end of CBOR data")?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let n = usize::try_from(n).map_err(|_| "CBOR length too large")?;
        let end = self.pos.checked_add(n).ok_or("CBOR length too large")?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or("unexpected end of CBOR data")?;
        self.pos = end;
        Ok(s)
    }

    /// The argument of a head; `None` for the indefinite-length marker.
    fn arg(&mut self, info: u8) -> Result<Option<u64>, String> {
        Ok(Some(match info {
            0..=23 => info as u64,
            24 => self.byte()? as u64,
            25 => u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| "bad length")?) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| "bad length")?) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| "bad length")?),
            31 => return Ok(None),
            _ => return Err("reserved CBOR additional information".into()),
        }))
    }

    fn at_break(&mut self) -> Result<bool, String> {
        if *self
            .buf
            .get(self.pos)
            .ok_or("unexpected end of CBOR data")?
            == 0xff
        {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// Bounds a declared element count by the bytes left, so a hostile
    /// length can't make us allocate.
    fn cap(&self, n: u64) -> usize {
        (n as usize).min(self.buf.len() - self.pos)
    }

    fn item(&mut self, depth: usize) -> Result<Item, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nested too deeply".into());
        }
        let head = self.byte()?;
        let major = head >> 5;
        let info = head & 0x1f;
        match major {
            0 => Ok(Item::Uint(self.arg(info)?.ok_or("indefinite integer")?)),
            1 => Ok(Item::Neg(self.arg(info)?.ok_or("indefinite integer")?)),
            2 | 3 => {
                let bytes = match self.arg(info)? {
                    Some(n) => self.take(n)?.to_vec(),
                    None => {
                        let mut out = Vec::new();
                        while !self.at_break()? {
                            match self.item(depth + 1)? {
                                Item::Bytes(b) if major == 2 => out.extend(b),
                                Item::Text(t) if major == 3 => out.extend(t.into_bytes()),
                                _ => return Err("bad chunk in indefinite string".into()),
                            }
                        }
                        out
                    }
                };
                if major == 2 {
                    Ok(Item::Bytes(bytes))
                } else {
                    String::from_utf8(bytes)
                        .map(Item::Text)
                        .map_err(|_| "invalid UTF-8 in CBOR text".into())
                }
            }
            4 => {
                let mut out = Vec::new();
                match self.arg(info)? {
                    Some(n) => {
                        out.reserve(self.cap(n));
                        for _ in 0..n {
                            out.push(self.item(depth + 1)?);
                        }
                    }
                    None => {
                        while !self.at_break()? {
                            out.push(self.item(depth + 1)?);
                        }
                    }
                }
                Ok(Item::Array(out))
            }
            5 => {
                let mut out = Vec::new();
                match self.arg(info)? {
                    Some(n) => {
                        out.reserve(self.cap(n));
                        for _ in 0..n {
                            let k = self.item(depth + 1)?;
                            out.push((k, self.item(depth + 1)?));
                        }
                    }
                    None => {
                        while !self.at_break()? {
                            let k = self.item(depth + 1)?;
                            out.push((k, self.item(depth + 1)?));
                        }
                    }
                }
                Ok(Item::Map(out))
            }
            6 => {
                let tag = self.arg(info)?.ok_or("indefinite tag")?;
                Ok(Item::Tag(tag, Box::new(self.item(depth + 1)?)))
            }
            _ => match info {
                20 => Ok(Item::Bool(false)),
                21 => Ok(Item::Bool(true)),
                22 => Ok(Item::Null),
                23 => Ok(Item::Undefined),
                25 => {
                    let b = self.take(2)?;
                    Ok(Item::Float(half_to_f64(u16::from_be_bytes([b[0], b[1]]))))
                }
                26 => {
                    let b = self.take(4)?;
                    Ok(Item::Float(
                        f32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f64
                    ))
                }
                27 => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    Ok(Item::Float(f64::from_be_bytes(a)))
                }
                0..=19 => Ok(Item::Undefined),
                24 => {
                    self.byte()?;
                    Ok(Item::Undefined)
                }
                _ => Err("unexpected CBOR break".into()),
            },
        }
    }
}

fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 => {
            if frac == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Decodes exactly one item; trailing bytes are an error.
pub fn decode(buf: &[u8]) -> Result<Item, String> {
    let mut r = Reader { buf, pos: 0 };
    let item = r.item(0)?;
    if r.pos != buf.len() {
        return Err("trailing bytes after CBOR item".into());
    }
    Ok(item)
}

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u8::MAX as u64 {
        out.extend([m | 24, n as u8]);
    } else if n <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    } else if n <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

pub fn encode(item: &Item, out: &mut Vec<u8>) {
    match item {
        Item::Uint(n) => head(0, *n, out),
        Item::Neg(n) => head(1, *n, out),
        Item::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend(b);
        }
        Item::Text(t) => {
            head(3, t.len() as u64, out);
            out.extend(t.as_bytes());
        }
        Item::Array(a) => {
            head(4, a.len() as u64, out);
            a.iter().for_each(|i| encode(i, out));
        }
        Item::Map(m) => {
            head(5, m.len() as u64, out);
            for (k, v) in m {
                encode(k, out);
                encode(v, out);
            }
        }
        Item::Tag(t, i) => {
            head(6, *t, out);
            encode(i, out);
        }
        Item::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Item::Null => out.push(0xf6),
        Item::Undefined => out.push(0xf7),
        Item::Float(f) => {
            out.push(0xfb);
            out.extend(f.to_be_bytes());
        }
    }
}

fn int_item(i: i64) -> Item {
    if i >= 0 {
        Item::Uint(i as u64)
    } else {
        Item::Neg((-1 - i) as u64)
    }
}

fn item_int(i: &Item) -> Option<i64> {
    match i {
        Item::Uint(n) => i64::try_from(*n).ok(),
        Item::Neg(n) => i64::try_from(*n).ok().map(|n| -1 - n),
        _ => None,
    }
}

fn item_f64(i: &Item) -> Option<f64> {
    match i {
        Item::Float(f) => Some(*f),
        other => item_int(other).map(|n| n as f64),
    }
}

/// Decodes an item as the shape `r` refers to.
pub fn to_value(model: &ServiceModel, r: &ShapeRef, item: &Item) -> Result<Value, String> {
    let s = model.shape(&r.shape);
    if matches!(item, Item::Null | Item::Undefined) {
        return Ok(Value::Null);
    }
    let bad = |what: &str| format!("expected {what} for a {} member", s.kind);
    Ok(match s.kind.as_str() {
        "structure" => {
            let Item::Map(entries) = item else {
                return Err(bad("a map"));
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let Item::Text(k) = k else {
                    return Err(bad("text keys"));
                };
                if let Some(mr) = s.members.get(k.as_str()) {
                    let dv = to_value(model, mr, v)?;
                    if !dv.is_null() {
                        out.insert(k.clone(), dv);
                    }
                }
            }
            Value::Map(out)
        }
        "list" => {
            let Item::Array(items) = item else {
                return Err(bad("an array"));
            };
            let mr = s.member.as_deref().cloned().unwrap_or_default();
            Value::List(
                items
                    .iter()
                    .map(|i| to_value(model, &mr, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        "map" => {
            let Item::Map(entries) = item else {
                return Err(bad("a map"));
            };
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let Item::Text(k) = k else {
                    return Err(bad("text keys"));
                };
                let dv = to_value(model, &vr, v)?;
                if !dv.is_null() {
                    out.insert(k.clone(), dv);
                }
            }
            Value::Map(out)
        }
        "string" => match item {
            Item::Text(t) => Value::String(t.clone()),
            _ => return Err(bad("text")),
        },
        "boolean" => match item {
            Item::Bool(b) => Value::Bool(*b),
            _ => return Err(bad("a boolean")),
        },
        "integer" | "long" | "short" | "byte" => {
            Value::Int(item_int(item).ok_or_else(|| bad("an integer"))?)
        }
        "float" | "double" => Value::Float(item_f64(item).ok_or_else(|| bad("a number"))?),
        "blob" => match item {
            Item::Bytes(b) => Value::Blob(b.clone()),
            _ => return Err(bad("a byte string")),
        },
        "timestamp" => {
            let inner = match item {
                Item::Tag(1, i) => i.as_ref(),
                other => other,
            };
            let secs = item_f64(inner).ok_or_else(|| bad("an epoch time"))?;
            Value::Timestamp((secs * 1000.0).round() as i64)
        }
        _ => Value::Document(generic_json(item)),
    })
}

fn generic_json(item: &Item) -> serde_json::Value {
    use serde_json::Value as J;
    match item {
        Item::Uint(_) | Item::Neg(_) => item_int(item).map(J::from).unwrap_or(J::Null),
        Item::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Item::Text(t) => J::String(t.clone()),
        Item::Bool(b) => J::Bool(*b),
        Item::Array(a) => J::Array(a.iter().map(generic_json).collect()),
        Item::Map(m) => J::Object(
            m.iter()
                .filter_map(|(k, v)| match k {
                    Item::Text(k) => Some((k.clone(), generic_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        Item::Tag(_, i) => generic_json(i),
        _ => J::Null,
    }
}

/// Encodes a value as the shape `r` refers to.
pub fn from_value(model: &ServiceModel, r: &ShapeRef, v: &Value) -> Item {
    let s = model.shape(&r.shape);
    match (s.kind.as_str(), v) {
        ("structure", Value::Map(m)) => Item::Map(
            s.members
                .iter()
                .filter_map(|(name, mr)| {
                    let v = m.get(name).filter(|v| !v.is_null())?;
                    Some((Item::Text(name.clone()), from_value(model, mr, v)))
                })
                .collect(),
        ),
        ("list", Value::List(items)) => {
            let mr = s.member.as_deref().cloned().unwrap_or_default();
            Item::Array(items.iter().map(|i| from_value(model, &mr, i)).collect())
        }
        ("map", Value::Map(m)) => {
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            Item::Map(
                m.iter()
                    .map(|(k, v)| (Item::Text(k.clone()), from_value(model, &vr, v)))
                    .collect(),
            )
        }
        (_, v) => scalar(v),
    }
}

/// A value with no shape to guide it (error members, documents).
pub fn scalar(v: &Value) -> Item {
    match v {
        Value::Null => Item::Null,
        Value::Bool(b) => Item::Bool(*b),
        Value::Int(i) => int_item(*i),
        Value::Float(f) => Item::Float(*f),
        Value::String(s) => Item::Text(s.clone()),
        Value::Blob(b) => Item::Bytes(b.clone()),
        Value::Timestamp(ms) => Item::Tag(
            1,
            Box::new(if ms % 1000 == 0 {
                int_item(ms / 1000)
            } else {
                Item::Float(*ms as f64 / 1000.0)
            }),
        ),
        Value::List(l) => Item::Array(l.iter().map(scalar).collect()),
        Value::Map(m) => Item::Map(
            m.iter()
                .map(|(k, v)| (Item::Text(k.clone()), scalar(v)))
                .collect(),
        ),
        Value::Document(d) => json_item(d),
    }
}

fn json_item(j: &serde_json::Value) -> Item {
    use serde_json::Value as J;
    match j {
        J::Null => Item::Null,
        J::Bool(b) => Item::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => int_item(i),
            None => Item::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => Item::Text(s.clone()),
        J::Array(a) => Item::Array(a.iter().map(json_item).collect()),
        J::Object(o) => Item::Map(
            o.iter()
                .map(|(k, v)| (Item::Text(k.clone()), json_item(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_items() {
        let item = Item::Map(vec![
            (Item::Text("a".into()), Item::Uint(500)),
            (Item::Text("b".into()), Item::Neg(9)),
            (
                Item::Text("c".into()),
                Item::Array(vec![Item::Bool(true), Item::Null]),
            ),
            (Item::Text("d".into()), Item::Bytes(vec![1, 2, 3])),
            (
                Item::Text("e".into()),
                Item::Tag(1, Box::new(Item::Float(1.5))),
            ),
        ]);
        let mut buf = Vec::new();
        encode(&item, &mut buf);
        assert_eq!(decode(&buf).unwrap(), item);
    }

    #[test]
    fn indefinite_map_and_half_floats() {
        assert_eq!(decode(&[0xbf, 0xff]).unwrap(), Item::Map(vec![]));
        assert_eq!(decode(&[0xf9, 0x3c, 0x00]).unwrap(), Item::Float(1.0));
        assert_eq!(decode(&[0xf9, 0xc4, 0x00]).unwrap(), Item::Float(-4.0));
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0xbf]).is_err());
        assert!(decode(&[0xff]).is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
        let deep = vec![0x81u8; 10_000];
        assert!(decode(&deep).is_err());
    }
}
