//! AWS's evaluation logic for one account: an explicit deny anywhere wins; an
//! allow needs an identity-based (or resource-based) policy, and within a
//! permissions boundary and session policies when those apply; otherwise the
//! request is implicitly denied.

use super::conditions::clause_holds;
use super::document::{Effect, PolicyDocument, PrincipalSpec, Statement};
use super::glob;
use super::variables::{Context, expand};

/// Who is asking, as policies see it.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// The caller's ARN (`...:user/x`, `...:assumed-role/r/s`, `...:root`).
    pub arn: String,
    pub account: String,
    /// For role sessions: the role's ARN, which policies name instead.
    pub role_arn: Option<String>,
    /// For service principals (`ec2.amazonaws.com`).
    pub service: Option<String>,
    /// For web identity federation: the identity provider's ARN.
    pub federated: Option<String>,
}

pub struct EvalRequest<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub principal: &'a Principal,
    pub context: &'a Context,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub identity: Vec<PolicyDocument>,
    pub resource: Vec<PolicyDocument>,
    /// `Some` when the principal has a permissions boundary.
    pub boundary: Option<Vec<PolicyDocument>>,
    /// `Some` for role sessions created with session policies.
    pub session: Option<Vec<PolicyDocument>>,
}

/// Which kind of policy decided a denial; AWS names it in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenySource {
    Identity,
    Resource,
    Boundary,
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny(DenySource),
    ImplicitDeny(DenySource),
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allowed
    }

    /// The reason AWS appends to AccessDenied messages.
    pub fn reason(self, action: &str) -> String {
        let kind = |s: DenySource| match s {
            DenySource::Identity => "identity-based policy",
            DenySource::Resource => "resource-based policy",
            DenySource::Boundary => "permissions boundary",
            DenySource::Session => "session policy",
        };
        match self {
            Decision::Allowed => String::new(),
            Decision::ExplicitDeny(s) => {
                format!("with an explicit deny in {} {}", article(kind(s)), kind(s))
            }
            Decision::ImplicitDeny(s) => {
                format!("because no {} allows the {action} action", kind(s))
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn action_matches(s: &Statement, action: &str) -> bool {
    let any = s.action.items.iter().any(|p| glob::like(p, action, true));
    any != s.action.negated
}

fn resource_matches(s: &Statement, resource: &str, ctx: &Context, vars: bool) -> bool {
    let Some(r) = &s.resource else {
        return true;
    };
    let any = r
        .items
        .iter()
        .any(|p| expand(p, ctx, vars).is_some_and(|toks| glob::matches(&toks, resource, false)));
    any != r.negated
}

fn aws_principal_matches(id: &str, p: &Principal) -> bool {
    if id == "*" {
        return true;
    }
    if id == p.account || id == format!("arn:aws:iam::{}:root", p.account) {
        return true;
    }
    id == p.arn || p.role_arn.as_deref() == Some(id)
}

fn principal_matches(s: &Statement, p: &Principal) -> bool {
    let Some(b) = &s.principal else {
        return true;
    };
    let hit = match &b.items {
        PrincipalSpec::Anyone => true,
        PrincipalSpec::Typed(m) => m.iter().any(|(kind, ids)| match kind.as_str() {
            "AWS" => ids.iter().any(|id| aws_principal_matches(id, p)),
            "Service" => p
                .service
                .as_deref()
                .is_some_and(|svc| ids.iter().any(|i| i == svc)),
            "Federated" => p
                .federated
                .as_deref()
                .is_some_and(|f| ids.iter().any(|i| i == f)),
            _ => false,
        }),
    };
    hit != b.negated
}

fn statement_applies(s: &Statement, req: &EvalRequest, vars: bool) -> bool {
    action_matches(s, req.action)
        && resource_matches(s, req.resource, req.context, vars)
        && principal_matches(s, req.principal)
        && s.conditions
            .iter()
            .all(|c| clause_holds(c, req.context, vars))
}

/// (some statement allows, some statement denies) over a list of documents.
fn scan(docs: &[PolicyDocument], req: &EvalRequest) -> (bool, bool) {
    let (mut allow, mut deny) = (false, false);
    for d in docs {
        let vars = d.has_variables();
        for s in &d.statements {
            if statement_applies(s, req, vars) {
                match s.effect {
                    Effect::Allow => allow = true,
                    Effect::Deny => deny = true,
                }
            }
        }
    }
    (allow, deny)
}

/// Whether a trust or resource policy lets `req.principal` do `req.action`
/// (no identity side: used for AssumeRole's trust check).
pub fn resource_policy_allows(docs: &[PolicyDocument], req: &EvalRequest) -> bool {
    let (allow, deny) = scan(docs, req);
    allow && !deny
}

pub fn evaluate(set: &PolicySet, req: &EvalRequest) -> Decision {
    let (id_allow, id_deny) = scan(&set.identity, req);
    let (res_allow, res_deny) = scan(&set.resource, req);
    let (b_allow, b_deny) = set
        .boundary
        .as_deref()
        .map_or((true, false), |b| scan(b, req));
    let (s_allow, s_deny) = set
        .session
        .as_deref()
        .map_or((true, false), |s| scan(s, req));
    if id_deny {
        return Decision::ExplicitDeny(DenySource::Identity);
    }
    if res_deny {
        return Decision::ExplicitDeny(DenySource::Resource);
    }
    if b_deny {
        return Decision::ExplicitDeny(DenySource::Boundary);
    }
    if s_deny {
        return Decision::ExplicitDeny(DenySource::Session);
    }
    // A resource-based policy naming the principal itself (a user, or a role
    // session by its session ARN) is enough on its own within an account.
    if res_allow && direct_grant(&set.resource, req) {
        return Decision::Allowed;
    }
    if !(id_allow || res_allow) {
        return Decision::ImplicitDeny(DenySource::Identity);
    }
    if !b_allow {
        return Decision::ImplicitDeny(DenySource::Boundary);
    }
    if !s_allow {
        return Decision::ImplicitDeny(DenySource::Session);
    }
    Decision::Allowed
}

/// The indices of the statements of `doc` with `effect` that apply to `req`,
/// conditions included: the statements that decided a simulation.
pub fn applying(doc: &PolicyDocument, req: &EvalRequest, effect: Effect) -> Vec<usize> {
    let vars = doc.has_variables();
    doc.statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.effect == effect && statement_applies(s, req, vars))
        .map(|(i, _)| i)
        .collect()
}

/// Condition keys of statements that match `req`'s action, resource and
/// principal but that the context lacks, so their conditions could not be
/// judged on real values.
pub fn missing_keys(doc: &PolicyDocument, req: &EvalRequest) -> Vec<String> {
    let vars = doc.has_variables();
    let mut out: Vec<String> = Vec::new();
    for s in &doc.statements {
        if !(action_matches(s, req.action)
            && resource_matches(s, req.resource, req.context, vars)
            && principal_matches(s, req.principal))
        {
            continue;
        }
        for c in &s.conditions {
            if req.context.get(&c.key).is_none()
                && !out.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
            {
                out.push(c.key.clone());
            }
        }
    }
    out
}

/// Whether an allowing resource-policy statement names the caller's own ARN.
fn direct_grant(docs: &[PolicyDocument], req: &EvalRequest) -> bool {
    docs.iter().any(|d| {
        let vars = d.has_variables();
        d.statements.iter().any(|s| {
            s.effect == Effect::Allow
                && statement_applies(s, req, vars)
                && matches!(&s.principal, Some(b) if !b.negated && match &b.items {
                    PrincipalSpec::Typed(m) => m.get("AWS").is_some_and(|ids| ids.contains(&req.principal.arn)),
                    PrincipalSpec::Anyone => false,
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::document::PolicyKind;

    fn doc(s: &str) -> PolicyDocument {
        PolicyDocument::parse(s, PolicyKind::Identity).unwrap()
    }

    fn res(s: &str) -> PolicyDocument {
        PolicyDocument::parse(s, PolicyKind::Resource).unwrap()
    }

    fn alice() -> Principal {
        Principal {
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            account: "123456789012".into(),
            ..Default::default()
        }
    }

    fn ctx() -> Context {
        Context::new().with("aws:username", "alice")
    }

    fn decide(set: &PolicySet, action: &str, resource: &str) -> Decision {
        decide_in(set, action, resource, &ctx())
    }

    fn decide_in(set: &PolicySet, action: &str, resource: &str, c: &Context) -> Decision {
        let p = alice();
        evaluate(
            set,
            &EvalRequest {
                action,
                resource,
                principal: &p,
                context: c,
            },
        )
    }

    fn identity(docs: &[&str]) -> PolicySet {
        PolicySet {
            identity: docs.iter().map(|d| doc(d)).collect(),
            ..Default::default()
        }
    }

    const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#;

    #[test]
    fn implicit_deny_without_policies() {
        assert_eq!(
            decide(&PolicySet::default(), "s3:GetObject", "*"),
            Decision::ImplicitDeny(DenySource::Identity)
        );
    }

    #[test]
    fn allow_and_wildcard_actions() {
        let set = identity(&[S3_READ]);
        assert!(decide(&set, "s3:GetObject", "arn:aws:s3:::b/k").allowed());
        assert!(decide(&set, "S3:listbucket", "arn:aws:s3:::b").allowed());
        assert!(!decide(&set, "s3:PutObject", "arn:aws:s3:::b/k").allowed());
    }

    #[test]
    fn explicit_deny_beats_allow() {
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#,
        ]);
        assert_eq!(
            decide(&set, "iam:CreateUser", "*"),
            Decision::ExplicitDeny(DenySource::Identity)
        );
        assert!(decide(&set, "sts:GetCallerIdentity", "*").allowed());
    }

    #[test]
    fn not_action_allows_everything_else() {
        // Docs example: NotAction iam:* with Allow grants all but IAM.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
        ]);
        assert!(decide(&set, "ec2:RunInstances", "*").allowed());
        assert!(!decide(&set, "iam:CreateUser", "*").allowed());
    }

    #[test]
    fn not_resource_with_deny() {
        // Docs example: deny everything outside one bucket.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}"#,
        ]);
        assert!(decide(&set, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x").allowed());
        assert!(!decide(&set, "s3:GetObject", "arn:aws:s3:::Other/x").allowed());
    }

    #[test]
    fn variables_in_resources() {
        // Docs example: each user their own home folder.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#,
        ]);
        assert!(decide(&set, "s3:PutObject", "arn:aws:s3:::bucket/home/alice/a.txt").allowed());
        assert!(!decide(&set, "s3:PutObject", "arn:aws:s3:::bucket/home/bob/a.txt").allowed());
    }

    #[test]
    fn version_2008_leaves_variables_literal() {
        let set = identity(&[
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}"}}"#,
        ]);
        assert!(!decide(&set, "s3:PutObject", "arn:aws:s3:::bucket/alice").allowed());
        assert!(decide(&set, "s3:PutObject", "arn:aws:s3:::bucket/${aws:username}").allowed());
    }

    #[test]
    fn boundary_limits_identity() {
        let mut set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        ]);
        set.boundary = Some(vec![doc(S3_READ)]);
        assert!(decide(&set, "s3:GetObject", "*").allowed());
        assert_eq!(
            decide(&set, "iam:CreateUser", "*"),
            Decision::ImplicitDeny(DenySource::Boundary)
        );
        set.boundary.as_mut().unwrap().push(doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#,
        ));
        assert_eq!(
            decide(&set, "s3:GetObject", "*"),
            Decision::ExplicitDeny(DenySource::Boundary)
        );
    }

    #[test]
    fn boundary_alone_grants_nothing() {
        let set = PolicySet {
            boundary: Some(vec![doc(S3_READ)]),
            ..Default::default()
        };
        assert_eq!(
            decide(&set, "s3:GetObject", "*"),
            Decision::ImplicitDeny(DenySource::Identity)
        );
    }

    #[test]
    fn session_policies_intersect() {
        let mut set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","sqs:*"],"Resource":"*"}}"#,
        ]);
        set.session = Some(vec![doc(S3_READ)]);
        assert!(decide(&set, "s3:GetObject", "*").allowed());
        assert_eq!(
            decide(&set, "sqs:SendMessage", "*"),
            Decision::ImplicitDeny(DenySource::Session)
        );
    }

    #[test]
    fn resource_policies() {
        let set = PolicySet {
            resource: vec![res(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
            )],
            boundary: Some(vec![]),
            ..Default::default()
        };
        // Naming the user directly is enough, even past an empty boundary.
        assert!(decide(&set, "s3:GetObject", "arn:aws:s3:::b/k").allowed());
        assert!(!decide(&set, "s3:PutObject", "arn:aws:s3:::b/k").allowed());
        let deny = PolicySet {
            identity: vec![doc(S3_READ)],
            resource: vec![res(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#,
            )],
            ..Default::default()
        };
        let insecure = ctx().with("aws:SecureTransport", "false");
        assert_eq!(
            decide_in(&deny, "s3:GetObject", "arn:aws:s3:::b/k", &insecure),
            Decision::ExplicitDeny(DenySource::Resource)
        );
        let secure = ctx().with("aws:SecureTransport", "true");
        assert!(decide_in(&deny, "s3:GetObject", "arn:aws:s3:::b/k", &secure).allowed());
    }

    #[test]
    fn account_principals() {
        let docs = vec![res(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}}"#,
        )];
        let p = alice();
        let c = ctx();
        let req = EvalRequest {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b",
            principal: &p,
            context: &c,
        };
        assert!(resource_policy_allows(&docs, &req));
        let other = Principal {
            arn: "arn:aws:iam::111122223333:user/bob".into(),
            account: "111122223333".into(),
            ..Default::default()
        };
        let req = EvalRequest {
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b",
            principal: &other,
            context: &c,
        };
        assert!(!resource_policy_allows(&docs, &req));
    }

    #[test]
    fn conditions_gate_statements() {
        // Docs example: require MFA for sensitive actions.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Deny","Action":["ec2:StopInstances","ec2:TerminateInstances"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#,
        ]);
        assert!(!decide(&set, "ec2:StopInstances", "*").allowed());
        let mfa = ctx().with("aws:MultiFactorAuthPresent", "true");
        assert!(decide_in(&set, "ec2:StopInstances", "*", &mfa).allowed());
        // Docs example: restrict by requested region.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}}}}"#,
        ]);
        assert!(
            decide_in(
                &set,
                "ec2:RunInstances",
                "*",
                &ctx().with("aws:RequestedRegion", "eu-west-1")
            )
            .allowed()
        );
        assert!(
            !decide_in(
                &set,
                "ec2:RunInstances",
                "*",
                &ctx().with("aws:RequestedRegion", "us-east-1")
            )
            .allowed()
        );
    }

    #[test]
    fn principal_tags_as_variables() {
        // Docs example: access resources whose tag matches the principal's tag.
        let set = identity(&[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}}}"#,
        ]);
        let c = ctx()
            .with("aws:PrincipalTag/project", "blue")
            .with("aws:ResourceTag/project", "blue");
        assert!(decide_in(&set, "ec2:StartInstances", "*", &c).allowed());
        let c = ctx()
            .with("aws:PrincipalTag/project", "blue")
            .with("aws:ResourceTag/project", "red");
        assert!(!decide_in(&set, "ec2:StartInstances", "*", &c).allowed());
        // No principal tag: the variable resolves to nothing and the statement fails.
        let c = ctx().with("aws:ResourceTag/project", "blue");
        assert!(!decide_in(&set, "ec2:StartInstances", "*", &c).allowed());
    }

    #[test]
    fn reasons_read_as_aws_writes_them() {
        assert_eq!(
            Decision::ImplicitDeny(DenySource::Identity).reason("iam:CreateUser"),
            "because no identity-based policy allows the iam:CreateUser action"
        );
        assert_eq!(
            Decision::ExplicitDeny(DenySource::Identity).reason("iam:CreateUser"),
            "with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            Decision::ExplicitDeny(DenySource::Boundary).reason("x"),
            "with an explicit deny in a permissions boundary"
        );
    }
}
