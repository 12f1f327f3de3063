//! Snapshots being taken: the server's data copied by a step, or, with
//! no server, ready after their time on the clock.

use super::{Cmd, Lifecycle, SNAPSHOT_MS, engine_for, spec_with_params};
use crate::names;
use crate::state::Txn;

impl Lifecycle {
    pub(super) fn settle_snapshot(
        &self,
        txn: &mut Txn<'_>,
        k: &str,
        now: i64,
    ) -> Result<(), stratus_core::AwsError> {
        let Some(s) = txn.inner.snapshots.get(k).cloned() else {
            return Ok(());
        };
        let inst = txn
            .inner
            .instances
            .values()
            .find(|i| i.resource_id == s.resource_id)
            .cloned();
        let real = inst
            .as_ref()
            .and_then(|i| engine_for(&self.engines, i).ok().filter(|_| i.initialised));
        let result: Option<Result<bool, String>> = match (&inst, &real) {
            (Some(i), Some(engine)) => {
                let out_dir = self.supervisor.snapshot_dir(&s.dir);
                let spec = spec_with_params(&txn.inner, i, &i.class);
                let port = i.port as u16;
                self.step(format!("{k}#snapshot"), &i.resource_id, engine, || {
                    Cmd::Snapshot {
                        spec,
                        port,
                        out: out_dir,
                    }
                })
                .map(|o| o.map(|_| true))
            }
            _ => (now >= s.created_ms + SNAPSHOT_MS).then_some(Ok(false)),
        };
        let Some(result) = result else {
            return Ok(());
        };
        let arn = names::arn(&s.region, &s.account, "snapshot", &s.id);
        let rec = txn.inner.snapshots.get_mut(k).expect("present");
        match result {
            Ok(has_data) => {
                rec.status = "available".into();
                rec.has_data = has_data;
                rec.taken_ms = now;
                txn.put_snapshot(k)?;
                let msg = if s.kind == "automated" {
                    "Automated snapshot created"
                } else {
                    "Manual snapshot created"
                };
                txn.event(
                    &s.account,
                    &s.region,
                    "db-snapshot",
                    &s.id,
                    &arn,
                    msg,
                    &["creation"],
                    now,
                )?;
            }
            Err(e) => {
                rec.status = "failed".into();
                txn.put_snapshot(k)?;
                tracing::warn!(snapshot = %s.id, "snapshot failed: {e}");
                txn.event(
                    &s.account,
                    &s.region,
                    "db-snapshot",
                    &s.id,
                    &arn,
                    "Snapshot failed",
                    &["failure"],
                    now,
                )?;
            }
        }
        Ok(())
    }
}
