//! Groups and membership.

use stratus_core::{AwsError, RequestContext};

use super::common::*;
use super::users::user_out;
use crate::Iam;
use crate::generated::{self as g, *};
use crate::state;

/// How many groups one user may join.
const GROUPS_PER_USER: usize = 10;

pub fn group_out(gr: &state::Group) -> g::Group {
    g::Group {
        path: gr.path.clone(),
        group_name: gr.name.clone(),
        group_id: gr.id.clone(),
        arn: gr.arn.clone(),
        create_date: ts(gr.created_ms),
    }
}

pub fn create_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateGroupRequest,
) -> Result<CreateGroupResponse, AwsError> {
    let account = ctx.account_id().to_string();
    let now = now(ctx);
    iam.state.write(&account, |a| {
        if a.groups.contains_key(&i.group_name.to_lowercase()) {
            return Err(exists(format!(
                "Group with name {} already exists.",
                i.group_name
            )));
        }
        let path = path_or_root(i.path);
        let gr = state::Group {
            arn: arn(&account, "group", &path, &i.group_name),
            name: i.group_name.clone(),
            path,
            id: unique_id("AGPA"),
            created_ms: now,
            inline: Default::default(),
            attached: Vec::new(),
        };
        let out = group_out(&gr);
        a.groups.insert(i.group_name.to_lowercase(), gr);
        Ok(CreateGroupResponse { group: out })
    })
}

pub fn get_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetGroupRequest,
) -> Result<GetGroupResponse, AwsError> {
    let (group, users) = iam.state.read(ctx.account_id(), |a| {
        let gr = a.group(&i.group_name)?;
        let users: Vec<g::User> = a
            .users
            .values()
            .filter(|u| u.groups.iter().any(|x| x.eq_ignore_ascii_case(&gr.name)))
            .map(|u| user_out(u, false))
            .collect();
        Ok::<_, AwsError>((group_out(gr), users))
    })?;
    let p = paginate(users, i.marker, i.max_items)?;
    Ok(GetGroupResponse {
        group,
        users: p.items,
        is_truncated: Some(p.truncated),
        marker: p.marker,
    })
}

pub fn update_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateGroupRequest,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.state.write(&account, |a| {
        let mut gr = a.group(&i.group_name)?.clone();
        if let Some(n) = &i.new_group_name
            && !n.eq_ignore_ascii_case(&gr.name)
            && a.groups.contains_key(&n.to_lowercase())
        {
            return Err(exists(format!("Group with name {n} already exists.")));
        }
        a.groups.remove(&gr.name.to_lowercase());
        let old = gr.name.clone();
        if let Some(p) = i.new_path {
            gr.path = p;
        }
        if let Some(n) = i.new_group_name {
            gr.name = n;
        }
        gr.arn = arn(&account, "group", &gr.path, &gr.name);
        for u in a.users.values_mut() {
            for m in u.groups.iter_mut() {
                if m.eq_ignore_ascii_case(&old) {
                    *m = gr.name.clone();
                }
            }
        }
        a.groups.insert(gr.name.to_lowercase(), gr);
        Ok(())
    })
}

pub fn delete_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteGroupRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let gr = a.group(&i.group_name)?;
        let name = gr.name.clone();
        if a.users
            .values()
            .any(|u| u.groups.iter().any(|x| x.eq_ignore_ascii_case(&name)))
        {
            return Err(conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        if !gr.inline.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must delete policies first.",
            ));
        }
        if !gr.attached.is_empty() {
            return Err(conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        a.groups.remove(&name.to_lowercase());
        Ok(())
    })
}

pub fn list_groups(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListGroupsRequest,
) -> Result<ListGroupsResponse, AwsError> {
    let groups: Vec<g::Group> = iam.state.read(ctx.account_id(), |a| {
        a.groups
            .values()
            .filter(|gr| under_prefix(&gr.path, &i.path_prefix))
            .map(group_out)
            .collect()
    });
    let p = paginate(groups, i.marker, i.max_items)?;
    Ok(ListGroupsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        groups: p.items,
    })
}

pub fn add_user_to_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: AddUserToGroupRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let gname = a.group(&i.group_name)?.name.clone();
        let u = a.user_mut(&i.user_name)?;
        if u.groups.iter().any(|x| x.eq_ignore_ascii_case(&gname)) {
            return Ok(());
        }
        if u.groups.len() >= GROUPS_PER_USER {
            return Err(limit(format!(
                "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
            )));
        }
        u.groups.push(gname);
        Ok(())
    })
}

pub fn remove_user_from_group(
    iam: &Iam,
    ctx: &RequestContext,
    i: RemoveUserFromGroupRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let gname = a.group(&i.group_name)?.name.clone();
        let u = a.user_mut(&i.user_name)?;
        let before = u.groups.len();
        u.groups.retain(|x| !x.eq_ignore_ascii_case(&gname));
        if u.groups.len() == before {
            return Err(state::no_such(format!(
                "The user with name {} cannot be found.",
                i.user_name
            )));
        }
        Ok(())
    })
}

pub fn list_groups_for_user(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListGroupsForUserRequest,
) -> Result<ListGroupsForUserResponse, AwsError> {
    let groups = iam.state.read(ctx.account_id(), |a| {
        let u = a.user(&i.user_name)?;
        Ok::<_, AwsError>(
            u.groups
                .iter()
                .filter_map(|n| a.groups.get(&n.to_lowercase()))
                .map(group_out)
                .collect::<Vec<_>>(),
        )
    })?;
    let p = paginate(groups, i.marker, i.max_items)?;
    Ok(ListGroupsForUserResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        groups: p.items,
    })
}
