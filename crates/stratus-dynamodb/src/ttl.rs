//! Time to live: items whose TTL attribute (epoch seconds) has passed are
//! deleted by a background task on the clock, as DynamoDB does (it ignores
//! values more than five years in the past, and non-numbers).

use std::sync::Arc;

use stratus_core::tasks::Task;

use crate::attr::Attr;
use crate::state::Tables;

const FIVE_YEARS_SECS: i64 = 5 * 365 * 24 * 3600;

pub struct TtlSweeper {
    pub tables: Arc<Tables>,
}

impl Task for TtlSweeper {
    fn name(&self) -> &str {
        "dynamodb-ttl"
    }

    fn tick(&self, now_ms: i64) {
        let now = now_ms / 1000;
        for table in self.tables.all() {
            let meta = table.meta.read().clone();
            // A table being deleted loses its items all at once.
            if meta.status(now_ms) == crate::state::DELETING {
                continue;
            }
            let Some(attr) = meta.ttl_attribute.clone() else {
                continue;
            };
            let mut items = table.items.lock();
            let expired: Vec<_> = items
                .iter()
                .filter(|(_, i)| match i.get(&attr) {
                    Some(Attr::N(n)) => n
                        .to_string()
                        .split('.')
                        .next()
                        .and_then(|s| s.parse::<i64>().ok())
                        .is_some_and(|t| t <= now && t > now - FIVE_YEARS_SECS),
                    _ => false,
                })
                .map(|(k, _)| k.clone())
                .collect();
            if expired.is_empty() {
                continue;
            }
            let changes: Vec<_> = expired.iter().map(|k| (&meta, k.clone(), None)).collect();
            if let Err(e) = self
                .tables
                .write_items(&changes)
                .and_then(crate::state::durable)
            {
                tracing::warn!(table = %meta.name, error = %e, "TTL deletion failed; will retry");
                continue;
            }
            let mut records = Vec::new();
            for k in expired {
                if let Some(old) = items.remove(&k) {
                    records.push(table.record(&meta, &k, Some(&old), None, now_ms, true));
                }
            }
            drop(items);
            for r in records {
                if let Err(e) = r.and_then(crate::state::durable) {
                    tracing::warn!(table = %meta.name, error = %e, "TTL stream record not stored");
                }
            }
        }
    }
}
