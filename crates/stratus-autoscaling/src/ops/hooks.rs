//! Lifecycle hooks: instances wait in Pending:Wait or Terminating:Wait
//! until CompleteLifecycleAction or the heartbeat timeout decides.

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::{limit_exceeded, validation};
use crate::generated::*;
use crate::notify::{self, Outgoing};
use crate::ops::groups::{group_mut, group_ref};
use crate::reconcile::{LAUNCHING, TERMINATING};
use crate::state::{Group, Hook};

const MAX_HOOKS: usize = 50;

pub fn put_lifecycle_hook(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: PutLifecycleHookType,
) -> Result<PutLifecycleHookAnswer, AwsError> {
    if let Some(t) = &input.lifecycle_transition {
        if t != LAUNCHING && t != TERMINATING {
            return Err(validation(format!("Invalid Lifecycle Transition: {t}")));
        }
    }
    if let Some(h) = input.heartbeat_timeout {
        if !(30..=7200).contains(&h) {
            return Err(validation(
                "Heartbeat timeout must be between 30 and 7200 seconds.",
            ));
        }
    }
    if let Some(d) = &input.default_result {
        if d != "CONTINUE" && d != "ABANDON" {
            return Err(validation(format!(
                "Invalid default result {d}. Valid values are CONTINUE and ABANDON."
            )));
        }
    }
    if let Some(target) = &input.notification_target_arn {
        if !target.is_empty() && !notify::target_exists(asg, target) {
            return Err(validation(format!(
                "Unable to publish test message to notification target {target} using IAM role {}. Please check your target and role configuration and try to put lifecycle hook again.",
                input.role_arn.clone().unwrap_or_default()
            )));
        }
    }
    let now = ctx.clock.now_millis();
    let account = ctx.account_id().to_string();
    let out = asg.state.with(&account, &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let existing = g.hooks.iter().position(|h| h.name == input.lifecycle_hook_name);
        let mut hook = match existing {
            Some(i) => g.hooks[i].clone(),
            None => {
                let Some(t) = &input.lifecycle_transition else {
                    return Err(validation(
                        "LifecycleTransition is required when creating a lifecycle hook.",
                    ));
                };
                if g.hooks.len() >= MAX_HOOKS {
                    return Err(limit_exceeded(format!(
                        "Unable to create lifecycle hook {}. You have reached the maximum number of lifecycle hooks ({MAX_HOOKS}) for the Auto Scaling group.",
                        input.lifecycle_hook_name
                    )));
                }
                Hook {
                    name: input.lifecycle_hook_name.clone(),
                    transition: t.clone(),
                    heartbeat_secs: 3600,
                    default_result: "ABANDON".into(),
                    ..Default::default()
                }
            }
        };
        if let Some(t) = &input.lifecycle_transition {
            hook.transition = t.clone();
        }
        if let Some(v) = input.heartbeat_timeout {
            hook.heartbeat_secs = v as i64;
        }
        if let Some(v) = &input.default_result {
            hook.default_result = v.clone();
        }
        if let Some(v) = &input.notification_target_arn {
            hook.target = (!v.is_empty()).then(|| v.clone());
        }
        if let Some(v) = &input.role_arn {
            hook.role = Some(v.clone());
        }
        if let Some(v) = &input.notification_metadata {
            hook.metadata = Some(v.clone());
        }
        let mut out = Vec::new();
        if let Some(target) = &hook.target {
            out.push(Outgoing {
                target: target.clone(),
                subject: notify::test_subject(g),
                message: notify::test_message(&account, g, now),
            });
        }
        match existing {
            Some(i) => g.hooks[i] = hook,
            None => g.hooks.push(hook),
        }
        Ok(out)
    })?;
    notify::send(asg, &account, &ctx.region, out);
    Ok(PutLifecycleHookAnswer::default())
}

fn out(g: &Group, h: &Hook) -> LifecycleHook {
    LifecycleHook {
        lifecycle_hook_name: Some(h.name.clone()),
        auto_scaling_group_name: Some(g.name.clone()),
        lifecycle_transition: Some(h.transition.clone()),
        notification_target_arn: h.target.clone(),
        role_arn: h.role.clone(),
        notification_metadata: h.metadata.clone(),
        heartbeat_timeout: Some(h.heartbeat_secs as i32),
        global_timeout: Some((h.heartbeat_secs * 100).min(172_800) as i32),
        default_result: Some(h.default_result.clone()),
    }
}

pub fn describe_lifecycle_hooks(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLifecycleHooksType,
) -> Result<DescribeLifecycleHooksAnswer, AwsError> {
    let names = input.lifecycle_hook_names.clone().unwrap_or_default();
    asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        Ok(DescribeLifecycleHooksAnswer {
            lifecycle_hooks: Some(
                g.hooks
                    .iter()
                    .filter(|h| names.is_empty() || names.contains(&h.name))
                    .map(|h| out(g, h))
                    .collect(),
            ),
        })
    })
}

pub fn delete_lifecycle_hook(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteLifecycleHookType,
) -> Result<DeleteLifecycleHookAnswer, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        if !g.hooks.iter().any(|h| h.name == input.lifecycle_hook_name) {
            return Err(validation(format!(
                "No Lifecycle Hook found with name {} for Auto Scaling group {}",
                input.lifecycle_hook_name, g.name
            )));
        }
        g.hooks.retain(|h| h.name != input.lifecycle_hook_name);
        Ok(DeleteLifecycleHookAnswer::default())
    })
}

/// The instance waiting on the hook, by token or instance id.
fn waiting<'a>(
    g: &'a mut Group,
    hook: &str,
    token: Option<&str>,
    instance: Option<&str>,
) -> Result<&'a mut crate::state::Member, AwsError> {
    if token.is_none() && instance.is_none() {
        return Err(validation(
            "Either LifecycleActionToken or InstanceId must be specified.",
        ));
    }
    g.instances
        .iter_mut()
        .find(|m| {
            m.hook.as_ref().is_some_and(|h| {
                h.hook == hook
                    && h.result.is_none()
                    && token.is_none_or(|t| t == h.token)
                    && instance.is_none_or(|i| i == m.id)
            })
        })
        .ok_or_else(|| match (token, instance) {
            (Some(t), _) => validation(format!("No active Lifecycle Action found with token {t}")),
            (_, Some(i)) => validation(format!(
                "No active Lifecycle Action found with instance ID {i}"
            )),
            _ => unreachable!(),
        })
}

pub fn complete_lifecycle_action(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: CompleteLifecycleActionType,
) -> Result<CompleteLifecycleActionAnswer, AwsError> {
    let result = input.lifecycle_action_result.clone();
    if result != "CONTINUE" && result != "ABANDON" {
        return Err(validation(format!(
            "Invalid lifecycle action result {result}. Valid values are CONTINUE and ABANDON."
        )));
    }
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        if !g.hooks.iter().any(|h| h.name == input.lifecycle_hook_name) {
            return Err(validation(format!(
                "No Lifecycle Hook found with name {} for Auto Scaling group {}",
                input.lifecycle_hook_name, g.name
            )));
        }
        let m = waiting(
            g,
            &input.lifecycle_hook_name,
            input.lifecycle_action_token.as_deref(),
            input.instance_id.as_deref(),
        )?;
        if let Some(h) = &mut m.hook {
            h.result = Some(result.clone());
        }
        Ok(CompleteLifecycleActionAnswer::default())
    })
}

pub fn record_lifecycle_action_heartbeat(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: RecordLifecycleActionHeartbeatType,
) -> Result<RecordLifecycleActionHeartbeatAnswer, AwsError> {
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let heartbeat = g
            .hooks
            .iter()
            .find(|h| h.name == input.lifecycle_hook_name)
            .map(|h| h.heartbeat_secs)
            .ok_or_else(|| {
                validation(format!(
                    "No Lifecycle Hook found with name {} for Auto Scaling group {}",
                    input.lifecycle_hook_name, input.auto_scaling_group_name
                ))
            })?;
        let m = waiting(
            g,
            &input.lifecycle_hook_name,
            input.lifecycle_action_token.as_deref(),
            input.instance_id.as_deref(),
        )?;
        if let Some(h) = &mut m.hook {
            h.deadline_ms = (now + heartbeat * 1000).min(h.global_deadline_ms);
        }
        Ok(RecordLifecycleActionHeartbeatAnswer::default())
    })
}
