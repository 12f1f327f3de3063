//! Group tags: create or update, delete, describe with filters.

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::{limit_exceeded, validation};
use crate::generated::*;
use crate::ops::groups::{group_mut, tag_out};
use crate::state::TagRec;
use crate::wire::page;

const MAX_TAGS: usize = 50;

fn target(t: &Tag) -> Result<String, AwsError> {
    if let Some(rt) = &t.resource_type {
        if rt != "auto-scaling-group" {
            return Err(validation(format!(
                "Invalid resource type {rt}. The only valid resource type is auto-scaling-group."
            )));
        }
    }
    t.resource_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| validation("ResourceId is required for each tag."))
}

pub fn create_or_update_tags(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: CreateOrUpdateTagsType,
) -> Result<(), AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        for t in &input.tags {
            if t.key.starts_with("aws:") {
                return Err(validation("Tag keys starting with 'aws:' are reserved for internal use"));
            }
            let g = group_mut(r, &target(t)?)?;
            let rec = TagRec {
                key: t.key.clone(),
                value: t.value.clone().unwrap_or_default(),
                propagate: t.propagate_at_launch.unwrap_or(false),
            };
            match g.tags.iter_mut().find(|x| x.key == rec.key) {
                Some(x) => *x = rec,
                None => g.tags.push(rec),
            }
            if g.tags.len() > MAX_TAGS {
                return Err(limit_exceeded(format!(
                    "The number of tags for the Auto Scaling group {} exceeds the limit of {MAX_TAGS}.",
                    g.name
                )));
            }
        }
        Ok(())
    })
}

pub fn delete_tags(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteTagsType,
) -> Result<(), AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        for t in &input.tags {
            let g = group_mut(r, &target(t)?)?;
            g.tags.retain(|x| x.key != t.key);
        }
        Ok(())
    })
}

pub fn describe_tags(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeTagsType,
) -> Result<TagsType, AwsError> {
    let filters = input.filters.clone().unwrap_or_default();
    for f in &filters {
        let n = f.name.clone().unwrap_or_default();
        if !matches!(
            n.as_str(),
            "auto-scaling-group" | "key" | "value" | "propagate-at-launch"
        ) {
            return Err(validation(format!(
                "Filter type {n} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch"
            )));
        }
    }
    let all: Vec<TagDescription> = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let mut out = Vec::new();
        for g in r.groups.values() {
            for t in &g.tags {
                let ok = filters.iter().all(|f| {
                    let values = f.values.clone().unwrap_or_default();
                    match f.name.as_deref().unwrap_or_default() {
                        "auto-scaling-group" => values.contains(&g.name),
                        "key" => values.contains(&t.key),
                        "value" => values.contains(&t.value),
                        _ => values
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(&t.propagate.to_string())),
                    }
                });
                if ok {
                    out.push(tag_out(g, t));
                }
            }
        }
        out
    });
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(TagsType {
        tags: Some(items),
        next_token: next,
    })
}
