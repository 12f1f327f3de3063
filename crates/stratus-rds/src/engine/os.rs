//! The few operating system services the engines need, without a libc
//! binding: users from /etc/passwd, ownership, signals through kill(1),
//! free ports.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The effective user id of this process.
pub fn euid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

pub fn is_root() -> bool {
    euid() == 0
}

/// A user's (uid, gid) from /etc/passwd.
pub fn user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// The name of the user this process runs as.
pub fn current_user_name() -> String {
    let uid = euid();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2].parse::<u32>().ok() == Some(uid)).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| "root".to_string())
}

pub fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path)? {
            chown_tree(&e?.path(), uid, gid)?;
        }
    }
    Ok(())
}

pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Lets another user reach `dir` by adding search (never read) permission
/// for others on each ancestor that lacks it. Returns the directories
/// changed.
pub fn make_traversable(dir: &Path) -> Vec<PathBuf> {
    let mut changed = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if let Ok(meta) = std::fs::metadata(p) {
            let mode = meta.permissions().mode();
            if meta.is_dir() && mode & 0o001 == 0 && set_mode(p, (mode & 0o7777) | 0o001).is_ok() {
                changed.push(p.to_path_buf());
            }
        }
        cur = p.parent();
    }
    changed
}

pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        let ty = e.file_type()?;
        if ty.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

/// Sends a signal by name (`TERM`, `INT`, `KILL`) to a process.
pub fn signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a process lives whose command line mentions `needle`.
pub fn alive_with(pid: u32, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .contains(needle)
        })
        .unwrap_or(false)
}

/// Asks a child to stop with `sig`, then kills it after `grace`.
pub fn stop_child(child: &mut Child, sig: &str, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal(child.id(), sig);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Stops a server a previous run of Stratus left behind (after a crash),
/// found by the pid file it wrote in its data directory.
pub fn stop_orphan(pid_file: &Path, needle: &str) {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
    else {
        return;
    };
    if !alive_with(pid, needle) {
        return;
    }
    tracing::warn!(pid, "stopping a database server left from an earlier run");
    signal(pid, "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && alive_with(pid, needle) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive_with(pid, needle) {
        signal(pid, "KILL");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn port_free(port: u16) -> bool {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_ok()
}

pub fn free_port() -> Option<u16> {
    TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .ok()
}

/// Runs a command to completion with `input` on stdin; the error carries
/// the tail of its stderr (never its arguments or environment, which may
/// hold secrets).
pub fn run(cmd: &mut Command, input: Option<&str>, what: &str) -> Result<String, String> {
    use std::io::Write;
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("{what}: {e}"))?;
    if let Some(text) = input {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "{what} failed ({}): {}",
            out.status,
            tail.join(" | ")
        ))
    }
}

/// The first executable named `name` in `dirs`, then on PATH.
pub fn find_binary(name: &str, dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    dirs.iter()
        .map(|d| PathBuf::from(d).join(name))
        .chain(path.split(':').map(|d| PathBuf::from(d).join(name)))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_come_from_passwd() {
        assert_eq!(user("root"), Some((0, 0)));
        assert_eq!(user("no-such-user-here"), None);
    }

    #[test]
    fn free_ports_are_free() {
        // Another process may take a just-released port at any moment, so one
        // free candidate among several is what the supervisor relies on.
        let candidates: Vec<u16> = (0..20).filter_map(|_| free_port()).collect();
        assert!(candidates.iter().any(|&p| port_free(p)), "{candidates:?}");
        let l = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
        assert!(!port_free(l.local_addr().unwrap().port()));
    }

    #[test]
    fn failed_commands_report_stderr_but_not_arguments() {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("echo boom >&2; exit 3")
            .env("SECRET", "hunter22");
        let e = run(&mut c, None, "probe").unwrap_err();
        assert!(e.contains("boom"), "{e}");
        assert!(!e.contains("hunter22"));
    }
}
