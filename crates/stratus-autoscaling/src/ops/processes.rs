//! Suspending and resuming a group's processes, and group metrics
//! collection (stored).

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::ops::groups::group_mut;
use crate::wire::cause_time;

pub const PROCESSES: [&str; 9] = [
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
];

pub const METRICS: [&str; 20] = [
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
];

fn names(list: Option<Vec<String>>) -> Result<Vec<String>, AwsError> {
    let list = list.unwrap_or_default();
    for p in &list {
        if !PROCESSES.contains(&p.as_str()) {
            return Err(validation(format!(
                "Process {p} is not a valid scaling process."
            )));
        }
    }
    Ok(if list.is_empty() {
        PROCESSES.iter().map(|s| s.to_string()).collect()
    } else {
        list
    })
}

pub fn suspend_processes(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: ScalingProcessQuery,
) -> Result<(), AwsError> {
    let list = names(input.scaling_processes)?;
    let reason = format!("User suspended at {}", cause_time(ctx.clock.now_millis()));
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for p in list {
            g.suspended.entry(p).or_insert_with(|| reason.clone());
        }
        Ok(())
    })
}

pub fn resume_processes(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: ScalingProcessQuery,
) -> Result<(), AwsError> {
    let list = names(input.scaling_processes)?;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for p in list {
            g.suspended.remove(&p);
        }
        Ok(())
    })
}

fn metric_names(list: Option<Vec<String>>) -> Result<Vec<String>, AwsError> {
    let list = list.unwrap_or_default();
    for m in &list {
        if !METRICS.contains(&m.as_str()) {
            return Err(validation(format!("Invalid metric name: {m}")));
        }
    }
    Ok(if list.is_empty() {
        METRICS.iter().map(|s| s.to_string()).collect()
    } else {
        list
    })
}

pub fn enable_metrics_collection(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: EnableMetricsCollectionQuery,
) -> Result<(), AwsError> {
    if input.granularity != "1Minute" {
        return Err(validation(format!(
            "Invalid granularity: {}. The only valid granularity is 1Minute.",
            input.granularity
        )));
    }
    let list = metric_names(input.metrics)?;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for m in list {
            if !g.metrics.iter().any(|(x, _)| *x == m) {
                g.metrics.push((m, input.granularity.clone()));
            }
        }
        Ok(())
    })
}

pub fn disable_metrics_collection(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DisableMetricsCollectionQuery,
) -> Result<(), AwsError> {
    let list = metric_names(input.metrics)?;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        g.metrics.retain(|(m, _)| !list.contains(m));
        Ok(())
    })
}
