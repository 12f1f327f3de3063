//! Egress-only internet gateways: outbound-only IPv6 gateways, created
//! attached to their VPC.

use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, not_found, page, spec_tags, vpcs::vpc_or_err, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{EigwRec, RegionState, Tags, new_id};

impl Filterable for EigwRec {
    fn values(&self, _name: &str) -> Option<Vec<String>> {
        // AWS documents only tag filters for this call.
        None
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

fn out(g: &EigwRec) -> EgressOnlyInternetGateway {
    EgressOnlyInternetGateway {
        attachments: Some(vec![InternetGatewayAttachment {
            state: Some("attached".into()),
            vpc_id: Some(g.vpc.clone()),
        }]),
        egress_only_internet_gateway_id: Some(g.id.clone()),
        tags: wire_tags(&g.tags),
    }
}

fn eigw_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a EigwRec, AwsError> {
    check_id(id, "eigw", "InvalidEgressOnlyInternetGatewayId.Malformed")?;
    s.eigws
        .get(id)
        .ok_or_else(|| not_found("InvalidGatewayID.NotFound", "eigw", id))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateEgressOnlyInternetGatewayRequest,
) -> Result<CreateEgressOnlyInternetGatewayResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "egress-only-internet-gateway")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    vpc_or_err(&s, &i.vpc_id)?;
    dry_run(i.dry_run)?;
    let g = EigwRec {
        id: new_id("eigw"),
        vpc: i.vpc_id.clone(),
        tags,
    };
    let res = out(&g);
    s.eigws.insert(g.id.clone(), g);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateEgressOnlyInternetGatewayResult {
        client_token: i.client_token,
        egress_only_internet_gateway: Some(res),
    })
}

/// Routes to a deleted gateway stay, as blackholes, as on AWS.
pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteEgressOnlyInternetGatewayRequest,
) -> Result<DeleteEgressOnlyInternetGatewayResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    eigw_or_err(&s, &i.egress_only_internet_gateway_id)?;
    dry_run(i.dry_run)?;
    s.eigws.remove(&i.egress_only_internet_gateway_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteEgressOnlyInternetGatewayResult {
        return_code: Some(true),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeEgressOnlyInternetGatewaysRequest,
) -> Result<DescribeEgressOnlyInternetGatewaysResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let ids = &i.egress_only_internet_gateway_ids;
    if let Some(ids) = ids {
        for id in ids {
            eigw_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for g in s.eigws.values() {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&g.id)) {
            continue;
        }
        if matches(g, &filters)? {
            res.push(out(g));
        }
    }
    let (gateways, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeEgressOnlyInternetGatewaysResult {
        egress_only_internet_gateways: Some(gateways),
        next_token,
    })
}
