//! The EC2 operations, by resource; the trait impl only routes.

mod gateways;
pub mod images;
pub mod keypairs;
mod regions;
mod routes;
mod security;
mod subnets;
mod tags;
pub mod templates;
mod types;
mod vpcs;

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use crate::Ec2;
use crate::generated::*;
use crate::state::Tags;

/// `DryRun=true` answers whether the call would succeed, and stops.
pub fn dry_run(flag: Option<bool>) -> Result<(), AwsError> {
    if flag == Some(true) {
        return Err(AwsError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    Ok(())
}

pub fn invalid(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterValue", msg)
}

/// `InvalidXxxID.NotFound` with AWS's wording (`The vpc ID 'vpc-1' does not exist`).
pub fn not_found(code: &str, noun: &str, id: &str) -> AwsError {
    AwsError::bad_request(code, format!("The {noun} ID '{id}' does not exist"))
}

/// `InvalidXxxID.Malformed` when an id lacks its prefix.
pub fn check_id(id: &str, prefix: &str, code: &str) -> Result<(), AwsError> {
    let rest = id.strip_prefix(prefix).and_then(|r| r.strip_prefix('-'));
    match rest {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(AwsError::bad_request(
            code,
            format!("Invalid id: \"{id}\" (expecting \"{prefix}-...\")"),
        )),
    }
}

pub fn wire_tags(t: &Tags) -> Option<Vec<Tag>> {
    (!t.is_empty()).then(|| {
        t.iter()
            .map(|(k, v)| Tag {
                key: Some(k.clone()),
                value: Some(v.clone()),
            })
            .collect()
    })
}

/// Tags a create call asks for on the resource type it creates.
pub fn spec_tags(specs: &Option<Vec<TagSpecification>>, kind: &str) -> Result<Tags, AwsError> {
    let mut out = BTreeMap::new();
    for s in specs.iter().flatten() {
        if s.resource_type.as_deref().is_some_and(|r| r != kind) {
            return Err(invalid(format!(
                "'{}' is not a valid taggable resource type for this operation.",
                s.resource_type.as_deref().unwrap_or("")
            )));
        }
        for t in s.tags.iter().flatten() {
            out.insert(
                t.key.clone().unwrap_or_default(),
                t.value.clone().unwrap_or_default(),
            );
        }
    }
    Ok(out)
}

/// One page of `items`, with a token for the next (`MaxResults`, `NextToken`).
pub fn page<T>(
    items: Vec<T>,
    max: Option<i32>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    page_within(items, max, token, 1000)
}

/// [`page`] for calls whose `MaxResults` may be at most `limit`.
pub fn page_within<T>(
    items: Vec<T>,
    max: Option<i32>,
    token: Option<&str>,
    limit: i32,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match token {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| invalid(format!("Invalid value '{t}' for nextToken")))?,
        None => 0,
    };
    let Some(max) = max else {
        return Ok((items.into_iter().skip(start).collect(), None));
    };
    if !(5..=limit).contains(&max) {
        return Err(invalid(format!(
            "Value ( {max} ) for parameter maxResults is invalid. Expecting a value between 5 and {limit}."
        )));
    }
    let total = items.len();
    let end = (start + max as usize).min(total);
    let page: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok((page, (end < total).then(|| end.to_string())))
}

impl Handlers for Ec2 {
    async fn associate_route_table(
        &self,
        ctx: &RequestContext,
        i: AssociateRouteTableRequest,
    ) -> Result<AssociateRouteTableResult, AwsError> {
        routes::associate(self, ctx, i)
    }
    async fn attach_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: AttachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::attach(self, ctx, i)
    }
    async fn authorize_security_group_egress(
        &self,
        ctx: &RequestContext,
        i: AuthorizeSecurityGroupEgressRequest,
    ) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
        security::authorize_egress(self, ctx, i)
    }
    async fn authorize_security_group_ingress(
        &self,
        ctx: &RequestContext,
        i: AuthorizeSecurityGroupIngressRequest,
    ) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
        security::authorize_ingress(self, ctx, i)
    }
    async fn copy_image(
        &self,
        ctx: &RequestContext,
        i: CopyImageRequest,
    ) -> Result<CopyImageResult, AwsError> {
        images::copy(self, ctx, i)
    }
    async fn create_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: CreateInternetGatewayRequest,
    ) -> Result<CreateInternetGatewayResult, AwsError> {
        gateways::create(self, ctx, i)
    }
    async fn create_key_pair(
        &self,
        ctx: &RequestContext,
        i: CreateKeyPairRequest,
    ) -> Result<KeyPair, AwsError> {
        keypairs::create(self, ctx, i)
    }
    async fn create_launch_template(
        &self,
        ctx: &RequestContext,
        i: CreateLaunchTemplateRequest,
    ) -> Result<CreateLaunchTemplateResult, AwsError> {
        templates::create(self, ctx, i)
    }
    async fn create_launch_template_version(
        &self,
        ctx: &RequestContext,
        i: CreateLaunchTemplateVersionRequest,
    ) -> Result<CreateLaunchTemplateVersionResult, AwsError> {
        templates::create_version(self, ctx, i)
    }
    async fn create_route(
        &self,
        ctx: &RequestContext,
        i: CreateRouteRequest,
    ) -> Result<CreateRouteResult, AwsError> {
        routes::create_route(self, ctx, i)
    }
    async fn create_route_table(
        &self,
        ctx: &RequestContext,
        i: CreateRouteTableRequest,
    ) -> Result<CreateRouteTableResult, AwsError> {
        routes::create_table(self, ctx, i)
    }
    async fn create_security_group(
        &self,
        ctx: &RequestContext,
        i: CreateSecurityGroupRequest,
    ) -> Result<CreateSecurityGroupResult, AwsError> {
        security::create(self, ctx, i)
    }
    async fn create_subnet(
        &self,
        ctx: &RequestContext,
        i: CreateSubnetRequest,
    ) -> Result<CreateSubnetResult, AwsError> {
        subnets::create(self, ctx, i)
    }
    async fn create_tags(
        &self,
        ctx: &RequestContext,
        i: CreateTagsRequest,
    ) -> Result<(), AwsError> {
        tags::create(self, ctx, i)
    }
    async fn create_vpc(
        &self,
        ctx: &RequestContext,
        i: CreateVpcRequest,
    ) -> Result<CreateVpcResult, AwsError> {
        vpcs::create(self, ctx, i)
    }
    async fn delete_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: DeleteInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::delete(self, ctx, i)
    }
    async fn delete_key_pair(
        &self,
        ctx: &RequestContext,
        i: DeleteKeyPairRequest,
    ) -> Result<DeleteKeyPairResult, AwsError> {
        keypairs::delete(self, ctx, i)
    }
    async fn delete_launch_template(
        &self,
        ctx: &RequestContext,
        i: DeleteLaunchTemplateRequest,
    ) -> Result<DeleteLaunchTemplateResult, AwsError> {
        templates::delete(self, ctx, i)
    }
    async fn delete_launch_template_versions(
        &self,
        ctx: &RequestContext,
        i: DeleteLaunchTemplateVersionsRequest,
    ) -> Result<DeleteLaunchTemplateVersionsResult, AwsError> {
        templates::delete_versions(self, ctx, i)
    }
    async fn delete_route(
        &self,
        ctx: &RequestContext,
        i: DeleteRouteRequest,
    ) -> Result<(), AwsError> {
        routes::delete_route(self, ctx, i)
    }
    async fn delete_route_table(
        &self,
        ctx: &RequestContext,
        i: DeleteRouteTableRequest,
    ) -> Result<(), AwsError> {
        routes::delete_table(self, ctx, i)
    }
    async fn delete_security_group(
        &self,
        ctx: &RequestContext,
        i: DeleteSecurityGroupRequest,
    ) -> Result<DeleteSecurityGroupResult, AwsError> {
        security::delete(self, ctx, i)
    }
    async fn delete_subnet(
        &self,
        ctx: &RequestContext,
        i: DeleteSubnetRequest,
    ) -> Result<(), AwsError> {
        subnets::delete(self, ctx, i)
    }
    async fn delete_tags(
        &self,
        ctx: &RequestContext,
        i: DeleteTagsRequest,
    ) -> Result<(), AwsError> {
        tags::delete(self, ctx, i)
    }
    async fn delete_vpc(&self, ctx: &RequestContext, i: DeleteVpcRequest) -> Result<(), AwsError> {
        vpcs::delete(self, ctx, i)
    }
    async fn deregister_image(
        &self,
        ctx: &RequestContext,
        i: DeregisterImageRequest,
    ) -> Result<DeregisterImageResult, AwsError> {
        images::deregister(self, ctx, i)
    }
    async fn describe_account_attributes(
        &self,
        ctx: &RequestContext,
        i: DescribeAccountAttributesRequest,
    ) -> Result<DescribeAccountAttributesResult, AwsError> {
        regions::account_attributes(self, ctx, i)
    }
    async fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        i: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        regions::zones(ctx, i)
    }
    async fn describe_image_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeImageAttributeRequest,
    ) -> Result<ImageAttribute, AwsError> {
        images::describe_attribute(self, ctx, i)
    }
    async fn describe_images(
        &self,
        ctx: &RequestContext,
        i: DescribeImagesRequest,
    ) -> Result<DescribeImagesResult, AwsError> {
        images::describe(self, ctx, i)
    }
    async fn describe_instance_type_offerings(
        &self,
        ctx: &RequestContext,
        i: DescribeInstanceTypeOfferingsRequest,
    ) -> Result<DescribeInstanceTypeOfferingsResult, AwsError> {
        types::offerings(self, ctx, i)
    }
    async fn describe_instance_types(
        &self,
        ctx: &RequestContext,
        i: DescribeInstanceTypesRequest,
    ) -> Result<DescribeInstanceTypesResult, AwsError> {
        types::describe(self, ctx, i)
    }
    async fn describe_internet_gateways(
        &self,
        ctx: &RequestContext,
        i: DescribeInternetGatewaysRequest,
    ) -> Result<DescribeInternetGatewaysResult, AwsError> {
        gateways::describe(self, ctx, i)
    }
    async fn describe_key_pairs(
        &self,
        ctx: &RequestContext,
        i: DescribeKeyPairsRequest,
    ) -> Result<DescribeKeyPairsResult, AwsError> {
        keypairs::describe(self, ctx, i)
    }
    async fn describe_launch_template_versions(
        &self,
        ctx: &RequestContext,
        i: DescribeLaunchTemplateVersionsRequest,
    ) -> Result<DescribeLaunchTemplateVersionsResult, AwsError> {
        templates::describe_versions(self, ctx, i)
    }
    async fn describe_launch_templates(
        &self,
        ctx: &RequestContext,
        i: DescribeLaunchTemplatesRequest,
    ) -> Result<DescribeLaunchTemplatesResult, AwsError> {
        templates::describe(self, ctx, i)
    }
    async fn describe_regions(
        &self,
        ctx: &RequestContext,
        i: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult, AwsError> {
        regions::regions(ctx, i)
    }
    async fn describe_route_tables(
        &self,
        ctx: &RequestContext,
        i: DescribeRouteTablesRequest,
    ) -> Result<DescribeRouteTablesResult, AwsError> {
        routes::describe(self, ctx, i)
    }
    async fn describe_security_group_rules(
        &self,
        ctx: &RequestContext,
        i: DescribeSecurityGroupRulesRequest,
    ) -> Result<DescribeSecurityGroupRulesResult, AwsError> {
        security::describe_rules(self, ctx, i)
    }
    async fn describe_security_groups(
        &self,
        ctx: &RequestContext,
        i: DescribeSecurityGroupsRequest,
    ) -> Result<DescribeSecurityGroupsResult, AwsError> {
        security::describe(self, ctx, i)
    }
    async fn describe_subnets(
        &self,
        ctx: &RequestContext,
        i: DescribeSubnetsRequest,
    ) -> Result<DescribeSubnetsResult, AwsError> {
        subnets::describe(self, ctx, i)
    }
    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        i: DescribeTagsRequest,
    ) -> Result<DescribeTagsResult, AwsError> {
        tags::describe(self, ctx, i)
    }
    async fn describe_vpc_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcAttributeRequest,
    ) -> Result<DescribeVpcAttributeResult, AwsError> {
        vpcs::describe_attribute(self, ctx, i)
    }
    async fn describe_vpcs(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult, AwsError> {
        vpcs::describe(self, ctx, i)
    }
    async fn detach_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: DetachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::detach(self, ctx, i)
    }
    async fn disassociate_route_table(
        &self,
        ctx: &RequestContext,
        i: DisassociateRouteTableRequest,
    ) -> Result<(), AwsError> {
        routes::disassociate(self, ctx, i)
    }
    async fn import_key_pair(
        &self,
        ctx: &RequestContext,
        i: ImportKeyPairRequest,
    ) -> Result<ImportKeyPairResult, AwsError> {
        keypairs::import(self, ctx, i)
    }
    async fn modify_image_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifyImageAttributeRequest,
    ) -> Result<(), AwsError> {
        images::modify_attribute(self, ctx, i)
    }
    async fn modify_launch_template(
        &self,
        ctx: &RequestContext,
        i: ModifyLaunchTemplateRequest,
    ) -> Result<ModifyLaunchTemplateResult, AwsError> {
        templates::modify(self, ctx, i)
    }
    async fn modify_subnet_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifySubnetAttributeRequest,
    ) -> Result<(), AwsError> {
        subnets::modify(self, ctx, i)
    }
    async fn modify_vpc_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifyVpcAttributeRequest,
    ) -> Result<(), AwsError> {
        vpcs::modify_attribute(self, ctx, i)
    }
    async fn register_image(
        &self,
        ctx: &RequestContext,
        i: RegisterImageRequest,
    ) -> Result<RegisterImageResult, AwsError> {
        images::register(self, ctx, i)
    }
    async fn reset_image_attribute(
        &self,
        ctx: &RequestContext,
        i: ResetImageAttributeRequest,
    ) -> Result<(), AwsError> {
        images::reset_attribute(self, ctx, i)
    }
    async fn revoke_security_group_egress(
        &self,
        ctx: &RequestContext,
        i: RevokeSecurityGroupEgressRequest,
    ) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
        security::revoke_egress(self, ctx, i)
    }
    async fn revoke_security_group_ingress(
        &self,
        ctx: &RequestContext,
        i: RevokeSecurityGroupIngressRequest,
    ) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
        security::revoke_ingress(self, ctx, i)
    }
}
