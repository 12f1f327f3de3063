//! Internet gateways: one per VPC, attached and detached.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{IgwRec, RegionState, Tags, new_id};

impl Filterable for (&IgwRec, &str) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (g, owner) = self;
        Some(match name {
            "internet-gateway-id" => vec![g.id.clone()],
            "attachment.vpc-id" => g.vpc.iter().cloned().collect(),
            "attachment.state" => g.vpc.iter().map(|_| "available".to_string()).collect(),
            "owner-id" => vec![owner.to_string()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn out(g: &IgwRec, owner: &str) -> InternetGateway {
    InternetGateway {
        attachments: Some(
            g.vpc
                .iter()
                .map(|v| InternetGatewayAttachment {
                    state: Some("available".into()),
                    vpc_id: Some(v.clone()),
                })
                .collect(),
        ),
        internet_gateway_id: Some(g.id.clone()),
        owner_id: Some(owner.to_string()),
        tags: wire_tags(&g.tags),
    }
}

fn igw_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a IgwRec, AwsError> {
    check_id(id, "igw", "InvalidInternetGatewayID.Malformed")?;
    s.igws
        .get(id)
        .ok_or_else(|| not_found("InvalidInternetGatewayID.NotFound", "internetGateway", id))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateInternetGatewayRequest,
) -> Result<CreateInternetGatewayResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "internet-gateway")?;
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = new_id("igw");
    let g = IgwRec {
        id: id.clone(),
        vpc: None,
        tags,
    };
    let res = out(&g, ctx.account_id());
    s.igws.insert(id, g);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateInternetGatewayResult {
        internet_gateway: Some(res),
    })
}

pub fn attach(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AttachInternetGatewayRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let g = igw_or_err(&s, &i.internet_gateway_id)?;
    vpc_or_err(&s, &i.vpc_id)?;
    if let Some(v) = &g.vpc {
        return Err(AwsError::bad_request(
            "Resource.AlreadyAssociated",
            format!("resource {} is already attached to network {v}", g.id),
        ));
    }
    if let Some(other) = s
        .igws
        .values()
        .find(|x| x.vpc.as_deref() == Some(i.vpc_id.as_str()))
    {
        return Err(AwsError::bad_request(
            "Resource.AlreadyAssociated",
            format!(
                "resource {} is already attached to network {}",
                other.id, i.vpc_id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    if let Some(g) = s.igws.get_mut(&i.internet_gateway_id) {
        g.vpc = Some(i.vpc_id.clone());
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn detach(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DetachInternetGatewayRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let g = igw_or_err(&s, &i.internet_gateway_id)?;
    vpc_or_err(&s, &i.vpc_id)?;
    if g.vpc.as_deref() != Some(i.vpc_id.as_str()) {
        return Err(AwsError::bad_request(
            "Gateway.NotAttached",
            format!("resource {} is not attached to network {}", g.id, i.vpc_id),
        ));
    }
    if super::addresses::vpc_has_public(&s, &i.vpc_id) {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "Network {} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.",
                i.vpc_id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    if let Some(g) = s.igws.get_mut(&i.internet_gateway_id) {
        g.vpc = None;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteInternetGatewayRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let g = igw_or_err(&s, &i.internet_gateway_id)?;
    if g.vpc.is_some() {
        return Err(AwsError::bad_request(
            "DependencyViolation",
            format!(
                "The internetGateway '{}' has dependencies and cannot be deleted.",
                g.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.igws.remove(&i.internet_gateway_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeInternetGatewaysRequest,
) -> Result<DescribeInternetGatewaysResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.internet_gateway_ids {
        for id in ids {
            igw_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for g in s.igws.values() {
        if i.internet_gateway_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&g.id))
        {
            continue;
        }
        if matches(&(g, ctx.account_id()), &filters)? {
            res.push(out(g, ctx.account_id()));
        }
    }
    let (internet_gateways, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeInternetGatewaysResult {
        internet_gateways: Some(internet_gateways),
        next_token,
    })
}
