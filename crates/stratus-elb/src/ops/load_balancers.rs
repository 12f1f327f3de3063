//! Load balancers: creation (idempotent for an identical request, as AWS
//! is), description with listeners, policies and instances, deletion, and
//! the account's limits.

use stratus_core::{AwsError, RequestContext};
use stratus_elbv2::names;
use stratus_protocol::Timestamp;

use super::common::{listener_in, listener_out, page, same_listener, tags_in};
use super::listeners::with_default_policies;
use super::placement::{resolve, security_groups};
use crate::Elb;
use crate::errors::{duplicate_listener, duplicate_name, lb_not_found, too_many_lbs, validation};
use crate::generated::*;
use crate::policies::{APP_COOKIE, LB_COOKIE};
use crate::state::{AttributesRec, HealthCheckRec, ListenerRec, LoadBalancerRec, key};

pub const MAX_LOAD_BALANCERS: usize = 20;
pub const MAX_LISTENERS: usize = 100;
pub const MAX_INSTANCES: usize = 1000;

/// Listeners from a request, refusing two on one port.
pub fn listeners_in(listeners: Vec<Listener>) -> Result<Vec<ListenerRec>, AwsError> {
    let mut out: Vec<ListenerRec> = Vec::new();
    for l in listeners {
        let l = listener_in(l)?;
        if let Some(old) = out.iter().find(|o| o.lb_port == l.lb_port) {
            if !same_listener(old, &l) {
                return Err(duplicate_listener(l.lb_port));
            }
            continue;
        }
        out.push(l);
    }
    Ok(out)
}

pub fn default_attributes() -> AttributesRec {
    AttributesRec {
        draining_timeout: 300,
        idle_timeout: 60,
        additional: [(
            "elb.http.desyncmitigationmode".to_string(),
            "defensive".to_string(),
        )]
        .into(),
        ..Default::default()
    }
}

pub fn create_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: CreateAccessPointInput,
) -> Result<CreateAccessPointOutput, AwsError> {
    let name = input.load_balancer_name;
    names::check_name("LoadBalancer", &name)?;
    let scheme = input.scheme.unwrap_or_else(|| "internet-facing".into());
    if !matches!(scheme.as_str(), "internet-facing" | "internal") {
        return Err(AwsError::bad_request(
            "InvalidSchemeException",
            format!("Invalid scheme: '{scheme}'. Valid schemes are internet-facing and internal"),
        ));
    }
    if input.listeners.is_empty() {
        return Err(validation("At least one listener must be specified"));
    }
    let mut listeners = listeners_in(input.listeners)?;
    let placement = resolve(me, ctx, input.availability_zones, input.subnets)?;
    let groups = match &placement.vpc_id {
        Some(vpc) => security_groups(me, ctx, vpc, input.security_groups)?,
        None => Vec::new(),
    };
    let tags = tags_in(input.tags.unwrap_or_default())?;
    let now = ctx.clock.now_millis();

    let k = key(ctx.account_id(), &ctx.region, &name);
    let mut txn = me.state.begin();
    if let Some(old) = txn.inner.lbs.get(&k) {
        let same = old.scheme == scheme
            && old.subnets == placement.subnets
            && old.listeners.len() == listeners.len()
            && old
                .listeners
                .iter()
                .zip(&listeners)
                .all(|(a, b)| same_listener(a, b));
        return if same {
            Ok(CreateAccessPointOutput {
                dns_name: Some(old.dns_name.clone()),
            })
        } else {
            Err(duplicate_name(&name))
        };
    }
    let mine = txn
        .inner
        .lbs
        .keys()
        .filter(|(a, r, _)| a == ctx.account_id() && *r == ctx.region)
        .count();
    if mine >= MAX_LOAD_BALANCERS {
        return Err(too_many_lbs(MAX_LOAD_BALANCERS));
    }
    let mut policies = Vec::new();
    with_default_policies(&mut listeners, &mut policies);
    let first_port = listeners[0].instance_port;
    let rec = LoadBalancerRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: name.clone(),
        dns_name: names::dns_name(&name, "application", &scheme, &ctx.region),
        scheme,
        vpc_id: placement.vpc_id,
        subnets: placement.subnets,
        zones: placement.zones,
        security_groups: groups,
        listeners,
        policies,
        health_check: HealthCheckRec {
            target: format!("TCP:{first_port}"),
            interval: 30,
            timeout: 5,
            unhealthy: 2,
            healthy: 10,
        },
        attributes: default_attributes(),
        created_ms: now,
        tags,
        ..Default::default()
    };
    let dns = rec.dns_name.clone();
    txn.inner.lbs.insert(k.clone(), rec);
    txn.put(&k)?;
    txn.commit()?;
    Ok(CreateAccessPointOutput {
        dns_name: Some(dns),
    })
}

pub fn delete_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: DeleteAccessPointInput,
) -> Result<DeleteAccessPointOutput, AwsError> {
    let k = key(ctx.account_id(), &ctx.region, &input.load_balancer_name);
    let mut txn = me.state.begin();
    txn.delete(&k);
    txn.commit()?;
    Ok(DeleteAccessPointOutput {})
}

pub fn health_check_out(h: &HealthCheckRec) -> HealthCheck {
    HealthCheck {
        target: h.target.clone(),
        interval: h.interval,
        timeout: h.timeout,
        unhealthy_threshold: h.unhealthy,
        healthy_threshold: h.healthy,
    }
}

fn policies_out(r: &LoadBalancerRec) -> Policies {
    let mut app = Vec::new();
    let mut lb = Vec::new();
    let mut other = Vec::new();
    for p in &r.policies {
        match p.type_name.as_str() {
            APP_COOKIE => app.push(AppCookieStickinessPolicy {
                policy_name: Some(p.name.clone()),
                cookie_name: p.attribute("CookieName").map(str::to_string),
            }),
            LB_COOKIE => lb.push(LBCookieStickinessPolicy {
                policy_name: Some(p.name.clone()),
                cookie_expiration_period: p
                    .attribute("CookieExpirationPeriod")
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &i64| *v > 0),
            }),
            _ => other.push(p.name.clone()),
        }
    }
    Policies {
        app_cookie_stickiness_policies: Some(app),
        lb_cookie_stickiness_policies: Some(lb),
        other_policies: Some(other),
    }
}

fn view(me: &Elb, r: &LoadBalancerRec) -> LoadBalancerDescription {
    let source = r
        .security_groups
        .first()
        .and_then(|g| me.ec2().ok()?.security_group_name(&r.account, &r.region, g));
    LoadBalancerDescription {
        load_balancer_name: Some(r.name.clone()),
        dns_name: Some(r.dns_name.clone()),
        canonical_hosted_zone_name: (r.scheme != "internal").then(|| r.dns_name.clone()),
        canonical_hosted_zone_name_id: Some(names::hosted_zone_id(&r.region, "application").into()),
        listener_descriptions: Some(
            r.listeners
                .iter()
                .map(|l| ListenerDescription {
                    listener: Some(listener_out(l)),
                    policy_names: Some(l.policy_names.clone()),
                })
                .collect(),
        ),
        policies: Some(policies_out(r)),
        backend_server_descriptions: Some(
            r.backend_policies
                .iter()
                .filter(|(_, names)| !names.is_empty())
                .map(|(port, names)| BackendServerDescription {
                    instance_port: Some(*port),
                    policy_names: Some(names.clone()),
                })
                .collect(),
        ),
        availability_zones: Some(r.zones.clone()),
        subnets: Some(r.subnets.clone()),
        vpc_id: r.vpc_id.clone(),
        instances: Some(
            r.instances
                .iter()
                .filter(|m| m.health.drain_until_ms.is_none())
                .map(|m| Instance {
                    instance_id: Some(m.id.clone()),
                })
                .collect(),
        ),
        health_check: Some(health_check_out(&r.health_check)),
        source_security_group: Some(SourceSecurityGroup {
            owner_alias: Some(r.account.clone()),
            group_name: Some(source.unwrap_or_else(|| "default".into())),
        }),
        security_groups: Some(r.security_groups.clone()),
        created_time: Some(Timestamp(r.created_ms)),
        scheme: Some(r.scheme.clone()),
    }
}

pub fn describe_load_balancers(
    me: &Elb,
    ctx: &RequestContext,
    input: DescribeAccessPointsInput,
) -> Result<DescribeAccessPointsOutput, AwsError> {
    let records: Vec<LoadBalancerRec> = {
        let inner = me.state.read();
        match input.load_balancer_names.filter(|n| !n.is_empty()) {
            Some(names) => {
                let mut out = Vec::new();
                for n in names {
                    let r = inner
                        .lbs
                        .get(&key(ctx.account_id(), &ctx.region, &n))
                        .ok_or_else(|| lb_not_found(&n))?;
                    out.push(r.clone());
                }
                out
            }
            None => inner
                .lbs
                .iter()
                .filter(|((a, r, _), _)| a == ctx.account_id() && *r == ctx.region)
                .map(|(_, v)| v.clone())
                .collect(),
        }
    };
    let (items, next) = page(records, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeAccessPointsOutput {
        load_balancer_descriptions: Some(items.iter().map(|r| view(me, r)).collect()),
        next_marker: next,
    })
}

pub fn describe_account_limits(
    _me: &Elb,
    _ctx: &RequestContext,
    input: DescribeAccountLimitsInput,
) -> Result<DescribeAccountLimitsOutput, AwsError> {
    let all = [
        ("classic-load-balancers", MAX_LOAD_BALANCERS),
        ("classic-listeners", MAX_LISTENERS),
        ("classic-registered-instances", MAX_INSTANCES),
    ]
    .into_iter()
    .map(|(n, m)| Limit {
        name: Some(n.into()),
        max: Some(m.to_string()),
    })
    .collect();
    let (limits, next) = page(all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeAccountLimitsOutput {
        limits: Some(limits),
        next_marker: next,
    })
}
