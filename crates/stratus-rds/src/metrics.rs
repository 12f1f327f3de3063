//! AWS/RDS metrics each minute of the clock, per DB instance
//! (`DBInstanceIdentifier`): CPUUtilization of the server's processes,
//! DatabaseConnections the server counts, FreeStorageSpace (allocated
//! storage less the data directory's size), ReadLatency and WriteLatency
//! (no disk timings are taken: 0).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::metrics::{Batches, MetricSink, Minutes, sample};
use stratus_core::tasks::Task;

use crate::engine::Engines;
use crate::lifecycle::{engine_for, init_spec};
use crate::state::State;
use crate::supervisor::Supervisor;

const NS: &str = "AWS/RDS";
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

pub struct MetricsTask {
    pub state: Arc<State>,
    pub engines: Engines,
    pub supervisor: Arc<Supervisor>,
    pub sink: Arc<dyn MetricSink>,
    pub minutes: Minutes,
    /// CPU ticks of each server's processes at the last minute, with the
    /// wall time they were read.
    pub cpu: Mutex<HashMap<String, (u64, std::time::Instant)>>,
}

fn dir_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// utime + stime (clock ticks) of a process, from /proc/PID/stat.
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may hold spaces: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// CPU ticks of a server and its child processes (PostgreSQL's backends).
fn tree_ticks(pid: u32) -> u64 {
    let mut total = ticks(pid).unwrap_or(0);
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(child) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if parent(child) == Some(pid) {
                total += ticks(child).unwrap_or(0);
            }
        }
    }
    total
}

fn cpus() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

impl MetricsTask {
    fn cpu_percent(&self, rid: &str, pid: Option<u32>) -> f64 {
        let Some(pid) = pid else {
            self.cpu.lock().remove(rid);
            return 0.0;
        };
        let now = std::time::Instant::now();
        let t = tree_ticks(pid);
        let prev = self.cpu.lock().insert(rid.to_string(), (t, now));
        match prev {
            Some((p, at)) if t >= p => {
                let secs = now.duration_since(at).as_secs_f64();
                if secs <= 0.0 {
                    return 0.0;
                }
                // Linux counts 100 ticks a second.
                let used = (t - p) as f64 / 100.0;
                (used / secs / cpus() * 100.0).clamp(0.0, 100.0)
            }
            _ => 0.0,
        }
    }
}

impl Task for MetricsTask {
    fn name(&self) -> &str {
        "rds-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let Some(due) = self.minutes.due(now_ms) else {
            return;
        };
        let due: Vec<i64> = due.collect();
        let instances: Vec<_> = self
            .state
            .read()
            .instances
            .values()
            .filter(|i| {
                !matches!(
                    i.status.as_str(),
                    "creating" | "stopped" | "deleting" | "failed"
                )
            })
            .cloned()
            .collect();
        let mut all = Batches::default();
        for r in instances {
            let server = engine_for(&self.engines, &r).ok().and_then(|e| {
                self.supervisor
                    .running(&r.resource_id)
                    .map(|port| (e, port))
            });
            let connections = server
                .as_ref()
                .and_then(|(e, port)| e.connections(*port, &init_spec(&r)))
                .unwrap_or(0.0);
            let pid = server
                .as_ref()
                .and_then(|_| self.supervisor.server_pid(&r.resource_id));
            let cpu = self.cpu_percent(&r.resource_id, pid);
            let used = dir_size(&self.supervisor.instance_dir(&r.resource_id)) as f64;
            let free = (f64::from(r.storage) * GIB - used).max(0.0);
            let dims = [("DBInstanceIdentifier", r.id.as_str())];
            for at in &due {
                all.add(
                    &r.account,
                    &r.region,
                    [
                        sample(NS, "CPUUtilization", &dims, *at, cpu, "Percent"),
                        sample(NS, "DatabaseConnections", &dims, *at, connections, "Count"),
                        sample(NS, "FreeStorageSpace", &dims, *at, free, "Bytes"),
                        sample(NS, "ReadLatency", &dims, *at, 0.0, "Seconds"),
                        sample(NS, "WriteLatency", &dims, *at, 0.0, "Seconds"),
                    ],
                );
            }
        }
        all.send(self.sink.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_ticks_and_a_parent() {
        let me = std::process::id();
        assert!(ticks(me).is_some());
        assert!(parent(me).is_some());
        assert_eq!(ticks(u32::MAX), None);
    }

    #[test]
    fn directory_sizes_add_up() {
        let d = std::env::temp_dir().join(format!("rds-metrics-{}", std::process::id()));
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a"), [0u8; 100]).unwrap();
        std::fs::write(d.join("sub/b"), [0u8; 50]).unwrap();
        assert_eq!(dir_size(&d), 150);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
