//! PostgreSQL: `initdb` with Stratus's admin login, the server started as
//! an unprivileged user (PostgreSQL refuses root), snapshots as physical
//! base backups (`pg_basebackup`) that restores copy back.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::os;
use super::{ADMIN_USER, Engine, InitSpec, Layout, Origin, quote_literal};

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

    fn start(&self, layout: &Layout, _spec: &InitSpec, port: u16) -> Result<Child, String> {
        self.stop_orphan(layout);
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
            .arg("-c")
            .arg("shared_buffers=16MB")
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
