//! The SNS operations, one module per concern; the trait impl only routes.

mod platforms;
mod publish;
mod subscriptions;
mod topics;

pub use topics::topic_policy;

use stratus_core::{AwsError, RequestContext};

use crate::Sns;
use crate::generated::*;

impl Handlers for Sns {
    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionInput,
    ) -> Result<(), AwsError> {
        topics::add_permission(self, ctx, input)
    }

    async fn confirm_subscription(
        &self,
        ctx: &RequestContext,
        input: ConfirmSubscriptionInput,
    ) -> Result<ConfirmSubscriptionResponse, AwsError> {
        subscriptions::confirm_subscription(self, ctx, input)
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: CreateTopicInput,
    ) -> Result<CreateTopicResponse, AwsError> {
        topics::create_topic(self, ctx, input)
    }

    async fn delete_topic(
        &self,
        ctx: &RequestContext,
        input: DeleteTopicInput,
    ) -> Result<(), AwsError> {
        topics::delete_topic(self, ctx, input)
    }

    async fn get_data_protection_policy(
        &self,
        ctx: &RequestContext,
        input: GetDataProtectionPolicyInput,
    ) -> Result<GetDataProtectionPolicyResponse, AwsError> {
        topics::get_data_protection_policy(self, ctx, input)
    }

    async fn get_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: GetSubscriptionAttributesInput,
    ) -> Result<GetSubscriptionAttributesResponse, AwsError> {
        subscriptions::get_subscription_attributes(self, ctx, input)
    }

    async fn get_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: GetTopicAttributesInput,
    ) -> Result<GetTopicAttributesResponse, AwsError> {
        topics::get_topic_attributes(self, ctx, input)
    }

    async fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        input: ListSubscriptionsInput,
    ) -> Result<ListSubscriptionsResponse, AwsError> {
        subscriptions::list_subscriptions(self, ctx, input)
    }

    async fn list_subscriptions_by_topic(
        &self,
        ctx: &RequestContext,
        input: ListSubscriptionsByTopicInput,
    ) -> Result<ListSubscriptionsByTopicResponse, AwsError> {
        subscriptions::list_subscriptions_by_topic(self, ctx, input)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        topics::list_tags_for_resource(self, ctx, input)
    }

    async fn list_topics(
        &self,
        ctx: &RequestContext,
        input: ListTopicsInput,
    ) -> Result<ListTopicsResponse, AwsError> {
        topics::list_topics(self, ctx, input)
    }

    async fn publish(
        &self,
        ctx: &RequestContext,
        input: PublishInput,
    ) -> Result<PublishResponse, AwsError> {
        publish::publish(self, ctx, input)
    }

    async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: PublishBatchInput,
    ) -> Result<PublishBatchResponse, AwsError> {
        publish::publish_batch(self, ctx, input)
    }

    async fn put_data_protection_policy(
        &self,
        ctx: &RequestContext,
        input: PutDataProtectionPolicyInput,
    ) -> Result<(), AwsError> {
        topics::put_data_protection_policy(self, ctx, input)
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionInput,
    ) -> Result<(), AwsError> {
        topics::remove_permission(self, ctx, input)
    }

    async fn set_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: SetSubscriptionAttributesInput,
    ) -> Result<(), AwsError> {
        subscriptions::set_subscription_attributes(self, ctx, input)
    }

    async fn set_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: SetTopicAttributesInput,
    ) -> Result<(), AwsError> {
        topics::set_topic_attributes(self, ctx, input)
    }

    async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: SubscribeInput,
    ) -> Result<SubscribeResponse, AwsError> {
        subscriptions::subscribe(self, ctx, input)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, AwsError> {
        topics::tag_resource(self, ctx, input)
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        input: UnsubscribeInput,
    ) -> Result<(), AwsError> {
        subscriptions::unsubscribe(self, ctx, input)
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, AwsError> {
        topics::untag_resource(self, ctx, input)
    }

    async fn create_platform_application(
        &self,
        ctx: &RequestContext,
        input: CreatePlatformApplicationInput,
    ) -> Result<CreatePlatformApplicationResponse, AwsError> {
        platforms::create_platform_application(self, ctx, input)
    }

    async fn create_platform_endpoint(
        &self,
        ctx: &RequestContext,
        input: CreatePlatformEndpointInput,
    ) -> Result<CreateEndpointResponse, AwsError> {
        platforms::create_platform_endpoint(self, ctx, input)
    }

    async fn delete_endpoint(
        &self,
        ctx: &RequestContext,
        input: DeleteEndpointInput,
    ) -> Result<(), AwsError> {
        platforms::delete_endpoint(self, ctx, input)
    }

    async fn delete_platform_application(
        &self,
        ctx: &RequestContext,
        input: DeletePlatformApplicationInput,
    ) -> Result<(), AwsError> {
        platforms::delete_platform_application(self, ctx, input)
    }

    async fn get_endpoint_attributes(
        &self,
        ctx: &RequestContext,
        input: GetEndpointAttributesInput,
    ) -> Result<GetEndpointAttributesResponse, AwsError> {
        platforms::get_endpoint_attributes(self, ctx, input)
    }

    async fn get_platform_application_attributes(
        &self,
        ctx: &RequestContext,
        input: GetPlatformApplicationAttributesInput,
    ) -> Result<GetPlatformApplicationAttributesResponse, AwsError> {
        platforms::get_platform_application_attributes(self, ctx, input)
    }

    async fn list_endpoints_by_platform_application(
        &self,
        ctx: &RequestContext,
        input: ListEndpointsByPlatformApplicationInput,
    ) -> Result<ListEndpointsByPlatformApplicationResponse, AwsError> {
        platforms::list_endpoints_by_platform_application(self, ctx, input)
    }

    async fn list_platform_applications(
        &self,
        ctx: &RequestContext,
        input: ListPlatformApplicationsInput,
    ) -> Result<ListPlatformApplicationsResponse, AwsError> {
        platforms::list_platform_applications(self, ctx, input)
    }

    async fn set_endpoint_attributes(
        &self,
        ctx: &RequestContext,
        input: SetEndpointAttributesInput,
    ) -> Result<(), AwsError> {
        platforms::set_endpoint_attributes(self, ctx, input)
    }

    async fn set_platform_application_attributes(
        &self,
        ctx: &RequestContext,
        input: SetPlatformApplicationAttributesInput,
    ) -> Result<(), AwsError> {
        platforms::set_platform_application_attributes(self, ctx, input)
    }
}
