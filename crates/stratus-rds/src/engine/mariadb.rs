//! MariaDB, for the `mariadb` and `mysql` engines: `mariadb-install-db`,
//! the admin login made by an init file on first start, snapshots as
//! logical dumps of every database (users included) that restores load.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::os;
use super::{ADMIN_USER, Engine, InitSpec, Layout, Origin, PointInTime, logs, quote_literal};

pub struct MariaDb {
    server: PathBuf,
    install_db: PathBuf,
    client: PathBuf,
    admin: PathBuf,
    dump: PathBuf,
    binlog: Option<PathBuf>,
}

const SBIN: &[&str] = &["/usr/sbin", "/usr/local/sbin", "/usr/bin"];

fn account(user: &str) -> String {
    format!("{}@'%'", quote_literal(user))
}

/// A server id of 1 to 2^31 - 1, fixed per instance directory (a
/// standby's differs from its primary's).
fn server_id(layout: &Layout) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in layout.dir.to_string_lossy().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(16_777_619);
    }
    (h & 0x7fff_ffff).max(1)
}

/// The source's binary log coordinates a replica has received, from
/// `SHOW SLAVE STATUS` printed one field a line (`-E`).
fn received_up_to(status: &str) -> Option<(String, u64)> {
    let field = |name: &str| {
        status.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let file = field("Master_Log_File").filter(|f| !f.is_empty())?;
    let pos = field("Read_Master_Log_Pos")?.parse().ok()?;
    Some((file, pos))
}

impl MariaDb {
    pub fn discover() -> Option<MariaDb> {
        Some(MariaDb {
            server: os::find_binary("mariadbd", SBIN)?,
            install_db: os::find_binary("mariadb-install-db", SBIN)?,
            client: os::find_binary("mariadb", SBIN)?,
            admin: os::find_binary("mariadb-admin", SBIN)?,
            dump: os::find_binary("mariadb-dump", SBIN)?,
            binlog: os::find_binary("mariadb-binlog", SBIN),
        })
    }

    fn init_file(layout: &Layout) -> PathBuf {
        layout.dir.join("init.sql")
    }

    /// The server's socket: unused by Stratus, but MariaDB always makes
    /// one, and a path under the data directory may be too long for it.
    fn socket(layout: &Layout) -> PathBuf {
        std::env::temp_dir().join(format!("stratus-mariadb-{}.sock", server_id(layout)))
    }

    /// Each server's own temporary directory: a server starting removes
    /// the temporary files it finds there, which would break another's
    /// bootstrap under way in a shared /tmp.
    fn tmp_dir(layout: &Layout) -> Result<PathBuf, String> {
        let d = layout.dir.join("tmp");
        std::fs::create_dir_all(&d).map_err(|e| format!("mkdir: {e}"))?;
        Ok(d)
    }

    fn pid_file(layout: &Layout) -> PathBuf {
        layout.dir.join("mariadbd.pid")
    }

    /// A client tool logging in as the admin over TCP.
    fn client_cmd(&self, bin: &Path, port: u16, spec: &InitSpec) -> Command {
        let mut c = Command::new(bin);
        c.arg("--no-defaults")
            .arg("-h127.0.0.1")
            .arg(format!("-P{port}"))
            .arg(format!("-u{ADMIN_USER}"))
            .env("MYSQL_PWD", &spec.admin_password);
        // mariadb-dump has no such option.
        if bin != self.dump {
            c.arg("--connect-timeout=5");
        }
        c
    }

    fn sql(&self, port: u16, spec: &InitSpec, sql: &str) -> Result<String, String> {
        os::run(
            &mut self.client_cmd(&self.client, port, spec),
            Some(sql),
            "mariadb",
        )
    }

    fn install(&self, layout: &Layout, spec: &InitSpec) -> Result<(), String> {
        std::fs::create_dir_all(&layout.dir).map_err(|e| format!("mkdir: {e}"))?;
        let mut c = Command::new(&self.install_db);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", layout.data().display()))
            .arg("--skip-test-db")
            .arg("--auth-root-authentication-method=socket")
            .arg(format!("--tmpdir={}", Self::tmp_dir(layout)?.display()));
        if os::is_root() {
            c.arg("--user=root");
        }
        os::run(&mut c, None, "mariadb-install-db")?;
        // Read once, at the first start, then removed: it holds the admin
        // password.
        let pw = quote_literal(&spec.admin_password);
        let admin = account(ADMIN_USER);
        let init = format!(
            "CREATE USER IF NOT EXISTS {admin} IDENTIFIED BY {pw};\n\
             ALTER USER {admin} IDENTIFIED BY {pw};\n\
             GRANT ALL PRIVILEGES ON *.* TO {admin} WITH GRANT OPTION;\n"
        );
        let f = Self::init_file(layout);
        std::fs::write(&f, init).map_err(|e| format!("init file: {e}"))?;
        os::set_mode(&f, 0o600).map_err(|e| format!("chmod: {e}"))
    }
}

impl MariaDb {
    /// Loads the automated backup, then replays the source's binary log
    /// from the backup's coordinates up to the restore time.
    fn replay(&self, port: u16, spec: &InitSpec, pit: &PointInTime) -> Result<(), String> {
        let binlog = self
            .binlog
            .as_ref()
            .ok_or("mariadb-binlog is not installed (apt-get install mariadb-client)")?;
        if let Some(source_port) = pit.source_port {
            // The logs so far are complete files once the source moves on
            // to a new one.
            self.sql(source_port, spec, "FLUSH BINARY LOGS;\n")?;
        }
        let dump = std::fs::read_to_string(pit.base.join("dump.sql"))
            .map_err(|e| format!("backup dump: {e}"))?;
        let (first, pos) = logs::binlog_start(&dump)
            .ok_or("the automated backup has no binary log coordinates")?;
        self.sql(port, spec, &dump)?;
        let dir = pit.source.data();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| format!("the source's binary logs: {e}"))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let files = logs::binlogs_from(&names, &first);
        if files.first() != Some(&first) {
            return Err(format!("the source's binary log {first} is gone"));
        }
        let mut c = Command::new(binlog);
        c.arg("--no-defaults")
            .arg(format!("--start-position={pos}"))
            .env("TZ", "UTC");
        if let Some(until) = pit.until_ms {
            c.arg(format!(
                "--stop-datetime={}",
                logs::binlog_stop_datetime(until)
            ));
        }
        for f in &files {
            c.arg(dir.join(f));
        }
        let changes = os::run(&mut c, None, "mariadb-binlog")?;
        self.sql(port, spec, &changes).map(|_| ())
    }
}

impl Engine for MariaDb {
    fn label(&self) -> String {
        "MariaDB".to_string()
    }

    fn init(&self, layout: &Layout, spec: &InitSpec) -> Result<(), String> {
        self.install(layout, spec)
    }

    fn restore(&self, layout: &Layout, spec: &InitSpec, _from: &Path) -> Result<(), String> {
        // A fresh server; bootstrap loads the dump once it runs.
        self.install(layout, spec)
    }

    fn restore_to(
        &self,
        layout: &Layout,
        spec: &InitSpec,
        _pit: &PointInTime,
    ) -> Result<(), String> {
        // A fresh server; bootstrap loads the backup and replays the logs.
        self.install(layout, spec)
    }

    fn replicate(&self, layout: &Layout, spec: &InitSpec, _source_port: u16) -> Result<(), String> {
        // A fresh server; bootstrap copies the source and follows it.
        self.install(layout, spec)
    }

    fn start(&self, layout: &Layout, spec: &InitSpec, port: u16) -> Result<Child, String> {
        self.stop_orphan(layout);
        let mut c = Command::new(&self.server);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", layout.data().display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", Self::socket(layout).display()))
            .arg(format!("--pid-file={}", Self::pid_file(layout).display()))
            .arg(format!("--log-error={}", layout.log().display()))
            .arg(format!("--tmpdir={}", Self::tmp_dir(layout)?.display()))
            .arg("--skip-name-resolve")
            // Binary logs let read replicas follow; ids must differ.
            .arg("--log-bin=mysql-bin")
            .arg("--binlog-format=ROW")
            // A replica logs what it applies, so replicas of it can follow.
            .arg("--log-slave-updates")
            .arg(format!("--server-id={}", server_id(layout)));
        for p in &spec.params {
            c.arg(format!("--{}={}", p.name, p.value));
        }
        if spec.read_only {
            c.arg("--read-only");
        }
        if os::is_root() {
            c.arg("--user=root");
        }
        let init = Self::init_file(layout);
        if init.exists() {
            c.arg(format!("--init-file={}", init.display()));
        }
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("mariadbd: {e}"))
    }

    fn ready(&self, port: u16, spec: &InitSpec) -> bool {
        // `ping` succeeds once the server answers, even before the login
        // works; the init file has run by then.
        self.client_cmd(&self.admin, port, spec)
            .arg("ping")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn bootstrap(
        &self,
        layout: &Layout,
        spec: &InitSpec,
        port: u16,
        origin: &Origin,
    ) -> Result<(), String> {
        match origin {
            Origin::PointInTime(pit) => self.replay(port, spec, pit)?,
            Origin::Snapshot(from) => {
                let dump = std::fs::read_to_string(from.join("dump.sql"))
                    .map_err(|e| format!("snapshot dump: {e}"))?;
                self.sql(port, spec, &dump)?;
            }
            Origin::Replica { source_port } => {
                // Source first: a later CHANGE MASTER naming the host would
                // drop the coordinates the dump sets.
                self.sql(
                    port,
                    spec,
                    &format!(
                        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source_port}, \
                         MASTER_USER={}, MASTER_PASSWORD={}, MASTER_CONNECT_RETRY=1;\n",
                        quote_literal(ADMIN_USER),
                        quote_literal(&spec.admin_password)
                    ),
                )?;
                let dump = os::run(
                    self.client_cmd(&self.dump, *source_port, spec)
                        .arg("--all-databases")
                        .arg("--single-transaction")
                        .arg("--master-data=1")
                        .arg("--routines")
                        .arg("--events")
                        .arg("--flush-privileges"),
                    None,
                    "mariadb-dump",
                )?;
                self.sql(port, spec, &dump)?;
                self.sql(port, spec, "START SLAVE;\n")?;
            }
            Origin::Empty => {
                let master = account(&spec.master_user);
                let pw = spec
                    .master_password
                    .as_deref()
                    .map(|p| format!(" IDENTIFIED BY {}", quote_literal(p)))
                    .unwrap_or_default();
                // Like AWS's master user, it may not write to a read-only
                // replica.
                let mut sql = format!(
                    "CREATE USER IF NOT EXISTS {master}{pw};\n\
                     GRANT ALL PRIVILEGES ON *.* TO {master} WITH GRANT OPTION;\n\
                     REVOKE READ_ONLY ADMIN ON *.* FROM {master};\n"
                );
                if let Some(db) = &spec.db_name {
                    sql.push_str(&format!(
                        "CREATE DATABASE IF NOT EXISTS `{}`;\n",
                        db.replace('`', "``")
                    ));
                }
                self.sql(port, spec, &sql)?;
            }
        }
        let _ = std::fs::remove_file(Self::init_file(layout));
        Ok(())
    }

    fn apply_params(&self, _layout: &Layout, port: u16, spec: &InitSpec) -> Result<(), String> {
        // Static settings wait for the next start, which passes them all.
        let sql: String = spec
            .params
            .iter()
            .filter(|p| p.dynamic)
            .map(|p| {
                let value = if p.string {
                    quote_literal(&p.value)
                } else {
                    p.value.clone()
                };
                format!("SET GLOBAL {} = {value};\n", p.name)
            })
            .collect();
        if sql.is_empty() {
            return Ok(());
        }
        self.sql(port, spec, &sql).map(|_| ())
    }

    fn promote(&self, port: u16, spec: &InitSpec) -> Result<(), String> {
        // Every change already received is applied before the replica
        // stops following: a failover must not drop acknowledged writes
        // that reached the standby.
        self.sql(port, spec, "STOP SLAVE IO_THREAD;\n")?;
        let status = os::run(
            self.client_cmd(&self.client, port, spec)
                .arg("-E")
                .arg("-e")
                .arg("SHOW SLAVE STATUS"),
            None,
            "mariadb",
        )?;
        if let Some((file, pos)) = received_up_to(&status) {
            self.sql(
                port,
                spec,
                &format!(
                    "SELECT MASTER_POS_WAIT({}, {pos}, 30);\n",
                    quote_literal(&file)
                ),
            )?;
        }
        self.sql(
            port,
            spec,
            "STOP SLAVE;\nRESET SLAVE ALL;\nSET GLOBAL read_only = 0;\n",
        )
        .map(|_| ())
    }

    fn stop(&self, child: &mut Child) {
        os::stop_child(child, "TERM", Duration::from_secs(15));
    }

    fn snapshot(&self, port: u16, spec: &InitSpec, out: &Path) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| format!("mkdir: {e}"))?;
        os::run(
            self.client_cmd(&self.dump, port, spec)
                .arg("--all-databases")
                .arg("--single-transaction")
                .arg("--routines")
                .arg("--events")
                .arg("--flush-privileges")
                // The binlog coordinates, as a comment: point-in-time
                // restores replay the binary log from there.
                .arg("--master-data=2")
                .arg(format!("--result-file={}", out.join("dump.sql").display())),
            None,
            "mariadb-dump",
        )
        .map(|_| ())
    }

    fn set_password(
        &self,
        port: u16,
        spec: &InitSpec,
        user: &str,
        password: &str,
    ) -> Result<(), String> {
        self.sql(
            port,
            spec,
            &format!(
                "ALTER USER {} IDENTIFIED BY {};\n",
                account(user),
                quote_literal(password)
            ),
        )
        .map(|_| ())
    }

    fn connections(&self, port: u16, spec: &InitSpec) -> Option<f64> {
        let out = os::run(
            self.client_cmd(&self.client, port, spec).arg("-N").arg("-e").arg(format!(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER NOT IN ('{ADMIN_USER}', 'system user', 'event_scheduler')"
            )),
            None,
            "mariadb",
        )
        .ok()?;
        out.trim().parse().ok()
    }

    fn stop_orphan(&self, layout: &Layout) {
        os::stop_orphan(&Self::pid_file(layout), &layout.data().to_string_lossy());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_coordinates_come_from_slave_status() {
        let status = "*************************** 1. row ***************************\n\
                      Slave_IO_State: \n\
                      Master_Host: 127.0.0.1\n\
                      Master_Log_File: mysql-bin.000003\n\
                      Read_Master_Log_Pos: 1789\n\
                      Relay_Master_Log_File: mysql-bin.000003\n\
                      Exec_Master_Log_Pos: 1500\n";
        assert_eq!(
            received_up_to(status),
            Some(("mysql-bin.000003".to_string(), 1789))
        );
        assert_eq!(received_up_to(""), None);
    }
}
