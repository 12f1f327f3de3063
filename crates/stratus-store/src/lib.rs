//! Persistence: a narrow ordered key-value interface ([`Engine`]) with an
//! in-memory engine for `--ephemeral` and an embedded, crash-safe one (redb,
//! behind a write-ahead log unless [`FsyncPolicy::Always`]) by default. A
//! PostgreSQL engine can implement the same trait later.
//!
//! Services keep their working state in memory and write through to a
//! [`Store`]; at start they load what the store holds. Keys are partitioned by
//! account and region with [`scope_key`].

mod crc32;
mod group_commit;
mod logged;
mod memory;
mod redb_engine;
mod wal;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use logged::CHECKPOINT_EVERY;
pub use memory::MemoryEngine;
pub use redb_engine::RedbEngine;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One change in a batch.
#[derive(Debug, Clone)]
pub enum Op {
    Put {
        table: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        table: String,
        key: Vec<u8>,
    },
    /// Removes every key of `table` starting with `prefix` (all of it when empty).
    DeletePrefix {
        table: String,
        prefix: Vec<u8>,
    },
}

/// When an acknowledged write reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// Before it is acknowledged: it survives a power loss. One fsync per
    /// commit (shared by concurrent ones), and one per S3 object.
    Always,
    /// In the kernel before it is acknowledged, on disk at the next
    /// checkpoint ([`CHECKPOINT_EVERY`]): it survives any crash of the
    /// process; a power loss may take the writes since the last checkpoint.
    #[default]
    Interval,
}

/// Changes applied together: all of them or none, even across a crash.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub ops: Vec<Op>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(
        &mut self,
        table: &str,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.ops.push(Op::Put {
            table: table.to_string(),
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Serialises `value` as JSON.
    pub fn put_json<T: Serialize>(
        &mut self,
        table: &str,
        key: impl Into<Vec<u8>>,
        value: &T,
    ) -> Result<&mut Self> {
        let v = serde_json::to_vec(value).map_err(|e| StoreError(e.to_string()))?;
        Ok(self.put(table, key, v))
    }

    pub fn delete(&mut self, table: &str, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::Delete {
            table: table.to_string(),
            key: key.into(),
        });
        self
    }

    pub fn delete_prefix(&mut self, table: &str, prefix: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::DeletePrefix {
            table: table.to_string(),
            prefix: prefix.into(),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A commit on its way to disk: `wait` returns once it is durable.
/// Submitting under a lock and waiting after releasing it lets concurrent
/// requests share one fsync while keeping their order.
#[must_use = "a commit is durable only once its ticket is waited on"]
pub struct Ticket(TicketState);

enum TicketState {
    Ready(Result<()>),
    Pending(std::sync::mpsc::Receiver<Result<()>>),
}

impl Ticket {
    /// A commit that is already durable (or needs no disk).
    pub fn done() -> Ticket {
        Ticket(TicketState::Ready(Ok(())))
    }

    /// A commit whose outcome is already known.
    pub fn ready(outcome: Result<()>) -> Ticket {
        Ticket(TicketState::Ready(outcome))
    }

    pub fn pending(rx: std::sync::mpsc::Receiver<Result<()>>) -> Ticket {
        Ticket(TicketState::Pending(rx))
    }

    /// Blocks until the commit is durable; inside the server's runtime the
    /// worker's other tasks move on meanwhile.
    pub fn wait(self) -> Result<()> {
        let rx = match self.0 {
            TicketState::Ready(outcome) => return outcome,
            TicketState::Pending(rx) => rx,
        };
        blocking(move || {
            rx.recv()
                .map_err(|_| StoreError("the store writer stopped".into()))?
        })
    }
}

/// Runs `f`, which may block on the disk or a lock; inside the server's
/// runtime the worker's other tasks move to another thread meanwhile.
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// The storage engine interface: ordered keys per table, atomic batches.
pub trait Engine: Send + Sync + 'static {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Every entry whose key starts with `prefix`, in key order.
    fn scan(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Applies the batch atomically; once it returns the changes are as
    /// durable as the engine promises (see [`FsyncPolicy`]).
    fn commit(&self, batch: Batch) -> Result<()>;
    /// Queues the batch, keeping submission order, and returns at once.
    fn submit(&self, batch: Batch) -> Result<Ticket> {
        self.commit(batch)?;
        Ok(Ticket::done())
    }
    /// Runs `f` once every batch committed before this call is on disk for
    /// good; at once for engines whose commits are (or that never persist).
    fn when_durable(&self, f: Box<dyn FnOnce() + Send>) {
        f()
    }
    fn name(&self) -> &'static str;
}

/// A handle services hold: an engine and, when persistent, the data directory
/// where large bytes live as files.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
    data_dir: Option<PathBuf>,
    fsync: FsyncPolicy,
}

impl Store {
    /// An in-memory store: nothing survives the process.
    pub fn ephemeral() -> Store {
        Store {
            engine: Arc::new(MemoryEngine::default()),
            data_dir: None,
            fsync: FsyncPolicy::default(),
        }
    }

    /// A persistent store under `dir` (created if missing), with the default
    /// [`FsyncPolicy::Interval`].
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, FsyncPolicy::default())
    }

    pub fn open_with(dir: &Path, fsync: FsyncPolicy) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        let engine = RedbEngine::open(dir, fsync)?;
        Ok(Store {
            engine: Arc::new(engine),
            data_dir: Some(dir.to_path_buf()),
            fsync,
        })
    }

    pub fn with_engine(engine: Arc<dyn Engine>, data_dir: Option<PathBuf>) -> Store {
        Store {
            engine,
            data_dir,
            fsync: FsyncPolicy::default(),
        }
    }

    /// Whether a service should fsync its own files before acknowledging a
    /// write: only with [`FsyncPolicy::Always`]. Otherwise the store's
    /// checkpoints sync the data dir's filesystem before the state naming
    /// those files becomes durable.
    pub fn fsync_each_write(&self) -> bool {
        self.is_persistent() && self.fsync == FsyncPolicy::Always
    }

    /// False for `--ephemeral`: services may then skip writing what their
    /// in-memory state already holds.
    pub fn is_persistent(&self) -> bool {
        self.data_dir.is_some()
    }

    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }

    /// Where a service keeps files (objects, code bundles); `None` when ephemeral.
    pub fn files_dir(&self, service: &str) -> Option<PathBuf> {
        self.data_dir
            .as_ref()
            .map(|d| d.join("files").join(service))
    }

    pub fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.engine.get(table, key)
    }

    pub fn get_json<T: DeserializeOwned>(&self, table: &str, key: &[u8]) -> Result<Option<T>> {
        match self.engine.get(table, key)? {
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError(format!("corrupt entry in {table}: {e}"))),
            None => Ok(None),
        }
    }

    pub fn scan(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.engine.scan(table, prefix)
    }

    /// Every value under `prefix`, decoded from JSON.
    pub fn scan_json<T: DeserializeOwned>(&self, table: &str, prefix: &[u8]) -> Result<Vec<T>> {
        self.engine
            .scan(table, prefix)?
            .into_iter()
            .map(|(_, v)| {
                serde_json::from_slice(&v)
                    .map_err(|e| StoreError(format!("corrupt entry in {table}: {e}")))
            })
            .collect()
    }

    /// Applies the batch atomically and, when persistent, as durably as the
    /// store's [`FsyncPolicy`] promises. Inside the
    /// server's runtime the wait for the disk hands the worker thread's other
    /// tasks on, so concurrent requests keep coming and share group commits.
    pub fn commit(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.engine.submit(batch)?.wait()
    }

    /// Queues a batch to commit in submission order; the returned ticket
    /// waits for durability. Use it to hold a lock only while ordering writes.
    pub fn submit(&self, batch: Batch) -> Result<Ticket> {
        if batch.is_empty() {
            return Ok(Ticket::done());
        }
        self.engine.submit(batch)
    }

    /// Runs `f` once every batch committed so far has reached the disk (at
    /// once unless the store checkpoints in the background). Removing a file
    /// that committed state used to name waits for this: until then a power
    /// loss could bring that state back.
    pub fn when_durable(&self, f: impl FnOnce() + Send + 'static) {
        self.engine.when_durable(Box::new(f))
    }

    /// Waits, at most `limit`, until every batch committed so far is
    /// durable, so that a clean stop leaves nothing for the next start to
    /// replay. False when the limit passed first.
    pub fn flush(&self, limit: std::time::Duration) -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        self.when_durable(move || {
            let _ = tx.send(());
        });
        rx.recv_timeout(limit).is_ok()
    }

    /// Drops a whole table (a service's reset).
    pub fn clear(&self, table: &str) -> Result<()> {
        let mut b = Batch::new();
        b.delete_prefix(table, Vec::new());
        self.commit(b)
    }
}

/// A key partitioned by account and region: `account/region/kind/id`.
/// Global services pass `""` for the region.
pub fn scope_key(account: &str, region: &str, kind: &str, id: &str) -> Vec<u8> {
    format!("{account}/{region}/{kind}/{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: &Store) {
        let mut b = Batch::new();
        b.put("t", "a/1", "one")
            .put("t", "a/2", "two")
            .put("t", "b/1", "three");
        store.commit(b).unwrap();
        assert_eq!(store.get("t", b"a/1").unwrap(), Some(b"one".to_vec()));
        assert_eq!(store.get("missing", b"x").unwrap(), None);
        let a: Vec<_> = store
            .scan("t", b"a/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(a, vec![b"a/1".to_vec(), b"a/2".to_vec()]);
        let mut b = Batch::new();
        b.delete("t", "a/1").delete_prefix("t", "b/");
        store.commit(b).unwrap();
        assert_eq!(store.scan("t", b"").unwrap().len(), 1);
        store.clear("t").unwrap();
        assert!(store.scan("t", b"").unwrap().is_empty());
        assert!(store.scan("never-created", b"").unwrap().is_empty());
    }

    #[test]
    fn memory_engine() {
        exercise(&Store::ephemeral());
    }

    #[test]
    fn redb_engine_persists() {
        for policy in [FsyncPolicy::Always, FsyncPolicy::Interval] {
            let dir = std::env::temp_dir().join(format!(
                "stratus-store-test-{}-{policy:?}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            {
                let s = Store::open_with(&dir, policy).unwrap();
                assert_eq!(s.fsync_each_write(), policy == FsyncPolicy::Always);
                exercise(&s);
                let mut b = Batch::new();
                b.put_json("j", "k", &vec![1, 2, 3]).unwrap();
                s.commit(b).unwrap();
            }
            // Reopened the other way: the policy is not part of the data.
            let other = match policy {
                FsyncPolicy::Always => FsyncPolicy::Interval,
                FsyncPolicy::Interval => FsyncPolicy::Always,
            };
            let s = Store::open_with(&dir, other).unwrap();
            assert_eq!(
                s.get_json::<Vec<i32>>("j", b"k").unwrap(),
                Some(vec![1, 2, 3]),
                "{policy:?}"
            );
            drop(s);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn a_flush_leaves_the_log_empty() {
        let dir = std::env::temp_dir().join(format!("stratus-store-flush-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = Store::open_with(&dir, FsyncPolicy::Interval).unwrap();
        let mut b = Batch::new();
        b.put("t", "k", "v");
        s.commit(b).unwrap();
        let log = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "wal"))
            .expect("a log file");
        let header = {
            assert!(s.flush(std::time::Duration::from_secs(5)));
            std::fs::metadata(&log).unwrap().len()
        };
        // What remains is the header a fresh log starts with.
        let mut b = Batch::new();
        b.put("t", "k2", "v2");
        s.commit(b).unwrap();
        assert!(std::fs::metadata(&log).unwrap().len() > header);
        assert!(s.flush(std::time::Duration::from_secs(5)));
        assert_eq!(std::fs::metadata(&log).unwrap().len(), header);
        assert!(Store::ephemeral().flush(std::time::Duration::from_millis(1)));
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn concurrent_commits_all_land_and_survive_reopen() {
        for policy in [FsyncPolicy::Always, FsyncPolicy::Interval] {
            concurrent_commits(policy);
        }
    }

    fn concurrent_commits(policy: FsyncPolicy) {
        let dir = std::env::temp_dir().join(format!(
            "stratus-store-group-{}-{policy:?}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let s = Store::open_with(&dir, policy).unwrap();
            std::thread::scope(|sc| {
                for w in 0..8 {
                    let s = s.clone();
                    sc.spawn(move || {
                        for i in 0..25 {
                            let mut b = Batch::new();
                            b.put("g", format!("{w}/{i:03}"), "v").put(
                                "g",
                                format!("{w}/{i:03}/twin"),
                                "v",
                            );
                            s.commit(b).unwrap();
                        }
                    });
                }
            });
        }
        let s = Store::open_with(&dir, policy).unwrap();
        assert_eq!(s.scan("g", b"").unwrap().len(), 8 * 25 * 2, "{policy:?}");
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scope_keys() {
        assert_eq!(
            scope_key("123456789012", "us-east-1", "vpc", "vpc-1"),
            b"123456789012/us-east-1/vpc/vpc-1".to_vec()
        );
    }
}
