//! What several operations share: finding a caller's resources by ARN,
//! tags from requests, and paging.

use stratus_core::{AwsError, RequestContext};

use crate::errors::{
    lb_not_found, listener_not_found, rule_not_found, tg_not_found, too_many_tags, validation,
};
use crate::generated::Tag;
use crate::names::check_arn;
use crate::state::{Inner, ListenerRec, LoadBalancerRec, RuleRec, Tags, TargetGroupRec};

pub const MAX_TAGS: usize = 50;

fn mine(ctx: &RequestContext, account: &str, region: &str) -> bool {
    account == ctx.account_id() && region == ctx.region
}

pub fn lb<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a LoadBalancerRec, AwsError> {
    check_arn(arn, "loadbalancer", "load balancer")?;
    inner
        .lbs
        .get(arn)
        .filter(|r| mine(ctx, &r.account, &r.region))
        .ok_or_else(|| lb_not_found(arn))
}

pub fn tg<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a TargetGroupRec, AwsError> {
    check_arn(arn, "targetgroup", "target group")?;
    inner
        .tgs
        .get(arn)
        .filter(|r| mine(ctx, &r.account, &r.region))
        .ok_or_else(|| tg_not_found(arn))
}

pub fn listener<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a ListenerRec, AwsError> {
    check_arn(arn, "listener", "listener")?;
    inner
        .listeners
        .get(arn)
        .filter(|r| mine(ctx, &r.account, &r.region))
        .ok_or_else(|| listener_not_found(arn))
}

pub fn rule<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a RuleRec, AwsError> {
    check_arn(arn, "listener-rule", "rule")?;
    inner
        .rules
        .get(arn)
        .filter(|r| mine(ctx, &r.account, &r.region))
        .ok_or_else(|| rule_not_found(arn))
}

/// Whether a record belongs to the caller's account and region.
pub fn owned(ctx: &RequestContext, account: &str, region: &str) -> bool {
    mine(ctx, account, region)
}

/// Tags from a request, refusing a key given twice.
pub fn tags_in(tags: Option<Vec<Tag>>) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    for t in tags.unwrap_or_default() {
        if out.contains_key(&t.key) {
            return Err(AwsError::bad_request(
                "DuplicateTagKeysException",
                format!("Tag key '{}' specified more than once", t.key),
            ));
        }
        out.insert(t.key, t.value.unwrap_or_default());
    }
    if out.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(out)
}

pub fn tags_out(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: Some(v.clone()),
        })
        .collect()
}

/// One page of `items` after `marker` (an offset we handed out).
pub fn page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    size: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| validation(format!("The marker '{m}' is not valid")))?,
    };
    let size = size.unwrap_or(400).max(1) as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + size < total).then(|| (start + size).to_string());
    Ok((page, next))
}
