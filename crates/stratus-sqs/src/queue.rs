//! One queue: its settings and messages, and the delivery rules over them
//! (visibility, delays, FIFO groups, retention). Pure logic on a clock value.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::message::Message;

/// What is stored per queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// A FIFO deduplication entry: a repeat within the window gets the first answer.
/// Stored, so a restart within the window still deduplicates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dedup {
    pub expires_ms: i64,
    pub message_id: String,
    pub sequence_number: Option<String>,
}

pub const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A FIFO receive that may be retried with the same `ReceiveRequestAttemptId`:
/// the messages it returned, the receive each handle names and the
/// visibility it gave them (a change of visibility spoils the retry).
/// Stored, so a retry after a restart still gets the same handles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub expires_ms: i64,
    pub received: Vec<(u64, String, i64)>,
}

/// What a sweep removed: messages past retention, and deduplication entries
/// and receive attempts past their window.
#[derive(Debug, Default, PartialEq)]
pub struct Expired {
    pub messages: Vec<u64>,
    pub dedup: Vec<String>,
    pub attempts: Vec<String>,
}
/// Deduplication entries are swept when this many have piled up.
const DEDUP_SWEEP_AT: usize = 4096;

/// What happened to a queue since its metrics were last published.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Activity {
    pub sent: u64,
    pub sent_bytes: u64,
    pub received: u64,
    pub deleted: u64,
    pub empty_receives: u64,
}

pub struct Queue {
    pub rec: QueueRecord,
    pub activity: Activity,
    pub messages: BTreeMap<u64, Message>,
    pub dedup: HashMap<String, Dedup>,
    pub attempts: HashMap<String, Attempt>,
    pub last_purge_ms: Option<i64>,
    /// Woken on every send so long polls return at once.
    pub notify: Arc<Notify>,
    /// No message expires before this instant, so most calls skip the scan.
    pub expiry_check_ms: i64,
}

impl Queue {
    pub fn new(rec: QueueRecord) -> Queue {
        Queue {
            rec,
            activity: Activity::default(),
            messages: BTreeMap::new(),
            dedup: HashMap::new(),
            attempts: HashMap::new(),
            last_purge_ms: None,
            notify: Arc::new(Notify::new()),
            expiry_check_ms: 0,
        }
    }

    pub fn key(&self) -> String {
        key(&self.rec.account, &self.rec.region, &self.rec.name)
    }

    pub fn arn(&self) -> String {
        crate::url::arn(&self.rec.region, &self.rec.account, &self.rec.name)
    }

    pub fn is_fifo(&self) -> bool {
        self.attr("FifoQueue") == Some("true")
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.rec.attributes.get(name).map(String::as_str)
    }

    pub fn int_attr(&self, name: &str, default: i64) -> i64 {
        self.attr(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// (visible, in flight, delayed) as AWS's approximate counters.
    pub fn counts(&self, now_ms: i64) -> (usize, usize, usize) {
        let (mut visible, mut in_flight, mut delayed) = (0, 0, 0);
        for m in self.messages.values() {
            if m.is_visible(now_ms) {
                visible += 1;
            } else if m.in_flight {
                in_flight += 1;
            } else {
                delayed += 1;
            }
        }
        (visible, in_flight, delayed)
    }

    fn retention_ms(&self) -> i64 {
        self.int_attr("MessageRetentionPeriod", 345_600) * 1000
    }

    /// Adds a message, noting when it will expire.
    pub fn insert(&mut self, m: Message) {
        self.expiry_check_ms = self.expiry_check_ms.min(m.sent_ms + self.retention_ms());
        self.messages.insert(m.seq, m);
    }

    /// Drops messages past the retention period and deduplication entries
    /// past their window; returns what went.
    pub fn expire(&mut self, now_ms: i64) -> Expired {
        let mut out = Expired::default();
        if self.dedup.len() > DEDUP_SWEEP_AT || now_ms >= self.expiry_check_ms {
            out.dedup = self.sweep_dedup(now_ms);
        }
        if self.attempts.len() > DEDUP_SWEEP_AT {
            out.attempts = self.sweep_attempts(now_ms);
        }
        if now_ms < self.expiry_check_ms {
            return out;
        }
        let keep_ms = self.retention_ms();
        out.messages = self
            .messages
            .values()
            .filter(|m| m.sent_ms + keep_ms <= now_ms)
            .map(|m| m.seq)
            .collect();
        for s in &out.messages {
            self.messages.remove(s);
        }
        out.attempts.extend(self.sweep_attempts(now_ms));
        self.expiry_check_ms = self
            .messages
            .values()
            .map(|m| m.sent_ms + keep_ms)
            .min()
            .unwrap_or(i64::MAX);
        out
    }

    fn sweep_attempts(&mut self, now_ms: i64) -> Vec<String> {
        let gone: Vec<String> = self
            .attempts
            .iter()
            .filter(|(_, a)| a.expires_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.attempts.remove(k);
        }
        gone
    }

    fn sweep_dedup(&mut self, now_ms: i64) -> Vec<String> {
        let gone: Vec<String> = self
            .dedup
            .iter()
            .filter(|(_, d)| d.expires_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.dedup.remove(k);
        }
        gone
    }

    /// Positions of the messages a receive may take, in delivery order. In a
    /// FIFO queue a group is closed while any of its messages is in flight or
    /// still delayed, so groups are delivered in order, one batch at a time.
    pub fn deliverable(&self, now_ms: i64, max: usize) -> Vec<u64> {
        let fifo = self.is_fifo();
        let mut blocked: HashSet<&str> = HashSet::new();
        if fifo {
            for m in self.messages.values() {
                if !m.is_visible(now_ms) {
                    blocked.insert(m.group_id.as_deref().unwrap_or(""));
                }
            }
        }
        let mut out = Vec::new();
        for m in self.messages.values() {
            if out.len() >= max {
                break;
            }
            if !m.is_visible(now_ms) {
                continue;
            }
            if fifo && blocked.contains(m.group_id.as_deref().unwrap_or("")) {
                continue;
            }
            out.push(m.seq);
        }
        out
    }

    /// The next instant a message becomes visible, for long polls to wake at.
    pub fn next_visible_ms(&self, now_ms: i64) -> Option<i64> {
        self.messages
            .values()
            .map(|m| m.visible_at_ms)
            .filter(|t| *t > now_ms)
            .min()
    }
}

pub fn key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(fifo: bool) -> Queue {
        Queue::new(QueueRecord {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: if fifo { "q.fifo".into() } else { "q".into() },
            attributes: crate::attributes::defaults(fifo),
            tags: BTreeMap::new(),
            created_ms: 0,
            modified_ms: 0,
        })
    }

    fn msg(seq: u64, group: Option<&str>, visible_at_ms: i64, in_flight: bool) -> Message {
        Message {
            seq,
            id: format!("m{seq}"),
            body: "b".into(),
            md5_body: String::new(),
            attributes: BTreeMap::new(),
            md5_attributes: None,
            trace_header: None,
            md5_system: None,
            sender_id: String::new(),
            sent_ms: 0,
            visible_at_ms,
            in_flight,
            receive_count: 0,
            first_receive_ms: None,
            receipt: None,
            group_id: group.map(String::from),
            dedup_id: None,
            sequence_number: None,
            dead_letter_source: None,
        }
    }

    #[test]
    fn fifo_groups_block_while_in_flight() {
        let mut q = queue(true);
        q.messages.insert(1, msg(1, Some("a"), 100, true));
        q.messages.insert(2, msg(2, Some("a"), 0, false));
        q.messages.insert(3, msg(3, Some("b"), 0, false));
        q.messages.insert(4, msg(4, Some("b"), 0, false));
        assert_eq!(q.deliverable(50, 10), vec![3, 4]);
        assert_eq!(q.deliverable(150, 10), vec![1, 2, 3, 4]);
        assert_eq!(q.deliverable(150, 1), vec![1]);
    }

    #[test]
    fn standard_queues_skip_invisible_and_count() {
        let mut q = queue(false);
        q.messages.insert(1, msg(1, None, 100, true));
        q.messages.insert(2, msg(2, None, 0, false));
        q.messages.insert(3, msg(3, None, 200, false));
        assert_eq!(q.deliverable(50, 10), vec![2]);
        assert_eq!(q.counts(50), (1, 1, 1));
        assert_eq!(q.next_visible_ms(50), Some(100));
    }

    #[test]
    fn retention_drops_old_messages() {
        let mut q = queue(false);
        q.rec
            .attributes
            .insert("MessageRetentionPeriod".into(), "60".into());
        q.messages.insert(1, msg(1, None, 0, false));
        assert!(q.expire(59_999).messages.is_empty());
        assert_eq!(q.expire(60_000).messages, vec![1]);
        assert!(q.messages.is_empty());
    }

    #[test]
    fn deduplication_entries_leave_after_their_window() {
        let mut q = queue(true);
        let entry = |expires_ms| Dedup {
            expires_ms,
            message_id: "m".into(),
            sequence_number: None,
        };
        q.dedup.insert("a".into(), entry(1_000));
        q.dedup.insert("b".into(), entry(5_000));
        q.expiry_check_ms = 1_000;
        assert!(q.expire(999).dedup.is_empty());
        assert_eq!(q.expire(1_000).dedup, vec!["a".to_string()]);
        assert_eq!(q.dedup.keys().collect::<Vec<_>>(), vec!["b"]);
    }
}
