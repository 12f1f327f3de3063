//! EC2's `Filter` semantics: a resource matches when every filter matches,
//! and a filter matches when any of its values matches any of the
//! resource's values for that name (`*` and `?` are wildcards).

use std::collections::BTreeMap;

use stratus_core::AwsError;

use crate::generated::Filter;

/// Wildcard match: `*` any run, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What a resource offers to filters: its values for each filter name.
pub trait Filterable {
    fn values(&self, name: &str) -> Option<Vec<String>>;
    fn tags(&self) -> &BTreeMap<String, String>;
}

/// Checks filters against a resource; an unknown filter name is an error, as on AWS.
pub fn matches<T: Filterable>(item: &T, filters: &[Filter]) -> Result<bool, AwsError> {
    for f in filters {
        let name = f.name.as_deref().unwrap_or("");
        let wanted = f.values.clone().unwrap_or_default();
        let have: Vec<String> = if let Some(k) = name.strip_prefix("tag:") {
            item.tags().get(k).cloned().into_iter().collect()
        } else if name == "tag-key" {
            item.tags().keys().cloned().collect()
        } else if name == "tag-value" {
            item.tags().values().cloned().collect()
        } else {
            item.values(name).ok_or_else(|| {
                AwsError::bad_request(
                    "InvalidParameterValue",
                    format!("The filter '{name}' is invalid"),
                )
            })?
        };
        if !wanted.iter().any(|w| have.iter().any(|h| glob(w, h))) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("web-*", "web-1"));
        assert!(glob("w?b", "web"));
        assert!(glob("*", ""));
        assert!(!glob("web", "web-1"));
        assert!(glob("*-1*", "web-12"));
    }
}
