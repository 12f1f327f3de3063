//! Scheduled actions: one-time or recurring (cron in a time zone) changes
//! of a group's size, run by the reconciler when due.

use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::AutoScaling;
use crate::cron::{Cron, Zone};
use crate::errors::{limit_exceeded, validation};
use crate::generated::*;
use crate::ops::groups::{group_mut, group_ref};
use crate::state::{Region, Scheduled};
use crate::wire::page;

const MAX_PER_GROUP: usize = 125;

#[allow(clippy::too_many_arguments)]
fn build(
    ctx: &RequestContext,
    group: &str,
    name: &str,
    start: Option<i64>,
    end: Option<i64>,
    recurrence: Option<String>,
    min: Option<i32>,
    max: Option<i32>,
    desired: Option<i32>,
    time_zone: Option<String>,
) -> Result<Scheduled, AwsError> {
    let now = ctx.clock.now_millis();
    if min.is_none() && max.is_none() && desired.is_none() {
        return Err(validation(
            "At least one of MinSize, MaxSize or DesiredCapacity must be specified.",
        ));
    }
    if let (Some(mi), Some(ma)) = (min, max) {
        if mi > ma {
            return Err(validation(format!(
                "Max bound, {ma}, must be greater than or equal to min bound, {mi}"
            )));
        }
    }
    let zone = match &time_zone {
        Some(z) => Zone::named(z).ok_or_else(|| validation(format!("Invalid time zone: {z}")))?,
        None => Zone::UTC,
    };
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(validation("The end time must be after the start time."));
        }
    }
    if let Some(e) = end {
        if e < now {
            return Err(validation("Given end time is in the past"));
        }
    }
    let next = match &recurrence {
        Some(r) => {
            let cron = Cron::parse(r)
                .ok_or_else(|| validation(format!("Given recurrence string {r} is invalid.")))?;
            let from = start.map(|s| (s - 1).max(now)).unwrap_or(now);
            cron.next_after(from, &zone)
        }
        None => {
            let s = start
                .ok_or_else(|| validation("Either StartTime or Recurrence must be specified."))?;
            if s < now {
                return Err(validation("Given start time is in the past"));
            }
            Some(s)
        }
    };
    Ok(Scheduled {
        name: name.to_string(),
        arn: format!(
            "arn:aws:autoscaling:{}:{}:scheduledUpdateGroupAction:{}:autoScalingGroupName/{group}:scheduledActionName/{name}",
            ctx.region,
            ctx.account_id(),
            ids::uuid_v4()
        ),
        start_ms: start,
        end_ms: end,
        recurrence,
        min: min.map(i64::from),
        max: max.map(i64::from),
        desired: desired.map(i64::from),
        time_zone,
        next_ms: next,
    })
}

fn store(r: &mut Region, group: &str, mut s: Scheduled) -> Result<(), AwsError> {
    let g = group_mut(r, group)?;
    match g.scheduled.iter_mut().find(|x| x.name == s.name) {
        Some(x) => {
            s.arn = x.arn.clone();
            *x = s;
        }
        None => {
            if g.scheduled.len() >= MAX_PER_GROUP {
                return Err(limit_exceeded(format!(
                    "You have reached the maximum number of scheduled actions ({MAX_PER_GROUP}) for the Auto Scaling group."
                )));
            }
            g.scheduled.push(s);
        }
    }
    Ok(())
}

pub fn put_scheduled_update_group_action(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: PutScheduledUpdateGroupActionType,
) -> Result<(), AwsError> {
    let group = input.auto_scaling_group_name.clone();
    asg.state.read(ctx.account_id(), &ctx.region, |r| {
        group_ref(r, &group).map(|_| ())
    })?;
    let s = build(
        ctx,
        &group,
        &input.scheduled_action_name,
        input.start_time.or(input.time).map(|t| t.0),
        input.end_time.map(|t| t.0),
        input.recurrence.clone(),
        input.min_size,
        input.max_size,
        input.desired_capacity,
        input.time_zone.clone(),
    )?;
    asg.state
        .with(ctx.account_id(), &ctx.region, |r| store(r, &group, s))
}

pub fn batch_put_scheduled_update_group_action(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: BatchPutScheduledUpdateGroupActionType,
) -> Result<BatchPutScheduledUpdateGroupActionAnswer, AwsError> {
    let group = input.auto_scaling_group_name.clone();
    asg.state.read(ctx.account_id(), &ctx.region, |r| {
        group_ref(r, &group).map(|_| ())
    })?;
    let mut failed = Vec::new();
    let mut ok = Vec::new();
    for a in &input.scheduled_update_group_actions {
        match build(
            ctx,
            &group,
            &a.scheduled_action_name,
            a.start_time.map(|t| t.0),
            a.end_time.map(|t| t.0),
            a.recurrence.clone(),
            a.min_size,
            a.max_size,
            a.desired_capacity,
            a.time_zone.clone(),
        ) {
            Ok(s) => ok.push(s),
            Err(e) => failed.push(FailedScheduledUpdateGroupActionRequest {
                scheduled_action_name: a.scheduled_action_name.clone(),
                error_code: Some(e.code),
                error_message: Some(e.message),
            }),
        }
    }
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        for s in ok {
            let name = s.name.clone();
            if let Err(e) = store(r, &group, s) {
                failed.push(FailedScheduledUpdateGroupActionRequest {
                    scheduled_action_name: name,
                    error_code: Some(e.code),
                    error_message: Some(e.message),
                });
            }
        }
        Ok(())
    })?;
    Ok(BatchPutScheduledUpdateGroupActionAnswer {
        failed_scheduled_update_group_actions: Some(failed),
    })
}

fn not_found(name: &str) -> AwsError {
    validation(format!(
        "Scheduled Update Group Action name not found - Could not find scheduled action {name}"
    ))
}

pub fn delete_scheduled_action(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteScheduledActionType,
) -> Result<(), AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let before = g.scheduled.len();
        g.scheduled
            .retain(|s| s.name != input.scheduled_action_name);
        if g.scheduled.len() == before {
            return Err(not_found(&input.scheduled_action_name));
        }
        Ok(())
    })
}

pub fn batch_delete_scheduled_action(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: BatchDeleteScheduledActionType,
) -> Result<BatchDeleteScheduledActionAnswer, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let mut failed = Vec::new();
        for n in &input.scheduled_action_names {
            if g.scheduled.iter().any(|s| &s.name == n) {
                g.scheduled.retain(|s| &s.name != n);
            } else {
                let e = not_found(n);
                failed.push(FailedScheduledUpdateGroupActionRequest {
                    scheduled_action_name: n.clone(),
                    error_code: Some(e.code),
                    error_message: Some(e.message),
                });
            }
        }
        Ok(BatchDeleteScheduledActionAnswer {
            failed_scheduled_actions: Some(failed),
        })
    })
}

pub fn describe_scheduled_actions(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeScheduledActionsType,
) -> Result<ScheduledActionsType, AwsError> {
    let names = input.scheduled_action_names.clone().unwrap_or_default();
    let all = asg.state.read(
        ctx.account_id(),
        &ctx.region,
        |r| -> Result<Vec<ScheduledUpdateGroupAction>, AwsError> {
            if let Some(gn) = &input.auto_scaling_group_name {
                group_ref(r, gn)?;
            }
            Ok(r.groups
                .values()
                .filter(|g| {
                    input
                        .auto_scaling_group_name
                        .as_ref()
                        .is_none_or(|n| *n == g.name)
                })
                .flat_map(|g| g.scheduled.iter().map(move |s| (g, s)))
                .filter(|(_, s)| names.is_empty() || names.contains(&s.name))
                .filter(|(_, s)| {
                    let at = s.next_ms.or(s.start_ms).unwrap_or(0);
                    input.start_time.is_none_or(|t| at >= t.0)
                        && input.end_time.is_none_or(|t| at <= t.0)
                })
                .map(|(g, s)| {
                    let start = s.next_ms.or(s.start_ms).map(Timestamp);
                    ScheduledUpdateGroupAction {
                        auto_scaling_group_name: Some(g.name.clone()),
                        scheduled_action_name: Some(s.name.clone()),
                        scheduled_action_arn: Some(s.arn.clone()),
                        time: start,
                        start_time: start,
                        end_time: s.end_ms.map(Timestamp),
                        recurrence: s.recurrence.clone(),
                        min_size: s.min.map(|v| v as i32),
                        max_size: s.max.map(|v| v as i32),
                        desired_capacity: s.desired.map(|v| v as i32),
                        time_zone: s.time_zone.clone(),
                    }
                })
                .collect())
        },
    )?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(ScheduledActionsType {
        scheduled_update_group_actions: Some(items),
        next_token: next,
    })
}
