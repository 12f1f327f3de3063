//! The ELBv2 operations, one module per resource; the trait impl only routes.

mod catalogue;
pub(crate) mod common;
pub mod listeners;
pub mod load_balancers;
mod rules;
mod tags;
pub mod target_groups;
pub mod targets;

use stratus_core::{AwsError, RequestContext};

use crate::Elbv2;
use crate::generated::*;

impl Handlers for Elbv2 {
    async fn add_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: AddListenerCertificatesInput,
    ) -> Result<AddListenerCertificatesOutput, AwsError> {
        listeners::add_listener_certificates(self, ctx, input)
    }

    async fn add_tags(
        &self,
        ctx: &RequestContext,
        input: AddTagsInput,
    ) -> Result<AddTagsOutput, AwsError> {
        tags::add_tags(self, ctx, input)
    }

    async fn create_listener(
        &self,
        ctx: &RequestContext,
        input: CreateListenerInput,
    ) -> Result<CreateListenerOutput, AwsError> {
        listeners::create_listener(self, ctx, input)
    }

    async fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerInput,
    ) -> Result<CreateLoadBalancerOutput, AwsError> {
        load_balancers::create_load_balancer(self, ctx, input)
    }

    async fn create_rule(
        &self,
        ctx: &RequestContext,
        input: CreateRuleInput,
    ) -> Result<CreateRuleOutput, AwsError> {
        rules::create_rule(self, ctx, input)
    }

    async fn create_target_group(
        &self,
        ctx: &RequestContext,
        input: CreateTargetGroupInput,
    ) -> Result<CreateTargetGroupOutput, AwsError> {
        target_groups::create_target_group(self, ctx, input)
    }

    async fn delete_listener(
        &self,
        ctx: &RequestContext,
        input: DeleteListenerInput,
    ) -> Result<DeleteListenerOutput, AwsError> {
        listeners::delete_listener(self, ctx, input)
    }

    async fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerInput,
    ) -> Result<DeleteLoadBalancerOutput, AwsError> {
        load_balancers::delete_load_balancer(self, ctx, input)
    }

    async fn delete_rule(
        &self,
        ctx: &RequestContext,
        input: DeleteRuleInput,
    ) -> Result<DeleteRuleOutput, AwsError> {
        rules::delete_rule(self, ctx, input)
    }

    async fn delete_target_group(
        &self,
        ctx: &RequestContext,
        input: DeleteTargetGroupInput,
    ) -> Result<DeleteTargetGroupOutput, AwsError> {
        target_groups::delete_target_group(self, ctx, input)
    }

    async fn deregister_targets(
        &self,
        ctx: &RequestContext,
        input: DeregisterTargetsInput,
    ) -> Result<DeregisterTargetsOutput, AwsError> {
        targets::deregister_targets(self, ctx, input)
    }

    async fn describe_account_limits(
        &self,
        ctx: &RequestContext,
        input: DescribeAccountLimitsInput,
    ) -> Result<DescribeAccountLimitsOutput, AwsError> {
        catalogue::describe_account_limits(self, ctx, input)
    }

    async fn describe_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeListenerAttributesInput,
    ) -> Result<DescribeListenerAttributesOutput, AwsError> {
        listeners::describe_listener_attributes(self, ctx, input)
    }

    async fn describe_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: DescribeListenerCertificatesInput,
    ) -> Result<DescribeListenerCertificatesOutput, AwsError> {
        listeners::describe_listener_certificates(self, ctx, input)
    }

    async fn describe_listeners(
        &self,
        ctx: &RequestContext,
        input: DescribeListenersInput,
    ) -> Result<DescribeListenersOutput, AwsError> {
        listeners::describe_listeners(self, ctx, input)
    }

    async fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
        load_balancers::describe_load_balancer_attributes(self, ctx, input)
    }

    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancersInput,
    ) -> Result<DescribeLoadBalancersOutput, AwsError> {
        load_balancers::describe_load_balancers(self, ctx, input)
    }

    async fn describe_rules(
        &self,
        ctx: &RequestContext,
        input: DescribeRulesInput,
    ) -> Result<DescribeRulesOutput, AwsError> {
        rules::describe_rules(self, ctx, input)
    }

    async fn describe_ssl_policies(
        &self,
        ctx: &RequestContext,
        input: DescribeSSLPoliciesInput,
    ) -> Result<DescribeSSLPoliciesOutput, AwsError> {
        catalogue::describe_ssl_policies(self, ctx, input)
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput, AwsError> {
        tags::describe_tags(self, ctx, input)
    }

    async fn describe_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupAttributesInput,
    ) -> Result<DescribeTargetGroupAttributesOutput, AwsError> {
        target_groups::describe_target_group_attributes(self, ctx, input)
    }

    async fn describe_target_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupsInput,
    ) -> Result<DescribeTargetGroupsOutput, AwsError> {
        target_groups::describe_target_groups(self, ctx, input)
    }

    async fn describe_target_health(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetHealthInput,
    ) -> Result<DescribeTargetHealthOutput, AwsError> {
        targets::describe_target_health(self, ctx, input)
    }

    async fn modify_listener(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerInput,
    ) -> Result<ModifyListenerOutput, AwsError> {
        listeners::modify_listener(self, ctx, input)
    }

    async fn modify_listener_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyListenerAttributesInput,
    ) -> Result<ModifyListenerAttributesOutput, AwsError> {
        listeners::modify_listener_attributes(self, ctx, input)
    }

    async fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
        load_balancers::modify_load_balancer_attributes(self, ctx, input)
    }

    async fn modify_rule(
        &self,
        ctx: &RequestContext,
        input: ModifyRuleInput,
    ) -> Result<ModifyRuleOutput, AwsError> {
        rules::modify_rule(self, ctx, input)
    }

    async fn modify_target_group(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupInput,
    ) -> Result<ModifyTargetGroupOutput, AwsError> {
        target_groups::modify_target_group(self, ctx, input)
    }

    async fn modify_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupAttributesInput,
    ) -> Result<ModifyTargetGroupAttributesOutput, AwsError> {
        target_groups::modify_target_group_attributes(self, ctx, input)
    }

    async fn register_targets(
        &self,
        ctx: &RequestContext,
        input: RegisterTargetsInput,
    ) -> Result<RegisterTargetsOutput, AwsError> {
        targets::register_targets(self, ctx, input)
    }

    async fn remove_listener_certificates(
        &self,
        ctx: &RequestContext,
        input: RemoveListenerCertificatesInput,
    ) -> Result<RemoveListenerCertificatesOutput, AwsError> {
        listeners::remove_listener_certificates(self, ctx, input)
    }

    async fn remove_tags(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsInput,
    ) -> Result<RemoveTagsOutput, AwsError> {
        tags::remove_tags(self, ctx, input)
    }

    async fn set_ip_address_type(
        &self,
        ctx: &RequestContext,
        input: SetIpAddressTypeInput,
    ) -> Result<SetIpAddressTypeOutput, AwsError> {
        load_balancers::set_ip_address_type(self, ctx, input)
    }

    async fn set_rule_priorities(
        &self,
        ctx: &RequestContext,
        input: SetRulePrioritiesInput,
    ) -> Result<SetRulePrioritiesOutput, AwsError> {
        rules::set_rule_priorities(self, ctx, input)
    }

    async fn set_security_groups(
        &self,
        ctx: &RequestContext,
        input: SetSecurityGroupsInput,
    ) -> Result<SetSecurityGroupsOutput, AwsError> {
        load_balancers::set_security_groups(self, ctx, input)
    }

    async fn set_subnets(
        &self,
        ctx: &RequestContext,
        input: SetSubnetsInput,
    ) -> Result<SetSubnetsOutput, AwsError> {
        load_balancers::set_subnets(self, ctx, input)
    }
}
