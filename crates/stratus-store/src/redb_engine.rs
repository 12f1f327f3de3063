//! The default engine: redb, a copy-on-write B-tree whose commits are atomic,
//! behind one of two writers chosen by [`FsyncPolicy`]:
//!
//! - `Always` ([`group_commit`](crate::group_commit)): every batch is a
//!   durable redb commit (one fsync, shared by the batches waiting at once);
//!   an acknowledged write survives a power loss.
//! - `Interval` ([`logged`](crate::logged)): every batch is appended to a
//!   write-ahead log with one `write` and applied to redb without an fsync;
//!   a checkpoint every 200 ms makes redb durable and empties the log. An
//!   acknowledged write survives any crash of the process; a power loss may
//!   take the last checkpoint interval.

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, ReadableDatabase, ReadableTable, TableDefinition, TableError, WriteTransaction,
};

use crate::group_commit::GroupCommit;
use crate::logged::Logged;
use crate::{Batch, Engine, FsyncPolicy, Op, Result, StoreError, Ticket};

const CACHE_BYTES: usize = 16 << 20;

enum Writer {
    Always(GroupCommit),
    Interval(Logged),
}

pub struct RedbEngine {
    db: Arc<Database>,
    writer: Writer,
}

pub(crate) fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn def(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

impl RedbEngine {
    /// Opens `dir/state.redb`, first replaying what `dir/state.wal` holds.
    pub fn open(dir: &Path, policy: FsyncPolicy) -> Result<RedbEngine> {
        let path = dir.join("state.redb");
        // redb's default page cache may grow to 1 GiB; Stratus keeps its
        // working state in memory already, so a small cache is enough.
        let db: Database = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        let db = Arc::new(db);
        let log = dir.join("state.wal");
        let writer = match policy {
            FsyncPolicy::Always => {
                // A log left by an earlier `interval` run still holds
                // acknowledged writes.
                crate::logged::recover(&db, &log, dir)?;
                let _ = std::fs::remove_file(&log);
                Writer::Always(GroupCommit::start(db.clone())?)
            }
            FsyncPolicy::Interval => Writer::Interval(Logged::open(db.clone(), &log, dir)?),
        };
        Ok(RedbEngine { db, writer })
    }
}

/// Applies a batch's changes inside `txn`.
pub(crate) fn apply(txn: &WriteTransaction, batch: &Batch) -> Result<()> {
    for op in &batch.ops {
        match op {
            Op::Put { table, key, value } => {
                let mut t = txn.open_table(def(table)).map_err(err)?;
                t.insert(key.as_slice(), value.as_slice()).map_err(err)?;
            }
            Op::Delete { table, key } => {
                let mut t = txn.open_table(def(table)).map_err(err)?;
                t.remove(key.as_slice()).map_err(err)?;
            }
            Op::DeletePrefix { table, prefix } => {
                let mut t = txn.open_table(def(table)).map_err(err)?;
                let keys: Vec<Vec<u8>> = t
                    .range::<&[u8]>(prefix.as_slice()..)
                    .map_err(err)?
                    .map_while(|e| e.ok())
                    .map(|(k, _)| k.value().to_vec())
                    .take_while(|k| k.starts_with(prefix))
                    .collect();
                for k in keys {
                    t.remove(k.as_slice()).map_err(err)?;
                }
            }
        }
    }
    Ok(())
}

impl Engine for RedbEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read().map_err(err)?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(t.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn scan(&self, table: &str, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let txn = self.db.begin_read().map_err(err)?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(err(e)),
        };
        let mut out = Vec::new();
        for entry in t.range::<&[u8]>(prefix..).map_err(err)? {
            let (k, v) = entry.map_err(err)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, batch: Batch) -> Result<()> {
        self.submit(batch)?.wait()
    }

    fn submit(&self, batch: Batch) -> Result<Ticket> {
        match &self.writer {
            Writer::Always(w) => w.submit(batch),
            Writer::Interval(w) => Ok(w.submit(batch)),
        }
    }

    fn when_durable(&self, f: Box<dyn FnOnce() + Send>) {
        match &self.writer {
            Writer::Always(_) => f(),
            Writer::Interval(w) => w.when_durable(f),
        }
    }

    fn name(&self) -> &'static str {
        "redb"
    }
}
