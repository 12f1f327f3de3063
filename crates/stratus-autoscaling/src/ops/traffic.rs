//! Where a group's instances take traffic: ELBv2 target groups (instances
//! registered and deregistered through ELBv2), Classic Load Balancer names
//! and other traffic sources (stored).

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::{limit_exceeded, validation};
use crate::generated::*;
use crate::ops::groups::{check_target_groups, group_mut, group_ref};
use crate::state::Group;
use crate::wire::page;

const MAX_TARGET_GROUPS: usize = 50;

pub fn sources(g: &Group) -> Vec<TrafficSourceIdentifier> {
    g.target_groups
        .iter()
        .map(|t| TrafficSourceIdentifier {
            identifier: t.clone(),
            r#type: Some("elbv2".into()),
        })
        .chain(g.load_balancers.iter().map(|l| TrafficSourceIdentifier {
            identifier: l.clone(),
            r#type: Some("elb".into()),
        }))
        .chain(
            g.traffic_sources
                .iter()
                .map(|(i, t)| TrafficSourceIdentifier {
                    identifier: i.clone(),
                    r#type: Some(t.clone()),
                }),
        )
        .collect()
}

fn registered(g: &Group) -> Vec<String> {
    g.instances
        .iter()
        .filter(|m| m.registered)
        .map(|m| m.id.clone())
        .collect()
}

/// Adds target groups and registers the instances already in service.
fn attach_tgs(
    asg: &AutoScaling,
    ctx: &RequestContext,
    name: &str,
    arns: &[String],
) -> Result<(), AwsError> {
    check_target_groups(asg, ctx, arns)?;
    let (new, in_service) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
        let new: Vec<String> = arns
            .iter()
            .filter(|a| !g.target_groups.contains(a))
            .cloned()
            .collect();
        if g.target_groups.len() + new.len() > MAX_TARGET_GROUPS {
            return Err(limit_exceeded(format!(
                "You have reached your maximum number of target groups ({MAX_TARGET_GROUPS}) for the Auto Scaling group."
            )));
        }
        let mut in_service = Vec::new();
        if !g.suspended("AddToLoadBalancer") {
            for m in g.instances.iter_mut().filter(|m| m.lifecycle == "InService") {
                m.registered = true;
                in_service.push(m.id.clone());
            }
        }
        g.target_groups.extend(new.clone());
        Ok((new, in_service))
    })?;
    // Registered after the state is released: ELBv2 is never called with it held.
    if let (Some(tgs), false) = (asg.target_groups.get(), in_service.is_empty()) {
        for tg in &new {
            tgs.register(ctx.account_id(), &ctx.region, tg, &in_service)?;
        }
    }
    Ok(())
}

fn detach_tgs(
    asg: &AutoScaling,
    ctx: &RequestContext,
    name: &str,
    arns: &[String],
) -> Result<(), AwsError> {
    let (gone, ids) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
        let ids = registered(g);
        let gone: Vec<String> = arns
            .iter()
            .filter(|a| g.target_groups.contains(a))
            .cloned()
            .collect();
        g.target_groups.retain(|t| !arns.contains(t));
        Ok((gone, ids))
    })?;
    if let (Some(tgs), false) = (asg.target_groups.get(), ids.is_empty()) {
        for tg in &gone {
            let _ = tgs.deregister(ctx.account_id(), &ctx.region, tg, &ids);
        }
    }
    Ok(())
}

pub fn attach_load_balancer_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancerTargetGroupsType,
) -> Result<AttachLoadBalancerTargetGroupsResultType, AwsError> {
    attach_tgs(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        &input.target_group_ar_ns,
    )?;
    Ok(Default::default())
}

pub fn detach_load_balancer_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancerTargetGroupsType,
) -> Result<DetachLoadBalancerTargetGroupsResultType, AwsError> {
    detach_tgs(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        &input.target_group_ar_ns,
    )?;
    Ok(Default::default())
}

pub fn attach_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancersType,
) -> Result<AttachLoadBalancersResultType, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for lb in &input.load_balancer_names {
            if !g.load_balancers.contains(lb) {
                g.load_balancers.push(lb.clone());
            }
        }
        Ok(Default::default())
    })
}

pub fn detach_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancersType,
) -> Result<DetachLoadBalancersResultType, AwsError> {
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        g.load_balancers
            .retain(|l| !input.load_balancer_names.contains(l));
        Ok(Default::default())
    })
}

fn kind(t: &TrafficSourceIdentifier) -> Result<String, AwsError> {
    let k = t.r#type.clone().unwrap_or_else(|| {
        if t.identifier.starts_with("arn:aws:elasticloadbalancing:") {
            "elbv2".into()
        } else if t.identifier.starts_with("arn:aws:vpc-lattice:") {
            "vpc-lattice".into()
        } else {
            "elb".into()
        }
    });
    if !matches!(k.as_str(), "elb" | "elbv2" | "vpc-lattice") {
        return Err(validation(format!(
            "Traffic source type {k} is not valid. Valid values are elb, elbv2 and vpc-lattice."
        )));
    }
    Ok(k)
}

pub fn attach_traffic_sources(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachTrafficSourcesType,
) -> Result<AttachTrafficSourcesResultType, AwsError> {
    let mut tgs = Vec::new();
    let mut others = Vec::new();
    for t in &input.traffic_sources {
        match kind(t)?.as_str() {
            "elbv2" => tgs.push(t.identifier.clone()),
            k => others.push((t.identifier.clone(), k.to_string())),
        }
    }
    if !tgs.is_empty() {
        attach_tgs(asg, ctx, &input.auto_scaling_group_name, &tgs)?;
    }
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        for (i, k) in others {
            if k == "elb" {
                if !g.load_balancers.contains(&i) {
                    g.load_balancers.push(i);
                }
            } else if !g.traffic_sources.iter().any(|(x, _)| *x == i) {
                g.traffic_sources.push((i, k));
            }
        }
        Ok(Default::default())
    })
}

pub fn detach_traffic_sources(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachTrafficSourcesType,
) -> Result<DetachTrafficSourcesResultType, AwsError> {
    let ids: Vec<String> = input
        .traffic_sources
        .iter()
        .map(|t| t.identifier.clone())
        .collect();
    detach_tgs(asg, ctx, &input.auto_scaling_group_name, &ids)?;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        g.load_balancers.retain(|l| !ids.contains(l));
        g.traffic_sources.retain(|(i, _)| !ids.contains(i));
        Ok(Default::default())
    })
}

fn state_of(g: &Group) -> String {
    if g.instances.iter().any(|m| m.registered) {
        "InService".into()
    } else {
        "Added".into()
    }
}

pub fn describe_load_balancer_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLoadBalancerTargetGroupsRequest,
) -> Result<DescribeLoadBalancerTargetGroupsResponse, AwsError> {
    let all = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        let st = state_of(g);
        Ok::<_, AwsError>(
            g.target_groups
                .iter()
                .map(|t| LoadBalancerTargetGroupState {
                    load_balancer_target_group_arn: Some(t.clone()),
                    state: Some(st.clone()),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 100)?;
    Ok(DescribeLoadBalancerTargetGroupsResponse {
        load_balancer_target_groups: Some(items),
        next_token: next,
    })
}

pub fn describe_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLoadBalancersRequest,
) -> Result<DescribeLoadBalancersResponse, AwsError> {
    let all = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        Ok::<_, AwsError>(
            g.load_balancers
                .iter()
                .map(|l| LoadBalancerState {
                    load_balancer_name: Some(l.clone()),
                    state: Some("Added".into()),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 100)?;
    Ok(DescribeLoadBalancersResponse {
        load_balancers: Some(items),
        next_token: next,
    })
}

pub fn describe_traffic_sources(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeTrafficSourcesRequest,
) -> Result<DescribeTrafficSourcesResponse, AwsError> {
    let all = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        let g = group_ref(r, &input.auto_scaling_group_name)?;
        let st = state_of(g);
        Ok::<_, AwsError>(
            sources(g)
                .into_iter()
                .filter(|s| {
                    input
                        .traffic_source_type
                        .as_ref()
                        .is_none_or(|t| s.r#type.as_ref() == Some(t))
                })
                .map(|s| TrafficSourceState {
                    traffic_source: Some(s.identifier.clone()),
                    state: Some(if s.r#type.as_deref() == Some("elbv2") {
                        st.clone()
                    } else {
                        "Added".into()
                    }),
                    identifier: Some(s.identifier),
                    r#type: s.r#type,
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(DescribeTrafficSourcesResponse {
        traffic_sources: Some(items),
        next_token: next,
    })
}
