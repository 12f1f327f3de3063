//! Tags on alarms, dashboards and metric streams, by ARN.

use stratus_core::{AwsError, RequestContext};

use super::shapes::{merge_tags, tags_in, tags_out};
use crate::Core;
use crate::generated::*;
use crate::state::ConfigTxn;

fn not_found(arn: &str) -> AwsError {
    AwsError::not_found(
        "ResourceNotFoundException",
        format!("The resource {arn} does not exist."),
    )
}

/// Applies `f` to the tags of the resource the ARN names, and stores it.
fn with_tags<T>(
    txn: &mut ConfigTxn<'_>,
    ctx: &RequestContext,
    arn: &str,
    f: impl FnOnce(&mut Vec<(String, String)>) -> T,
) -> Result<T, AwsError> {
    let account = ctx.account_id().to_string();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudwatch" || parts[4] != account {
        return Err(not_found(arn));
    }
    let resource = parts[5];
    if let Some(name) = resource.strip_prefix("alarm:") {
        let k = (account, parts[3].to_string(), name.to_string());
        let a = txn.inner.alarms.get_mut(&k).ok_or_else(|| not_found(arn))?;
        let out = f(&mut a.tags);
        txn.put_alarm(&k)?;
        return Ok(out);
    }
    if let Some(name) = resource.strip_prefix("dashboard/") {
        let k = (account, name.to_string());
        let mut d = txn
            .inner
            .dashboards
            .get(&k)
            .cloned()
            .ok_or_else(|| not_found(arn))?;
        let out = f(&mut d.tags);
        txn.put_dashboard(d)?;
        return Ok(out);
    }
    if let Some(name) = resource.strip_prefix("metric-stream/") {
        let k = (account, parts[3].to_string(), name.to_string());
        let s = txn
            .inner
            .streams
            .get_mut(&k)
            .ok_or_else(|| not_found(arn))?;
        let out = f(&mut s.tags);
        txn.put_stream(&k)?;
        return Ok(out);
    }
    Err(not_found(arn))
}

pub fn tag_resource(
    cw: &Core,
    ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<TagResourceOutput, AwsError> {
    let mut txn = cw.state.begin();
    let more = tags_in(Some(input.tags));
    with_tags(&mut txn, ctx, &input.resource_arn, |t| merge_tags(t, more))?;
    txn.commit()?;
    Ok(TagResourceOutput {})
}

pub fn untag_resource(
    cw: &Core,
    ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<UntagResourceOutput, AwsError> {
    let mut txn = cw.state.begin();
    with_tags(&mut txn, ctx, &input.resource_arn, |t| {
        t.retain(|(k, _)| !input.tag_keys.contains(k))
    })?;
    txn.commit()?;
    Ok(UntagResourceOutput {})
}

pub fn list_tags_for_resource(
    cw: &Core,
    ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, AwsError> {
    let mut txn = cw.state.begin();
    let tags = with_tags(&mut txn, ctx, &input.resource_arn, |t| tags_out(t))?;
    // Reading changes nothing; the write-back is dropped.
    drop(txn);
    Ok(ListTagsForResourceOutput { tags: Some(tags) })
}
