//! Tags on instances, snapshots, subnet groups and parameter groups,
//! named by ARN.

use stratus_core::{AwsError, RequestContext};

use super::common::{
    instance_not_found, merge_tag, param_group_not_found, snapshot_not_found,
    subnet_group_not_found, tags_in, tags_out,
};
use crate::Rds;
use crate::generated::*;
use crate::names::parse_arn;
use crate::state::{Tags, key};
use crate::validate::invalid_value;

/// Applies `f` to the tags of the resource `arn` names.
fn with_tags<T>(
    me: &Rds,
    ctx: &RequestContext,
    arn: &str,
    f: impl FnOnce(&mut Tags) -> T,
) -> Result<T, AwsError> {
    let bad = || {
        invalid_value(format!(
            "The specified resource name does not match an RDS resource in this region: {arn}"
        ))
    };
    let (region, account, kind, id) = parse_arn(arn).ok_or_else(bad)?;
    if region != ctx.region || account != ctx.account_id() {
        return Err(bad());
    }
    let k = key(account, region, &id.to_ascii_lowercase());
    let mut txn = me.state.begin();
    let out = match kind {
        "db" => {
            let r = txn
                .inner
                .instances
                .get_mut(&k)
                .ok_or_else(|| instance_not_found(id))?;
            let out = f(&mut r.tags);
            txn.put_instance(&k)?;
            out
        }
        "cluster" => {
            let r = txn
                .inner
                .clusters
                .get_mut(&k)
                .ok_or_else(|| super::clusters::cluster_not_found(id))?;
            let out = f(&mut r.tags);
            txn.put_cluster(&k)?;
            out
        }
        "snapshot" => {
            let r = txn
                .inner
                .snapshots
                .get_mut(&k)
                .ok_or_else(|| snapshot_not_found(id))?;
            let out = f(&mut r.tags);
            txn.put_snapshot(&k)?;
            out
        }
        "subgrp" => {
            let r = txn
                .inner
                .subnet_groups
                .get_mut(&k)
                .ok_or_else(|| subnet_group_not_found(id))?;
            let out = f(&mut r.tags);
            txn.put_subnet_group(&k)?;
            out
        }
        "pg" => {
            let r = txn
                .inner
                .param_groups
                .get_mut(&k)
                .ok_or_else(|| param_group_not_found(id))?;
            let out = f(&mut r.tags);
            txn.put_param_group(&k)?;
            out
        }
        _ => return Err(bad()),
    };
    txn.commit()?;
    Ok(out)
}

pub fn add_tags_to_resource(
    me: &Rds,
    ctx: &RequestContext,
    input: AddTagsToResourceMessage,
) -> Result<(), AwsError> {
    let new = tags_in(Some(input.tags))?;
    let too_many = with_tags(me, ctx, &input.resource_name, |tags| {
        let before = tags.clone();
        for (k, v) in new {
            merge_tag(tags, k, v);
        }
        if tags.len() > 50 {
            *tags = before;
            true
        } else {
            false
        }
    })?;
    if too_many {
        return Err(AwsError::bad_request(
            "TagQuotaPerResourceExceeded",
            "Cannot have more than 50 tags per resource",
        ));
    }
    Ok(())
}

pub fn remove_tags_from_resource(
    me: &Rds,
    ctx: &RequestContext,
    input: RemoveTagsFromResourceMessage,
) -> Result<(), AwsError> {
    with_tags(me, ctx, &input.resource_name, |tags| {
        tags.retain(|(k, _)| !input.tag_keys.contains(k));
    })
}

pub fn list_tags_for_resource(
    me: &Rds,
    ctx: &RequestContext,
    input: ListTagsForResourceMessage,
) -> Result<TagListMessage, AwsError> {
    let tags = with_tags(me, ctx, &input.resource_name, |tags| tags_out(tags))?;
    Ok(TagListMessage {
        tag_list: Some(tags),
    })
}
