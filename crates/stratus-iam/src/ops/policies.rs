//! Managed policies (AWS's and the account's, with versions), attachments,
//! inline policies and permissions boundaries.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use super::users::check_boundary;
use crate::Iam;
use crate::generated::{self as g, *};
use crate::managed::{self, AwsPolicy};
use crate::state::{self, Account, Tags};

const MAX_VERSIONS: usize = 5;
const MAX_ATTACHED: usize = 10;

/// Users, groups and roles all hold inline and attached policies.
#[derive(Clone, Copy, PartialEq)]
pub enum Holder {
    User,
    Group,
    Role,
}

impl Holder {
    fn word(self) -> &'static str {
        match self {
            Holder::User => "user",
            Holder::Group => "group",
            Holder::Role => "role",
        }
    }

    fn quota(self) -> &'static str {
        match self {
            Holder::User => "PoliciesPerUser",
            Holder::Group => "PoliciesPerGroup",
            Holder::Role => "PoliciesPerRole",
        }
    }
}

fn holder<'a>(
    a: &'a Account,
    h: Holder,
    name: &str,
) -> Result<(&'a BTreeMap<String, String>, &'a Vec<String>), AwsError> {
    Ok(match h {
        Holder::User => {
            let u = a.user(name)?;
            (&u.inline, &u.attached)
        }
        Holder::Group => {
            let gr = a.group(name)?;
            (&gr.inline, &gr.attached)
        }
        Holder::Role => {
            let r = a.role(name)?;
            (&r.inline, &r.attached)
        }
    })
}

fn holder_mut<'a>(
    a: &'a mut Account,
    h: Holder,
    name: &str,
) -> Result<(&'a mut BTreeMap<String, String>, &'a mut Vec<String>), AwsError> {
    Ok(match h {
        Holder::User => {
            let u = a.user_mut(name)?;
            (&mut u.inline, &mut u.attached)
        }
        Holder::Group => {
            let gr = a.group_mut(name)?;
            (&mut gr.inline, &mut gr.attached)
        }
        Holder::Role => {
            let r = a.role_mut(name)?;
            (&mut r.inline, &mut r.attached)
        }
    })
}

fn check_arn(arn: &str) -> Result<(), AwsError> {
    let ok = arn.starts_with("arn:aws:iam::") && arn.contains(":policy/");
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("ARN {arn} is not valid.")))
    }
}

fn not_attachable(arn: &str) -> AwsError {
    state::no_such(format!("Policy {arn} does not exist or is not attachable."))
}

fn policy_exists(a: &Account, arn: &str) -> bool {
    managed::find(arn).is_some() || a.policies.contains_key(arn)
}

/// The name of a managed policy, from either kind.
pub fn policy_name(a: &Account, arn: &str) -> String {
    if let Some(p) = a.policies.get(arn) {
        return p.name.clone();
    }
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// The default document of a managed policy.
pub fn default_document(a: &Account, arn: &str) -> Option<String> {
    if let Some(p) = managed::find(arn) {
        return Some(p.document.to_string());
    }
    let p = a.policies.get(arn)?;
    p.versions
        .iter()
        .find(|v| v.id == p.default_version)
        .map(|v| v.document.clone())
}

fn aws_policy_out(a: &Account, p: &AwsPolicy, with_description: bool) -> g::Policy {
    let arn = p.arn();
    let (attached, boundary) = a.attachment_count(&arn);
    g::Policy {
        policy_name: Some(p.name.into()),
        policy_id: Some(p.policy_id()),
        arn: Some(arn),
        path: Some(p.path.into()),
        default_version_id: Some(p.version.into()),
        attachment_count: Some(attached as i32),
        permissions_boundary_usage_count: Some(boundary as i32),
        is_attachable: Some(true),
        description: with_description.then(|| p.description.to_string()),
        create_date: Some(ts(managed::CREATED_MS)),
        update_date: Some(ts(managed::CREATED_MS)),
        tags: None,
    }
}

fn local_policy_out(a: &Account, p: &state::ManagedPolicy, full: bool) -> g::Policy {
    let (attached, boundary) = a.attachment_count(&p.arn);
    g::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(attached as i32),
        permissions_boundary_usage_count: Some(boundary as i32),
        is_attachable: Some(true),
        description: if full { p.description.clone() } else { None },
        create_date: Some(ts(p.created_ms)),
        update_date: Some(ts(p.updated_ms)),
        tags: if full { tags_opt(&p.tags) } else { None },
    }
}

pub fn policy_out(a: &Account, arn: &str, full: bool) -> Option<g::Policy> {
    if let Some(p) = managed::find(arn) {
        return Some(aws_policy_out(a, p, full));
    }
    a.policies.get(arn).map(|p| local_policy_out(a, p, full))
}

fn version_out(v: &state::PolicyVersion, default: &str, with_doc: bool) -> g::PolicyVersion {
    g::PolicyVersion {
        document: with_doc.then(|| doc_out(&v.document)),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.id == default),
        create_date: Some(ts(v.created_ms)),
    }
}

fn aws_version(p: &AwsPolicy) -> state::PolicyVersion {
    state::PolicyVersion {
        id: p.version.into(),
        document: p.document.into(),
        created_ms: managed::CREATED_MS,
    }
}

pub fn create_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreatePolicyRequest,
) -> Result<CreatePolicyResponse, AwsError> {
    check_document(&i.policy_document, DocUse::Managed)?;
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    iam.state.write(&account, |a| {
        if a.policies
            .values()
            .any(|p| p.name.eq_ignore_ascii_case(&i.policy_name))
        {
            return Err(exists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                i.policy_name
            )));
        }
        let path = path_or_root(i.path);
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let p = state::ManagedPolicy {
            arn: arn(&account, "policy", &path, &i.policy_name),
            name: i.policy_name,
            path,
            id: unique_id("ANPA"),
            created_ms: now,
            updated_ms: now,
            description: i.description,
            default_version: "v1".into(),
            versions: vec![state::PolicyVersion {
                id: "v1".into(),
                document: i.policy_document,
                created_ms: now,
            }],
            next_version: 2,
            tags,
        };
        let mut out = local_policy_out(a, &p, true);
        out.description = None;
        a.policies.insert(p.arn.clone(), p);
        Ok(CreatePolicyResponse { policy: Some(out) })
    })
}

pub fn get_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetPolicyRequest,
) -> Result<GetPolicyResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    iam.state.read(ctx.account_id(), |a| {
        let p =
            policy_out(a, &i.policy_arn, true).ok_or_else(|| not_found_policy(&i.policy_arn))?;
        Ok(GetPolicyResponse { policy: Some(p) })
    })
}

fn not_found_policy(arn: &str) -> AwsError {
    state::no_such(format!("Policy {arn} was not found."))
}

fn local_mut<'a>(a: &'a mut Account, arn: &str) -> Result<&'a mut state::ManagedPolicy, AwsError> {
    if managed::find(arn).is_some() {
        return Err(invalid(format!("Cannot modify AWS managed policy {arn}.")));
    }
    a.policies.get_mut(arn).ok_or_else(|| not_found_policy(arn))
}

pub fn delete_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeletePolicyRequest,
) -> Result<(), AwsError> {
    check_arn(&i.policy_arn)?;
    iam.state.write(ctx.account_id(), |a| {
        let (attached, boundary) = a.attachment_count(&i.policy_arn);
        let p = local_mut(a, &i.policy_arn)?;
        if attached + boundary > 0 {
            return Err(conflict("Cannot delete a policy attached to entities."));
        }
        if p.versions.len() > 1 {
            return Err(conflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."));
        }
        a.policies.remove(&i.policy_arn);
        Ok(())
    })
}

pub fn list_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListPoliciesRequest,
) -> Result<ListPoliciesResponse, AwsError> {
    let scope = i.scope.as_deref().unwrap_or("All");
    let items: Vec<g::Policy> = iam.state.read(ctx.account_id(), |a| {
        let mut out = Vec::new();
        if scope != "Local" {
            out.extend(
                managed::POLICIES
                    .iter()
                    .map(|p| aws_policy_out(a, p, false)),
            );
        }
        if scope != "AWS" {
            out.extend(a.policies.values().map(|p| local_policy_out(a, p, false)));
        }
        out.retain(|p| {
            under_prefix(p.path.as_deref().unwrap_or("/"), &i.path_prefix)
                && (!i.only_attached.unwrap_or(false)
                    || p.attachment_count.unwrap_or(0)
                        + p.permissions_boundary_usage_count.unwrap_or(0)
                        > 0)
                && match i.policy_usage_filter.as_deref() {
                    Some("PermissionsPolicy") if i.only_attached == Some(true) => {
                        p.attachment_count.unwrap_or(0) > 0
                    }
                    Some("PermissionsBoundary") if i.only_attached == Some(true) => {
                        p.permissions_boundary_usage_count.unwrap_or(0) > 0
                    }
                    _ => true,
                }
        });
        out
    });
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListPoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        policies: Some(p.items),
    })
}

pub fn create_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreatePolicyVersionRequest,
) -> Result<CreatePolicyVersionResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    check_document(&i.policy_document, DocUse::Managed)?;
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        let p = local_mut(a, &i.policy_arn)?;
        if p.versions.len() >= MAX_VERSIONS {
            return Err(limit("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."));
        }
        let v = state::PolicyVersion {
            id: format!("v{}", p.next_version),
            document: i.policy_document,
            created_ms: now,
        };
        p.next_version += 1;
        if i.set_as_default.unwrap_or(false) {
            p.default_version = v.id.clone();
            p.updated_ms = now;
        }
        let out = version_out(&v, &p.default_version, false);
        p.versions.push(v);
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(out),
        })
    })
}

pub fn get_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetPolicyVersionRequest,
) -> Result<GetPolicyVersionResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    let missing = || {
        state::no_such(format!(
            "Policy {} version {} does not exist or is not attachable.",
            i.policy_arn, i.version_id
        ))
    };
    if let Some(p) = managed::find(&i.policy_arn) {
        if p.version != i.version_id {
            return Err(missing());
        }
        return Ok(GetPolicyVersionResponse {
            policy_version: Some(version_out(&aws_version(p), p.version, true)),
        });
    }
    iam.state.read(ctx.account_id(), |a| {
        let p = a
            .policies
            .get(&i.policy_arn)
            .ok_or_else(|| not_attachable(&i.policy_arn))?;
        let v = p
            .versions
            .iter()
            .find(|v| v.id == i.version_id)
            .ok_or_else(missing)?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(version_out(v, &p.default_version, true)),
        })
    })
}

pub fn delete_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeletePolicyVersionRequest,
) -> Result<(), AwsError> {
    check_arn(&i.policy_arn)?;
    iam.state.write(ctx.account_id(), |a| {
        let p = local_mut(a, &i.policy_arn)?;
        if p.default_version == i.version_id {
            return Err(conflict("Cannot delete the default version of a policy."));
        }
        let before = p.versions.len();
        p.versions.retain(|v| v.id != i.version_id);
        if p.versions.len() == before {
            return Err(state::no_such(format!(
                "Policy {} version {} does not exist or is not attachable.",
                i.policy_arn, i.version_id
            )));
        }
        Ok(())
    })
}

pub fn list_policy_versions(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListPolicyVersionsRequest,
) -> Result<ListPolicyVersionsResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    let items = match managed::find(&i.policy_arn) {
        Some(p) => vec![version_out(&aws_version(p), p.version, false)],
        None => iam.state.read(ctx.account_id(), |a| {
            let p = a
                .policies
                .get(&i.policy_arn)
                .ok_or_else(|| not_found_policy(&i.policy_arn))?;
            let mut v: Vec<_> = p
                .versions
                .iter()
                .map(|v| version_out(v, &p.default_version, false))
                .collect();
            v.reverse();
            Ok::<_, AwsError>(v)
        })?,
    };
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListPolicyVersionsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        versions: Some(p.items),
    })
}

pub fn set_default_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    i: SetDefaultPolicyVersionRequest,
) -> Result<(), AwsError> {
    check_arn(&i.policy_arn)?;
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        let p = local_mut(a, &i.policy_arn)?;
        if !p.versions.iter().any(|v| v.id == i.version_id) {
            return Err(state::no_such(format!(
                "Policy {} version {} does not exist or is not attachable.",
                i.policy_arn, i.version_id
            )));
        }
        p.default_version = i.version_id;
        p.updated_ms = now;
        Ok(())
    })
}

pub fn tag_policy(iam: &Iam, ctx: &RequestContext, i: TagPolicyRequest) -> Result<(), AwsError> {
    check_arn(&i.policy_arn)?;
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut local_mut(a, &i.policy_arn)?.tags, i.tags)
    })
}

pub fn untag_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: UntagPolicyRequest,
) -> Result<(), AwsError> {
    check_arn(&i.policy_arn)?;
    iam.state.write(ctx.account_id(), |a| {
        untag(&mut local_mut(a, &i.policy_arn)?.tags, &i.tag_keys);
        Ok(())
    })
}

pub fn list_policy_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListPolicyTagsRequest,
) -> Result<ListPolicyTagsResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    let tags = if managed::find(&i.policy_arn).is_some() {
        Vec::new()
    } else {
        iam.state.read(ctx.account_id(), |a| {
            a.policies
                .get(&i.policy_arn)
                .map(|p| tags_out(&p.tags))
                .ok_or_else(|| not_found_policy(&i.policy_arn))
        })?
    };
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListPolicyTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}

pub fn list_entities_for_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListEntitiesForPolicyRequest,
) -> Result<ListEntitiesForPolicyResponse, AwsError> {
    check_arn(&i.policy_arn)?;
    let arn = i.policy_arn.clone();
    let usage = i.policy_usage_filter.clone();
    let want = |kind: &str| i.entity_filter.as_deref().is_none_or(|f| f == kind);
    let as_policy = |attached: &[String]| {
        usage.as_deref() != Some("PermissionsBoundary") && attached.contains(&arn)
    };
    let as_boundary = |b: &Option<String>| {
        usage.as_deref() != Some("PermissionsPolicy") && b.as_deref() == Some(arn.as_str())
    };
    let (users, groups, roles) = iam.state.read(ctx.account_id(), |a| {
        if !policy_exists(a, &arn) {
            return Err(not_found_policy(&arn));
        }
        let users: Vec<PolicyUser> = a
            .users
            .values()
            .filter(|u| {
                want("User")
                    && under_prefix(&u.path, &i.path_prefix)
                    && (as_policy(&u.attached) || as_boundary(&u.boundary))
            })
            .map(|u| PolicyUser {
                user_name: Some(u.name.clone()),
                user_id: Some(u.id.clone()),
            })
            .collect();
        let groups: Vec<PolicyGroup> = a
            .groups
            .values()
            .filter(|gr| {
                want("Group") && under_prefix(&gr.path, &i.path_prefix) && as_policy(&gr.attached)
            })
            .map(|gr| PolicyGroup {
                group_name: Some(gr.name.clone()),
                group_id: Some(gr.id.clone()),
            })
            .collect();
        let roles: Vec<PolicyRole> = a
            .roles
            .values()
            .filter(|r| {
                want("Role")
                    && under_prefix(&r.path, &i.path_prefix)
                    && (as_policy(&r.attached) || as_boundary(&r.boundary))
            })
            .map(|r| PolicyRole {
                role_name: Some(r.name.clone()),
                role_id: Some(r.id.clone()),
            })
            .collect();
        Ok((users, groups, roles))
    })?;
    // One page runs across users, groups and roles, in this order.
    enum Entity {
        U(PolicyUser),
        G(PolicyGroup),
        R(PolicyRole),
    }
    let all: Vec<Entity> = users
        .into_iter()
        .map(Entity::U)
        .chain(groups.into_iter().map(Entity::G))
        .chain(roles.into_iter().map(Entity::R))
        .collect();
    let page = paginate(all, i.marker.clone(), i.max_items)?;
    let mut out = ListEntitiesForPolicyResponse {
        policy_groups: Some(Vec::new()),
        policy_users: Some(Vec::new()),
        policy_roles: Some(Vec::new()),
        is_truncated: Some(page.truncated),
        marker: page.marker,
    };
    for e in page.items {
        match e {
            Entity::U(u) => out.policy_users.get_or_insert_default().push(u),
            Entity::G(g) => out.policy_groups.get_or_insert_default().push(g),
            Entity::R(r) => out.policy_roles.get_or_insert_default().push(r),
        }
    }
    Ok(out)
}

fn attach(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    arn: &str,
) -> Result<(), AwsError> {
    check_arn(arn)?;
    iam.state.write(ctx.account_id(), |a| {
        if !policy_exists(a, arn) {
            return Err(not_attachable(arn));
        }
        let (_, attached) = holder_mut(a, h, name)?;
        if attached.iter().any(|x| x == arn) {
            return Ok(());
        }
        if attached.len() >= MAX_ATTACHED {
            return Err(limit(format!(
                "Cannot exceed quota for {}: {MAX_ATTACHED}",
                h.quota()
            )));
        }
        attached.push(arn.to_string());
        Ok(())
    })
}

fn detach(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    arn: &str,
) -> Result<(), AwsError> {
    check_arn(arn)?;
    iam.state.write(ctx.account_id(), |a| {
        let (_, attached) = holder_mut(a, h, name)?;
        let before = attached.len();
        attached.retain(|x| x != arn);
        if attached.len() == before {
            return Err(state::no_such(format!("Policy {arn} was not found.")));
        }
        Ok(())
    })
}

fn list_attached(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    prefix: &Option<String>,
    marker: Option<String>,
    max: Option<i32>,
) -> Result<Page<AttachedPolicy>, AwsError> {
    let items = iam.state.read(ctx.account_id(), |a| {
        let (_, attached) = holder(a, h, name)?;
        Ok::<_, AwsError>(
            attached
                .iter()
                .filter(|arn| {
                    let path = policy_out(a, arn, false)
                        .and_then(|p| p.path)
                        .unwrap_or_else(|| "/".into());
                    under_prefix(&path, prefix)
                })
                .map(|arn| AttachedPolicy {
                    policy_name: Some(policy_name(a, arn)),
                    policy_arn: Some(arn.clone()),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    paginate(items, marker, max)
}

pub fn attach_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: AttachUserPolicyRequest,
) -> Result<(), AwsError> {
    attach(iam, ctx, Holder::User, &i.user_name, &i.policy_arn)
}
pub fn attach_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: AttachGroupPolicyRequest,
) -> Result<(), AwsError> {
    attach(iam, ctx, Holder::Group, &i.group_name, &i.policy_arn)
}
pub fn attach_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: AttachRolePolicyRequest,
) -> Result<(), AwsError> {
    attach(iam, ctx, Holder::Role, &i.role_name, &i.policy_arn)
}
pub fn detach_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DetachUserPolicyRequest,
) -> Result<(), AwsError> {
    detach(iam, ctx, Holder::User, &i.user_name, &i.policy_arn)
}
pub fn detach_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DetachGroupPolicyRequest,
) -> Result<(), AwsError> {
    detach(iam, ctx, Holder::Group, &i.group_name, &i.policy_arn)
}
pub fn detach_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DetachRolePolicyRequest,
) -> Result<(), AwsError> {
    detach(iam, ctx, Holder::Role, &i.role_name, &i.policy_arn)
}

pub fn list_attached_user_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListAttachedUserPoliciesRequest,
) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
    let p = list_attached(
        iam,
        ctx,
        Holder::User,
        &i.user_name,
        &i.path_prefix,
        i.marker,
        i.max_items,
    )?;
    Ok(ListAttachedUserPoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        attached_policies: Some(p.items),
    })
}
pub fn list_attached_group_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListAttachedGroupPoliciesRequest,
) -> Result<ListAttachedGroupPoliciesResponse, AwsError> {
    let p = list_attached(
        iam,
        ctx,
        Holder::Group,
        &i.group_name,
        &i.path_prefix,
        i.marker,
        i.max_items,
    )?;
    Ok(ListAttachedGroupPoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        attached_policies: Some(p.items),
    })
}
pub fn list_attached_role_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListAttachedRolePoliciesRequest,
) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
    let p = list_attached(
        iam,
        ctx,
        Holder::Role,
        &i.role_name,
        &i.path_prefix,
        i.marker,
        i.max_items,
    )?;
    Ok(ListAttachedRolePoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        attached_policies: Some(p.items),
    })
}

fn put_inline(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    policy: String,
    doc: String,
) -> Result<(), AwsError> {
    let usage = match h {
        Holder::User => DocUse::UserInline(name),
        Holder::Group => DocUse::GroupInline(name),
        Holder::Role => DocUse::RoleInline(name),
    };
    check_document(&doc, usage)?;
    iam.state.write(ctx.account_id(), |a| {
        let (inline, _) = holder_mut(a, h, name)?;
        inline.insert(policy, doc);
        Ok(())
    })
}

fn inline_missing(h: Holder, policy: &str) -> AwsError {
    state::no_such(format!(
        "The {} policy with name {policy} cannot be found.",
        h.word()
    ))
}

fn get_inline(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    policy: &str,
) -> Result<(String, String), AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        let (inline, _) = holder(a, h, name)?;
        let (k, v) = inline
            .get_key_value(policy)
            .ok_or_else(|| inline_missing(h, policy))?;
        Ok((k.clone(), doc_out(v)))
    })
}

fn delete_inline(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    policy: &str,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let (inline, _) = holder_mut(a, h, name)?;
        inline
            .remove(policy)
            .map(|_| ())
            .ok_or_else(|| inline_missing(h, policy))
    })
}

fn list_inline(
    iam: &Iam,
    ctx: &RequestContext,
    h: Holder,
    name: &str,
    marker: Option<String>,
    max: Option<i32>,
) -> Result<Page<String>, AwsError> {
    let names = iam.state.read(ctx.account_id(), |a| {
        holder(a, h, name).map(|(i, _)| i.keys().cloned().collect::<Vec<_>>())
    })?;
    paginate(names, marker, max)
}

pub fn put_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: PutUserPolicyRequest,
) -> Result<(), AwsError> {
    put_inline(
        iam,
        ctx,
        Holder::User,
        &i.user_name,
        i.policy_name,
        i.policy_document,
    )
}
pub fn put_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: PutGroupPolicyRequest,
) -> Result<(), AwsError> {
    put_inline(
        iam,
        ctx,
        Holder::Group,
        &i.group_name,
        i.policy_name,
        i.policy_document,
    )
}
pub fn put_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: PutRolePolicyRequest,
) -> Result<(), AwsError> {
    put_inline(
        iam,
        ctx,
        Holder::Role,
        &i.role_name,
        i.policy_name,
        i.policy_document,
    )
}
pub fn get_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetUserPolicyRequest,
) -> Result<GetUserPolicyResponse, AwsError> {
    let (policy_name, policy_document) =
        get_inline(iam, ctx, Holder::User, &i.user_name, &i.policy_name)?;
    Ok(GetUserPolicyResponse {
        user_name: i.user_name,
        policy_name,
        policy_document,
    })
}
pub fn get_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetGroupPolicyRequest,
) -> Result<GetGroupPolicyResponse, AwsError> {
    let (policy_name, policy_document) =
        get_inline(iam, ctx, Holder::Group, &i.group_name, &i.policy_name)?;
    Ok(GetGroupPolicyResponse {
        group_name: i.group_name,
        policy_name,
        policy_document,
    })
}
pub fn get_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetRolePolicyRequest,
) -> Result<GetRolePolicyResponse, AwsError> {
    let (policy_name, policy_document) =
        get_inline(iam, ctx, Holder::Role, &i.role_name, &i.policy_name)?;
    Ok(GetRolePolicyResponse {
        role_name: i.role_name,
        policy_name,
        policy_document,
    })
}
pub fn delete_user_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteUserPolicyRequest,
) -> Result<(), AwsError> {
    delete_inline(iam, ctx, Holder::User, &i.user_name, &i.policy_name)
}
pub fn delete_group_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteGroupPolicyRequest,
) -> Result<(), AwsError> {
    delete_inline(iam, ctx, Holder::Group, &i.group_name, &i.policy_name)
}
pub fn delete_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteRolePolicyRequest,
) -> Result<(), AwsError> {
    delete_inline(iam, ctx, Holder::Role, &i.role_name, &i.policy_name)
}
pub fn list_user_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListUserPoliciesRequest,
) -> Result<ListUserPoliciesResponse, AwsError> {
    let p = list_inline(iam, ctx, Holder::User, &i.user_name, i.marker, i.max_items)?;
    Ok(ListUserPoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        policy_names: p.items,
    })
}
pub fn list_group_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListGroupPoliciesRequest,
) -> Result<ListGroupPoliciesResponse, AwsError> {
    let p = list_inline(
        iam,
        ctx,
        Holder::Group,
        &i.group_name,
        i.marker,
        i.max_items,
    )?;
    Ok(ListGroupPoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        policy_names: p.items,
    })
}
pub fn list_role_policies(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListRolePoliciesRequest,
) -> Result<ListRolePoliciesResponse, AwsError> {
    let p = list_inline(iam, ctx, Holder::Role, &i.role_name, i.marker, i.max_items)?;
    Ok(ListRolePoliciesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        policy_names: p.items,
    })
}

pub fn put_user_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    i: PutUserPermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        check_boundary(a, &i.permissions_boundary)?;
        a.user_mut(&i.user_name)?.boundary = Some(i.permissions_boundary);
        Ok(())
    })
}
pub fn put_role_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    i: PutRolePermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        check_boundary(a, &i.permissions_boundary)?;
        a.role_mut(&i.role_name)?.boundary = Some(i.permissions_boundary);
        Ok(())
    })
}
pub fn delete_user_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteUserPermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.user_mut(&i.user_name)?.boundary = None;
        Ok(())
    })
}
pub fn delete_role_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteRolePermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.role_mut(&i.role_name)?.boundary = None;
        Ok(())
    })
}
