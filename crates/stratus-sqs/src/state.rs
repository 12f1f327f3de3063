//! All queues, kept in memory and written through to the store before any
//! answer: an acknowledged send or delete survives a crash.

use std::collections::{BTreeMap, HashMap};

use parking_lot::{Condvar, Mutex, MutexGuard};
use stratus_core::AwsError;
use stratus_store::{Batch, Store};

use crate::errors::{self, no_queue};
use crate::message::Message;
use crate::moves::MoveTask;
use crate::queue::{Attempt, Dedup, Expired, Queue, QueueRecord};

const QUEUES: &str = "sqs.queues";
const MESSAGES: &str = "sqs.messages";
/// FIFO deduplication entries, keyed by queue key and deduplication key;
/// receive attempts too, their key marked by [`ATTEMPT`].
const DEDUP: &str = "sqs.dedup";
/// Deduplication keys are printable ASCII (a newline between group and id
/// at most), so a control character sets receive attempts apart.
const ATTEMPT: &str = "\u{1}attempt\u{1}";
/// Message move tasks, keyed by handle.
const TASKS: &str = "sqs.move-tasks";

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
    commits: Mutex<CommitQueue>,
    committed: Condvar,
}

/// Group commit: batches queue up in the order their changes were made in
/// memory; whoever finds no commit running writes every queued batch in one
/// store transaction, and each caller answers once its own batch is durable.
#[derive(Default)]
struct CommitQueue {
    pending: Vec<Batch>,
    /// Tickets handed out and tickets made durable (or failed), in order.
    queued: u64,
    durable: u64,
    committing: bool,
    /// (after, up to, error) of ticket ranges whose commit failed.
    failed: Vec<(u64, u64, String)>,
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

    pub fn put_dedup(&mut self, queue_key: &str, dkey: &str, d: &Dedup) -> Result<(), AwsError> {
        if self.persistent {
            self.batch
                .put_json(DEDUP, format!("{queue_key}/{dkey}").into_bytes(), d)
                .map_err(errors::store)?;
        }
        Ok(())
    }

    pub fn put_attempt(&mut self, queue_key: &str, id: &str, a: &Attempt) -> Result<(), AwsError> {
        if self.persistent {
            self.batch
                .put_json(DEDUP, attempt_key(queue_key, id), a)
                .map_err(errors::store)?;
        }
        Ok(())
    }

    pub fn delete_attempt(&mut self, queue_key: &str, id: &str) {
        if self.persistent {
            self.batch.delete(DEDUP, attempt_key(queue_key, id));
        }
    }

    /// Forgets in the store what a sweep of the queue removed.
    pub fn expired(&mut self, queue_key: &str, gone: Expired) {
        for seq in gone.messages {
            self.delete_message(queue_key, seq);
        }
        for id in gone.attempts {
            self.delete_attempt(queue_key, &id);
        }
        if self.persistent {
            for dkey in gone.dedup {
                self.batch
                    .delete(DEDUP, format!("{queue_key}/{dkey}").into_bytes());
            }
        }
    }

    pub fn put_task(&mut self, t: &MoveTask) -> Result<(), AwsError> {
        if self.persistent {
            self.batch
                .put_json(TASKS, t.handle.clone().into_bytes(), t)
                .map_err(errors::store)?;
        }
        Ok(())
    }

    pub fn delete_queue(&mut self, queue_key: &str) {
        if self.persistent {
            self.batch.delete(QUEUES, queue_key.as_bytes().to_vec());
            self.batch
                .delete_prefix(MESSAGES, format!("{queue_key}/").into_bytes());
            self.batch
                .delete_prefix(DEDUP, format!("{queue_key}/").into_bytes());
        }
    }
}

fn attempt_key(queue_key: &str, id: &str) -> Vec<u8> {
    format!("{queue_key}/{ATTEMPT}{id}").into_bytes()
}

fn message_key(queue_key: &str, seq: u64) -> Vec<u8> {
    format!("{queue_key}/{seq:020}").into_bytes()
}

/// The lock, plus the changes to commit when the work under it is done.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    pub changes: Changes,
    state: &'a State,
}

impl Txn<'_> {
    /// Makes the changes durable; call before answering. The batch is queued
    /// under the lock (so the store sees changes in memory's order), and the
    /// wait for durability happens after the lock is released.
    pub fn commit(self) -> Result<(), AwsError> {
        let Txn {
            inner,
            changes,
            state,
        } = self;
        if changes.batch.is_empty() {
            return Ok(());
        }
        let ticket = {
            let mut q = state.commits.lock();
            q.pending.push(changes.batch);
            q.queued += 1;
            q.queued
        };
        drop(inner);
        state.wait_durable(ticket)
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
        for (k, v) in store.scan(DEDUP, b"").map_err(errors::store)? {
            let key = String::from_utf8_lossy(&k);
            // Queue keys are account/region/name, none of which holds a '/'.
            let mut parts = key.splitn(4, '/');
            let (Some(a), Some(r), Some(n), Some(dkey)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Some(q) = queues.get_mut(&crate::queue::key(a, r, n)) else {
                continue;
            };
            if let Some(id) = dkey.strip_prefix(ATTEMPT) {
                if let Ok(at) = serde_json::from_slice::<Attempt>(&v) {
                    q.attempts.insert(id.to_string(), at);
                }
            } else if let Ok(d) = serde_json::from_slice::<Dedup>(&v) {
                q.dedup.insert(dkey.to_string(), d);
            }
        }
        let mut tasks = store
            .scan_json::<MoveTask>(TASKS, b"")
            .map_err(errors::store)?;
        tasks.sort_by_key(|t| t.started_ms);
        Ok(State {
            store,
            inner: Mutex::new(Inner {
                queues,
                deleted: HashMap::new(),
                next_seq,
                tasks,
            }),
            commits: Mutex::new(CommitQueue::default()),
            committed: Condvar::new(),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            changes: Changes {
                batch: Batch::new(),
                persistent: self.store.is_persistent(),
            },
            state: self,
        }
    }

    /// The queues as they are, for reading without a change.
    pub fn read(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    pub fn is_persistent(&self) -> bool {
        self.store.is_persistent()
    }

    /// Returns once the batch with `ticket` is in the store, committing every
    /// queued batch itself when no other caller is doing so.
    fn wait_durable(&self, ticket: u64) -> Result<(), AwsError> {
        let mut q = self.commits.lock();
        loop {
            if q.durable >= ticket {
                let failed = q
                    .failed
                    .iter()
                    .find(|(after, upto, _)| ticket > *after && ticket <= *upto);
                return match failed {
                    Some((_, _, e)) => Err(AwsError::internal(e.clone())),
                    None => Ok(()),
                };
            }
            if q.committing {
                self.committed.wait(&mut q);
                continue;
            }
            q.committing = true;
            let batches = std::mem::take(&mut q.pending);
            let (after, upto) = (q.durable, q.queued);
            drop(q);
            let mut merged = Batch::new();
            for b in batches {
                merged.ops.extend(b.ops);
            }
            let res = self.store.commit(merged);
            q = self.commits.lock();
            q.committing = false;
            q.durable = upto;
            if let Err(e) = res {
                q.failed.push((after, upto, e.to_string()));
            }
            self.committed.notify_all();
        }
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        // Nothing queued before the reset may land after it.
        let queued = self.commits.lock().queued;
        self.wait_durable(queued)?;
        self.store.clear(QUEUES).map_err(errors::store)?;
        self.store.clear(MESSAGES).map_err(errors::store)?;
        self.store.clear(DEDUP).map_err(errors::store)?;
        self.store.clear(TASKS).map_err(errors::store)?;
        for q in inner.queues.values() {
            q.notify.notify_waiters();
        }
        inner.queues.clear();
        inner.deleted.clear();
        inner.tasks.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn receive_attempts_are_stored_beside_deduplication_entries() {
        let dir = std::env::temp_dir().join(format!("stratus-sqs-attempt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let rec = QueueRecord {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: "q.fifo".into(),
            attributes: crate::attributes::defaults(true),
            tags: Default::default(),
            created_ms: 0,
            modified_ms: 0,
        };
        let qkey = crate::queue::key("000000000000", "us-east-1", "q.fifo");
        let attempt = Attempt {
            expires_ms: 300_000,
            received: vec![(7, "nonce".into(), 30_000)],
        };
        {
            let state = State::load(Store::open(&dir).unwrap()).unwrap();
            let mut txn = state.begin();
            let q = Queue::new(rec);
            txn.changes.put_queue(&q).unwrap();
            let d = Dedup {
                expires_ms: 300_000,
                message_id: "m".into(),
                sequence_number: None,
            };
            txn.changes.put_dedup(&qkey, "id/with:punct", &d).unwrap();
            txn.changes.put_attempt(&qkey, "try-1", &attempt).unwrap();
            txn.commit().unwrap();
        }
        let state = State::load(Store::open(&dir).unwrap()).unwrap();
        {
            let inner = state.read();
            let q = &inner.queues[&qkey];
            assert_eq!(q.attempts.get("try-1"), Some(&attempt));
            assert_eq!(q.dedup.keys().collect::<Vec<_>>(), vec!["id/with:punct"]);
        }
        // A sweep past the window forgets the attempt in the store too.
        let mut txn = state.begin();
        let q = txn.inner.queues.get_mut(&qkey).unwrap();
        q.expiry_check_ms = 0;
        let gone = q.expire(300_000);
        assert_eq!(gone.attempts, vec!["try-1".to_string()]);
        txn.changes.expired(&qkey, gone);
        txn.commit().unwrap();
        drop(state);
        let state = State::load(Store::open(&dir).unwrap()).unwrap();
        assert!(state.read().queues[&qkey].attempts.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn concurrent_commits_all_become_durable_in_order() {
        let dir = std::env::temp_dir().join(format!("stratus-sqs-group-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir).unwrap();
        let state = Arc::new(State::load(store.clone()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let state = state.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let mut txn = state.begin();
                        let key = format!("k/{t}/{i:03}");
                        txn.changes.batch.put(MESSAGES, key.clone(), b"v1".to_vec());
                        // A later change to the same key in the same batch wins.
                        txn.changes.batch.put(MESSAGES, key, b"v2".to_vec());
                        txn.commit().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let rows = store.scan(MESSAGES, b"k/").unwrap();
        assert_eq!(rows.len(), 400);
        assert!(rows.iter().all(|(_, v)| v == b"v2"));
        // A put then a delete of the same key, queued in that order, leaves nothing.
        let mut txn = state.begin();
        txn.changes
            .batch
            .put(MESSAGES, "k/x".as_bytes().to_vec(), b"v".to_vec());
        txn.commit().unwrap();
        let mut txn = state.begin();
        txn.changes
            .batch
            .delete(MESSAGES, "k/x".as_bytes().to_vec());
        txn.commit().unwrap();
        assert!(store.get(MESSAGES, b"k/x").unwrap().is_none());
        drop(state);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
