//! IAM as the server's authorizer and STS's role directory: collects the
//! policies that govern a principal and asks the engine.

use stratus_core::{
    AccessRequest, AssumeRequest, AwsError, Denial, Identity, IdentityKind, RoleDirectory,
    ServiceAccess, SessionGrant,
};

use crate::Iam;
use crate::ops::policies::default_document;
use crate::policy::evaluate::resource_policy_allows;
use crate::policy::{
    Context, Decision, EvalRequest, PolicyDocument, PolicyKind, PolicySet, Principal, evaluate,
};
use crate::state::{Account, LastUsed, Role, Session, User};

fn parse(text: &str) -> Option<PolicyDocument> {
    PolicyDocument::parse(text, PolicyKind::Identity).ok()
}

fn managed_docs(a: &Account, arns: &[String]) -> Vec<PolicyDocument> {
    arns.iter()
        .filter_map(|arn| default_document(a, arn))
        .filter_map(|d| parse(&d))
        .collect()
}

/// The identity policies and boundary of a user (its own and its groups').
pub fn user_policies(a: &Account, u: &User) -> PolicySet {
    let mut docs: Vec<PolicyDocument> = u.inline.values().filter_map(|d| parse(d)).collect();
    docs.extend(managed_docs(a, &u.attached));
    for gname in &u.groups {
        if let Some(gr) = a.groups.get(&gname.to_lowercase()) {
            docs.extend(gr.inline.values().filter_map(|d| parse(d)));
            docs.extend(managed_docs(a, &gr.attached));
        }
    }
    PolicySet {
        identity: docs,
        boundary: u
            .boundary
            .as_ref()
            .map(|b| managed_docs(a, std::slice::from_ref(b))),
        ..Default::default()
    }
}

pub fn role_policies(a: &Account, r: &Role) -> PolicySet {
    let mut docs: Vec<PolicyDocument> = r.inline.values().filter_map(|d| parse(d)).collect();
    docs.extend(managed_docs(a, &r.attached));
    PolicySet {
        identity: docs,
        boundary: r
            .boundary
            .as_ref()
            .map(|b| managed_docs(a, std::slice::from_ref(b))),
        ..Default::default()
    }
}

/// The name at the end of an ARN's path.
fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Global condition keys every request carries.
pub fn base_context(id: &Identity, region: &str, secure: bool, now_ms: i64) -> Context {
    let mut c = Context::new();
    c.set(
        "aws:PrincipalArn",
        id.role_arn.clone().unwrap_or_else(|| id.arn.clone()),
    );
    c.set("aws:PrincipalAccount", id.account_id.clone());
    c.set("aws:userid", id.user_id.clone());
    c.set("aws:RequestedRegion", region);
    c.set("aws:SecureTransport", secure.to_string());
    // Stratus listens on loopback only.
    c.set("aws:SourceIp", "127.0.0.1");
    c.set("aws:CurrentTime", stratus_core::time::iso8601(now_ms));
    c.set("aws:EpochTime", (now_ms / 1000).to_string());
    let kind = match id.kind {
        IdentityKind::Root => "Account",
        IdentityKind::User => "User",
        IdentityKind::AssumedRole => "AssumedRole",
        IdentityKind::FederatedUser => "FederatedUser",
    };
    c.set("aws:PrincipalType", kind);
    if id.kind == IdentityKind::User {
        c.set("aws:username", last_segment(&id.arn));
    }
    if id.expires_ms.is_some() {
        c.set("aws:MultiFactorAuthPresent", "false");
    }
    c
}

fn add_tags(c: &mut Context, tags: &crate::state::Tags) {
    for (k, v) in &tags.0 {
        c.set(&format!("aws:PrincipalTag/{k}"), v.clone());
    }
}

/// Session policies narrow what the session may do; MFA shows in the context.
fn apply_session(
    a: &Account,
    s: &Session,
    set: Option<&mut PolicySet>,
    ctx: &mut Context,
    now_ms: i64,
) {
    if s.mfa {
        ctx.set("aws:MultiFactorAuthPresent", "true");
        ctx.set(
            "aws:MultiFactorAuthAge",
            ((now_ms - s.issued_ms) / 1000).max(0).to_string(),
        );
    }
    ctx.set(
        "aws:TokenIssueTime",
        stratus_core::time::iso8601(s.issued_ms),
    );
    let Some(set) = set else {
        return;
    };
    if s.policy.is_some() || !s.policy_arns.is_empty() || s.federated_by.is_some() {
        let mut docs: Vec<PolicyDocument> = s.policy.iter().filter_map(|p| parse(p)).collect();
        docs.extend(managed_docs(a, &s.policy_arns));
        set.session = Some(docs);
    }
}

fn principal(id: &Identity) -> Principal {
    Principal {
        arn: id.arn.clone(),
        account: id.account_id.clone(),
        role_arn: id.role_arn.clone(),
        service: None,
        federated: None,
    }
}

impl Iam {
    /// The policies that govern `id` and the context keys they bring, or
    /// `None` when the principal no longer exists.
    fn governing(&self, a: &Account, id: &Identity, ctx: &mut Context) -> Option<PolicySet> {
        match id.kind {
            IdentityKind::User => {
                let u = a.users.get(&last_segment(&id.arn).to_lowercase())?;
                add_tags(ctx, &u.tags);
                Some(user_policies(a, u))
            }
            IdentityKind::AssumedRole => {
                let role_arn = id.role_arn.as_deref()?;
                let r = a.roles.get(&last_segment(role_arn).to_lowercase())?;
                add_tags(ctx, &r.tags);
                Some(role_policies(a, r))
            }
            // A federated user has what its federating principal has, as far
            // as the session policies allow (none given: nothing).
            IdentityKind::FederatedUser => {
                let by = a.sessions.get(&id.access_key)?.federated_by.as_deref()?;
                let mut set = if by.ends_with(":root") {
                    let all = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
                    PolicySet {
                        identity: parse(all).into_iter().collect(),
                        ..Default::default()
                    }
                } else {
                    let u = a.users.get(&last_segment(by).to_lowercase())?;
                    user_policies(a, u)
                };
                set.session = Some(Vec::new());
                Some(set)
            }
            IdentityKind::Root => None,
        }
    }

    /// Trust policies act as the resource policy of role ARNs for STS actions.
    fn resource_policies(&self, a: &Account, action: &str, resource: &str) -> Vec<PolicyDocument> {
        if !action.to_ascii_lowercase().starts_with("sts:assumerole") {
            return Vec::new();
        }
        let Some(rest) = resource.split(":role/").nth(1) else {
            return Vec::new();
        };
        a.roles
            .get(&last_segment(rest).to_lowercase())
            .and_then(|r| PolicyDocument::parse(&r.trust, PolicyKind::Trust).ok())
            .into_iter()
            .collect()
    }

    pub fn decide(&self, req: &AccessRequest) -> Result<(), Denial> {
        let id = req.identity;
        if id.kind == IdentityKind::Root {
            return Ok(());
        }
        // AWS answers GetCallerIdentity whatever the policies say.
        if req.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            return Ok(());
        }
        let base = base_context(id, req.region, req.secure_transport, req.now_ms);
        self.state.read(&id.account_id, |a| {
            let mut ctx = base;
            let mut set = self.governing(a, id, &mut ctx);
            if let Some(s) = a
                .sessions
                .get(&id.access_key)
                .filter(|s| s.expires_ms > req.now_ms)
            {
                apply_session(a, s, set.as_mut(), &mut ctx, req.now_ms);
            }
            let p = principal(id);
            for resource in req.resources {
                let decision = match &set {
                    Some(set) => {
                        let mut set = set.clone();
                        set.resource = self.resource_policies(a, req.action, resource);
                        set.resource.extend(
                            req.resource_policies.iter().filter_map(|p| {
                                PolicyDocument::parse(p, PolicyKind::Resource).ok()
                            }),
                        );
                        evaluate(
                            &set,
                            &EvalRequest {
                                action: req.action,
                                resource,
                                principal: &p,
                                context: &ctx,
                            },
                        )
                    }
                    None => Decision::ImplicitDeny(crate::policy::DenySource::Identity),
                };
                if !decision.allowed() {
                    let on = if resource == "*" {
                        String::new()
                    } else {
                        format!(" on resource: {resource}")
                    };
                    return Err(Denial {
                        message: format!(
                            "User: {} is not authorized to perform: {}{on} {}",
                            id.arn,
                            req.action,
                            decision.reason(req.action)
                        ),
                    });
                }
            }
            Ok(())
        })
    }
}

impl stratus_core::Authorizer for Iam {
    fn authenticate(
        &self,
        identity: &Identity,
        service: &str,
        region: &str,
        now_ms: i64,
    ) -> Result<(), AwsError> {
        // Last-use stamps have minute precision, so most requests only read.
        let stamp = LastUsed {
            at_ms: now_ms / 60_000 * 60_000,
            service: service.to_string(),
            region: region.to_string(),
        };
        if identity.kind != IdentityKind::User || identity.expires_ms.is_some() {
            if let Some(role_arn) = &identity.role_arn {
                let name = last_segment(role_arn).to_lowercase();
                let fresh = self.state.read(&identity.account_id, |a| {
                    a.roles
                        .get(&name)
                        .is_some_and(|r| r.last_used.as_ref() == Some(&stamp))
                });
                if !fresh {
                    self.state.touch(&identity.account_id, |a| {
                        if let Some(r) = a.roles.get_mut(&name) {
                            r.last_used = Some(stamp);
                        }
                    });
                }
            }
            return Ok(());
        }
        let key = &identity.access_key;
        let found = self.state.read(&identity.account_id, |a| {
            a.key_owner(key)
                .and_then(|u| u.access_keys.iter().find(|k| k.id == *key))
                .map(|k| (k.active, k.last_used.as_ref() == Some(&stamp)))
        });
        match found {
            // Disabled, or deleted (then no user holds the key).
            Some((false, _)) | None => Err(AwsError::new(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )),
            Some((true, false)) => {
                self.state.touch(&identity.account_id, |a| {
                    let owner = a
                        .users
                        .values_mut()
                        .find(|u| u.access_keys.iter().any(|k| k.id == *key));
                    if let Some(k) =
                        owner.and_then(|u| u.access_keys.iter_mut().find(|k| k.id == *key))
                    {
                        k.last_used = Some(stamp);
                    }
                });
                Ok(())
            }
            Some((true, true)) => Ok(()),
        }
    }

    fn enforcing(&self) -> bool {
        self.enforce
    }

    fn authorize(&self, req: &AccessRequest) -> Result<(), Denial> {
        self.decide(req)
    }

    fn service_allowed(&self, req: &ServiceAccess) -> bool {
        service_allowed(req)
    }
}

/// A service principal has no identity policies: the resource's policies
/// must allow it, and nothing in them deny it.
fn service_allowed(req: &ServiceAccess) -> bool {
    let docs: Vec<PolicyDocument> = req
        .resource_policies
        .iter()
        .filter_map(|p| PolicyDocument::parse(p, PolicyKind::Resource).ok())
        .collect();
    let mut ctx = Context::new();
    ctx.set("aws:SourceArn", req.source_arn);
    ctx.set("aws:SourceAccount", req.source_account);
    ctx.set("aws:PrincipalServiceName", req.service);
    ctx.set("aws:PrincipalIsAWSService", "true");
    ctx.set("aws:RequestedRegion", req.region);
    ctx.set("aws:SecureTransport", "true");
    ctx.set("aws:CurrentTime", stratus_core::time::iso8601(req.now_ms));
    ctx.set("aws:EpochTime", (req.now_ms / 1000).to_string());
    let p = Principal {
        service: Some(req.service.to_string()),
        ..Default::default()
    };
    resource_policy_allows(
        &docs,
        &EvalRequest {
            action: req.action,
            resource: req.resource,
            principal: &p,
            context: &ctx,
        },
    )
}

impl RoleDirectory for Iam {
    fn assume(&self, req: &AssumeRequest) -> Result<Option<String>, AwsError> {
        let role_arn = req.role_arn;
        let account = role_arn.split(':').nth(4).unwrap_or("");
        let name = role_arn
            .split(":role/")
            .nth(1)
            .map(last_segment)
            .unwrap_or("");
        let (role, provider_known) = self.state.read(account, |a| {
            let known = req.web_identity.as_ref().is_some_and(|w| {
                a.oidc_providers.contains_key(&w.provider_arn)
                    || a.saml_providers.contains_key(&w.provider_arn)
            });
            (a.roles.get(&name.to_lowercase()).cloned(), known)
        });
        let denied = || match &req.web_identity {
            Some(_) => AwsError::access_denied(format!("Not authorized to perform {}", req.action)),
            None => AwsError::access_denied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                req.caller.arn
            )),
        };
        let Some(role) = role.filter(|r| r.arn == role_arn) else {
            return if self.enforce {
                Err(denied())
            } else {
                Ok(None)
            };
        };
        if req.duration_seconds > role.max_session as i64 {
            return Err(AwsError::bad_request(
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        if self.enforce {
            let mut ctx = base_context(req.caller, "us-east-1", false, req.now_ms);
            let mut p = principal(req.caller);
            if let Some(w) = &req.web_identity {
                if !provider_known && w.provider_arn.contains(":saml-provider/") {
                    return Err(AwsError::bad_request(
                        "InvalidIdentityToken",
                        "Specified provider doesn't exist.",
                    ));
                }
                if !provider_known {
                    let host = w.provider_arn.split(":oidc-provider/").nth(1).unwrap_or("");
                    return Err(AwsError::bad_request(
                        "InvalidIdentityToken",
                        format!(
                            "No OpenIDConnect provider found in your account for https://{host}"
                        ),
                    ));
                }
                p = Principal {
                    arn: String::new(),
                    account: String::new(),
                    role_arn: None,
                    service: None,
                    federated: Some(w.provider_arn.clone()),
                };
                for (k, v) in &w.claims {
                    ctx.set(k, v.clone());
                }
            }
            let trust =
                PolicyDocument::parse(&role.trust, PolicyKind::Trust).map_err(|_| denied())?;
            let allowed = resource_policy_allows(
                std::slice::from_ref(&trust),
                &EvalRequest {
                    action: req.action,
                    resource: role_arn,
                    principal: &p,
                    context: &ctx,
                },
            );
            if !allowed {
                return Err(denied());
            }
        }
        Ok(Some(role.id))
    }

    fn verify_mfa(
        &self,
        caller: &Identity,
        serial: &str,
        code: &str,
        now_ms: i64,
    ) -> Result<(), AwsError> {
        crate::ops::credentials::verify_mfa(self, &caller.account_id, serial, code, now_ms)
    }

    fn saml_issuer(&self, provider_arn: &str) -> Option<String> {
        let account = provider_arn.split(':').nth(4).unwrap_or("");
        self.state.read(account, |a| {
            let p = a.saml_providers.get(provider_arn)?;
            let root = stratus_protocol::xml::parse(p.metadata.as_bytes()).ok()?;
            root.attr("entityID").map(str::to_string)
        })
    }

    fn session_started(&self, g: SessionGrant) -> Result<(), AwsError> {
        if let Some(p) = &g.policy {
            PolicyDocument::parse(p, PolicyKind::Identity)?;
        }
        self.state.write(&g.account_id, |a| {
            // Sessions that have ended need no memory.
            a.sessions.retain(|_, s| s.expires_ms > g.issued_ms);
            a.sessions.insert(
                g.access_key.clone(),
                Session {
                    policy: g.policy.clone(),
                    policy_arns: g.policy_arns.clone(),
                    mfa: g.mfa,
                    federated_by: g.federated_by.clone(),
                    issued_ms: g.issued_ms,
                    expires_ms: g.expires_ms,
                },
            );
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{AccessKey, Tags};
    use stratus_core::Authorizer;

    const ACCT: &str = "123456789012";

    fn iam_with_user(inline: &str, boundary: Option<&str>) -> (Iam, Identity) {
        let iam = Iam::new(
            stratus_store::Store::ephemeral(),
            stratus_core::Identities::new(ACCT),
            true,
        )
        .unwrap();
        iam.state
            .write(ACCT, |a| {
                let mut inl = std::collections::BTreeMap::new();
                inl.insert("p".to_string(), inline.to_string());
                if let Some(b) = boundary {
                    a.policies.insert(
                        format!("arn:aws:iam::{ACCT}:policy/b"),
                        crate::state::ManagedPolicy {
                            name: "b".into(),
                            path: "/".into(),
                            id: "ANPAEXAMPLE".into(),
                            arn: format!("arn:aws:iam::{ACCT}:policy/b"),
                            created_ms: 0,
                            updated_ms: 0,
                            description: None,
                            default_version: "v1".into(),
                            versions: vec![crate::state::PolicyVersion {
                                id: "v1".into(),
                                document: b.into(),
                                created_ms: 0,
                            }],
                            next_version: 2,
                            tags: Tags::default(),
                        },
                    );
                }
                a.users.insert(
                    "ana".into(),
                    crate::state::User {
                        name: "ana".into(),
                        path: "/".into(),
                        id: "AIDAEXAMPLE".into(),
                        arn: format!("arn:aws:iam::{ACCT}:user/ana"),
                        created_ms: 0,
                        tags: Tags(vec![("team".into(), "blue".into())]),
                        boundary: boundary.map(|_| format!("arn:aws:iam::{ACCT}:policy/b")),
                        inline: inl,
                        attached: Vec::new(),
                        groups: Vec::new(),
                        access_keys: vec![AccessKey {
                            id: "AKIAANA".into(),
                            secret: "s".into(),
                            active: true,
                            created_ms: 0,
                            last_used: None,
                        }],
                        login: None,
                        mfa: Vec::new(),
                        password_last_used_ms: None,
                    },
                );
                Ok(())
            })
            .unwrap();
        let user = iam.state.read(ACCT, |a| a.users["ana"].clone());
        iam.register_keys(ACCT, &user);
        let id = iam.identities.resolve("AKIAANA");
        (iam, id)
    }

    fn ask(
        iam: &Iam,
        id: &Identity,
        action: &str,
        resource: &str,
        policies: &[String],
    ) -> Result<(), Denial> {
        iam.authorize(&AccessRequest {
            identity: id,
            action,
            resources: &[resource.to_string()],
            resource_policies: policies,
            region: "us-east-1",
            secure_transport: false,
            now_ms: 0,
        })
    }

    #[test]
    fn registered_keys_resolve_to_the_user() {
        let (_, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            None,
        );
        assert_eq!(id.arn, format!("arn:aws:iam::{ACCT}:user/ana"));
        assert_eq!(id.kind, IdentityKind::User);
    }

    #[test]
    fn denial_messages() {
        let (iam, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:List*","Resource":"*"}}"#,
            None,
        );
        assert!(ask(&iam, &id, "iam:ListUsers", "*", &[]).is_ok());
        let d = ask(
            &iam,
            &id,
            "iam:CreateUser",
            &format!("arn:aws:iam::{ACCT}:user/bo"),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            d.message,
            format!(
                "User: arn:aws:iam::{ACCT}:user/ana is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCT}:user/bo because no identity-based policy allows the iam:CreateUser action"
            )
        );
        let d = ask(&iam, &id, "sqs:SendMessage", "*", &[]).unwrap_err();
        assert_eq!(
            d.message,
            format!(
                "User: arn:aws:iam::{ACCT}:user/ana is not authorized to perform: sqs:SendMessage because no identity-based policy allows the sqs:SendMessage action"
            )
        );
        // GetCallerIdentity is never denied.
        assert!(ask(&iam, &id, "sts:GetCallerIdentity", "*", &[]).is_ok());
    }

    #[test]
    fn principal_tags_reach_conditions() {
        let (iam, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}/*"}}"#,
            None,
        );
        assert!(ask(&iam, &id, "s3:GetObject", "arn:aws:s3:::blue/k", &[]).is_ok());
        assert!(ask(&iam, &id, "s3:GetObject", "arn:aws:s3:::red/k", &[]).is_err());
    }

    #[test]
    fn resource_policies_from_other_services() {
        let (iam, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}"#,
            None,
        );
        let bucket = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:user/ana"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
        );
        assert!(ask(&iam, &id, "s3:GetObject", "arn:aws:s3:::b/k", &[]).is_err());
        assert!(ask(&iam, &id, "s3:GetObject", "arn:aws:s3:::b/k", &[bucket]).is_ok());
        let deny = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"iam:*","Resource":"*"}}"#;
        let d = ask(&iam, &id, "iam:ListUsers", "*", &[deny.to_string()]).unwrap_err();
        assert!(
            d.message
                .ends_with("with an explicit deny in a resource-based policy"),
            "{}",
            d.message
        );
    }

    fn sns_may_send(policy: &str, topic: &str) -> bool {
        service_allowed(&ServiceAccess {
            service: "sns.amazonaws.com",
            action: "sqs:SendMessage",
            resource: "arn:aws:sqs:us-east-1:123456789012:inbox",
            resource_policies: &[policy.to_string()],
            source_arn: topic,
            source_account: ACCT,
            region: "us-east-1",
            now_ms: 0,
        })
    }

    #[test]
    fn service_principals_need_the_resource_policy() {
        let topic = "arn:aws:sns:us-east-1:123456789012:news";
        let by_service = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:inbox","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:news"}}}}"#;
        assert!(sns_may_send(by_service, topic));
        // The condition names one topic; another topic's deliveries are refused.
        assert!(!sns_may_send(
            by_service,
            "arn:aws:sns:us-east-1:123456789012:other"
        ));
        // Anyone, narrowed to the account by aws:SourceAccount.
        let anyone = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"SQS:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}}"#;
        assert!(sns_may_send(anyone, topic));
        let elsewhere = anyone.replace("123456789012", "210987654321");
        assert!(!sns_may_send(&elsewhere, topic));
        // Another service, or a statement for IAM principals only, is not enough.
        let s3 = by_service.replace("sns.amazonaws.com", "s3.amazonaws.com");
        assert!(!sns_may_send(&s3, topic));
        let user = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ana"},"Action":"sqs:SendMessage","Resource":"*"}}"#;
        assert!(!sns_may_send(user, topic));
        // A deny beside the allow wins.
        let denied = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"},{"Effect":"Deny","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:*","Resource":"*"}]}"#;
        assert!(!sns_may_send(denied, topic));
        assert!(!sns_may_send("not json", topic));
    }

    #[test]
    fn boundaries_apply() {
        let (iam, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            Some(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            ),
        );
        assert!(ask(&iam, &id, "s3:PutObject", "*", &[]).is_ok());
        let d = ask(&iam, &id, "iam:CreateUser", "*", &[]).unwrap_err();
        assert!(
            d.message
                .ends_with("because no permissions boundary allows the iam:CreateUser action")
        );
    }

    #[test]
    fn disabled_and_deleted_keys_are_refused() {
        let (iam, id) = iam_with_user(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            None,
        );
        assert!(iam.authenticate(&id, "sts", "us-east-1", 60_000).is_ok());
        iam.state
            .write(ACCT, |a| {
                a.users.get_mut("ana").unwrap().access_keys[0].active = false;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            iam.authenticate(&id, "sts", "us-east-1", 0)
                .unwrap_err()
                .code,
            "InvalidClientTokenId"
        );
        iam.state
            .write(ACCT, |a| {
                a.users.get_mut("ana").unwrap().access_keys.clear();
                Ok(())
            })
            .unwrap();
        assert_eq!(
            iam.authenticate(&id, "sts", "us-east-1", 0)
                .unwrap_err()
                .code,
            "InvalidClientTokenId"
        );
    }
}
