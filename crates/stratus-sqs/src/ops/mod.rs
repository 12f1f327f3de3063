//! The SQS operations, one module per concern; the trait impl only routes.

mod batch;
mod deliveries;
mod messages;
mod moves;
mod policies;
mod queues;

use stratus_core::{AwsError, RequestContext};

use crate::Sqs;
use crate::errors::no_queue;
use crate::generated::*;

/// The state key of the queue a URL names, in the caller's region.
pub fn queue_key(ctx: &RequestContext, url: &str) -> Result<String, AwsError> {
    let (account, name) = crate::url::parse(url).ok_or_else(no_queue)?;
    Ok(crate::queue::key(&account, &ctx.region, &name))
}

impl Handlers for Sqs {
    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionRequest,
    ) -> Result<(), AwsError> {
        queues::add_permission(self, ctx, input)
    }

    async fn cancel_message_move_task(
        &self,
        ctx: &RequestContext,
        input: CancelMessageMoveTaskRequest,
    ) -> Result<CancelMessageMoveTaskResult, AwsError> {
        moves::cancel_message_move_task(self, ctx, input)
    }

    async fn change_message_visibility(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityRequest,
    ) -> Result<(), AwsError> {
        messages::change_message_visibility(self, ctx, input)
    }

    async fn change_message_visibility_batch(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityBatchRequest,
    ) -> Result<ChangeMessageVisibilityBatchResult, AwsError> {
        batch::change_message_visibility_batch(self, ctx, input)
    }

    async fn create_queue(
        &self,
        ctx: &RequestContext,
        input: CreateQueueRequest,
    ) -> Result<CreateQueueResult, AwsError> {
        queues::create_queue(self, ctx, input)
    }

    async fn delete_message(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageRequest,
    ) -> Result<(), AwsError> {
        messages::delete_message(self, ctx, input)
    }

    async fn delete_message_batch(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageBatchRequest,
    ) -> Result<DeleteMessageBatchResult, AwsError> {
        batch::delete_message_batch(self, ctx, input)
    }

    async fn delete_queue(
        &self,
        ctx: &RequestContext,
        input: DeleteQueueRequest,
    ) -> Result<(), AwsError> {
        queues::delete_queue(self, ctx, input)
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: GetQueueAttributesRequest,
    ) -> Result<GetQueueAttributesResult, AwsError> {
        queues::get_queue_attributes(self, ctx, input)
    }

    async fn get_queue_url(
        &self,
        ctx: &RequestContext,
        input: GetQueueUrlRequest,
    ) -> Result<GetQueueUrlResult, AwsError> {
        queues::get_queue_url(self, ctx, input)
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        input: ListDeadLetterSourceQueuesRequest,
    ) -> Result<ListDeadLetterSourceQueuesResult, AwsError> {
        queues::list_dead_letter_source_queues(self, ctx, input)
    }

    async fn list_message_move_tasks(
        &self,
        ctx: &RequestContext,
        input: ListMessageMoveTasksRequest,
    ) -> Result<ListMessageMoveTasksResult, AwsError> {
        moves::list_message_move_tasks(self, ctx, input)
    }

    async fn list_queue_tags(
        &self,
        ctx: &RequestContext,
        input: ListQueueTagsRequest,
    ) -> Result<ListQueueTagsResult, AwsError> {
        queues::list_queue_tags(self, ctx, input)
    }

    async fn list_queues(
        &self,
        ctx: &RequestContext,
        input: ListQueuesRequest,
    ) -> Result<ListQueuesResult, AwsError> {
        queues::list_queues(self, ctx, input)
    }

    async fn purge_queue(
        &self,
        ctx: &RequestContext,
        input: PurgeQueueRequest,
    ) -> Result<(), AwsError> {
        queues::purge_queue(self, ctx, input)
    }

    async fn receive_message(
        &self,
        ctx: &RequestContext,
        input: ReceiveMessageRequest,
    ) -> Result<ReceiveMessageResult, AwsError> {
        messages::receive_message(self, ctx, input).await
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionRequest,
    ) -> Result<(), AwsError> {
        queues::remove_permission(self, ctx, input)
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        input: SendMessageRequest,
    ) -> Result<SendMessageResult, AwsError> {
        messages::send_message(self, ctx, input)
    }

    async fn send_message_batch(
        &self,
        ctx: &RequestContext,
        input: SendMessageBatchRequest,
    ) -> Result<SendMessageBatchResult, AwsError> {
        batch::send_message_batch(self, ctx, input)
    }

    async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: SetQueueAttributesRequest,
    ) -> Result<(), AwsError> {
        queues::set_queue_attributes(self, ctx, input)
    }

    async fn start_message_move_task(
        &self,
        ctx: &RequestContext,
        input: StartMessageMoveTaskRequest,
    ) -> Result<StartMessageMoveTaskResult, AwsError> {
        moves::start_message_move_task(self, ctx, input)
    }

    async fn tag_queue(
        &self,
        ctx: &RequestContext,
        input: TagQueueRequest,
    ) -> Result<(), AwsError> {
        queues::tag_queue(self, ctx, input)
    }

    async fn untag_queue(
        &self,
        ctx: &RequestContext,
        input: UntagQueueRequest,
    ) -> Result<(), AwsError> {
        queues::untag_queue(self, ctx, input)
    }
}
