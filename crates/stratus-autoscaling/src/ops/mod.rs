//! The Auto Scaling operations, one module per resource; the trait impl only routes.

mod activities;
mod catalog;
mod groups;
mod hooks;
mod launch_configs;
mod members;
mod notifications;
mod policies;
mod processes;
mod refresh;
mod scheduled;
mod tags;
mod traffic;
mod warm_pools;

use stratus_core::{AwsError, RequestContext};

use crate::AutoScaling;
use crate::generated::*;

impl Handlers for AutoScaling {
    async fn attach_instances(
        &self,
        ctx: &RequestContext,
        input: AttachInstancesQuery,
    ) -> Result<(), AwsError> {
        members::attach_instances(self, ctx, input)
    }

    async fn attach_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: AttachLoadBalancerTargetGroupsType,
    ) -> Result<AttachLoadBalancerTargetGroupsResultType, AwsError> {
        traffic::attach_load_balancer_target_groups(self, ctx, input)
    }

    async fn attach_load_balancers(
        &self,
        ctx: &RequestContext,
        input: AttachLoadBalancersType,
    ) -> Result<AttachLoadBalancersResultType, AwsError> {
        traffic::attach_load_balancers(self, ctx, input)
    }

    async fn attach_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: AttachTrafficSourcesType,
    ) -> Result<AttachTrafficSourcesResultType, AwsError> {
        traffic::attach_traffic_sources(self, ctx, input)
    }

    async fn batch_delete_scheduled_action(
        &self,
        ctx: &RequestContext,
        input: BatchDeleteScheduledActionType,
    ) -> Result<BatchDeleteScheduledActionAnswer, AwsError> {
        scheduled::batch_delete_scheduled_action(self, ctx, input)
    }

    async fn batch_put_scheduled_update_group_action(
        &self,
        ctx: &RequestContext,
        input: BatchPutScheduledUpdateGroupActionType,
    ) -> Result<BatchPutScheduledUpdateGroupActionAnswer, AwsError> {
        scheduled::batch_put_scheduled_update_group_action(self, ctx, input)
    }

    async fn cancel_instance_refresh(
        &self,
        ctx: &RequestContext,
        input: CancelInstanceRefreshType,
    ) -> Result<CancelInstanceRefreshAnswer, AwsError> {
        refresh::cancel_instance_refresh(self, ctx, input)
    }

    async fn complete_lifecycle_action(
        &self,
        ctx: &RequestContext,
        input: CompleteLifecycleActionType,
    ) -> Result<CompleteLifecycleActionAnswer, AwsError> {
        hooks::complete_lifecycle_action(self, ctx, input)
    }

    async fn create_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: CreateAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::create_auto_scaling_group(self, ctx, input)
    }

    async fn create_launch_configuration(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchConfigurationType,
    ) -> Result<(), AwsError> {
        launch_configs::create_launch_configuration(self, ctx, input)
    }

    async fn create_or_update_tags(
        &self,
        ctx: &RequestContext,
        input: CreateOrUpdateTagsType,
    ) -> Result<(), AwsError> {
        tags::create_or_update_tags(self, ctx, input)
    }

    async fn delete_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: DeleteAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::delete_auto_scaling_group(self, ctx, input)
    }

    async fn delete_launch_configuration(
        &self,
        ctx: &RequestContext,
        input: LaunchConfigurationNameType,
    ) -> Result<(), AwsError> {
        launch_configs::delete_launch_configuration(self, ctx, input)
    }

    async fn delete_lifecycle_hook(
        &self,
        ctx: &RequestContext,
        input: DeleteLifecycleHookType,
    ) -> Result<DeleteLifecycleHookAnswer, AwsError> {
        hooks::delete_lifecycle_hook(self, ctx, input)
    }

    async fn delete_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: DeleteNotificationConfigurationType,
    ) -> Result<(), AwsError> {
        notifications::delete_notification_configuration(self, ctx, input)
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyType,
    ) -> Result<(), AwsError> {
        policies::delete_policy(self, ctx, input)
    }

    async fn delete_scheduled_action(
        &self,
        ctx: &RequestContext,
        input: DeleteScheduledActionType,
    ) -> Result<(), AwsError> {
        scheduled::delete_scheduled_action(self, ctx, input)
    }

    async fn delete_tags(
        &self,
        ctx: &RequestContext,
        input: DeleteTagsType,
    ) -> Result<(), AwsError> {
        tags::delete_tags(self, ctx, input)
    }

    async fn delete_warm_pool(
        &self,
        ctx: &RequestContext,
        input: DeleteWarmPoolType,
    ) -> Result<DeleteWarmPoolAnswer, AwsError> {
        warm_pools::delete_warm_pool(self, ctx, input)
    }

    async fn describe_account_limits(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeAccountLimitsAnswer, AwsError> {
        catalog::describe_account_limits(self, ctx, input)
    }

    async fn describe_adjustment_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeAdjustmentTypesAnswer, AwsError> {
        catalog::describe_adjustment_types(self, ctx, input)
    }

    async fn describe_auto_scaling_groups(
        &self,
        ctx: &RequestContext,
        input: AutoScalingGroupNamesType,
    ) -> Result<AutoScalingGroupsType, AwsError> {
        groups::describe_auto_scaling_groups(self, ctx, input)
    }

    async fn describe_auto_scaling_instances(
        &self,
        ctx: &RequestContext,
        input: DescribeAutoScalingInstancesType,
    ) -> Result<AutoScalingInstancesType, AwsError> {
        members::describe_auto_scaling_instances(self, ctx, input)
    }

    async fn describe_auto_scaling_notification_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeAutoScalingNotificationTypesAnswer, AwsError> {
        catalog::describe_auto_scaling_notification_types(self, ctx, input)
    }

    async fn describe_instance_refreshes(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceRefreshesType,
    ) -> Result<DescribeInstanceRefreshesAnswer, AwsError> {
        refresh::describe_instance_refreshes(self, ctx, input)
    }

    async fn describe_launch_configurations(
        &self,
        ctx: &RequestContext,
        input: LaunchConfigurationNamesType,
    ) -> Result<LaunchConfigurationsType, AwsError> {
        launch_configs::describe_launch_configurations(self, ctx, input)
    }

    async fn describe_lifecycle_hook_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeLifecycleHookTypesAnswer, AwsError> {
        catalog::describe_lifecycle_hook_types(self, ctx, input)
    }

    async fn describe_lifecycle_hooks(
        &self,
        ctx: &RequestContext,
        input: DescribeLifecycleHooksType,
    ) -> Result<DescribeLifecycleHooksAnswer, AwsError> {
        hooks::describe_lifecycle_hooks(self, ctx, input)
    }

    async fn describe_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerTargetGroupsRequest,
    ) -> Result<DescribeLoadBalancerTargetGroupsResponse, AwsError> {
        traffic::describe_load_balancer_target_groups(self, ctx, input)
    }

    async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancersRequest,
    ) -> Result<DescribeLoadBalancersResponse, AwsError> {
        traffic::describe_load_balancers(self, ctx, input)
    }

    async fn describe_metric_collection_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeMetricCollectionTypesAnswer, AwsError> {
        catalog::describe_metric_collection_types(self, ctx, input)
    }

    async fn describe_notification_configurations(
        &self,
        ctx: &RequestContext,
        input: DescribeNotificationConfigurationsType,
    ) -> Result<DescribeNotificationConfigurationsAnswer, AwsError> {
        notifications::describe_notification_configurations(self, ctx, input)
    }

    async fn describe_policies(
        &self,
        ctx: &RequestContext,
        input: DescribePoliciesType,
    ) -> Result<PoliciesType, AwsError> {
        policies::describe_policies(self, ctx, input)
    }

    async fn describe_scaling_activities(
        &self,
        ctx: &RequestContext,
        input: DescribeScalingActivitiesType,
    ) -> Result<ActivitiesType, AwsError> {
        activities::describe_scaling_activities(self, ctx, input)
    }

    async fn describe_scaling_process_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<ProcessesType, AwsError> {
        catalog::describe_scaling_process_types(self, ctx, input)
    }

    async fn describe_scheduled_actions(
        &self,
        ctx: &RequestContext,
        input: DescribeScheduledActionsType,
    ) -> Result<ScheduledActionsType, AwsError> {
        scheduled::describe_scheduled_actions(self, ctx, input)
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsType,
    ) -> Result<TagsType, AwsError> {
        tags::describe_tags(self, ctx, input)
    }

    async fn describe_termination_policy_types(
        &self,
        ctx: &RequestContext,
        input: (),
    ) -> Result<DescribeTerminationPolicyTypesAnswer, AwsError> {
        catalog::describe_termination_policy_types(self, ctx, input)
    }

    async fn describe_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: DescribeTrafficSourcesRequest,
    ) -> Result<DescribeTrafficSourcesResponse, AwsError> {
        traffic::describe_traffic_sources(self, ctx, input)
    }

    async fn describe_warm_pool(
        &self,
        ctx: &RequestContext,
        input: DescribeWarmPoolType,
    ) -> Result<DescribeWarmPoolAnswer, AwsError> {
        warm_pools::describe_warm_pool(self, ctx, input)
    }

    async fn detach_instances(
        &self,
        ctx: &RequestContext,
        input: DetachInstancesQuery,
    ) -> Result<DetachInstancesAnswer, AwsError> {
        members::detach_instances(self, ctx, input)
    }

    async fn detach_load_balancer_target_groups(
        &self,
        ctx: &RequestContext,
        input: DetachLoadBalancerTargetGroupsType,
    ) -> Result<DetachLoadBalancerTargetGroupsResultType, AwsError> {
        traffic::detach_load_balancer_target_groups(self, ctx, input)
    }

    async fn detach_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DetachLoadBalancersType,
    ) -> Result<DetachLoadBalancersResultType, AwsError> {
        traffic::detach_load_balancers(self, ctx, input)
    }

    async fn detach_traffic_sources(
        &self,
        ctx: &RequestContext,
        input: DetachTrafficSourcesType,
    ) -> Result<DetachTrafficSourcesResultType, AwsError> {
        traffic::detach_traffic_sources(self, ctx, input)
    }

    async fn disable_metrics_collection(
        &self,
        ctx: &RequestContext,
        input: DisableMetricsCollectionQuery,
    ) -> Result<(), AwsError> {
        processes::disable_metrics_collection(self, ctx, input)
    }

    async fn enable_metrics_collection(
        &self,
        ctx: &RequestContext,
        input: EnableMetricsCollectionQuery,
    ) -> Result<(), AwsError> {
        processes::enable_metrics_collection(self, ctx, input)
    }

    async fn enter_standby(
        &self,
        ctx: &RequestContext,
        input: EnterStandbyQuery,
    ) -> Result<EnterStandbyAnswer, AwsError> {
        members::enter_standby(self, ctx, input)
    }

    async fn execute_policy(
        &self,
        ctx: &RequestContext,
        input: ExecutePolicyType,
    ) -> Result<(), AwsError> {
        policies::execute_policy(self, ctx, input)
    }

    async fn exit_standby(
        &self,
        ctx: &RequestContext,
        input: ExitStandbyQuery,
    ) -> Result<ExitStandbyAnswer, AwsError> {
        members::exit_standby(self, ctx, input)
    }

    async fn put_lifecycle_hook(
        &self,
        ctx: &RequestContext,
        input: PutLifecycleHookType,
    ) -> Result<PutLifecycleHookAnswer, AwsError> {
        hooks::put_lifecycle_hook(self, ctx, input)
    }

    async fn put_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: PutNotificationConfigurationType,
    ) -> Result<(), AwsError> {
        notifications::put_notification_configuration(self, ctx, input)
    }

    async fn put_scaling_policy(
        &self,
        ctx: &RequestContext,
        input: PutScalingPolicyType,
    ) -> Result<PolicyARNType, AwsError> {
        policies::put_scaling_policy(self, ctx, input)
    }

    async fn put_scheduled_update_group_action(
        &self,
        ctx: &RequestContext,
        input: PutScheduledUpdateGroupActionType,
    ) -> Result<(), AwsError> {
        scheduled::put_scheduled_update_group_action(self, ctx, input)
    }

    async fn put_warm_pool(
        &self,
        ctx: &RequestContext,
        input: PutWarmPoolType,
    ) -> Result<PutWarmPoolAnswer, AwsError> {
        warm_pools::put_warm_pool(self, ctx, input)
    }

    async fn record_lifecycle_action_heartbeat(
        &self,
        ctx: &RequestContext,
        input: RecordLifecycleActionHeartbeatType,
    ) -> Result<RecordLifecycleActionHeartbeatAnswer, AwsError> {
        hooks::record_lifecycle_action_heartbeat(self, ctx, input)
    }

    async fn resume_processes(
        &self,
        ctx: &RequestContext,
        input: ScalingProcessQuery,
    ) -> Result<(), AwsError> {
        processes::resume_processes(self, ctx, input)
    }

    async fn set_desired_capacity(
        &self,
        ctx: &RequestContext,
        input: SetDesiredCapacityType,
    ) -> Result<(), AwsError> {
        groups::set_desired_capacity(self, ctx, input)
    }

    async fn set_instance_health(
        &self,
        ctx: &RequestContext,
        input: SetInstanceHealthQuery,
    ) -> Result<(), AwsError> {
        members::set_instance_health(self, ctx, input)
    }

    async fn set_instance_protection(
        &self,
        ctx: &RequestContext,
        input: SetInstanceProtectionQuery,
    ) -> Result<SetInstanceProtectionAnswer, AwsError> {
        members::set_instance_protection(self, ctx, input)
    }

    async fn start_instance_refresh(
        &self,
        ctx: &RequestContext,
        input: StartInstanceRefreshType,
    ) -> Result<StartInstanceRefreshAnswer, AwsError> {
        refresh::start_instance_refresh(self, ctx, input)
    }

    async fn suspend_processes(
        &self,
        ctx: &RequestContext,
        input: ScalingProcessQuery,
    ) -> Result<(), AwsError> {
        processes::suspend_processes(self, ctx, input)
    }

    async fn terminate_instance_in_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: TerminateInstanceInAutoScalingGroupType,
    ) -> Result<ActivityType, AwsError> {
        members::terminate_instance_in_auto_scaling_group(self, ctx, input)
    }

    async fn update_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: UpdateAutoScalingGroupType,
    ) -> Result<(), AwsError> {
        groups::update_auto_scaling_group(self, ctx, input)
    }
}
