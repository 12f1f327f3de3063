//! SimulatePrincipalPolicy and SimulateCustomPolicy: the engine's answers
//! for given actions and resources, without performing anything.

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use crate::Iam;
use crate::generated::*;
use crate::policy::document::Effect;
use crate::policy::evaluate::{applying, missing_keys};
use crate::policy::positions::{self, statement_spans};
use crate::policy::{
    Context, Decision, EvalRequest, PolicyDocument, PolicyKind, PolicySet, Principal, evaluate,
};
use crate::state::Account;

fn docs(list: &[String], kind: PolicyKind) -> Result<Vec<PolicyDocument>, AwsError> {
    list.iter()
        .map(|d| PolicyDocument::parse(d, kind))
        .collect()
}

/// A policy the simulation weighs, with what MatchedStatements says of it.
struct Source {
    /// `SourcePolicyId`: the policy's name, or `PolicyInputList.N`.
    id: String,
    /// `SourcePolicyType`: user, group, role, aws-managed, user-managed, resource, none.
    kind: &'static str,
    text: String,
    doc: PolicyDocument,
}

impl Source {
    fn new(id: String, kind: &'static str, text: String, pk: PolicyKind) -> Option<Source> {
        let doc = PolicyDocument::parse(&text, pk).ok()?;
        Some(Source {
            id,
            kind,
            text,
            doc,
        })
    }

    fn input(list: &str, i: usize, text: &str, pk: PolicyKind) -> Result<Source, AwsError> {
        Ok(Source {
            id: format!("{list}.{}", i + 1),
            kind: "none",
            text: text.to_string(),
            doc: PolicyDocument::parse(text, pk)?,
        })
    }
}

fn inputs(list: &str, texts: &[String], pk: PolicyKind) -> Result<Vec<Source>, AwsError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Source::input(list, i, t, pk))
        .collect()
}

fn managed(a: &Account, arn: &str) -> Option<Source> {
    let kind = if arn.contains(":aws:policy/") {
        "aws-managed"
    } else {
        "user-managed"
    };
    let name = arn.rsplit('/').next().unwrap_or(arn).to_string();
    Source::new(
        name,
        kind,
        super::policies::default_document(a, arn)?,
        PolicyKind::Identity,
    )
}

fn inline_and_attached(
    a: &Account,
    kind: &'static str,
    inline: &std::collections::BTreeMap<String, String>,
    attached: &[String],
    out: &mut Vec<Source>,
) {
    out.extend(
        inline
            .iter()
            .filter_map(|(n, d)| Source::new(n.clone(), kind, d.clone(), PolicyKind::Identity)),
    );
    out.extend(attached.iter().filter_map(|arn| managed(a, arn)));
}

fn context(entries: &Option<Vec<ContextEntry>>) -> Context {
    let mut c = Context::new();
    for e in entries.iter().flatten() {
        if let Some(k) = &e.context_key_name {
            c.set_many(k, e.context_key_values.clone().unwrap_or_default());
        }
    }
    c
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny(_) => "explicitDeny",
        Decision::ImplicitDeny(_) => "implicitDeny",
    }
}

struct Simulation<'a> {
    identity: Vec<Source>,
    resource: Vec<Source>,
    boundary: Option<Vec<Source>>,
    principal: Principal,
    ctx: Context,
    actions: &'a [String],
    resources: Vec<String>,
}

fn docs_of(sources: &[Source]) -> Vec<PolicyDocument> {
    sources.iter().map(|s| s.doc.clone()).collect()
}

/// The statements that decided: the denying ones for an explicit deny, the
/// allowing ones for an allow, none for an implicit deny.
fn matched(s: &Simulation, d: Decision, req: &EvalRequest) -> Vec<Statement> {
    let effect = match d {
        Decision::Allowed => Effect::Allow,
        Decision::ExplicitDeny(_) => Effect::Deny,
        Decision::ImplicitDeny(_) => return Vec::new(),
    };
    let mut sources: Vec<&Source> = s.identity.iter().chain(&s.resource).collect();
    if effect == Effect::Deny {
        sources.extend(s.boundary.iter().flatten());
    }
    let mut out = Vec::new();
    for src in sources {
        let hits = applying(&src.doc, req, effect);
        if hits.is_empty() {
            continue;
        }
        let spans = statement_spans(&src.text);
        for i in hits {
            let span = spans.get(i);
            out.push(Statement {
                source_policy_id: Some(src.id.clone()),
                source_policy_type: Some(src.kind.to_string()),
                start_position: span.map(|(b, _)| position(*b)),
                end_position: span.map(|(_, e)| position(*e)),
            });
        }
    }
    out
}

fn position(p: positions::Position) -> Position {
    Position {
        line: Some(p.line),
        column: Some(p.column),
    }
}

fn run(
    s: Simulation,
    marker: Option<String>,
    max: Option<i32>,
) -> Result<SimulatePolicyResponse, AwsError> {
    let set = PolicySet {
        identity: docs_of(&s.identity),
        resource: docs_of(&s.resource),
        boundary: s.boundary.as_deref().map(docs_of),
        session: None,
    };
    let mut out = Vec::new();
    for action in s.actions {
        for resource in &s.resources {
            let req = EvalRequest {
                action,
                resource,
                principal: &s.principal,
                context: &s.ctx,
            };
            let d = evaluate(&set, &req);
            let boundary = set.boundary.as_ref().map(|b| {
                let only = PolicySet {
                    identity: b.clone(),
                    ..Default::default()
                };
                PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: Some(evaluate(&only, &req).allowed()),
                }
            });
            let mut missing: Vec<String> = Vec::new();
            for doc in set
                .identity
                .iter()
                .chain(&set.resource)
                .chain(set.boundary.iter().flatten())
            {
                for k in missing_keys(doc, &req) {
                    if !missing.iter().any(|m| m.eq_ignore_ascii_case(&k)) {
                        missing.push(k);
                    }
                }
            }
            out.push(EvaluationResult {
                eval_action_name: action.clone(),
                eval_resource_name: Some(resource.clone()),
                eval_decision: decision_name(d).into(),
                matched_statements: Some(matched(&s, d, &req)),
                missing_context_values: Some(missing),
                permissions_boundary_decision_detail: boundary,
                ..Default::default()
            });
        }
    }
    let p = paginate(out, marker, max)?;
    Ok(SimulatePolicyResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        evaluation_results: Some(p.items),
    })
}

/// The policies (identity, and boundary) and principal a source ARN stands for.
type Sourced = (Vec<Source>, Option<Vec<Source>>, Principal, Context);

fn source(a: &Account, arn: &str) -> Result<Sourced, AwsError> {
    let account = arn.split(':').nth(4).unwrap_or("").to_string();
    let name = arn.rsplit('/').next().unwrap_or("");
    let mut ctx = Context::new();
    let p = Principal {
        arn: arn.to_string(),
        account,
        role_arn: None,
        service: None,
        federated: None,
    };
    let boundary = |b: &Option<String>| {
        b.as_ref()
            .map(|arn| managed(a, arn).into_iter().collect::<Vec<_>>())
    };
    let mut identity = Vec::new();
    if arn.contains(":user/") {
        let u = a.user(name)?;
        ctx.set("aws:username", u.name.clone());
        ctx.set("aws:userid", u.id.clone());
        inline_and_attached(a, "user", &u.inline, &u.attached, &mut identity);
        for gname in &u.groups {
            if let Some(gr) = a.groups.get(&gname.to_lowercase()) {
                inline_and_attached(a, "group", &gr.inline, &gr.attached, &mut identity);
            }
        }
        return Ok((identity, boundary(&u.boundary), p, ctx));
    }
    if arn.contains(":role/") {
        let r = a.role(name)?;
        let p = Principal {
            role_arn: Some(r.arn.clone()),
            ..p
        };
        inline_and_attached(a, "role", &r.inline, &r.attached, &mut identity);
        return Ok((identity, boundary(&r.boundary), p, ctx));
    }
    if arn.contains(":group/") {
        let gr = a.group(name)?;
        inline_and_attached(a, "group", &gr.inline, &gr.attached, &mut identity);
        return Ok((identity, None, p, ctx));
    }
    Err(invalid(format!(
        "Invalid Entity Arn: {arn} does not clearly define entity type."
    )))
}

fn resource_source(policy: &Option<String>) -> Result<Vec<Source>, AwsError> {
    policy
        .iter()
        .map(|r| {
            Ok(Source {
                id: "ResourcePolicy".into(),
                kind: "resource",
                text: r.clone(),
                doc: PolicyDocument::parse(r, PolicyKind::Resource)?,
            })
        })
        .collect()
}

pub fn simulate_principal_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: SimulatePrincipalPolicyRequest,
) -> Result<SimulatePolicyResponse, AwsError> {
    let extra = inputs(
        "PolicyInputList",
        i.policy_input_list.as_deref().unwrap_or_default(),
        PolicyKind::Identity,
    )?;
    let given_boundary = match &i.permissions_boundary_policy_input_list {
        Some(b) => Some(inputs(
            "PermissionsBoundaryPolicyInputList",
            b,
            PolicyKind::Identity,
        )?),
        None => None,
    };
    let resource = resource_source(&i.resource_policy)?;
    let (mut identity, boundary, principal, mut c) = iam
        .state
        .read(ctx.account_id(), |a| source(a, &i.policy_source_arn))?;
    identity.extend(extra);
    for e in i.context_entries.iter().flatten() {
        if let Some(k) = &e.context_key_name {
            c.set_many(k, e.context_key_values.clone().unwrap_or_default());
        }
    }
    run(
        Simulation {
            identity,
            resource,
            boundary: given_boundary.or(boundary),
            principal,
            ctx: c,
            actions: &i.action_names,
            resources: i.resource_arns.clone().unwrap_or_else(|| vec!["*".into()]),
        },
        i.marker,
        i.max_items,
    )
}

pub fn simulate_custom_policy(
    _iam: &Iam,
    ctx: &RequestContext,
    i: SimulateCustomPolicyRequest,
) -> Result<SimulatePolicyResponse, AwsError> {
    let identity = inputs(
        "PolicyInputList",
        &i.policy_input_list,
        PolicyKind::Identity,
    )?;
    let boundary = match &i.permissions_boundary_policy_input_list {
        Some(b) => Some(inputs(
            "PermissionsBoundaryPolicyInputList",
            b,
            PolicyKind::Identity,
        )?),
        None => None,
    };
    let caller = i
        .caller_arn
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{}:user/simulated", ctx.account_id()));
    let principal = Principal {
        account: caller.split(':').nth(4).unwrap_or("").to_string(),
        arn: caller,
        role_arn: None,
        service: None,
        federated: None,
    };
    run(
        Simulation {
            identity,
            resource: resource_source(&i.resource_policy)?,
            boundary,
            principal,
            ctx: context(&i.context_entries),
            actions: &i.action_names,
            resources: i.resource_arns.clone().unwrap_or_else(|| vec!["*".into()]),
        },
        i.marker,
        i.max_items,
    )
}

/// Condition keys the documents refer to, each once, in order of appearance.
fn context_keys(docs: &[PolicyDocument]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in docs {
        for s in &d.statements {
            for c in &s.conditions {
                if !out.iter().any(|k| k.eq_ignore_ascii_case(&c.key)) {
                    out.push(c.key.clone());
                }
            }
        }
    }
    out
}

pub fn get_context_keys_for_custom_policy(
    _iam: &Iam,
    _ctx: &RequestContext,
    i: GetContextKeysForCustomPolicyRequest,
) -> Result<GetContextKeysForPolicyResponse, AwsError> {
    let d = docs(&i.policy_input_list, PolicyKind::Identity)?;
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(context_keys(&d)),
    })
}

pub fn get_context_keys_for_principal_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetContextKeysForPrincipalPolicyRequest,
) -> Result<GetContextKeysForPolicyResponse, AwsError> {
    let extra = docs(
        i.policy_input_list.as_deref().unwrap_or_default(),
        PolicyKind::Identity,
    )?;
    let (identity, _, _, _) = iam
        .state
        .read(ctx.account_id(), |a| source(a, &i.policy_source_arn))?;
    let mut all = docs_of(&identity);
    all.extend(extra);
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(context_keys(&all)),
    })
}
