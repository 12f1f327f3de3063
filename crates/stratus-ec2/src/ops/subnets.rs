//! Subnets: CIDR blocks inside their VPC, never overlapping, in a zone.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{RegionState, SubnetRec, Tags, new_id, zones};

fn available(s: &SubnetRec) -> i64 {
    Cidr::parse(&s.cidr).map_or(0, |c| c.usable() as i64) - s.used as i64
}

impl Filterable for (&SubnetRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (x, owner) = self;
        Some(match name {
            "subnet-id" => vec![x.id.clone()],
            "vpc-id" => vec![x.vpc.clone()],
            "cidr" | "cidr-block" | "cidrBlock" => vec![x.cidr.clone()],
            "availability-zone" | "availabilityZone" => vec![x.az.clone()],
            "availability-zone-id" | "availabilityZoneId" => vec![x.az_id.clone()],
            "default-for-az" | "defaultForAz" => vec![x.default_for_az.to_string()],
            "map-public-ip-on-launch" => vec![x.map_public_ip.to_string()],
            "state" => vec!["available".into()],
            "owner-id" => vec![owner.to_string()],
            "available-ip-address-count" => vec![available(x).to_string()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

pub fn subnet_out(x: &SubnetRec, owner: &str, region: &str) -> Subnet {
    Subnet {
        availability_zone_id: Some(x.az_id.clone()),
        map_customer_owned_ip_on_launch: Some(false),
        owner_id: Some(owner.to_string()),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(vec![]),
        tags: wire_tags(&x.tags),
        subnet_arn: Some(format!("arn:aws:ec2:{region}:{owner}:subnet/{}", x.id)),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        subnet_id: Some(x.id.clone()),
        state: Some("available".into()),
        vpc_id: Some(x.vpc.clone()),
        cidr_block: Some(x.cidr.clone()),
        available_ip_address_count: Some(available(x) as i32),
        availability_zone: Some(x.az.clone()),
        default_for_az: Some(x.default_for_az),
        map_public_ip_on_launch: Some(x.map_public_ip),
        ..Default::default()
    }
}

pub fn subnet_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a SubnetRec, AwsError> {
    check_id(id, "subnet", "InvalidSubnetID.Malformed")?;
    s.subnets
        .get(id)
        .ok_or_else(|| not_found("InvalidSubnetID.NotFound", "subnet", id))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateSubnetRequest,
) -> Result<CreateSubnetResult, AwsError> {
    let text = i.cidr_block.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.",
        )
    })?;
    let cidr = Cidr::parse(&text).ok_or_else(|| {
        invalid(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    let tags = spec_tags(&i.tag_specifications, "subnet")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let vpc = vpc_or_err(&s, &i.vpc_id)?;
    // A subnet lies in one of the VPC's blocks, primary or secondary.
    let inside = vpc
        .cidrs()
        .into_iter()
        .filter_map(Cidr::parse)
        .any(|b| b.contains(&cidr));
    if !inside || !(16..=28).contains(&cidr.prefix) {
        return Err(AwsError::bad_request(
            "InvalidSubnet.Range",
            format!("The CIDR '{text}' is invalid."),
        ));
    }
    if s.subnets
        .values()
        .any(|x| x.vpc == i.vpc_id && Cidr::parse(&x.cidr).is_some_and(|c| c.overlaps(&cidr)))
    {
        return Err(AwsError::bad_request(
            "InvalidSubnet.Conflict",
            format!("The CIDR '{text}' conflicts with another subnet"),
        ));
    }
    let all = zones(&ctx.region);
    let zone = match (&i.availability_zone, &i.availability_zone_id) {
        (Some(z), _) => all.iter().find(|(n, _)| n == z).cloned().ok_or_else(|| {
            invalid(format!(
                "Value ({z}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                all.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?,
        (None, Some(zid)) => all.iter().find(|(_, id)| id == zid).cloned().ok_or_else(|| {
            invalid(format!("Value ({zid}) for parameter availabilityZoneId is invalid."))
        })?,
        // Without a zone AWS picks one; spread new subnets over the zones.
        (None, None) => all[s.subnets.len() % all.len()].clone(),
    };
    dry_run(i.dry_run)?;
    let id = new_id("subnet");
    s.subnets.insert(
        id.clone(),
        SubnetRec {
            id: id.clone(),
            vpc: i.vpc_id.clone(),
            cidr: cidr.to_string(),
            az: zone.0,
            az_id: zone.1,
            tags,
            ..Default::default()
        },
    );
    s.join_default_acl(&id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateSubnetResult {
        subnet: s
            .subnets
            .get(&id)
            .map(|x| subnet_out(x, ctx.account_id(), &ctx.region)),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeSubnetsRequest,
) -> Result<DescribeSubnetsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.subnet_ids {
        for id in ids {
            subnet_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut out = Vec::new();
    for x in s.subnets.values() {
        if i.subnet_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&x.id))
        {
            continue;
        }
        if matches(&(x, ctx.account_id()), &filters)? {
            out.push(subnet_out(x, ctx.account_id(), &ctx.region));
        }
    }
    let (subnets, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeSubnetsResult {
        subnets: Some(subnets),
        next_token,
    })
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteSubnetRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let x = subnet_or_err(&s, &i.subnet_id)?;
    if x.used > 0 {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The subnet '{}' has dependencies and cannot be deleted.",
                i.subnet_id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.subnets.remove(&i.subnet_id);
    s.forget_subnet(&i.subnet_id);
    for r in s.rtbs.values_mut() {
        r.assocs
            .retain(|a| a.subnet.as_deref() != Some(i.subnet_id.as_str()));
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifySubnetAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    subnet_or_err(&s, &i.subnet_id)?;
    let x = s
        .subnets
        .get_mut(&i.subnet_id)
        .ok_or_else(|| not_found("InvalidSubnetID.NotFound", "subnet", &i.subnet_id))?;
    if let Some(b) = i.map_public_ip_on_launch.and_then(|b| b.value) {
        x.map_public_ip = b;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}
