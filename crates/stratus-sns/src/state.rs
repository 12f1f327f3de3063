//! Topics and subscriptions, in memory and written through to the store.

use std::collections::{BTreeMap, HashMap};

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

const TOPICS: &str = "sns.topics";
const SUBSCRIPTIONS: &str = "sns.subscriptions";
/// FIFO deduplication entries, keyed by topic ARN, a newline and the
/// deduplication key, so a restart within the window still deduplicates.
const DEDUP: &str = "sns.dedup";
/// The last sequence number given, so numbers keep growing across restarts.
const SEQUENCE: &str = "sns.sequence";
const SEQUENCE_KEY: &[u8] = b"last";

/// What a FIFO publish answered, for a duplicate within the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    pub expires_ms: i64,
    pub message_id: String,
    pub sequence_number: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
}

impl Topic {
    /// "1" (SHA1withRSA, the default) or "2" (SHA256withRSA).
    pub fn signature_version(&self) -> &str {
        self.attributes
            .get("SignatureVersion")
            .map_or("1", String::as_str)
    }

    pub fn is_fifo(&self) -> bool {
        self.attributes
            .get("FifoTopic")
            .is_some_and(|v| v == "true")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    pub attributes: BTreeMap<String, String>,
    pub pending: bool,
    pub token: String,
}

impl Subscription {
    /// The ARN as list operations show it: pending ones have none yet.
    pub fn listed_arn(&self) -> String {
        if self.pending {
            "PendingConfirmation".into()
        } else {
            self.arn.clone()
        }
    }

    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

pub struct Inner {
    pub topics: BTreeMap<String, Topic>,
    pub subscriptions: BTreeMap<String, Subscription>,
    /// FIFO deduplication: topic ARN, newline, deduplication key.
    pub dedup: HashMap<String, Dedup>,
    pub sequence: u64,
}

pub struct State {
    store: Store,
    inner: Mutex<Inner>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

/// Changes gathered under the lock, committed before answering.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    batch: Batch,
    store: &'a Store,
}

impl Txn<'_> {
    pub fn put_topic(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(t) = self.inner.topics.get(arn) {
            self.batch
                .put_json(TOPICS, arn.as_bytes().to_vec(), t)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_subscription(&mut self, arn: &str) -> Result<(), AwsError> {
        if let Some(s) = self.inner.subscriptions.get(arn) {
            self.batch
                .put_json(SUBSCRIPTIONS, arn.as_bytes().to_vec(), s)
                .map_err(store_err)?;
        }
        Ok(())
    }

    /// Forgets the topic, and the deduplication entries of its messages.
    pub fn delete_topic(&mut self, arn: &str) {
        self.batch.delete(TOPICS, arn.as_bytes().to_vec());
        let prefix = format!("{arn}\n");
        self.inner.dedup.retain(|k, _| !k.starts_with(&prefix));
        self.batch.delete_prefix(DEDUP, prefix.into_bytes());
    }

    /// Takes the next sequence number, stored with the publish that uses it.
    pub fn next_sequence(&mut self) -> Result<u64, AwsError> {
        self.inner.sequence += 1;
        let n = self.inner.sequence;
        self.batch
            .put_json(SEQUENCE, SEQUENCE_KEY.to_vec(), &n)
            .map_err(store_err)?;
        Ok(n)
    }

    /// The answer to a duplicate of `key` published before `now_ms`,
    /// dropping the entries whose window has passed.
    pub fn duplicate(&mut self, key: &str, now_ms: i64) -> Option<Dedup> {
        let expired: Vec<String> = self
            .inner
            .dedup
            .iter()
            .filter(|(_, d)| d.expires_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        for k in expired {
            self.inner.dedup.remove(&k);
            self.batch.delete(DEDUP, k.into_bytes());
        }
        self.inner.dedup.get(key).cloned()
    }

    pub fn put_dedup(&mut self, key: String, d: Dedup) -> Result<(), AwsError> {
        self.batch
            .put_json(DEDUP, key.clone().into_bytes(), &d)
            .map_err(store_err)?;
        self.inner.dedup.insert(key, d);
        Ok(())
    }

    pub fn delete_subscription(&mut self, arn: &str) {
        self.batch.delete(SUBSCRIPTIONS, arn.as_bytes().to_vec());
    }

    pub fn commit(self) -> Result<(), AwsError> {
        let Txn {
            inner,
            batch,
            store,
        } = self;
        if !batch.is_empty() {
            store.commit(batch).map_err(store_err)?;
        }
        drop(inner);
        Ok(())
    }
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let topics = store
            .scan_json::<Topic>(TOPICS, b"")
            .map_err(store_err)?
            .into_iter()
            .map(|t| (t.arn.clone(), t))
            .collect();
        let subscriptions = store
            .scan_json::<Subscription>(SUBSCRIPTIONS, b"")
            .map_err(store_err)?
            .into_iter()
            .map(|s| (s.arn.clone(), s))
            .collect();
        let mut dedup = HashMap::new();
        for (k, v) in store.scan(DEDUP, b"").map_err(store_err)? {
            if let Ok(d) = serde_json::from_slice::<Dedup>(&v) {
                dedup.insert(String::from_utf8_lossy(&k).into_owned(), d);
            }
        }
        let sequence = store
            .get_json::<u64>(SEQUENCE, SEQUENCE_KEY)
            .map_err(store_err)?
            .unwrap_or(0);
        Ok(State {
            store,
            inner: Mutex::new(Inner {
                topics,
                subscriptions,
                dedup,
                sequence,
            }),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            batch: Batch::new(),
            store: &self.store,
        }
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        self.store.clear(TOPICS).map_err(store_err)?;
        self.store.clear(SUBSCRIPTIONS).map_err(store_err)?;
        self.store.clear(DEDUP).map_err(store_err)?;
        inner.topics.clear();
        inner.subscriptions.clear();
        inner.dedup.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("stratus-sns-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn deduplication_and_sequence_survive_a_restart() {
        let d = dir("dedup");
        {
            let state = State::load(Store::open(&d).unwrap()).unwrap();
            let mut txn = state.begin();
            let n = txn.next_sequence().unwrap();
            let entry = Dedup {
                expires_ms: 300_000,
                message_id: "m-1".into(),
                sequence_number: n.to_string(),
            };
            txn.put_dedup("arn:t.fifo\nabc".into(), entry).unwrap();
            txn.commit().unwrap();
        }
        let state = State::load(Store::open(&d).unwrap()).unwrap();
        let mut txn = state.begin();
        let got = txn.duplicate("arn:t.fifo\nabc", 299_999).unwrap();
        assert_eq!(
            (got.message_id.as_str(), got.sequence_number.as_str()),
            ("m-1", "1")
        );
        assert_eq!(txn.next_sequence().unwrap(), 2);
        // Past the window the entry is gone, from memory and from the store.
        assert!(txn.duplicate("arn:t.fifo\nabc", 300_000).is_none());
        txn.commit().unwrap();
        drop(state);
        let state = State::load(Store::open(&d).unwrap()).unwrap();
        assert!(state.begin().inner.dedup.is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }
}
