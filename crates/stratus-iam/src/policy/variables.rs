//! The request context (condition keys and their values) and policy variables
//! (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, defaults).

use std::collections::HashMap;

use super::glob::{self, Tok};

/// Condition keys of one request. Keys compare case-insensitively, as in IAM;
/// every key may carry several values (multivalued keys such as aws:TagKeys).
#[derive(Debug, Clone, Default)]
pub struct Context {
    keys: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), values);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// The value of a single-valued key.
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([v]) => Some(v.as_str()),
            _ => None,
        }
    }
}

/// Expands the variables of `template` into a wildcard pattern. Text the
/// policy wrote keeps its wildcards; substituted text is literal. `None` when
/// a variable has no value and no default: such an element matches nothing.
/// Documents of version 2008-10-17 have no variables (`vars` false).
pub fn expand(template: &str, ctx: &Context, vars: bool) -> Option<Vec<Tok>> {
    if !vars || !template.contains("${") {
        return Some(glob::parse(template));
    }
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.extend(glob::parse(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(glob::parse(&rest[start..]));
            return Some(out);
        };
        let inner = &after[..end];
        out.extend(substitute(inner, ctx)?.chars().map(Tok::Lit));
        rest = &after[end + 1..];
    }
    out.extend(glob::parse(rest));
    Some(out)
}

/// The value one `${...}` stands for.
fn substitute(inner: &str, ctx: &Context) -> Option<String> {
    match inner {
        "*" => return Some("*".into()),
        "?" => return Some("?".into()),
        "$" => return Some("$".into()),
        _ => {}
    }
    // `${key, 'default'}`: the default applies when the key is absent.
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (k.trim(), Some(d.to_string()))
        }
        None => (inner.trim(), None),
    };
    match ctx.get(key) {
        Some([v]) => Some(v.clone()),
        _ => default,
    }
}

/// Expands a template into plain text (for operators without wildcards).
pub fn expand_text(template: &str, ctx: &Context, vars: bool) -> Option<String> {
    expand(template, ctx, vars).map(|t| glob::to_text(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new()
            .with("aws:username", "alice")
            .with("aws:PrincipalTag/team", "blue")
    }

    #[test]
    fn substitutes_keys_case_insensitively() {
        let t = expand_text("arn:aws:s3:::bucket/home/${aws:UserName}/*", &ctx(), true);
        assert_eq!(t.as_deref(), Some("arn:aws:s3:::bucket/home/alice/*"));
        let t = expand_text("${aws:principaltag/TEAM}", &ctx(), true);
        assert_eq!(t.as_deref(), Some("blue"));
    }

    #[test]
    fn special_characters_are_literal() {
        let toks = expand("a${*}b*", &ctx(), true).unwrap();
        assert!(glob::matches(&toks, "a*bxyz", false));
        assert!(!glob::matches(&toks, "axbxyz", false));
        assert_eq!(
            expand_text("${$}{x}${?}", &ctx(), true).as_deref(),
            Some("${x}?")
        );
    }

    #[test]
    fn missing_keys_and_defaults() {
        assert!(expand("home/${aws:userid}/*", &ctx(), true).is_none());
        assert_eq!(
            expand_text("${aws:PrincipalTag/dept, 'none'}", &ctx(), true).as_deref(),
            Some("none")
        );
    }

    #[test]
    fn old_versions_have_no_variables() {
        assert_eq!(
            expand_text("home/${aws:username}", &ctx(), false).as_deref(),
            Some("home/${aws:username}")
        );
    }
}
