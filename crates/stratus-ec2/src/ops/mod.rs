//! The EC2 operations, by resource; the trait impl only routes.

mod acls;
mod addresses;
mod capture;
mod dhcp;
mod egress;
mod endpoints;
mod enis;
mod flowlogs;
mod gateways;
pub mod images;
mod instance_attrs;
pub(crate) mod instances;
pub mod keypairs;
mod launch;
pub(crate) mod nat;
mod peering;
mod prefix_lists;
mod regions;
mod routes;
mod security;
mod service_addresses;
mod services;
mod snapshots;
mod subnets;
mod tags;
pub mod templates;
mod types;
mod volumes;
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

/// Tags a create call that tags several resource types asks for on `kind`;
/// a type outside `allowed` and reserved `aws:` keys are refused.
pub fn tags_of(
    specs: &Option<Vec<TagSpecification>>,
    allowed: &[&str],
    kind: &str,
) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    for spec in specs.iter().flatten() {
        let rt = spec.resource_type.as_deref().unwrap_or("");
        if !allowed.contains(&rt) {
            return Err(invalid(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        if rt != kind {
            continue;
        }
        for t in spec.tags.iter().flatten() {
            let k = t.key.clone().unwrap_or_default();
            if k.starts_with("aws:") {
                return Err(invalid(
                    "Tag keys starting with 'aws:' are reserved for internal use",
                ));
            }
            out.insert(k, t.value.clone().unwrap_or_default());
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
    let start = match token {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| invalid(format!("Invalid value '{t}' for nextToken")))?,
        None => 0,
    };
    let Some(max) = max else {
        return Ok((items.into_iter().skip(start).collect(), None));
    };
    if !(5..=1000).contains(&max) {
        return Err(invalid(format!(
            "Value ( {max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
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
    async fn accept_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        i: AcceptVpcPeeringConnectionRequest,
    ) -> Result<AcceptVpcPeeringConnectionResult, AwsError> {
        peering::accept(self, ctx, i)
    }
    async fn allocate_address(
        &self,
        ctx: &RequestContext,
        i: AllocateAddressRequest,
    ) -> Result<AllocateAddressResult, AwsError> {
        addresses::allocate(self, ctx, i)
    }
    async fn assign_private_ip_addresses(
        &self,
        ctx: &RequestContext,
        i: AssignPrivateIpAddressesRequest,
    ) -> Result<AssignPrivateIpAddressesResult, AwsError> {
        enis::assign(self, ctx, i)
    }
    async fn associate_address(
        &self,
        ctx: &RequestContext,
        i: AssociateAddressRequest,
    ) -> Result<AssociateAddressResult, AwsError> {
        addresses::associate(self, ctx, i)
    }
    async fn associate_dhcp_options(
        &self,
        ctx: &RequestContext,
        i: AssociateDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        dhcp::associate(self, ctx, i)
    }
    async fn associate_route_table(
        &self,
        ctx: &RequestContext,
        i: AssociateRouteTableRequest,
    ) -> Result<AssociateRouteTableResult, AwsError> {
        routes::associate(self, ctx, i)
    }
    async fn associate_vpc_cidr_block(
        &self,
        ctx: &RequestContext,
        i: AssociateVpcCidrBlockRequest,
    ) -> Result<AssociateVpcCidrBlockResult, AwsError> {
        vpcs::associate_cidr(self, ctx, i)
    }
    async fn attach_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: AttachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::attach(self, ctx, i)
    }
    async fn attach_network_interface(
        &self,
        ctx: &RequestContext,
        i: AttachNetworkInterfaceRequest,
    ) -> Result<AttachNetworkInterfaceResult, AwsError> {
        instance_attrs::attach_interface(self, ctx, i)
    }
    async fn attach_volume(
        &self,
        ctx: &RequestContext,
        i: AttachVolumeRequest,
    ) -> Result<VolumeAttachment, AwsError> {
        volumes::attach(self, ctx, i)
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
    async fn copy_snapshot(
        &self,
        ctx: &RequestContext,
        i: CopySnapshotRequest,
    ) -> Result<CopySnapshotResult, AwsError> {
        snapshots::copy(self, ctx, i)
    }
    async fn create_dhcp_options(
        &self,
        ctx: &RequestContext,
        i: CreateDhcpOptionsRequest,
    ) -> Result<CreateDhcpOptionsResult, AwsError> {
        dhcp::create(self, ctx, i)
    }
    async fn create_egress_only_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: CreateEgressOnlyInternetGatewayRequest,
    ) -> Result<CreateEgressOnlyInternetGatewayResult, AwsError> {
        egress::create(self, ctx, i)
    }
    async fn create_flow_logs(
        &self,
        ctx: &RequestContext,
        i: CreateFlowLogsRequest,
    ) -> Result<CreateFlowLogsResult, AwsError> {
        flowlogs::create(self, ctx, i)
    }
    async fn create_image(
        &self,
        ctx: &RequestContext,
        i: CreateImageRequest,
    ) -> Result<CreateImageResult, AwsError> {
        capture::create_image(self, ctx, i)
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
    async fn create_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        i: CreateManagedPrefixListRequest,
    ) -> Result<CreateManagedPrefixListResult, AwsError> {
        prefix_lists::create(self, ctx, i)
    }
    async fn create_nat_gateway(
        &self,
        ctx: &RequestContext,
        i: CreateNatGatewayRequest,
    ) -> Result<CreateNatGatewayResult, AwsError> {
        nat::create(self, ctx, i)
    }
    async fn create_network_acl(
        &self,
        ctx: &RequestContext,
        i: CreateNetworkAclRequest,
    ) -> Result<CreateNetworkAclResult, AwsError> {
        acls::create(self, ctx, i)
    }
    async fn create_network_acl_entry(
        &self,
        ctx: &RequestContext,
        i: CreateNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        acls::create_entry(self, ctx, i)
    }
    async fn create_network_interface(
        &self,
        ctx: &RequestContext,
        i: CreateNetworkInterfaceRequest,
    ) -> Result<CreateNetworkInterfaceResult, AwsError> {
        enis::create(self, ctx, i)
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
    async fn create_snapshot(
        &self,
        ctx: &RequestContext,
        i: CreateSnapshotRequest,
    ) -> Result<Snapshot, AwsError> {
        snapshots::create(self, ctx, i)
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
    async fn create_volume(
        &self,
        ctx: &RequestContext,
        i: CreateVolumeRequest,
    ) -> Result<Volume, AwsError> {
        volumes::create(self, ctx, i)
    }
    async fn create_vpc(
        &self,
        ctx: &RequestContext,
        i: CreateVpcRequest,
    ) -> Result<CreateVpcResult, AwsError> {
        vpcs::create(self, ctx, i)
    }
    async fn create_vpc_endpoint(
        &self,
        ctx: &RequestContext,
        i: CreateVpcEndpointRequest,
    ) -> Result<CreateVpcEndpointResult, AwsError> {
        endpoints::create(self, ctx, i)
    }
    async fn create_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        i: CreateVpcPeeringConnectionRequest,
    ) -> Result<CreateVpcPeeringConnectionResult, AwsError> {
        peering::create(self, ctx, i)
    }
    async fn delete_dhcp_options(
        &self,
        ctx: &RequestContext,
        i: DeleteDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        dhcp::delete(self, ctx, i)
    }
    async fn delete_egress_only_internet_gateway(
        &self,
        ctx: &RequestContext,
        i: DeleteEgressOnlyInternetGatewayRequest,
    ) -> Result<DeleteEgressOnlyInternetGatewayResult, AwsError> {
        egress::delete(self, ctx, i)
    }
    async fn delete_flow_logs(
        &self,
        ctx: &RequestContext,
        i: DeleteFlowLogsRequest,
    ) -> Result<DeleteFlowLogsResult, AwsError> {
        flowlogs::delete(self, ctx, i)
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
    async fn delete_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        i: DeleteManagedPrefixListRequest,
    ) -> Result<DeleteManagedPrefixListResult, AwsError> {
        prefix_lists::delete(self, ctx, i)
    }
    async fn delete_nat_gateway(
        &self,
        ctx: &RequestContext,
        i: DeleteNatGatewayRequest,
    ) -> Result<DeleteNatGatewayResult, AwsError> {
        nat::delete(self, ctx, i)
    }
    async fn delete_network_acl(
        &self,
        ctx: &RequestContext,
        i: DeleteNetworkAclRequest,
    ) -> Result<(), AwsError> {
        acls::delete(self, ctx, i)
    }
    async fn delete_network_acl_entry(
        &self,
        ctx: &RequestContext,
        i: DeleteNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        acls::delete_entry(self, ctx, i)
    }
    async fn delete_network_interface(
        &self,
        ctx: &RequestContext,
        i: DeleteNetworkInterfaceRequest,
    ) -> Result<(), AwsError> {
        enis::delete(self, ctx, i)
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
    async fn delete_snapshot(
        &self,
        ctx: &RequestContext,
        i: DeleteSnapshotRequest,
    ) -> Result<(), AwsError> {
        snapshots::delete(self, ctx, i)
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
    async fn delete_volume(
        &self,
        ctx: &RequestContext,
        i: DeleteVolumeRequest,
    ) -> Result<(), AwsError> {
        volumes::delete(self, ctx, i)
    }
    async fn delete_vpc(&self, ctx: &RequestContext, i: DeleteVpcRequest) -> Result<(), AwsError> {
        vpcs::delete(self, ctx, i)
    }
    async fn delete_vpc_endpoints(
        &self,
        ctx: &RequestContext,
        i: DeleteVpcEndpointsRequest,
    ) -> Result<DeleteVpcEndpointsResult, AwsError> {
        endpoints::delete(self, ctx, i)
    }
    async fn delete_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        i: DeleteVpcPeeringConnectionRequest,
    ) -> Result<DeleteVpcPeeringConnectionResult, AwsError> {
        peering::delete(self, ctx, i)
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
    async fn describe_addresses(
        &self,
        ctx: &RequestContext,
        i: DescribeAddressesRequest,
    ) -> Result<DescribeAddressesResult, AwsError> {
        addresses::describe(self, ctx, i)
    }
    async fn describe_addresses_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeAddressesAttributeRequest,
    ) -> Result<DescribeAddressesAttributeResult, AwsError> {
        addresses::describe_attribute(self, ctx, i)
    }
    async fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        i: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        regions::zones(ctx, i)
    }
    async fn describe_dhcp_options(
        &self,
        ctx: &RequestContext,
        i: DescribeDhcpOptionsRequest,
    ) -> Result<DescribeDhcpOptionsResult, AwsError> {
        dhcp::describe(self, ctx, i)
    }
    async fn describe_egress_only_internet_gateways(
        &self,
        ctx: &RequestContext,
        i: DescribeEgressOnlyInternetGatewaysRequest,
    ) -> Result<DescribeEgressOnlyInternetGatewaysResult, AwsError> {
        egress::describe(self, ctx, i)
    }
    async fn describe_flow_logs(
        &self,
        ctx: &RequestContext,
        i: DescribeFlowLogsRequest,
    ) -> Result<DescribeFlowLogsResult, AwsError> {
        flowlogs::describe(self, ctx, i)
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
    async fn describe_instance_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeInstanceAttributeRequest,
    ) -> Result<InstanceAttribute, AwsError> {
        instance_attrs::describe_attribute(self, ctx, i)
    }
    async fn describe_instance_status(
        &self,
        ctx: &RequestContext,
        i: DescribeInstanceStatusRequest,
    ) -> Result<DescribeInstanceStatusResult, AwsError> {
        instance_attrs::status(self, ctx, i)
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
    async fn describe_instances(
        &self,
        ctx: &RequestContext,
        i: DescribeInstancesRequest,
    ) -> Result<DescribeInstancesResult, AwsError> {
        instances::describe(self, ctx, i)
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
    async fn describe_managed_prefix_lists(
        &self,
        ctx: &RequestContext,
        i: DescribeManagedPrefixListsRequest,
    ) -> Result<DescribeManagedPrefixListsResult, AwsError> {
        prefix_lists::describe_managed(self, ctx, i)
    }
    async fn describe_nat_gateways(
        &self,
        ctx: &RequestContext,
        i: DescribeNatGatewaysRequest,
    ) -> Result<DescribeNatGatewaysResult, AwsError> {
        nat::describe(self, ctx, i)
    }
    async fn describe_network_acls(
        &self,
        ctx: &RequestContext,
        i: DescribeNetworkAclsRequest,
    ) -> Result<DescribeNetworkAclsResult, AwsError> {
        acls::describe(self, ctx, i)
    }
    async fn describe_network_interface_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeNetworkInterfaceAttributeRequest,
    ) -> Result<DescribeNetworkInterfaceAttributeResult, AwsError> {
        enis::describe_attribute(self, ctx, i)
    }
    async fn describe_network_interfaces(
        &self,
        ctx: &RequestContext,
        i: DescribeNetworkInterfacesRequest,
    ) -> Result<DescribeNetworkInterfacesResult, AwsError> {
        enis::describe(self, ctx, i)
    }
    async fn describe_prefix_lists(
        &self,
        ctx: &RequestContext,
        i: DescribePrefixListsRequest,
    ) -> Result<DescribePrefixListsResult, AwsError> {
        prefix_lists::describe_prefix_lists(self, ctx, i)
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
    async fn describe_snapshot_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeSnapshotAttributeRequest,
    ) -> Result<DescribeSnapshotAttributeResult, AwsError> {
        snapshots::attribute(self, ctx, i)
    }
    async fn describe_snapshots(
        &self,
        ctx: &RequestContext,
        i: DescribeSnapshotsRequest,
    ) -> Result<DescribeSnapshotsResult, AwsError> {
        snapshots::describe(self, ctx, i)
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
    async fn describe_volume_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeVolumeAttributeRequest,
    ) -> Result<DescribeVolumeAttributeResult, AwsError> {
        volumes::attribute(self, ctx, i)
    }
    async fn describe_volume_status(
        &self,
        ctx: &RequestContext,
        i: DescribeVolumeStatusRequest,
    ) -> Result<DescribeVolumeStatusResult, AwsError> {
        volumes::status(self, ctx, i)
    }
    async fn describe_volumes(
        &self,
        ctx: &RequestContext,
        i: DescribeVolumesRequest,
    ) -> Result<DescribeVolumesResult, AwsError> {
        volumes::describe(self, ctx, i)
    }
    async fn describe_volumes_modifications(
        &self,
        ctx: &RequestContext,
        i: DescribeVolumesModificationsRequest,
    ) -> Result<DescribeVolumesModificationsResult, AwsError> {
        volumes::modifications(self, ctx, i)
    }
    async fn describe_vpc_attribute(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcAttributeRequest,
    ) -> Result<DescribeVpcAttributeResult, AwsError> {
        vpcs::describe_attribute(self, ctx, i)
    }
    async fn describe_vpc_endpoint_services(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcEndpointServicesRequest,
    ) -> Result<DescribeVpcEndpointServicesResult, AwsError> {
        endpoints::describe_services(self, ctx, i)
    }
    async fn describe_vpc_endpoints(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcEndpointsRequest,
    ) -> Result<DescribeVpcEndpointsResult, AwsError> {
        endpoints::describe(self, ctx, i)
    }
    async fn describe_vpc_peering_connections(
        &self,
        ctx: &RequestContext,
        i: DescribeVpcPeeringConnectionsRequest,
    ) -> Result<DescribeVpcPeeringConnectionsResult, AwsError> {
        peering::describe(self, ctx, i)
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
    async fn detach_network_interface(
        &self,
        ctx: &RequestContext,
        i: DetachNetworkInterfaceRequest,
    ) -> Result<(), AwsError> {
        instance_attrs::detach_interface(self, ctx, i)
    }
    async fn detach_volume(
        &self,
        ctx: &RequestContext,
        i: DetachVolumeRequest,
    ) -> Result<VolumeAttachment, AwsError> {
        volumes::detach(self, ctx, i)
    }
    async fn disable_ebs_encryption_by_default(
        &self,
        ctx: &RequestContext,
        i: DisableEbsEncryptionByDefaultRequest,
    ) -> Result<DisableEbsEncryptionByDefaultResult, AwsError> {
        dry_run(i.dry_run)?;
        Ok(DisableEbsEncryptionByDefaultResult {
            ebs_encryption_by_default: Some(volumes::encryption_default(self, ctx, Some(false))?),
        })
    }
    async fn disassociate_address(
        &self,
        ctx: &RequestContext,
        i: DisassociateAddressRequest,
    ) -> Result<(), AwsError> {
        addresses::disassociate(self, ctx, i)
    }
    async fn disassociate_route_table(
        &self,
        ctx: &RequestContext,
        i: DisassociateRouteTableRequest,
    ) -> Result<(), AwsError> {
        routes::disassociate(self, ctx, i)
    }
    async fn disassociate_vpc_cidr_block(
        &self,
        ctx: &RequestContext,
        i: DisassociateVpcCidrBlockRequest,
    ) -> Result<DisassociateVpcCidrBlockResult, AwsError> {
        vpcs::disassociate_cidr(self, ctx, i)
    }
    async fn enable_ebs_encryption_by_default(
        &self,
        ctx: &RequestContext,
        i: EnableEbsEncryptionByDefaultRequest,
    ) -> Result<EnableEbsEncryptionByDefaultResult, AwsError> {
        dry_run(i.dry_run)?;
        Ok(EnableEbsEncryptionByDefaultResult {
            ebs_encryption_by_default: Some(volumes::encryption_default(self, ctx, Some(true))?),
        })
    }
    async fn get_console_output(
        &self,
        ctx: &RequestContext,
        i: GetConsoleOutputRequest,
    ) -> Result<GetConsoleOutputResult, AwsError> {
        instance_attrs::console_output(self, ctx, i)
    }
    async fn get_ebs_encryption_by_default(
        &self,
        ctx: &RequestContext,
        i: GetEbsEncryptionByDefaultRequest,
    ) -> Result<GetEbsEncryptionByDefaultResult, AwsError> {
        dry_run(i.dry_run)?;
        Ok(GetEbsEncryptionByDefaultResult {
            ebs_encryption_by_default: Some(volumes::encryption_default(self, ctx, None)?),
            sse_type: Some("sse-ebs".into()),
        })
    }
    async fn get_managed_prefix_list_entries(
        &self,
        ctx: &RequestContext,
        i: GetManagedPrefixListEntriesRequest,
    ) -> Result<GetManagedPrefixListEntriesResult, AwsError> {
        prefix_lists::get_entries(self, ctx, i)
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
    async fn modify_instance_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifyInstanceAttributeRequest,
    ) -> Result<(), AwsError> {
        instance_attrs::modify_attribute(self, ctx, i)
    }
    async fn modify_instance_metadata_options(
        &self,
        ctx: &RequestContext,
        i: ModifyInstanceMetadataOptionsRequest,
    ) -> Result<ModifyInstanceMetadataOptionsResult, AwsError> {
        instance_attrs::metadata_options(self, ctx, i)
    }
    async fn modify_launch_template(
        &self,
        ctx: &RequestContext,
        i: ModifyLaunchTemplateRequest,
    ) -> Result<ModifyLaunchTemplateResult, AwsError> {
        templates::modify(self, ctx, i)
    }
    async fn modify_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        i: ModifyManagedPrefixListRequest,
    ) -> Result<ModifyManagedPrefixListResult, AwsError> {
        prefix_lists::modify(self, ctx, i)
    }
    async fn modify_network_interface_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifyNetworkInterfaceAttributeRequest,
    ) -> Result<(), AwsError> {
        enis::modify_attribute(self, ctx, i)
    }
    async fn modify_snapshot_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifySnapshotAttributeRequest,
    ) -> Result<(), AwsError> {
        snapshots::modify_attribute(self, ctx, i)
    }
    async fn modify_subnet_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifySubnetAttributeRequest,
    ) -> Result<(), AwsError> {
        subnets::modify(self, ctx, i)
    }
    async fn modify_volume(
        &self,
        ctx: &RequestContext,
        i: ModifyVolumeRequest,
    ) -> Result<ModifyVolumeResult, AwsError> {
        volumes::modify(self, ctx, i)
    }
    async fn modify_vpc_attribute(
        &self,
        ctx: &RequestContext,
        i: ModifyVpcAttributeRequest,
    ) -> Result<(), AwsError> {
        vpcs::modify_attribute(self, ctx, i)
    }
    async fn modify_vpc_endpoint(
        &self,
        ctx: &RequestContext,
        i: ModifyVpcEndpointRequest,
    ) -> Result<ModifyVpcEndpointResult, AwsError> {
        endpoints::modify(self, ctx, i)
    }
    async fn modify_vpc_peering_connection_options(
        &self,
        ctx: &RequestContext,
        i: ModifyVpcPeeringConnectionOptionsRequest,
    ) -> Result<ModifyVpcPeeringConnectionOptionsResult, AwsError> {
        peering::modify_options(self, ctx, i)
    }
    async fn monitor_instances(
        &self,
        ctx: &RequestContext,
        i: MonitorInstancesRequest,
    ) -> Result<MonitorInstancesResult, AwsError> {
        Ok(MonitorInstancesResult {
            instance_monitorings: Some(instance_attrs::monitoring(
                self,
                ctx,
                &i.instance_ids,
                true,
                i.dry_run,
            )?),
        })
    }
    async fn reboot_instances(
        &self,
        ctx: &RequestContext,
        i: RebootInstancesRequest,
    ) -> Result<(), AwsError> {
        let out = instances::reboot(self, ctx, i);
        self.wake_runtime();
        out
    }
    async fn register_image(
        &self,
        ctx: &RequestContext,
        i: RegisterImageRequest,
    ) -> Result<RegisterImageResult, AwsError> {
        images::register(self, ctx, i)
    }
    async fn reject_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        i: RejectVpcPeeringConnectionRequest,
    ) -> Result<RejectVpcPeeringConnectionResult, AwsError> {
        peering::reject(self, ctx, i)
    }
    async fn release_address(
        &self,
        ctx: &RequestContext,
        i: ReleaseAddressRequest,
    ) -> Result<(), AwsError> {
        addresses::release(self, ctx, i)
    }
    async fn replace_network_acl_association(
        &self,
        ctx: &RequestContext,
        i: ReplaceNetworkAclAssociationRequest,
    ) -> Result<ReplaceNetworkAclAssociationResult, AwsError> {
        acls::replace_association(self, ctx, i)
    }
    async fn replace_network_acl_entry(
        &self,
        ctx: &RequestContext,
        i: ReplaceNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        acls::replace_entry(self, ctx, i)
    }
    async fn replace_route(
        &self,
        ctx: &RequestContext,
        i: ReplaceRouteRequest,
    ) -> Result<(), AwsError> {
        routes::replace_route(self, ctx, i)
    }
    async fn replace_route_table_association(
        &self,
        ctx: &RequestContext,
        i: ReplaceRouteTableAssociationRequest,
    ) -> Result<ReplaceRouteTableAssociationResult, AwsError> {
        routes::replace_association(self, ctx, i)
    }
    async fn reset_image_attribute(
        &self,
        ctx: &RequestContext,
        i: ResetImageAttributeRequest,
    ) -> Result<(), AwsError> {
        images::reset_attribute(self, ctx, i)
    }
    async fn reset_instance_attribute(
        &self,
        ctx: &RequestContext,
        i: ResetInstanceAttributeRequest,
    ) -> Result<(), AwsError> {
        instance_attrs::reset_attribute(self, ctx, i)
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
    async fn run_instances(
        &self,
        ctx: &RequestContext,
        i: RunInstancesRequest,
    ) -> Result<Reservation, AwsError> {
        let out = instances::run(self, ctx, i);
        self.wake_runtime();
        out
    }
    async fn start_instances(
        &self,
        ctx: &RequestContext,
        i: StartInstancesRequest,
    ) -> Result<StartInstancesResult, AwsError> {
        let out = instances::start(self, ctx, i);
        self.wake_runtime();
        out
    }
    async fn stop_instances(
        &self,
        ctx: &RequestContext,
        i: StopInstancesRequest,
    ) -> Result<StopInstancesResult, AwsError> {
        instances::stop(self, ctx, i)
    }
    async fn terminate_instances(
        &self,
        ctx: &RequestContext,
        i: TerminateInstancesRequest,
    ) -> Result<TerminateInstancesResult, AwsError> {
        instances::terminate(self, ctx, i)
    }
    async fn unassign_private_ip_addresses(
        &self,
        ctx: &RequestContext,
        i: UnassignPrivateIpAddressesRequest,
    ) -> Result<(), AwsError> {
        enis::unassign(self, ctx, i)
    }
    async fn unmonitor_instances(
        &self,
        ctx: &RequestContext,
        i: UnmonitorInstancesRequest,
    ) -> Result<UnmonitorInstancesResult, AwsError> {
        Ok(UnmonitorInstancesResult {
            instance_monitorings: Some(instance_attrs::monitoring(
                self,
                ctx,
                &i.instance_ids,
                false,
                i.dry_run,
            )?),
        })
    }
}
