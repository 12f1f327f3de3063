//! Tags on any EC2 resource by id.

use stratus_core::{AwsError, RequestContext};

use super::{dry_run, page};
use crate::Ec2;
use crate::filters::glob;
use crate::generated::*;

fn unknown(id: &str) -> AwsError {
    let prefix = id.split('-').next().unwrap_or("");
    let (code, noun) = match prefix {
        "vpc" => ("InvalidVpcID.NotFound", "vpc"),
        "subnet" => ("InvalidSubnetID.NotFound", "subnet"),
        "igw" => ("InvalidInternetGatewayID.NotFound", "internetGateway"),
        "rtb" => ("InvalidRouteTableID.NotFound", "routeTable"),
        "sg" => ("InvalidGroup.NotFound", "security group"),
        "i" => ("InvalidInstanceID.NotFound", "instance"),
        "vol" => ("InvalidVolume.NotFound", "volume"),
        "snap" => ("InvalidSnapshot.NotFound", "snapshot"),
        "acl" => ("InvalidNetworkAclID.NotFound", "networkAcl"),
        "dopt" => ("InvalidDhcpOptionID.NotFound", "dhcpOption"),
        "eigw" => ("InvalidGatewayID.NotFound", "eigw"),
        "pcx" => (
            "InvalidVpcPeeringConnectionID.NotFound",
            "vpcPeeringConnection",
        ),
        "fl" => ("InvalidFlowLogId.NotFound", "flowLog"),
        "eni" => ("InvalidNetworkInterfaceID.NotFound", "network interface"),
        "eipalloc" => ("InvalidAllocationID.NotFound", "allocation"),
        "nat" => ("InvalidNatGatewayID.NotFound", "nat gateway"),
        "pl" => ("InvalidPrefixListID.NotFound", "prefix list"),
        "vpce" => ("InvalidVpcEndpointId.NotFound", "VPC endpoint"),
        "key" => ("InvalidKeyPair.NotFound", "key pair"),
        "lt" => ("InvalidLaunchTemplateId.NotFound", "launch template"),
        _ => ("InvalidID", "resource"),
    };
    if prefix == "ami" {
        return super::images::image_not_found(id);
    }
    if code == "InvalidID" {
        return AwsError::bad_request(code, format!("The ID '{id}' is not valid"));
    }
    AwsError::bad_request(code, format!("The {noun} ID '{id}' does not exist"))
}

pub fn create(ec2: &Ec2, ctx: &RequestContext, i: CreateTagsRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    for id in &i.resources {
        if s.tags_mut(id).is_none() {
            return Err(unknown(id));
        }
    }
    for t in &i.tags {
        let k = t.key.clone().unwrap_or_default();
        if k.starts_with("aws:") {
            return Err(AwsError::bad_request(
                "InvalidParameterValue",
                "Tag keys starting with 'aws:' are reserved for internal use",
            ));
        }
    }
    dry_run(i.dry_run)?;
    for id in &i.resources {
        if let Some(tags) = s.tags_mut(id) {
            for t in &i.tags {
                tags.insert(
                    t.key.clone().unwrap_or_default(),
                    t.value.clone().unwrap_or_default(),
                );
            }
            if tags.len() > 50 {
                return Err(AwsError::bad_request(
                    "TagLimitExceeded",
                    "The maximum number of Tags for a resource has been reached.",
                ));
            }
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteTagsRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    for id in &i.resources {
        if s.tags_mut(id).is_none() {
            return Err(unknown(id));
        }
    }
    dry_run(i.dry_run)?;
    for id in &i.resources {
        if let Some(tags) = s.tags_mut(id) {
            match &i.tags {
                None => tags.clear(),
                Some(list) => {
                    for t in list {
                        let k = t.key.clone().unwrap_or_default();
                        // A value given must match for the tag to go.
                        if t.value.as_ref().is_none_or(|v| tags.get(&k) == Some(v)) {
                            tags.remove(&k);
                        }
                    }
                }
            }
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeTagsRequest,
) -> Result<DescribeTagsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for (id, kind, tags) in s.all_tags() {
        for (k, v) in tags {
            let ok = filters.iter().all(|f| {
                let vals = f.values.clone().unwrap_or_default();
                let have = match f.name.as_deref().unwrap_or("") {
                    "resource-id" => id.clone(),
                    "resource-type" => kind.to_string(),
                    "key" => k.clone(),
                    "value" => v.clone(),
                    _ => return false,
                };
                vals.iter().any(|w| glob(w, &have))
            });
            if ok {
                res.push(TagDescription {
                    key: Some(k.clone()),
                    resource_id: Some(id.clone()),
                    resource_type: Some(kind.to_string()),
                    value: Some(v.clone()),
                });
            }
        }
    }
    let (tags, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeTagsResult {
        tags: Some(tags),
        next_token,
    })
}
