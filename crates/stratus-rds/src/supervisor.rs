//! The database server processes: one worker thread per DB instance runs
//! its slow steps (initialise, start, wait until ready, snapshot, stop) in
//! order, and keeps the server as a child it tracks. Requests and the
//! lifecycle task hand work over and collect results by ticket, so no
//! request waits on a server.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::engine::{Engine, InitSpec, Layout, Origin, os};

/// How often an idle worker checks that its server still runs.
const WATCH_PERIOD: Duration = Duration::from_millis(50);

/// How long a server may take to accept connections after it starts.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub enum Cmd {
    /// Initialises the data directory when there is none (from `origin`),
    /// starts the server on `port` (another free one if taken) and waits
    /// until it accepts connections; the first time, creates the master
    /// user and database (or loads the copy, or follows the source).
    Start {
        spec: InitSpec,
        port: u16,
        origin: Origin,
    },
    /// Turns a read replica into a writable server of its own.
    Promote {
        spec: InitSpec,
    },
    Stop,
    Restart {
        spec: InitSpec,
        port: u16,
    },
    /// Copies the data into `out`, starting the server for the copy if it
    /// is stopped.
    Snapshot {
        spec: InitSpec,
        port: u16,
        out: PathBuf,
    },
    SetPassword {
        spec: InitSpec,
        user: String,
        password: String,
    },
    /// Stops the server and removes its files.
    Destroy,
    /// Keeps a Multi-AZ standby: a replica of the running server, on a
    /// port of its own, that failover promotes. `spec` is read-only.
    EnsureStandby {
        spec: InitSpec,
        primary_port: u16,
    },
    DropStandby,
    /// Applies the parameter group's settings to the running server.
    ApplyParams {
        spec: InitSpec,
    },
    /// Promotes the standby in place of the server (stopped first, when
    /// still running), on `port`; a plain restart without a standby.
    Failover {
        spec: InitSpec,
        port: u16,
    },
}

/// What a step interrupted by shutdown or reset answers; not a failure.
pub const INTERRUPTED: &str = "Stratus is stopping";

/// The port the server listens on, when the step leaves one running.
pub type Outcome = Result<Option<u16>, String>;

struct Running {
    child: Child,
    port: u16,
}

type Slot = Arc<Mutex<Option<Running>>>;

struct Worker {
    tx: Sender<(u64, Cmd)>,
    proc: Slot,
    standby: Slot,
    engine: Arc<dyn Engine>,
}

/// The port of the server in `slot` while it runs; clears a dead one.
fn slot_port(slot: &Mutex<Option<Running>>, shared: &Shared) -> Option<u16> {
    let mut p = slot.lock();
    let r = p.as_mut()?;
    match r.child.try_wait() {
        Ok(None) => Some(r.port),
        _ => {
            shared.ports.lock().remove(&r.port);
            *p = None;
            None
        }
    }
}

struct Shared {
    results: Mutex<HashMap<u64, Outcome>>,
    ports: Mutex<HashSet<u16>>,
    /// Bumped by shutdown and reset: workers of an older epoch start no
    /// more servers.
    epoch: AtomicU64,
    /// Called after each step, so statuses move without waiting for the
    /// next tick.
    on_done: Mutex<Option<Notify>>,
}

pub type Notify = Arc<dyn Fn() + Send + Sync>;

pub struct Supervisor {
    root: PathBuf,
    /// A temporary root (ephemeral state), removed at shutdown.
    temporary: bool,
    workers: Mutex<HashMap<String, Worker>>,
    shared: Arc<Shared>,
    next: AtomicU64,
    /// Set once Stratus is exiting: no more steps are taken.
    closed: AtomicBool,
}

impl Supervisor {
    pub fn new(root: PathBuf, temporary: bool) -> Supervisor {
        Supervisor {
            root,
            temporary,
            workers: Mutex::new(HashMap::new()),
            shared: Arc::new(Shared {
                results: Mutex::new(HashMap::new()),
                ports: Mutex::new(HashSet::new()),
                epoch: AtomicU64::new(0),
                on_done: Mutex::new(None),
            }),
            next: AtomicU64::new(1),
            closed: AtomicBool::new(false),
        }
    }

    pub fn on_done(&self, f: Notify) {
        *self.shared.on_done.lock() = Some(f);
    }

    pub fn instance_dir(&self, resource_id: &str) -> PathBuf {
        self.root.join("instances").join(resource_id)
    }

    pub fn snapshot_dir(&self, name: &str) -> PathBuf {
        self.root.join("snapshots").join(name)
    }

    /// Queues a step for an instance's server; its outcome comes from
    /// [`Supervisor::outcome`] with the returned ticket.
    pub fn submit(&self, resource_id: &str, engine: Arc<dyn Engine>, cmd: Cmd) -> u64 {
        let ticket = self.next.fetch_add(1, Ordering::SeqCst);
        let mut workers = self.workers.lock();
        let w = workers
            .entry(resource_id.to_string())
            .or_insert_with(|| self.spawn_worker(resource_id, engine));
        if w.tx.send((ticket, cmd)).is_err() {
            self.shared
                .results
                .lock()
                .insert(ticket, Err("the server's worker has stopped".into()));
        }
        ticket
    }

    pub fn outcome(&self, ticket: u64) -> Option<Outcome> {
        self.shared.results.lock().remove(&ticket)
    }

    /// The port of the instance's server while it runs.
    pub fn running(&self, resource_id: &str) -> Option<u16> {
        let workers = self.workers.lock();
        let w = workers.get(resource_id)?;
        slot_port(&w.proc, &self.shared)
    }

    /// The process id of the instance's running server.
    pub fn server_pid(&self, resource_id: &str) -> Option<u32> {
        let workers = self.workers.lock();
        let w = workers.get(resource_id)?;
        w.proc.lock().as_ref().map(|r| r.child.id())
    }

    /// Whether the instance's Multi-AZ standby runs.
    pub fn standby_running(&self, resource_id: &str) -> bool {
        let workers = self.workers.lock();
        workers
            .get(resource_id)
            .is_some_and(|w| slot_port(&w.standby, &self.shared).is_some())
    }

    /// Drops the worker of a destroyed instance.
    pub fn forget(&self, resource_id: &str) {
        self.workers.lock().remove(resource_id);
    }

    fn spawn_worker(&self, resource_id: &str, engine: Arc<dyn Engine>) -> Worker {
        let (tx, rx) = channel();
        let proc: Slot = Arc::new(Mutex::new(None));
        let standby: Slot = Arc::new(Mutex::new(None));
        let dir = self.instance_dir(resource_id);
        let ctx = WorkerCtx {
            standby_layout: Layout {
                dir: dir.join("standby"),
            },
            layout: Layout { dir },
            engine: engine.clone(),
            proc: proc.clone(),
            standby: standby.clone(),
            shared: self.shared.clone(),
            epoch: self.shared.epoch.load(Ordering::SeqCst),
        };
        let name = format!("rds-{}", resource_id.to_ascii_lowercase());
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || ctx.run(rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start a database worker: {e}");
        }
        Worker {
            tx,
            proc,
            standby,
            engine,
        }
    }

    /// Stops every server (Stratus is stopping or resetting), all at once.
    pub fn stop_all(&self) {
        self.shared.epoch.fetch_add(1, Ordering::SeqCst);
        let mut running: Vec<(Arc<dyn Engine>, Running)> = Vec::new();
        for w in self.workers.lock().values() {
            for slot in [&w.proc, &w.standby] {
                if let Some(r) = slot.lock().take() {
                    running.push((w.engine.clone(), r));
                }
            }
        }
        if !running.is_empty() {
            tracing::info!(count = running.len(), "stopping database servers");
        }
        std::thread::scope(|s| {
            for (engine, mut r) in running {
                s.spawn(move || engine.stop(&mut r.child));
            }
        });
        self.shared.ports.lock().clear();
    }

    /// Stops every server and removes all instance and snapshot files.
    pub fn reset(&self) {
        self.stop_all();
        self.workers.lock().clear();
        self.shared.results.lock().clear();
        for sub in ["instances", "snapshots"] {
            let _ = std::fs::remove_dir_all(self.root.join(sub));
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Stratus is stopping: servers stop, temporary files go.
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.stop_all();
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    pub fn remove_snapshot_files(&self, name: &str) {
        if !name.is_empty() {
            let _ = std::fs::remove_dir_all(self.snapshot_dir(name));
        }
    }
}

struct WorkerCtx {
    layout: Layout,
    standby_layout: Layout,
    engine: Arc<dyn Engine>,
    proc: Slot,
    standby: Slot,
    shared: Arc<Shared>,
    epoch: u64,
}

impl WorkerCtx {
    fn run(self, rx: Receiver<(u64, Cmd)>) {
        loop {
            let (ticket, cmd) = match rx.recv_timeout(WATCH_PERIOD) {
                Ok(next) => next,
                Err(RecvTimeoutError::Timeout) => {
                    // A server that died is noticed at once, so a standby
                    // can take over without waiting for the next tick.
                    let was_running = self.proc.lock().is_some();
                    if was_running && self.port().is_none() {
                        tracing::warn!(dir = %self.layout.dir.display(), "database server exited");
                        self.notify();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let out = self.step(cmd);
            if let Err(e) = &out {
                tracing::warn!(dir = %self.layout.dir.display(), "database server: {e}");
            }
            self.shared.results.lock().insert(ticket, out);
            self.notify();
        }
    }

    fn notify(&self) {
        let f = self.shared.on_done.lock().clone();
        if let Some(f) = f {
            f();
        }
    }

    fn current(&self) -> bool {
        self.shared.epoch.load(Ordering::SeqCst) == self.epoch
    }

    fn step(&self, cmd: Cmd) -> Outcome {
        match cmd {
            Cmd::Start { spec, port, origin } => self.start(&spec, port, &origin).map(Some),
            Cmd::Promote { spec } => {
                let port = self.port().ok_or("the server is not running")?;
                self.engine.promote(port, &spec).map(|_| Some(port))
            }
            Cmd::Stop => {
                self.stop_slot(&self.standby);
                self.stop();
                Ok(None)
            }
            Cmd::Restart { spec, port } => {
                self.stop();
                self.start(&spec, port, &Origin::Empty).map(Some)
            }
            Cmd::Snapshot { spec, port, out } => {
                let was_running = self.port().is_some();
                let port = self.start(&spec, port, &Origin::Empty)?;
                let res = self.engine.snapshot(port, &spec, &out);
                if !was_running {
                    self.stop();
                }
                res.map(|_| if was_running { Some(port) } else { None })
            }
            Cmd::SetPassword {
                spec,
                user,
                password,
            } => {
                let port = self.port().ok_or("the server is not running")?;
                self.engine
                    .set_password(port, &spec, &user, &password)
                    .map(|_| Some(port))
            }
            Cmd::EnsureStandby { spec, primary_port } => {
                let origin = Origin::Replica {
                    source_port: primary_port,
                };
                self.launch(&self.standby_layout, &self.standby, &spec, 0, &origin)
                    .map(Some)
            }
            Cmd::DropStandby => {
                self.stop_slot(&self.standby);
                let _ = std::fs::remove_dir_all(&self.standby_layout.dir);
                Ok(None)
            }
            Cmd::Failover { spec, port } => self.failover(&spec, port).map(Some),
            Cmd::ApplyParams { spec } => {
                let port = self.port().ok_or("the server is not running")?;
                self.engine
                    .apply_params(&self.layout, port, &spec)
                    .map(|_| Some(port))
            }
            Cmd::Destroy => {
                self.stop_slot(&self.standby);
                self.stop();
                self.engine.stop_orphan(&self.layout);
                let _ = std::fs::remove_dir_all(&self.layout.dir);
                Ok(None)
            }
        }
    }

    fn port(&self) -> Option<u16> {
        slot_port(&self.proc, &self.shared)
    }

    fn stop(&self) {
        self.stop_slot(&self.proc);
    }

    fn stop_slot(&self, slot: &Mutex<Option<Running>>) {
        let taken = slot.lock().take();
        if let Some(mut r) = taken {
            self.engine.stop(&mut r.child);
            self.shared.ports.lock().remove(&r.port);
        }
    }

    /// The standby takes the server's place: promoted, then started from
    /// the server's directory on the server's port. Writes stop from the
    /// moment the server stops until the standby answers, so the old files
    /// are only moved aside meanwhile and removed once it does.
    fn failover(&self, spec: &InitSpec, port: u16) -> Result<u16, String> {
        let Some(standby_port) = slot_port(&self.standby, &self.shared) else {
            self.stop();
            return self.start(spec, port, &Origin::Empty);
        };
        // The server stops before the standby is promoted, so no write can
        // land on both (PostgreSQL's fast shutdown also sends the standby
        // every change first).
        self.stop();
        if self.engine.promotes_stopped() {
            self.stop_slot(&self.standby);
            self.engine.promote_stopped(&self.standby_layout)?;
        } else {
            self.engine.promote(standby_port, spec)?;
            self.stop_slot(&self.standby);
        }
        let old = discard_path(&self.layout.dir);
        std::fs::rename(self.layout.data(), &old).map_err(|e| format!("failover: {e}"))?;
        std::fs::rename(self.standby_layout.data(), self.layout.data())
            .map_err(|e| format!("failover: {e}"))?;
        let standby_rest = discard_path(&self.layout.dir);
        let _ = std::fs::rename(&self.standby_layout.dir, &standby_rest);
        let started = self.start(spec, port, &Origin::Empty);
        remove_in_background(vec![old, standby_rest]);
        started
    }

    /// The asked port when nothing listens there, else a free one.
    fn pick_port(&self, wanted: u16) -> Result<u16, String> {
        let mut ports = self.shared.ports.lock();
        let port = if wanted != 0 && !ports.contains(&wanted) && os::port_free(wanted) {
            wanted
        } else {
            let mut found = None;
            for _ in 0..20 {
                if let Some(p) = os::free_port().filter(|p| !ports.contains(p)) {
                    found = Some(p);
                    break;
                }
            }
            found.ok_or("no free port on 127.0.0.1")?
        };
        ports.insert(port);
        Ok(port)
    }

    fn start(&self, spec: &InitSpec, wanted: u16, origin: &Origin) -> Result<u16, String> {
        self.launch(&self.layout, &self.proc, spec, wanted, origin)
    }

    fn launch(
        &self,
        l: &Layout,
        slot: &Mutex<Option<Running>>,
        spec: &InitSpec,
        wanted: u16,
        origin: &Origin,
    ) -> Result<u16, String> {
        if let Some(port) = slot_port(slot, &self.shared) {
            return Ok(port);
        }
        if !self.current() {
            return Err(INTERRUPTED.into());
        }
        if !l.data().exists() {
            let _ = std::fs::remove_dir_all(&l.dir);
            let made = match origin {
                Origin::Snapshot(from) => self.engine.restore(l, spec, from),
                Origin::PointInTime(pit) => self.engine.restore_to(l, spec, pit),
                Origin::Replica { source_port } => self.engine.replicate(l, spec, *source_port),
                Origin::Empty => self.engine.init(l, spec),
            };
            if let Err(e) = made {
                let _ = std::fs::remove_dir_all(&l.dir);
                return Err(e);
            }
        }
        // A server an earlier, crashed run left behind still holds the port.
        self.engine.stop_orphan(l);
        let port = self.pick_port(wanted)?;
        let started = Instant::now();
        let child = match self.engine.start(l, spec, port) {
            Ok(c) => c,
            Err(e) => {
                self.shared.ports.lock().remove(&port);
                return Err(e);
            }
        };
        *slot.lock() = Some(Running { child, port });
        loop {
            if !self.current() {
                self.stop_slot(slot);
                return Err(INTERRUPTED.into());
            }
            if slot_port(slot, &self.shared).is_none() {
                return Err(format!(
                    "the {} server exited while starting; see {}",
                    self.engine.label(),
                    l.log().display()
                ));
            }
            if self.engine.ready(port, spec) {
                break;
            }
            if started.elapsed() > READY_TIMEOUT {
                self.stop_slot(slot);
                return Err(format!(
                    "the {} server did not accept connections within {} s",
                    self.engine.label(),
                    READY_TIMEOUT.as_secs()
                ));
            }
            // Short: during a failover, writes wait for this loop.
            std::thread::sleep(Duration::from_millis(20));
        }
        if !l.bootstrapped().exists() {
            if let Err(e) = self.engine.bootstrap(l, spec, port, origin) {
                self.stop_slot(slot);
                return Err(e);
            }
            std::fs::write(l.bootstrapped(), b"").map_err(|e| format!("marker: {e}"))?;
        }
        tracing::debug!(port, dir = %l.dir.display(), "database server ready");
        Ok(port)
    }
}

/// A new name in `dir` to move a directory to before it is removed (one
/// an earlier run left there may still exist).
fn discard_path(dir: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let p = dir.join(format!("{DISCARDED}{}-{n}", std::process::id()));
        if !p.exists() {
            return p;
        }
    }
}

/// Directory names of files moved aside to be removed.
const DISCARDED: &str = "discarded-";

/// Removes directories on a thread of their own: removing a server's
/// files takes seconds on a busy disk, and nothing waits for it. Leftovers
/// of an interrupted removal go with the next failover's.
fn remove_in_background(dirs: Vec<PathBuf>) {
    let mut all = dirs;
    if let Some(parent) = all.first().and_then(|d| d.parent()) {
        if let Ok(rd) = std::fs::read_dir(parent) {
            for e in rd.flatten() {
                let stale = e.file_name().to_string_lossy().starts_with(DISCARDED);
                if stale && !all.contains(&e.path()) {
                    all.push(e.path());
                }
            }
        }
    }
    let spawned = std::thread::Builder::new()
        .name("rds-discard".into())
        .spawn(move || {
            for d in all {
                let _ = std::fs::remove_dir_all(d);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot remove old database files: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discarded_directories_get_names_not_taken() {
        let dir = std::env::temp_dir().join(format!("stratus-discard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A leftover holds the name the next call would pick first.
        let probe = discard_path(&dir);
        let name = probe.file_name().unwrap().to_string_lossy().into_owned();
        let (stem, n) = name.rsplit_once('-').unwrap();
        let next: u64 = n.parse::<u64>().unwrap() + 1;
        let leftover = dir.join(format!("{stem}-{next}"));
        std::fs::create_dir_all(&leftover).unwrap();
        let got = discard_path(&dir);
        assert_ne!(got, leftover);
        assert!(!got.exists() && got.starts_with(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
