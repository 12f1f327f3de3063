//! `--fsync always`: every acknowledged batch is in a durable redb commit.
//!
//! A durable commit costs one fsync, which bounds single writers to the
//! disk's fsync rate (a few hundred per second here). Commits are therefore
//! grouped: one writer thread takes every batch waiting, applies them in one
//! transaction and fsyncs once, then acknowledges each. Concurrent requests
//! share an fsync; none is acknowledged before it is durable.

use std::sync::Arc;
use std::sync::mpsc;

use parking_lot::Mutex;
use redb::Database;

use crate::redb_engine::{apply, err};
use crate::{Batch, Result, StoreError, Ticket};

/// The most batches one group commit takes.
const MAX_GROUP: usize = 4096;

struct Pending {
    batch: Batch,
    done: mpsc::SyncSender<Result<()>>,
}

pub struct GroupCommit {
    writer: Mutex<Option<mpsc::Sender<Pending>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for GroupCommit {
    /// Waits for the writer to finish what it holds and release the file, so
    /// the database can be opened again at once.
    fn drop(&mut self) {
        self.writer.lock().take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl GroupCommit {
    pub fn start(db: Arc<Database>) -> Result<GroupCommit> {
        let (tx, rx) = mpsc::channel::<Pending>();
        let thread = std::thread::Builder::new()
            .name("stratus-store-writer".into())
            .spawn(move || write_loop(&db, rx))
            .map_err(err)?;
        Ok(GroupCommit {
            writer: Mutex::new(Some(tx)),
            thread: Some(thread),
        })
    }

    pub fn submit(&self, batch: Batch) -> Result<Ticket> {
        let (done, wait) = mpsc::sync_channel(1);
        self.writer
            .lock()
            .as_ref()
            .ok_or_else(|| StoreError("the store is closed".into()))?
            .send(Pending { batch, done })
            .map_err(|_| StoreError("the store writer stopped".into()))?;
        Ok(Ticket::pending(wait))
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
        match commit_durably(db, &batches) {
            Ok(()) => {
                for p in group {
                    let _ = p.done.send(Ok(()));
                }
            }
            // One bad batch must not fail the others: retry them one by one.
            Err(_) if group.len() > 1 => {
                for p in group {
                    let r = commit_durably(db, &[&p.batch]);
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
fn commit_durably(db: &Database, batches: &[&Batch]) -> Result<()> {
    let txn = db.begin_write().map_err(err)?;
    for batch in batches {
        apply(&txn, batch)?;
    }
    txn.commit().map_err(err)
}
