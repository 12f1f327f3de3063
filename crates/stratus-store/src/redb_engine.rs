//! The default engine: redb, a copy-on-write B-tree whose commits are atomic
//! and durable, so a kill -9 loses no acknowledged batch and never leaves a
//! torn one.
//!
//! A durable commit costs one fsync, which bounds single writers to the
//! disk's fsync rate (a few hundred per second here). Commits are therefore
//! grouped: one writer thread takes every batch waiting, applies them in one
//! transaction and fsyncs once, then acknowledges each. Concurrent requests
//! share an fsync; none is acknowledged before it is durable.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use parking_lot::Mutex;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};

use crate::{Batch, Engine, Op, Result, StoreError, Ticket};

const CACHE_BYTES: usize = 16 << 20;
/// The most batches one group commit takes.
const MAX_GROUP: usize = 4096;

struct Pending {
    batch: Batch,
    done: mpsc::SyncSender<Result<()>>,
}

pub struct RedbEngine {
    db: Arc<Database>,
    writer: Mutex<Option<mpsc::Sender<Pending>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for RedbEngine {
    /// Waits for the writer to finish what it holds and release the file, so
    /// the database can be opened again at once.
    fn drop(&mut self) {
        self.writer.lock().take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn def(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

impl RedbEngine {
    pub fn open(path: &Path) -> Result<RedbEngine> {
        // redb's default page cache may grow to 1 GiB; Stratus keeps its
        // working state in memory already, so a small cache is enough.
        let db: Database = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<Pending>();
        let wdb = db.clone();
        let thread = std::thread::Builder::new()
            .name("stratus-store-writer".into())
            .spawn(move || write_loop(&wdb, rx))
            .map_err(err)?;
        Ok(RedbEngine {
            db,
            writer: Mutex::new(Some(tx)),
            thread: Some(thread),
        })
    }
}

fn write_loop(db: &Database, rx: mpsc::Receiver<Pending>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        let batches: Vec<&Batch> = group.iter().map(|p| &p.batch).collect();
        match apply(db, &batches) {
            Ok(()) => {
                for p in group {
                    let _ = p.done.send(Ok(()));
                }
            }
            // One bad batch must not fail the others: retry them one by one.
            Err(_) if group.len() > 1 => {
                for p in group {
                    let r = apply(db, &[&p.batch]);
                    let _ = p.done.send(r);
                }
            }
            Err(e) => {
                for p in group {
                    let _ = p.done.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Applies batches in one durable transaction.
fn apply(db: &Database, batches: &[&Batch]) -> Result<()> {
    let txn = db.begin_write().map_err(err)?;
    for batch in batches {
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
    }
    txn.commit().map_err(err)
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
        let (done, wait) = mpsc::sync_channel(1);
        self.writer
            .lock()
            .as_ref()
            .ok_or_else(|| StoreError("the store is closed".into()))?
            .send(Pending { batch, done })
            .map_err(|_| StoreError("the store writer stopped".into()))?;
        Ok(Ticket::pending(wait))
    }

    fn name(&self) -> &'static str {
        "redb"
    }
}
