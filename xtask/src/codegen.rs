//! `cargo xtask codegen`: typed input and output structs, a handler trait and
//! a dispatcher for the operations each service crate implements.
//!
//! A service crate lists its model name and operations in `operations.txt`
//! (`service NAME` on the first line, then one operation per line); the
//! generated code goes to its `src/generated.rs`. Only what is listed is
//! generated, so build time follows what we implement, not AWS's size.
//! A `# no-codegen` line opts a crate out (its operations still count for
//! coverage).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use stratus_protocol::model::{self, ServiceModel, Shape};

use crate::{Context, Result, sorted_entries, workspace_root, write_if_changed};

/// The `operations.txt` line that keeps a crate out of code generation.
pub const NO_CODEGEN: &str = "# no-codegen";

pub fn run(_args: &[String]) -> Result<()> {
    let crates = workspace_root().join("crates");
    let mut n = 0;
    for dir in sorted_entries(&crates)? {
        let list = dir.join("operations.txt");
        if !list.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&list).context(|| list.display().to_string())?;
        // Crates whose wire format comes from elsewhere (S3 through s3s) list
        // their operations for coverage only.
        if text.lines().any(|l| l.trim() == NO_CODEGEN) {
            continue;
        }
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let service = lines
            .next()
            .and_then(|l| l.strip_prefix("service "))
            .ok_or_else(|| format!("{}: first line must be `service NAME`", list.display()))?
            .trim();
        let ops: Vec<&str> = lines.collect();
        let m = model::load(service).ok_or_else(|| format!("no model named {service}"))?;
        let code = generate(&m, &ops)?;
        if write_if_changed(&dir.join("src/generated.rs"), code.as_bytes())? {
            println!("wrote {}", dir.join("src/generated.rs").display());
        }
        n += 1;
    }
    println!("codegen: {n} service crates");
    Ok(())
}

const RESERVED_TYPES: &[&str] = &[
    "String",
    "Option",
    "Result",
    "Vec",
    "Box",
    "Value",
    "Error",
    "Blob",
    "Timestamp",
    "Self",
    "BTreeMap",
];

fn type_name(shape: &str) -> String {
    let mut s: String = shape
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if RESERVED_TYPES.contains(&s.as_str()) || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "Shape");
    }
    s
}

pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "static", "struct", "super", "trait", "true", "type",
        "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
        "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        out.insert_str(0, "r#");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

struct Gen<'a> {
    model: &'a ServiceModel,
    structs: BTreeSet<String>,
}

impl<'a> Gen<'a> {
    fn shape(&self, name: &str) -> &'a Shape {
        self.model.shape(name)
    }

    fn collect(&mut self, name: &str) {
        let s = self.shape(name);
        match s.kind.as_str() {
            "structure" if !s.document => {
                if !self.structs.insert(name.to_string()) {
                    return;
                }
                let targets: Vec<String> = s.members.values().map(|m| m.shape.clone()).collect();
                for t in targets {
                    self.collect(&t);
                }
            }
            "list" => {
                if let Some(m) = s.member.clone() {
                    self.collect(&m.shape);
                }
            }
            "map" => {
                if let Some(v) = s.value.clone() {
                    self.collect(&v.shape);
                }
            }
            _ => {}
        }
    }

    /// Structures reachable from `name` without passing through a list or map.
    fn reaches(&self, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
        if !seen.insert(from.to_string()) {
            return false;
        }
        let s = self.shape(from);
        s.kind == "structure"
            && s.members.values().any(|m| {
                let t = self.shape(&m.shape);
                t.kind == "structure" && (m.shape == to || self.reaches(&m.shape, to, seen))
            })
    }

    fn rust_type(&self, name: &str) -> String {
        let s = self.shape(name);
        match s.kind.as_str() {
            "string" | "bigdecimal" | "biginteger" => "String".into(),
            "boolean" => "bool".into(),
            "integer" | "short" | "byte" => "i32".into(),
            "long" => "i64".into(),
            "float" | "double" => "f64".into(),
            "blob" => "Blob".into(),
            "timestamp" => "Timestamp".into(),
            "structure" if s.document => "serde_json::Value".into(),
            "structure" => type_name(name),
            "list" => format!(
                "Vec<{}>",
                self.rust_type(
                    &s.member
                        .as_ref()
                        .map(|m| m.shape.clone())
                        .unwrap_or_default()
                )
            ),
            "map" => format!(
                "BTreeMap<String, {}>",
                self.rust_type(
                    &s.value
                        .as_ref()
                        .map(|m| m.shape.clone())
                        .unwrap_or_default()
                )
            ),
            _ => "serde_json::Value".into(),
        }
    }

    fn structure(&self, name: &str, out: &mut String) {
        let s = self.shape(name);
        let ty = type_name(name);
        let _ = writeln!(
            out,
            "#[derive(Debug, Clone, Default, PartialEq)]\npub struct {ty} {{"
        );
        let mut fields = Vec::new();
        for (mname, mr) in &s.members {
            let mut t = self.rust_type(&mr.shape);
            let boxed = self.shape(&mr.shape).kind == "structure"
                && !self.shape(&mr.shape).document
                && (mr.shape == name || self.reaches(&mr.shape, name, &mut BTreeSet::new()));
            if boxed {
                t = format!("Box<{t}>");
            }
            let required = s.required.iter().any(|r| r == mname);
            let field = snake(mname);
            let full = if required {
                t.clone()
            } else {
                format!("Option<{t}>")
            };
            let _ = writeln!(out, "    pub {field}: {full},");
            fields.push((mname.clone(), field, required));
        }
        out.push_str("}\n\n");
        let _ = writeln!(
            out,
            "impl FromValue for {ty} {{\n    fn from_value(v: Value) -> Result<Self, AwsError> {{"
        );
        if fields.is_empty() {
            out.push_str("        let _ = members(v)?;\n        Ok(Self {})\n    }\n}\n\n");
        } else {
            out.push_str("        let mut m = members(v)?;\n        Ok(Self {\n");
            for (mname, field, required) in &fields {
                if *required {
                    let _ = writeln!(out, "            {field}: required(&mut m, \"{mname}\")?,");
                } else {
                    let _ = writeln!(out, "            {field}: take(&mut m, \"{mname}\")?,");
                }
            }
            out.push_str("        })\n    }\n}\n\n");
        }
        let _ = writeln!(
            out,
            "impl ToValue for {ty} {{\n    fn to_value(self) -> Value {{"
        );
        if fields.is_empty() {
            out.push_str("        Value::map()\n    }\n}\n\n");
        } else {
            out.push_str("        let mut m = BTreeMap::new();\n");
            for (mname, field, required) in &fields {
                if *required {
                    let _ = writeln!(out, "        put(&mut m, \"{mname}\", Some(self.{field}));");
                } else {
                    let _ = writeln!(out, "        put(&mut m, \"{mname}\", self.{field});");
                }
            }
            out.push_str("        Value::Map(m)\n    }\n}\n\n");
        }
    }

    /// `Emit` for an output structure: each present member by its index in
    /// the model's member order (see `stratus_protocol::emit`).
    fn emit_impl(&self, name: &str, out: &mut String) {
        let s = self.shape(name);
        let ty = type_name(name);
        let _ = writeln!(
            out,
            "impl __emit::Emit for {ty} {{\n    fn emit(&self, e: &mut dyn __emit::Emitter) {{\n        e.begin_structure();"
        );
        for (i, mname) in s.members.keys().enumerate() {
            let field = snake(mname);
            let how = if s.required.iter().any(|r| r == mname) {
                "required"
            } else {
                "member"
            };
            let _ = writeln!(out, "        __emit::{how}(e, {i}, &self.{field});");
        }
        out.push_str("        e.end_structure();\n    }\n}\n\n");
    }
}

fn generate(m: &ServiceModel, ops: &[&str]) -> Result<String> {
    let mut g = Gen {
        model: m,
        structs: BTreeSet::new(),
    };
    // Outputs also walk themselves into the fast encoders: only the
    // structures they reach get that code.
    let mut outputs = Gen {
        model: m,
        structs: BTreeSet::new(),
    };
    let mut sigs = BTreeMap::new();
    for op in ops {
        let o = m
            .operation(op)
            .ok_or_else(|| format!("{}: no operation {op}", m.name))?;
        let input = o.input.as_ref().map(|r| r.shape.clone());
        let output = o.output.as_ref().map(|r| r.shape.clone());
        for s in input.iter().chain(output.iter()) {
            g.collect(s);
        }
        if let Some(s) = &output {
            outputs.collect(s);
        }
        sigs.insert(op.to_string(), (input, output));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by cargo xtask codegen from the {} model. Do not edit.\n\
         #![allow(clippy::all, unused_imports, non_camel_case_types, dead_code)]\n\n\
         use std::collections::BTreeMap;\n\n\
         use stratus_core::{{AwsError, RequestContext}};\n\
         use stratus_protocol::emit as __emit;\n\
         use stratus_protocol::value::{{members, put, required, take}};\n\
         use stratus_protocol::{{Blob, FromValue, HandlerFuture, Timestamp, ToValue, Value}};\n",
        m.name
    );
    let _ = writeln!(
        out,
        "/// The operations this crate implements.\npub const OPERATIONS: &[&str] = &["
    );
    for op in sigs.keys() {
        let _ = writeln!(out, "    \"{op}\",");
    }
    out.push_str("];\n\n");
    for s in &g.structs {
        g.structure(s, &mut out);
        if outputs.structs.contains(s) {
            g.emit_impl(s, &mut out);
        }
    }
    out.push_str("/// One method per implemented operation.\npub trait Handlers: Send + Sync {\n");
    for (op, (input, output)) in &sigs {
        let i = input
            .as_deref()
            .map(type_name)
            .unwrap_or_else(|| "()".into());
        let o = output
            .as_deref()
            .map(type_name)
            .unwrap_or_else(|| "()".into());
        let _ = writeln!(
            out,
            "    fn {}(&self, ctx: &RequestContext, input: {i}) -> impl Future<Output = Result<{o}, AwsError>> + Send;",
            snake(op)
        );
    }
    out.push_str("}\n\n");
    out.push_str(
        "/// Runs `operation` on `h` with a decoded input.\n\
         pub fn dispatch<'a, H: Handlers>(\n    h: &'a H,\n    ctx: &'a RequestContext,\n    operation: &'a str,\n    input: Value,\n) -> HandlerFuture<'a> {\n    Box::pin(async move {\n        match operation {\n",
    );
    for op in sigs.keys() {
        let _ = writeln!(
            out,
            "            \"{op}\" => h.{}(ctx, FromValue::from_value(input)?).await.map(|o| Box::new(o) as Box<dyn __emit::Reply>),",
            snake(op)
        );
    }
    let _ = writeln!(
        out,
        "            other => Err(AwsError::not_implemented(\"{}\", other)),\n        }}\n    }})\n}}",
        m.name
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::snake;

    #[test]
    fn snake_case() {
        assert_eq!(snake("RoleArn"), "role_arn");
        assert_eq!(snake("SAMLAssertion"), "saml_assertion");
        assert_eq!(snake("DurationSeconds"), "duration_seconds");
        assert_eq!(snake("Type"), "r#type");
        assert_eq!(snake("PolicyArns"), "policy_arns");
        assert_eq!(snake("TokenCode"), "token_code");
        assert_eq!(snake("SerialNumber"), "serial_number");
        assert_eq!(snake("Ipv6CidrBlock"), "ipv6_cidr_block");
    }
}
