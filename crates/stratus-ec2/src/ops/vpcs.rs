//! VPCs: create with a CIDR block, describe with filters, attributes, delete
//! only when nothing depends on them.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{RegionState, Tags, VpcRec};

impl Filterable for (&VpcRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (v, owner) = self;
        Some(match name {
            "vpc-id" => vec![v.id.clone()],
            "cidr" | "cidr-block-association.cidr-block" => vec![v.cidr.clone()],
            "cidr-block-association.association-id" => vec![v.cidr_assoc.clone()],
            "cidr-block-association.state" => vec!["associated".into()],
            "state" => vec!["available".into()],
            "is-default" => vec![v.is_default.to_string()],
            "dhcp-options-id" => vec![v.dhcp_options.clone()],
            "owner-id" => vec![owner.to_string()],
            "instance-tenancy" => vec![v.tenancy.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

pub fn vpc_out(v: &VpcRec, owner: &str) -> Vpc {
    Vpc {
        owner_id: Some(owner.to_string()),
        instance_tenancy: Some(v.tenancy.clone()),
        cidr_block_association_set: Some(vec![VpcCidrBlockAssociation {
            association_id: Some(v.cidr_assoc.clone()),
            cidr_block: Some(v.cidr.clone()),
            cidr_block_state: Some(VpcCidrBlockState {
                state: Some("associated".into()),
                status_message: None,
            }),
        }]),
        is_default: Some(v.is_default),
        tags: wire_tags(&v.tags),
        vpc_id: Some(v.id.clone()),
        state: Some("available".into()),
        cidr_block: Some(v.cidr.clone()),
        dhcp_options_id: Some(v.dhcp_options.clone()),
        ..Default::default()
    }
}

pub fn vpc_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a VpcRec, AwsError> {
    check_id(id, "vpc", "InvalidVpcID.Malformed")?;
    s.vpcs
        .get(id)
        .ok_or_else(|| not_found("InvalidVpcID.NotFound", "vpc", id))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateVpcRequest,
) -> Result<CreateVpcResult, AwsError> {
    let text = i.cidr_block.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
        )
    })?;
    let cidr = Cidr::parse(&text).ok_or_else(|| {
        invalid(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    if !(16..=28).contains(&cidr.prefix) {
        return Err(AwsError::bad_request(
            "InvalidVpc.Range",
            format!("The CIDR '{text}' is invalid."),
        ));
    }
    let tags = spec_tags(&i.tag_specifications, "vpc")?;
    let tenancy = i
        .instance_tenancy
        .clone()
        .unwrap_or_else(|| "default".into());
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = s.add_vpc(&cidr.to_string(), false, &tenancy);
    if let Some(v) = s.vpcs.get_mut(&id) {
        v.tags = tags;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateVpcResult {
        vpc: s.vpcs.get(&id).map(|v| vpc_out(v, ctx.account_id())),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcsRequest,
) -> Result<DescribeVpcsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let owner = ctx.account_id();
    if let Some(ids) = &i.vpc_ids {
        for id in ids {
            vpc_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut out = Vec::new();
    for v in s.vpcs.values() {
        if i.vpc_ids.as_ref().is_some_and(|ids| !ids.contains(&v.id)) {
            continue;
        }
        if matches(&(v, owner), &filters)? {
            out.push(vpc_out(v, owner));
        }
    }
    let (vpcs, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVpcsResult {
        vpcs: Some(vpcs),
        next_token,
    })
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteVpcRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    let id = &i.vpc_id;
    let busy = s.subnets.values().any(|x| &x.vpc == id)
        || s.igws.values().any(|g| g.vpc.as_deref() == Some(id))
        || s.rtbs
            .values()
            .any(|r| &r.vpc == id && !r.assocs.iter().any(|a| a.main))
        || s.sgs.values().any(|g| &g.vpc == id && g.name != "default")
        || s.endpoints.values().any(|e| &e.vpc == id)
        || s.nats.values().any(|n| &n.vpc == id && n.deleted.is_none());
    if busy {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!("The vpc '{id}' has dependencies and cannot be deleted."),
        ));
    }
    dry_run(i.dry_run)?;
    s.vpcs.remove(id);
    s.rtbs.retain(|_, r| &r.vpc != id);
    s.sgs.retain(|_, g| &g.vpc != id);
    s.default_acls.remove(id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyVpcAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    let given = [
        i.enable_dns_hostnames.is_some(),
        i.enable_dns_support.is_some(),
        i.enable_network_address_usage_metrics.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            "Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport",
        ));
    }
    let v = s
        .vpcs
        .get_mut(&i.vpc_id)
        .ok_or_else(|| not_found("InvalidVpcID.NotFound", "vpc", &i.vpc_id))?;
    if let Some(b) = i.enable_dns_hostnames.and_then(|b| b.value) {
        v.dns_hostnames = b;
    }
    if let Some(b) = i.enable_dns_support.and_then(|b| b.value) {
        v.dns_support = b;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVpcAttributeRequest,
) -> Result<DescribeVpcAttributeResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let v = vpc_or_err(&s, &i.vpc_id)?;
    let b = |x: bool| Some(AttributeBooleanValue { value: Some(x) });
    let mut out = DescribeVpcAttributeResult {
        vpc_id: Some(v.id.clone()),
        ..Default::default()
    };
    match i.attribute.as_str() {
        "enableDnsHostnames" => out.enable_dns_hostnames = b(v.dns_hostnames),
        "enableDnsSupport" => out.enable_dns_support = b(v.dns_support),
        "enableNetworkAddressUsageMetrics" => out.enable_network_address_usage_metrics = b(false),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}
