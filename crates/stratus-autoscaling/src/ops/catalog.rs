//! Fixed answers: adjustment, process, termination policy, hook,
//! notification and metric types, and the account's limits.

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::generated::*;
use crate::notify;
use crate::ops::groups::MAX_GROUPS;
use crate::ops::processes::{METRICS, PROCESSES};
use crate::reconcile::{LAUNCHING, TERMINATING};
use crate::scaling::ADJUSTMENT_TYPES;
use crate::termination::POLICY_TYPES;

pub fn describe_account_limits(
    asg: &AutoScaling,
    ctx: &RequestContext,
    _: (),
) -> Result<DescribeAccountLimitsAnswer, AwsError> {
    let (groups, configs) = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        (r.groups.len() as i32, r.launch_configs.len() as i32)
    });
    Ok(DescribeAccountLimitsAnswer {
        max_number_of_auto_scaling_groups: Some(MAX_GROUPS as i32),
        max_number_of_launch_configurations: Some(200),
        number_of_auto_scaling_groups: Some(groups),
        number_of_launch_configurations: Some(configs),
    })
}

pub fn describe_adjustment_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<DescribeAdjustmentTypesAnswer, AwsError> {
    Ok(DescribeAdjustmentTypesAnswer {
        adjustment_types: Some(
            ADJUSTMENT_TYPES
                .iter()
                .map(|t| AdjustmentType {
                    adjustment_type: Some(t.to_string()),
                })
                .collect(),
        ),
    })
}

pub fn describe_auto_scaling_notification_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<DescribeAutoScalingNotificationTypesAnswer, AwsError> {
    Ok(DescribeAutoScalingNotificationTypesAnswer {
        auto_scaling_notification_types: Some(
            notify::TYPES.iter().map(|s| s.to_string()).collect(),
        ),
    })
}

pub fn describe_lifecycle_hook_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<DescribeLifecycleHookTypesAnswer, AwsError> {
    Ok(DescribeLifecycleHookTypesAnswer {
        lifecycle_hook_types: Some(vec![LAUNCHING.to_string(), TERMINATING.to_string()]),
    })
}

pub fn describe_metric_collection_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<DescribeMetricCollectionTypesAnswer, AwsError> {
    Ok(DescribeMetricCollectionTypesAnswer {
        metrics: Some(
            METRICS
                .iter()
                .map(|m| MetricCollectionType {
                    metric: Some(m.to_string()),
                })
                .collect(),
        ),
        granularities: Some(vec![MetricGranularityType {
            granularity: Some("1Minute".into()),
        }]),
    })
}

pub fn describe_scaling_process_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<ProcessesType, AwsError> {
    let mut names: Vec<&str> = PROCESSES.to_vec();
    names.sort_unstable();
    Ok(ProcessesType {
        processes: Some(
            names
                .into_iter()
                .map(|p| ProcessType {
                    process_name: p.to_string(),
                })
                .collect(),
        ),
    })
}

pub fn describe_termination_policy_types(
    _: &AutoScaling,
    _: &RequestContext,
    _: (),
) -> Result<DescribeTerminationPolicyTypesAnswer, AwsError> {
    Ok(DescribeTerminationPolicyTypesAnswer {
        termination_policy_types: Some(POLICY_TYPES.iter().map(|s| s.to_string()).collect()),
    })
}
