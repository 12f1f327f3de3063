//! Policy documents: parsing and validation with AWS's MalformedPolicyDocument
//! reasons.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as Json;
use stratus_core::AwsError;

use super::conditions::{Operator, parse_operator};

/// Where a document is used; it decides which elements are required or banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Managed and inline policies, boundaries, session policies: no Principal.
    Identity,
    /// A role's trust policy: Principal required, no Resource.
    Trust,
    /// Bucket, queue, topic policies: Principal required.
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Action / NotAction, Resource / NotResource and Principal / NotPrincipal all
/// have a plain and a negated form.
#[derive(Debug, Clone, PartialEq)]
pub struct Block<T> {
    pub negated: bool,
    pub items: T,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalSpec {
    /// `"Principal": "*"`
    Anyone,
    /// Principal type (AWS, Service, Federated, CanonicalUser) -> identifiers.
    Typed(BTreeMap<String, Vec<String>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConditionClause {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: Block<Vec<String>>,
    pub resource: Option<Block<Vec<String>>>,
    pub principal: Option<Block<PrincipalSpec>>,
    pub conditions: Vec<ConditionClause>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Whether policy variables are expanded (only from 2012-10-17 on).
    pub fn has_variables(&self) -> bool {
        self.version.as_deref() == Some("2012-10-17")
    }

    /// Parses and validates a document as AWS does when it is stored.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<PolicyDocument, AwsError> {
        let json: Json = serde_json::from_str(text).map_err(|_| syntax())?;
        parse_json(&json, kind)
    }
}

pub fn malformed(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("MalformedPolicyDocument", msg)
}

fn syntax() -> AwsError {
    malformed("Syntax errors in policy.")
}

fn strings(v: &Json) -> Result<Vec<String>, AwsError> {
    match v {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(a) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(syntax))
            .collect(),
        _ => Err(syntax()),
    }
}

/// Condition values may be strings, numbers or booleans (compared as text).
fn condition_values(v: &Json) -> Result<Vec<String>, AwsError> {
    let one = |x: &Json| match x {
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(syntax()),
    };
    match v {
        Json::Array(a) => a.iter().map(one).collect(),
        x => Ok(vec![one(x)?]),
    }
}

const TOP: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

fn parse_json(json: &Json, kind: PolicyKind) -> Result<PolicyDocument, AwsError> {
    let obj = json.as_object().ok_or_else(syntax)?;
    if obj.keys().any(|k| !TOP.contains(&k.as_str())) {
        return Err(syntax());
    }
    let version = match obj.get("Version") {
        None => None,
        Some(Json::String(v)) if v == "2012-10-17" || v == "2008-10-17" => Some(v.clone()),
        Some(_) => return Err(syntax()),
    };
    let id = match obj.get("Id") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(syntax()),
    };
    let raw: Vec<&Json> = match obj.get("Statement") {
        Some(Json::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(s @ Json::Object(_)) => vec![s],
        _ => return Err(syntax()),
    };
    let mut statements = Vec::with_capacity(raw.len());
    for s in &raw {
        statements.push(parse_statement(s)?);
    }
    check_semantics(&statements, kind)?;
    Ok(PolicyDocument {
        version,
        id,
        statements,
    })
}

/// Either of a pair of exclusive elements (`Action`/`NotAction`, ...).
fn pair<'a>(
    o: &'a serde_json::Map<String, Json>,
    plain: &str,
    negated: &str,
) -> Result<Option<(bool, &'a Json)>, AwsError> {
    match (o.get(plain), o.get(negated)) {
        (Some(_), Some(_)) => Err(syntax()),
        (Some(v), None) => Ok(Some((false, v))),
        (None, Some(v)) => Ok(Some((true, v))),
        (None, None) => Ok(None),
    }
}

fn parse_principal(v: &Json) -> Result<PrincipalSpec, AwsError> {
    match v {
        Json::String(s) if s == "*" => Ok(PrincipalSpec::Anyone),
        Json::Object(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                if !matches!(
                    k.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(malformed(format!("Invalid principal in policy: \"{k}\"")));
                }
                out.insert(k.clone(), strings(v)?);
            }
            Ok(PrincipalSpec::Typed(out))
        }
        _ => Err(syntax()),
    }
}

fn parse_statement(s: &Json) -> Result<Statement, AwsError> {
    let o = s.as_object().ok_or_else(syntax)?;
    if o.keys().any(|k| !STATEMENT.contains(&k.as_str())) {
        return Err(syntax());
    }
    let effect = match o.get("Effect") {
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        // AWS takes other casings as syntax but fails them in its legacy parser.
        Some(Json::String(e))
            if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") =>
        {
            return Err(malformed("The policy failed legacy parsing"));
        }
        _ => return Err(syntax()),
    };
    let sid = match o.get("Sid") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(syntax()),
    };
    let action = match pair(o, "Action", "NotAction")? {
        Some((negated, v)) => Block {
            negated,
            items: strings(v)?,
        },
        None => Block {
            negated: false,
            items: Vec::new(),
        },
    };
    let resource = match pair(o, "Resource", "NotResource")? {
        Some((negated, v)) => Some(Block {
            negated,
            items: strings(v)?,
        }),
        None => None,
    };
    let principal = match pair(o, "Principal", "NotPrincipal")? {
        Some((negated, v)) => Some(Block {
            negated,
            items: parse_principal(v)?,
        }),
        None => None,
    };
    let mut conditions = Vec::new();
    if let Some(c) = o.get("Condition") {
        let ops = c.as_object().ok_or_else(syntax)?;
        for (op_name, keys) in ops {
            let keys = keys.as_object().ok_or_else(syntax)?;
            let operator = parse_operator(op_name)
                .ok_or_else(|| malformed(format!("Invalid Condition type : {op_name}")))?;
            for (key, vals) in keys {
                conditions.push(ConditionClause {
                    operator: operator.clone(),
                    key: key.clone(),
                    values: condition_values(vals)?,
                });
            }
        }
    }
    Ok(Statement {
        sid,
        effect,
        action,
        resource,
        principal,
        conditions,
    })
}

fn check_action(a: &str) -> Result<(), AwsError> {
    if a == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = a.split(':').collect();
    if parts.len() == 1 {
        return Err(malformed(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ));
    }
    if parts.len() > 2 {
        return Err(malformed("Actions/Condition can contain only one colon."));
    }
    let vendor = parts[0];
    if vendor.is_empty()
        || !vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(malformed(format!("Vendor {vendor} is not valid")));
    }
    Ok(())
}

fn check_resource(r: &str) -> Result<(), AwsError> {
    if r == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    if parts.len() < 2 || parts[0] != "arn" {
        return Err(malformed(format!(
            "Resource {r} must be in ARN format or \"*\"."
        )));
    }
    if !matches!(parts[1], "aws" | "aws-cn" | "aws-us-gov" | "*") {
        return Err(malformed(format!(
            "Partition \"{}\" is not valid for resource \"{r}\".",
            parts[1]
        )));
    }
    if parts.len() < 6 {
        return Err(malformed(format!(
            "Resource {r} must be in ARN format or \"*\"."
        )));
    }
    if parts[2] == "iam" && !parts[3].is_empty() {
        return Err(malformed(format!(
            "IAM resource {r} cannot contain region information."
        )));
    }
    if parts[2] == "s3" && !parts[3].is_empty() {
        return Err(malformed(format!(
            "Resource {r} can not contain region information."
        )));
    }
    Ok(())
}

fn check_semantics(statements: &[Statement], kind: PolicyKind) -> Result<(), AwsError> {
    let mut sids = HashSet::new();
    for s in statements {
        if let Some(sid) = s.sid.as_deref().filter(|s| !s.is_empty())
            && !sids.insert(sid)
        {
            return Err(malformed(
                "Statement IDs (SID) in a single policy must be unique.",
            ));
        }
    }
    for s in statements {
        if s.action.items.is_empty() {
            return Err(malformed("Policy statement must contain actions."));
        }
        match kind {
            PolicyKind::Identity => {
                if s.principal.is_some() {
                    return Err(malformed("Policy document should not specify a principal."));
                }
                if s.resource.as_ref().is_none_or(|r| r.items.is_empty()) {
                    return Err(malformed("Policy statement must contain resources."));
                }
            }
            PolicyKind::Trust => {
                if s.principal.is_none() {
                    return Err(malformed("Missing required field Principal"));
                }
                if s.resource.is_some() {
                    return Err(malformed("Has prohibited field Resource"));
                }
            }
            PolicyKind::Resource => {
                if s.principal.is_none() {
                    return Err(malformed("Missing required field Principal"));
                }
                if s.resource.as_ref().is_none_or(|r| r.items.is_empty()) {
                    return Err(malformed("Policy statement must contain resources."));
                }
            }
        }
        for a in &s.action.items {
            check_action(a)?;
        }
        if let Some(r) = &s.resource {
            for x in &r.items {
                check_resource(x)?;
            }
        }
        if kind == PolicyKind::Trust {
            for a in &s.action.items {
                if !(a == "*" || a.to_ascii_lowercase().starts_with("sts:")) {
                    return Err(malformed(
                        "AssumeRole policy may only specify STS AssumeRole actions.",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The size AWS counts against quotas: the document without whitespace.
pub fn packed_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(doc: &str, kind: PolicyKind) -> String {
        PolicyDocument::parse(doc, kind).unwrap_err().message
    }

    #[test]
    fn parses_single_statement_object() {
        let d = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(d.statements.len(), 1);
        assert_eq!(d.statements[0].effect, Effect::Allow);
        assert!(d.has_variables());
    }

    #[test]
    fn syntax_errors() {
        use PolicyKind::Identity as I;
        assert_eq!(
            err("This is not a json document", I),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(r#"{"Version":"2012-10-17"}"#, I),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(r#"{"Version":"2012-10-17","Statement":[]}"#, I),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}}"#,
                I
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}}"#,
                I
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
                I
            ),
            "Syntax errors in policy."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Permit","Action":"s3:*","Resource":"*"}}"#,
                I
            ),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn semantic_errors() {
        use PolicyKind::Identity as I;
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#,
                I
            ),
            "The policy failed legacy parsing"
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
                I
            ),
            "Policy statement must contain actions."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
                I
            ),
            "Policy statement must contain resources."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
                I
            ),
            "Statement IDs (SID) in a single policy must be unique."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid","Resource":"*"}}"#,
                I
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:a:b","Resource":"*"}}"#,
                I
            ),
            "Actions/Condition can contain only one colon."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s 3:x","Resource":"*"}}"#,
                I
            ),
            "Vendor s 3 is not valid"
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"bucket"}}"#,
                I
            ),
            "Resource bucket must be in ARN format or \"*\"."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:x","Resource":"arn:aws:iam:us-east-1::user/x"}}"#,
                I
            ),
            "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:x","Resource":"*"}}"#,
                I
            ),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}}"#,
                I
            ),
            "Invalid Condition type : StringEqualz"
        );
    }

    #[test]
    fn trust_policies() {
        use PolicyKind::Trust as T;
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(PolicyDocument::parse(ok, T).is_ok());
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                T
            ),
            "Missing required field Principal"
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
                T
            ),
            "Has prohibited field Resource"
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}"#,
                T
            ),
            "AssumeRole policy may only specify STS AssumeRole actions."
        );
    }

    #[test]
    fn conditions_take_scalars() {
        let d = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":[10,"20"]}}}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        let c = &d.statements[0].conditions;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].values, vec!["false"]);
        assert_eq!(c[1].values, vec!["10", "20"]);
    }

    #[test]
    fn packed_length_ignores_whitespace() {
        assert_eq!(packed_len("{ \"a\" :\n 1 }"), 7);
    }
}
