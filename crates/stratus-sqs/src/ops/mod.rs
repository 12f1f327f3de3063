//! The SQS operations, one module per concern; the trait impl only routes.

mod batch;
mod deliveries;
mod messages;
mod moves;
mod policies;
mod queues;

use stratus_core::{AwsError, RequestContext};

pub use moves::MoveProgress;

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
        self.blocking(|| queues::add_permission(self, ctx, input))
    }

    async fn cancel_message_move_task(
        &self,
        ctx: &RequestContext,
        input: CancelMessageMoveTaskRequest,
    ) -> Result<CancelMessageMoveTaskResult, AwsError> {
        self.blocking(|| moves::cancel_message_move_task(self, ctx, input))
    }

    async fn change_message_visibility(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| messages::change_message_visibility(self, ctx, input))
    }

    async fn change_message_visibility_batch(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityBatchRequest,
    ) -> Result<ChangeMessageVisibilityBatchResult, AwsError> {
        self.blocking(|| batch::change_message_visibility_batch(self, ctx, input))
    }

    async fn create_queue(
        &self,
        ctx: &RequestContext,
        input: CreateQueueRequest,
    ) -> Result<CreateQueueResult, AwsError> {
        self.blocking(|| queues::create_queue(self, ctx, input))
    }

    async fn delete_message(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| messages::delete_message(self, ctx, input))
    }

    async fn delete_message_batch(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageBatchRequest,
    ) -> Result<DeleteMessageBatchResult, AwsError> {
        self.blocking(|| batch::delete_message_batch(self, ctx, input))
    }

    async fn delete_queue(
        &self,
        ctx: &RequestContext,
        input: DeleteQueueRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| queues::delete_queue(self, ctx, input))
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: GetQueueAttributesRequest,
    ) -> Result<GetQueueAttributesResult, AwsError> {
        self.blocking(|| queues::get_queue_attributes(self, ctx, input))
    }

    async fn get_queue_url(
        &self,
        ctx: &RequestContext,
        input: GetQueueUrlRequest,
    ) -> Result<GetQueueUrlResult, AwsError> {
        self.blocking(|| queues::get_queue_url(self, ctx, input))
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        input: ListDeadLetterSourceQueuesRequest,
    ) -> Result<ListDeadLetterSourceQueuesResult, AwsError> {
        self.blocking(|| queues::list_dead_letter_source_queues(self, ctx, input))
    }

    async fn list_message_move_tasks(
        &self,
        ctx: &RequestContext,
        input: ListMessageMoveTasksRequest,
    ) -> Result<ListMessageMoveTasksResult, AwsError> {
        self.blocking(|| moves::list_message_move_tasks(self, ctx, input))
    }

    async fn list_queue_tags(
        &self,
        ctx: &RequestContext,
        input: ListQueueTagsRequest,
    ) -> Result<ListQueueTagsResult, AwsError> {
        self.blocking(|| queues::list_queue_tags(self, ctx, input))
    }

    async fn list_queues(
        &self,
        ctx: &RequestContext,
        input: ListQueuesRequest,
    ) -> Result<ListQueuesResult, AwsError> {
        self.blocking(|| queues::list_queues(self, ctx, input))
    }

    async fn purge_queue(
        &self,
        ctx: &RequestContext,
        input: PurgeQueueRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| queues::purge_queue(self, ctx, input))
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
        self.blocking(|| queues::remove_permission(self, ctx, input))
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        input: SendMessageRequest,
    ) -> Result<SendMessageResult, AwsError> {
        self.blocking(|| messages::send_message(self, ctx, input))
    }

    async fn send_message_batch(
        &self,
        ctx: &RequestContext,
        input: SendMessageBatchRequest,
    ) -> Result<SendMessageBatchResult, AwsError> {
        self.blocking(|| batch::send_message_batch(self, ctx, input))
    }

    async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: SetQueueAttributesRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| queues::set_queue_attributes(self, ctx, input))
    }

    async fn start_message_move_task(
        &self,
        ctx: &RequestContext,
        input: StartMessageMoveTaskRequest,
    ) -> Result<StartMessageMoveTaskResult, AwsError> {
        self.blocking(|| moves::start_message_move_task(self, ctx, input))
    }

    async fn tag_queue(
        &self,
        ctx: &RequestContext,
        input: TagQueueRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| queues::tag_queue(self, ctx, input))
    }

    async fn untag_queue(
        &self,
        ctx: &RequestContext,
        input: UntagQueueRequest,
    ) -> Result<(), AwsError> {
        self.blocking(|| queues::untag_queue(self, ctx, input))
    }
}
