//! Instances and snapshots on the clock: each status lasts at least its
//! time, and where a real server backs the instance, until the server has
//! done the step the status stands for (started, restarted, stopped,
//! copied its data). Steps run on the supervisor's workers; each tick
//! hands new ones over and collects those done.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::tasks::Task;

use crate::catalogue;
use crate::engine::{Engine, Engines, InitSpec, Layout, Origin, PointInTime};
use crate::names;
use crate::ops::snapshots::new_snapshot;

mod backups;
mod clusters;
mod maintenance;
mod running;
mod snapshots;
use crate::state::{InstanceRec, State, Txn};
use crate::supervisor::{Cmd, INTERRUPTED, Outcome, Supervisor};

pub const CREATE_MS: i64 = 2_000;
pub const BACKUP_MS: i64 = 1_000;
pub const MODIFY_MS: i64 = 2_000;
pub const REBOOT_MS: i64 = 1_000;
pub const STOP_MS: i64 = 2_000;
pub const START_MS: i64 = 2_000;
pub const DELETE_MS: i64 = 1_000;
pub const SNAPSHOT_MS: i64 = 1_000;

/// Instances with a retention period take automated backups; read
/// replicas do not.
/// Aurora backs up the cluster, not its instances.
fn takes_backups(rec: &InstanceRec) -> bool {
    rec.backup_retention > 0 && rec.replica_source.is_none() && rec.cluster.is_none()
}

/// Statuses in which the instance's server should be running.
fn wants_running(status: &str) -> bool {
    matches!(status, "available" | "backing-up" | "modifying")
}

pub fn engine_for(engines: &Engines, rec: &InstanceRec) -> Result<Arc<dyn Engine>, String> {
    engines.get(
        catalogue::local_engine(&rec.engine),
        &catalogue::major(&rec.engine, &rec.engine_version),
    )
}

pub fn init_spec(rec: &InstanceRec) -> InitSpec {
    InitSpec {
        master_user: rec.master_username.clone(),
        master_password: rec.pending_password.clone(),
        db_name: rec.db_name.clone(),
        admin_password: rec.admin_password.clone(),
        read_only: rec.replica_source.is_some() && !rec.promoting,
        params: Vec::new(),
    }
}

/// The spec with the settings of the instance's parameter group and
/// class (`class` when a new one is being applied).
pub fn spec_with_params(inner: &crate::state::Inner, rec: &InstanceRec, class: &str) -> InitSpec {
    let mut spec = init_spec(rec);
    let family = catalogue::family(&rec.engine, &rec.engine_version);
    let values = inner
        .param_groups
        .get(&crate::state::key(
            &rec.account,
            &rec.region,
            &rec.parameter_group,
        ))
        .map(|g| g.values.clone())
        .unwrap_or_default();
    spec.params = crate::server_params::server_params(
        catalogue::local_engine(&rec.engine),
        &family,
        class,
        &values,
    );
    spec
}

pub struct Lifecycle {
    pub state: Arc<State>,
    pub engines: Engines,
    pub supervisor: Arc<Supervisor>,
    pub inflight: Arc<Mutex<HashMap<String, u64>>>,
    pub failures: Arc<Mutex<HashMap<String, String>>>,
    /// When to try again to make a standby that failed (clock millis).
    pub standby_retry: Mutex<HashMap<String, i64>>,
    pub endpoints: Arc<crate::forwarder::Endpoints>,
    /// EC2, which keeps each instance's and cluster's address in its VPC.
    pub ec2: stratus_core::link::Link<dyn stratus_core::compute::Instances>,
    pub addresses: crate::vpc_addresses::Publisher,
}

/// One status change, with the events it raises.
struct Change {
    status: &'static str,
    since: i64,
    events: Vec<(String, &'static [&'static str])>,
}

fn to(status: &'static str, since: i64) -> Change {
    Change {
        status,
        since,
        events: Vec::new(),
    }
}

impl Change {
    fn event(mut self, message: impl Into<String>, categories: &'static [&'static str]) -> Self {
        self.events.push((message.into(), categories));
        self
    }
}

impl Task for Lifecycle {
    fn name(&self) -> &str {
        "rds-lifecycle"
    }

    fn tick(&self, now_ms: i64) {
        // Stratus is exiting: servers stopping now are not failures.
        if self.supervisor.is_closed() {
            return;
        }
        let mut txn = self.state.begin();
        if let Err(e) = self.settle_backups(&mut txn, now_ms) {
            tracing::error!("rds backups: {}", e.message);
        }
        if let Err(e) = self.settle_maintenance(&mut txn, now_ms) {
            tracing::error!("rds maintenance: {}", e.message);
        }
        let snaps: Vec<String> = txn
            .inner
            .snapshots
            .iter()
            .filter(|(_, s)| s.status == "creating")
            .map(|(k, _)| k.clone())
            .collect();
        for k in snaps {
            if let Err(e) = self.settle_snapshot(&mut txn, &k, now_ms) {
                tracing::error!("rds snapshot {k}: {}", e.message);
            }
        }
        let keys: Vec<String> = txn.inner.instances.keys().cloned().collect();
        for k in keys {
            // Several statuses may be due at once after a jump of the clock.
            for _ in 0..8 {
                match self.settle_instance(&mut txn, &k, now_ms) {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::error!("rds instance {k}: {}", e.message);
                        break;
                    }
                }
            }
        }
        let clusters: Vec<String> = txn.inner.clusters.keys().cloned().collect();
        for k in clusters {
            if let Err(e) = self.settle_cluster(&mut txn, &k, now_ms) {
                tracing::error!("rds cluster {k}: {}", e.message);
            }
        }
        // Endpoints of clusters a reset or a delete dropped.
        self.endpoints
            .retain(|k| txn.inner.clusters.contains_key(k));
        if let Err(e) = txn.commit() {
            tracing::error!("rds lifecycle: {}", e.message);
        }
        if let Some(ec2) = self.ec2.get() {
            let want = crate::vpc_addresses::wanted(&self.state.read());
            self.addresses.publish(ec2.as_ref(), want);
        }
    }
}

impl Lifecycle {
    /// Hands a step over once, then answers its outcome when done.
    fn step(
        &self,
        key: String,
        rid: &str,
        engine: &Arc<dyn Engine>,
        cmd: impl FnOnce() -> Cmd,
    ) -> Option<Outcome> {
        let mut inflight = self.inflight.lock();
        match inflight.get(&key) {
            Some(t) => {
                let out = self.supervisor.outcome(*t)?;
                inflight.remove(&key);
                // Taken up again by a later tick, if Stratus goes on.
                if matches!(&out, Err(e) if e == INTERRUPTED) || self.supervisor.is_closed() {
                    return None;
                }
                Some(out)
            }
            None => {
                let t = self.supervisor.submit(rid, engine.clone(), cmd());
                inflight.insert(key, t);
                None
            }
        }
    }

    /// Where a new server's data comes from: the snapshot it is restored
    /// from (when that holds a copy), the source it replicates, or nothing.
    fn origin(&self, txn: &Txn<'_>, rec: &InstanceRec) -> Result<Origin, String> {
        if let Some(src) = &rec.replica_source {
            let source = txn
                .inner
                .instances
                .get(&crate::state::key(&rec.account, &rec.region, src))
                .ok_or_else(|| format!("the source instance {src} no longer exists"))?;
            if self.supervisor.running(&source.resource_id).is_none() {
                return Err(format!("the source instance {src} has no running server"));
            }
            return Ok(Origin::Replica {
                source_port: source.port as u16,
            });
        }
        if let Some(p) = &rec.point_in_time {
            if p.base_dir.is_empty() {
                return Ok(Origin::Empty);
            }
            let source = txn
                .inner
                .instances
                .values()
                .find(|i| i.resource_id == p.source_resource_id)
                .ok_or_else(|| format!("the source instance {} no longer exists", p.source_id))?;
            return Ok(Origin::PointInTime(PointInTime {
                base: self.supervisor.snapshot_dir(&p.base_dir),
                source: Layout {
                    dir: self.supervisor.instance_dir(&source.resource_id),
                },
                source_port: self.supervisor.running(&source.resource_id),
                until_ms: p.until_ms,
            }));
        }
        let Some(snap) = rec.restore_from.as_ref() else {
            return Ok(Origin::Empty);
        };
        let has_data = txn
            .inner
            .snapshots
            .values()
            .any(|s| s.dir == *snap && s.has_data);
        // A snapshot taken when no server ran holds no data: start empty.
        Ok(if has_data {
            Origin::Snapshot(self.supervisor.snapshot_dir(snap))
        } else {
            Origin::Empty
        })
    }

    /// Applies at most one status change; true when one happened.
    fn settle_instance(
        &self,
        txn: &mut Txn<'_>,
        k: &str,
        now: i64,
    ) -> Result<bool, stratus_core::AwsError> {
        let Some(rec) = txn.inner.instances.get(k).cloned() else {
            return Ok(false);
        };
        let real = engine_for(&self.engines, &rec).ok();
        let rid = rec.resource_id.clone();
        let spec = spec_with_params(&txn.inner, &rec, &rec.class);
        let port = rec.port as u16;
        let since = rec.status_since_ms;
        // The clock's due time, or now when a real step took longer.
        let after = |ms: i64| if real.is_some() { now } else { since + ms };
        let mut updated = rec.clone();
        let failed_writer = crate::ops::clusters::failed_writer(&txn.inner, &rec);
        let change: Option<Change> = match rec.status.as_str() {
            // A cluster's reader whose writer failed has nothing to copy.
            "creating" | "rebooting" if failed_writer.is_some() && rec.rejoin != 1 => {
                let e = format!(
                    "the writer of its cluster, {}, failed",
                    failed_writer.unwrap_or_default()
                );
                self.failures.lock().insert(k.to_string(), e.clone());
                updated.rejoin = 0;
                Some(to("failed", now).event(
                    format!("DB instance could not be started: {e}"),
                    &["failure"],
                ))
            }
            // A cluster's reader copies its writer once that runs.
            "creating" if real.is_some() && self.awaits_writer(txn, &rec) => None,
            "rebooting" if rec.cluster.is_some() && rec.promoting => {
                let done = match &real {
                    Some(_) if self.old_servers_run(txn, &rec) => None,
                    Some(engine) if rec.initialised => self
                        .step(format!("{k}#promote"), &rid, engine, || Cmd::Promote {
                            spec,
                        })
                        .map(|out| out.map(|_| ())),
                    _ => (now >= since + REBOOT_MS).then_some(Ok(())),
                };
                done.map(|out| match out {
                    Ok(()) => {
                        updated.promoting = false;
                        updated.replica_source = None;
                        to("available", after(REBOOT_MS))
                            .event("DB instance restarted", &["availability"])
                    }
                    Err(e) => {
                        self.failures.lock().insert(k.to_string(), e.clone());
                        to("failed", now).event(
                            format!("DB instance could not be promoted: {e}"),
                            &["failure"],
                        )
                    }
                })
            }
            "rebooting" if rec.rejoin > 0 => self.rejoin(txn, k, &rec, &real, &mut updated, now),
            "creating" => match (&real, self.origin(txn, &rec)) {
                (Some(_), Err(e)) if !rec.initialised => {
                    self.failures.lock().insert(k.to_string(), e.clone());
                    Some(to("failed", now).event(
                        format!("DB instance could not be started: {e}"),
                        &["failure"],
                    ))
                }
                (Some(engine), origin) => {
                    let origin = origin.unwrap_or(Origin::Empty);
                    match self.step(format!("{k}#create"), &rid, engine, || Cmd::Start {
                        spec,
                        port,
                        origin,
                    }) {
                        None => None,
                        Some(Ok(p)) => {
                            updated.initialised = true;
                            updated.pending_password = None;
                            if let Some(p) = p {
                                updated.port = i32::from(p);
                            }
                            self.failures.lock().remove(k);
                            Some(self.created(&rec, now))
                        }
                        Some(Err(e)) => {
                            self.failures.lock().insert(k.to_string(), e.clone());
                            Some(to("failed", now).event(
                                format!("DB instance could not be started: {e}"),
                                &["failure"],
                            ))
                        }
                    }
                }
                (None, _) => {
                    (now >= since + CREATE_MS).then(|| self.created(&rec, since + CREATE_MS))
                }
            },
            "backing-up" => {
                let mine: Vec<String> = txn
                    .inner
                    .snapshots
                    .iter()
                    .filter(|(_, s)| s.resource_id == rid && s.status == "creating")
                    .map(|(sk, _)| sk.clone())
                    .collect();
                for sk in mine {
                    self.settle_snapshot(txn, &sk, now)?;
                }
                let automated = txn.inner.snapshots.values().any(|s| {
                    s.resource_id == rid && s.kind == "automated" && s.created_ms >= since
                });
                let copying = txn
                    .inner
                    .snapshots
                    .values()
                    .any(|s| s.resource_id == rid && s.status == "creating");
                (!copying && now >= since + BACKUP_MS).then(|| {
                    let c = to("available", after(BACKUP_MS).max(since + BACKUP_MS));
                    if automated || rec.latest_restorable_ms.is_none() {
                        updated.latest_restorable_ms = Some(now);
                        c.event("Finished DB Instance backup", &["backup"])
                    } else {
                        c
                    }
                })
            }
            "modifying" if rec.promoting => {
                let done = match &real {
                    Some(engine) if rec.initialised => self
                        .step(format!("{k}#promote"), &rid, engine, || Cmd::Promote {
                            spec,
                        })
                        .map(|out| out.map(|_| ())),
                    _ => (now >= since + MODIFY_MS).then_some(Ok(())),
                };
                done.map(|out| match out {
                    Ok(()) => {
                        updated.promoting = false;
                        updated.replica_source = None;
                        to("available", after(MODIFY_MS)).event(
                            "Read replica promoted to a standalone DB instance",
                            &["notification"],
                        )
                    }
                    Err(e) => {
                        self.failures.lock().insert(k.to_string(), e.clone());
                        to("failed", now).event(
                            format!("Read replica could not be promoted: {e}"),
                            &["failure"],
                        )
                    }
                })
            }
            "modifying" => {
                // A new class restarts the server with its memory settings.
                let restart = real
                    .as_ref()
                    .filter(|_| rec.initialised)
                    .zip(rec.applying.class.clone());
                let resizing = restart.is_some();
                let done = match restart {
                    Some((engine, class)) if now >= since + MODIFY_MS => {
                        let spec = spec_with_params(&txn.inner, &rec, &class);
                        self.step(format!("{k}#resize"), &rid, engine, || Cmd::Restart {
                            spec,
                            port,
                        })
                        .map(|out| {
                            if let Ok(Some(p)) = out {
                                updated.port = i32::from(p);
                            }
                            updated.params_pending_reboot = false;
                        })
                    }
                    Some(_) => None,
                    None => (now >= since + MODIFY_MS).then_some(()),
                };
                done.map(|()| {
                let mut c = to("available", if resizing { now } else { since + MODIFY_MS });
                let a = std::mem::take(&mut updated.applying);
                if let Some(class) = a.class {
                    updated.class = class;
                    c = c.event(
                        "Finished applying modification to DB instance class",
                        &["configuration change"],
                    );
                }
                if let Some(storage) = a.storage {
                    updated.storage = storage;
                    c = c.event(
                        "Finished applying modification to allocated storage",
                        &["configuration change"],
                    );
                }
                if let Some(multi_az) = a.multi_az {
                    updated.multi_az = multi_az;
                    updated.secondary_zone = multi_az.then(|| other_zone(&rec.zone));
                    c = c.event(
                        if multi_az {
                            "Finished applying modification to convert to a Multi-AZ DB Instance"
                        } else {
                            "Finished applying modification to convert to a standard (Single-AZ) DB Instance"
                        },
                        &["configuration change"],
                    );
                }
                if let Some(b) = a.backup_retention {
                    updated.backup_retention = b;
                }
                c
            })
            }
            "rebooting" => {
                let c = match &real {
                    Some(engine) if rec.initialised => self
                        .step(format!("{k}#reboot"), &rid, engine, || {
                            // A forced failover promotes the standby server.
                            if rec.failover {
                                Cmd::Failover { spec, port }
                            } else {
                                Cmd::Restart { spec, port }
                            }
                        })
                        .map(|out| {
                            self.after_start(k, &mut updated, out, now, "DB instance restarted")
                        }),
                    _ => (now >= since + REBOOT_MS).then(|| {
                        to("available", since + REBOOT_MS)
                            .event("DB instance restarted", &["availability"])
                    }),
                };
                c.map(|c| {
                    if !rec.failover {
                        return c;
                    }
                    updated.failover = false;
                    if let Some(standby) = rec.secondary_zone.clone() {
                        updated.secondary_zone = Some(rec.zone.clone());
                        updated.zone = standby;
                    }
                    Change {
                        events: [
                            (
                                "Multi-AZ instance failover started".to_string(),
                                &["failover"][..],
                            ),
                            (
                                "Multi-AZ instance failover completed".to_string(),
                                &["failover"][..],
                            ),
                        ]
                        .into_iter()
                        .chain(c.events)
                        .collect(),
                        ..c
                    }
                })
            }
            "stopping" => match &real {
                Some(engine) if rec.initialised => self
                    .step(format!("{k}#stop"), &rid, engine, || Cmd::Stop)
                    .map(|_| to("stopped", now).event("DB instance stopped", &["notification"])),
                _ => (now >= since + STOP_MS).then(|| {
                    to("stopped", since + STOP_MS).event("DB instance stopped", &["notification"])
                }),
            },
            "starting" => match &real {
                Some(engine) => {
                    let origin = self.origin(txn, &rec).unwrap_or(Origin::Empty);
                    self.step(format!("{k}#start"), &rid, engine, || Cmd::Start {
                        spec,
                        port,
                        origin,
                    })
                    .map(|out| {
                        updated.initialised = true;
                        self.after_start(k, &mut updated, out, now, "DB instance started")
                    })
                }
                None => (now >= since + START_MS).then(|| {
                    to("available", since + START_MS)
                        .event("DB instance started", &["notification"])
                }),
            },
            "deleting" => {
                let copying = txn
                    .inner
                    .snapshots
                    .values()
                    .any(|s| s.resource_id == rid && s.status == "creating");
                if copying {
                    None
                } else {
                    let done = match &real {
                        Some(engine) => self
                            .step(format!("{k}#destroy"), &rid, engine, || Cmd::Destroy)
                            .is_some(),
                        None => {
                            let _ = std::fs::remove_dir_all(self.supervisor.instance_dir(&rid));
                            now >= since + DELETE_MS
                        }
                    };
                    if done {
                        self.drop_automated(txn, &rec, None);
                        self.supervisor.forget(&rid);
                        self.failures.lock().remove(k);
                        let arn = names::arn(&rec.region, &rec.account, "db", &rec.id);
                        txn.delete_instance(k);
                        txn.event(
                            &rec.account,
                            &rec.region,
                            "db-instance",
                            &rec.id,
                            &arn,
                            "DB instance deleted",
                            &["deletion"],
                            now,
                        )?;
                    }
                    return Ok(false);
                }
            }
            _ => None,
        };
        // Servers that should run but do not (Stratus restarted, or the
        // server died) are started again, and changed passwords applied.
        if change.is_none() && wants_running(&rec.status) && rec.initialised {
            if let Some(engine) = &real {
                self.keep_running(txn, k, &rec, engine, &mut updated, now)?;
            }
        }
        let Some(change) = change else {
            if updated.port != rec.port
                || updated.rejoin != rec.rejoin
                || updated.initialised != rec.initialised
                || updated.pending_password != rec.pending_password
                || updated.zone != rec.zone
                || updated.params_applying != rec.params_applying
            {
                txn.inner.instances.insert(k.to_string(), updated);
                txn.put_instance(k)?;
            }
            return Ok(false);
        };
        let first_backup = backups::automated_id(&rec.id, change.since);
        let taken = txn.inner.snapshots.contains_key(&crate::state::key(
            &rec.account,
            &rec.region,
            &first_backup,
        ));
        if rec.status == "creating"
            && change.status == "backing-up"
            && takes_backups(&rec)
            && !taken
        {
            new_snapshot(
                txn,
                &rec,
                &first_backup,
                Vec::new(),
                "automated",
                change.since,
            )?;
        }
        updated.status = change.status.to_string();
        updated.status_since_ms = change.since;
        let arn = names::arn(&rec.region, &rec.account, "db", &rec.id);
        for (msg, cats) in &change.events {
            txn.event(
                &rec.account,
                &rec.region,
                "db-instance",
                &rec.id,
                &arn,
                msg,
                cats,
                now,
            )?;
        }
        txn.inner.instances.insert(k.to_string(), updated);
        txn.put_instance(k)?;
        Ok(true)
    }

    fn created(&self, rec: &InstanceRec, at: i64) -> Change {
        // Aurora backs up the cluster's volume, not its instances.
        if rec.cluster.is_some() {
            return to("available", at).event("DB instance created", &["creation"]);
        }
        let c = to("backing-up", at);
        if let Some(p) = &rec.point_in_time {
            return c
                .event(
                    format!(
                        "Restored from DB instance {} to a point in time",
                        p.source_id
                    ),
                    &["creation"],
                )
                .event("Backing up DB instance", &["backup"]);
        }
        let c = match &rec.restore_from {
            Some(_) => c.event(
                format!(
                    "Restored from snapshot {}",
                    rec.restored_snapshot_id.clone().unwrap_or_default()
                ),
                &["creation"],
            ),
            None if rec.replica_source.is_some() => {
                c.event("DB instance created", &["creation"]).event(
                    "Replication for the Read Replica resumed",
                    &["read replica"],
                )
            }
            None => c.event("DB instance created", &["creation"]),
        };
        c.event("Backing up DB instance", &["backup"])
    }

    fn after_start(
        &self,
        k: &str,
        updated: &mut InstanceRec,
        out: Outcome,
        now: i64,
        message: &'static str,
    ) -> Change {
        match out {
            Ok(p) => {
                if let Some(p) = p {
                    updated.port = i32::from(p);
                }
                // The server has read every setting of its group.
                updated.params_pending_reboot = false;
                self.failures.lock().remove(k);
                to("available", now).event(message, &["availability"])
            }
            Err(e) => {
                self.failures.lock().insert(k.to_string(), e.clone());
                to("failed", now).event(
                    format!("DB instance could not be started: {e}"),
                    &["failure"],
                )
            }
        }
    }
}

/// The standby's zone for Multi-AZ: the next zone of the region.
pub fn other_zone(zone: &str) -> String {
    let (base, last) = zone.split_at(zone.len().saturating_sub(1));
    let next = match last {
        "a" => "b",
        "b" => "c",
        _ => "a",
    };
    format!("{base}{next}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standbys_go_to_another_zone() {
        assert_eq!(other_zone("us-east-1a"), "us-east-1b");
        assert_eq!(other_zone("us-east-1c"), "us-east-1a");
    }
}
