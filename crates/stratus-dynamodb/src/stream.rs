//! DynamoDB Streams records: every change to a table with a stream is
//! appended to its log (one shard), kept for 24 hours, and read by the
//! `dynamodbstreams` service through [`crate::StreamsApi`]. Records are
//! written to the store with the change they describe, so they survive a
//! restart with their sequence numbers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value as Json, json};

use stratus_core::ids;

use crate::attr::{Item, item_size};
use crate::state::{ItemKey, TableMeta, item_from_json, item_to_json};

/// How long records stay readable.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Sequence numbers are global and increasing, shaped like AWS's 21 digits.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);
const SEQ_BASE: u128 = 100_000_000_000_000_000_000;

pub fn seq_text(seq: u64) -> String {
    (SEQ_BASE + seq as u128).to_string()
}

/// After a restart, numbering continues above the records kept.
pub fn seq_continue_after(seq: u64) {
    NEXT_SEQ.fetch_max(seq + 1, Ordering::Relaxed);
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

impl Record {
    pub fn to_json(&self) -> Json {
        json!({
            "seq": self.seq,
            "eventId": self.event_id,
            "eventName": self.event_name,
            "keys": item_to_json(&self.keys),
            "new": self.new_image.as_ref().map(item_to_json),
            "old": self.old_image.as_ref().map(item_to_json),
            "created": self.created_ms,
            "size": self.size,
            "view": self.view,
            "byService": self.by_service,
        })
    }

    pub fn from_json(j: &Json) -> Option<Record> {
        let image = |k: &str| match j.get(k) {
            Some(Json::Null) | None => Some(None),
            Some(v) => item_from_json(v).map(Some),
        };
        Some(Record {
            seq: j["seq"].as_u64()?,
            event_id: j["eventId"].as_str()?.to_string(),
            event_name: match j["eventName"].as_str()? {
                "INSERT" => "INSERT",
                "MODIFY" => "MODIFY",
                _ => "REMOVE",
            },
            keys: item_from_json(&j["keys"])?,
            new_image: image("new")?,
            old_image: image("old")?,
            created_ms: j["created"].as_i64()?,
            size: j["size"].as_u64()? as usize,
            view: j["view"].as_str()?.to_string(),
            by_service: j["byService"].as_bool().unwrap_or(false),
        })
    }
}

/// What one change did to the log: the record it added and the sequence
/// numbers of the expired records it dropped.
pub struct Appended {
    pub record: Record,
    pub expired: Vec<u64>,
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
    ) -> Option<Appended> {
        let view = meta.stream.as_ref()?;
        let event_name = match (old, new) {
            (None, Some(_)) => "INSERT",
            (Some(o), Some(n)) if o != n => "MODIFY",
            (Some(_), None) => "REMOVE",
            _ => return None,
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
        let record = Record {
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
        };
        self.records.push_back(record.clone());
        let mut expired = Vec::new();
        while self
            .records
            .front()
            .is_some_and(|r| r.created_ms < now_ms - RETENTION_MS)
        {
            expired.extend(self.records.pop_front().map(|r| r.seq));
        }
        Some(Appended { record, expired })
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

    #[test]
    fn records_round_trip_through_json() {
        let mut item = Item::new();
        item.insert("id".into(), crate::attr::Attr::S("a".into()));
        let r = Record {
            seq: 9,
            event_id: "e".into(),
            event_name: "MODIFY",
            keys: item.clone(),
            new_image: Some(item.clone()),
            old_image: None,
            created_ms: 5,
            size: 3,
            view: "NEW_IMAGE".into(),
            by_service: true,
        };
        let back = Record::from_json(&r.to_json()).unwrap();
        assert_eq!(
            (
                back.seq,
                back.event_name,
                back.keys,
                back.new_image,
                back.old_image
            ),
            (9, "MODIFY", item.clone(), Some(item), None)
        );
        assert_eq!((back.created_ms, back.size, back.by_service), (5, 3, true));
    }
}
