//! Where a load balancer lives: subnets of one VPC (one per zone), or
//! zones of the default VPC, and its security groups.

use stratus_core::compute::SubnetView;
use stratus_core::{AwsError, RequestContext};

use super::common::update;
use crate::Elb;
use crate::errors::{
    invalid_config, invalid_security_group, invalid_subnet, subnet_not_found, validation,
};
use crate::generated::*;

/// Subnets, zones and VPC of a load balancer.
#[derive(Debug, Default, PartialEq)]
pub struct Placement {
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub zones: Vec<String>,
}

/// Adds subnets to a placement: they exist, share the placement's VPC and
/// take one zone each.
fn add_subnets(p: &mut Placement, found: &[SubnetView], wanted: &[String]) -> Result<(), AwsError> {
    for id in wanted {
        let s = found
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| subnet_not_found(id))?;
        if p.subnets.contains(id) {
            continue;
        }
        match &p.vpc_id {
            Some(v) if *v != s.vpc_id => {
                return Err(invalid_subnet(format!(
                    "Subnet {id} is in VPC {} but the load balancer is in VPC {v}",
                    s.vpc_id
                )));
            }
            Some(_) => {}
            None => p.vpc_id = Some(s.vpc_id.clone()),
        }
        if p.zones.contains(&s.availability_zone) {
            return Err(invalid_config(format!(
                "LoadBalancer attached to multiple subnets in AZ: {}",
                s.availability_zone
            )));
        }
        p.subnets.push(id.clone());
        p.zones.push(s.availability_zone.clone());
    }
    Ok(())
}

/// The zones a request names, placed in the default VPC's subnet of each.
fn add_zones(
    p: &mut Placement,
    region: &str,
    defaults: &[SubnetView],
    zones: &[String],
) -> Result<(), AwsError> {
    for z in zones {
        let suffix = z.strip_prefix(region).unwrap_or("");
        if suffix.len() != 1 || !suffix.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(validation(format!("Invalid Availability Zone: {z}")));
        }
        if p.zones.contains(z) {
            continue;
        }
        let subnet = defaults
            .iter()
            .find(|s| &s.availability_zone == z && p.vpc_id.as_ref().is_none_or(|v| *v == s.vpc_id))
            .ok_or_else(|| {
                invalid_config(format!(
                    "There is no default subnet in Availability Zone {z} for the load balancer; attach a subnet instead"
                ))
            })?;
        p.vpc_id = Some(subnet.vpc_id.clone());
        p.subnets.push(subnet.id.clone());
        p.zones.push(z.clone());
    }
    Ok(())
}

pub fn resolve(
    me: &Elb,
    ctx: &RequestContext,
    zones: Option<Vec<String>>,
    subnets: Option<Vec<String>>,
) -> Result<Placement, AwsError> {
    let zones = zones.unwrap_or_default();
    let subnets = subnets.unwrap_or_default();
    let ec2 = me.ec2()?;
    let mut p = Placement::default();
    match (zones.is_empty(), subnets.is_empty()) {
        (true, true) => {
            return Err(validation(
                "Either AvailabilityZones or SubnetIds must be specified",
            ));
        }
        (false, false) => {
            return Err(validation(
                "Only one of SubnetIds or AvailabilityZones may be specified",
            ));
        }
        (false, true) => {
            let defaults = ec2.default_subnets(ctx.account_id(), &ctx.region);
            add_zones(&mut p, &ctx.region, &defaults, &zones)?;
        }
        (true, false) => {
            let found = ec2.subnets(ctx.account_id(), &ctx.region, &subnets);
            add_subnets(&mut p, &found, &subnets)?;
        }
    }
    Ok(p)
}

/// Security groups of the load balancer's VPC; its default group when the
/// request names none.
pub fn security_groups(
    me: &Elb,
    ctx: &RequestContext,
    vpc_id: &str,
    ids: Option<Vec<String>>,
) -> Result<Vec<String>, AwsError> {
    let ec2 = me.ec2()?;
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Ok(ec2
            .default_security_group(ctx.account_id(), &ctx.region, vpc_id)
            .into_iter()
            .collect());
    }
    let found = ec2.security_groups(ctx.account_id(), &ctx.region, &ids);
    let mut out = Vec::new();
    for id in ids {
        match found.iter().find(|(g, _)| *g == id) {
            Some((_, v)) if v == vpc_id => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            _ => return Err(invalid_security_group(&id)),
        }
    }
    Ok(out)
}

fn vpc_of(r: &crate::state::LoadBalancerRec) -> Result<String, AwsError> {
    r.vpc_id
        .clone()
        .ok_or_else(|| invalid_config("The load balancer is not in a VPC"))
}

pub fn apply_security_groups_to_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: ApplySecurityGroupsToLoadBalancerInput,
) -> Result<ApplySecurityGroupsToLoadBalancerOutput, AwsError> {
    let vpc = {
        let inner = me.state.read();
        vpc_of(super::common::lb(&inner, ctx, &input.load_balancer_name)?)?
    };
    let groups = security_groups(me, ctx, &vpc, Some(input.security_groups))?;
    update(me, ctx, &input.load_balancer_name, |r| {
        r.security_groups = groups.clone();
        Ok(ApplySecurityGroupsToLoadBalancerOutput {
            security_groups: Some(groups),
        })
    })
}

fn current(r: &crate::state::LoadBalancerRec) -> Placement {
    Placement {
        vpc_id: r.vpc_id.clone(),
        subnets: r.subnets.clone(),
        zones: r.zones.clone(),
    }
}

pub fn attach_load_balancer_to_subnets(
    me: &Elb,
    ctx: &RequestContext,
    input: AttachLoadBalancerToSubnetsInput,
) -> Result<AttachLoadBalancerToSubnetsOutput, AwsError> {
    let found = me
        .ec2()?
        .subnets(ctx.account_id(), &ctx.region, &input.subnets);
    update(me, ctx, &input.load_balancer_name, |r| {
        vpc_of(r)?;
        let mut p = current(r);
        add_subnets(&mut p, &found, &input.subnets)?;
        (r.subnets, r.zones) = (p.subnets, p.zones);
        Ok(AttachLoadBalancerToSubnetsOutput {
            subnets: Some(r.subnets.clone()),
        })
    })
}

pub fn detach_load_balancer_from_subnets(
    me: &Elb,
    ctx: &RequestContext,
    input: DetachLoadBalancerFromSubnetsInput,
) -> Result<DetachLoadBalancerFromSubnetsOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        let keep: Vec<usize> = (0..r.subnets.len())
            .filter(|&i| !input.subnets.contains(&r.subnets[i]))
            .collect();
        if keep.is_empty() {
            return Err(invalid_config(
                "The load balancer must remain attached to at least one subnet",
            ));
        }
        r.zones = keep.iter().map(|&i| r.zones[i].clone()).collect();
        r.subnets = keep.iter().map(|&i| r.subnets[i].clone()).collect();
        Ok(DetachLoadBalancerFromSubnetsOutput {
            subnets: Some(r.subnets.clone()),
        })
    })
}

pub fn enable_availability_zones_for_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: AddAvailabilityZonesInput,
) -> Result<AddAvailabilityZonesOutput, AwsError> {
    let defaults = me.ec2()?.default_subnets(ctx.account_id(), &ctx.region);
    update(me, ctx, &input.load_balancer_name, |r| {
        let mut p = current(r);
        add_zones(&mut p, &ctx.region, &defaults, &input.availability_zones)?;
        (r.subnets, r.zones) = (p.subnets, p.zones);
        Ok(AddAvailabilityZonesOutput {
            availability_zones: Some(r.zones.clone()),
        })
    })
}

pub fn disable_availability_zones_for_load_balancer(
    me: &Elb,
    ctx: &RequestContext,
    input: RemoveAvailabilityZonesInput,
) -> Result<RemoveAvailabilityZonesOutput, AwsError> {
    update(me, ctx, &input.load_balancer_name, |r| {
        let keep: Vec<usize> = (0..r.zones.len())
            .filter(|&i| !input.availability_zones.contains(&r.zones[i]))
            .collect();
        if keep.is_empty() {
            return Err(validation(
                "Cannot remove all Availability Zones from a load balancer",
            ));
        }
        r.subnets = keep.iter().map(|&i| r.subnets[i].clone()).collect();
        r.zones = keep.iter().map(|&i| r.zones[i].clone()).collect();
        Ok(RemoveAvailabilityZonesOutput {
            availability_zones: Some(r.zones.clone()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sn(id: &str, vpc: &str, az: &str) -> SubnetView {
        SubnetView {
            id: id.into(),
            vpc_id: vpc.into(),
            availability_zone: az.into(),
            cidr: String::new(),
        }
    }

    #[test]
    fn subnets_take_one_zone_each_in_one_vpc() {
        let found = [
            sn("subnet-a", "vpc-1", "us-east-1a"),
            sn("subnet-b", "vpc-1", "us-east-1b"),
            sn("subnet-c", "vpc-1", "us-east-1a"),
            sn("subnet-x", "vpc-2", "us-east-1c"),
        ];
        let mut p = Placement::default();
        add_subnets(&mut p, &found, &["subnet-a".into(), "subnet-b".into()]).unwrap();
        assert_eq!(p.zones, ["us-east-1a", "us-east-1b"]);
        assert_eq!(p.vpc_id.as_deref(), Some("vpc-1"));
        let e = add_subnets(&mut p, &found, &["subnet-c".into()]).unwrap_err();
        assert_eq!(e.code, "InvalidConfigurationRequestException");
        let e = add_subnets(&mut p, &found, &["subnet-x".into()]).unwrap_err();
        assert_eq!(e.code, "InvalidSubnetException");
        let e = add_subnets(&mut p, &found, &["subnet-nope".into()]).unwrap_err();
        assert_eq!(e.code, "SubnetNotFoundException");
    }

    #[test]
    fn zones_use_the_default_subnets_of_the_region() {
        let defaults = [
            sn("subnet-a", "vpc-d", "us-east-1a"),
            sn("subnet-b", "vpc-d", "us-east-1b"),
        ];
        let mut p = Placement::default();
        add_zones(&mut p, "us-east-1", &defaults, &["us-east-1b".into()]).unwrap();
        assert_eq!(p.subnets, ["subnet-b"]);
        let e = add_zones(&mut p, "us-east-1", &defaults, &["eu-west-1a".into()]).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = add_zones(&mut p, "us-east-1", &defaults, &["us-east-1f".into()]).unwrap_err();
        assert_eq!(e.code, "InvalidConfigurationRequestException");
    }
}
