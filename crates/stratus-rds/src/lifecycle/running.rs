//! Servers kept running: started again when they should run but do not,
//! a Multi-AZ standby kept beside the primary and promoted when the
//! primary dies, changed master passwords applied.

use std::sync::Arc;

use super::{Cmd, Lifecycle, Origin, spec_with_params};
use crate::engine::Engine;
use crate::names;
use crate::state::{InstanceRec, Txn};

/// How long after a failed attempt a standby is tried again.
const STANDBY_RETRY_MS: i64 = 30_000;

impl Lifecycle {
    pub(super) fn keep_running(
        &self,
        txn: &mut Txn<'_>,
        k: &str,
        rec: &InstanceRec,
        engine: &Arc<dyn Engine>,
        updated: &mut InstanceRec,
        now: i64,
    ) -> Result<(), stratus_core::AwsError> {
        let rid = &rec.resource_id;
        let running = self.supervisor.running(rid);
        let spec = spec_with_params(&txn.inner, rec, &rec.class);
        let standby = self.supervisor.standby_running(rid);
        let wants_standby = rec.multi_az && rec.replica_source.is_none();
        let failover_key = format!("{k}#failover");
        let failing_over = self.inflight.lock().contains_key(&failover_key);
        if failing_over || (running.is_none() && wants_standby && standby) {
            // The primary's server died: its standby takes over at the same
            // endpoint.
            let port = rec.port as u16;
            if let Some(out) = self.step(failover_key, rid, engine, || Cmd::Failover { spec, port })
            {
                let arn = names::arn(&rec.region, &rec.account, "db", &rec.id);
                match out {
                    Ok(p) => {
                        if let Some(p) = p {
                            updated.port = i32::from(p);
                        }
                        if let Some(z) = rec.secondary_zone.clone() {
                            updated.secondary_zone = Some(rec.zone.clone());
                            updated.zone = z;
                        }
                        self.failures.lock().remove(k);
                        for msg in [
                            "Multi-AZ instance failover started",
                            "Multi-AZ instance failover completed",
                        ] {
                            txn.event(
                                &rec.account,
                                &rec.region,
                                "db-instance",
                                &rec.id,
                                &arn,
                                msg,
                                &["failover"],
                                now,
                            )?;
                        }
                    }
                    Err(e) => {
                        self.failures.lock().insert(k.to_string(), e);
                    }
                }
            }
            return Ok(());
        }
        let retry_at = self
            .standby_retry
            .lock()
            .get(k)
            .copied()
            .unwrap_or(i64::MIN);
        if let Some(primary_port) = running.filter(|_| wants_standby && !standby && now >= retry_at)
        {
            let mut standby_spec = spec.clone();
            standby_spec.read_only = true;
            let made = self.step(format!("{k}#standby"), rid, engine, || Cmd::EnsureStandby {
                spec: standby_spec,
                primary_port,
            });
            // A standby that cannot be made is tried again later, not on
            // every tick.
            if let Some(Err(_)) = made {
                self.standby_retry
                    .lock()
                    .insert(k.to_string(), now + STANDBY_RETRY_MS);
            }
        } else if standby && !wants_standby {
            let _ = self.step(format!("{k}#drop-standby"), rid, engine, || {
                Cmd::DropStandby
            });
        }
        // A cluster's writer that died fails over to a reader instead
        // (the cluster's tick starts it).
        if running.is_none() && self.writer_fails_over(txn, k, rec) {
            return Ok(());
        }
        if running.is_none() {
            let port = rec.port as u16;
            if let Some(out) = self.step(format!("{k}#run"), rid, engine, || Cmd::Start {
                spec,
                port,
                origin: Origin::Empty,
            }) {
                match out {
                    Ok(p) => {
                        if let Some(p) = p {
                            updated.port = i32::from(p);
                        }
                        self.failures.lock().remove(k);
                    }
                    Err(e) => {
                        self.failures.lock().insert(k.to_string(), e);
                    }
                }
            }
            return Ok(());
        }
        if rec.params_applying {
            let spec = spec.clone();
            match self.step(format!("{k}#params"), rid, engine, || Cmd::ApplyParams {
                spec,
            }) {
                Some(Ok(_)) => updated.params_applying = false,
                Some(Err(e)) => {
                    updated.params_applying = false;
                    self.failures.lock().insert(k.to_string(), e);
                }
                None => {}
            }
        }
        if let Some(password) = rec.pending_password.clone() {
            let user = rec.master_username.clone();
            if let Some(out) =
                self.step(format!("{k}#password"), rid, engine, || Cmd::SetPassword {
                    spec,
                    user,
                    password,
                })
            {
                match out {
                    Ok(_) => {
                        updated.pending_password = None;
                        let arn = names::arn(&rec.region, &rec.account, "db", &rec.id);
                        txn.event(
                            &rec.account,
                            &rec.region,
                            "db-instance",
                            &rec.id,
                            &arn,
                            "Reset master credentials",
                            &["configuration change"],
                            now,
                        )?;
                    }
                    Err(e) => {
                        self.failures.lock().insert(k.to_string(), e);
                    }
                }
            }
        }
        Ok(())
    }
}
