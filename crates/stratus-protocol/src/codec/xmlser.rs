//! Shape-driven XML, shared by the query, ec2 and rest-xml protocols.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::{TsFormat, parse_timestamp};
use crate::model::{ServiceModel, Shape, ShapeRef, XmlNamespace};
use crate::value::Value;
use crate::xml::{Element, escape};

fn flattened(r: &ShapeRef, s: &Shape) -> bool {
    r.flattened.unwrap_or(s.flattened)
}

/// The element name of a member inside its structure.
///
/// A flattened list repeats the member's own name, not its items' name.
pub fn member_key<'a>(name: &'a str, r: &'a ShapeRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(name)
}

/// Whether a member with this HTTP location is written in the body: in
/// responses only headers and the status code live outside it.
fn in_body(r: &ShapeRef, output: bool) -> bool {
    match r.location.as_deref() {
        None => true,
        Some("header" | "headers" | "statusCode") => false,
        Some(_) => output,
    }
}

fn ts_format(r: &ShapeRef, s: &Shape) -> TsFormat {
    TsFormat::from_trait(
        r.timestamp_format
            .as_deref()
            .or(s.timestamp_format.as_deref()),
    )
    .unwrap_or(TsFormat::Iso8601)
}

fn ns_attr(ns: &XmlNamespace, out: &mut String) {
    let (prefix, uri) = match ns {
        XmlNamespace::Uri(u) => (None, u.as_str()),
        XmlNamespace::Full { prefix, uri } => (prefix.as_deref(), uri.as_str()),
    };
    match prefix {
        Some(p) => out.push_str(&format!(" xmlns:{p}=\"")),
        None => out.push_str(" xmlns=\""),
    }
    escape(uri, out);
    out.push('"');
}

/// Text of a scalar value.
pub fn scalar_text(r: &ShapeRef, s: &Shape, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_text(*f),
        Value::String(s) => s.clone(),
        Value::Blob(b) => B64.encode(b),
        Value::Timestamp(ms) => ts_format(r, s).format(*ms),
        Value::Document(d) => d.to_string(),
        Value::List(_) | Value::Map(_) => String::new(),
    }
}

pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        f.to_string()
    }
}

/// Writes a scalar's text, escaped, without an intermediate copy for strings.
fn write_scalar(r: &ShapeRef, s: &Shape, v: &Value, out: &mut String) {
    match v {
        Value::String(text) => escape(text, out),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        other => escape(&scalar_text(r, s, other), out),
    }
}

fn default_ref() -> &'static ShapeRef {
    static DEFAULT: std::sync::OnceLock<ShapeRef> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(ShapeRef::default)
}

/// Writes `<name>value</name>` for the shape `r` refers to.
pub fn write_element(model: &ServiceModel, name: &str, r: &ShapeRef, v: &Value, out: &mut String) {
    let s = model.shape(&r.shape);
    match (s.kind.as_str(), v) {
        ("list", Value::List(items)) => {
            let mr = s.member.as_deref().unwrap_or(default_ref());
            if flattened(r, s) {
                // As botocore reads it: a flattened list's items take the name
                // its member carries (SQS `QueueUrl`, `Message`), else the
                // structure member's.
                let item = mr.location_name.as_deref().unwrap_or(name);
                for v in items {
                    write_element(model, item, mr, v, out);
                }
            } else {
                open(
                    name,
                    r.xml_namespace.as_ref().or(s.xml_namespace.as_ref()),
                    "",
                    out,
                );
                let inner = mr.location_name.as_deref().unwrap_or("member");
                for item in items {
                    write_element(model, inner, mr, item, out);
                }
                close(name, out);
            }
        }
        ("map", Value::Map(m)) => {
            let kr = s.key.as_deref().cloned().unwrap_or_default();
            let vr = s.value.as_deref().cloned().unwrap_or_default();
            let kname = kr.location_name.as_deref().unwrap_or("key");
            let vname = vr.location_name.as_deref().unwrap_or("value");
            let flat = flattened(r, s);
            if !flat {
                open(name, None, "", out);
            }
            for (k, v) in m {
                open(if flat { name } else { "entry" }, None, "", out);
                write_element(model, kname, &kr, &Value::String(k.clone()), out);
                write_element(model, vname, &vr, v, out);
                close(if flat { name } else { "entry" }, out);
            }
            if !flat {
                close(name, out);
            }
        }
        ("structure", Value::Map(m)) => {
            let mut attrs = String::new();
            for (mname, mr) in &s.members {
                if !mr.xml_attribute {
                    continue;
                }
                if let Some(v) = m.get(mname) {
                    let aname = mr.location_name.as_deref().unwrap_or(mname);
                    attrs.push_str(&format!(" {aname}=\""));
                    escape(&scalar_text(mr, model.shape(&mr.shape), v), &mut attrs);
                    attrs.push('"');
                }
            }
            open(
                name,
                r.xml_namespace.as_ref().or(s.xml_namespace.as_ref()),
                &attrs,
                out,
            );
            write_members(model, s, m, out);
            close(name, out);
        }
        (_, v) => {
            open(name, r.xml_namespace.as_ref(), "", out);
            write_scalar(r, s, v, out);
            close(name, out);
        }
    }
}

/// Writes every member element of a structure (attributes and members bound
/// to HTTP locations excluded).
pub fn write_members(
    model: &ServiceModel,
    s: &Shape,
    m: &BTreeMap<String, Value>,
    out: &mut String,
) {
    for (mname, mr) in &s.members {
        if mr.xml_attribute || !in_body(mr, true) {
            continue;
        }
        if let Some(v) = m.get(mname) {
            if v.is_null() {
                continue;
            }
            write_element(model, member_key(mname, mr), mr, v, out);
        }
    }
}

fn open(name: &str, ns: Option<&XmlNamespace>, attrs: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    if let Some(ns) = ns {
        ns_attr(ns, out);
    }
    out.push_str(attrs);
    out.push('>');
}

fn close(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Decodes an element as the shape `r` refers to.
pub fn read_element(model: &ServiceModel, r: &ShapeRef, el: &Element) -> Result<Value, String> {
    let s = model.shape(&r.shape);
    match s.kind.as_str() {
        "structure" => Ok(Value::Map(read_members(model, s, el, false)?)),
        "list" => {
            let mr = s.member.as_deref().unwrap_or(default_ref());
            let inner = mr.location_name.as_deref().unwrap_or("member");
            let items: Result<Vec<_>, _> = el
                .children_named(inner)
                .map(|c| read_element(model, &mr, c))
                .collect();
            Ok(Value::List(items?))
        }
        "map" => read_map_entries(model, s, el.children_named("entry")),
        _ => read_scalar(r, s, &el.text),
    }
}

fn read_map_entries<'a>(
    model: &ServiceModel,
    s: &Shape,
    entries: impl Iterator<Item = &'a Element>,
) -> Result<Value, String> {
    let kr = s.key.as_deref().cloned().unwrap_or_default();
    let vr = s.value.as_deref().cloned().unwrap_or_default();
    let kname = kr.location_name.as_deref().unwrap_or("key");
    let vname = vr.location_name.as_deref().unwrap_or("value");
    let mut out = BTreeMap::new();
    for e in entries {
        let k = e.child(kname).map(|k| k.text.clone()).unwrap_or_default();
        let v = match e.child(vname) {
            Some(v) => read_element(model, &vr, v)?,
            None => Value::Null,
        };
        out.insert(k, v);
    }
    Ok(Value::Map(out))
}

/// Decodes the members of a structure from an element's children and attributes.
/// `output` tells whether the element is a response body, where members
/// bound to the URI or query string of a request are plain body members.
pub fn read_members(
    model: &ServiceModel,
    s: &Shape,
    el: &Element,
    output: bool,
) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for (mname, mr) in &s.members {
        if !in_body(mr, output) {
            continue;
        }
        let ms = model.shape(&mr.shape);
        let key = member_key(mname, mr);
        if mr.xml_attribute {
            if let Some(a) = el.attr(key) {
                out.insert(mname.clone(), read_scalar(mr, ms, a)?);
            }
            continue;
        }
        let v = if ms.kind == "list" && flattened(mr, ms) {
            let ir = ms.member.as_deref().cloned().unwrap_or_default();
            let items: Result<Vec<_>, _> = el
                .children_named(key)
                .map(|c| read_element(model, &ir, c))
                .collect();
            let items = items?;
            if items.is_empty() {
                continue;
            }
            Value::List(items)
        } else if ms.kind == "map" && flattened(mr, ms) {
            let mut it = el.children_named(key).peekable();
            if it.peek().is_none() {
                continue;
            }
            read_map_entries(model, ms, it)?
        } else {
            match el.child(key) {
                Some(c) => read_element(model, mr, c)?,
                None => continue,
            }
        };
        out.insert(mname.clone(), v);
    }
    Ok(out)
}

/// Decodes a scalar from text.
pub fn read_scalar(r: &ShapeRef, s: &Shape, text: &str) -> Result<Value, String> {
    let t = text.trim();
    let bad = |what: &str| format!("'{t}' is not a valid {what}");
    Ok(match s.kind.as_str() {
        "string" => Value::String(text.to_string()),
        "boolean" => match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        "integer" | "long" | "short" | "byte" => Value::Int(t.parse().map_err(|_| bad("integer"))?),
        "float" | "double" => Value::Float(match t {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => t.parse().map_err(|_| bad("number"))?,
        }),
        "blob" => Value::Blob(B64.decode(t).map_err(|_| bad("base64 value"))?),
        "timestamp" => {
            Value::Timestamp(parse_timestamp(t, ts_format(r, s)).ok_or_else(|| bad("timestamp"))?)
        }
        _ => Value::String(text.to_string()),
    })
}
