//! Roles (trust policies, session limits) and instance profiles.

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use super::users::check_boundary;
use crate::Iam;
use crate::generated::{self as g, *};
use crate::state::{self, Account, Tags};

pub fn role_out(r: &state::Role, full: bool) -> g::Role {
    g::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn.clone(),
        create_date: ts(r.created_ms),
        assume_role_policy_document: Some(doc_out(&r.trust)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session),
        permissions_boundary: if full {
            boundary_out(&r.boundary)
        } else {
            None
        },
        tags: if full { tags_opt(&r.tags) } else { None },
        role_last_used: if full {
            Some(RoleLastUsed {
                last_used_date: r.last_used.as_ref().map(|l| ts(l.at_ms)),
                region: r.last_used.as_ref().map(|l| l.region.clone()),
            })
        } else {
            None
        },
        source_role_template: None,
    }
}

pub fn create_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateRoleRequest,
) -> Result<CreateRoleResponse, AwsError> {
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    check_document(&i.assume_role_policy_document, DocUse::Trust)?;
    iam.state.write(&account, |a| {
        if a.roles.contains_key(&i.role_name.to_lowercase()) {
            return Err(exists(format!(
                "Role with name {} already exists.",
                i.role_name
            )));
        }
        if let Some(b) = &i.permissions_boundary {
            check_boundary(a, b)?;
        }
        let path = path_or_root(i.path);
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let r = state::Role {
            arn: arn(&account, "role", &path, &i.role_name),
            name: i.role_name.clone(),
            path,
            id: unique_id("AROA"),
            created_ms: now,
            trust: i.assume_role_policy_document,
            description: i.description,
            max_session: i.max_session_duration.unwrap_or(3600),
            boundary: i.permissions_boundary,
            tags,
            inline: Default::default(),
            attached: Vec::new(),
            last_used: None,
        };
        let mut out = role_out(&r, true);
        out.role_last_used = None;
        a.roles.insert(i.role_name.to_lowercase(), r);
        Ok(CreateRoleResponse { role: out })
    })
}

pub fn get_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetRoleRequest,
) -> Result<GetRoleResponse, AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        Ok(GetRoleResponse {
            role: role_out(a.role(&i.role_name)?, true),
        })
    })
}

pub fn update_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateRoleRequest,
) -> Result<UpdateRoleResponse, AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let r = a.role_mut(&i.role_name)?;
        if let Some(d) = i.description {
            r.description = Some(d);
        }
        if let Some(m) = i.max_session_duration {
            r.max_session = m;
        }
        Ok(UpdateRoleResponse {})
    })
}

pub fn update_role_description(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateRoleDescriptionRequest,
) -> Result<UpdateRoleDescriptionResponse, AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let r = a.role_mut(&i.role_name)?;
        r.description = Some(i.description);
        Ok(UpdateRoleDescriptionResponse {
            role: Some(role_out(r, true)),
        })
    })
}

pub fn update_assume_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateAssumeRolePolicyRequest,
) -> Result<(), AwsError> {
    check_document(&i.policy_document, DocUse::Trust)?;
    iam.state.write(ctx.account_id(), |a| {
        a.role_mut(&i.role_name)?.trust = i.policy_document;
        Ok(())
    })
}

pub fn delete_role(iam: &Iam, ctx: &RequestContext, i: DeleteRoleRequest) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let r = a.role(&i.role_name)?;
        let name = r.name.clone();
        if r.path.starts_with("/aws-service-role/") {
            return Err(AwsError::bad_request(
                "UnmodifiableEntity",
                format!("Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"),
            ));
        }
        if a
            .instance_profiles
            .values()
            .any(|p| p.roles.iter().any(|x| x.eq_ignore_ascii_case(&name)))
        {
            return Err(conflict("Cannot delete entity, must remove roles from instance profile first."));
        }
        if !r.inline.is_empty() {
            return Err(conflict("Cannot delete entity, must delete policies first."));
        }
        if !r.attached.is_empty() {
            return Err(conflict("Cannot delete entity, must detach all policies first."));
        }
        a.roles.remove(&name.to_lowercase());
        Ok(())
    })
}

pub fn list_roles(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListRolesRequest,
) -> Result<ListRolesResponse, AwsError> {
    let roles: Vec<g::Role> = iam.state.read(ctx.account_id(), |a| {
        a.roles
            .values()
            .filter(|r| under_prefix(&r.path, &i.path_prefix))
            .map(|r| role_out(r, false))
            .collect()
    });
    let p = paginate(roles, i.marker, i.max_items)?;
    Ok(ListRolesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        roles: p.items,
    })
}

pub fn tag_role(iam: &Iam, ctx: &RequestContext, i: TagRoleRequest) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut a.role_mut(&i.role_name)?.tags, i.tags)
    })
}

pub fn untag_role(iam: &Iam, ctx: &RequestContext, i: UntagRoleRequest) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(&mut a.role_mut(&i.role_name)?.tags, &i.tag_keys);
        Ok(())
    })
}

pub fn list_role_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListRoleTagsRequest,
) -> Result<ListRoleTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.role(&i.role_name).map(|r| tags_out(&r.tags))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListRoleTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}

fn profile_out(a: &Account, p: &state::InstanceProfile) -> g::InstanceProfile {
    g::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn.clone(),
        create_date: ts(p.created_ms),
        roles: p
            .roles
            .iter()
            .filter_map(|r| a.roles.get(&r.to_lowercase()))
            .map(|r| role_out(r, false))
            .collect(),
        tags: tags_opt(&p.tags),
    }
}

pub fn create_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateInstanceProfileRequest,
) -> Result<CreateInstanceProfileResponse, AwsError> {
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    iam.state.write(&account, |a| {
        if a.instance_profiles
            .contains_key(&i.instance_profile_name.to_lowercase())
        {
            return Err(exists(format!(
                "Instance Profile {} already exists.",
                i.instance_profile_name
            )));
        }
        let path = path_or_root(i.path);
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let p = state::InstanceProfile {
            arn: arn(
                &account,
                "instance-profile",
                &path,
                &i.instance_profile_name,
            ),
            name: i.instance_profile_name.clone(),
            path,
            id: unique_id("AIPA"),
            created_ms: now,
            roles: Vec::new(),
            tags,
        };
        let out = profile_out(a, &p);
        a.instance_profiles
            .insert(i.instance_profile_name.to_lowercase(), p);
        Ok(CreateInstanceProfileResponse {
            instance_profile: out,
        })
    })
}

pub fn get_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetInstanceProfileRequest,
) -> Result<GetInstanceProfileResponse, AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        Ok(GetInstanceProfileResponse {
            instance_profile: profile_out(a, a.profile(&i.instance_profile_name)?),
        })
    })
}

pub fn delete_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteInstanceProfileRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let p = a.profile(&i.instance_profile_name)?;
        if !p.roles.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            ));
        }
        let key = p.name.to_lowercase();
        a.instance_profiles.remove(&key);
        Ok(())
    })
}

pub fn list_instance_profiles(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListInstanceProfilesRequest,
) -> Result<ListInstanceProfilesResponse, AwsError> {
    let items: Vec<g::InstanceProfile> = iam.state.read(ctx.account_id(), |a| {
        a.instance_profiles
            .values()
            .filter(|p| under_prefix(&p.path, &i.path_prefix))
            .map(|p| profile_out(a, p))
            .collect()
    });
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListInstanceProfilesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        instance_profiles: p.items,
    })
}

pub fn add_role_to_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: AddRoleToInstanceProfileRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let role = a.role(&i.role_name)?.name.clone();
        let p = a.profile_mut(&i.instance_profile_name)?;
        if !p.roles.is_empty() {
            return Err(limit(
                "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
            ));
        }
        p.roles.push(role);
        Ok(())
    })
}

pub fn remove_role_from_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: RemoveRoleFromInstanceProfileRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.role(&i.role_name)?;
        let p = a.profile_mut(&i.instance_profile_name)?;
        let before = p.roles.len();
        p.roles.retain(|r| !r.eq_ignore_ascii_case(&i.role_name));
        if p.roles.len() == before {
            return Err(state::no_such(format!(
                "The role with name {} cannot be found.",
                i.role_name
            )));
        }
        Ok(())
    })
}

pub fn list_instance_profiles_for_role(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListInstanceProfilesForRoleRequest,
) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
    let items = iam.state.read(ctx.account_id(), |a| {
        let r = a.role(&i.role_name)?;
        Ok::<_, AwsError>(
            a.instance_profiles
                .values()
                .filter(|p| p.roles.iter().any(|x| x.eq_ignore_ascii_case(&r.name)))
                .map(|p| profile_out(a, p))
                .collect::<Vec<_>>(),
        )
    })?;
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListInstanceProfilesForRoleResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        instance_profiles: p.items,
    })
}

pub fn tag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: TagInstanceProfileRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut a.profile_mut(&i.instance_profile_name)?.tags, i.tags)
    })
}

pub fn untag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: UntagInstanceProfileRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(
            &mut a.profile_mut(&i.instance_profile_name)?.tags,
            &i.tag_keys,
        );
        Ok(())
    })
}

pub fn list_instance_profile_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListInstanceProfileTagsRequest,
) -> Result<ListInstanceProfileTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.profile(&i.instance_profile_name)
            .map(|p| tags_out(&p.tags))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListInstanceProfileTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}
