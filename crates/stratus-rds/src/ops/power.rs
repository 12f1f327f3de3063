//! Reboot, stop and start: status changes the lifecycle task carries out
//! on the instance's server.

use stratus_core::{AwsError, RequestContext};

use super::common::{instance, invalid_state, my_key};
use super::instances::{describe_one, require_available};
use super::snapshots::new_snapshot;
use crate::Rds;
use crate::generated::*;
use crate::validate::invalid_combination;

fn set_status(
    me: &Rds,
    ctx: &RequestContext,
    id: &str,
    check: impl FnOnce(&crate::state::InstanceRec) -> Result<(), AwsError>,
    status: &str,
    snapshot: Option<&str>,
    failover: bool,
) -> Result<DBInstance, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let k = my_key(ctx, id);
    let cur = instance(&txn.inner, ctx, id)?.clone();
    check(&cur)?;
    if let Some(snap) = snapshot {
        new_snapshot(&mut txn, &cur, snap, Vec::new(), "manual", now)?;
    }
    let r = txn.inner.instances.get_mut(&k).expect("present");
    r.status = status.to_string();
    r.status_since_ms = now;
    r.failover = failover;
    let r = r.clone();
    txn.put_instance(&k)?;
    let out = describe_one(me, &txn.inner, &r);
    txn.commit()?;
    Ok(out)
}

pub fn reboot_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: RebootDBInstanceMessage,
) -> Result<RebootDBInstanceResult, AwsError> {
    let failover = input.force_failover.unwrap_or(false);
    let out = set_status(
        me,
        ctx,
        &input.db_instance_identifier,
        |r| {
            require_available(r)?;
            if failover && !r.multi_az {
                return Err(invalid_combination(
                    "ForceFailover can only be specified for a Multi-AZ DB instance.",
                ));
            }
            Ok(())
        },
        "rebooting",
        None,
        failover,
    )?;
    Ok(RebootDBInstanceResult {
        db_instance: Some(out),
    })
}

pub fn stop_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: StopDBInstanceMessage,
) -> Result<StopDBInstanceResult, AwsError> {
    let has_replicas = {
        let inner = me.state.read();
        let id = super::common::bare_id(&input.db_instance_identifier).to_ascii_lowercase();
        // AWS stops and starts whole Aurora clusters, not their instances.
        if let Some(i) = inner
            .instances
            .get(&super::common::my_key(ctx, &id))
            .filter(|i| i.cluster.is_some())
        {
            return Err(crate::validate::invalid_combination(format!(
                "{} DB instances are not eligible for stopping and starting.",
                i.engine
            )));
        }
        inner.instances.values().any(|i| {
            i.account == ctx.account_id()
                && i.region == ctx.region
                && i.replica_source.as_deref() == Some(id.as_str())
        })
    };
    let out = set_status(
        me,
        ctx,
        &input.db_instance_identifier,
        |r| {
            require_available(r)?;
            if r.replica_source.is_some() {
                return Err(invalid_state(format!(
                    "Cannot stop DB instance {}, because it is a read replica.",
                    r.id
                )));
            }
            if has_replicas {
                return Err(invalid_state(format!(
                    "Cannot stop DB instance {}, because it has read replicas.",
                    r.id
                )));
            }
            Ok(())
        },
        "stopping",
        input.db_snapshot_identifier.as_deref(),
        false,
    )?;
    Ok(StopDBInstanceResult {
        db_instance: Some(out),
    })
}

pub fn start_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: StartDBInstanceMessage,
) -> Result<StartDBInstanceResult, AwsError> {
    let out = set_status(
        me,
        ctx,
        &input.db_instance_identifier,
        |r| {
            if r.status == "stopped" {
                Ok(())
            } else {
                Err(invalid_state(format!(
                    "Instance {} cannot be started as it is not in stopped state.",
                    r.id
                )))
            }
        },
        "starting",
        None,
        false,
    )?;
    Ok(StartDBInstanceResult {
        db_instance: Some(out),
    })
}
