//! DynamoDB Streams records: every change to a table with a stream is
//! appended to its log (one shard), kept for 24 hours, and read by the
//! `dynamodbstreams` service through [`crate::StreamsApi`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use stratus_core::ids;

use crate::attr::{Item, item_size};
use crate::state::{ItemKey, TableMeta};

/// How long records stay readable.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Sequence numbers are global and increasing, shaped like AWS's 21 digits.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);
const SEQ_BASE: u128 = 100_000_000_000_000_000_000;

pub fn seq_text(seq: u64) -> String {
    (SEQ_BASE + seq as u128).to_string()
}

pub fn seq_parse(s: &str) -> Option<u64> {
    let n: u128 = s.parse().ok()?;
    u64::try_from(n.checked_sub(SEQ_BASE)?).ok()
}

#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    pub event_id: String,
    pub event_name: &'static str,
    pub keys: Item,
    pub new_image: Option<Item>,
    pub old_image: Option<Item>,
    pub created_ms: i64,
    pub size: usize,
    pub view: String,
    /// Deleted by TTL: the record names the DynamoDB service as its author.
    pub by_service: bool,
}

#[derive(Default)]
pub struct Log {
    pub records: VecDeque<Record>,
}

impl Log {
    /// Appends the change, if it is one, as the table's stream view asks.
    pub fn record(
        &mut self,
        meta: &TableMeta,
        _key: &ItemKey,
        old: Option<&Item>,
        new: Option<&Item>,
        now_ms: i64,
        by_service: bool,
    ) {
        let Some(view) = &meta.stream else { return };
        let event_name = match (old, new) {
            (None, Some(_)) => "INSERT",
            (Some(o), Some(n)) if o != n => "MODIFY",
            (Some(_), None) => "REMOVE",
            _ => return,
        };
        let any = new.or(old).cloned().unwrap_or_default();
        let keys: Item = meta
            .key_names()
            .iter()
            .filter_map(|k| any.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        let (new_image, old_image) = match view.as_str() {
            "NEW_IMAGE" => (new.cloned(), None),
            "OLD_IMAGE" => (None, old.cloned()),
            "NEW_AND_OLD_IMAGES" => (new.cloned(), old.cloned()),
            _ => (None, None),
        };
        let size = item_size(&keys)
            + new_image.as_ref().map_or(0, item_size)
            + old_image.as_ref().map_or(0, item_size);
        self.records.push_back(Record {
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            event_id: ids::hex(32),
            event_name,
            keys,
            new_image,
            old_image,
            created_ms: now_ms,
            size,
            view: view.clone(),
            by_service,
        });
        while self
            .records
            .front()
            .is_some_and(|r| r.created_ms < now_ms - RETENTION_MS)
        {
            self.records.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_round_trip() {
        assert_eq!(seq_text(5), "100000000000000000005");
        assert_eq!(seq_parse(&seq_text(42)), Some(42));
        assert_eq!(seq_parse("12"), None);
    }
}
