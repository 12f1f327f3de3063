//! DynamoDB: tables, items, expressions, queries, batches and transactions,
//! on our own engine over the state store.

mod attr;
mod expr;
#[rustfmt::skip]
mod generated;
mod legacy;
mod number;
mod ops;
mod reserved;
mod state;
mod ttl;

use std::sync::Arc;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::{HandlerFuture, Service, Value};
use stratus_store::Store;

use crate::state::{Table, Tables};

pub struct DynamoDb {
    tables: Arc<Tables>,
}

impl DynamoDb {
    /// Loads every table and item the store holds.
    pub fn new(store: Store) -> Result<DynamoDb, AwsError> {
        Ok(DynamoDb {
            tables: Arc::new(Tables::load(store)?),
        })
    }

    /// The background work that expires items by their TTL attribute.
    pub fn ttl_task(&self) -> Arc<dyn stratus_core::tasks::Task> {
        Arc::new(ttl::TtlSweeper {
            tables: self.tables.clone(),
        })
    }

    /// The table an item operation names; AWS answers these without the name.
    fn table(&self, ctx: &RequestContext, name: &str) -> Result<Arc<Table>, AwsError> {
        self.tables
            .get(ctx.account_id(), &ctx.region, name)
            .ok_or_else(|| {
                AwsError::bad_request("ResourceNotFoundException", "Requested resource not found")
            })
    }

    /// The table a table operation names; AWS names it in the error.
    fn table_for_describe(&self, ctx: &RequestContext, name: &str) -> Result<Arc<Table>, AwsError> {
        self.tables
            .get(ctx.account_id(), &ctx.region, name)
            .ok_or_else(|| ops::tables::not_found_table(name))
    }
}

impl Service for DynamoDb {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    fn operations(&self) -> &'static [&'static str] {
        generated::OPERATIONS
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> HandlerFuture<'a> {
        generated::dispatch(self, ctx, operation, input)
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.tables.reset()
    }
}
