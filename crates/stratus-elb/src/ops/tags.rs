//! Tags on load balancers, named (unlike ELBv2) by load balancer name.

use stratus_core::{AwsError, RequestContext};

use super::common::{MAX_TAGS, lb, tags_in, tags_out};
use crate::Elb;
use crate::errors::too_many_tags;
use crate::generated::*;
use crate::state::key;

pub fn add_tags(
    me: &Elb,
    ctx: &RequestContext,
    input: AddTagsInput,
) -> Result<AddTagsOutput, AwsError> {
    let new = tags_in(input.tags)?;
    let mut txn = me.state.begin();
    for n in &input.load_balancer_names {
        let r = lb(&txn.inner, ctx, n)?;
        let merged = r
            .tags
            .keys()
            .chain(new.keys())
            .collect::<std::collections::BTreeSet<_>>();
        if merged.len() > MAX_TAGS {
            return Err(too_many_tags());
        }
    }
    for n in &input.load_balancer_names {
        let k = key(ctx.account_id(), &ctx.region, n);
        if let Some(r) = txn.inner.lbs.get_mut(&k) {
            r.tags.extend(new.clone());
        }
        txn.put(&k)?;
    }
    txn.commit()?;
    Ok(AddTagsOutput {})
}

pub fn remove_tags(
    me: &Elb,
    ctx: &RequestContext,
    input: RemoveTagsInput,
) -> Result<RemoveTagsOutput, AwsError> {
    let mut txn = me.state.begin();
    for n in &input.load_balancer_names {
        lb(&txn.inner, ctx, n)?;
    }
    for n in &input.load_balancer_names {
        let k = key(ctx.account_id(), &ctx.region, n);
        if let Some(r) = txn.inner.lbs.get_mut(&k) {
            for t in &input.tags {
                if let Some(key) = &t.key {
                    r.tags.remove(key);
                }
            }
        }
        txn.put(&k)?;
    }
    txn.commit()?;
    Ok(RemoveTagsOutput {})
}

pub fn describe_tags(
    me: &Elb,
    ctx: &RequestContext,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, AwsError> {
    let inner = me.state.read();
    let mut out = Vec::new();
    for n in &input.load_balancer_names {
        let r = lb(&inner, ctx, n)?;
        out.push(TagDescription {
            load_balancer_name: Some(r.name.clone()),
            tags: Some(tags_out(&r.tags)),
        });
    }
    Ok(DescribeTagsOutput {
        tag_descriptions: Some(out),
    })
}
