//! A group's instances: describe, terminate, health, scale-in protection,
//! attach and detach, standby.

use stratus_core::{AwsError, RequestContext, ids};

use crate::AutoScaling;
use crate::effects::Effects;
use crate::errors::validation;
use crate::generated::*;
use crate::ops::activities::activity_out;
use crate::ops::groups::{group_mut, template_out};
use crate::reconcile::{begin_termination, record};
use crate::state::{Activity as Rec, Group, Member, Region};
use crate::wire::{cause_time, page};

fn details(m: &Member) -> String {
    let mut d = serde_json::Map::new();
    if let Some(s) = &m.subnet {
        d.insert("Subnet ID".into(), serde_json::json!(s));
    }
    d.insert("Availability Zone".into(), serde_json::json!(m.az));
    serde_json::Value::Object(d).to_string()
}

fn done(g: &Group, m: &Member, description: String, cause: String, now: i64) -> Rec {
    Rec {
        id: ids::uuid_v4(),
        group: g.name.clone(),
        group_arn: g.arn.clone(),
        description,
        cause,
        start_ms: now,
        end_ms: Some(now),
        status: "Successful".into(),
        progress: 100,
        details: details(m),
        ..Default::default()
    }
}

fn not_in_group(id: &str, group: &str) -> AwsError {
    validation(format!(
        "The instance {id} is not part of Auto Scaling group {group}."
    ))
}

fn group_of(r: &Region, id: &str) -> Option<String> {
    r.groups
        .values()
        .find(|g| g.member(id).is_some())
        .map(|g| g.name.clone())
}

pub fn describe_auto_scaling_instances(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeAutoScalingInstancesType,
) -> Result<AutoScalingInstancesType, AwsError> {
    let wanted = input.instance_ids.clone().unwrap_or_default();
    let all: Vec<AutoScalingInstanceDetails> = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let mut v: Vec<AutoScalingInstanceDetails> = r
            .groups
            .values()
            .flat_map(|g| g.instances.iter().map(move |m| (g, m)))
            .filter(|(_, m)| wanted.is_empty() || wanted.contains(&m.id))
            .map(|(g, m)| AutoScalingInstanceDetails {
                instance_id: m.id.clone(),
                instance_type: (!m.instance_type.is_empty()).then(|| m.instance_type.clone()),
                auto_scaling_group_name: g.name.clone(),
                availability_zone: m.az.clone(),
                lifecycle_state: m.lifecycle.clone(),
                // This call spells health in capitals, unlike the group's.
                health_status: m.health.to_uppercase(),
                launch_configuration_name: m.launch_config.clone(),
                launch_template: m.template.as_ref().map(template_out),
                protected_from_scale_in: m.protected,
                ..Default::default()
            })
            .collect();
        v.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        v
    });
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(AutoScalingInstancesType {
        auto_scaling_instances: Some(items),
        next_token: next,
    })
}

pub fn terminate_instance_in_auto_scaling_group(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: TerminateInstanceInAutoScalingGroupType,
) -> Result<ActivityType, AwsError> {
    let now = ctx.clock.now_millis();
    let id = input
        .instance_id
        .clone()
        .or_else(|| {
            input
                .instance_ids
                .clone()
                .and_then(|v| v.into_iter().next())
        })
        .ok_or_else(|| validation("InstanceId is required"))?;
    let decrement = input.should_decrement_desired_capacity;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let name = group_of(r, &id).ok_or_else(|| {
            validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {id}"
            ))
        })?;
        let Region {
            groups, activities, ..
        } = r;
        let g = groups.get_mut(&name).expect("found");
        let m = g.member(&id).cloned().expect("found");
        if m.lifecycle.starts_with("Terminating") {
            let act = m.activity.clone();
            let a = activities.iter().rev().find(|a| Some(&a.id) == act.as_ref());
            return Ok(ActivityType {
                activity: a.map(activity_out),
                ..Default::default()
            });
        }
        let t = cause_time(now);
        let counted = m.counts();
        let cause = if decrement && counted {
            if g.desired - 1 < g.min {
                return Err(validation(format!(
                    "Currently, desired-capacity={} and min-size={}. Terminating the instance and decrementing the desired capacity would violate the minimum size of the group.",
                    g.desired, g.min
                )));
            }
            let old = g.desired;
            g.desired -= 1;
            format!(
                "At {t} instance {id} was taken out of service in response to a user request, shrinking the capacity from {old} to {}.",
                g.desired
            )
        } else {
            format!("At {t} instance {id} was taken out of service in response to a user request.")
        };
        begin_termination(g, activities, &id, cause, now);
        let act = g.member(&id).and_then(|m| m.activity.clone());
        let a = activities.iter().rev().find(|a| Some(&a.id) == act.as_ref());
        Ok(ActivityType {
            activity: a.map(activity_out),
            ..Default::default()
        })
    })
}

pub fn set_instance_health(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: SetInstanceHealthQuery,
) -> Result<(), AwsError> {
    let now = ctx.clock.now_millis();
    let status = input.health_status.clone();
    if status != "Healthy" && status != "Unhealthy" {
        return Err(validation(format!(
            "Invalid health status: {status}. Valid values are Healthy and Unhealthy."
        )));
    }
    let id = input.instance_id.clone();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let name = group_of(r, &id).ok_or_else(|| {
            validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {id}"
            ))
        })?;
        let g = r.groups.get_mut(&name).expect("found");
        let grace = g.grace_secs;
        let m = g.member_mut(&id).expect("found");
        if input.should_respect_grace_period.unwrap_or(true)
            && status == "Unhealthy"
            && now < m.launched_ms + grace * 1000
        {
            return Ok(());
        }
        m.health = status.clone();
        m.unhealthy_cause = (status == "Unhealthy").then(|| {
            format!(
                "At {} an instance was taken out of service in response to a user health-check.",
                cause_time(now)
            )
        });
        Ok(())
    })
}

pub fn set_instance_protection(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: SetInstanceProtectionQuery,
) -> Result<SetInstanceProtectionAnswer, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for id in &input.instance_ids {
            if g.member(id).is_none() {
                return Err(not_in_group(id, &g.name));
            }
        }
        for id in &input.instance_ids {
            if let Some(m) = g.member_mut(id) {
                m.protected = input.protected_from_scale_in;
            }
        }
        Ok(SetInstanceProtectionAnswer::default())
    })
}

pub fn attach_instances(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachInstancesQuery,
) -> Result<(), AwsError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    if ids.is_empty() {
        return Ok(());
    }
    let views = match &asg.instances {
        Some(ec2) => ec2.describe(ctx.account_id(), &ctx.region, &ids),
        None => Vec::new(),
    };
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        for id in &ids {
            if let Some(other) = group_of(r, id) {
                return Err(validation(format!(
                    "The instance {id} is already part of the Auto Scaling group {other}."
                )));
            }
        }
        let Region {
            groups, activities, ..
        } = r;
        let g = groups
            .get_mut(&input.auto_scaling_group_name)
            .ok_or_else(|| crate::errors::group_not_found(&input.auto_scaling_group_name))?;
        for id in &ids {
            let v = views.iter().find(|v| &v.id == id);
            match v {
                Some(v) if v.state == "running" => {
                    if !g.azs.is_empty() && !g.azs.contains(&v.availability_zone) {
                        return Err(validation(format!(
                            "Instance {id} is in an Availability Zone that is not enabled for the Auto Scaling group: {}.",
                            v.availability_zone
                        )));
                    }
                }
                Some(_) => {
                    return Err(validation(format!(
                        "Instance {id} is not in correct state: the instance must be in the running state."
                    )));
                }
                None if asg.instances.is_some() => {
                    return Err(validation(format!("Instance [{id}] is invalid.")));
                }
                None => {}
            }
        }
        let n = ids.len() as i64;
        if g.desired + n > g.max {
            return Err(validation(format!(
                "AutoScalingGroup: {} has min-size={}, max-size={}, and desired-size={}. To attach {n} more instance(s), increase the size of the group's max-size to at least {}.",
                g.name,
                g.min,
                g.max,
                g.desired,
                g.desired + n
            )));
        }
        let t = cause_time(now);
        for id in &ids {
            let v = views.iter().find(|v| &v.id == id).cloned().unwrap_or_default();
            let old = g.desired;
            g.desired += 1;
            let mut m = Member {
                id: id.clone(),
                az: v.availability_zone.clone(),
                subnet: v.subnet_id.clone(),
                lifecycle: "Pending".into(),
                health: "Healthy".into(),
                instance_type: v.instance_type.clone(),
                image_id: v.image_id.clone(),
                protected: g.new_protected,
                launched_ms: now,
                ..Default::default()
            };
            let mut a = done(
                g,
                &m,
                format!("Attaching an existing EC2 instance: {id}"),
                format!(
                    "At {t} a user request AttachInstances into the group, increasing the capacity from {old} to {}.  At {t} instance {id} was added to the group.",
                    g.desired
                ),
                now,
            );
            a.end_ms = None;
            a.status = "InProgress".into();
            a.progress = 30;
            m.activity = Some(a.id.clone());
            record(activities, a);
            g.instances.push(m);
        }
        Ok(())
    })
}

fn deregister(g: &mut Group, id: &str, fx: &mut Effects) {
    let tgs = g.balancers();
    if let Some(m) = g.member_mut(id) {
        if m.registered {
            m.registered = false;
            fx.deregister(&tgs, id);
        }
    }
}

/// Leaving the group (detach, standby) with or without a smaller desired
/// capacity.
fn shrink(g: &mut Group, n: i64, decrement: bool) -> Result<(i64, i64), AwsError> {
    let old = g.desired;
    if decrement {
        if old - n < g.min {
            return Err(validation(format!(
                "AutoScalingGroup: {} has min-size={}, max-size={}, and desired-size={}. To remove {n} instance(s) and decrement the desired capacity, decrease the size of the group's min-size to at most {}.",
                g.name,
                g.min,
                g.max,
                old,
                old - n
            )));
        }
        g.desired -= n;
    }
    Ok((old, g.desired))
}

/// Refuses ids that are not members of the group in one of `states`.
fn members_in(g: &Group, ids: &[String], states: &[&str]) -> Result<(), AwsError> {
    for id in ids {
        match g.member(id) {
            None => return Err(not_in_group(id, &g.name)),
            Some(m) if !states.contains(&m.lifecycle.as_str()) => {
                return Err(validation(format!(
                    "The instance {id} is not in {}.",
                    states.join(" or ")
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

pub fn detach_instances(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachInstancesQuery,
) -> Result<DetachInstancesAnswer, AwsError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    let now = ctx.clock.now_millis();
    let (answer, fx) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let mut fx = Effects::default();
        let Region {
            groups, activities, ..
        } = r;
        let g = groups
            .get_mut(&input.auto_scaling_group_name)
            .ok_or_else(|| crate::errors::group_not_found(&input.auto_scaling_group_name))?;
        members_in(g, &ids, &["InService", "Standby"])?;
        let counted = ids.iter().filter(|id| g.member(id).is_some_and(|m| m.counts())).count() as i64;
        let (old, new) = shrink(g, counted, input.should_decrement_desired_capacity)?;
        let t = cause_time(now);
        let mut out = Vec::new();
        for id in &ids {
            deregister(g, id, &mut fx);
            let m = g.member(id).cloned().unwrap_or_default();
            let cause = if input.should_decrement_desired_capacity {
                format!("At {t} instance {id} was detached in response to a user request, shrinking the capacity from {old} to {new}.")
            } else {
                format!("At {t} instance {id} was detached in response to a user request.")
            };
            let a = done(g, &m, format!("Detaching EC2 instance: {id}"), cause, now);
            out.push(activity_out(&a));
            record(activities, a);
            g.instances.retain(|x| &x.id != id);
        }
        Ok((
            DetachInstancesAnswer {
                activities: Some(out),
            },
            fx,
        ))
    })?;
    fx.apply(asg, ctx.account_id(), &ctx.region);
    Ok(answer)
}

pub fn enter_standby(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: EnterStandbyQuery,
) -> Result<EnterStandbyAnswer, AwsError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    let now = ctx.clock.now_millis();
    let (answer, fx) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let mut fx = Effects::default();
        let Region {
            groups, activities, ..
        } = r;
        let g = groups
            .get_mut(&input.auto_scaling_group_name)
            .ok_or_else(|| crate::errors::group_not_found(&input.auto_scaling_group_name))?;
        members_in(g, &ids, &["InService"])?;
        let (old, new) = shrink(g, ids.len() as i64, input.should_decrement_desired_capacity)?;
        let t = cause_time(now);
        let mut out = Vec::new();
        for id in &ids {
            deregister(g, id, &mut fx);
            if let Some(m) = g.member_mut(id) {
                m.lifecycle = "Standby".into();
            }
            let m = g.member(id).cloned().unwrap_or_default();
            let cause = if input.should_decrement_desired_capacity {
                format!("At {t} instance {id} was moved to standby in response to a user request, shrinking the capacity from {old} to {new}.")
            } else {
                format!("At {t} instance {id} was moved to standby in response to a user request.")
            };
            let a = done(g, &m, format!("Moving EC2 instance to Standby: {id}"), cause, now);
            out.push(activity_out(&a));
            record(activities, a);
        }
        Ok((
            EnterStandbyAnswer {
                activities: Some(out),
            },
            fx,
        ))
    })?;
    fx.apply(asg, ctx.account_id(), &ctx.region);
    Ok(answer)
}

pub fn exit_standby(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: ExitStandbyQuery,
) -> Result<ExitStandbyAnswer, AwsError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let Region {
            groups, activities, ..
        } = r;
        let g = groups
            .get_mut(&input.auto_scaling_group_name)
            .ok_or_else(|| crate::errors::group_not_found(&input.auto_scaling_group_name))?;
        members_in(g, &ids, &["Standby"])?;
        let n = ids.len() as i64;
        if g.desired + n > g.max {
            return Err(validation(format!(
                "AutoScalingGroup: {} has min-size={}, max-size={}, and desired-size={}. To move {n} instance(s) out of standby, increase the size of the group's max-size to at least {}.",
                g.name,
                g.min,
                g.max,
                g.desired,
                g.desired + n
            )));
        }
        let old = g.desired;
        g.desired += n;
        let new = g.desired;
        let t = cause_time(now);
        let mut out = Vec::new();
        for id in &ids {
            let m = g.member(id).cloned().unwrap_or_default();
            let mut a = done(
                g,
                &m,
                format!("Moving EC2 instance out of Standby: {id}"),
                format!("At {t} instance {id} was moved out of standby in response to a user request, increasing the capacity from {old} to {new}."),
                now,
            );
            a.status = "PreInService".into();
            a.progress = 30;
            a.end_ms = None;
            out.push(activity_out(&a));
            if let Some(m) = g.member_mut(id) {
                m.lifecycle = "Pending".into();
                m.activity = Some(a.id.clone());
            }
            record(activities, a);
        }
        Ok(ExitStandbyAnswer {
            activities: Some(out),
        })
    })
}
