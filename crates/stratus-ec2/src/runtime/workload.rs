//! An instance's processes: an init in its own PID, mount and UTS
//! namespaces inside the instance's network namespace, which runs the user
//! data script once per boot and then keeps the instance up. Killing the
//! init's parent ends the whole PID namespace, daemons included.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};

use parking_lot::Mutex;

use super::disk::{Root, shell_quote};
use super::netns::{DNS_IP, instance_ns};

pub struct Workload {
    child: Child,
}

impl Workload {
    pub fn kill(&mut self) {
        self.signal();
        let _ = self.child.wait();
    }

    /// Whether the init still runs (its PID namespace lives while it does).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process that holds the instance's namespaces.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the kill without waiting, so many can end at once.
    pub fn signal(&mut self) {
        let _ = self.child.kill();
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The console log of an instance (what GetConsoleOutput shows).
pub fn console_path(dir: &Path) -> PathBuf {
    dir.join("console.log")
}

fn console(dir: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(console_path(dir))
}

/// Where an instance's processes run.
pub enum Sandbox {
    /// In the instance's network namespace on its VPC's bridge (root).
    Namespace,
    /// In unprivileged namespaces of its own (see `rootless`): the init
    /// first runs `prefix`, and `door` becomes its descriptor 3.
    Reduced { prefix: String, door: RawFd },
}

/// Boots an instance: starts its init in the instance's namespaces, which
/// mounts its root filesystem and runs the boot script (cloud-init's
/// stages, see `cloudinit`).
#[allow(clippy::too_many_arguments)]
pub fn boot(
    dir: &Path,
    sandbox: &Sandbox,
    root: &Root,
    id: &str,
    hostname: &str,
    boot_script: &Path,
    env: &[(String, String)],
    boots: u32,
    cgroup_procs: &[PathBuf],
) -> io::Result<Workload> {
    fs::create_dir_all(dir)?;
    let mut log = console(dir)?;
    writeln!(log, "[stratus] {id} boot {boots}: {hostname}")?;
    let run = format!("/bin/sh {}", shell_quote(&boot_script.to_string_lossy()));
    // The VPC's resolver, seen only inside the instance's mount namespace.
    fs::write(
        &root.resolv,
        format!("nameserver {DNS_IP}\nsearch ec2.internal\noptions timeout:1 attempts:2\n"),
    )?;
    // The init: name the host, move into its own root filesystem (which
    // uses the VPC's resolver), run cloud-init's stages from `/`, then
    // stay up.
    let (prefix, mounts) = match sandbox {
        Sandbox::Namespace => (String::new(), root.script()),
        // An unprivileged mount namespace cannot take the host's whole
        // root as a layer: the instance sees the host's filesystem.
        Sandbox::Reduced { prefix, .. } => (
            prefix.clone(),
            format!(
                "mount --bind {} /etc/resolv.conf\n",
                shell_quote(&root.resolv.to_string_lossy())
            ),
        ),
    };
    let init = format!(
        "hostname {h}\n{prefix}{mounts}cd /; {run}\nexec sleep infinity",
        h = shell_quote(hostname),
    );
    // The first shell joins the instance's control groups, so that every
    // process after it is counted and limited, then becomes the sandbox.
    let join: String = cgroup_procs
        .iter()
        .map(|f| format!("echo $$ > {} && ", shell_quote(&f.to_string_lossy())))
        .collect();
    let outer = match sandbox {
        Sandbox::Namespace => format!(
            "{join}exec ip netns exec {ns} unshare --pid --mount-proc --uts --kill-child -- /bin/sh -c \"$0\"",
            ns = shell_quote(&instance_ns(id)),
        ),
        Sandbox::Reduced { .. } => format!(
            "{join}exec unshare --user --map-root-user --net --pid --mount --uts --fork --kill-child --mount-proc -- /bin/sh -c \"$0\""
        ),
    };
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", &outer, &init])
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .current_dir("/");
    if let Sandbox::Reduced { door, .. } = sandbox {
        let door = *door;
        // SAFETY: only dup2 between fork and exec (`hand_over`).
        unsafe {
            cmd.pre_exec(move || super::rootless::hand_over(door));
        }
    }
    let child = spawn(cmd)?;
    Ok(Workload { child })
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Starts children from one thread that lives as long as the server, so
/// that their parent-death signal fires when the server dies, not when
/// some worker thread ends.
fn spawn(cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("instance-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    // SAFETY: prctl is async-signal-safe; it only sets this
                    // child's parent-death signal before exec.
                    unsafe {
                        cmd.pre_exec(|| {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                                return Err(io::Error::last_os_error());
                            }
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawner thread");
        Mutex::new(tx)
    });
    let (reply, answer) = mpsc::channel();
    tx.lock()
        .send((cmd, reply))
        .map_err(|_| io::Error::other("the instance spawner stopped"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the instance spawner stopped"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
