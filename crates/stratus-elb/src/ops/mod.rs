//! The Classic ELB operations, one module per resource; the trait impl only routes.

mod attributes;
mod common;
pub mod instances;
mod listeners;
mod load_balancers;
mod placement;
mod policies;
mod tags;

use stratus_core::{AwsError, RequestContext};

use crate::Elb;
use crate::generated::*;

impl Handlers for Elb {
    async fn add_tags(
        &self,
        ctx: &RequestContext,
        input: AddTagsInput,
    ) -> Result<AddTagsOutput, AwsError> {
        tags::add_tags(self, ctx, input)
    }

    async fn apply_security_groups_to_load_balancer(
        &self,
        ctx: &RequestContext,
        input: ApplySecurityGroupsToLoadBalancerInput,
    ) -> Result<ApplySecurityGroupsToLoadBalancerOutput, AwsError> {
        placement::apply_security_groups_to_load_balancer(self, ctx, input)
    }

    async fn attach_load_balancer_to_subnets(
        &self,
        ctx: &RequestContext,
        input: AttachLoadBalancerToSubnetsInput,
    ) -> Result<AttachLoadBalancerToSubnetsOutput, AwsError> {
        placement::attach_load_balancer_to_subnets(self, ctx, input)
    }

    async fn configure_health_check(
        &self,
        ctx: &RequestContext,
        input: ConfigureHealthCheckInput,
    ) -> Result<ConfigureHealthCheckOutput, AwsError> {
        instances::configure_health_check(self, ctx, input)
    }

    async fn create_app_cookie_stickiness_policy(
        &self,
        ctx: &RequestContext,
        input: CreateAppCookieStickinessPolicyInput,
    ) -> Result<CreateAppCookieStickinessPolicyOutput, AwsError> {
        policies::create_app_cookie_stickiness_policy(self, ctx, input)
    }

    async fn create_lb_cookie_stickiness_policy(
        &self,
        ctx: &RequestContext,
        input: CreateLBCookieStickinessPolicyInput,
    ) -> Result<CreateLBCookieStickinessPolicyOutput, AwsError> {
        policies::create_lb_cookie_stickiness_policy(self, ctx, input)
    }

    async fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        input: CreateAccessPointInput,
    ) -> Result<CreateAccessPointOutput, AwsError> {
        load_balancers::create_load_balancer(self, ctx, input)
    }

    async fn create_load_balancer_listeners(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerListenerInput,
    ) -> Result<CreateLoadBalancerListenerOutput, AwsError> {
        listeners::create_load_balancer_listeners(self, ctx, input)
    }

    async fn create_load_balancer_policy(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerPolicyInput,
    ) -> Result<CreateLoadBalancerPolicyOutput, AwsError> {
        policies::create_load_balancer_policy(self, ctx, input)
    }

    async fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessPointInput,
    ) -> Result<DeleteAccessPointOutput, AwsError> {
        load_balancers::delete_load_balancer(self, ctx, input)
    }

    async fn delete_load_balancer_listeners(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerListenerInput,
    ) -> Result<DeleteLoadBalancerListenerOutput, AwsError> {
        listeners::delete_load_balancer_listeners(self, ctx, input)
    }

    async fn delete_load_balancer_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerPolicyInput,
    ) -> Result<DeleteLoadBalancerPolicyOutput, AwsError> {
        policies::delete_load_balancer_policy(self, ctx, input)
    }

    async fn deregister_instances_from_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeregisterEndPointsInput,
    ) -> Result<DeregisterEndPointsOutput, AwsError> {
        instances::deregister_instances_from_load_balancer(self, ctx, input)
    }

    async fn describe_account_limits(
        &self,
        ctx: &RequestContext,
        input: DescribeAccountLimitsInput,
    ) -> Result<DescribeAccountLimitsOutput, AwsError> {
        load_balancers::describe_account_limits(self, ctx, input)
    }

    async fn describe_instance_health(
        &self,
        ctx: &RequestContext,
        input: DescribeEndPointStateInput,
    ) -> Result<DescribeEndPointStateOutput, AwsError> {
        instances::describe_instance_health(self, ctx, input)
    }

    async fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
        attributes::describe_load_balancer_attributes(self, ctx, input)
    }

    async fn describe_load_balancer_policies(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerPoliciesInput,
    ) -> Result<DescribeLoadBalancerPoliciesOutput, AwsError> {
        policies::describe_load_balancer_policies(self, ctx, input)
    }

    async fn describe_load_balancer_policy_types(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerPolicyTypesInput,
    ) -> Result<DescribeLoadBalancerPolicyTypesOutput, AwsError> {
        policies::describe_load_balancer_policy_types(self, ctx, input)
    }

    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeAccessPointsInput,
    ) -> Result<DescribeAccessPointsOutput, AwsError> {
        load_balancers::describe_load_balancers(self, ctx, input)
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput, AwsError> {
        tags::describe_tags(self, ctx, input)
    }

    async fn detach_load_balancer_from_subnets(
        &self,
        ctx: &RequestContext,
        input: DetachLoadBalancerFromSubnetsInput,
    ) -> Result<DetachLoadBalancerFromSubnetsOutput, AwsError> {
        placement::detach_load_balancer_from_subnets(self, ctx, input)
    }

    async fn disable_availability_zones_for_load_balancer(
        &self,
        ctx: &RequestContext,
        input: RemoveAvailabilityZonesInput,
    ) -> Result<RemoveAvailabilityZonesOutput, AwsError> {
        placement::disable_availability_zones_for_load_balancer(self, ctx, input)
    }

    async fn enable_availability_zones_for_load_balancer(
        &self,
        ctx: &RequestContext,
        input: AddAvailabilityZonesInput,
    ) -> Result<AddAvailabilityZonesOutput, AwsError> {
        placement::enable_availability_zones_for_load_balancer(self, ctx, input)
    }

    async fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
        attributes::modify_load_balancer_attributes(self, ctx, input)
    }

    async fn register_instances_with_load_balancer(
        &self,
        ctx: &RequestContext,
        input: RegisterEndPointsInput,
    ) -> Result<RegisterEndPointsOutput, AwsError> {
        instances::register_instances_with_load_balancer(self, ctx, input)
    }

    async fn remove_tags(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsInput,
    ) -> Result<RemoveTagsOutput, AwsError> {
        tags::remove_tags(self, ctx, input)
    }

    async fn set_load_balancer_listener_ssl_certificate(
        &self,
        ctx: &RequestContext,
        input: SetLoadBalancerListenerSSLCertificateInput,
    ) -> Result<SetLoadBalancerListenerSSLCertificateOutput, AwsError> {
        listeners::set_load_balancer_listener_ssl_certificate(self, ctx, input)
    }

    async fn set_load_balancer_policies_for_backend_server(
        &self,
        ctx: &RequestContext,
        input: SetLoadBalancerPoliciesForBackendServerInput,
    ) -> Result<SetLoadBalancerPoliciesForBackendServerOutput, AwsError> {
        policies::set_load_balancer_policies_for_backend_server(self, ctx, input)
    }

    async fn set_load_balancer_policies_of_listener(
        &self,
        ctx: &RequestContext,
        input: SetLoadBalancerPoliciesOfListenerInput,
    ) -> Result<SetLoadBalancerPoliciesOfListenerOutput, AwsError> {
        policies::set_load_balancer_policies_of_listener(self, ctx, input)
    }
}
