//! Scaling activities: what launched or terminated what, and why.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::state::Activity as Rec;
use crate::wire::page;

pub fn activity_out(a: &Rec) -> Activity {
    Activity {
        activity_id: a.id.clone(),
        auto_scaling_group_name: a.group.clone(),
        description: Some(a.description.clone()),
        cause: a.cause.clone(),
        start_time: Timestamp(a.start_ms),
        end_time: a.end_ms.map(Timestamp),
        status_code: a.status.clone(),
        status_message: a.status_message.clone(),
        progress: Some(a.progress as i32),
        details: Some(a.details.clone()),
        auto_scaling_group_state: a.group_deleted.then(|| "Deleted".to_string()),
        auto_scaling_group_arn: Some(a.group_arn.clone()),
    }
}

pub fn describe_scaling_activities(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeScalingActivitiesType,
) -> Result<ActivitiesType, AwsError> {
    if input.max_records.is_some_and(|m| m > 100) {
        return Err(validation(
            "1 validation error detected: Value at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
        ));
    }
    let ids = input.activity_ids.clone().unwrap_or_default();
    let include_deleted = input.include_deleted_groups.unwrap_or(false);
    let group = input.auto_scaling_group_name.clone();
    let all: Vec<Activity> = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        r.activities
            .iter()
            .rev()
            .filter(|a| ids.is_empty() || ids.contains(&a.id))
            .filter(|a| group.as_ref().is_none_or(|g| *g == a.group))
            .filter(|a| include_deleted || !a.group_deleted)
            .map(activity_out)
            .collect()
    });
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 100)?;
    Ok(ActivitiesType {
        activities: items,
        next_token: next,
    })
}
