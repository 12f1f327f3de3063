//! Running a scaling policy, from a CloudWatch alarm or ExecutePolicy: the
//! new desired capacity by policy type, and the rules that decide whether
//! anything happens (cooldowns for simple scaling, warm-up for step and
//! target tracking scaling, suspended processes).

use stratus_core::AwsError;
use stratus_core::metrics::AlarmTrigger;

use crate::AutoScaling;
use crate::errors::validation;
use crate::scaling::{adjusted, step_for, tracking_in, tracking_out};
use crate::state::{Group, Policy, Region};
use crate::wire::cause_time;

pub enum Source<'a> {
    Alarm(&'a AlarmTrigger),
    User {
        honor_cooldown: bool,
        metric_value: Option<f64>,
        breach_threshold: Option<f64>,
    },
}

pub fn from_alarm(
    asg: &AutoScaling,
    account: &str,
    region: &str,
    policy_arn: &str,
    trigger: &AlarmTrigger,
) -> Result<(), AwsError> {
    asg.state.with(account, region, |r| {
        let Some((g, p)) = r.policy_by_arn(policy_arn) else {
            return Err(validation(format!("Policy {policy_arn} not found")));
        };
        let (group, policy) = (g.name.clone(), p.name.clone());
        run(r, &group, &policy, Source::Alarm(trigger), trigger.now_ms)
    })
}

fn warming(g: &Group, p: &Policy, now: i64) -> i64 {
    let warmup = p
        .estimated_instance_warmup
        .or(g.default_instance_warmup)
        .unwrap_or(g.default_cooldown);
    g.instances
        .iter()
        .filter(|m| {
            m.counts() && (m.lifecycle != "InService" || m.launched_ms + warmup * 1000 > now)
        })
        .count() as i64
}

fn busy(g: &Group) -> bool {
    g.instances
        .iter()
        .any(|m| m.lifecycle.starts_with("Pending") || m.lifecycle.starts_with("Terminating"))
}

/// Runs the named policy of the group; `Ok` also when its rules say to do
/// nothing this time.
pub fn run(
    r: &mut Region,
    group: &str,
    policy: &str,
    source: Source,
    now: i64,
) -> Result<(), AwsError> {
    let blocked = r.blocked(group);
    let Some(g) = r.groups.get_mut(group) else {
        return Err(crate::errors::group_not_found(group));
    };
    let Some(p) = g.policies.iter().find(|p| p.name == policy).cloned() else {
        return Err(validation(format!("No such policy: {policy}")));
    };
    if !p.enabled {
        return Ok(());
    }
    let alarm = match &source {
        Source::Alarm(t) => Some(*t),
        Source::User { .. } => None,
    };
    if alarm.is_some() && g.suspended("AlarmNotification") {
        return Ok(());
    }
    if let Some(t) = alarm {
        if let Some(p) = g.policies.iter_mut().find(|p| p.name == policy) {
            if !p.alarms.iter().any(|(n, _)| *n == t.alarm_name) {
                p.alarms.push((t.alarm_name.clone(), t.alarm_arn.clone()));
            }
        }
    }
    let old = g.desired;
    let adjustment_type = p.adjustment_type.as_deref().unwrap_or("ChangeInCapacity");
    let new = match p.policy_type.as_str() {
        "SimpleScaling" => {
            let honor = match &source {
                Source::Alarm(_) => true,
                Source::User { honor_cooldown, .. } => *honor_cooldown,
            };
            if honor && (now < g.cooldown_until_ms || busy(g)) {
                if alarm.is_some() {
                    return Ok(());
                }
                return Err(blocked);
            }
            adjusted(
                old,
                adjustment_type,
                p.scaling_adjustment.unwrap_or(0),
                p.min_adjustment_magnitude.or(p.min_adjustment_step),
            )
        }
        "StepScaling" => {
            let (metric, threshold) = match &source {
                Source::Alarm(t) => (t.metric_value.unwrap_or(t.threshold), t.threshold),
                Source::User {
                    metric_value,
                    breach_threshold,
                    ..
                } => match (metric_value, breach_threshold) {
                    (Some(m), Some(b)) => (*m, *b),
                    _ => {
                        return Err(validation(
                            "Both MetricValue and BreachThreshold are required when executing a step scaling policy",
                        ));
                    }
                },
            };
            let Some(step) = step_for(&p.steps, metric, threshold) else {
                if alarm.is_some() {
                    return Ok(());
                }
                return Err(validation(format!(
                    "No step adjustment found for metric value {metric} and breach threshold {threshold}"
                )));
            };
            let magnitude = p.min_adjustment_magnitude.or(p.min_adjustment_step);
            if step.adjustment > 0 && adjustment_type != "ExactCapacity" {
                // Instances still warming up already answer this breach.
                let base = old - warming(g, &p, now);
                adjusted(base, adjustment_type, step.adjustment, magnitude).max(old)
            } else {
                adjusted(old, adjustment_type, step.adjustment, magnitude)
            }
        }
        "TargetTrackingScaling" => {
            let Some(t) = alarm else {
                return Err(validation(
                    "ExecutePolicy is not supported for policies of type TargetTrackingScaling",
                ));
            };
            let high = if t.alarm_name.contains("-AlarmLow-") {
                false
            } else if t.alarm_name.contains("-AlarmHigh-") {
                true
            } else {
                t.metric_value.is_some_and(|m| m > p.target_value)
            };
            let warm = warming(g, &p, now);
            if high {
                if warm > 0 && t.metric_value.is_none() {
                    return Ok(());
                }
                tracking_out(old - warm, t.metric_value, p.target_value).max(old)
            } else {
                if p.disable_scale_in || busy(g) || warm > 0 {
                    return Ok(());
                }
                tracking_in(old, t.metric_value, p.target_value)
            }
        }
        other => {
            return Err(validation(format!(
                "ExecutePolicy is not supported for policies of type {other}"
            )));
        }
    };
    let new = new.clamp(g.min, g.max);
    if p.policy_type == "SimpleScaling" {
        let cooldown = p.cooldown.unwrap_or(g.default_cooldown);
        g.cooldown_until_ms = now + cooldown * 1000;
    }
    if new == old {
        return Ok(());
    }
    let at = cause_time(now);
    g.pending_cause = Some(match alarm {
        Some(t) => format!(
            "At {at} a monitor alarm {} in state ALARM triggered policy {policy} changing the desired capacity from {old} to {new}.",
            t.alarm_name
        ),
        None => format!(
            "At {at} a user request executed policy {policy} changing the desired capacity from {old} to {new}."
        ),
    });
    g.desired = new;
    Ok(())
}
