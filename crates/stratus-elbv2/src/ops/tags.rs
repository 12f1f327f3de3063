//! Tags on load balancers, target groups, listeners and rules (a listener's
//! default rule included).

use stratus_core::{AwsError, RequestContext};

use super::common::{MAX_TAGS, lb, listener, owned, rule, tags_in, tags_out, tg};
use super::rules::default_rule_owner;
use crate::Elbv2;
use crate::errors::{too_many_tags, validation};
use crate::generated::*;
use crate::names::arn_kind;
use crate::state::{Inner, Tags};

/// The tags of the resource an ARN names, for reading or changing.
fn tags_of<'a>(
    inner: &'a mut Inner,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a mut Tags, AwsError> {
    match arn_kind(arn) {
        Some("loadbalancer") => {
            lb(inner, ctx, arn)?;
            Ok(&mut inner.lbs.get_mut(arn).expect("found above").tags)
        }
        Some("targetgroup") => {
            tg(inner, ctx, arn)?;
            Ok(&mut inner.tgs.get_mut(arn).expect("found above").tags)
        }
        Some("listener") => {
            listener(inner, ctx, arn)?;
            Ok(&mut inner.listeners.get_mut(arn).expect("found above").tags)
        }
        Some("listener-rule") => {
            if let Some(l) = default_rule_owner(inner, arn)
                .filter(|l| owned(ctx, &l.account, &l.region))
                .map(|l| l.arn.clone())
            {
                return Ok(&mut inner
                    .listeners
                    .get_mut(&l)
                    .expect("found above")
                    .default_rule_tags);
            }
            rule(inner, ctx, arn)?;
            Ok(&mut inner.rules.get_mut(arn).expect("found above").tags)
        }
        _ => Err(validation(format!("'{arn}' is not a valid resource ARN"))),
    }
}

/// Writes back whichever record holds the tags of `arn`.
fn persist(txn: &mut crate::state::Txn<'_>, arn: &str) -> Result<(), AwsError> {
    match arn_kind(arn) {
        Some("loadbalancer") => txn.put_lb(arn),
        Some("targetgroup") => txn.put_tg(arn),
        Some("listener") => txn.put_listener(arn),
        _ => {
            if let Some(l) = default_rule_owner(&txn.inner, arn).map(|l| l.arn.clone()) {
                txn.put_listener(&l)
            } else {
                txn.put_rule(arn)
            }
        }
    }
}

pub fn add_tags(
    me: &Elbv2,
    ctx: &RequestContext,
    input: AddTagsInput,
) -> Result<AddTagsOutput, AwsError> {
    let new = tags_in(Some(input.tags))?;
    let mut txn = me.state.begin();
    for arn in &input.resource_arns {
        let tags = tags_of(&mut txn.inner, ctx, arn)?;
        let added = new.keys().filter(|k| !tags.contains_key(*k)).count();
        if tags.len() + added > MAX_TAGS {
            return Err(too_many_tags());
        }
    }
    for arn in &input.resource_arns {
        let tags = tags_of(&mut txn.inner, ctx, arn)?;
        tags.extend(new.clone());
        persist(&mut txn, arn)?;
    }
    txn.commit()?;
    Ok(AddTagsOutput {})
}

pub fn remove_tags(
    me: &Elbv2,
    ctx: &RequestContext,
    input: RemoveTagsInput,
) -> Result<RemoveTagsOutput, AwsError> {
    let mut txn = me.state.begin();
    for arn in &input.resource_arns {
        tags_of(&mut txn.inner, ctx, arn)?;
    }
    for arn in &input.resource_arns {
        let tags = tags_of(&mut txn.inner, ctx, arn)?;
        for k in &input.tag_keys {
            tags.remove(k);
        }
        persist(&mut txn, arn)?;
    }
    txn.commit()?;
    Ok(RemoveTagsOutput {})
}

pub fn describe_tags(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, AwsError> {
    let mut inner = me.state.read();
    let mut out = Vec::new();
    for arn in &input.resource_arns {
        let tags = tags_of(&mut inner, ctx, arn)?;
        out.push(TagDescription {
            resource_arn: Some(arn.clone()),
            tags: Some(tags_out(tags)),
        });
    }
    Ok(DescribeTagsOutput {
        tag_descriptions: Some(out),
    })
}
