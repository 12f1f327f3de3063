//! DynamoDB: tables, items, expressions, queries, batches and transactions,
//! on our own engine over the state store.

mod attr;
mod capacity;
mod deletion;
mod expr;
#[rustfmt::skip]
mod generated;
mod legacy;
mod number;
mod ops;
mod partiql;
mod reserved;
mod resources;
mod state;
mod stream;
mod ttl;

use std::sync::Arc;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Value;
use stratus_store::Store;

use crate::state::{Table, Tables};

pub struct DynamoDb {
    tables: Arc<Tables>,
    /// TransactWriteItems client tokens seen in the last 10 minutes:
    /// (account, token) -> (request fingerprint, when).
    tokens: parking_lot::Mutex<std::collections::HashMap<(String, String), (String, i64)>>,
}

impl DynamoDb {
    /// Loads every table and item the store holds.
    pub fn new(store: Store) -> Result<DynamoDb, AwsError> {
        Ok(DynamoDb {
            tables: Arc::new(Tables::load(store)?),
            tokens: Default::default(),
        })
    }

    pub fn streams(&self) -> StreamsApi {
        StreamsApi {
            tables: self.tables.clone(),
        }
    }

    /// The background work that expires items by their TTL attribute.
    pub fn ttl_task(&self) -> Arc<dyn stratus_core::tasks::Task> {
        Arc::new(ttl::TtlSweeper {
            tables: self.tables.clone(),
        })
    }

    /// The background work that removes deleted tables and indexes once
    /// their DELETING phase has ended.
    pub fn deletion_task(&self) -> Arc<dyn stratus_core::tasks::Task> {
        Arc::new(deletion::Reaper {
            tables: self.tables.clone(),
        })
    }

    /// The table an item operation names; AWS answers these without the
    /// name, and treats a table still being created, or being deleted, as
    /// missing.
    fn table(&self, ctx: &RequestContext, name: &str) -> Result<Arc<Table>, AwsError> {
        let now = ctx.clock.now_millis();
        self.tables
            .live(ctx.account_id(), &ctx.region, name, now)
            .filter(|t| !matches!(t.meta.read().status(now), "CREATING" | state::DELETING))
            .ok_or_else(|| {
                AwsError::bad_request("ResourceNotFoundException", "Requested resource not found")
            })
    }

    /// Backup operations name the table in their own error.
    fn table_for_backups(&self, ctx: &RequestContext, name: &str) -> Result<Arc<Table>, AwsError> {
        self.tables
            .live(ctx.account_id(), &ctx.region, name, ctx.clock.now_millis())
            .ok_or_else(|| {
                AwsError::bad_request("TableNotFoundException", format!("Table not found: {name}"))
            })
    }

    /// The table a table operation names; AWS names it in the error.
    fn table_for_describe(&self, ctx: &RequestContext, name: &str) -> Result<Arc<Table>, AwsError> {
        self.tables
            .live(ctx.account_id(), &ctx.region, name, ctx.clock.now_millis())
            .ok_or_else(|| ops::tables::not_found_table(name))
    }
}

/// What the DynamoDB Streams service reads: table streams and their records.
#[derive(Clone)]
pub struct StreamsApi {
    tables: Arc<Tables>,
}

/// A table's stream as DescribeStream and ListStreams report it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub arn: String,
    pub table_name: String,
    pub label: String,
    pub view: String,
    pub hash_key: String,
    pub range_key: Option<String>,
    pub created_ms: i64,
    pub shard_id: String,
    /// `ENABLED`, or `DISABLED` once its table is being deleted.
    pub status: &'static str,
}

/// One change record, with its images as wire values.
#[derive(Debug, Clone)]
pub struct ChangeRecord {
    pub sequence_number: String,
    pub event_id: String,
    pub event_name: String,
    pub created_ms: i64,
    pub keys: Value,
    pub new_image: Option<Value>,
    pub old_image: Option<Value>,
    pub size: i64,
    pub view: String,
    pub by_service: bool,
}

fn item_value(item: &attr::Item) -> Value {
    stratus_protocol::ToValue::to_value(attr::item_to_wire(item))
}

impl StreamsApi {
    fn info(t: &Table, now_ms: i64) -> Option<StreamInfo> {
        let m = t.meta.read();
        let label = m.stream_label.clone()?;
        m.stream.as_ref()?;
        Some(StreamInfo {
            arn: format!("{}/stream/{label}", m.arn()),
            table_name: m.name.clone(),
            view: m.stream.clone().unwrap_or_default(),
            hash_key: m.hash.name.clone(),
            range_key: m.range.as_ref().map(|r| r.name.clone()),
            created_ms: m.created_ms,
            shard_id: format!(
                "shardId-{:020}-{}",
                m.created_ms,
                &m.id.replace('-', "")[..8]
            ),
            label,
            status: if m.status(now_ms) == state::DELETING {
                "DISABLED"
            } else {
                "ENABLED"
            },
        })
    }

    /// Streams of the account and region at `now_ms`, optionally of one
    /// table; a table's stream goes with the table.
    pub fn list(
        &self,
        account: &str,
        region: &str,
        table: Option<&str>,
        now_ms: i64,
    ) -> Vec<StreamInfo> {
        self.tables
            .list(account, region, now_ms)
            .iter()
            .filter(|n| table.is_none_or(|t| t == n.as_str()))
            .filter_map(|n| self.tables.live(account, region, n, now_ms))
            .filter_map(|t| Self::info(&t, now_ms))
            .collect()
    }

    pub fn describe(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        now_ms: i64,
    ) -> Option<(StreamInfo, Option<String>)> {
        let s = self
            .list(account, region, None, now_ms)
            .into_iter()
            .find(|s| s.arn == arn)?;
        let t = self.tables.live(account, region, &s.table_name, now_ms)?;
        let first = t
            .stream
            .lock()
            .records
            .front()
            .map(|r| stream::seq_text(r.seq));
        Some((s, first))
    }

    /// The sequence number of the newest record (0 when none).
    pub fn latest(&self, account: &str, region: &str, arn: &str, now_ms: i64) -> Option<u64> {
        let (s, _) = self.describe(account, region, arn, now_ms)?;
        let t = self.tables.live(account, region, &s.table_name, now_ms)?;
        let latest = t.stream.lock().records.back().map_or(0, |r| r.seq);
        Some(latest)
    }

    /// Up to `limit` records after sequence number `after`, of those still
    /// within their retention at `now_ms` (records kept across a long
    /// stop may have outlived it).
    pub fn read(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        after: u64,
        limit: usize,
        now_ms: i64,
    ) -> Option<Vec<ChangeRecord>> {
        let (s, _) = self.describe(account, region, arn, now_ms)?;
        let t = self.tables.live(account, region, &s.table_name, now_ms)?;
        let log = t.stream.lock();
        Some(
            log.records
                .iter()
                .filter(|r| r.seq > after && r.created_ms >= now_ms - stream::RETENTION_MS)
                .take(limit)
                .map(|r| ChangeRecord {
                    sequence_number: stream::seq_text(r.seq),
                    event_id: r.event_id.clone(),
                    event_name: r.event_name.to_string(),
                    created_ms: r.created_ms,
                    keys: item_value(&r.keys),
                    new_image: r.new_image.as_ref().map(item_value),
                    old_image: r.old_image.as_ref().map(item_value),
                    size: r.size as i64,
                    view: r.view.clone(),
                    by_service: r.by_service,
                })
                .collect(),
        )
    }

    pub fn parse_sequence(s: &str) -> Option<u64> {
        stream::seq_parse(s)
    }

    pub fn sequence_text(seq: u64) -> String {
        stream::seq_text(seq)
    }
}

stratus_protocol::service!(DynamoDb, "dynamodb", |me| me.tables.reset();
    fn resource_arns(
        &self,
        caller: &stratus_core::Identity,
        region: &str,
        operation: &str,
        input: &stratus_protocol::Value,
    ) -> Vec<String> {
        resources::for_operation(caller, region, operation, input)
    }
);
