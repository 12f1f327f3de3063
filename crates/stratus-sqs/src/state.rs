//! All queues, kept in memory and written through to the store before any
//! answer: an acknowledged send or delete survives a crash.

use std::collections::{BTreeMap, HashMap};

use parking_lot::{Mutex, MutexGuard};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

use crate::errors::{self, no_queue};
use crate::message::Message;
use crate::moves::MoveTask;
use crate::queue::{Queue, QueueRecord};

const QUEUES: &str = "sqs.queues";
const MESSAGES: &str = "sqs.messages";

pub struct Inner {
    pub queues: BTreeMap<String, Queue>,
    /// Key -> when it was deleted, to refuse re-creation for 60 s.
    pub deleted: HashMap<String, i64>,
    pub next_seq: u64,
    pub tasks: Vec<MoveTask>,
}

impl Inner {
    pub fn queue(&self, key: &str) -> Result<&Queue, AwsError> {
        self.queues.get(key).ok_or_else(no_queue)
    }

    pub fn queue_mut(&mut self, key: &str) -> Result<&mut Queue, AwsError> {
        self.queues.get_mut(key).ok_or_else(no_queue)
    }

    pub fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

pub struct State {
    store: Store,
    inner: Mutex<Inner>,
}

/// Store changes gathered under the lock and committed before it is released,
/// so the store sees changes in the order memory does.
pub struct Changes {
    batch: Batch,
    persistent: bool,
}

impl Changes {
    pub fn put_queue(&mut self, q: &Queue) -> Result<(), AwsError> {
        if self.persistent {
            self.batch
                .put_json(QUEUES, q.key().into_bytes(), &q.rec)
                .map_err(errors::store)?;
        }
        Ok(())
    }

    pub fn put_message(&mut self, queue_key: &str, m: &Message) -> Result<(), AwsError> {
        if self.persistent {
            self.batch
                .put_json(MESSAGES, message_key(queue_key, m.seq), m)
                .map_err(errors::store)?;
        }
        Ok(())
    }

    pub fn delete_message(&mut self, queue_key: &str, seq: u64) {
        if self.persistent {
            self.batch.delete(MESSAGES, message_key(queue_key, seq));
        }
    }

    pub fn delete_queue(&mut self, queue_key: &str) {
        if self.persistent {
            self.batch.delete(QUEUES, queue_key.as_bytes().to_vec());
            self.batch
                .delete_prefix(MESSAGES, format!("{queue_key}/").into_bytes());
        }
    }
}

fn message_key(queue_key: &str, seq: u64) -> Vec<u8> {
    format!("{queue_key}/{seq:020}").into_bytes()
}

/// The lock, plus the changes to commit when the work under it is done.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    pub changes: Changes,
    store: &'a Store,
}

impl Txn<'_> {
    /// Makes the changes durable; call before answering.
    pub fn commit(self) -> Result<(), AwsError> {
        let Txn {
            inner,
            changes,
            store,
        } = self;
        if !changes.batch.is_empty() {
            store.commit(changes.batch).map_err(errors::store)?;
        }
        drop(inner);
        Ok(())
    }
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut queues = BTreeMap::new();
        for rec in store
            .scan_json::<QueueRecord>(QUEUES, b"")
            .map_err(errors::store)?
        {
            let q = Queue::new(rec);
            queues.insert(q.key(), q);
        }
        let mut next_seq = 0;
        for (k, v) in store.scan(MESSAGES, b"").map_err(errors::store)? {
            let Ok(m) = serde_json::from_slice::<Message>(&v) else {
                continue;
            };
            let key = String::from_utf8_lossy(&k);
            let Some((qkey, _)) = key.rsplit_once('/') else {
                continue;
            };
            next_seq = next_seq.max(m.seq);
            if let Some(q) = queues.get_mut(qkey) {
                q.insert(m);
            }
        }
        Ok(State {
            store,
            inner: Mutex::new(Inner {
                queues,
                deleted: HashMap::new(),
                next_seq,
                tasks: Vec::new(),
            }),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            changes: Changes {
                batch: Batch::new(),
                persistent: self.store.is_persistent(),
            },
            store: &self.store,
        }
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        self.store.clear(QUEUES).map_err(errors::store)?;
        self.store.clear(MESSAGES).map_err(errors::store)?;
        for q in inner.queues.values() {
            q.notify.notify_waiters();
        }
        inner.queues.clear();
        inner.deleted.clear();
        inner.tasks.clear();
        Ok(())
    }
}
