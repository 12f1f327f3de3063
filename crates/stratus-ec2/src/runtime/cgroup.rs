//! An instance's control group: CPU and memory limits from its instance
//! type, and the CPU time its processes used, which becomes its
//! CPUUtilization. Works with the unified (v2) hierarchy and with the
//! separate v1 controllers; where neither can be written, instances run
//! without limits and report no CPU of their own.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";
const PERIOD_US: i64 = 100_000;

pub struct Group {
    /// Directories that take the instance's processes.
    dirs: Vec<PathBuf>,
    /// Where its CPU time is read, and whether it is v2's `cpu.stat`.
    usage: PathBuf,
    v2: bool,
}

fn write(path: &Path, value: &str) -> bool {
    fs::write(path, value).is_ok()
}

impl Group {
    /// Creates the group `<scope>/<id>` with the type's vCPUs and memory.
    pub fn create(scope: &str, id: &str, vcpus: i32, memory_mib: i64) -> Option<Group> {
        let root = Path::new(ROOT);
        let quota = i64::from(vcpus.max(1)) * PERIOD_US;
        let memory = (memory_mib.max(64) * 1024 * 1024).to_string();
        if root.join("cgroup.controllers").exists() {
            let parent = root.join(scope);
            fs::create_dir_all(&parent).ok()?;
            write(&root.join("cgroup.subtree_control"), "+cpu +memory");
            write(&parent.join("cgroup.subtree_control"), "+cpu +memory");
            let dir = parent.join(id);
            fs::create_dir_all(&dir).ok()?;
            write(&dir.join("cpu.max"), &format!("{quota} {PERIOD_US}"));
            write(&dir.join("memory.max"), &memory);
            return Some(Group {
                usage: dir.join("cpu.stat"),
                dirs: vec![dir],
                v2: true,
            });
        }
        let cpuacct = root.join("cpuacct").join(scope).join(id);
        fs::create_dir_all(&cpuacct).ok()?;
        let mut dirs = vec![cpuacct.clone()];
        let cpu = root.join("cpu").join(scope).join(id);
        if cpu != cpuacct && fs::create_dir_all(&cpu).is_ok() {
            write(&cpu.join("cpu.cfs_period_us"), &PERIOD_US.to_string());
            write(&cpu.join("cpu.cfs_quota_us"), &quota.to_string());
            dirs.push(cpu);
        }
        let mem = root.join("memory").join(scope).join(id);
        if fs::create_dir_all(&mem).is_ok() {
            write(&mem.join("memory.limit_in_bytes"), &memory);
            dirs.push(mem);
        }
        Some(Group {
            usage: cpuacct.join("cpuacct.usage"),
            dirs,
            v2: false,
        })
    }

    /// The files a process writes its pid to, to join the group.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// CPU time used so far, in nanoseconds.
    pub fn usage_ns(&self) -> Option<u64> {
        let text = fs::read_to_string(&self.usage).ok()?;
        if self.v2 {
            text.lines()
                .find_map(|l| l.strip_prefix("usage_usec "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|us| us * 1000)
        } else {
            text.trim().parse().ok()
        }
    }

    /// Removes the group (its processes must have ended).
    pub fn remove(&self) {
        for d in &self.dirs {
            // The kernel may take a moment to let go of dead tasks.
            for _ in 0..20 {
                if fs::remove_dir(d).is_ok() || !d.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

/// Removes this server's groups (`<scope>` in each hierarchy, and any
/// instance group a crash left in it).
pub fn remove_scope(scope: &str) {
    let root = Path::new(ROOT);
    let bases = [
        root.to_path_buf(),
        root.join("cpu"),
        root.join("cpuacct"),
        root.join("memory"),
    ];
    // Killed processes leave their groups a moment after they die.
    for _ in 0..25 {
        let mut left = false;
        for base in &bases {
            let dir = base.join(scope);
            if let Ok(children) = fs::read_dir(&dir) {
                for c in children.flatten().filter(|c| c.path().is_dir()) {
                    left |= fs::remove_dir(c.path()).is_err();
                }
            }
            left |= dir.exists() && fs::remove_dir(&dir).is_err();
        }
        if !left {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Percent of the instance's vCPUs used between two readings.
pub fn percent(used_ns: u64, elapsed_ns: u64, vcpus: i32) -> f64 {
    if elapsed_ns == 0 {
        return 0.0;
    }
    let p = used_ns as f64 / (elapsed_ns as f64 * f64::from(vcpus.max(1))) * 100.0;
    p.clamp(0.0, 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_of_all_vcpus() {
        assert_eq!(percent(1_000_000_000, 1_000_000_000, 2), 50.0);
        assert_eq!(percent(3_000_000_000, 1_000_000_000, 2), 100.0);
        assert_eq!(percent(5, 0, 2), 0.0);
    }
}
