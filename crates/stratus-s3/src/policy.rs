//! Bucket policies: the validation PutBucketPolicy applies, whether a policy
//! is public, and the anonymous-access decision the website endpoint needs.

use serde_json::Value;

pub use crate::policy_conditions::RequestFacts;

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
    /// No statement applies: denied unless something else grants access.
    Implicit,
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.map(as_list)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// `*` and `?` wildcards, as IAM matches actions and resources.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
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
    p[pi..].iter().all(|&c| c == '*')
}

/// Checks a PutBucketPolicy document; the error is MalformedPolicy's message.
pub fn validate(doc: &str, bucket: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(doc)
        .map_err(|_| "Policies must be valid JSON and the first byte must be '{'".to_string())?;
    let Some(obj) = v.as_object() else {
        return Err("Policies must be valid JSON and the first byte must be '{'".into());
    };
    let Some(stmts) = obj.get("Statement") else {
        return Err("Missing required field Statement".into());
    };
    let stmts = as_list(stmts);
    if stmts.is_empty() {
        return Err("Could not parse the policy: Statement is empty!".into());
    }
    for s in stmts {
        let Some(s) = s.as_object() else {
            return Err("Policy has invalid statement".into());
        };
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            Some(other) => return Err(format!("Invalid effect: {other}")),
            None => return Err("Missing required field Effect".into()),
        }
        if s.get("Principal").is_none() && s.get("NotPrincipal").is_none() {
            return Err("Missing required field Principal".into());
        }
        let actions = strings(s.get("Action").or_else(|| s.get("NotAction")));
        if actions.is_empty() {
            return Err("Missing required field Action".into());
        }
        if actions.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a != "*" && !(a.starts_with("s3:") && a.len() > 3)
        }) {
            return Err("Policy has invalid action".into());
        }
        let resources = strings(s.get("Resource").or_else(|| s.get("NotResource")));
        if resources.is_empty() {
            return Err("Missing required field Resource".into());
        }
        for r in &resources {
            let Some(path) = r.strip_prefix("arn:aws:s3:::") else {
                return Err("Policy has invalid resource".into());
            };
            let b = path.split('/').next().unwrap_or("");
            if !glob(b, bucket) {
                return Err("Policy has invalid resource".into());
            }
        }
    }
    Ok(())
}

fn principal_is_everyone(p: Option<&Value>) -> bool {
    match p {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m
            .get("AWS")
            .is_some_and(|v| as_list(v).iter().any(|x| x.as_str() == Some("*"))),
        _ => false,
    }
}

fn applies(s: &serde_json::Map<String, Value>, action: &str, resource: &str) -> bool {
    let action_hit = |list: Vec<String>| {
        list.iter()
            .any(|a| glob(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    };
    let action_ok = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), _) => action_hit(strings(Some(a))),
        (None, Some(n)) => !action_hit(strings(Some(n))),
        _ => false,
    };
    let res_hit = |list: Vec<String>| list.iter().any(|r| glob(r, resource));
    let resource_ok = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), _) => res_hit(strings(Some(r))),
        (None, Some(n)) => !res_hit(strings(Some(n))),
        _ => false,
    };
    action_ok && resource_ok
}

/// What the policy says about an anonymous caller doing `action` on
/// `resource`; a statement with a `Condition` applies when it holds for `facts`.
pub fn anonymous(doc: &str, action: &str, resource: &str, facts: &RequestFacts) -> Decision {
    let Ok(v) = serde_json::from_str::<Value>(doc) else {
        return Decision::Implicit;
    };
    let mut allowed = false;
    for s in v.get("Statement").map(as_list).unwrap_or_default() {
        let Some(s) = s.as_object() else { continue };
        if !principal_is_everyone(s.get("Principal")) || !applies(s, action, resource) {
            continue;
        }
        if let Some(c) = s.get("Condition") {
            if !crate::policy_conditions::holds(c, facts) {
                continue;
            }
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Decision::Deny,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::Implicit
    }
}

/// A policy is public when it allows anyone (`*`) without a narrowing condition.
pub fn is_public(doc: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(doc) else {
        return false;
    };
    v.get("Statement")
        .map(as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_object())
        .any(|s| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && principal_is_everyone(s.get("Principal"))
                && !s.contains_key("Condition")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> RequestFacts {
        RequestFacts::default()
    }

    #[test]
    fn conditioned_statements_apply_when_they_hold() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*",
             "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
            {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*",
             "Condition":{"StringLike":{"aws:UserAgent":"*bot*"}}}]}"#;
        let local = RequestFacts {
            source_ip: Some("127.0.0.1".parse().unwrap()),
            user_agent: Some("curl/8".into()),
            ..none()
        };
        let r = "arn:aws:s3:::site/a";
        assert_eq!(anonymous(doc, "s3:GetObject", r, &local), Decision::Allow);
        let remote = RequestFacts {
            source_ip: Some("192.0.2.9".parse().unwrap()),
            ..local.clone()
        };
        assert_eq!(
            anonymous(doc, "s3:GetObject", r, &remote),
            Decision::Implicit
        );
        let bot = RequestFacts {
            user_agent: Some("googlebot".into()),
            ..local
        };
        assert_eq!(anonymous(doc, "s3:GetObject", r, &bot), Decision::Deny);
    }

    const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;

    #[test]
    fn globbing() {
        assert!(glob("arn:aws:s3:::site/*", "arn:aws:s3:::site/a/b.html"));
        assert!(!glob("arn:aws:s3:::site/*", "arn:aws:s3:::site2/a"));
        assert!(glob("s3:get*", "s3:getobject"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*", ""));
    }

    #[test]
    fn public_read_allows_get_only() {
        assert_eq!(
            anonymous(
                PUBLIC_READ,
                "s3:GetObject",
                "arn:aws:s3:::site/index.html",
                &none()
            ),
            Decision::Allow
        );
        assert_eq!(
            anonymous(
                PUBLIC_READ,
                "s3:PutObject",
                "arn:aws:s3:::site/index.html",
                &none()
            ),
            Decision::Implicit
        );
        assert_eq!(
            anonymous(
                PUBLIC_READ,
                "s3:GetObject",
                "arn:aws:s3:::other/index.html",
                &none()
            ),
            Decision::Implicit
        );
        assert!(is_public(PUBLIC_READ));
    }

    #[test]
    fn deny_wins() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::site/*"},
            {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/private/*"}]}"#;
        assert_eq!(
            anonymous(doc, "s3:GetObject", "arn:aws:s3:::site/private/x", &none()),
            Decision::Deny
        );
        assert_eq!(
            anonymous(doc, "s3:GetObject", "arn:aws:s3:::site/pub/x", &none()),
            Decision::Allow
        );
    }

    #[test]
    fn validation() {
        assert!(validate(PUBLIC_READ, "site").is_ok());
        assert!(validate("not json", "site").is_err());
        assert!(validate(r#"{"Version":"2012-10-17"}"#, "site").is_err());
        let bad_action = PUBLIC_READ.replace("s3:GetObject", "ec2:RunInstances");
        assert_eq!(
            validate(&bad_action, "site").unwrap_err(),
            "Policy has invalid action"
        );
        assert_eq!(
            validate(PUBLIC_READ, "other").unwrap_err(),
            "Policy has invalid resource"
        );
        let no_principal = PUBLIC_READ.replace(r#""Principal":"*","#, "");
        assert_eq!(
            validate(&no_principal, "site").unwrap_err(),
            "Missing required field Principal"
        );
        let private = PUBLIC_READ.replace(
            r#""Principal":"*""#,
            r#""Principal":{"AWS":"arn:aws:iam::123456789012:root"}"#,
        );
        assert!(!is_public(&private));
    }
}
