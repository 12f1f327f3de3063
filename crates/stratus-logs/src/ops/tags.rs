//! Tags on log groups, by name (the older operations) or by ARN.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{group_not_found, invalid};
use crate::generated::*;
use crate::ops::groups::update;

const MAX_TAGS: usize = 50;

pub(crate) fn too_many_tags(resource: &str) -> AwsError {
    AwsError::bad_request(
        "TooManyTagsException",
        format!("A resource can have no more than {MAX_TAGS} tags."),
    )
    .with_field("resourceName", resource)
}

/// The group a resource ARN names; only log groups carry tags here.
fn arn_group(arn: &str) -> Result<String, AwsError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "logs" {
        return Err(invalid(format!("Invalid resource ARN: {arn}")));
    }
    match parts[5] {
        "log-group" => Ok(parts[6].strip_suffix(":*").unwrap_or(parts[6]).to_string()),
        _ => Err(AwsError::bad_request(
            "ResourceNotFoundException",
            "The specified resource does not exist.",
        )),
    }
}

fn add_tags(
    me: &Logs,
    ctx: &RequestContext,
    group: &str,
    tags: BTreeMap<String, String>,
) -> Result<(), AwsError> {
    update(me, ctx, group, |g| {
        let mut merged = g.tags.clone();
        merged.extend(tags);
        if merged.len() > MAX_TAGS {
            return Err(too_many_tags(&g.arn()));
        }
        g.tags = merged;
        Ok(())
    })
}

fn remove_tags(
    me: &Logs,
    ctx: &RequestContext,
    group: &str,
    keys: &[String],
) -> Result<(), AwsError> {
    update(me, ctx, group, |g| {
        for k in keys {
            g.tags.remove(k);
        }
        Ok(())
    })
}

fn tags_of(
    me: &Logs,
    ctx: &RequestContext,
    group: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let inner = me.state.read();
    inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(group))
        .map(|g| g.tags.clone())
        .ok_or_else(group_not_found)
}

pub fn tag_resource(
    me: &Logs,
    ctx: &RequestContext,
    input: TagResourceRequest,
) -> Result<(), AwsError> {
    add_tags(me, ctx, &arn_group(&input.resource_arn)?, input.tags)
}

pub fn untag_resource(
    me: &Logs,
    ctx: &RequestContext,
    input: UntagResourceRequest,
) -> Result<(), AwsError> {
    remove_tags(me, ctx, &arn_group(&input.resource_arn)?, &input.tag_keys)
}

pub fn list_tags_for_resource(
    me: &Logs,
    ctx: &RequestContext,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, AwsError> {
    Ok(ListTagsForResourceResponse {
        tags: Some(tags_of(me, ctx, &arn_group(&input.resource_arn)?)?),
    })
}

pub fn tag_log_group(
    me: &Logs,
    ctx: &RequestContext,
    input: TagLogGroupRequest,
) -> Result<(), AwsError> {
    add_tags(me, ctx, &input.log_group_name, input.tags)
}

pub fn untag_log_group(
    me: &Logs,
    ctx: &RequestContext,
    input: UntagLogGroupRequest,
) -> Result<(), AwsError> {
    remove_tags(me, ctx, &input.log_group_name, &input.tags)
}

pub fn list_tags_log_group(
    me: &Logs,
    ctx: &RequestContext,
    input: ListTagsLogGroupRequest,
) -> Result<ListTagsLogGroupResponse, AwsError> {
    Ok(ListTagsLogGroupResponse {
        tags: Some(tags_of(me, ctx, &input.log_group_name)?),
    })
}
