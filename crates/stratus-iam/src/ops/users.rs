//! Users and their tags.

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use crate::Iam;
use crate::generated::{self as g, *};
use crate::state::{self, Account, Tags};

pub fn user_out(u: &state::User, with_tags: bool) -> g::User {
    g::User {
        path: u.path.clone(),
        user_name: u.name.clone(),
        user_id: u.id.clone(),
        arn: u.arn.clone(),
        create_date: ts(u.created_ms),
        password_last_used: u.password_last_used_ms.map(ts),
        permissions_boundary: boundary_out(&u.boundary),
        tags: if with_tags { tags_opt(&u.tags) } else { None },
    }
}

/// A boundary must be an existing managed policy.
pub fn check_boundary(a: &Account, arn: &str) -> Result<(), AwsError> {
    if !arn.starts_with("arn:aws:iam::") || !arn.contains(":policy/") {
        return Err(invalid(format!("ARN {arn} is not valid.")));
    }
    if crate::managed::find(arn).is_none() && !a.policies.contains_key(arn) {
        return Err(state::no_such(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        )));
    }
    Ok(())
}

pub fn create_user(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateUserRequest,
) -> Result<CreateUserResponse, AwsError> {
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    iam.state.write(&account, |a| {
        if a.users.contains_key(&i.user_name.to_lowercase()) {
            return Err(exists(format!(
                "User with name {} already exists.",
                i.user_name
            )));
        }
        if let Some(b) = &i.permissions_boundary {
            check_boundary(a, b)?;
        }
        let path = path_or_root(i.path);
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let u = state::User {
            arn: arn(&account, "user", &path, &i.user_name),
            name: i.user_name.clone(),
            path,
            id: unique_id("AIDA"),
            created_ms: now,
            tags,
            boundary: i.permissions_boundary,
            inline: Default::default(),
            attached: Vec::new(),
            groups: Vec::new(),
            access_keys: Vec::new(),
            login: None,
            mfa: Vec::new(),
            password_last_used_ms: None,
        };
        let out = user_out(&u, true);
        a.users.insert(i.user_name.to_lowercase(), u);
        Ok(CreateUserResponse { user: Some(out) })
    })
}

pub fn get_user(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetUserRequest,
) -> Result<GetUserResponse, AwsError> {
    let Some(name) = self_user(ctx, i.user_name)? else {
        // The root user describes itself.
        let acct = ctx.account_id();
        return Ok(GetUserResponse {
            user: g::User {
                path: "/".into(),
                user_name: String::new(),
                user_id: acct.to_string(),
                arn: format!("arn:aws:iam::{acct}:root"),
                create_date: ts(crate::managed::CREATED_MS),
                ..Default::default()
            },
        });
    };
    iam.state.read(ctx.account_id(), |a| {
        Ok(GetUserResponse {
            user: user_out(a.user(&name)?, true),
        })
    })
}

pub fn update_user(iam: &Iam, ctx: &RequestContext, i: UpdateUserRequest) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    let renamed = iam.state.write(&account, |a| {
        let mut u = a.user(&i.user_name)?.clone();
        if let Some(n) = &i.new_user_name
            && !n.eq_ignore_ascii_case(&u.name)
            && a.users.contains_key(&n.to_lowercase())
        {
            return Err(exists(format!("User with name {n} already exists.")));
        }
        a.users.remove(&u.name.to_lowercase());
        if let Some(p) = i.new_path {
            u.path = p;
        }
        let old = u.name.clone();
        if let Some(n) = i.new_user_name {
            u.name = n;
        }
        u.arn = arn(&account, "user", &u.path, &u.name);
        for d in a.mfa_devices.values_mut() {
            if d.user.as_deref() == Some(old.as_str()) {
                d.user = Some(u.name.clone());
            }
        }
        let out = u.clone();
        a.users.insert(out.name.to_lowercase(), u);
        Ok(out)
    })?;
    iam.register_keys(&account, &renamed);
    Ok(())
}

pub fn delete_user(iam: &Iam, ctx: &RequestContext, i: DeleteUserRequest) -> Result<(), AwsError> {
    let removed = iam.state.write(ctx.account_id(), |a| {
        let u = a.user(&i.user_name)?;
        if u.login.is_some() {
            return Err(conflict(
                "Cannot delete entity, must delete login profile first.",
            ));
        }
        if !u.access_keys.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must delete access keys first.",
            ));
        }
        if !u.mfa.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must delete MFA device first.",
            ));
        }
        if !u.inline.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !u.attached.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        if !u.groups.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        let key = u.name.to_lowercase();
        Ok(a.users.remove(&key))
    })?;
    if let Some(u) = removed {
        for k in &u.access_keys {
            iam.identities.revoke(&k.id);
        }
    }
    Ok(())
}

pub fn list_users(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListUsersRequest,
) -> Result<ListUsersResponse, AwsError> {
    let users: Vec<g::User> = iam.state.read(ctx.account_id(), |a| {
        a.users
            .values()
            .filter(|u| under_prefix(&u.path, &i.path_prefix))
            .map(|u| user_out(u, false))
            .collect()
    });
    let p = paginate(users, i.marker, i.max_items)?;
    Ok(ListUsersResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        users: p.items,
    })
}

pub fn tag_user(iam: &Iam, ctx: &RequestContext, i: TagUserRequest) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut a.user_mut(&i.user_name)?.tags, i.tags)
    })
}

pub fn untag_user(iam: &Iam, ctx: &RequestContext, i: UntagUserRequest) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(&mut a.user_mut(&i.user_name)?.tags, &i.tag_keys);
        Ok(())
    })
}

pub fn list_user_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListUserTagsRequest,
) -> Result<ListUserTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.user(&i.user_name).map(|u| tags_out(&u.tags))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListUserTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}
