//! DB snapshots: taken from an instance (a real copy of its data when a
//! server backs it), described, deleted, and restored to a new instance.

use stratus_core::{AwsError, RequestContext};

use super::common::tags_with_specs;
use super::common::{
    filters, instance, invalid_state, my_key, page, passes, snapshot_not_found, tags_in,
};
use super::instances::{blank, check_class, check_param_group, describe_one};
use super::placement::{check_quotas, place};
use super::render;
use crate::Rds;
use crate::catalogue;
use crate::generated::*;
use crate::names;
use crate::state::{InstanceRec, SnapshotRec, Tags, Txn, key};
use crate::validate::{self, invalid_value};

/// Records a snapshot of `inst` in `creating`; the lifecycle task copies
/// the data and makes it available.
pub fn new_snapshot(
    txn: &mut Txn<'_>,
    inst: &InstanceRec,
    id: &str,
    tags: Tags,
    kind: &str,
    now: i64,
) -> Result<SnapshotRec, AwsError> {
    // Automated snapshots are named `rds:ID-YYYY-MM-DD-HH-MM` by Stratus.
    if kind == "manual" {
        validate::identifier("DBSnapshotIdentifier", id)?;
    }
    let id = id.to_ascii_lowercase();
    let k = key(&inst.account, &inst.region, &id);
    if txn.inner.snapshots.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBSnapshotAlreadyExists",
            format!(
                "Cannot create the snapshot because a snapshot with the identifier {id} already exists."
            ),
        ));
    }
    let count = txn
        .inner
        .snapshots
        .values()
        .filter(|s| s.account == inst.account && s.region == inst.region && s.kind == "manual")
        .count();
    if count >= 100 {
        return Err(AwsError::bad_request(
            "SnapshotQuotaExceeded",
            "Cannot create more than 100 manual snapshots",
        ));
    }
    let vpc_id = txn
        .inner
        .subnet_groups
        .get(&key(&inst.account, &inst.region, &inst.subnet_group))
        .map(|g| g.vpc_id.clone())
        .unwrap_or_default();
    let tags = if tags.is_empty() && inst.copy_tags_to_snapshot {
        inst.tags.clone()
    } else {
        tags
    };
    let rec = SnapshotRec {
        account: inst.account.clone(),
        region: inst.region.clone(),
        id: id.clone(),
        instance_id: inst.id.clone(),
        resource_id: inst.resource_id.clone(),
        kind: kind.to_string(),
        status: "creating".into(),
        created_ms: now,
        instance_created_ms: inst.created_ms,
        engine: inst.engine.clone(),
        engine_version: inst.engine_version.clone(),
        class: inst.class.clone(),
        storage: inst.storage,
        storage_type: inst.storage_type.clone(),
        port: inst.port,
        zone: inst.zone.clone(),
        vpc_id,
        master_username: inst.master_username.clone(),
        admin_password: inst.admin_password.clone(),
        db_name: inst.db_name.clone(),
        license_model: inst.license_model.clone(),
        dir: format!("{id}-{}", stratus_core::ids::hex(8)),
        has_data: false,
        taken_ms: 0,
        source_snapshot: None,
        shared_with: Vec::new(),
        tags,
    };
    txn.inner.snapshots.insert(k.clone(), rec.clone());
    txn.put_snapshot(&k)?;
    let arn = names::arn(&inst.region, &inst.account, "snapshot", &id);
    txn.event(
        &inst.account,
        &inst.region,
        "db-snapshot",
        &id,
        &arn,
        if kind == "automated" {
            "Creating automated snapshot"
        } else {
            "Creating manual snapshot"
        },
        &["creation"],
        now,
    )?;
    Ok(rec)
}

pub fn create_db_snapshot(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBSnapshotMessage,
) -> Result<CreateDBSnapshotResult, AwsError> {
    let now = ctx.clock.now_millis();
    let tags = tags_in(input.tags)?;
    let mut txn = me.state.begin();
    let inst = instance(&txn.inner, ctx, &input.db_instance_identifier)?.clone();
    if inst.cluster.is_some() {
        return Err(crate::validate::invalid_value(
            "The specified instance is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.",
        ));
    }
    if inst.status != "available" {
        return Err(invalid_state(format!(
            "Cannot create a snapshot because the database instance {} is not currently in the available state.",
            inst.id
        )));
    }
    let snap = new_snapshot(
        &mut txn,
        &inst,
        &input.db_snapshot_identifier,
        tags,
        "manual",
        now,
    )?;
    let k = my_key(ctx, &inst.id);
    if let Some(r) = txn.inner.instances.get_mut(&k) {
        r.status = "backing-up".into();
        r.status_since_ms = now;
    }
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(CreateDBSnapshotResult {
        db_snapshot: Some(render::snapshot(&snap)),
    })
}

pub fn describe_db_snapshots(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBSnapshotsMessage,
) -> Result<DBSnapshotMessage, AwsError> {
    let f = filters(
        input.filters,
        &[
            "db-instance-id",
            "db-snapshot-id",
            "dbi-resource-id",
            "snapshot-type",
            "engine",
        ],
    )?;
    if let Some(t) = &input.snapshot_type {
        if !matches!(
            t.as_str(),
            "automated" | "manual" | "shared" | "public" | "awsbackup"
        ) {
            return Err(invalid_value(format!("Invalid snapshot type: {t}")));
        }
    }
    let inner = me.state.read();
    if let Some(id) = &input.db_snapshot_identifier {
        if !inner
            .snapshots
            .contains_key(&my_key(ctx, &id.to_ascii_lowercase()))
        {
            return Err(snapshot_not_found(id));
        }
    }
    let want_instance = input
        .db_instance_identifier
        .as_deref()
        .map(|i| i.rsplit(':').next().unwrap_or(i).to_ascii_lowercase());
    let out: Vec<DBSnapshot> = inner
        .snapshots
        .values()
        .filter(|s| s.account == ctx.account_id() && s.region == ctx.region)
        .filter(|s| {
            input
                .db_snapshot_identifier
                .as_deref()
                .is_none_or(|id| s.id == super::common::bare_id(id).to_ascii_lowercase())
        })
        .filter(|s| want_instance.as_deref().is_none_or(|i| s.instance_id == i))
        .filter(|s| {
            input
                .dbi_resource_id
                .as_deref()
                .is_none_or(|r| s.resource_id == r)
        })
        .filter(|s| input.snapshot_type.as_deref().is_none_or(|t| s.kind == t))
        .filter(|s| {
            passes(&f, "db-instance-id", &[&s.instance_id])
                && passes(&f, "db-snapshot-id", &[&s.id])
                && passes(&f, "dbi-resource-id", &[&s.resource_id])
                && passes(&f, "snapshot-type", &[&s.kind])
                && passes(&f, "engine", &[&s.engine])
        })
        .map(render::snapshot)
        .collect();
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(DBSnapshotMessage {
        marker,
        db_snapshots: Some(items),
    })
}

pub fn delete_db_snapshot(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteDBSnapshotMessage,
) -> Result<DeleteDBSnapshotResult, AwsError> {
    let now = ctx.clock.now_millis();
    let id = input.db_snapshot_identifier.to_ascii_lowercase();
    let k = my_key(ctx, &id);
    let mut txn = me.state.begin();
    let s = txn
        .inner
        .snapshots
        .get(&k)
        .cloned()
        .ok_or_else(|| snapshot_not_found(&input.db_snapshot_identifier))?;
    if s.kind == "automated" {
        return Err(AwsError::bad_request(
            "InvalidDBSnapshotState",
            "Cannot delete an automated snapshot; it is removed with its retention period.",
        ));
    }
    if s.status == "creating" {
        return Err(AwsError::bad_request(
            "InvalidDBSnapshotState",
            format!("Cannot delete the snapshot {id} because it is still being created."),
        ));
    }
    txn.delete_snapshot(&k);
    let arn = names::arn(&s.region, &s.account, "snapshot", &s.id);
    txn.event(
        &s.account,
        &s.region,
        "db-snapshot",
        &s.id,
        &arn,
        "Deleted manual snapshot",
        &["deletion"],
        now,
    )?;
    txn.commit()?;
    me.supervisor.remove_snapshot_files(&s.dir);
    let mut out = render::snapshot(&s);
    out.status = Some("deleted".into());
    Ok(DeleteDBSnapshotResult {
        db_snapshot: Some(out),
    })
}

/// A snapshot of the caller's, or another account's shared with it (named
/// by ARN).
fn shared_or_mine(
    inner: &crate::state::Inner,
    ctx: &RequestContext,
    id: &str,
) -> Option<SnapshotRec> {
    if let Some((region, account, "snapshot", name)) = names::parse_arn(id) {
        if account != ctx.account_id() {
            let s = inner
                .snapshots
                .get(&key(account, region, &name.to_ascii_lowercase()))?;
            let shared = s
                .shared_with
                .iter()
                .any(|a| a == "all" || a == ctx.account_id());
            return (shared && region == ctx.region).then(|| s.clone());
        }
    }
    inner
        .snapshots
        .get(&my_key(ctx, &id.to_ascii_lowercase()))
        .cloned()
}

pub fn restore_db_instance_from_db_snapshot(
    me: &Rds,
    ctx: &RequestContext,
    input: RestoreDBInstanceFromDBSnapshotMessage,
) -> Result<RestoreDBInstanceFromDBSnapshotResult, AwsError> {
    let id = input.db_instance_identifier.to_ascii_lowercase();
    validate::identifier("DBInstanceIdentifier", &id)?;
    let snap_id = input.db_snapshot_identifier.clone().ok_or_else(|| {
        invalid_value("The parameter DBSnapshotIdentifier must be provided and must not be blank.")
    })?;
    let now = ctx.clock.now_millis();
    let tags = tags_with_specs(input.tags, input.tag_specifications)?;
    let mut txn = me.state.begin();
    let s =
        shared_or_mine(&txn.inner, ctx, &snap_id).ok_or_else(|| snapshot_not_found(&snap_id))?;
    if s.status != "available" {
        return Err(AwsError::bad_request(
            "InvalidDBSnapshotState",
            format!("Snapshot {} is not in available state.", s.id),
        ));
    }
    let k = key(ctx.account_id(), &ctx.region, &id);
    if txn.inner.instances.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBInstanceAlreadyExists",
            "DB instance already exists",
        ));
    }
    if let Some(e) = &input.engine {
        if !e.eq_ignore_ascii_case(&s.engine) {
            return Err(crate::validate::invalid_combination(format!(
                "The engine {e} does not match the snapshot's engine {}.",
                s.engine
            )));
        }
    }
    let class = input.db_instance_class.clone().unwrap_or(s.class.clone());
    check_class(&s.engine, &s.engine_version, &class, &s.license_model)?;
    let family = catalogue::family(&s.engine, &s.engine_version);
    let parameter_group = check_param_group(
        &txn.inner,
        ctx,
        input.db_parameter_group_name.as_deref(),
        &family,
    )?;
    let multi_az = input.multi_az.unwrap_or(false);
    let at = place(
        me,
        ctx,
        &mut txn,
        input.db_subnet_group_name.as_deref(),
        input.availability_zone.as_deref(),
        multi_az,
        input.vpc_security_group_ids,
    )?;
    let storage = input.allocated_storage.unwrap_or(s.storage).max(s.storage);
    check_quotas(&txn, ctx, 1, i64::from(storage))?;
    let port = input.port.unwrap_or(s.port);
    let tags = if tags.is_empty() && input.copy_tags_to_snapshot.unwrap_or(false) {
        s.tags.clone()
    } else {
        tags
    };
    let rec = InstanceRec {
        engine: s.engine.clone(),
        engine_version: s.engine_version.clone(),
        class,
        master_username: s.master_username.clone(),
        admin_password: s.admin_password.clone(),
        db_name: s.db_name.clone(),
        port,
        storage,
        storage_type: input.storage_type.unwrap_or(s.storage_type.clone()),
        iops: input.iops,
        multi_az,
        zone: at.zone,
        secondary_zone: at.secondary_zone,
        publicly_accessible: input.publicly_accessible.unwrap_or(false),
        security_groups: at.security_groups,
        subnet_group: at.subnet_group,
        parameter_group,
        deletion_protection: input.deletion_protection.unwrap_or(false),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        license_model: s.license_model.clone(),
        backup_retention: input.backup_retention_period.unwrap_or(1),
        restore_from: Some(s.dir.clone()),
        restored_snapshot_id: Some(s.id.clone()),
        tags,
        ..blank(ctx, &id, now)
    };
    let out = describe_one(me, &txn.inner, &rec);
    txn.inner.instances.insert(k.clone(), rec);
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(RestoreDBInstanceFromDBSnapshotResult {
        db_instance: Some(out),
    })
}
