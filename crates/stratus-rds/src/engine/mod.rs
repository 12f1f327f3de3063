//! The database servers behind DB instances. An [`Engine`] knows how to
//! initialise a data directory with the master user and first database,
//! start and stop its server on a loopback port, and copy its data for a
//! snapshot and back. [`Engines`] finds which servers are installed.

pub mod logs;
pub mod mariadb;
pub mod os;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;

pub use crate::server_params::ServerParam;

/// The login Stratus keeps on every server for itself (AWS has its own
/// `rdsadmin` too).
pub const ADMIN_USER: &str = "rdsadmin";

/// What a new server is initialised with.
#[derive(Clone, Default)]
pub struct InitSpec {
    pub master_user: String,
    pub master_password: Option<String>,
    pub db_name: Option<String>,
    pub admin_password: String,
    /// A read replica's server refuses writes from the master user.
    pub read_only: bool,
    /// Settings from the parameter group and the instance class.
    pub params: Vec<ServerParam>,
}

/// Where a new server's data comes from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A fresh server with the master user and first database.
    Empty,
    /// A snapshot's copy, in this directory.
    Snapshot(PathBuf),
    /// A copy of the running source server, which it then follows.
    Replica { source_port: u16 },
    /// An automated backup with the source's logs replayed on top.
    PointInTime(PointInTime),
}

/// Where a point-in-time restore's data comes from.
#[derive(Clone, Debug)]
pub struct PointInTime {
    /// The automated backup's copy (a snapshot directory).
    pub base: PathBuf,
    /// The source instance's directory, which holds its logs.
    pub source: Layout,
    /// The source server's port while it runs: its latest changes are
    /// flushed to the logs first.
    pub source_port: Option<u16>,
    /// The last moment whose changes are kept (server time, millis since
    /// the epoch); None keeps every change the logs hold.
    pub until_ms: Option<i64>,
}

impl std::fmt::Debug for InitSpec {
    // Passwords never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitSpec")
            .field("master_user", &self.master_user)
            .field("db_name", &self.db_name)
            .finish_non_exhaustive()
    }
}

/// An instance's files: `data/` (the server's own), its log, pid file and
/// the marker written once the master user and database exist.
#[derive(Clone, Debug)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }
    pub fn bootstrapped(&self) -> PathBuf {
        self.dir.join("bootstrapped")
    }
    /// Where the server archives its write-ahead log for point-in-time
    /// restores. A Multi-AZ standby (`standby/` inside its instance's
    /// directory) uses its instance's archive, as it becomes the primary
    /// at failover.
    pub fn archive(&self) -> PathBuf {
        match (self.dir.file_name(), self.dir.parent()) {
            (Some(n), Some(parent)) if n == "standby" => parent.join("wal"),
            _ => self.dir.join("wal"),
        }
    }
}

pub trait Engine: Send + Sync + 'static {
    /// `PostgreSQL 15`, `MariaDB`.
    fn label(&self) -> String;
    /// Creates `layout.data()` for a new server.
    fn init(&self, layout: &Layout, spec: &InitSpec) -> Result<(), String>;
    /// Creates `layout.data()` from a snapshot's copy (`from`); the
    /// server then starts with the snapshot's users and databases.
    fn restore(&self, layout: &Layout, spec: &InitSpec, from: &Path) -> Result<(), String>;
    /// Starts the server listening on 127.0.0.1:`port` only.
    fn start(&self, layout: &Layout, spec: &InitSpec, port: u16) -> Result<Child, String>;
    /// Whether the server accepts connections.
    fn ready(&self, port: u16, spec: &InitSpec) -> bool;
    /// Creates `layout.data()` for a point-in-time restore (the logs may
    /// also be replayed by [`Engine::bootstrap`] once the server runs).
    fn restore_to(&self, layout: &Layout, spec: &InitSpec, pit: &PointInTime)
    -> Result<(), String>;
    /// Creates `layout.data()` for a read replica of the server on
    /// `source_port` (logging in with the shared admin password).
    fn replicate(&self, layout: &Layout, spec: &InitSpec, source_port: u16) -> Result<(), String>;
    /// Runs once the first start is ready: creates the master user and
    /// the first database, loads a snapshot's logical copy, or starts
    /// following the replica's source.
    fn bootstrap(
        &self,
        layout: &Layout,
        spec: &InitSpec,
        port: u16,
        origin: &Origin,
    ) -> Result<(), String>;
    /// Applies `spec.params` to the running server: dynamic settings at
    /// once, static ones at the next start.
    fn apply_params(&self, layout: &Layout, port: u16, spec: &InitSpec) -> Result<(), String>;
    /// Makes a read replica a writable server of its own.
    fn promote(&self, port: u16, spec: &InitSpec) -> Result<(), String>;
    /// Whether a stopped replica's data can start as a writable server
    /// ([`Engine::promote_stopped`]): quicker than promoting it running,
    /// then restarting it.
    fn promotes_stopped(&self) -> bool {
        false
    }
    fn promote_stopped(&self, layout: &Layout) -> Result<(), String> {
        let _ = layout;
        Err(format!("{} promotes running servers only", self.label()))
    }
    fn stop(&self, child: &mut Child);
    /// Copies the running server's data into `out` (a new directory).
    fn snapshot(&self, port: u16, spec: &InitSpec, out: &Path) -> Result<(), String>;
    fn set_password(
        &self,
        port: u16,
        spec: &InitSpec,
        user: &str,
        password: &str,
    ) -> Result<(), String>;
    /// How many client connections the server has (Stratus's own and
    /// replication's left out), for DatabaseConnections.
    fn connections(&self, port: u16, spec: &InitSpec) -> Option<f64>;
    /// Stops a server an earlier run of Stratus left running in `layout`.
    fn stop_orphan(&self, layout: &Layout);
}

/// The engines installed on this machine.
#[derive(Clone, Default)]
pub struct Engines {
    /// PostgreSQL by major version.
    postgres: Vec<(String, Arc<postgres::Postgres>)>,
    mariadb: Option<Arc<mariadb::MariaDb>>,
    disabled: bool,
}

impl Engines {
    pub fn discover() -> Engines {
        Engines {
            postgres: postgres::Postgres::discover()
                .into_iter()
                .map(|p| (p.major.clone(), Arc::new(p)))
                .collect(),
            mariadb: mariadb::MariaDb::discover().map(Arc::new),
            disabled: false,
        }
    }

    /// No real servers: every instance is API state only.
    pub fn none() -> Engines {
        Engines {
            disabled: true,
            ..Engines::default()
        }
    }

    /// The server for an engine at a major version, or why there is none.
    pub fn get(&self, engine: &str, major: &str) -> Result<Arc<dyn Engine>, String> {
        if self.disabled {
            return Err(
                "Database servers are turned off (--rds-engines off); this instance exists only as API state."
                    .to_string(),
            );
        }
        match engine {
            "postgres" => self
                .postgres
                .iter()
                .find(|(m, _)| m == major)
                .map(|(_, p)| p.clone() as Arc<dyn Engine>)
                .ok_or_else(|| {
                    format!(
                        "PostgreSQL {major} is not installed on this machine (apt-get install postgresql-{major}); this instance exists only as API state."
                    )
                }),
            "mysql" | "mariadb" => self
                .mariadb
                .clone()
                .map(|m| m as Arc<dyn Engine>)
                .ok_or_else(|| {
                    "MariaDB is not installed on this machine (apt-get install mariadb-server); this instance exists only as API state."
                        .to_string()
                }),
            other => Err(format!("No local server for engine {other}.")),
        }
    }

    /// Whether an engine's major version can run here (picks default
    /// versions).
    pub fn installed(&self, engine: &str, major: &str) -> bool {
        match engine {
            "postgres" => self.postgres.iter().any(|(m, _)| m == major),
            _ => self.mariadb.is_some(),
        }
    }

    pub fn summary(&self) -> String {
        if self.disabled {
            return "off".to_string();
        }
        let mut v: Vec<String> = self
            .postgres
            .iter()
            .map(|(m, _)| format!("postgres {m}"))
            .collect();
        if self.mariadb.is_some() {
            v.push("mariadb (mysql, mariadb)".to_string());
        }
        if v.is_empty() {
            "none installed".to_string()
        } else {
            v.join(", ")
        }
    }
}

/// A SQL string literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn init_specs_never_print_passwords() {
        let s = InitSpec {
            master_user: "admin".into(),
            master_password: Some("hunter22".into()),
            db_name: None,
            admin_password: "adminpw99".into(),
            read_only: false,
            params: Vec::new(),
        };
        let d = format!("{s:?}");
        assert!(d.contains("admin"));
        assert!(!d.contains("hunter22") && !d.contains("adminpw99"));
    }

    #[test]
    fn standbys_archive_into_their_instance() {
        let primary = Layout {
            dir: PathBuf::from("/d/instances/db-1"),
        };
        let standby = Layout {
            dir: PathBuf::from("/d/instances/db-1/standby"),
        };
        assert_eq!(primary.archive(), PathBuf::from("/d/instances/db-1/wal"));
        assert_eq!(standby.archive(), primary.archive());
    }

    #[test]
    fn disabled_engines_say_why() {
        let e = Engines::none();
        let err = e.get("postgres", "15").err().unwrap();
        assert!(err.contains("--rds-engines off"));
    }
}
