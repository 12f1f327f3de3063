//! Subscription filters: stored and described; deliveries wait for Lambda,
//! Kinesis and Firehose to exist.

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{group_not_found, invalid, limit_exceeded, not_found};
use crate::generated::*;
use crate::ops::events::parse_pattern;
use crate::paging;
use crate::state::SubscriptionFilterRec;

const MAX_PER_GROUP: usize = 2;

/// The destination's service, when the ARN has the shape of one a
/// subscription can deliver to.
fn destination_vendor(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[5].is_empty() {
        return None;
    }
    let ok = match parts[2] {
        "lambda" => parts[5].starts_with("function:"),
        "kinesis" => parts[5].starts_with("stream/"),
        "firehose" => parts[5].starts_with("deliverystream/"),
        "logs" => parts[5].starts_with("destination:"),
        _ => false,
    };
    ok.then_some(parts[2])
}

pub fn put_subscription_filter(
    me: &Logs,
    ctx: &RequestContext,
    input: PutSubscriptionFilterRequest,
) -> Result<(), AwsError> {
    parse_pattern(Some(&input.filter_pattern))?;
    let vendor = destination_vendor(&input.destination_arn)
        .ok_or_else(|| invalid(format!("Invalid destinationArn: {}", input.destination_arn)))?;
    if matches!(vendor, "kinesis" | "firehose") && input.role_arn.is_none() {
        return Err(invalid(format!(
            "destinationArn for vendor {vendor} cannot be used without roleArn"
        )));
    }
    let now = ctx.clock.now_millis();
    crate::ops::groups::update(me, ctx, &input.log_group_name, |g| {
        let existing = g.subscription_filters.get(&input.filter_name);
        if existing.is_none() && g.subscription_filters.len() >= MAX_PER_GROUP {
            return Err(limit_exceeded());
        }
        let created_ms = existing.map_or(now, |f| f.created_ms);
        g.subscription_filters.insert(
            input.filter_name.clone(),
            SubscriptionFilterRec {
                name: input.filter_name,
                pattern: input.filter_pattern,
                destination_arn: input.destination_arn,
                role_arn: input.role_arn,
                distribution: input
                    .distribution
                    .unwrap_or_else(|| "ByLogStream".to_string()),
                created_ms,
            },
        );
        Ok(())
    })
}

pub fn delete_subscription_filter(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteSubscriptionFilterRequest,
) -> Result<(), AwsError> {
    crate::ops::groups::update(me, ctx, &input.log_group_name, |g| {
        g.subscription_filters
            .remove(&input.filter_name)
            .map(|_| ())
            .ok_or_else(|| not_found("The specified subscription filter does not exist."))
    })
}

pub fn describe_subscription_filters(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeSubscriptionFiltersRequest,
) -> Result<DescribeSubscriptionFiltersResponse, AwsError> {
    let inner = me.state.read();
    let g = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&input.log_group_name))
        .ok_or_else(group_not_found)?;
    let all: Vec<SubscriptionFilter> = g
        .subscription_filters
        .values()
        .filter(|f| {
            input
                .filter_name_prefix
                .as_deref()
                .is_none_or(|p| f.name.starts_with(p))
        })
        .map(|f| SubscriptionFilter {
            filter_name: Some(f.name.clone()),
            log_group_name: Some(g.name.clone()),
            filter_pattern: Some(f.pattern.clone()),
            destination_arn: Some(f.destination_arn.clone()),
            role_arn: f.role_arn.clone(),
            distribution: Some(f.distribution.clone()),
            apply_on_transformed_logs: Some(false),
            creation_time: Some(f.created_ms),
            ..Default::default()
        })
        .collect();
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 50) as usize;
    let (page, next) = paging::slice(&all, "sf", input.next_token.as_deref(), limit)?;
    Ok(DescribeSubscriptionFiltersResponse {
        subscription_filters: Some(page),
        next_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::destination_vendor;

    #[test]
    fn destination_shapes() {
        assert_eq!(
            destination_vendor("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Some("lambda")
        );
        assert_eq!(
            destination_vendor("arn:aws:kinesis:us-east-1:123456789012:stream/s"),
            Some("kinesis")
        );
        assert_eq!(
            destination_vendor("arn:aws:firehose:us-east-1:123456789012:deliverystream/d"),
            Some("firehose")
        );
        assert_eq!(
            destination_vendor("arn:aws:logs:us-east-1:123456789012:destination:d"),
            Some("logs")
        );
        assert_eq!(
            destination_vendor("arn:aws:sqs:us-east-1:123456789012:q"),
            None
        );
        assert_eq!(destination_vendor("not-an-arn"), None);
    }
}
