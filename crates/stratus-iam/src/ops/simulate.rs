//! SimulatePrincipalPolicy and SimulateCustomPolicy: the engine's answers
//! for given actions and resources, without performing anything.

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use crate::Iam;
use crate::authz::{role_policies, user_policies};
use crate::generated::*;
use crate::policy::{
    Context, Decision, EvalRequest, PolicyDocument, PolicyKind, PolicySet, Principal, evaluate,
};
use crate::state::Account;

fn docs(list: &[String], kind: PolicyKind) -> Result<Vec<PolicyDocument>, AwsError> {
    list.iter()
        .map(|d| PolicyDocument::parse(d, kind))
        .collect()
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
    set: PolicySet,
    principal: Principal,
    ctx: Context,
    actions: &'a [String],
    resources: Vec<String>,
}

fn run(
    s: Simulation,
    marker: Option<String>,
    max: Option<i32>,
) -> Result<SimulatePolicyResponse, AwsError> {
    let mut out = Vec::new();
    for action in s.actions {
        for resource in &s.resources {
            let req = EvalRequest {
                action,
                resource,
                principal: &s.principal,
                context: &s.ctx,
            };
            let d = evaluate(&s.set, &req);
            let boundary = s.set.boundary.as_ref().map(|b| {
                let only = PolicySet {
                    identity: b.clone(),
                    ..Default::default()
                };
                PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: Some(evaluate(&only, &req).allowed()),
                }
            });
            out.push(EvaluationResult {
                eval_action_name: action.clone(),
                eval_resource_name: Some(resource.clone()),
                eval_decision: decision_name(d).into(),
                matched_statements: Some(Vec::new()),
                missing_context_values: Some(Vec::new()),
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

/// The policies and principal a source ARN stands for.
fn source(a: &Account, arn: &str) -> Result<(PolicySet, Principal, Context), AwsError> {
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
    if arn.contains(":user/") {
        let u = a.user(name)?;
        ctx.set("aws:username", u.name.clone());
        ctx.set("aws:userid", u.id.clone());
        return Ok((user_policies(a, u), p, ctx));
    }
    if arn.contains(":role/") {
        let r = a.role(name)?;
        let p = Principal {
            role_arn: Some(r.arn.clone()),
            ..p
        };
        return Ok((role_policies(a, r), p, ctx));
    }
    if arn.contains(":group/") {
        let gr = a.group(name)?;
        let mut docs: Vec<PolicyDocument> = gr
            .inline
            .values()
            .filter_map(|d| PolicyDocument::parse(d, PolicyKind::Identity).ok())
            .collect();
        for pa in &gr.attached {
            if let Some(d) = super::policies::default_document(a, pa) {
                docs.extend(PolicyDocument::parse(&d, PolicyKind::Identity).ok());
            }
        }
        return Ok((
            PolicySet {
                identity: docs,
                ..Default::default()
            },
            p,
            ctx,
        ));
    }
    Err(invalid(format!(
        "Invalid Entity Arn: {arn} does not clearly define entity type."
    )))
}

pub fn simulate_principal_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: SimulatePrincipalPolicyRequest,
) -> Result<SimulatePolicyResponse, AwsError> {
    let extra = docs(
        i.policy_input_list.as_deref().unwrap_or_default(),
        PolicyKind::Identity,
    )?;
    let boundary = match &i.permissions_boundary_policy_input_list {
        Some(b) => Some(docs(b, PolicyKind::Identity)?),
        None => None,
    };
    let resource_policy = match &i.resource_policy {
        Some(r) => vec![PolicyDocument::parse(r, PolicyKind::Resource)?],
        None => Vec::new(),
    };
    let (mut set, principal, mut c) = iam
        .state
        .read(ctx.account_id(), |a| source(a, &i.policy_source_arn))?;
    set.identity.extend(extra);
    if boundary.is_some() {
        set.boundary = boundary;
    }
    set.resource = resource_policy;
    for e in i.context_entries.iter().flatten() {
        if let Some(k) = &e.context_key_name {
            c.set_many(k, e.context_key_values.clone().unwrap_or_default());
        }
    }
    run(
        Simulation {
            set,
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
    let set = PolicySet {
        identity: docs(&i.policy_input_list, PolicyKind::Identity)?,
        boundary: match &i.permissions_boundary_policy_input_list {
            Some(b) => Some(docs(b, PolicyKind::Identity)?),
            None => None,
        },
        resource: match &i.resource_policy {
            Some(r) => vec![PolicyDocument::parse(r, PolicyKind::Resource)?],
            None => Vec::new(),
        },
        session: None,
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
            set,
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
    let (set, _, _) = iam
        .state
        .read(ctx.account_id(), |a| source(a, &i.policy_source_arn))?;
    let mut all = set.identity;
    all.extend(extra);
    Ok(GetContextKeysForPolicyResponse {
        context_key_names: Some(context_keys(&all)),
    })
}
