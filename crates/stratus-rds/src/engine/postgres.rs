//! PostgreSQL: `initdb` with Stratus's admin login, the server started as
//! an unprivileged user (PostgreSQL refuses root), snapshots as physical
//! base backups (`pg_basebackup`) that restores copy back.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::os;
use super::{ADMIN_USER, Engine, InitSpec, Layout, Origin, PointInTime, logs, quote_literal};

pub struct Postgres {
    pub major: String,
    bin: PathBuf,
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn literal(s: &str) -> String {
    format!("E{}", quote_literal(s))
}

impl Postgres {
    /// Debian's `/usr/lib/postgresql/<major>/bin`, and the `postgres`
    /// found on PATH.
    pub fn discover() -> Vec<Postgres> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|rd| rd.flatten().map(|e| e.path().join("bin")).collect())
            .unwrap_or_default();
        if let Some(p) = os::find_binary("postgres", &[]) {
            if let Some(d) = std::fs::canonicalize(&p)
                .ok()
                .and_then(|r| r.parent().map(Path::to_path_buf))
            {
                dirs.push(d);
            }
        }
        let mut out: Vec<Postgres> = Vec::new();
        for bin in dirs {
            let needed = ["postgres", "initdb", "pg_isready", "psql", "pg_basebackup"];
            if !needed.iter().all(|n| bin.join(n).is_file()) {
                continue;
            }
            let Ok(v) = os::run(
                Command::new(bin.join("postgres")).arg("--version"),
                None,
                "postgres --version",
            ) else {
                continue;
            };
            // `postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)`
            let Some(major) = v
                .split_whitespace()
                .nth(2)
                .and_then(|x| x.split('.').next())
                .map(str::to_string)
            else {
                continue;
            };
            if !out.iter().any(|p| p.major == major) {
                out.push(Postgres { major, bin });
            }
        }
        out
    }

    /// PostgreSQL will not run as root: servers then run as `postgres`
    /// (or `nobody`).
    fn run_as() -> Option<(u32, u32)> {
        if !os::is_root() {
            return None;
        }
        os::user("postgres").or_else(|| os::user("nobody"))
    }

    fn command(&self, name: &str) -> Command {
        let mut c = Command::new(self.bin.join(name));
        if let Some((uid, gid)) = Self::run_as() {
            c.uid(uid).gid(gid);
        }
        c.env_remove("PGPASSWORD").env("LC_ALL", "C.UTF-8");
        c
    }

    /// A client tool run as this process, logging in as the admin over TCP.
    fn client(&self, name: &str, port: u16, spec: &InitSpec) -> Command {
        let mut c = Command::new(self.bin.join(name));
        c.arg("-h")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(port.to_string())
            .arg("-U")
            .arg(ADMIN_USER)
            .env("PGPASSWORD", &spec.admin_password)
            .env("PGCONNECT_TIMEOUT", "5");
        c
    }

    fn hand_over(layout: &Layout) -> Result<(), String> {
        if let Some((uid, gid)) = Self::run_as() {
            let changed = os::make_traversable(&layout.dir);
            if !changed.is_empty() {
                tracing::info!(
                    dirs = ?changed,
                    "granted search permission so the PostgreSQL user can reach its data"
                );
            }
            os::chown_tree(&layout.dir, uid, gid).map_err(|e| format!("chown: {e}"))?;
        }
        let data = layout.data();
        if data.exists() {
            os::set_mode(&data, 0o700).map_err(|e| format!("chmod: {e}"))?;
        }
        Ok(())
    }

    fn psql(&self, port: u16, spec: &InitSpec, db: &str, sql: &str) -> Result<String, String> {
        os::run(
            self.client("psql", port, spec)
                .arg("-d")
                .arg(db)
                .arg("-v")
                .arg("ON_ERROR_STOP=1")
                .arg("-q")
                .arg("-f")
                .arg("-"),
            Some(sql),
            "psql",
        )
    }
}

/// The parameter group's settings, included by postgresql.conf (so
/// ALTER SYSTEM still overrides them, as on AWS).
const PARAMS_FILE: &str = "stratus-params.conf";

fn params_conf(spec: &InitSpec) -> String {
    let mut out =
        String::from("# Written by Stratus from the DB parameter group and instance class.\n");
    for p in &spec.params {
        out.push_str(&format!("{} = '{}'\n", p.name, p.value.replace('\'', "''")));
    }
    out
}

fn write_params(layout: &Layout, spec: &InitSpec) -> Result<(), String> {
    let data = layout.data();
    std::fs::write(data.join(PARAMS_FILE), params_conf(spec))
        .map_err(|e| format!("{PARAMS_FILE}: {e}"))?;
    let conf = data.join("postgresql.conf");
    let text = std::fs::read_to_string(&conf).map_err(|e| format!("postgresql.conf: {e}"))?;
    let include = format!("include_if_exists = '{PARAMS_FILE}'");
    if !text.lines().any(|l| l.trim() == include) {
        std::fs::write(&conf, format!("{text}\n{include}\n"))
            .map_err(|e| format!("postgresql.conf: {e}"))?;
    }
    Ok(())
}

/// Copies WAL files into the archive only when absent, so a segment is
/// never overwritten by a later, different one of the same name.
fn archive_command(archive: &Path) -> String {
    let dir = archive.to_string_lossy().replace('\'', "'\\''");
    format!("test ! -f '{dir}/%f' && cp %p '{dir}/%f'")
}

/// Copies the WAL segments (and timeline histories) from `from` at or
/// after `start` into `to`; `missing_only` leaves files `to` has.
fn copy_wal(from: &Path, to: &Path, start: &str, missing_only: bool) -> Result<(), String> {
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let wanted =
            (logs::is_wal_segment(&name) && name.as_str() >= start) || name.ends_with(".history");
        let dest = to.join(&name);
        if !wanted || (missing_only && dest.exists()) {
            continue;
        }
        std::fs::copy(e.path(), &dest).map_err(|err| format!("copy {name}: {err}"))?;
    }
    Ok(())
}

impl Postgres {
    /// Ends a transaction and the WAL segment on the running source, and
    /// waits until the archive holds the segment: the archive then has
    /// every change so far, and a transaction after any restore time.
    fn flush_wal(&self, port: u16, spec: &InitSpec, archive: &Path) -> Result<(), String> {
        self.psql(port, spec, "postgres", "SELECT pg_current_xact_id();\n")?;
        let out = os::run(
            self.client("psql", port, spec)
                .arg("-d")
                .arg("postgres")
                .arg("-At")
                .arg("-c")
                .arg("SELECT pg_walfile_name(pg_switch_wal())"),
            None,
            "psql",
        )?;
        let segment = out.trim().to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !archive.join(&segment).exists() {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "the source did not archive WAL segment {segment} (was it started before WAL archiving was turned on? reboot it)"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Waits for a restored server to finish recovery, then drops the
    /// recovery settings so copies of it (standbys, replicas) do not stop
    /// at the same point.
    fn end_restore(&self, port: u16, spec: &InitSpec) -> Result<(), String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let out = os::run(
                self.client("psql", port, spec)
                    .arg("-d")
                    .arg("postgres")
                    .arg("-At")
                    .arg("-c")
                    .arg("SELECT pg_is_in_recovery()"),
                None,
                "psql",
            )?;
            if out.trim() == "f" {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err("the restored server did not finish recovery within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.psql(
            port,
            spec,
            "postgres",
            "ALTER SYSTEM RESET restore_command;\n\
             ALTER SYSTEM RESET recovery_target_action;\n\
             ALTER SYSTEM RESET recovery_target_lsn;\n\
             ALTER SYSTEM RESET recovery_target_inclusive;\n\
             SELECT pg_reload_conf();\n",
        )
        .map(|_| ())
    }
}

impl Engine for Postgres {
    fn label(&self) -> String {
        format!("PostgreSQL {}", self.major)
    }

    fn init(&self, layout: &Layout, spec: &InitSpec) -> Result<(), String> {
        std::fs::create_dir_all(&layout.dir).map_err(|e| format!("mkdir: {e}"))?;
        let pwfile = layout.dir.join("pwfile");
        std::fs::write(&pwfile, format!("{}\n", spec.admin_password))
            .map_err(|e| format!("pwfile: {e}"))?;
        os::set_mode(&pwfile, 0o600).map_err(|e| format!("chmod: {e}"))?;
        Self::hand_over(layout)?;
        let res = os::run(
            self.command("initdb")
                .arg("-D")
                .arg(layout.data())
                .arg("-U")
                .arg(ADMIN_USER)
                .arg(format!("--pwfile={}", pwfile.display()))
                .arg("--auth-local=scram-sha-256")
                .arg("--auth-host=scram-sha-256")
                .arg("-E")
                .arg("UTF8")
                .arg("--no-instructions")
                // Small segments keep the archive small for a small database.
                .arg("--wal-segsize=1")
                .arg("--no-sync"),
            None,
            "initdb",
        );
        let _ = std::fs::remove_file(&pwfile);
        res.map(|_| ())
    }

    fn restore(&self, layout: &Layout, _spec: &InitSpec, from: &Path) -> Result<(), String> {
        std::fs::create_dir_all(&layout.dir).map_err(|e| format!("mkdir: {e}"))?;
        os::copy_tree(&from.join("data"), &layout.data()).map_err(|e| format!("copy: {e}"))?;
        let _ = std::fs::remove_file(layout.data().join("postmaster.pid"));
        Self::hand_over(layout)
    }

    fn start(&self, layout: &Layout, spec: &InitSpec, port: u16) -> Result<Child, String> {
        self.stop_orphan(layout);
        write_params(layout, spec)?;
        let archive = layout.archive();
        std::fs::create_dir_all(&archive).map_err(|e| format!("mkdir: {e}"))?;
        if let Some((uid, gid)) = Self::run_as() {
            let _ = std::os::unix::fs::chown(&archive, Some(uid), Some(gid));
        }
        Self::hand_over(layout)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(layout.log())
            .map_err(|e| format!("log: {e}"))?;
        if let Some((uid, gid)) = Self::run_as() {
            let _ = std::os::unix::fs::chown(layout.log(), Some(uid), Some(gid));
        }
        self.command("postgres")
            .arg("-D")
            .arg(layout.data())
            .arg("-p")
            .arg(port.to_string())
            .arg("-c")
            .arg("listen_addresses=127.0.0.1")
            .arg("-c")
            .arg("unix_socket_directories=")
            .arg("-c")
            .arg("logging_collector=off")
            // Every completed WAL segment is kept for point-in-time restores.
            .arg("-c")
            .arg("archive_mode=on")
            .arg("-c")
            .arg(format!("archive_command={}", archive_command(&archive)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))
    }

    fn ready(&self, port: u16, _spec: &InitSpec) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .arg("-q")
            .arg("-h")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(port.to_string())
            .arg("-t")
            .arg("1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn restore_to(
        &self,
        layout: &Layout,
        spec: &InitSpec,
        pit: &PointInTime,
    ) -> Result<(), String> {
        let archive = pit.source.archive();
        if let Some(port) = pit.source_port {
            self.flush_wal(port, spec, &archive)?;
        }
        std::fs::create_dir_all(&layout.dir).map_err(|e| format!("mkdir: {e}"))?;
        let data = layout.data();
        os::copy_tree(&pit.base.join("data"), &data).map_err(|e| format!("copy: {e}"))?;
        for f in ["postmaster.pid", "standby.signal"] {
            let _ = std::fs::remove_file(data.join(f));
        }
        let label = std::fs::read_to_string(data.join("backup_label"))
            .map_err(|e| format!("the backup has no backup_label: {e}"))?;
        let start = logs::wal_start_segment(&label)
            .ok_or("the backup's backup_label names no WAL segment")?;
        // The archive, then (for a stopped source) the segments it had not
        // archived yet: recovery reads them all from pg_wal.
        let wal = data.join("pg_wal");
        copy_wal(&archive, &wal, &start, false)?;
        if pit.source_port.is_none() {
            copy_wal(&pit.source.data().join("pg_wal"), &wal, &start, true)?;
        }
        let target = match pit.until_ms {
            Some(until) => {
                // From the backup's start to the end of the log (given a
                // segment, pg_waldump reads that one only).
                let from = logs::wal_start_lsn(&label)
                    .ok_or("the backup's backup_label names no start LSN")?;
                let out = Command::new(self.bin.join("pg_waldump"))
                    .arg("-p")
                    .arg(&wal)
                    .arg("-r")
                    .arg("Transaction")
                    .arg("-s")
                    .arg(from)
                    .env("TZ", "UTC")
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .output()
                    .map_err(|e| format!("pg_waldump: {e}"))?;
                // pg_waldump ends with an error at the end of the log; what
                // it printed before is what counts.
                logs::first_transaction_after(&String::from_utf8_lossy(&out.stdout), until * 1000)
            }
            None => None,
        };
        let mut conf = String::from(
            "\n# point-in-time restore; reset once promoted\nrestore_command = 'false'\nrecovery_target_action = 'promote'\n",
        );
        if let Some(lsn) = target {
            conf.push_str(&format!(
                "recovery_target_lsn = '{lsn}'\nrecovery_target_inclusive = off\n"
            ));
        }
        let auto = data.join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&auto).unwrap_or_default();
        text.push_str(&conf);
        std::fs::write(&auto, text).map_err(|e| format!("recovery settings: {e}"))?;
        std::fs::write(data.join("recovery.signal"), b"")
            .map_err(|e| format!("recovery.signal: {e}"))?;
        Self::hand_over(layout)
    }

    fn replicate(&self, layout: &Layout, spec: &InitSpec, source_port: u16) -> Result<(), String> {
        std::fs::create_dir_all(&layout.dir).map_err(|e| format!("mkdir: {e}"))?;
        // A standby (`-R`) that streams from its source.
        os::run(
            self.client("pg_basebackup", source_port, spec)
                .arg("-D")
                .arg(layout.data())
                .arg("-Fp")
                .arg("-X")
                .arg("stream")
                .arg("-c")
                .arg("fast")
                .arg("-R")
                .arg("--no-sync"),
            None,
            "pg_basebackup",
        )?;
        Self::hand_over(layout)
    }

    fn bootstrap(
        &self,
        _layout: &Layout,
        spec: &InitSpec,
        port: u16,
        origin: &Origin,
    ) -> Result<(), String> {
        if matches!(origin, Origin::PointInTime(_)) {
            return self.end_restore(port, spec);
        }
        if !matches!(origin, Origin::Empty) {
            // A physical copy already holds the source's users and data.
            return Ok(());
        }
        let user = ident(&spec.master_user);
        let password = spec
            .master_password
            .as_deref()
            .map(|p| format!(" PASSWORD {}", literal(p)))
            .unwrap_or_default();
        self.psql(
            port,
            spec,
            "postgres",
            &format!(
                "CREATE ROLE {user} LOGIN CREATEDB CREATEROLE{password};\n\
                 ALTER DATABASE postgres OWNER TO {user};\n"
            ),
        )?;
        if let Some(db) = spec.db_name.as_deref().filter(|d| *d != "postgres") {
            // CREATE DATABASE cannot run inside the implicit transaction of
            // a multi-statement script.
            self.psql(
                port,
                spec,
                "postgres",
                &format!("CREATE DATABASE {} OWNER {user};\n", ident(db)),
            )?;
        }
        Ok(())
    }

    fn apply_params(&self, layout: &Layout, port: u16, spec: &InitSpec) -> Result<(), String> {
        write_params(layout, spec)?;
        if let Some((uid, gid)) = Self::run_as() {
            let _ = std::os::unix::fs::chown(layout.data().join(PARAMS_FILE), Some(uid), Some(gid));
        }
        // Settings that need a restart keep their value until then.
        self.psql(port, spec, "postgres", "SELECT pg_reload_conf();\n")
            .map(|_| ())
    }

    fn promote(&self, port: u16, spec: &InitSpec) -> Result<(), String> {
        let out = self.psql(port, spec, "postgres", "SELECT pg_promote(true, 60);\n")?;
        let _ = out;
        Ok(())
    }

    fn promotes_stopped(&self) -> bool {
        true
    }

    fn promote_stopped(&self, layout: &Layout) -> Result<(), String> {
        // Without standby.signal the server ends recovery and takes writes.
        match std::fs::remove_file(layout.data().join("standby.signal")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("promote: {e}")),
            _ => Ok(()),
        }
    }

    fn stop(&self, child: &mut Child) {
        // SIGINT is PostgreSQL's fast shutdown.
        os::stop_child(child, "INT", Duration::from_secs(10));
    }

    fn snapshot(&self, port: u16, spec: &InitSpec, out: &Path) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| format!("mkdir: {e}"))?;
        os::run(
            self.client("pg_basebackup", port, spec)
                .arg("-D")
                .arg(out.join("data"))
                .arg("-Fp")
                .arg("-X")
                .arg("stream")
                .arg("-c")
                .arg("fast")
                .arg("--no-sync"),
            None,
            "pg_basebackup",
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
        self.psql(
            port,
            spec,
            "postgres",
            &format!(
                "ALTER ROLE {} PASSWORD {};\n",
                ident(user),
                literal(password)
            ),
        )
        .map(|_| ())
    }

    fn connections(&self, port: u16, spec: &InitSpec) -> Option<f64> {
        let out = os::run(
            self.client("psql", port, spec)
                .arg("-d")
                .arg("postgres")
                .arg("-At")
                .arg("-c")
                .arg(format!(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename <> '{ADMIN_USER}'"
                )),
            None,
            "psql",
        )
        .ok()?;
        out.trim().parse().ok()
    }

    fn stop_orphan(&self, layout: &Layout) {
        let data = layout.data();
        os::stop_orphan(&data.join("postmaster.pid"), &data.to_string_lossy());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(literal("pa'ss\\"), "E'pa''ss\\\\'");
    }
}
