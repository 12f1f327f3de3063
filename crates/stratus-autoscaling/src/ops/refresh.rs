//! Instance refresh: replaces a group's instances in batches, keeping
//! MinHealthyPercentage of the group in service (the reconciler does the
//! replacing).

use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::ops::groups::{check_template, group_mut, group_ref, template_spec};
use crate::state::Refresh;
use crate::wire::{give, keep, page};

fn active(status: &str) -> bool {
    matches!(status, "Pending" | "InProgress" | "Cancelling")
}

pub fn start_instance_refresh(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: StartInstanceRefreshType,
) -> Result<StartInstanceRefreshAnswer, AwsError> {
    let strategy = input.strategy.clone().unwrap_or_else(|| "Rolling".into());
    if strategy != "Rolling" && strategy != "ReplaceRootVolume" {
        return Err(validation(format!(
            "Invalid strategy {strategy}. Valid values are Rolling and ReplaceRootVolume."
        )));
    }
    if let Some(p) = &input.preferences {
        if let Some(m) = p.min_healthy_percentage {
            if !(0..=100).contains(&m) {
                return Err(validation(
                    "MinHealthyPercentage must be between 0 and 100.",
                ));
            }
        }
    }
    let template = match input
        .desired_configuration
        .as_ref()
        .and_then(|d| d.launch_template.as_ref())
    {
        Some(t) => Some(check_template(asg, ctx, &template_spec(t)?)?),
        None => None,
    };
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        if g.refreshes.iter().any(|f| active(&f.status)) {
            return Err(AwsError::bad_request(
                "InstanceRefreshInProgress",
                "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
            ));
        }
        if let Some(t) = &template {
            g.template = Some(t.clone());
            g.launch_config = None;
            g.mixed = None;
        }
        if let Some(m) = input.desired_configuration.as_ref().and_then(|d| d.mixed_instances_policy.clone()) {
            g.mixed = Some(keep(m));
            g.template = None;
            g.launch_config = None;
        }
        let skip_matching = input.preferences.as_ref().and_then(|p| p.skip_matching).unwrap_or(false);
        let current = g.template.as_ref().and_then(|t| t.version.clone());
        let pending: Vec<String> = g
            .instances
            .iter()
            .filter(|m| m.lifecycle == "InService")
            .filter(|m| {
                !skip_matching
                    || m.launch_config != g.launch_config
                    || current.as_ref().is_some_and(|v| m.template.as_ref().and_then(|t| t.version.as_ref()) != Some(v))
            })
            .map(|m| m.id.clone())
            .collect();
        let id = ids::uuid_v4();
        g.refreshes.push(Refresh {
            id: id.clone(),
            status: "Pending".into(),
            start_ms: now,
            instances_to_update: pending.len() as i64,
            total: pending.len() as i64,
            strategy,
            preferences: input.preferences.clone().map(keep),
            desired: input.desired_configuration.clone().map(keep),
            pending,
            ..Default::default()
        });
        Ok(StartInstanceRefreshAnswer {
            instance_refresh_id: Some(id),
        })
    })
}

fn out(group: &str, f: &Refresh) -> InstanceRefresh {
    let pct = if f.total == 0 || f.status == "Successful" {
        100
    } else {
        ((f.total - f.instances_to_update) * 100 / f.total) as i32
    };
    InstanceRefresh {
        instance_refresh_id: Some(f.id.clone()),
        auto_scaling_group_name: Some(group.to_string()),
        status: Some(f.status.clone()),
        status_reason: f.status_reason.clone(),
        start_time: Some(Timestamp(f.start_ms)),
        end_time: f.end_ms.map(Timestamp),
        percentage_complete: Some(pct),
        instances_to_update: Some(f.instances_to_update as i32),
        progress_details: Some(InstanceRefreshProgressDetails {
            live_pool_progress: Some(InstanceRefreshLivePoolProgress {
                percentage_complete: Some(pct),
                instances_to_update: Some(f.instances_to_update as i32),
            }),
            warm_pool_progress: None,
        }),
        preferences: give(&f.preferences),
        desired_configuration: give(&f.desired),
        strategy: Some(f.strategy.clone()),
        ..Default::default()
    }
}

pub fn describe_instance_refreshes(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeInstanceRefreshesType,
) -> Result<DescribeInstanceRefreshesAnswer, AwsError> {
    let wanted = input.instance_refresh_ids.clone().unwrap_or_default();
    let all = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        Ok::<_, AwsError>(
            g.refreshes
                .iter()
                .rev()
                .filter(|f| wanted.is_empty() || wanted.contains(&f.id))
                .map(|f| out(&g.name, f))
                .collect::<Vec<_>>(),
        )
    })?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(DescribeInstanceRefreshesAnswer {
        instance_refreshes: Some(items),
        next_token: next,
    })
}

pub fn cancel_instance_refresh(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: CancelInstanceRefreshType,
) -> Result<CancelInstanceRefreshAnswer, AwsError> {
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let name = g.name.clone();
        let f = g.refreshes.iter_mut().find(|f| active(&f.status)).ok_or_else(|| {
            AwsError::bad_request(
                "ActiveInstanceRefreshNotFound",
                format!("No in progress or pending Instance Refresh found for Auto Scaling group {name}"),
            )
        })?;
        f.status = "Cancelled".into();
        f.status_reason = Some("Cancelled due to user request.".into());
        f.end_ms = Some(now);
        f.pending.clear();
        Ok(CancelInstanceRefreshAnswer {
            instance_refresh_id: Some(f.id.clone()),
        })
    })
}
