//! The reconciler: on every tick of the clock, for each group, follows its
//! instances through their lifecycle (Pending, hooks, InService,
//! Terminating), replaces unhealthy ones, launches or terminates to reach
//! the desired capacity, advances instance refreshes and runs scheduled
//! actions that are due.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::json;
use stratus_core::compute::{InstanceAction, InstanceView, Instances, LaunchSpec, TemplateRef};
use stratus_core::ids;
use stratus_core::tasks::Task;

use crate::AutoScaling;
use crate::cron::{Cron, Zone};
use crate::effects::Effects;
use crate::notify::{self, Outbox};
use crate::state::{Activity, Group, HookWait, LaunchConfig, Member, Region, TemplateSpec};
use crate::termination::{self, Candidate};
use crate::wire::cause_time;

pub const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// How long a group waits after a failed launch before trying again.
const LAUNCH_RETRY_MS: i64 = 10_000;

pub struct Reconciler(pub Arc<AutoScaling>);

impl Task for Reconciler {
    fn name(&self) -> &str {
        "autoscaling-reconciler"
    }

    fn tick(&self, now_ms: i64) {
        for (account, region) in self.0.state.keys() {
            reconcile_region(&self.0, &account, &region, now_ms);
        }
    }
}

pub fn reconcile_region(asg: &AutoScaling, account: &str, region: &str, now: i64) {
    let health = elb_health(asg, account, region, now);
    let fx = asg.state.maybe(account, region, |r| {
        let mut fx = Effects::default();
        let mut changed = false;
        let names: Vec<String> = r.groups.keys().cloned().collect();
        for name in names {
            changed |= run_scheduled(r, &name, now);
            if let Some(ec2) = asg.instances.as_deref() {
                changed |= reconcile_group(ec2, account, region, r, &name, now, &health, &mut fx);
            }
        }
        (changed, fx)
    });
    fx.apply(asg, account, region);
}

/// Target health, asked of the load balancer before the state is locked:
/// the instances of ELB-checked groups past their grace period that a
/// target group reports unhealthy.
fn elb_health(asg: &AutoScaling, account: &str, region: &str, now: i64) -> HashSet<String> {
    let Some(tgs) = asg.target_groups.get() else {
        return HashSet::new();
    };
    let wanted: Vec<(String, String)> = asg.state.read(account, region, |r| {
        r.groups
            .values()
            .filter(|g| g.health_check_type.contains("ELB") && !g.suspended("HealthCheck"))
            .flat_map(|g| {
                g.instances
                    .iter()
                    .filter(|m| {
                        m.lifecycle == "InService" && now >= m.launched_ms + g.grace_secs * 1000
                    })
                    .flat_map(|m| g.balancers().into_iter().map(|tg| (tg, m.id.clone())))
            })
            .collect()
    });
    wanted
        .into_iter()
        .filter(|(tg, id)| tgs.health(account, region, tg, id).as_deref() == Some("unhealthy"))
        .map(|(_, id)| id)
        .collect()
}

/// How many activities a region keeps (AWS keeps six weeks of them).
const MAX_ACTIVITIES: usize = 5000;

pub fn record(acts: &mut Vec<Activity>, a: Activity) {
    acts.push(a);
    if acts.len() > MAX_ACTIVITIES {
        let n = acts.len() - MAX_ACTIVITIES;
        acts.drain(..n);
    }
}

fn details(m: &Member) -> String {
    let mut d = serde_json::Map::new();
    if let Some(s) = &m.subnet {
        d.insert("Subnet ID".into(), json!(s));
    }
    d.insert("Availability Zone".into(), json!(m.az));
    serde_json::Value::Object(d).to_string()
}

/// Starts taking an instance out of service: it is deregistered and
/// terminated by the following steps of the reconciler.
pub fn begin_termination(
    g: &mut Group,
    acts: &mut Vec<Activity>,
    id: &str,
    cause: String,
    now: i64,
) {
    let arn = g.arn.clone();
    let name = g.name.clone();
    let Some(m) = g.member_mut(id) else {
        return;
    };
    let a = Activity {
        id: ids::uuid_v4(),
        group: name,
        group_arn: arn,
        description: format!("Terminating EC2 instance: {id}"),
        cause,
        start_ms: now,
        status: "InProgress".into(),
        progress: 0,
        details: details(m),
        ..Default::default()
    };
    m.lifecycle = "Terminating".into();
    m.activity = Some(a.id.clone());
    record(acts, a);
}

fn finish_activity(
    acts: &mut [Activity],
    id: &Option<String>,
    status: &str,
    message: Option<String>,
    now: i64,
) -> Option<Activity> {
    let a = acts.iter_mut().rev().find(|a| Some(&a.id) == id.as_ref())?;
    a.status = status.into();
    a.progress = 100;
    a.end_ms = Some(now);
    if message.is_some() {
        a.status_message = message;
    }
    Some(a.clone())
}

fn set_activity_status(acts: &mut [Activity], id: &Option<String>, status: &str, progress: i64) {
    if let Some(a) = acts.iter_mut().rev().find(|a| Some(&a.id) == id.as_ref()) {
        a.status = status.into();
        a.progress = progress;
    }
}

/// Puts the instance on the first hook of a transition; false when the
/// group has none.
fn enter_hooks(
    account: &str,
    g: &mut Group,
    idx: usize,
    transition: &str,
    now: i64,
    out: &mut Outbox,
) -> bool {
    let hooks: Vec<String> = g
        .hooks
        .iter()
        .filter(|h| h.transition == transition)
        .map(|h| h.name.clone())
        .collect();
    if hooks.is_empty() {
        return false;
    }
    start_hook(
        account,
        g,
        idx,
        transition,
        &hooks[0],
        hooks[1..].to_vec(),
        now,
        out,
    );
    true
}

#[allow(clippy::too_many_arguments)]
fn start_hook(
    account: &str,
    g: &mut Group,
    idx: usize,
    transition: &str,
    hook: &str,
    remaining: Vec<String>,
    now: i64,
    out: &mut Outbox,
) {
    let Some(h) = g.hooks.iter().find(|h| h.name == hook).cloned() else {
        return;
    };
    let token = ids::uuid_v4();
    let heartbeat = h.heartbeat_secs.max(1);
    let global = (heartbeat * 100).min(172_800);
    let id = g.instances[idx].id.clone();
    if let Some(target) = &h.target {
        out.push(notify::Outgoing {
            target: target.clone(),
            subject: notify::hook_subject(g, transition),
            message: notify::hook_message(
                account,
                g,
                &h.name,
                transition,
                &token,
                &id,
                h.metadata.as_deref(),
                now,
            ),
        });
    }
    let m = &mut g.instances[idx];
    m.hook = Some(HookWait {
        hook: h.name.clone(),
        token,
        transition: transition.to_string(),
        deadline_ms: now + heartbeat * 1000,
        global_deadline_ms: now + global * 1000,
        default_result: h.default_result.clone(),
        result: None,
        remaining,
    });
    m.lifecycle = if transition == LAUNCHING {
        "Pending:Wait".into()
    } else {
        "Terminating:Wait".into()
    };
}

/// The hook's outcome once decided (by CompleteLifecycleAction or its
/// timeout), or None while it still waits.
fn hook_outcome(h: &HookWait, now: i64) -> Option<String> {
    if let Some(r) = &h.result {
        return Some(r.clone());
    }
    if now >= h.deadline_ms || now >= h.global_deadline_ms {
        return Some(h.default_result.clone());
    }
    None
}

fn go_in_service(
    account: &str,
    g: &mut Group,
    acts: &mut [Activity],
    idx: usize,
    now: i64,
    fx: &mut Effects,
) {
    let id = g.instances[idx].id.clone();
    if !g.suspended("AddToLoadBalancer") {
        fx.register(&g.balancers(), &id);
        g.instances[idx].registered = true;
    }
    g.instances[idx].lifecycle = "InService".into();
    g.instances[idx].hook = None;
    let act = g.instances[idx].activity.take();
    if let Some(a) = finish_activity(acts, &act, "Successful", None, now) {
        notify::activity(&mut fx.messages, account, g, notify::LAUNCH, &a, &id, now);
    }
    g.cooldown_until_ms = g.cooldown_until_ms.max(now + g.default_cooldown * 1000);
}

fn deregister(g: &mut Group, idx: usize, fx: &mut Effects) {
    if !g.instances[idx].registered {
        return;
    }
    let id = g.instances[idx].id.clone();
    fx.deregister(&g.balancers(), &id);
    g.instances[idx].registered = false;
}

/// Whether an instance's launch differs from the group's configuration now.
fn outdated(g: &Group, m: &Member, current_version: Option<i64>) -> bool {
    match (&g.launch_config, &m.launch_config) {
        (Some(lc), Some(mine)) => return lc != mine,
        (Some(_), None) => return true,
        (None, Some(_)) => return true,
        (None, None) => {}
    }
    match (current_version, m.template_version) {
        (Some(c), Some(v)) => c != v,
        _ => false,
    }
}

fn template_ref(g: &Group) -> Option<TemplateSpec> {
    if let Some(t) = &g.template {
        return Some(t.clone());
    }
    let spec = g
        .mixed
        .as_ref()?
        .get("LaunchTemplate")?
        .get("LaunchTemplateSpecification")?;
    Some(TemplateSpec {
        id: spec
            .get("LaunchTemplateId")
            .and_then(|v| v.as_str())
            .map(String::from),
        name: spec
            .get("LaunchTemplateName")
            .and_then(|v| v.as_str())
            .map(String::from),
        version: spec
            .get("Version")
            .and_then(|v| v.as_str())
            .map(String::from),
    })
}

/// The instance type a mixed instances policy's overrides pick for the
/// `n`th instance (round robin over the overrides).
fn mixed_type(g: &Group, n: usize) -> Option<String> {
    let overrides = g
        .mixed
        .as_ref()?
        .get("LaunchTemplate")?
        .get("Overrides")?
        .as_array()?;
    let types: Vec<&str> = overrides
        .iter()
        .filter_map(|o| o.get("InstanceType").and_then(|t| t.as_str()))
        .collect();
    if types.is_empty() {
        return None;
    }
    Some(types[n % types.len()].to_string())
}

/// EC2 takes a template by id or by name, never both.
fn as_ref(t: &TemplateSpec) -> TemplateRef {
    TemplateRef {
        id: t.id.clone(),
        name: if t.id.is_some() { None } else { t.name.clone() },
        version: t.version.clone(),
    }
}

/// The zone (and subnet) for the next launch: the group's zone with the
/// fewest instances.
fn next_placement(g: &Group, all_subnets: &[(String, String)]) -> (String, Option<String>) {
    let count = |az: &str| {
        g.instances
            .iter()
            .filter(|m| m.counts() && m.az == az)
            .count()
    };
    if !g.subnets.is_empty() {
        let (subnet, az) = g
            .subnets
            .iter()
            .min_by_key(|(s, az)| {
                (
                    count(az),
                    g.instances
                        .iter()
                        .filter(|m| m.counts() && m.subnet.as_deref() == Some(s))
                        .count(),
                )
            })
            .cloned()
            .unwrap_or_default();
        return (az, Some(subnet));
    }
    let az = g
        .azs
        .iter()
        .min_by_key(|az| count(az))
        .cloned()
        .unwrap_or_default();
    let subnet = all_subnets
        .iter()
        .find(|(_, a)| *a == az)
        .map(|(s, _)| s.clone());
    (az, subnet)
}

/// Launches one instance; the member to add, or EC2's error.
#[allow(clippy::too_many_arguments)]
fn launch_one(
    ec2: &dyn Instances,
    account: &str,
    region: &str,
    g: &Group,
    lcs: &std::collections::BTreeMap<String, LaunchConfig>,
    az: &str,
    subnet: Option<String>,
    n: usize,
    now: i64,
) -> Result<Member, stratus_core::AwsError> {
    let mut tags = vec![("aws:autoscaling:groupName".to_string(), g.name.clone())];
    tags.extend(
        g.tags
            .iter()
            .filter(|t| t.propagate)
            .map(|t| (t.key.clone(), t.value.clone())),
    );
    let mut spec = LaunchSpec {
        subnet_id: subnet.clone(),
        tags,
        ..Default::default()
    };
    let mut member = Member {
        az: az.to_string(),
        subnet,
        lifecycle: "Pending".into(),
        health: "Healthy".into(),
        protected: g.new_protected,
        launched_ms: now,
        ..Default::default()
    };
    if let Some(name) = &g.launch_config {
        let lc = lcs.get(name).ok_or_else(|| {
            crate::errors::validation(format!(
                "Launch configuration name not found - Launch configuration {name} not found"
            ))
        })?;
        spec.image_id = Some(lc.image_id.clone());
        spec.instance_type = Some(lc.instance_type.clone());
        spec.key_name = lc.key_name.clone();
        spec.security_group_ids = lc.security_groups.clone();
        spec.user_data = lc.user_data.clone();
        spec.iam_instance_profile = lc.iam_instance_profile.clone();
        spec.associate_public_ip = lc.associate_public_ip;
        spec.monitoring = lc.monitoring;
        member.launch_config = Some(name.clone());
        member.config_created_ms = Some(lc.created_ms);
    } else if let Some(t) = template_ref(g) {
        let resolved = ec2.template(account, region, &as_ref(&t))?;
        spec.launch_template = Some(TemplateRef {
            id: Some(resolved.id.clone()),
            name: None,
            version: Some(resolved.version_number.to_string()),
        });
        spec.instance_type = mixed_type(g, n);
        member.template = Some(TemplateSpec {
            id: Some(resolved.id),
            name: Some(resolved.name),
            version: Some(resolved.version_number.to_string()),
        });
        member.template_version = Some(resolved.version_number);
    }
    let view = ec2.launch(account, region, &spec)?;
    member.id = view.id.clone();
    member.instance_type = view.instance_type.clone();
    member.image_id = view.image_id.clone();
    if !view.availability_zone.is_empty() {
        member.az = view.availability_zone.clone();
    }
    if member.subnet.is_none() {
        member.subnet = view.subnet_id.clone();
    }
    Ok(member)
}

#[allow(clippy::too_many_arguments)]
fn reconcile_group(
    ec2: &dyn Instances,
    account: &str,
    region: &str,
    r: &mut Region,
    name: &str,
    now: i64,
    elb_unhealthy: &HashSet<String>,
    fx: &mut Effects,
) -> bool {
    let Region {
        groups,
        activities: acts,
        launch_configs,
    } = r;
    let Some(g) = groups.get_mut(name) else {
        return false;
    };
    let mut changed = false;
    let t = cause_time(now);
    let ids: Vec<String> = g.instances.iter().map(|m| m.id.clone()).collect();
    let views: HashMap<String, InstanceView> = if ids.is_empty() {
        HashMap::new()
    } else {
        ec2.describe(account, region, &ids)
            .into_iter()
            .map(|v| (v.id.clone(), v))
            .collect()
    };

    // Lifecycle transitions and health.
    let mut idx = 0;
    while idx < g.instances.len() {
        let id = g.instances[idx].id.clone();
        let state = views
            .get(&id)
            .map(|v| v.state.clone())
            .unwrap_or_else(|| "terminated".into());
        let lifecycle = g.instances[idx].lifecycle.clone();
        match lifecycle.as_str() {
            "Pending" if state == "running" => {
                if !enter_hooks(account, g, idx, LAUNCHING, now, &mut fx.messages) {
                    go_in_service(account, g, acts, idx, now, fx);
                } else {
                    let act = g.instances[idx].activity.clone();
                    set_activity_status(acts, &act, "MidLifecycleAction", 40);
                }
                changed = true;
            }
            "Pending:Wait" | "Terminating:Wait" => {
                let hook = g.instances[idx].hook.clone().unwrap_or_default();
                if let Some(result) = hook_outcome(&hook, now) {
                    changed = true;
                    let launching = lifecycle == "Pending:Wait";
                    if result == "CONTINUE" && !hook.remaining.is_empty() {
                        let transition = if launching { LAUNCHING } else { TERMINATING };
                        start_hook(
                            account,
                            g,
                            idx,
                            transition,
                            &hook.remaining[0],
                            hook.remaining[1..].to_vec(),
                            now,
                            &mut fx.messages,
                        );
                    } else if launching && result == "CONTINUE" {
                        go_in_service(account, g, acts, idx, now, fx);
                    } else if launching {
                        let act = g.instances[idx].activity.take();
                        let msg = format!(
                            "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token {} was abandoned: Lifecycle Action Completed with ABANDON Result",
                            hook.token
                        );
                        finish_activity(acts, &act, "Cancelled", Some(msg), now);
                        g.instances[idx].hook = None;
                        begin_termination(
                            g,
                            acts,
                            &id,
                            format!(
                                "At {t} an instance was taken out of service in response to a launch lifecycle action that was abandoned."
                            ),
                            now,
                        );
                        // Nothing to wait for on the way out.
                        if let Err(e) = ec2.act(
                            account,
                            region,
                            std::slice::from_ref(&id),
                            InstanceAction::Terminate,
                        ) {
                            tracing::warn!(error = %e.message, "autoscaling: terminating {id} failed");
                        }
                        g.instances[idx].lifecycle = "Terminating:Proceed".into();
                    } else {
                        g.instances[idx].hook = None;
                        let _ = ec2.act(
                            account,
                            region,
                            std::slice::from_ref(&id),
                            InstanceAction::Terminate,
                        );
                        g.instances[idx].lifecycle = "Terminating:Proceed".into();
                    }
                }
            }
            "Pending:Proceed" => {
                go_in_service(account, g, acts, idx, now, fx);
                changed = true;
            }
            "Terminating" => {
                deregister(g, idx, fx);
                let act = g.instances[idx].activity.clone();
                set_activity_status(acts, &act, "InProgress", 50);
                if !enter_hooks(account, g, idx, TERMINATING, now, &mut fx.messages) {
                    if let Err(e) = ec2.act(
                        account,
                        region,
                        std::slice::from_ref(&id),
                        InstanceAction::Terminate,
                    ) {
                        if e.code != "InvalidInstanceID.NotFound" {
                            tracing::warn!(error = %e.message, "autoscaling: terminating {id} failed");
                        }
                    }
                    g.instances[idx].lifecycle = "Terminating:Proceed".into();
                } else {
                    set_activity_status(acts, &act, "MidLifecycleAction", 50);
                }
                changed = true;
            }
            "Terminating:Proceed" if state == "terminated" || !views.contains_key(&id) => {
                let m = g.instances.remove(idx);
                if let Some(a) = finish_activity(acts, &m.activity, "Successful", None, now) {
                    notify::activity(
                        &mut fx.messages,
                        account,
                        g,
                        notify::TERMINATE,
                        &a,
                        &id,
                        now,
                    );
                }
                g.cooldown_until_ms = g.cooldown_until_ms.max(now + g.default_cooldown * 1000);
                changed = true;
                continue;
            }
            _ => {}
        }
        // Health checks on instances that count toward capacity.
        let m = &g.instances[idx];
        if m.counts() && m.health == "Healthy" && !g.suspended("HealthCheck") {
            let mut cause = None;
            if !matches!(state.as_str(), "pending" | "running") {
                cause = Some(format!(
                    "At {t} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped."
                ));
            } else if m.lifecycle == "InService" && elb_unhealthy.contains(&id) {
                cause = Some(format!(
                    "At {t} an instance was taken out of service in response to an ELB system health check failure."
                ));
            }
            if cause.is_some() {
                let m = &mut g.instances[idx];
                m.health = "Unhealthy".into();
                m.unhealthy_cause = cause;
                changed = true;
            }
        }
        idx += 1;
    }

    // Unhealthy instances are replaced.
    if !g.suspended("ReplaceUnhealthy") {
        let unhealthy: Vec<(String, Option<String>)> = g
            .instances
            .iter()
            .filter(|m| m.counts() && m.health == "Unhealthy" && !m.lifecycle.ends_with(":Wait"))
            .map(|m| (m.id.clone(), m.unhealthy_cause.clone()))
            .collect();
        for (id, cause) in unhealthy {
            let cause = cause.unwrap_or_else(|| {
                format!("At {t} an instance was taken out of service in response to a user health-check.")
            });
            begin_termination(g, acts, &id, cause, now);
            changed = true;
        }
    }

    changed |= advance_refresh(g, acts, now);
    changed |= retire_old(g, acts, now);

    // Capacity, with one instance over it while zones are rebalanced.
    let cap = g.capacity();
    let rebalance = cap == g.desired && needs_rebalance(g);
    let target = g.desired + i64::from(rebalance);
    if cap < target && !g.suspended("Launch") && now >= g.retry_at_ms {
        let all_subnets: Vec<(String, String)> = if g.subnets.is_empty() {
            ec2.subnets(account, region, &[])
                .into_iter()
                .map(|s| (s.id, s.availability_zone))
                .collect()
        } else {
            Vec::new()
        };
        let from = cap;
        let to = target;
        let cause = if rebalance {
            format!("At {t} an instance was launched to aid in balancing the group's zones.")
        } else {
            let started = format!(
                "At {t} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {from} to {to}."
            );
            match &g.pending_cause {
                Some(p) => format!("{p}  {started}"),
                None => started,
            }
        };
        for n in 0..(to - from) {
            let (az, subnet) = next_placement(g, &all_subnets);
            match launch_one(
                ec2,
                account,
                region,
                g,
                launch_configs,
                &az,
                subnet.clone(),
                (from + n) as usize,
                now,
            ) {
                Ok(mut m) => {
                    let a = Activity {
                        id: ids::uuid_v4(),
                        group: g.name.clone(),
                        group_arn: g.arn.clone(),
                        description: format!("Launching a new EC2 instance: {}", m.id),
                        cause: cause.clone(),
                        start_ms: now,
                        status: "InProgress".into(),
                        progress: 30,
                        details: details(&m),
                        ..Default::default()
                    };
                    m.activity = Some(a.id.clone());
                    record(acts, a);
                    g.instances.push(m);
                }
                Err(e) => {
                    let reason = format!(
                        "{}. Launching EC2 instance failed.",
                        e.message.trim_end_matches('.')
                    );
                    let m = Member {
                        az: az.clone(),
                        subnet,
                        ..Default::default()
                    };
                    let a = Activity {
                        id: ids::uuid_v4(),
                        group: g.name.clone(),
                        group_arn: g.arn.clone(),
                        description: format!(
                            "Launching a new EC2 instance.  Status Reason: {reason}"
                        ),
                        cause: cause.clone(),
                        start_ms: now,
                        end_ms: Some(now),
                        status: "Failed".into(),
                        status_message: Some(reason),
                        progress: 100,
                        details: details(&m),
                        ..Default::default()
                    };
                    notify::activity(
                        &mut fx.messages,
                        account,
                        g,
                        notify::LAUNCH_ERROR,
                        &a,
                        "",
                        now,
                    );
                    record(acts, a);
                    g.retry_at_ms = now + LAUNCH_RETRY_MS;
                    break;
                }
            }
        }
        changed = true;
    } else if cap > g.desired && !g.suspended("Terminate") {
        let current_version = g.instances.iter().filter_map(|m| m.template_version).max();
        for _ in 0..(cap - g.desired) {
            let candidates: Vec<Candidate> = g
                .instances
                .iter()
                .filter(|m| m.counts() && !m.lifecycle.ends_with(":Wait"))
                .map(|m| Candidate {
                    id: m.id.clone(),
                    az: m.az.clone(),
                    launched_ms: m.launched_ms,
                    protected: m.protected,
                    outdated: outdated(g, m, current_version),
                    config_created_ms: m.config_created_ms,
                    template_version: m.template_version,
                })
                .collect();
            let Some(victim) = termination::choose(&candidates, &g.termination_policies, now)
            else {
                break;
            };
            let before = g.capacity();
            let shrink = format!(
                "At {t} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {before} to {}.  At {t} instance {victim} was selected for termination.",
                g.desired
            );
            let cause = match &g.pending_cause {
                Some(p) => format!("{p}  {shrink}"),
                None => shrink,
            };
            begin_termination(g, acts, &victim, cause, now);
            changed = true;
        }
    }
    if g.capacity() == g.desired && g.pending_cause.is_some() {
        g.pending_cause = None;
        changed = true;
    }
    changed
}

/// Whether the group is stable but its zones differ by more than one
/// instance (after zones were added, or instances went away in one).
fn needs_rebalance(g: &Group) -> bool {
    if g.suspended("AZRebalance")
        || g.suspended("Launch")
        || g.suspended("Terminate")
        || g.instances
            .iter()
            .any(|m| m.lifecycle != "InService" && m.lifecycle != "Standby")
    {
        return false;
    }
    let mut zones: Vec<&str> = if g.subnets.is_empty() {
        g.azs.iter().map(String::as_str).collect()
    } else {
        g.subnets.iter().map(|(_, az)| az.as_str()).collect()
    };
    zones.sort_unstable();
    zones.dedup();
    if zones.len() < 2 {
        return false;
    }
    let counts: Vec<usize> = zones
        .iter()
        .map(|z| {
            g.instances
                .iter()
                .filter(|m| m.counts() && m.az == *z)
                .count()
        })
        .collect();
    let (lo, hi) = (counts.iter().min().copied(), counts.iter().max().copied());
    matches!((lo, hi), (Some(lo), Some(hi)) if hi - lo > 1)
}

/// With a maximum instance lifetime, one instance past it at a time is
/// replaced while the group is otherwise stable.
fn retire_old(g: &mut Group, acts: &mut Vec<Activity>, now: i64) -> bool {
    let Some(life) = g.max_instance_lifetime.filter(|l| *l > 0) else {
        return false;
    };
    if g.suspended("ReplaceUnhealthy")
        || g.instances
            .iter()
            .any(|m| m.lifecycle != "InService" && m.lifecycle != "Standby")
    {
        return false;
    }
    let Some(id) = g
        .instances
        .iter()
        .filter(|m| m.lifecycle == "InService" && now >= m.launched_ms + life * 1000)
        .min_by_key(|m| m.launched_ms)
        .map(|m| m.id.clone())
    else {
        return false;
    };
    let t = cause_time(now);
    begin_termination(
        g,
        acts,
        &id,
        format!(
            "At {t} an instance was taken out of service in response to the maximum instance lifetime being reached.  At {t} instance {id} was selected for termination."
        ),
        now,
    );
    true
}

/// An instance refresh replaces a batch of old instances whenever the
/// group is stable, keeping MinHealthyPercentage of it in service.
fn advance_refresh(g: &mut Group, acts: &mut Vec<Activity>, now: i64) -> bool {
    let Some(pos) = g
        .refreshes
        .iter()
        .position(|r| r.status == "InProgress" || r.status == "Pending")
    else {
        return false;
    };
    let t = cause_time(now);
    let busy = g
        .instances
        .iter()
        .any(|m| m.lifecycle != "InService" && m.lifecycle != "Standby");
    let in_service = g
        .instances
        .iter()
        .filter(|m| m.lifecycle == "InService")
        .count() as i64;
    let existing: Vec<String> = g.instances.iter().map(|m| m.id.clone()).collect();
    let rf = &mut g.refreshes[pos];
    rf.status = "InProgress".into();
    rf.pending.retain(|id| existing.contains(id));
    if busy || in_service < g.desired {
        return true;
    }
    if rf.pending.is_empty() {
        rf.status = "Successful".into();
        rf.status_reason = None;
        rf.end_ms = Some(now);
        rf.instances_to_update = 0;
        return true;
    }
    let min_healthy = rf
        .preferences
        .as_ref()
        .and_then(|p| p.get("MinHealthyPercentage"))
        .and_then(|v| v.as_i64())
        .unwrap_or(90);
    let keep = ((g.desired * min_healthy) as f64 / 100.0).ceil() as i64;
    let batch = (g.desired - keep).max(1) as usize;
    let chosen: Vec<String> = rf.pending.iter().take(batch).cloned().collect();
    rf.pending.retain(|id| !chosen.contains(id));
    rf.instances_to_update = rf.pending.len() as i64 + chosen.len() as i64;
    for id in chosen {
        begin_termination(
            g,
            acts,
            &id,
            format!(
                "At {t} an instance was taken out of service in response to an instance refresh.  At {t} instance {id} was selected for termination."
            ),
            now,
        );
    }
    true
}

/// Runs the group's scheduled actions that are due.
pub fn run_scheduled(r: &mut Region, name: &str, now: i64) -> bool {
    let Some(g) = r.groups.get_mut(name) else {
        return false;
    };
    let due: Vec<usize> = g
        .scheduled
        .iter()
        .enumerate()
        .filter(|(_, s)| s.next_ms.is_some_and(|n| n <= now))
        .map(|(i, _)| i)
        .collect();
    if due.is_empty() {
        return false;
    }
    let t = cause_time(now);
    let mut remove = Vec::new();
    for i in due {
        let s = g.scheduled[i].clone();
        if !g.suspended("ScheduledActions") {
            let old = g.desired;
            let min = s.min.unwrap_or(g.min);
            let max = s.max.unwrap_or(g.max);
            if min <= max {
                g.min = min;
                g.max = max;
                let desired = s.desired.unwrap_or(g.desired).clamp(min, max);
                g.desired = desired;
                if desired != old {
                    g.pending_cause = Some(format!(
                        "At {t} a scheduled action update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {desired} changing the desired capacity from {old} to {desired}."
                    ));
                }
            }
        }
        let next = match &s.recurrence {
            Some(expr) => {
                let zone = s
                    .time_zone
                    .as_deref()
                    .and_then(Zone::named)
                    .unwrap_or(Zone::UTC);
                Cron::parse(expr).and_then(|c| c.next_after(now, &zone))
            }
            None => None,
        };
        match next {
            Some(n) if s.end_ms.is_none_or(|e| n <= e) => g.scheduled[i].next_ms = Some(n),
            _ => remove.push(s.name.clone()),
        }
    }
    g.scheduled.retain(|s| !remove.contains(&s.name));
    true
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use stratus_core::Clock;
    use stratus_core::metrics::{AlarmTrigger, ScalingPolicies};
    use stratus_store::Store;

    use super::*;
    use crate::fake::FakeEc2;
    use crate::state::{Policy, TagRec};

    const ACCT: &str = "000000000000";
    const REGION: &str = "us-east-1";

    fn setup(desired: i64, policies: &[&str]) -> (AutoScaling, Arc<FakeEc2>) {
        let ec2 = Arc::new(FakeEc2::with_subnets(&[
            ("subnet-a", "us-east-1a"),
            ("subnet-b", "us-east-1b"),
        ]));
        let asg = AutoScaling::new(Store::ephemeral(), Clock::new())
            .unwrap()
            .with_instances(ec2.clone());
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups.insert(
                    "web".into(),
                    Group {
                        name: "web".into(),
                        arn: "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x:autoScalingGroupName/web".into(),
                        template: Some(TemplateSpec {
                            id: Some("lt-1".into()),
                            version: Some("$Latest".into()),
                            ..Default::default()
                        }),
                        min: 0,
                        max: 10,
                        desired,
                        default_cooldown: 300,
                        subnets: vec![
                            ("subnet-a".into(), "us-east-1a".into()),
                            ("subnet-b".into(), "us-east-1b".into()),
                        ],
                        azs: vec!["us-east-1a".into(), "us-east-1b".into()],
                        health_check_type: "EC2".into(),
                        termination_policies: policies.iter().map(|s| s.to_string()).collect(),
                        tags: vec![
                            TagRec { key: "team".into(), value: "web".into(), propagate: true },
                            TagRec { key: "cost".into(), value: "x".into(), propagate: false },
                        ],
                        ..Default::default()
                    },
                );
                Ok(())
            })
            .unwrap();
        (asg, ec2)
    }

    fn group(asg: &AutoScaling) -> Group {
        asg.state.read(ACCT, REGION, |r| r.groups["web"].clone())
    }

    fn tick(asg: &AutoScaling, now: i64) {
        reconcile_region(asg, ACCT, REGION, now);
    }

    fn set_desired(asg: &AutoScaling, d: i64) {
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups.get_mut("web").unwrap().desired = d;
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn launches_balanced_and_tagged_then_in_service() {
        let (asg, ec2) = setup(3, &[]);
        tick(&asg, 1_000);
        let g = group(&asg);
        assert_eq!(g.instances.len(), 3);
        assert!(g.instances.iter().all(|m| m.lifecycle == "Pending"));
        let a = g.instances.iter().filter(|m| m.az == "us-east-1a").count();
        let b = g.instances.iter().filter(|m| m.az == "us-east-1b").count();
        assert_eq!((a.max(b), a.min(b)), (2, 1));
        let spec = &ec2.launches.lock()[0];
        assert!(
            spec.tags
                .contains(&("aws:autoscaling:groupName".into(), "web".into()))
        );
        assert!(spec.tags.contains(&("team".into(), "web".into())));
        assert!(!spec.tags.iter().any(|(k, _)| k == "cost"));
        assert_eq!(
            spec.launch_template.as_ref().unwrap().version.as_deref(),
            Some("1")
        );
        ec2.settle();
        tick(&asg, 3_000);
        let g = group(&asg);
        assert!(g.instances.iter().all(|m| m.lifecycle == "InService"));
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        assert_eq!(acts.len(), 3);
        assert!(acts.iter().all(|a| {
            a.status == "Successful"
                && a.description
                    .starts_with("Launching a new EC2 instance: i-")
        }));
        assert!(
            acts[0]
                .cause
                .contains("increasing the capacity from 0 to 3")
        );
    }

    #[test]
    fn scale_in_keeps_zones_balanced_and_follows_the_policy() {
        let (asg, ec2) = setup(4, &["OldestInstance"]);
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        set_desired(&asg, 3);
        tick(&asg, 3_000);
        // The next tick deregisters and terminates the chosen instance.
        tick(&asg, 3_500);
        let g = group(&asg);
        let terminating: Vec<&Member> = g
            .instances
            .iter()
            .filter(|m| m.lifecycle.starts_with("Terminating"))
            .collect();
        assert_eq!(terminating.len(), 1);
        // All launched together: the oldest by id order within the first busiest zone.
        assert_eq!(ec2.state(&terminating[0].id), "shutting-down");
        ec2.settle();
        tick(&asg, 4_000);
        let g = group(&asg);
        assert_eq!(g.instances.len(), 3);
        set_desired(&asg, 2);
        tick(&asg, 5_000);
        tick(&asg, 5_500);
        ec2.settle();
        tick(&asg, 6_000);
        let g = group(&asg);
        let a = g.instances.iter().filter(|m| m.az == "us-east-1a").count();
        assert_eq!((g.instances.len(), a), (2, 1));
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        let last = acts.last().unwrap();
        assert!(last.description.starts_with("Terminating EC2 instance: i-"));
        assert!(last.cause.contains("shrinking the capacity from 3 to 2"));
        assert_eq!(last.status, "Successful");
    }

    #[test]
    fn replaces_instances_ec2_reports_stopped() {
        let (asg, ec2) = setup(1, &[]);
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        let first = group(&asg).instances[0].id.clone();
        ec2.instances.lock()[0].state = "stopped".into();
        tick(&asg, 3_000);
        let g = group(&asg);
        assert_eq!(g.instances.len(), 2);
        let old = g.member(&first).unwrap();
        assert_eq!(old.health, "Unhealthy");
        assert!(old.lifecycle.starts_with("Terminating"));
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        assert!(acts.iter().any(|a| {
            a.cause
                .contains("EC2 health check indicating it has been terminated or stopped")
        }));
    }

    #[test]
    fn failed_launches_are_recorded_and_retried_later() {
        let (asg, ec2) = setup(1, &[]);
        *ec2.fail_launch.lock() = Some("No capacity".into());
        tick(&asg, 1_000);
        tick(&asg, 2_000);
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].status, "Failed");
        assert_eq!(
            acts[0].status_message.as_deref(),
            Some("No capacity. Launching EC2 instance failed.")
        );
        *ec2.fail_launch.lock() = None;
        tick(&asg, 1_000 + LAUNCH_RETRY_MS);
        assert_eq!(group(&asg).instances.len(), 1);
    }

    #[test]
    fn lifecycle_hooks_hold_instances_until_completed_or_timed_out() {
        let (asg, ec2) = setup(1, &[]);
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups
                    .get_mut("web")
                    .unwrap()
                    .hooks
                    .push(crate::state::Hook {
                        name: "boot".into(),
                        transition: LAUNCHING.into(),
                        heartbeat_secs: 60,
                        default_result: "CONTINUE".into(),
                        ..Default::default()
                    });
                Ok(())
            })
            .unwrap();
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        assert_eq!(group(&asg).instances[0].lifecycle, "Pending:Wait");
        tick(&asg, 30_000);
        assert_eq!(group(&asg).instances[0].lifecycle, "Pending:Wait");
        tick(&asg, 62_000);
        assert_eq!(group(&asg).instances[0].lifecycle, "InService");
    }

    #[test]
    fn terminating_hooks_hold_instances_until_completed() {
        let (asg, ec2) = setup(1, &[]);
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups
                    .get_mut("web")
                    .unwrap()
                    .hooks
                    .push(crate::state::Hook {
                        name: "drain".into(),
                        transition: TERMINATING.into(),
                        heartbeat_secs: 600,
                        default_result: "ABANDON".into(),
                        ..Default::default()
                    });
                Ok(())
            })
            .unwrap();
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        let id = group(&asg).instances[0].id.clone();
        set_desired(&asg, 0);
        tick(&asg, 3_000);
        tick(&asg, 4_000);
        assert_eq!(group(&asg).instances[0].lifecycle, "Terminating:Wait");
        assert_eq!(ec2.state(&id), "running");
        asg.state
            .with(ACCT, REGION, |r| {
                let g = r.groups.get_mut("web").unwrap();
                g.instances[0].hook.as_mut().unwrap().result = Some("CONTINUE".into());
                Ok(())
            })
            .unwrap();
        tick(&asg, 5_000);
        assert_eq!(ec2.state(&id), "shutting-down");
        ec2.settle();
        tick(&asg, 6_000);
        assert!(group(&asg).instances.is_empty());
    }

    #[test]
    fn alarms_run_policies_with_cooldowns() {
        let (asg, ec2) = setup(1, &[]);
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        let arn = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:p:autoScalingGroupName/web:policyName/up";
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups.get_mut("web").unwrap().policies.push(Policy {
                    name: "up".into(),
                    arn: arn.into(),
                    policy_type: "SimpleScaling".into(),
                    adjustment_type: Some("ChangeInCapacity".into()),
                    scaling_adjustment: Some(2),
                    cooldown: Some(60),
                    enabled: true,
                    ..Default::default()
                });
                r.groups.get_mut("web").unwrap().cooldown_until_ms = 0;
                Ok(())
            })
            .unwrap();
        assert!(asg.exists(ACCT, REGION, arn));
        let trigger = AlarmTrigger {
            alarm_name: "high-cpu".into(),
            alarm_arn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu".into(),
            metric_value: Some(90.0),
            threshold: 70.0,
            now_ms: 10_000,
        };
        asg.execute(ACCT, REGION, arn, &trigger).unwrap();
        let g = group(&asg);
        assert_eq!(g.desired, 3);
        assert!(g.pending_cause.as_deref().unwrap().contains("a monitor alarm high-cpu in state ALARM triggered policy up changing the desired capacity from 1 to 3"));
        // Still in cooldown: the next period's call changes nothing.
        asg.execute(
            ACCT,
            REGION,
            arn,
            &AlarmTrigger {
                now_ms: 40_000,
                ..trigger.clone()
            },
        )
        .unwrap();
        assert_eq!(group(&asg).desired, 3);
        tick(&asg, 41_000);
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        assert!(
            acts.last()
                .unwrap()
                .cause
                .contains("triggered policy up changing the desired capacity from 1 to 3.  At ")
        );
    }

    #[test]
    fn target_tracking_alarms_scale_out_then_in() {
        let (asg, ec2) = setup(2, &[]);
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        let arn = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:t:autoScalingGroupName/web:policyName/cpu";
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups.get_mut("web").unwrap().policies.push(Policy {
                    name: "cpu".into(),
                    arn: arn.into(),
                    policy_type: "TargetTrackingScaling".into(),
                    target_value: 50.0,
                    estimated_instance_warmup: Some(60),
                    enabled: true,
                    ..Default::default()
                });
                Ok(())
            })
            .unwrap();
        let high = AlarmTrigger {
            alarm_name: "TargetTracking-web-AlarmHigh-1".into(),
            metric_value: Some(90.0),
            threshold: 50.0,
            now_ms: 100_000,
            ..Default::default()
        };
        asg.execute(ACCT, REGION, arn, &high).unwrap();
        // ceil(2 * 90 / 50) = 4.
        assert_eq!(group(&asg).desired, 4);
        tick(&asg, 100_000);
        ec2.settle();
        tick(&asg, 101_000);
        // The new instances are warming up: a breach without a datapoint waits.
        asg.execute(
            ACCT,
            REGION,
            arn,
            &AlarmTrigger {
                metric_value: None,
                now_ms: 120_000,
                ..high.clone()
            },
        )
        .unwrap();
        assert_eq!(group(&asg).desired, 4);
        let low = AlarmTrigger {
            alarm_name: "TargetTracking-web-AlarmLow-1".into(),
            metric_value: Some(10.0),
            threshold: 45.0,
            now_ms: 200_000,
            ..Default::default()
        };
        asg.execute(ACCT, REGION, arn, &low).unwrap();
        assert_eq!(group(&asg).desired, 3);
        let cause = group(&asg).pending_cause.unwrap();
        assert!(cause.contains("a monitor alarm TargetTracking-web-AlarmLow-1 in state ALARM triggered policy cpu changing the desired capacity from 4 to 3."));
    }

    #[test]
    fn instances_past_their_lifetime_are_replaced_one_at_a_time() {
        let (asg, ec2) = setup(2, &[]);
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups.get_mut("web").unwrap().max_instance_lifetime = Some(86_400);
                Ok(())
            })
            .unwrap();
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        tick(&asg, 86_402_000);
        let g = group(&asg);
        assert_eq!(
            g.instances
                .iter()
                .filter(|m| m.lifecycle.starts_with("Terminating"))
                .count(),
            1
        );
        assert_eq!(g.instances.len(), 3);
    }

    #[test]
    fn zones_are_rebalanced_by_launching_first() {
        let (asg, ec2) = setup(2, &[]);
        // Start with one zone only, then add the second.
        asg.state
            .with(ACCT, REGION, |r| {
                let g = r.groups.get_mut("web").unwrap();
                g.subnets.truncate(1);
                Ok(())
            })
            .unwrap();
        tick(&asg, 1_000);
        ec2.settle();
        tick(&asg, 2_000);
        assert!(group(&asg).instances.iter().all(|m| m.az == "us-east-1a"));
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups
                    .get_mut("web")
                    .unwrap()
                    .subnets
                    .push(("subnet-b".into(), "us-east-1b".into()));
                Ok(())
            })
            .unwrap();
        tick(&asg, 3_000);
        let g = group(&asg);
        assert_eq!(g.instances.len(), 3);
        assert_eq!(g.instances[2].az, "us-east-1b");
        tick(&asg, 4_000);
        ec2.settle();
        tick(&asg, 5_000);
        ec2.settle();
        tick(&asg, 6_000);
        let g = group(&asg);
        let zones: Vec<&str> = g.instances.iter().map(|m| m.az.as_str()).collect();
        assert_eq!(g.instances.len(), 2, "{zones:?}");
        assert!(zones.contains(&"us-east-1a") && zones.contains(&"us-east-1b"));
        let acts = asg.state.read(ACCT, REGION, |r| r.activities.clone());
        assert!(acts.iter().any(|a| {
            a.cause
                .contains("launched to aid in balancing the group's zones")
        }));
    }

    #[test]
    fn scheduled_actions_run_when_due() {
        let (asg, _ec2) = setup(0, &[]);
        asg.state
            .with(ACCT, REGION, |r| {
                r.groups
                    .get_mut("web")
                    .unwrap()
                    .scheduled
                    .push(crate::state::Scheduled {
                        name: "morning".into(),
                        recurrence: Some("0 9 * * *".into()),
                        desired: Some(2),
                        next_ms: Some(9 * 3_600_000),
                        ..Default::default()
                    });
                Ok(())
            })
            .unwrap();
        tick(&asg, 8 * 3_600_000);
        assert_eq!(group(&asg).desired, 0);
        tick(&asg, 9 * 3_600_000 + 1);
        let g = group(&asg);
        assert_eq!(g.desired, 2);
        assert_eq!(g.scheduled[0].next_ms, Some(33 * 3_600_000));
        assert_eq!(g.instances.len(), 2);
    }
}
