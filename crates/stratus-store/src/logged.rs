//! `--fsync interval`, the default: a write-ahead log in front of redb.
//!
//! A batch is acknowledged once it is in the kernel: appended to the log
//! (`state.wal`) with one `write` and applied to redb in a non-durable
//! commit, so reads see it at once. Nothing is lost when the process dies,
//! however it dies, since the kernel still writes out what it was handed;
//! only a power loss or a kernel crash loses page cache. A checkpoint every
//! [`CHECKPOINT_EVERY`] (and when the log passes [`CHECKPOINT_BYTES`]) makes
//! redb durable with one fsync and empties the log.
//!
//! Opening replays the log's whole records, in order, on top of redb, and
//! stops at the first torn or corrupt one. Replaying a record that redb
//! already holds changes nothing, since every operation sets a key's final
//! value, so a crash between a checkpoint's commit and the truncation that
//! follows it is harmless.
//!
//! A log written before the machine restarted (its header names another boot)
//! is dropped instead: after a power loss its tail may have reached the disk
//! while files it names (S3 objects, written without fsync) did not, and the
//! last checkpoint is a state where both agree.
//!
//! Concurrent writers share work: each queues its batch, and whoever takes
//! the log lock next commits everything queued, in order, as one log write
//! and one redb transaction.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redb::{Database, Durability};

use crate::redb_engine::{apply, err};
use crate::{Batch, Result, StoreError, Ticket, wal};

pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// A log this long is checkpointed at once, which bounds replay at start.
pub const CHECKPOINT_BYTES: u64 = 64 << 20;

type Slot = Arc<OnceLock<Result<()>>>;
type Waiter = (u64, Box<dyn FnOnce() + Send>);

enum Signal {
    /// The log grew past [`CHECKPOINT_BYTES`].
    Full,
    Stop,
}

struct Shared {
    db: Arc<Database>,
    queue: Mutex<Vec<(Batch, Slot)>>,
    log: Mutex<Log>,
    flusher: mpsc::Sender<Signal>,
    /// The data directory, for syncs made without the log lock.
    dir: File,
    /// What runs once the checkpoint with the given number is done.
    waiters: Mutex<Vec<Waiter>>,
}

pub struct Logged {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Logged {
    /// Stops the flusher after a last checkpoint, so a clean exit leaves an
    /// empty log and a durable database.
    fn drop(&mut self) {
        let _ = self.shared.flusher.send(Signal::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Logged {
    pub fn open(db: Arc<Database>, log_path: &Path, dir: &Path) -> Result<Logged> {
        Logged::open_every(db, log_path, dir, CHECKPOINT_EVERY)
    }

    fn open_every(
        db: Arc<Database>,
        log_path: &Path,
        dir: &Path,
        every: Duration,
    ) -> Result<Logged> {
        recover(&db, log_path, dir)?;
        let log = Log::create(log_path, dir)?;
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            db,
            queue: Mutex::new(Vec::new()),
            dir: log.dir.try_clone().map_err(err)?,
            log: Mutex::new(log),
            flusher: tx,
            waiters: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("stratus-store-checkpoint".into())
            .spawn(move || flush_loop(&s, &rx, every))
            .map_err(err)?;
        Ok(Logged {
            shared,
            thread: Some(thread),
        })
    }

    /// Commits the batch (and any queued before it) before returning; the
    /// ticket only carries the outcome.
    pub fn submit(&self, batch: Batch) -> Ticket {
        let slot = Slot::default();
        self.shared.queue.lock().push((batch, slot.clone()));
        {
            // Held by a checkpoint (or a writer) for a while: wait off the
            // runtime's worker.
            let mut log = match self.shared.log.try_lock() {
                Some(log) => log,
                None => crate::blocking(|| self.shared.log.lock()),
            };
            // Empty when the previous holder already committed ours.
            let group = std::mem::take(&mut *self.shared.queue.lock());
            if !group.is_empty() {
                log.commit_group(&self.shared.db, group);
                if log.len >= CHECKPOINT_BYTES && !log.full_signalled {
                    log.full_signalled = true;
                    let _ = self.shared.flusher.send(Signal::Full);
                }
            }
        }
        Ticket::ready(
            slot.get()
                .cloned()
                .unwrap_or_else(|| Err(StoreError("the commit was lost".into()))),
        )
    }
}

impl Logged {
    /// Runs `f` after the next checkpoint: the caller's batches, committed
    /// before this call, are in it, since a checkpoint holds the log lock
    /// from its sync to its count.
    pub fn when_durable(&self, f: Box<dyn FnOnce() + Send>) {
        let due = self.shared.log.lock().checkpoints + 1;
        self.shared.waiters.lock().push((due, f));
    }
}

/// Takes the waiters whose checkpoint is done; all of them when `all`.
fn due_waiters(shared: &Shared, done: u64, all: bool) -> Vec<Waiter> {
    let mut w = shared.waiters.lock();
    if w.is_empty() {
        return Vec::new();
    }
    let (ready, wait) = std::mem::take(&mut *w)
        .into_iter()
        .partition(|(due, _)| all || *due <= done);
    *w = wait;
    ready
}

fn run(waiters: Vec<Waiter>) {
    for (_, f) in waiters {
        f();
    }
}

fn flush_loop(shared: &Shared, rx: &mpsc::Receiver<Signal>, every: Duration) {
    let mut next = Instant::now() + every;
    loop {
        let stop = match rx.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Ok(Signal::Full) => false,
            Err(RecvTimeoutError::Timeout) => {
                next = Instant::now() + every;
                false
            }
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => true,
        };
        let idle = {
            let log = shared.log.lock();
            // Under the log lock: everything committed by a waiter's owner
            // before it asked is then durable.
            log.is_empty()
                .then(|| due_waiters(shared, log.checkpoints, true))
        };
        if let Some(waiters) = idle {
            run(waiters);
            if stop {
                return;
            }
            continue;
        }
        // Most dirty object bytes go out here, without holding up writers;
        // the checkpoint's own sync then has little left to do.
        let _ = sync_filesystem(&shared.dir);
        let r = {
            let mut log = shared.log.lock();
            log.checkpoint(&shared.db).map(|()| log.checkpoints)
        };
        match r {
            Ok(done) => run(due_waiters(shared, done, false)),
            Err(e) => tracing::warn!("store checkpoint failed (writes stay in the log): {e}"),
        }
        if stop {
            return;
        }
    }
}

struct Log {
    file: File,
    /// The data directory, whose filesystem a checkpoint syncs.
    dir: File,
    header: Vec<u8>,
    len: u64,
    /// Checkpoints done since the log was opened.
    checkpoints: u64,
    full_signalled: bool,
    buf: Vec<u8>,
}

impl Log {
    /// Starts an empty log for this boot.
    fn create(path: &Path, dir: &Path) -> Result<Log> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        let dir = File::open(dir).map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        let mut log = Log {
            file,
            dir,
            header: wal::header(&boot_id()),
            len: 0,
            checkpoints: 0,
            full_signalled: false,
            buf: Vec::new(),
        };
        log.reset()?;
        Ok(log)
    }

    fn is_empty(&self) -> bool {
        self.len == self.header.len() as u64
    }

    fn reset(&mut self) -> Result<()> {
        self.file.set_len(0).map_err(err)?;
        self.file.write_all(&self.header).map_err(err)?;
        self.len = self.header.len() as u64;
        self.full_signalled = false;
        Ok(())
    }

    fn commit_group(&mut self, db: &Database, group: Vec<(Batch, Slot)>) {
        let batches: Vec<&Batch> = group.iter().map(|(b, _)| b).collect();
        match self.commit(db, &batches) {
            Ok(()) => {
                for (_, slot) in &group {
                    let _ = slot.set(Ok(()));
                }
            }
            // One bad batch must not fail the others: retry them one by one.
            Err(_) if group.len() > 1 => {
                for (batch, slot) in &group {
                    let _ = slot.set(self.commit(db, &[batch]));
                }
            }
            Err(e) => {
                for (_, slot) in &group {
                    let _ = slot.set(Err(e.clone()));
                }
            }
        }
    }

    /// Applies the batches in one non-durable transaction, and commits it
    /// only once their records are in the log: a batch that fails to apply
    /// is never logged, and one the log refused is never applied.
    fn commit(&mut self, db: &Database, batches: &[&Batch]) -> Result<()> {
        let mut txn = db.begin_write().map_err(err)?;
        txn.set_durability(Durability::None).map_err(err)?;
        for b in batches {
            if let Err(e) = apply(&txn, b) {
                let _ = txn.abort();
                return Err(e);
            }
        }
        self.buf.clear();
        for b in batches {
            wal::encode_record(b, &mut self.buf);
        }
        let before = self.len;
        if let Err(e) = self.file.write_all(&self.buf) {
            // A partial record would end replay there, hiding every later one.
            let _ = self.file.set_len(before);
            let _ = txn.abort();
            return Err(err(e));
        }
        self.len += self.buf.len() as u64;
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::new();
        }
        if let Err(e) = txn.commit() {
            let _ = self.file.set_len(before);
            self.len = before;
            return Err(err(e));
        }
        Ok(())
    }

    /// Makes everything committed so far durable, then empties the log.
    ///
    /// The order matters for files named by the state (S3 objects, written
    /// without fsync in this mode): the filesystem is synced first, so once
    /// redb durably names a file, the file's bytes are on disk too. Writers
    /// wait meanwhile (the caller holds the log lock), so no batch naming a
    /// newer, unsynced file slips into this durable commit.
    fn checkpoint(&mut self, db: &Database) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        sync_filesystem(&self.dir).map_err(err)?;
        durable_commit(db)?;
        self.checkpoints += 1;
        self.reset()
    }
}

fn durable_commit(db: &Database) -> Result<()> {
    let mut txn = db.begin_write().map_err(err)?;
    txn.set_durability(Durability::Immediate).map_err(err)?;
    // Reopening after a crash then loads the allocator state saved here
    // instead of walking the whole file.
    txn.set_quick_repair(true);
    txn.commit().map_err(err)
}

/// Replays a log left by an earlier run, if any, and makes the result
/// durable. Damage is never an error: replay stops before it.
pub fn recover(db: &Database, log_path: &Path, dir: &Path) -> Result<()> {
    let bytes = match std::fs::read(log_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError(format!("{}: {e}", log_path.display()))),
    };
    let contents = wal::read(&bytes);
    if contents.dropped_bytes > 0 {
        tracing::warn!(
            "{}: dropped {} bytes of a torn or damaged tail",
            log_path.display(),
            contents.dropped_bytes
        );
    }
    let boot = boot_id();
    if contents.boot_id.as_deref().is_some_and(|b| b != boot) {
        if !contents.batches.is_empty() {
            tracing::warn!(
                "{}: the machine restarted since it was written; {} batches after the last checkpoint are dropped",
                log_path.display(),
                contents.batches.len()
            );
        }
        return Ok(());
    }
    if contents.batches.is_empty() {
        return Ok(());
    }
    let mut txn = db.begin_write().map_err(err)?;
    // Durable only after the sync below, for the same reason as a checkpoint.
    txn.set_durability(Durability::None).map_err(err)?;
    for b in &contents.batches {
        apply(&txn, b)?;
    }
    txn.commit().map_err(err)?;
    // Their files are still only in the page cache of this boot.
    let d = File::open(dir).map_err(err)?;
    sync_filesystem(&d).map_err(err)?;
    durable_commit(db)
}

/// Identifies this boot of the machine; empty where the system does not say.
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Writes out every dirty file of the filesystem holding `dir`.
#[cfg(target_os = "linux")]
fn sync_filesystem(dir: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs only reads the descriptor, which `dir` keeps open.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_dir: &File) -> std::io::Result<()> {
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsyncPolicy, Store};
    use std::path::PathBuf;

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stratus-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn batch(f: impl FnOnce(&mut Batch) -> &mut Batch) -> Batch {
        let mut b = Batch::new();
        f(&mut b);
        b
    }

    /// A log as a killed process leaves it: records after the last checkpoint.
    fn write_log(dir: &Path, boot: &str, batches: &[Batch], tail: &[u8]) {
        let mut bytes = wal::header(boot);
        for b in batches {
            wal::encode_record(b, &mut bytes);
        }
        bytes.extend_from_slice(tail);
        std::fs::write(dir.join("state.wal"), bytes).unwrap();
    }

    fn get(s: &Store, key: &str) -> Option<String> {
        s.get("t", key.as_bytes())
            .unwrap()
            .map(|v| String::from_utf8(v).unwrap())
    }

    fn log_len(dir: &Path) -> u64 {
        std::fs::metadata(dir.join("state.wal")).unwrap().len()
    }

    #[test]
    fn opening_replays_records_in_order_and_drops_a_torn_tail() {
        for policy in [FsyncPolicy::Interval, FsyncPolicy::Always] {
            let dir = fresh_dir(&format!("replay-{policy:?}"));
            drop(Store::open_with(&dir, policy).unwrap());
            let mut torn = Vec::new();
            wal::encode_record(&batch(|b| b.put("t", "torn", "x")), &mut torn);
            torn.truncate(torn.len() - 3);
            write_log(
                &dir,
                &boot_id(),
                &[
                    batch(|b| b.put("t", "a", "1").put("t", "b", "1")),
                    batch(|b| b.put("t", "a", "2").delete("t", "b")),
                    batch(|b| b.put("t", "p/1", "x").put("t", "p/2", "x")),
                    batch(|b| b.delete_prefix("t", "p/").put("t", "p/3", "y")),
                ],
                &torn,
            );
            let s = Store::open_with(&dir, policy).unwrap();
            assert_eq!(get(&s, "a").as_deref(), Some("2"), "{policy:?}");
            assert_eq!(get(&s, "b"), None);
            assert_eq!(get(&s, "torn"), None);
            let p: Vec<_> = s
                .scan("t", b"p/")
                .unwrap()
                .into_iter()
                .map(|e| e.0)
                .collect();
            assert_eq!(p, vec![b"p/3".to_vec()]);
            // The replayed state is durable and the log was emptied: a second
            // open finds the same without it.
            drop(s);
            let _ = std::fs::remove_file(dir.join("state.wal"));
            let s = Store::open_with(&dir, policy).unwrap();
            assert_eq!(get(&s, "a").as_deref(), Some("2"));
            drop(s);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn replaying_records_already_checkpointed_changes_nothing() {
        let dir = fresh_dir("idempotent");
        let batches = [
            batch(|b| b.put("t", "k", "1")),
            batch(|b| b.delete("t", "k").put("t", "j", "2")),
        ];
        write_log(&dir, &boot_id(), &batches, b"");
        drop(Store::open(&dir).unwrap());
        // As if the process died between a checkpoint's commit and the
        // truncation of the log.
        write_log(&dir, &boot_id(), &batches, b"");
        let s = Store::open(&dir).unwrap();
        assert_eq!(get(&s, "k"), None);
        assert_eq!(get(&s, "j").as_deref(), Some("2"));
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_log_from_an_earlier_boot_is_dropped() {
        let dir = fresh_dir("reboot");
        {
            let s = Store::open(&dir).unwrap();
            s.commit(batch(|b| b.put("t", "kept", "1"))).unwrap();
        }
        write_log(
            &dir,
            "another-boot",
            &[batch(|b| b.put("t", "after", "1").delete("t", "kept"))],
            b"",
        );
        let s = Store::open(&dir).unwrap();
        assert_eq!(get(&s, "kept").as_deref(), Some("1"));
        assert_eq!(get(&s, "after"), None);
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_garbage_log_does_not_stop_the_store_opening() {
        let dir = fresh_dir("garbage");
        drop(Store::open(&dir).unwrap());
        std::fs::write(dir.join("state.wal"), b"\0\0\0\0not a log at all").unwrap();
        let s = Store::open(&dir).unwrap();
        s.commit(batch(|b| b.put("t", "k", "v"))).unwrap();
        assert_eq!(get(&s, "k").as_deref(), Some("v"));
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commits_are_logged_in_order_until_a_checkpoint() {
        let dir = fresh_dir("logged");
        let db = Arc::new(Database::create(dir.join("state.redb")).unwrap());
        let log_path = dir.join("state.wal");
        let w = Logged::open_every(db.clone(), &log_path, &dir, Duration::from_secs(3600)).unwrap();
        for i in 0..3 {
            let t = w.submit(batch(|b| b.put("t", format!("k{i}"), "v")));
            t.wait().unwrap();
        }
        let logged = wal::read(&std::fs::read(&log_path).unwrap());
        assert_eq!(logged.boot_id.as_deref(), Some(boot_id().as_str()));
        let keys: Vec<_> = logged
            .batches
            .iter()
            .map(|b| match &b.ops[..] {
                [crate::Op::Put { key, .. }] => key.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(keys, [b"k0".to_vec(), b"k1".to_vec(), b"k2".to_vec()]);
        w.shared.log.lock().checkpoint(&w.shared.db).unwrap();
        let after = wal::read(&std::fs::read(&log_path).unwrap());
        assert!(after.batches.is_empty());
        assert_eq!(after.dropped_bytes, 0);
        drop(w);
        drop(db);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn when_durable_waits_for_the_checkpoint() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = fresh_dir("waiters");
        let db = Arc::new(Database::create(dir.join("state.redb")).unwrap());
        let w = Logged::open_every(
            db.clone(),
            &dir.join("state.wal"),
            &dir,
            Duration::from_secs(3600),
        )
        .unwrap();
        w.submit(batch(|b| b.put("t", "k", "v"))).wait().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        w.when_durable(Box::new(move || r.store(true, Ordering::SeqCst)));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!ran.load(Ordering::SeqCst), "ran before any checkpoint");
        // Closing checkpoints, then runs what waited for it.
        drop(w);
        assert!(ran.load(Ordering::SeqCst));
        drop(db);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_flusher_checkpoints_on_its_own() {
        let dir = fresh_dir("checkpoint");
        let s = Store::open(&dir).unwrap();
        let empty = log_len(&dir);
        assert_eq!(empty, wal::header(&boot_id()).len() as u64);
        s.commit(batch(|b| b.put("t", "k", "v"))).unwrap();
        // Readable at once, before any checkpoint.
        assert_eq!(get(&s, "k").as_deref(), Some("v"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while log_len(&dir) != empty {
            assert!(Instant::now() < deadline, "no checkpoint within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Once emptied, the write lives on in redb alone.
        drop(s);
        std::fs::remove_file(dir.join("state.wal")).unwrap();
        let s = Store::open(&dir).unwrap();
        assert_eq!(get(&s, "k").as_deref(), Some("v"));
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
