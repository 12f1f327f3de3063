//! Load balancers: creation in subnets of one VPC, the provisioning ->
//! active transition on the clock, attributes, subnets, security groups and
//! IP address types, and deletion with its listeners.

use std::collections::BTreeSet;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::common::{lb, owned, page, tags_in};
use crate::attributes;
use crate::dataplane::access_log::Destination;
use crate::errors::{invalid_config, lbs_not_found, operation_not_permitted, validation};
use crate::generated::*;
use crate::monitor::refresh_usage;
use crate::names;
use crate::state::{LoadBalancerRec, ZoneRec};
use crate::{Elbv2, PROVISIONING_MS};

pub fn view(r: &LoadBalancerRec, now_ms: i64) -> LoadBalancer {
    let active = now_ms >= r.created_ms + PROVISIONING_MS;
    LoadBalancer {
        load_balancer_arn: Some(r.arn.clone()),
        dns_name: Some(r.dns_name.clone()),
        canonical_hosted_zone_id: Some(names::hosted_zone_id(&r.region, &r.kind).into()),
        created_time: Some(Timestamp(r.created_ms)),
        load_balancer_name: Some(r.name.clone()),
        scheme: (!r.scheme.is_empty()).then(|| r.scheme.clone()),
        vpc_id: Some(r.vpc_id.clone()),
        state: Some(LoadBalancerState {
            code: Some(if active { "active" } else { "provisioning" }.into()),
            reason: None,
        }),
        r#type: Some(r.kind.clone()),
        availability_zones: Some(zones_out(r)),
        security_groups: (r.kind != "gateway").then(|| r.security_groups.clone()),
        ip_address_type: Some(r.ip_address_type.clone()),
        enforce_security_group_inbound_rules_on_private_link_traffic: r
            .enforce_sg_inbound_private_link
            .clone(),
        ..Default::default()
    }
}

fn zones_out(r: &LoadBalancerRec) -> Vec<AvailabilityZone> {
    r.zones
        .iter()
        .map(|z| AvailabilityZone {
            zone_name: Some(z.zone.clone()),
            subnet_id: Some(z.subnet_id.clone()),
            load_balancer_addresses: (r.kind == "network").then(|| {
                if z.allocation_id.is_some() || z.private_ipv4.is_some() || z.ipv6.is_some() {
                    vec![LoadBalancerAddress {
                        allocation_id: z.allocation_id.clone(),
                        private_i_pv4_address: z.private_ipv4.clone(),
                        i_pv6_address: z.ipv6.clone(),
                        ..Default::default()
                    }]
                } else {
                    Vec::new()
                }
            }),
            ..Default::default()
        })
        .collect()
}

/// The subnets a request names (plain ids or mappings), checked against
/// EC2: they exist, share one VPC, and hold one zone each; an application
/// load balancer needs two zones.
fn resolve_subnets(
    me: &Elbv2,
    ctx: &RequestContext,
    kind: &str,
    subnets: Option<Vec<String>>,
    mappings: Option<Vec<SubnetMapping>>,
) -> Result<(String, Vec<ZoneRec>), AwsError> {
    let wanted: Vec<ZoneRec> = match (subnets, mappings) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "You can specify subnets or subnet mappings, but not both",
            ));
        }
        (Some(s), None) => s
            .into_iter()
            .map(|id| ZoneRec {
                subnet_id: id,
                ..Default::default()
            })
            .collect(),
        (None, Some(m)) => m
            .into_iter()
            .map(|m| ZoneRec {
                subnet_id: m.subnet_id.unwrap_or_default(),
                allocation_id: m.allocation_id,
                private_ipv4: m.private_i_pv4_address,
                ipv6: m.i_pv6_address,
                ..Default::default()
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    if wanted.is_empty() {
        return Err(validation(if kind == "application" {
            "At least two subnets in two different Availability Zones must be specified"
        } else {
            "At least one subnet must be specified"
        }));
    }
    if kind != "network"
        && wanted
            .iter()
            .any(|z| z.allocation_id.is_some() || z.private_ipv4.is_some())
    {
        return Err(validation(format!(
            "Elastic IP addresses and private IPv4 addresses can be specified only for load balancers of type 'network', not '{kind}'"
        )));
    }
    let ids: Vec<String> = wanted.iter().map(|z| z.subnet_id.clone()).collect();
    let found = me.ec2()?.subnets(ctx.account_id(), &ctx.region, &ids);
    let mut zones = Vec::new();
    let mut vpcs = BTreeSet::new();
    for mut z in wanted {
        let Some(s) = found.iter().find(|s| s.id == z.subnet_id) else {
            return Err(AwsError::bad_request(
                "SubnetNotFoundException",
                format!("The subnet ID '{}' is not valid", z.subnet_id),
            ));
        };
        if zones.iter().any(|o: &ZoneRec| o.subnet_id == z.subnet_id) {
            continue;
        }
        vpcs.insert(s.vpc_id.clone());
        z.zone = s.availability_zone.clone();
        zones.push(z);
    }
    if vpcs.len() > 1 {
        return Err(invalid_config(format!(
            "The subnets must all be in the same VPC, not in '{}'",
            vpcs.into_iter().collect::<Vec<_>>().join("', '")
        )));
    }
    let distinct: BTreeSet<&str> = zones.iter().map(|z| z.zone.as_str()).collect();
    if distinct.len() < zones.len() {
        return Err(invalid_config(
            "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
        ));
    }
    if kind == "application" && distinct.len() < 2 {
        return Err(validation(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    zones.sort_by(|a, b| a.zone.cmp(&b.zone));
    Ok((vpcs.into_iter().next().unwrap_or_default(), zones))
}

/// Security groups exist and belong to the load balancer's VPC.
fn check_security_groups(
    me: &Elbv2,
    ctx: &RequestContext,
    vpc: &str,
    groups: &[String],
) -> Result<(), AwsError> {
    let found = me
        .ec2()?
        .security_groups(ctx.account_id(), &ctx.region, groups);
    for g in groups {
        match found.iter().find(|(id, _)| id == g) {
            None => {
                return Err(AwsError::bad_request(
                    "InvalidSecurityGroupException",
                    format!("One or more security groups are invalid: '{g}' does not exist"),
                ));
            }
            Some((_, v)) if v != vpc => {
                return Err(AwsError::bad_request(
                    "InvalidSecurityGroupException",
                    format!("Security group '{g}' does not belong to VPC '{vpc}'"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_ip_type(kind: &str, scheme: &str, t: &str) -> Result<(), AwsError> {
    match t {
        "ipv4" | "dualstack" => Ok(()),
        "dualstack-without-public-ipv4" if kind == "application" && scheme == "internet-facing" => {
            Ok(())
        }
        _ => Err(validation(format!(
            "IP address type '{t}' is not supported for {scheme} load balancers of type '{kind}'"
        ))),
    }
}

pub fn create_load_balancer(
    me: &Elbv2,
    ctx: &RequestContext,
    input: CreateLoadBalancerInput,
) -> Result<CreateLoadBalancerOutput, AwsError> {
    let now = ctx.clock.now_millis();
    names::check_name("Load balancer", &input.name)?;
    if input.name.starts_with("internal-") {
        return Err(validation(format!(
            "Load balancer name '{}' cannot begin with 'internal-'",
            input.name
        )));
    }
    let kind = input.r#type.clone().unwrap_or_else(|| "application".into());
    let scheme = match (&input.scheme, kind.as_str()) {
        (Some(_), "gateway") => {
            return Err(validation(
                "A scheme cannot be specified for load balancers of type 'gateway'",
            ));
        }
        (None, "gateway") => String::new(),
        (s, _) => s.clone().unwrap_or_else(|| "internet-facing".into()),
    };
    let ip_type = input
        .ip_address_type
        .clone()
        .unwrap_or_else(|| "ipv4".into());
    check_ip_type(
        &kind,
        if scheme.is_empty() {
            "internal"
        } else {
            &scheme
        },
        &ip_type,
    )?;
    let groups = input.security_groups.clone().unwrap_or_default();
    if kind == "gateway" && !groups.is_empty() {
        return Err(validation(
            "Security groups cannot be specified for load balancers of type 'gateway'",
        ));
    }
    let tags = tags_in(input.tags.clone())?;
    let (vpc, zones) = resolve_subnets(me, ctx, &kind, input.subnets, input.subnet_mappings)?;
    check_security_groups(me, ctx, &vpc, &groups)?;
    let mut groups = groups;
    if kind == "application" && groups.is_empty() {
        // Without groups, an application load balancer gets the VPC's default one.
        groups.extend(
            me.ec2()?
                .default_security_group(ctx.account_id(), &ctx.region, &vpc),
        );
    }

    let mut txn = me.state.begin();
    let same = txn
        .inner
        .lbs
        .values()
        .find(|r| owned(ctx, &r.account, &r.region) && r.name == input.name);
    if let Some(existing) = same {
        let subnets = |zs: &[ZoneRec]| -> BTreeSet<String> {
            zs.iter().map(|z| z.subnet_id.clone()).collect()
        };
        let mut a: Vec<&String> = existing.security_groups.iter().collect();
        let mut b: Vec<&String> = groups.iter().collect();
        a.sort();
        b.sort();
        if existing.kind == kind
            && existing.scheme == scheme
            && subnets(&existing.zones) == subnets(&zones)
            && a == b
        {
            return Ok(CreateLoadBalancerOutput {
                load_balancers: Some(vec![view(existing, now)]),
            });
        }
        return Err(AwsError::bad_request(
            "DuplicateLoadBalancerNameException",
            format!(
                "A load balancer with the same name '{}' exists, but with different settings",
                input.name
            ),
        ));
    }
    let of_kind = txn
        .inner
        .lbs
        .values()
        .filter(|r| owned(ctx, &r.account, &r.region) && r.kind == kind)
        .count();
    let quota = match kind.as_str() {
        "network" => "network-load-balancers",
        "gateway" => "gateway-load-balancers",
        _ => "application-load-balancers",
    };
    if of_kind >= crate::policies::limit(quota) {
        return Err(AwsError::bad_request(
            "TooManyLoadBalancersException",
            "The quota for the number of load balancers has been reached",
        ));
    }
    let arn = names::lb_arn(&ctx.region, ctx.account_id(), &kind, &input.name);
    let rec = LoadBalancerRec {
        arn: arn.clone(),
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: input.name.clone(),
        dns_name: names::dns_name(&input.name, &kind, &scheme, &ctx.region),
        kind: kind.clone(),
        scheme,
        vpc_id: vpc,
        zones,
        security_groups: groups,
        ip_address_type: ip_type,
        created_ms: now,
        attributes: attributes::lb_defaults(&kind),
        enforce_sg_inbound_private_link: None,
        tags,
    };
    let out = view(&rec, now);
    txn.inner.lbs.insert(arn.clone(), rec);
    txn.put_lb(&arn)?;
    txn.commit()?;
    Ok(CreateLoadBalancerOutput {
        load_balancers: Some(vec![out]),
    })
}

pub fn describe_load_balancers(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeLoadBalancersInput,
) -> Result<DescribeLoadBalancersOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let inner = me.state.read();
    let mut found: Vec<&LoadBalancerRec> = Vec::new();
    if let Some(arns) = input.load_balancer_arns.filter(|a| !a.is_empty()) {
        for arn in &arns {
            names::check_arn(arn, "loadbalancer", "load balancer")?;
            match inner
                .lbs
                .get(arn)
                .filter(|r| owned(ctx, &r.account, &r.region))
            {
                Some(r) => found.push(r),
                None => return Err(lbs_not_found()),
            }
        }
    } else if let Some(wanted) = input.names.filter(|n| !n.is_empty()) {
        let mine: Vec<&LoadBalancerRec> = inner
            .lbs
            .values()
            .filter(|r| owned(ctx, &r.account, &r.region))
            .collect();
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|n| !mine.iter().any(|r| &r.name == *n))
            .collect();
        if !missing.is_empty() {
            return Err(AwsError::bad_request(
                "LoadBalancerNotFoundException",
                format!(
                    "Load balancers '[{}]' not found",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        found = mine
            .into_iter()
            .filter(|r| wanted.contains(&r.name))
            .collect();
    } else {
        found = inner
            .lbs
            .values()
            .filter(|r| owned(ctx, &r.account, &r.region))
            .collect();
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.arn.cmp(&b.arn)));
    let views: Vec<LoadBalancer> = found.iter().map(|r| view(r, now)).collect();
    let (items, next) = page(views, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeLoadBalancersOutput {
        load_balancers: Some(items),
        next_marker: next,
    })
}

pub fn delete_load_balancer(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DeleteLoadBalancerInput,
) -> Result<DeleteLoadBalancerOutput, AwsError> {
    let arn = input.load_balancer_arn;
    names::check_arn(&arn, "loadbalancer", "load balancer")?;
    let mut txn = me.state.begin();
    let Ok(r) = lb(&txn.inner, ctx, &arn) else {
        // Deleting a load balancer that is already gone succeeds.
        return Ok(DeleteLoadBalancerOutput {});
    };
    if r.attributes
        .get("deletion_protection.enabled")
        .map(String::as_str)
        == Some("true")
    {
        return Err(operation_not_permitted(format!(
            "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
        )));
    }
    let listeners: Vec<String> = txn
        .inner
        .listeners
        .values()
        .filter(|l| l.lb_arn == arn)
        .map(|l| l.arn.clone())
        .collect();
    let rules: Vec<String> = txn
        .inner
        .rules
        .values()
        .filter(|r| listeners.contains(&r.listener_arn))
        .map(|r| r.arn.clone())
        .collect();
    for r in rules {
        txn.delete_rule(&r);
    }
    for l in listeners {
        txn.delete_listener(&l);
    }
    txn.delete_lb(&arn);
    for tg in refresh_usage(&mut txn.inner, ctx.clock.now_millis()) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(DeleteLoadBalancerOutput {})
}

fn attrs_out(r: &LoadBalancerRec) -> Vec<LoadBalancerAttribute> {
    attributes::to_wire(&r.attributes, |key, value| LoadBalancerAttribute {
        key,
        value,
    })
}

pub fn describe_load_balancer_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeLoadBalancerAttributesInput,
) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
    let inner = me.state.read();
    let r = lb(&inner, ctx, &input.load_balancer_arn)?;
    Ok(DescribeLoadBalancerAttributesOutput {
        attributes: Some(attrs_out(r)),
    })
}

pub fn modify_load_balancer_attributes(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyLoadBalancerAttributesInput,
) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
    let changes = attributes::requested(input.attributes, |a| (a.key, a.value));
    let mut txn = me.state.begin();
    let arn = lb(&txn.inner, ctx, &input.load_balancer_arn)?.arn.clone();
    let r = txn.inner.lbs.get_mut(&arn).expect("found above");
    let logged_before = Destination::of(r);
    attributes::modify_lb(&r.kind.clone(), &mut r.attributes, &changes)?;
    let logged = Destination::of(r).filter(|d| logged_before.as_ref() != Some(d));
    if let Some(dest) = &logged
        && let Some(objects) = me.objects.get()
        && !objects.bucket_owned(&r.account, &dest.bucket)
    {
        return Err(invalid_config(format!(
            "Access Denied for bucket: {}. Please check S3bucket permission",
            dest.bucket
        )));
    }
    let account = r.account.clone();
    let out = attrs_out(r);
    txn.put_lb(&arn)?;
    txn.commit()?;
    if let Some(dest) = logged {
        me.access_logs.write_test_file(&account, dest);
    }
    Ok(ModifyLoadBalancerAttributesOutput {
        attributes: Some(out),
    })
}

pub fn set_subnets(
    me: &Elbv2,
    ctx: &RequestContext,
    input: SetSubnetsInput,
) -> Result<SetSubnetsOutput, AwsError> {
    let (kind, vpc, ip_type, scheme) = {
        let inner = me.state.read();
        let r = lb(&inner, ctx, &input.load_balancer_arn)?;
        (
            r.kind.clone(),
            r.vpc_id.clone(),
            r.ip_address_type.clone(),
            r.scheme.clone(),
        )
    };
    if kind == "gateway" {
        return Err(validation(
            "Subnets cannot be changed for load balancers of type 'gateway'",
        ));
    }
    let (new_vpc, zones) = resolve_subnets(me, ctx, &kind, input.subnets, input.subnet_mappings)?;
    if new_vpc != vpc {
        return Err(invalid_config(format!(
            "The subnets must be in the load balancer's VPC '{vpc}'"
        )));
    }
    let ip_type = input.ip_address_type.unwrap_or(ip_type);
    check_ip_type(&kind, &scheme, &ip_type)?;
    let mut txn = me.state.begin();
    let arn = lb(&txn.inner, ctx, &input.load_balancer_arn)?.arn.clone();
    let r = txn.inner.lbs.get_mut(&arn).expect("found above");
    if kind == "network" && zones.len() < r.zones.len() {
        return Err(validation(
            "Subnets cannot be removed from a load balancer of type 'network'",
        ));
    }
    r.zones = zones;
    r.ip_address_type = ip_type.clone();
    let out = zones_out(r);
    txn.put_lb(&arn)?;
    txn.commit()?;
    Ok(SetSubnetsOutput {
        availability_zones: Some(out),
        ip_address_type: Some(ip_type),
        enable_prefix_for_ipv6_source_nat: None,
    })
}

pub fn set_security_groups(
    me: &Elbv2,
    ctx: &RequestContext,
    input: SetSecurityGroupsInput,
) -> Result<SetSecurityGroupsOutput, AwsError> {
    let (kind, vpc, had) = {
        let inner = me.state.read();
        let r = lb(&inner, ctx, &input.load_balancer_arn)?;
        (
            r.kind.clone(),
            r.vpc_id.clone(),
            !r.security_groups.is_empty(),
        )
    };
    match kind.as_str() {
        "gateway" => {
            return Err(validation(
                "Security groups cannot be specified for load balancers of type 'gateway'",
            ));
        }
        "network" if !had => {
            return Err(invalid_config(
                "You cannot set security groups on a Network Load Balancer which was created without any security groups.",
            ));
        }
        "application" if input.security_groups.is_empty() => {
            return Err(validation(
                "At least one security group must be specified for load balancers of type 'application'",
            ));
        }
        _ => {}
    }
    check_security_groups(me, ctx, &vpc, &input.security_groups)?;
    let mut txn = me.state.begin();
    let arn = lb(&txn.inner, ctx, &input.load_balancer_arn)?.arn.clone();
    let r = txn.inner.lbs.get_mut(&arn).expect("found above");
    r.security_groups = input.security_groups.clone();
    if let Some(e) = input.enforce_security_group_inbound_rules_on_private_link_traffic {
        if kind != "network" {
            return Err(validation(
                "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic applies only to load balancers of type 'network'",
            ));
        }
        r.enforce_sg_inbound_private_link = Some(e);
    }
    let enforce = r.enforce_sg_inbound_private_link.clone();
    txn.put_lb(&arn)?;
    txn.commit()?;
    Ok(SetSecurityGroupsOutput {
        security_group_ids: Some(input.security_groups),
        enforce_security_group_inbound_rules_on_private_link_traffic: enforce,
    })
}

pub fn set_ip_address_type(
    me: &Elbv2,
    ctx: &RequestContext,
    input: SetIpAddressTypeInput,
) -> Result<SetIpAddressTypeOutput, AwsError> {
    let mut txn = me.state.begin();
    let r = lb(&txn.inner, ctx, &input.load_balancer_arn)?;
    let arn = r.arn.clone();
    let scheme = if r.scheme.is_empty() {
        "internal".to_string()
    } else {
        r.scheme.clone()
    };
    check_ip_type(&r.kind, &scheme, &input.ip_address_type)?;
    txn.inner
        .lbs
        .get_mut(&arn)
        .expect("found above")
        .ip_address_type = input.ip_address_type.clone();
    txn.put_lb(&arn)?;
    txn.commit()?;
    Ok(SetIpAddressTypeOutput {
        ip_address_type: Some(input.ip_address_type),
    })
}
