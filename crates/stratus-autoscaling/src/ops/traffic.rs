//! Where a group's instances take traffic: ELBv2 target groups (instances
//! registered and deregistered through ELBv2), Classic Load Balancer names
//! and other traffic sources (stored).

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::errors::{limit_exceeded, validation};
use crate::generated::*;
use crate::ops::groups::{check_load_balancers, check_target_groups, group_mut, group_ref};
use crate::state::Group;
use crate::wire::page;

const MAX_TARGET_GROUPS: usize = 50;
const MAX_LOAD_BALANCERS: usize = 50;

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

/// ELBv2 target groups or Classic load balancers: the group's list of
/// each, and how many it may have.
#[derive(Clone, Copy)]
enum Balancers {
    TargetGroups,
    Classic,
}

impl Balancers {
    fn list(self, g: &mut Group) -> &mut Vec<String> {
        match self {
            Balancers::TargetGroups => &mut g.target_groups,
            Balancers::Classic => &mut g.load_balancers,
        }
    }

    fn max(self) -> usize {
        match self {
            Balancers::TargetGroups => MAX_TARGET_GROUPS,
            Balancers::Classic => MAX_LOAD_BALANCERS,
        }
    }

    fn check(
        self,
        asg: &AutoScaling,
        ctx: &RequestContext,
        ids: &[String],
    ) -> Result<(), AwsError> {
        match self {
            Balancers::TargetGroups => check_target_groups(asg, ctx, ids),
            Balancers::Classic => check_load_balancers(asg, ctx, ids),
        }
    }

    fn limit_message(self) -> String {
        match self {
            Balancers::TargetGroups => format!(
                "You have reached your maximum number of target groups ({MAX_TARGET_GROUPS}) for the Auto Scaling group."
            ),
            Balancers::Classic => format!(
                "You have reached your maximum number of load balancers ({MAX_LOAD_BALANCERS}) for the Auto Scaling group."
            ),
        }
    }
}

/// Adds target groups or load balancers and registers the instances
/// already in service.
fn attach(
    asg: &AutoScaling,
    ctx: &RequestContext,
    name: &str,
    kind: Balancers,
    ids: &[String],
) -> Result<(), AwsError> {
    kind.check(asg, ctx, ids)?;
    let (new, in_service) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
        let list = kind.list(g);
        let new: Vec<String> = ids.iter().filter(|a| !list.contains(a)).cloned().collect();
        if list.len() + new.len() > kind.max() {
            return Err(limit_exceeded(kind.limit_message()));
        }
        list.extend(new.clone());
        let mut in_service = Vec::new();
        if !g.suspended("AddToLoadBalancer") {
            for m in g
                .instances
                .iter_mut()
                .filter(|m| m.lifecycle == "InService")
            {
                m.registered = true;
                in_service.push(m.id.clone());
            }
        }
        Ok((new, in_service))
    })?;
    // Registered after the state is released: a load balancer is never
    // called with it held.
    if let (Some(tgs), false) = (asg.target_groups.get(), in_service.is_empty()) {
        for tg in &new {
            tgs.register(ctx.account_id(), &ctx.region, tg, &in_service)?;
        }
    }
    Ok(())
}

fn detach(
    asg: &AutoScaling,
    ctx: &RequestContext,
    name: &str,
    kind: Balancers,
    ids: &[String],
) -> Result<(), AwsError> {
    let (gone, members) = asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
        let members = registered(g);
        let list = kind.list(g);
        let gone: Vec<String> = ids.iter().filter(|a| list.contains(a)).cloned().collect();
        list.retain(|t| !ids.contains(t));
        Ok((gone, members))
    })?;
    if let (Some(tgs), false) = (asg.target_groups.get(), members.is_empty()) {
        for tg in &gone {
            let _ = tgs.deregister(ctx.account_id(), &ctx.region, tg, &members);
        }
    }
    Ok(())
}

pub fn attach_load_balancer_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancerTargetGroupsType,
) -> Result<AttachLoadBalancerTargetGroupsResultType, AwsError> {
    attach(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        Balancers::TargetGroups,
        &input.target_group_ar_ns,
    )?;
    Ok(Default::default())
}

pub fn detach_load_balancer_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancerTargetGroupsType,
) -> Result<DetachLoadBalancerTargetGroupsResultType, AwsError> {
    detach(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        Balancers::TargetGroups,
        &input.target_group_ar_ns,
    )?;
    Ok(Default::default())
}

pub fn attach_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancersType,
) -> Result<AttachLoadBalancersResultType, AwsError> {
    attach(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        Balancers::Classic,
        &input.load_balancer_names,
    )?;
    Ok(Default::default())
}

pub fn detach_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancersType,
) -> Result<DetachLoadBalancersResultType, AwsError> {
    detach(
        asg,
        ctx,
        &input.auto_scaling_group_name,
        Balancers::Classic,
        &input.load_balancer_names,
    )?;
    Ok(Default::default())
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
    let mut classic = Vec::new();
    let mut others = Vec::new();
    for t in &input.traffic_sources {
        match kind(t)?.as_str() {
            "elbv2" => tgs.push(t.identifier.clone()),
            "elb" => classic.push(t.identifier.clone()),
            k => others.push((t.identifier.clone(), k.to_string())),
        }
    }
    let name = &input.auto_scaling_group_name;
    if !tgs.is_empty() {
        attach(asg, ctx, name, Balancers::TargetGroups, &tgs)?;
    }
    if !classic.is_empty() {
        attach(asg, ctx, name, Balancers::Classic, &classic)?;
    }
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
        for (i, k) in others {
            if !g.traffic_sources.iter().any(|(x, _)| *x == i) {
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
    let name = &input.auto_scaling_group_name;
    detach(asg, ctx, name, Balancers::TargetGroups, &ids)?;
    detach(asg, ctx, name, Balancers::Classic, &ids)?;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let g = group_mut(r, name)?;
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
        let st = state_of(g);
        Ok::<_, AwsError>(
            g.load_balancers
                .iter()
                .map(|l| LoadBalancerState {
                    load_balancer_name: Some(l.clone()),
                    state: Some(st.clone()),
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
