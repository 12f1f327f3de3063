//! The DynamoDB operations; the trait impl only routes.

pub(crate) mod batch;
pub mod items;
mod query;
mod statements;
pub mod tables;

use stratus_core::{AwsError, RequestContext};

use crate::DynamoDb;
use crate::generated::*;

impl Handlers for DynamoDb {
    async fn batch_get_item(
        &self,
        ctx: &RequestContext,
        input: BatchGetItemInput,
    ) -> Result<BatchGetItemOutput, AwsError> {
        batch::batch_get(self, ctx, input)
    }
    async fn batch_write_item(
        &self,
        ctx: &RequestContext,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, AwsError> {
        batch::batch_write(self, ctx, input)
    }
    async fn create_table(
        &self,
        ctx: &RequestContext,
        input: CreateTableInput,
    ) -> Result<CreateTableOutput, AwsError> {
        tables::create_table(self, ctx, input)
    }
    async fn delete_item(
        &self,
        ctx: &RequestContext,
        input: DeleteItemInput,
    ) -> Result<DeleteItemOutput, AwsError> {
        items::delete_item(self, ctx, input)
    }
    async fn delete_table(
        &self,
        ctx: &RequestContext,
        input: DeleteTableInput,
    ) -> Result<DeleteTableOutput, AwsError> {
        tables::delete_table(self, ctx, input)
    }
    async fn describe_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: DescribeContinuousBackupsInput,
    ) -> Result<DescribeContinuousBackupsOutput, AwsError> {
        tables::describe_backups(self, ctx, input)
    }
    async fn update_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: UpdateContinuousBackupsInput,
    ) -> Result<UpdateContinuousBackupsOutput, AwsError> {
        tables::update_backups(self, ctx, input)
    }
    async fn execute_statement(
        &self,
        ctx: &RequestContext,
        input: ExecuteStatementInput,
    ) -> Result<ExecuteStatementOutput, AwsError> {
        statements::execute(self, ctx, input)
    }
    async fn batch_execute_statement(
        &self,
        ctx: &RequestContext,
        input: BatchExecuteStatementInput,
    ) -> Result<BatchExecuteStatementOutput, AwsError> {
        statements::batch(self, ctx, input)
    }
    async fn execute_transaction(
        &self,
        ctx: &RequestContext,
        input: ExecuteTransactionInput,
    ) -> Result<ExecuteTransactionOutput, AwsError> {
        statements::transaction(self, ctx, input)
    }
    async fn describe_table(
        &self,
        ctx: &RequestContext,
        input: DescribeTableInput,
    ) -> Result<DescribeTableOutput, AwsError> {
        // A transition lasts a fraction of a second: waiting it out here lets
        // `wait_until_exists` succeed on its first call instead of sleeping
        // its 20-second delay. A move of the test clock ends the wait early.
        if let Some(ms) = tables::settling(self, ctx, &input.table_name) {
            let sleep = tokio::time::sleep(std::time::Duration::from_millis(ms.max(0) as u64));
            tokio::select! {
                _ = sleep => {}
                _ = ctx.clock.moved() => {}
            }
        }
        tables::describe_table(self, ctx, input)
    }
    async fn describe_time_to_live(
        &self,
        ctx: &RequestContext,
        input: DescribeTimeToLiveInput,
    ) -> Result<DescribeTimeToLiveOutput, AwsError> {
        tables::describe_ttl(self, ctx, input)
    }
    async fn get_item(
        &self,
        ctx: &RequestContext,
        input: GetItemInput,
    ) -> Result<GetItemOutput, AwsError> {
        items::get_item(self, ctx, input)
    }
    async fn list_tables(
        &self,
        ctx: &RequestContext,
        input: ListTablesInput,
    ) -> Result<ListTablesOutput, AwsError> {
        tables::list_tables(self, ctx, input)
    }
    async fn list_tags_of_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, AwsError> {
        tables::list_tags(self, ctx, input)
    }
    async fn put_item(
        &self,
        ctx: &RequestContext,
        input: PutItemInput,
    ) -> Result<PutItemOutput, AwsError> {
        items::put_item(self, ctx, input)
    }
    async fn query(
        &self,
        ctx: &RequestContext,
        input: QueryInput,
    ) -> Result<QueryOutput, AwsError> {
        query::query(self, ctx, input)
    }
    async fn scan(&self, ctx: &RequestContext, input: ScanInput) -> Result<ScanOutput, AwsError> {
        query::scan(self, ctx, input)
    }
    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceInput,
    ) -> Result<(), AwsError> {
        tables::tag_resource(self, ctx, input)
    }
    async fn transact_get_items(
        &self,
        ctx: &RequestContext,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, AwsError> {
        batch::transact_get(self, ctx, input)
    }
    async fn transact_write_items(
        &self,
        ctx: &RequestContext,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, AwsError> {
        batch::transact_write(self, ctx, input)
    }
    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceInput,
    ) -> Result<(), AwsError> {
        tables::untag_resource(self, ctx, input)
    }
    async fn update_item(
        &self,
        ctx: &RequestContext,
        input: UpdateItemInput,
    ) -> Result<UpdateItemOutput, AwsError> {
        items::update_item(self, ctx, input)
    }
    async fn update_table(
        &self,
        ctx: &RequestContext,
        input: UpdateTableInput,
    ) -> Result<UpdateTableOutput, AwsError> {
        tables::update_table(self, ctx, input)
    }
    async fn update_time_to_live(
        &self,
        ctx: &RequestContext,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, AwsError> {
        tables::update_ttl(self, ctx, input)
    }
}
