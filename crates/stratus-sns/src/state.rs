//! Topics and subscriptions, in memory and written through to the store.

use std::collections::{BTreeMap, HashMap};

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

const TOPICS: &str = "sns.topics";
const SUBSCRIPTIONS: &str = "sns.subscriptions";

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
    /// FIFO deduplication: topic ARN + id -> (expiry, message id, sequence number).
    pub dedup: HashMap<String, (i64, String, String)>,
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

    pub fn delete_topic(&mut self, arn: &str) {
        self.batch.delete(TOPICS, arn.as_bytes().to_vec());
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
        Ok(State {
            store,
            inner: Mutex::new(Inner {
                topics,
                subscriptions,
                dedup: HashMap::new(),
                sequence: 0,
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
        inner.topics.clear();
        inner.subscriptions.clear();
        inner.dedup.clear();
        Ok(())
    }
}
