//! RestoreDBInstanceToPointInTime: a new instance from the source's
//! automated backup before the restore time, with the source's logs
//! replayed up to it (by the lifecycle task, on the real server).

use stratus_core::time::iso8601;
use stratus_core::{AwsError, RequestContext};

use super::common::tags_with_specs;
use super::common::{instance_not_found, my_key};
use super::instances::{blank, check_class, check_param_group, describe_one};
use super::placement::{check_quotas, place};
use crate::Rds;
use crate::catalogue;
use crate::generated::*;
use crate::state::{Inner, InstanceRec, PointInTimeRec, SnapshotRec};
use crate::validate::{self, invalid_combination};

/// The restore window: from the oldest automated backup's completion to
/// now, whole seconds (as AWS reports it).
pub fn restorable_window(inner: &Inner, source: &InstanceRec, now: i64) -> Option<(i64, i64)> {
    let earliest = backups(inner, source).map(taken).min()?;
    Some((earliest, now.div_euclid(1000) * 1000))
}

fn taken(s: &SnapshotRec) -> i64 {
    if s.taken_ms > 0 {
        s.taken_ms
    } else {
        s.created_ms
    }
}

fn backups<'a>(
    inner: &'a Inner,
    source: &'a InstanceRec,
) -> impl Iterator<Item = &'a SnapshotRec> + 'a {
    inner.snapshots.values().filter(move |s| {
        s.resource_id == source.resource_id && s.kind == "automated" && s.status == "available"
    })
}

/// The latest backup complete at or before `at`.
fn base_for<'a>(inner: &'a Inner, source: &'a InstanceRec, at: i64) -> Option<&'a SnapshotRec> {
    backups(inner, source)
        .filter(|s| taken(s) <= at)
        .max_by_key(|s| taken(s))
}

fn invalid_restore(message: String) -> AwsError {
    AwsError::bad_request("InvalidRestoreFault", message)
}

pub fn restore_db_instance_to_point_in_time(
    me: &Rds,
    ctx: &RequestContext,
    input: RestoreDBInstanceToPointInTimeMessage,
) -> Result<RestoreDBInstanceToPointInTimeResult, AwsError> {
    let id = input.target_db_instance_identifier.to_ascii_lowercase();
    validate::identifier("TargetDBInstanceIdentifier", &id)?;
    let latest = input.use_latest_restorable_time.unwrap_or(false);
    match (&input.restore_time, latest) {
        (Some(_), true) => {
            return Err(invalid_combination(
                "Cannot specify both RestoreTime and UseLatestRestorableTime.",
            ));
        }
        (None, false) => {
            return Err(invalid_combination(
                "Either RestoreTime or UseLatestRestorableTime must be specified.",
            ));
        }
        _ => {}
    }
    let now = ctx.clock.now_millis();
    let tags = tags_with_specs(input.tags, input.tag_specifications)?;
    let mut txn = me.state.begin();
    let source = match (
        &input.source_db_instance_identifier,
        &input.source_dbi_resource_id,
    ) {
        (Some(sid), _) => txn
            .inner
            .instances
            .get(&my_key(ctx, &sid.to_ascii_lowercase()))
            .cloned()
            .ok_or_else(|| instance_not_found(sid))?,
        (None, Some(rid)) => txn
            .inner
            .instances
            .values()
            .find(|i| {
                i.resource_id == *rid && i.account == ctx.account_id() && i.region == ctx.region
            })
            .cloned()
            .ok_or_else(|| instance_not_found(rid))?,
        (None, None) => {
            return Err(invalid_combination(
                "One of SourceDBInstanceIdentifier or SourceDbiResourceId must be specified.",
            ));
        }
    };
    let k = my_key(ctx, &id);
    if txn.inner.instances.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBInstanceAlreadyExists",
            "DB instance already exists",
        ));
    }
    if source.backup_retention == 0 {
        return Err(AwsError::bad_request(
            "PointInTimeRestoreNotEnabled",
            format!(
                "SourceDBInstanceIdentifier {} refers to a DB instance with BackupRetentionPeriod equal to 0.",
                source.id
            ),
        ));
    }
    let Some((earliest, latest_ms)) = restorable_window(&txn.inner, &source, now) else {
        return Err(invalid_restore(format!(
            "DB instance {} has no automated backup to restore from yet.",
            source.id
        )));
    };
    let at = input.restore_time.map(|t| t.0).unwrap_or(now);
    if at < earliest || at > now {
        return Err(invalid_restore(format!(
            "Restore time {} is not within the restorable time window {} to {} of DB instance {}.",
            iso8601(at),
            iso8601(earliest),
            iso8601(latest_ms),
            source.id
        )));
    }
    let base = base_for(&txn.inner, &source, at).cloned().ok_or_else(|| {
        invalid_restore(format!(
            "No backup of {} before {}.",
            source.id,
            iso8601(at)
        ))
    })?;
    if let Some(e) = &input.engine {
        if !e.eq_ignore_ascii_case(&source.engine) {
            return Err(invalid_combination(format!(
                "The engine {e} does not match the source instance's engine {}.",
                source.engine
            )));
        }
    }
    let class = input
        .db_instance_class
        .clone()
        .unwrap_or(source.class.clone());
    check_class(
        &source.engine,
        &source.engine_version,
        &class,
        &source.license_model,
    )?;
    let family = catalogue::family(&source.engine, &source.engine_version);
    let parameter_group = check_param_group(
        &txn.inner,
        ctx,
        input.db_parameter_group_name.as_deref(),
        &family,
    )?;
    let multi_az = input.multi_az.unwrap_or(false);
    let placed = place(
        me,
        ctx,
        &mut txn,
        input.db_subnet_group_name.as_deref(),
        input.availability_zone.as_deref(),
        multi_az,
        input.vpc_security_group_ids,
    )?;
    let storage = input
        .allocated_storage
        .unwrap_or(source.storage)
        .max(source.storage);
    check_quotas(&txn, ctx, 1, i64::from(storage))?;
    let rec = InstanceRec {
        engine: source.engine.clone(),
        engine_version: source.engine_version.clone(),
        class,
        master_username: source.master_username.clone(),
        admin_password: source.admin_password.clone(),
        db_name: source.db_name.clone(),
        port: input.port.unwrap_or(source.port),
        storage,
        storage_type: input.storage_type.unwrap_or(source.storage_type.clone()),
        iops: input.iops,
        multi_az,
        zone: placed.zone,
        secondary_zone: placed.secondary_zone,
        publicly_accessible: input.publicly_accessible.unwrap_or(false),
        security_groups: placed.security_groups,
        subnet_group: placed.subnet_group,
        parameter_group,
        deletion_protection: input.deletion_protection.unwrap_or(false),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        license_model: source.license_model.clone(),
        backup_retention: input
            .backup_retention_period
            .unwrap_or(source.backup_retention),
        point_in_time: Some(PointInTimeRec {
            source_id: source.id.clone(),
            source_resource_id: source.resource_id.clone(),
            base_dir: if base.has_data {
                base.dir.clone()
            } else {
                String::new()
            },
            // The servers keep time by the machine's clock, which the
            // clock's offset (test mode) does not move.
            until_ms: (!latest).then(|| at - ctx.clock.offset_millis()),
        }),
        tags,
        ..blank(ctx, &id, now)
    };
    let out = describe_one(me, &txn.inner, &rec);
    txn.inner.instances.insert(k.clone(), rec);
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(RestoreDBInstanceToPointInTimeResult {
        db_instance: Some(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::key;

    fn backup(id: &str, rid: &str, taken_ms: i64, status: &str) -> SnapshotRec {
        SnapshotRec {
            account: "a".into(),
            region: "r".into(),
            id: id.into(),
            resource_id: rid.into(),
            kind: "automated".into(),
            status: status.into(),
            created_ms: taken_ms - 500,
            taken_ms,
            ..SnapshotRec::default()
        }
    }

    #[test]
    fn restores_start_from_the_last_backup_before_the_time() {
        let mut inner = Inner::default();
        for s in [
            backup("b1", "db-1", 10_000, "available"),
            backup("b2", "db-1", 20_000, "available"),
            backup("b3", "db-1", 30_000, "creating"),
            backup("other", "db-2", 5_000, "available"),
        ] {
            inner.snapshots.insert(key("a", "r", &s.id), s);
        }
        let source = InstanceRec {
            resource_id: "db-1".into(),
            ..InstanceRec::default()
        };
        assert_eq!(
            restorable_window(&inner, &source, 40_700),
            Some((10_000, 40_000))
        );
        assert_eq!(base_for(&inner, &source, 19_999).unwrap().id, "b1");
        assert_eq!(base_for(&inner, &source, 20_000).unwrap().id, "b2");
        assert_eq!(base_for(&inner, &source, 40_000).unwrap().id, "b2");
        assert!(base_for(&inner, &source, 9_999).is_none());
        let none = InstanceRec {
            resource_id: "db-3".into(),
            ..InstanceRec::default()
        };
        assert_eq!(restorable_window(&inner, &none, 40_000), None);
    }
}
