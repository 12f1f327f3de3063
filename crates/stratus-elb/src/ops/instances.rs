//! Registered instances and their health: registration checks the
//! instances with EC2, deregistration drains when connection draining is
//! on, and the health check settings decide how health moves.

use stratus_core::{AwsError, RequestContext};
use stratus_elbv2::health::TargetHealthRec;

use super::common::{lb, update};
use super::load_balancers::{MAX_INSTANCES, health_check_out};
use crate::Elb;
use crate::errors::{invalid_instance, validation};
use crate::generated::*;
use crate::health::{not_registered, parse_target, shown, starting};
use crate::state::{LoadBalancerRec, MemberRec};

pub fn configure_health_check(
    me: &Elb,
    ctx: &RequestContext,
    input: ConfigureHealthCheckInput,
) -> Result<ConfigureHealthCheckOutput, AwsError> {
    let h = input.health_check;
    parse_target(&h.target)?;
    if h.timeout >= h.interval {
        return Err(validation(format!(
            "HealthCheck Timeout ({}) must be less than the Interval ({})",
            h.timeout, h.interval
        )));
    }
    update(me, ctx, &input.load_balancer_name, |r| {
        r.health_check.target = h.target.clone();
        r.health_check.interval = h.interval;
        r.health_check.timeout = h.timeout;
        r.health_check.unhealthy = h.unhealthy_threshold;
        r.health_check.healthy = h.healthy_threshold;
        Ok(ConfigureHealthCheckOutput {
            health_check: Some(health_check_out(&r.health_check)),
        })
    })
}

fn ids_of(instances: Vec<Instance>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in instances.into_iter().filter_map(|i| i.instance_id) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn listed(r: &LoadBalancerRec) -> Vec<Instance> {
    r.instances
        .iter()
        .filter(|m| m.health.drain_until_ms.is_none())
        .map(|m| Instance {
            instance_id: Some(m.id.clone()),
        })
        .collect()
}

/// Registers instances EC2 knows in the load balancer's VPC.
pub fn register(
    me: &Elb,
    ctx: &RequestContext,
    name: &str,
    ids: &[String],
) -> Result<Vec<Instance>, AwsError> {
    let views = me.ec2()?.describe(ctx.account_id(), &ctx.region, ids);
    let vpc = lb(&me.state.read(), ctx, name)?.vpc_id.clone();
    for id in ids {
        let v = views
            .iter()
            .find(|v| &v.id == id && v.state != "terminated")
            .ok_or_else(|| invalid_instance(format!("Could not find EC2 instance {id}.")))?;
        if vpc.is_some() && v.vpc_id != vpc {
            return Err(invalid_instance(format!(
                "EC2 instance {id} is not in the same VPC as the load balancer."
            )));
        }
    }
    let now = ctx.clock.now_millis();
    update(me, ctx, name, |r| {
        let interval = r.health_check.interval;
        for id in ids {
            match r.instances.iter_mut().find(|m| &m.id == id) {
                // Registering a draining instance takes it back.
                Some(m) if m.health.drain_until_ms.is_some() => {
                    m.health = starting(now, interval);
                    m.registered_ms = now;
                }
                Some(_) => {}
                None => r.instances.push(MemberRec {
                    id: id.clone(),
                    registered_ms: now,
                    health: starting(now, interval),
                }),
            }
        }
        if r.instances.len() > MAX_INSTANCES {
            return Err(invalid_instance(format!(
                "Exceeded quota of {MAX_INSTANCES} registered instances per load balancer"
            )));
        }
        Ok(listed(r))
    })
}

/// Deregisters instances; with connection draining on, they stay until
/// the draining timeout passes.
pub fn deregister(
    me: &Elb,
    ctx: &RequestContext,
    name: &str,
    ids: &[String],
    strict: bool,
) -> Result<Vec<Instance>, AwsError> {
    let now = ctx.clock.now_millis();
    update(me, ctx, name, |r| {
        if strict && let Some(id) = ids.iter().find(|id| r.member(id).is_none()) {
            return Err(invalid_instance(format!(
                "EC2 instance {id} is not registered with load balancer {}.",
                r.name
            )));
        }
        let drain = r
            .attributes
            .draining_enabled
            .then_some(i64::from(r.attributes.draining_timeout) * 1000);
        match drain {
            Some(ms) => {
                for m in r.instances.iter_mut().filter(|m| ids.contains(&m.id)) {
                    if m.health.drain_until_ms.is_none() {
                        m.health = TargetHealthRec::draining(now + ms, false);
                    }
                }
            }
            None => r.instances.retain(|m| !ids.contains(&m.id)),
        }
        Ok(listed(r))
    })
}

pub fn register_instances_with_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: RegisterEndPointsInput,
) -> Result<RegisterEndPointsOutput, AwsError> {
    let ids = ids_of(input.instances);
    let instances = register(me, ctx, &input.load_balancer_name, &ids)?;
    Ok(RegisterEndPointsOutput {
        instances: Some(instances),
    })
}

pub fn deregister_instances_from_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: DeregisterEndPointsInput,
) -> Result<DeregisterEndPointsOutput, AwsError> {
    let ids = ids_of(input.instances);
    let instances = deregister(me, ctx, &input.load_balancer_name, &ids, true)?;
    Ok(DeregisterEndPointsOutput {
        instances: Some(instances),
    })
}

fn state_out(id: &str, (state, reason, description): (&str, &str, String)) -> InstanceState {
    InstanceState {
        instance_id: Some(id.into()),
        state: Some(state.into()),
        reason_code: Some(reason.into()),
        description: Some(description),
    }
}

pub fn describe_instance_health(
    me: &Elb,
    ctx: &RequestContext,
    input: DescribeEndPointStateInput,
) -> Result<DescribeEndPointStateOutput, AwsError> {
    let wanted = ids_of(input.instances.unwrap_or_default());
    let members: Vec<MemberRec> = lb(&me.state.read(), ctx, &input.load_balancer_name)?
        .instances
        .clone();
    if wanted.is_empty() {
        return Ok(DescribeEndPointStateOutput {
            instance_states: Some(
                members
                    .iter()
                    .map(|m| state_out(&m.id, shown(&m.health)))
                    .collect(),
            ),
        });
    }
    let views = me.ec2()?.describe(ctx.account_id(), &ctx.region, &wanted);
    let mut out = Vec::new();
    for id in &wanted {
        if let Some(m) = members.iter().find(|m| &m.id == id) {
            out.push(state_out(id, shown(&m.health)));
            continue;
        }
        match views.iter().find(|v| &v.id == id) {
            // Terminated instances outside the load balancer are left out.
            Some(v) if v.state == "terminated" => {}
            Some(_) => out.push(state_out(id, not_registered())),
            None => {
                return Err(invalid_instance(format!(
                    "Could not find EC2 instance {id}."
                )));
            }
        }
    }
    Ok(DescribeEndPointStateOutput {
        instance_states: Some(out),
    })
}
