//! Registering and deregistering targets (instances checked against EC2,
//! IP addresses against the VPC, Lambda functions and load balancers by
//! ARN) and DescribeTargetHealth with AWS's states and reason codes.

use std::net::Ipv4Addr;

use stratus_core::{AwsError, RequestContext};

use super::common::tg;
use crate::Elbv2;
use crate::errors::{invalid_target, tg_not_found, validation};
use crate::generated::*;
use crate::health::{self, TargetHealthRec};
use crate::monitor::{drain_ms, starting_health};
use crate::names;
use crate::state::{TargetGroupRec, TargetRec};

fn instance_id_ok(id: &str) -> bool {
    id.strip_prefix("i-")
        .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn parse_cidr(c: &str) -> Option<(u32, u32)> {
    let (a, l) = c.split_once('/')?;
    let a: Ipv4Addr = a.parse().ok()?;
    let l: u32 = l.parse().ok()?;
    let mask = if l == 0 {
        0
    } else {
        u32::MAX << (32 - l.min(32))
    };
    Some((u32::from(a) & mask, mask))
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    parse_cidr(cidr).is_some_and(|(net, mask)| u32::from(ip) & mask == net)
}

/// Addresses a target outside the VPC may have (with zone `all`): private
/// ranges and the shared address space.
fn private_range(ip: Ipv4Addr) -> bool {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
    ]
    .iter()
    .any(|c| in_cidr(ip, c))
}

/// Checks the targets of one request against the group's type, then adds
/// them (or restarts the ones draining).
pub fn register(
    me: &Elbv2,
    account: &str,
    region: &str,
    now_ms: i64,
    tg_arn: &str,
    targets: Vec<TargetDescription>,
) -> Result<(), AwsError> {
    let group = {
        let inner = me.state.read();
        inner
            .tgs
            .get(tg_arn)
            .filter(|t| t.account == account && t.region == region)
            .cloned()
            .ok_or_else(|| tg_not_found(tg_arn))?
    };
    let mut adds: Vec<TargetRec> = Vec::new();
    match group.target_type.as_str() {
        "instance" => {
            for t in &targets {
                if !instance_id_ok(&t.id) {
                    return Err(validation(format!("Instance ID '{}' is not valid", t.id)));
                }
            }
            let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
            let found = me.ec2()?.describe(account, region, &ids);
            let missing: Vec<&str> = ids
                .iter()
                .filter(|id| {
                    !found
                        .iter()
                        .any(|i| &i.id == *id && i.state != "terminated")
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(invalid_target(format!(
                    "The following targets are not valid instances: '{}'",
                    missing.join("', '")
                )));
            }
            let stopped: Vec<&str> = found
                .iter()
                .filter(|i| !matches!(i.state.as_str(), "pending" | "running"))
                .map(|i| i.id.as_str())
                .collect();
            if !stopped.is_empty() {
                return Err(invalid_target(format!(
                    "The following targets are not in a running state and cannot be registered: '{}'",
                    stopped.join("', '")
                )));
            }
            let vpc = group.vpc_id.clone().unwrap_or_default();
            let elsewhere: Vec<&str> = found
                .iter()
                .filter(|i| i.vpc_id.as_deref() != Some(vpc.as_str()))
                .map(|i| i.id.as_str())
                .collect();
            if !elsewhere.is_empty() {
                return Err(invalid_target(format!(
                    "The following targets are not in the target group VPC '{vpc}': '{}'",
                    elsewhere.join("', '")
                )));
            }
            for t in targets {
                if t.availability_zone.is_some() {
                    return Err(validation(
                        "An Availability Zone cannot be specified for targets of type 'instance'",
                    ));
                }
                adds.push(TargetRec {
                    id: t.id,
                    port: t.port.or(group.port),
                    ..Default::default()
                });
            }
        }
        "ip" => {
            let vpc = group.vpc_id.clone().unwrap_or_default();
            let cidrs = me
                .ec2()?
                .vpc_cidrs(account, region, &vpc)
                .unwrap_or_default();
            for t in targets {
                let Ok(ip) = t.id.parse::<Ipv4Addr>() else {
                    return Err(validation(format!(
                        "The IP address '{}' is not a valid IPv4 address",
                        t.id
                    )));
                };
                let all = t.availability_zone.as_deref() == Some("all");
                // Loopback targets stand for servers on this machine, which
                // the local data plane can reach.
                let ok = ip.is_loopback()
                    || cidrs.is_empty()
                    || cidrs.iter().any(|c| in_cidr(ip, c))
                    || (all && private_range(ip));
                if !ok {
                    return Err(invalid_target(if all || !private_range(ip) {
                        format!(
                            "The IP address '{ip}' is not a private address in the VPC's range or in the ranges allowed outside it (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)"
                        )
                    } else {
                        format!(
                            "The IP address '{ip}' is outside the VPC '{vpc}'; specify the Availability Zone 'all' to register it"
                        )
                    }));
                }
                adds.push(TargetRec {
                    id: t.id,
                    port: t.port.or(group.port),
                    availability_zone: t.availability_zone,
                    ..Default::default()
                });
            }
        }
        "lambda" => {
            if targets.len() > 1 || !group.targets.is_empty() {
                let same =
                    targets.len() == 1 && group.targets.iter().any(|x| x.id == targets[0].id);
                if !same {
                    return Err(AwsError::bad_request(
                        "TooManyTargetsException",
                        "A target group of type 'lambda' can have only one target",
                    ));
                }
            }
            for t in targets {
                if !t.id.starts_with("arn:aws:lambda:") {
                    return Err(validation(format!(
                        "The Lambda function ARN '{}' is not valid",
                        t.id
                    )));
                }
                if t.port.is_some() {
                    return Err(validation(
                        "A port cannot be specified for targets of type 'lambda'",
                    ));
                }
                adds.push(TargetRec {
                    id: t.id,
                    ..Default::default()
                });
            }
        }
        _ => {
            let inner = me.state.read();
            if targets.len() > 1 {
                return Err(AwsError::bad_request(
                    "TooManyTargetsException",
                    "A target group of type 'alb' can have only one target",
                ));
            }
            for t in targets {
                let lb = inner.lbs.get(&t.id).filter(|l| {
                    l.account == account && l.region == region && l.kind == "application"
                });
                if lb.is_none() {
                    return Err(invalid_target(format!(
                        "The target '{}' is not a valid Application Load Balancer",
                        t.id
                    )));
                }
                adds.push(TargetRec {
                    id: t.id,
                    port: t.port.or(group.port),
                    ..Default::default()
                });
            }
        }
    }

    let mut txn = me.state.begin();
    let in_use = txn.inner.groups_in_use().contains_key(tg_arn);
    let Some(r) = txn.inner.tgs.get_mut(tg_arn) else {
        return Err(tg_not_found(tg_arn));
    };
    let start = starting_health(r, in_use, now_ms);
    for mut t in adds {
        match r
            .targets
            .iter_mut()
            .find(|x| x.id == t.id && x.port == t.port)
        {
            Some(x) if x.health.state == health::DRAINING => {
                x.registered_ms = now_ms;
                x.health = start.clone();
                x.availability_zone = t.availability_zone;
            }
            Some(_) => {}
            None => {
                t.registered_ms = now_ms;
                t.health = start.clone();
                r.targets.push(t);
            }
        }
    }
    txn.put_tg(tg_arn)?;
    txn.commit()
}

/// Starts draining targets (or drops them at once when the group receives
/// no traffic or has no deregistration delay).
pub fn deregister(
    me: &Elbv2,
    account: &str,
    region: &str,
    now_ms: i64,
    tg_arn: &str,
    targets: Vec<TargetDescription>,
) -> Result<(), AwsError> {
    let mut txn = me.state.begin();
    let in_use = txn.inner.groups_in_use().contains_key(tg_arn);
    let Some(r) = txn
        .inner
        .tgs
        .get_mut(tg_arn)
        .filter(|t| t.account == account && t.region == region)
    else {
        return Err(tg_not_found(tg_arn));
    };
    let delay = drain_ms(r);
    let mut picks = Vec::new();
    for t in &targets {
        let matching: Vec<usize> = r
            .targets
            .iter()
            .enumerate()
            .filter(|(_, x)| {
                x.id == t.id
                    && !x.health.hidden
                    && match t.port {
                        Some(p) => x.port == Some(p),
                        None => true,
                    }
            })
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            return Err(invalid_target(format!(
                "The following targets are not registered in the target group: '{}'",
                t.id
            )));
        }
        picks.extend(matching);
    }
    for i in picks {
        let t = &mut r.targets[i];
        if t.health.state != health::DRAINING {
            t.health = TargetHealthRec::draining(now_ms + if in_use { delay } else { 0 }, false);
        }
    }
    r.targets
        .retain(|t| t.health.drain_until_ms.is_none_or(|until| until > now_ms));
    txn.put_tg(tg_arn)?;
    txn.commit()
}

pub fn register_targets(
    me: &Elbv2,
    ctx: &RequestContext,
    input: RegisterTargetsInput,
) -> Result<RegisterTargetsOutput, AwsError> {
    names::check_arn(&input.target_group_arn, "targetgroup", "target group")?;
    register(
        me,
        ctx.account_id(),
        &ctx.region,
        ctx.clock.now_millis(),
        &input.target_group_arn,
        input.targets,
    )?;
    Ok(RegisterTargetsOutput {})
}

pub fn deregister_targets(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DeregisterTargetsInput,
) -> Result<DeregisterTargetsOutput, AwsError> {
    names::check_arn(&input.target_group_arn, "targetgroup", "target group")?;
    deregister(
        me,
        ctx.account_id(),
        &ctx.region,
        ctx.clock.now_millis(),
        &input.target_group_arn,
        input.targets,
    )?;
    Ok(DeregisterTargetsOutput {})
}

fn describe_one(group: &TargetGroupRec, t: &TargetRec, anomaly: bool) -> TargetHealthDescription {
    let port = group.health_check.port.clone().map(|p| {
        if p == "traffic-port" {
            t.port.map(|n| n.to_string()).unwrap_or(p)
        } else {
            p
        }
    });
    let lambda = group.target_type == "lambda";
    TargetHealthDescription {
        target: Some(TargetDescription {
            id: t.id.clone(),
            port: t.port,
            availability_zone: t.availability_zone.clone(),
            quic_server_id: None,
        }),
        health_check_port: if lambda { None } else { port },
        target_health: Some(TargetHealth {
            state: Some(t.health.state.clone()),
            reason: t.health.reason.clone(),
            description: t.health.description(),
        }),
        anomaly_detection: (anomaly && matches!(group.protocol.as_deref(), Some("HTTP" | "HTTPS")))
            .then(|| AnomalyDetection {
                result: Some("normal".into()),
                mitigation_in_effect: Some("no".into()),
            }),
        administrative_override: Some(AdministrativeOverride {
            state: Some("no_override".into()),
            reason: Some("AdministrativeOverride.NoOverride".into()),
            description: Some("No override is currently active on target".into()),
        }),
    }
}

pub fn describe_target_health(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeTargetHealthInput,
) -> Result<DescribeTargetHealthOutput, AwsError> {
    let inner = me.state.read();
    let group = tg(&inner, ctx, &input.target_group_arn)?;
    let anomaly = input
        .include
        .as_ref()
        .is_some_and(|i| i.iter().any(|x| x == "AnomalyDetection" || x == "All"));
    let out = match input.targets.filter(|t| !t.is_empty()) {
        None => group
            .targets
            .iter()
            .filter(|t| !t.health.hidden)
            .map(|t| describe_one(group, t, anomaly))
            .collect(),
        Some(wanted) => wanted
            .into_iter()
            .flat_map(|w| {
                let matching: Vec<&TargetRec> = group
                    .targets
                    .iter()
                    .filter(|t| t.id == w.id && (w.port.is_none() || t.port == w.port))
                    .collect();
                if matching.is_empty() {
                    let t = TargetRec {
                        id: w.id.clone(),
                        port: w.port.or(group.port),
                        availability_zone: w.availability_zone.clone(),
                        registered_ms: 0,
                        health: TargetHealthRec::unused(health::NOT_REGISTERED, None),
                    };
                    vec![describe_one(group, &t, anomaly)]
                } else {
                    matching
                        .into_iter()
                        .map(|t| describe_one(group, t, anomaly))
                        .collect()
                }
            })
            .collect(),
    };
    Ok(DescribeTargetHealthOutput {
        target_health_descriptions: Some(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_matched_against_blocks() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert!(in_cidr(ip("10.0.1.7"), "10.0.0.0/16"));
        assert!(!in_cidr(ip("10.1.0.1"), "10.0.0.0/16"));
        assert!(in_cidr(ip("1.2.3.4"), "0.0.0.0/0"));
        assert!(private_range(ip("192.168.1.1")));
        assert!(!private_range(ip("8.8.8.8")));
        assert!(instance_id_ok("i-0123456789abcdef0"));
        assert!(instance_id_ok("i-12345678"));
        assert!(!instance_id_ok("ip-10-0-0-1"));
    }
}
