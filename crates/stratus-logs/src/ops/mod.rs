//! The CloudWatch Logs operations, one module per resource; the trait impl only routes.

pub(crate) mod events;
mod exports;
pub(crate) mod groups;
pub(crate) mod metric_filters;
mod queries;
pub(crate) mod streams;
mod subscriptions;
mod tags;

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::generated::*;

impl Handlers for Logs {
    async fn associate_kms_key(
        &self,
        ctx: &RequestContext,
        input: AssociateKmsKeyRequest,
    ) -> Result<(), AwsError> {
        groups::associate_kms_key(self, ctx, input)
    }

    async fn cancel_export_task(
        &self,
        ctx: &RequestContext,
        input: CancelExportTaskRequest,
    ) -> Result<(), AwsError> {
        exports::cancel_export_task(self, ctx, input)
    }

    async fn create_export_task(
        &self,
        ctx: &RequestContext,
        input: CreateExportTaskRequest,
    ) -> Result<CreateExportTaskResponse, AwsError> {
        exports::create_export_task(self, ctx, input)
    }

    async fn create_log_group(
        &self,
        ctx: &RequestContext,
        input: CreateLogGroupRequest,
    ) -> Result<(), AwsError> {
        groups::create_log_group(self, ctx, input)
    }

    async fn create_log_stream(
        &self,
        ctx: &RequestContext,
        input: CreateLogStreamRequest,
    ) -> Result<(), AwsError> {
        streams::create_log_stream(self, ctx, input)
    }

    async fn delete_log_group(
        &self,
        ctx: &RequestContext,
        input: DeleteLogGroupRequest,
    ) -> Result<(), AwsError> {
        groups::delete_log_group(self, ctx, input)
    }

    async fn delete_log_stream(
        &self,
        ctx: &RequestContext,
        input: DeleteLogStreamRequest,
    ) -> Result<(), AwsError> {
        streams::delete_log_stream(self, ctx, input)
    }

    async fn delete_metric_filter(
        &self,
        ctx: &RequestContext,
        input: DeleteMetricFilterRequest,
    ) -> Result<(), AwsError> {
        metric_filters::delete_metric_filter(self, ctx, input)
    }

    async fn delete_retention_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        groups::delete_retention_policy(self, ctx, input)
    }

    async fn delete_subscription_filter(
        &self,
        ctx: &RequestContext,
        input: DeleteSubscriptionFilterRequest,
    ) -> Result<(), AwsError> {
        subscriptions::delete_subscription_filter(self, ctx, input)
    }

    async fn describe_export_tasks(
        &self,
        ctx: &RequestContext,
        input: DescribeExportTasksRequest,
    ) -> Result<DescribeExportTasksResponse, AwsError> {
        exports::describe_export_tasks(self, ctx, input)
    }

    async fn describe_log_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse, AwsError> {
        groups::describe_log_groups(self, ctx, input)
    }

    async fn describe_log_streams(
        &self,
        ctx: &RequestContext,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, AwsError> {
        streams::describe_log_streams(self, ctx, input)
    }

    async fn describe_metric_filters(
        &self,
        ctx: &RequestContext,
        input: DescribeMetricFiltersRequest,
    ) -> Result<DescribeMetricFiltersResponse, AwsError> {
        metric_filters::describe_metric_filters(self, ctx, input)
    }

    async fn describe_queries(
        &self,
        ctx: &RequestContext,
        input: DescribeQueriesRequest,
    ) -> Result<DescribeQueriesResponse, AwsError> {
        queries::describe_queries(self, ctx, input)
    }

    async fn describe_subscription_filters(
        &self,
        ctx: &RequestContext,
        input: DescribeSubscriptionFiltersRequest,
    ) -> Result<DescribeSubscriptionFiltersResponse, AwsError> {
        subscriptions::describe_subscription_filters(self, ctx, input)
    }

    async fn disassociate_kms_key(
        &self,
        ctx: &RequestContext,
        input: DisassociateKmsKeyRequest,
    ) -> Result<(), AwsError> {
        groups::disassociate_kms_key(self, ctx, input)
    }

    async fn filter_log_events(
        &self,
        ctx: &RequestContext,
        input: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse, AwsError> {
        events::filter_log_events(self, ctx, input)
    }

    async fn get_log_events(
        &self,
        ctx: &RequestContext,
        input: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse, AwsError> {
        events::get_log_events(self, ctx, input)
    }

    async fn get_log_group_fields(
        &self,
        ctx: &RequestContext,
        input: GetLogGroupFieldsRequest,
    ) -> Result<GetLogGroupFieldsResponse, AwsError> {
        queries::get_log_group_fields(self, ctx, input)
    }

    async fn get_query_results(
        &self,
        ctx: &RequestContext,
        input: GetQueryResultsRequest,
    ) -> Result<GetQueryResultsResponse, AwsError> {
        queries::get_query_results(self, ctx, input)
    }

    async fn list_log_groups(
        &self,
        ctx: &RequestContext,
        input: ListLogGroupsRequest,
    ) -> Result<ListLogGroupsResponse, AwsError> {
        groups::list_log_groups(self, ctx, input)
    }

    async fn get_log_record(
        &self,
        ctx: &RequestContext,
        input: GetLogRecordRequest,
    ) -> Result<GetLogRecordResponse, AwsError> {
        queries::get_log_record(self, ctx, input)
    }

    async fn put_query_definition(
        &self,
        ctx: &RequestContext,
        input: PutQueryDefinitionRequest,
    ) -> Result<PutQueryDefinitionResponse, AwsError> {
        queries::put_query_definition(self, ctx, input)
    }

    async fn describe_query_definitions(
        &self,
        ctx: &RequestContext,
        input: DescribeQueryDefinitionsRequest,
    ) -> Result<DescribeQueryDefinitionsResponse, AwsError> {
        queries::describe_query_definitions(self, ctx, input)
    }

    async fn delete_query_definition(
        &self,
        ctx: &RequestContext,
        input: DeleteQueryDefinitionRequest,
    ) -> Result<DeleteQueryDefinitionResponse, AwsError> {
        queries::delete_query_definition(self, ctx, input)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        tags::list_tags_for_resource(self, ctx, input)
    }

    async fn list_tags_log_group(
        &self,
        ctx: &RequestContext,
        input: ListTagsLogGroupRequest,
    ) -> Result<ListTagsLogGroupResponse, AwsError> {
        tags::list_tags_log_group(self, ctx, input)
    }

    async fn put_log_events(
        &self,
        ctx: &RequestContext,
        input: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse, AwsError> {
        events::put_log_events(self, ctx, input)
    }

    async fn put_log_group_deletion_protection(
        &self,
        ctx: &RequestContext,
        input: PutLogGroupDeletionProtectionRequest,
    ) -> Result<(), AwsError> {
        groups::put_log_group_deletion_protection(self, ctx, input)
    }

    async fn put_metric_filter(
        &self,
        ctx: &RequestContext,
        input: PutMetricFilterRequest,
    ) -> Result<(), AwsError> {
        metric_filters::put_metric_filter(self, ctx, input)
    }

    async fn put_retention_policy(
        &self,
        ctx: &RequestContext,
        input: PutRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        groups::put_retention_policy(self, ctx, input)
    }

    async fn put_subscription_filter(
        &self,
        ctx: &RequestContext,
        input: PutSubscriptionFilterRequest,
    ) -> Result<(), AwsError> {
        subscriptions::put_subscription_filter(self, ctx, input)
    }

    async fn start_query(
        &self,
        ctx: &RequestContext,
        input: StartQueryRequest,
    ) -> Result<StartQueryResponse, AwsError> {
        queries::start_query(self, ctx, input)
    }

    async fn stop_query(
        &self,
        ctx: &RequestContext,
        input: StopQueryRequest,
    ) -> Result<StopQueryResponse, AwsError> {
        queries::stop_query(self, ctx, input)
    }

    async fn tag_log_group(
        &self,
        ctx: &RequestContext,
        input: TagLogGroupRequest,
    ) -> Result<(), AwsError> {
        tags::tag_log_group(self, ctx, input)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<(), AwsError> {
        tags::tag_resource(self, ctx, input)
    }

    async fn test_metric_filter(
        &self,
        ctx: &RequestContext,
        input: TestMetricFilterRequest,
    ) -> Result<TestMetricFilterResponse, AwsError> {
        metric_filters::test_metric_filter(self, ctx, input)
    }

    async fn untag_log_group(
        &self,
        ctx: &RequestContext,
        input: UntagLogGroupRequest,
    ) -> Result<(), AwsError> {
        tags::untag_log_group(self, ctx, input)
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        tags::untag_resource(self, ctx, input)
    }
}

/// A log group named by name or by ARN (`...:log-group:NAME`, with or
/// without the trailing `:*`).
pub(crate) fn group_name(ident: &str) -> String {
    if ident.starts_with("arn:") {
        if let Some(i) = ident.find(":log-group:") {
            let n = &ident[i + ":log-group:".len()..];
            return n.strip_suffix(":*").unwrap_or(n).to_string();
        }
    }
    ident.to_string()
}

/// `logGroupName` or `logGroupIdentifier`: exactly one of them.
pub(crate) fn name_or_identifier(
    name: Option<&str>,
    ident: Option<&str>,
) -> Result<String, AwsError> {
    match (name, ident) {
        (Some(_), Some(_)) => Err(AwsError::bad_request(
            "ValidationException",
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => Ok(n.to_string()),
        (None, Some(i)) => Ok(group_name(i)),
        (None, None) => Err(crate::errors::invalid(
            "Should provide either name or ARN of the LogGroup.",
        )),
    }
}
