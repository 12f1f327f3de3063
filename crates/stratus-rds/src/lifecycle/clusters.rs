//! Aurora clusters on the clock: their endpoints opened and pointed at the
//! members' servers, failovers finished, and members rebuilt as readers
//! of a new writer.

use std::sync::Arc;

use super::{Change, Lifecycle, REBOOT_MS, spec_with_params, to};
use crate::engine::{Engine, Origin};
use crate::lifecycle::engine_for;
use crate::ops::clusters::{
    FailoverState, cluster_members, failover_state, failover_target, start_failover,
};
use crate::state::{InstanceRec, Txn, key};
use crate::supervisor::Cmd;

pub const CLUSTER_CREATE_MS: i64 = 2_000;
pub const CLUSTER_DELETE_MS: i64 = 1_000;
pub const CREDENTIALS_MS: i64 = 1_000;

/// Statuses in which a member's server takes connections.
fn serving(status: &str) -> bool {
    matches!(status, "available" | "backing-up" | "modifying")
}

impl Lifecycle {
    /// Whether `rec` is a cluster reader whose writer does not serve yet.
    pub(super) fn awaits_writer(&self, txn: &Txn<'_>, rec: &InstanceRec) -> bool {
        let (Some(_), Some(src)) = (&rec.cluster, &rec.replica_source) else {
            return false;
        };
        match txn
            .inner
            .instances
            .get(&key(&rec.account, &rec.region, src))
        {
            Some(w) => {
                !(serving(&w.status)
                    && w.replica_source.is_none()
                    && self.supervisor.running(&w.resource_id).is_some())
            }
            None => false,
        }
    }

    /// Whether `rec` is the writer of an available cluster whose server
    /// died (not one being started) while a reader serves: Aurora then
    /// promotes the reader rather than restart the writer.
    pub(super) fn writer_fails_over(&self, txn: &Txn<'_>, k: &str, rec: &InstanceRec) -> bool {
        let Some(cluster) = &rec.cluster else {
            return false;
        };
        if rec.replica_source.is_some()
            || rec.status != "available"
            || !rec.initialised
            || engine_for(&self.engines, rec).is_err()
            || self.inflight.lock().contains_key(&format!("{k}#run"))
            || self.supervisor.running(&rec.resource_id).is_some()
        {
            return false;
        }
        let Some(c) = txn
            .inner
            .clusters
            .get(&key(&rec.account, &rec.region, cluster))
        else {
            return false;
        };
        c.status == "available"
            && c.writer.as_deref() == Some(rec.id.as_str())
            && failover_target(&txn.inner, c)
                .is_some_and(|t| self.supervisor.running(&t.resource_id).is_some())
    }

    /// A member after a failover: its server stops and its old files go at
    /// once (an old writer must take no more writes), then once the new
    /// writer serves it starts again as a copy following it.
    pub(super) fn rejoin(
        &self,
        txn: &Txn<'_>,
        k: &str,
        rec: &InstanceRec,
        real: &Option<Arc<dyn Engine>>,
        updated: &mut InstanceRec,
        now: i64,
    ) -> Option<Change> {
        let src_id = rec.replica_source.clone()?;
        let rid = rec.resource_id.clone();
        if let (Some(engine), 1) = (real, rec.rejoin) {
            if self
                .step(format!("{k}#rejoin-clear"), &rid, engine, || Cmd::Destroy)
                .is_some()
            {
                updated.rejoin = 2;
                updated.initialised = false;
            }
            return None;
        }
        let src = txn
            .inner
            .instances
            .get(&key(&rec.account, &rec.region, &src_id))?;
        let promoted = src.replica_source.is_none() && serving(&src.status);
        let Some(engine) = real else {
            return (promoted && now >= rec.status_since_ms + REBOOT_MS).then(|| {
                updated.rejoin = 0;
                to("available", rec.status_since_ms + REBOOT_MS)
                    .event("DB instance restarted", &["availability"])
            });
        };
        let source_port = self.supervisor.running(&src.resource_id)?;
        if !promoted {
            return None;
        }
        let spec = spec_with_params(&txn.inner, rec, &rec.class);
        let port = rec.port as u16;
        self.step(format!("{k}#rejoin"), &rid, engine, || Cmd::Start {
            spec,
            port,
            origin: Origin::Replica { source_port },
        })
        .map(|out| {
            updated.rejoin = 0;
            updated.initialised = true;
            self.after_start(k, updated, out, now, "DB instance restarted")
        })
    }

    /// Whether a failover's target must wait to be promoted: the servers
    /// of the cluster's other members (the old writer among them) still
    /// run, and could still take writes.
    pub(super) fn old_servers_run(&self, txn: &Txn<'_>, rec: &InstanceRec) -> bool {
        let Some(cluster) = &rec.cluster else {
            return false;
        };
        txn.inner.instances.values().any(|m| {
            m.account == rec.account
                && m.region == rec.region
                && m.cluster.as_deref() == Some(cluster.as_str())
                && m.id != rec.id
                && (m.rejoin == 1 || m.status == "deleting")
                && self.supervisor.running(&m.resource_id).is_some()
        })
    }

    pub(super) fn settle_cluster(
        &self,
        txn: &mut Txn<'_>,
        k: &str,
        now: i64,
    ) -> Result<(), stratus_core::AwsError> {
        let Some(c) = txn.inner.clusters.get(k).cloned() else {
            return Ok(());
        };
        let since = c.status_since_ms;
        let members: Vec<InstanceRec> = cluster_members(&txn.inner, &c)
            .into_iter()
            .cloned()
            .collect();
        if c.status == "deleting" {
            if members.is_empty() && now >= since + CLUSTER_DELETE_MS {
                self.endpoints.close(k);
                txn.delete_cluster(k);
                txn.cluster_event(&c, "DB cluster deleted", &["deletion"], now)?;
            }
            return Ok(());
        }
        let writer_rec = members
            .iter()
            .find(|m| c.writer.as_deref() == Some(m.id.as_str()));
        if let Some(w) = writer_rec {
            let wk = key(&w.account, &w.region, &w.id);
            if self.writer_fails_over(txn, &wk, w) {
                let target = failover_target(&txn.inner, &c).map(|t| t.id.clone());
                if let Some(target) = target {
                    tracing::warn!(
                        "rds cluster {}: the writer {} stopped; failing over to {target}",
                        c.id,
                        w.id
                    );
                    return start_failover(txn, &self.endpoints, k, &target, false, now);
                }
            }
        }
        let mut next = c.clone();
        if !self.endpoints.contains(k) {
            match self.endpoints.open(k, c.port as u16) {
                Ok(p) => next.port = i32::from(p),
                Err(e) => tracing::error!("rds cluster {}: endpoints: {e}", c.id),
            }
        }
        let mut message: Option<(String, &'static [&'static str])> = None;
        match c.status.as_str() {
            "creating" if now >= since + CLUSTER_CREATE_MS => {
                next.status = "available".into();
                next.status_since_ms = since + CLUSTER_CREATE_MS;
                message = Some(("DB cluster created".into(), &["creation"]));
            }
            "resetting-master-credentials" if now >= since + CREDENTIALS_MS => {
                next.status = "available".into();
                next.status_since_ms = since + CREDENTIALS_MS;
            }
            "failing-over" => {
                let target = c.failing_over_to.clone().unwrap_or_default();
                let outcome = match failover_state(&txn.inner, &c) {
                    FailoverState::Underway => None,
                    FailoverState::Done => Some((
                        format!("Completed failover to DB instance: {target}"),
                        &["failover"][..],
                    )),
                    // The members that were to follow it fail with it.
                    FailoverState::Failed => Some((
                        "Cluster failover failed, check the health of your cluster instances and try again.".to_string(),
                        &["failover", "failure"][..],
                    )),
                };
                if let Some(m) = outcome {
                    next.status = "available".into();
                    next.status_since_ms = now;
                    next.failing_over_to = None;
                    message = Some(m);
                }
            }
            _ => {}
        }
        // The cluster endpoint reaches the writer; the reader endpoint the
        // readers that follow it, in turn.
        let port_of = |m: &InstanceRec| self.supervisor.running(&m.resource_id);
        let writer = members
            .iter()
            .find(|m| c.writer.as_deref() == Some(m.id.as_str()))
            .filter(|m| serving(&m.status) && m.replica_source.is_none())
            .and_then(port_of);
        let readers: Vec<u16> = members
            .iter()
            .filter(|m| {
                m.status == "available"
                    && m.rejoin == 0
                    && m.replica_source.is_some()
                    && m.replica_source == c.writer
            })
            .filter_map(port_of)
            .collect();
        self.endpoints.route(k, writer, readers);
        if let Some((msg, cats)) = message {
            txn.cluster_event(&c, &msg, cats, now)?;
        }
        if next.status != c.status || next.port != c.port {
            txn.inner.clusters.insert(k.to_string(), next);
            txn.put_cluster(k)?;
        }
        Ok(())
    }
}
