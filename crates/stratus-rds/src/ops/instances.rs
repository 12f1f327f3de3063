//! DB instances: create with AWS's validation, describe, modify, delete.

use stratus_core::{AwsError, RequestContext};

use super::common::tags_with_specs;
use super::common::{
    filters, instance, instance_not_found, invalid_state, my_key, not_available, page, passes,
};
use super::parameter_groups::{default_name, find as find_param_group};
use super::placement::{check_quotas, place};
use super::render;
use super::snapshots::new_snapshot;
use crate::Rds;
use crate::catalogue::{self, EngineInfo};
use crate::generated::*;
use crate::lifecycle::engine_for;
use crate::names;
use crate::state::{Inner, InstanceRec, key};
use crate::validate::{self, invalid_combination, invalid_value};

pub fn engine_info(engine: &str) -> Result<&'static EngineInfo, AwsError> {
    catalogue::engine(&engine.to_ascii_lowercase())
        .ok_or_else(|| invalid_value(format!("Invalid DB engine: {engine}")))
}

pub fn check_class(
    engine: &str,
    version: &str,
    class: &str,
    license: &str,
) -> Result<(), AwsError> {
    if catalogue::orderable(engine, class) {
        return Ok(());
    }
    Err(invalid_combination(format!(
        "RDS does not support creating a DB instance with the following combination: DBInstanceClass={class}, Engine={engine}, EngineVersion={version}, LicenseModel={license}. For supported combinations of instance class and database engine version, see the documentation."
    )))
}

pub fn check_storage(
    engine: &str,
    kind: &str,
    size: i32,
    iops: Option<i32>,
) -> Result<(), AwsError> {
    let info = catalogue::storage(kind)
        .ok_or_else(|| invalid_value(format!("Invalid storage type: {kind}")))?;
    if kind == "io1" && iops.is_none() {
        return Err(invalid_combination(
            "Specifying the IOPS value is required for storage type io1.",
        ));
    }
    if iops.is_some() && !info.iops {
        return Err(invalid_combination(format!(
            "You can't specify IOPS or storage throughput for engine {engine} and storage type {kind}."
        )));
    }
    if size < info.min || size > info.max {
        return Err(invalid_value(format!(
            "Invalid storage size for engine name {engine} and storage type {kind}: {size}"
        )));
    }
    Ok(())
}

fn check_retention(days: i32) -> Result<(), AwsError> {
    if (0..=35).contains(&days) {
        Ok(())
    } else {
        Err(invalid_value(format!(
            "Invalid backup retention period: {days}. Valid values are 0 to 35."
        )))
    }
}

/// The version asked for, or the default (the newest of an installed
/// major version).
pub fn pick_version(me: &Rds, info: &EngineInfo, asked: Option<&str>) -> Result<String, AwsError> {
    match asked {
        Some(v) => catalogue::resolve_version(info, v)
            .map(str::to_string)
            .ok_or_else(|| {
                invalid_combination(format!("Cannot find version {v} for {}", info.name))
            }),
        None => {
            Ok(
                catalogue::default_version(info, |major| me.engines.installed(info.name, major))
                    .to_string(),
            )
        }
    }
}

pub fn check_param_group(
    inner: &Inner,
    ctx: &RequestContext,
    name: Option<&str>,
    family: &str,
) -> Result<String, AwsError> {
    let Some(name) = name else {
        return Ok(default_name(family));
    };
    let g = find_param_group(inner, ctx, name).ok_or_else(|| {
        AwsError::not_found(
            "DBParameterGroupNotFound",
            format!("DBParameterGroup not found: {name}"),
        )
    })?;
    if g.family != family {
        return Err(invalid_combination(format!(
            "The parameter group {} with DBParameterGroupFamily {} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {family}.",
            g.name, g.family
        )));
    }
    Ok(g.name)
}

fn default_backup_window() -> String {
    "03:00-03:30".into()
}

fn default_maintenance_window() -> String {
    "sun:05:00-sun:05:30".into()
}

/// An instance record with the defaults every new instance starts from.
pub fn blank(ctx: &RequestContext, id: &str, now: i64) -> InstanceRec {
    InstanceRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        id: id.to_string(),
        resource_id: names::resource_id(),
        status: "creating".into(),
        status_since_ms: now,
        created_ms: now,
        admin_password: stratus_core::ids::alnum(24),
        backup_window: default_backup_window(),
        maintenance_window: default_maintenance_window(),
        auto_minor_version_upgrade: true,
        ca_certificate: "rds-ca-rsa2048-g1".into(),
        backup_retention: 1,
        ..Default::default()
    }
}

pub fn create_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBInstanceMessage,
) -> Result<CreateDBInstanceResult, AwsError> {
    let id = input.db_instance_identifier.to_ascii_lowercase();
    validate::identifier("DBInstanceIdentifier", &id)?;
    if input.db_cluster_identifier.is_some() {
        return super::cluster_instances::create_cluster_instance(me, ctx, input);
    }
    if catalogue::aurora(&input.engine.to_ascii_lowercase()).is_some() {
        return Err(invalid_value(
            "The parameter DBClusterIdentifier must be provided for an Aurora DB instance.",
        ));
    }
    let info = engine_info(&input.engine)?;
    let engine = info.name;
    let version = pick_version(me, info, input.engine_version.as_deref())?;
    let license = input
        .license_model
        .clone()
        .unwrap_or_else(|| info.license.to_string());
    check_class(engine, &version, &input.db_instance_class, &license)?;
    let storage_type = input
        .storage_type
        .clone()
        .unwrap_or_else(|| if input.iops.is_some() { "io1" } else { "gp2" }.to_string());
    let storage = input.allocated_storage.ok_or_else(|| {
        invalid_value("The parameter AllocatedStorage must be provided and must not be blank.")
    })?;
    check_storage(engine, &storage_type, storage, input.iops)?;
    let master = validate::master_username(engine, input.master_username.as_deref())?;
    let managed = input.manage_master_user_password.unwrap_or(false);
    let password =
        validate::new_master_password(engine, input.master_user_password.as_ref(), managed)?;
    if let Some(db) = &input.db_name {
        validate::db_name(engine, db)?;
    }
    let port = input.port.unwrap_or(info.port);
    validate::port(port)?;
    let retention = input.backup_retention_period.unwrap_or(1);
    check_retention(retention)?;
    if let Some(w) = &input.preferred_backup_window {
        validate::window("PreferredBackupWindow", w, false)?;
    }
    if let Some(w) = &input.preferred_maintenance_window {
        validate::window("PreferredMaintenanceWindow", w, true)?;
    }
    let tags = tags_with_specs(input.tags, input.tag_specifications)?;
    let multi_az = input.multi_az.unwrap_or(false);
    let family = catalogue::family(engine, &version);
    let now = ctx.clock.now_millis();

    let mut txn = me.state.begin();
    let k = key(ctx.account_id(), &ctx.region, &id);
    if txn.inner.instances.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBInstanceAlreadyExists",
            "DB instance already exists",
        ));
    }
    let parameter_group = check_param_group(
        &txn.inner,
        ctx,
        input.db_parameter_group_name.as_deref(),
        &family,
    )?;
    let option_group = input
        .option_group_name
        .as_deref()
        .map(|n| super::option_groups::check_for_instance(&txn.inner, ctx, n, engine, &version))
        .transpose()?;
    let at = place(
        me,
        ctx,
        &mut txn,
        input.db_subnet_group_name.as_deref(),
        input.availability_zone.as_deref(),
        multi_az,
        input.vpc_security_group_ids,
    )?;
    check_quotas(&txn, ctx, 1, i64::from(storage))?;
    let rec = InstanceRec {
        engine: engine.to_string(),
        engine_version: version,
        class: input.db_instance_class,
        master_username: master,
        pending_password: password,
        db_name: input.db_name,
        port,
        storage,
        storage_type,
        iops: input.iops,
        multi_az,
        zone: at.zone,
        secondary_zone: at.secondary_zone,
        publicly_accessible: input.publicly_accessible.unwrap_or(false),
        security_groups: at.security_groups,
        subnet_group: at.subnet_group,
        parameter_group,
        option_group,
        backup_retention: retention,
        backup_window: input
            .preferred_backup_window
            .unwrap_or_else(default_backup_window),
        maintenance_window: input
            .preferred_maintenance_window
            .map(|w| w.to_ascii_lowercase())
            .unwrap_or_else(default_maintenance_window),
        deletion_protection: input.deletion_protection.unwrap_or(false),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        auto_minor_version_upgrade: input.auto_minor_version_upgrade.unwrap_or(true),
        storage_encrypted: input.storage_encrypted.unwrap_or(false),
        license_model: license,
        iam_auth: input.enable_iam_database_authentication.unwrap_or(false),
        manage_master_password: managed,
        tags,
        ..blank(ctx, &id, now)
    };
    let out = describe_one(me, &txn.inner, &rec);
    txn.inner.instances.insert(k.clone(), rec);
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(CreateDBInstanceResult {
        db_instance: Some(out),
    })
}

/// An instance as DescribeDBInstances shows it, with why no server backs
/// it when none does.
pub fn describe_one(me: &Rds, inner: &Inner, r: &InstanceRec) -> DBInstance {
    let group = inner
        .subnet_groups
        .get(&key(&r.account, &r.region, &r.subnet_group));
    let failure = match engine_for(&me.engines, r) {
        Err(why) => Some(why),
        Ok(_) => me
            .failures
            .lock()
            .get(&key(&r.account, &r.region, &r.id))
            .cloned(),
    };
    let replicas = inner
        .instances
        .values()
        .filter(|i| {
            i.account == r.account
                && i.region == r.region
                && i.replica_source.as_ref() == Some(&r.id)
        })
        .map(|i| i.id.clone())
        .collect();
    let mut out = render::instance(r, group, failure, replicas);
    if let Some(c) = &r.cluster {
        super::cluster_instances::as_member(&mut out, c, r);
    }
    // Every change is in the logs up to now.
    out.latest_restorable_time = (r.backup_retention > 0)
        .then(|| super::point_in_time::restorable_window(inner, r, me.clock.now_millis()))
        .flatten()
        .map(|(_, latest)| stratus_protocol::Timestamp(latest));
    out
}

pub fn describe_db_instances(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBInstancesMessage,
) -> Result<DBInstanceMessage, AwsError> {
    let f = filters(
        input.filters,
        &[
            "db-instance-id",
            "dbi-resource-id",
            "engine",
            "db-cluster-id",
            "domain",
        ],
    )?;
    let inner = me.state.read();
    let list: Vec<&InstanceRec> = match &input.db_instance_identifier {
        Some(id) => vec![instance(&inner, ctx, id)?],
        None => inner
            .instances
            .values()
            .filter(|i| i.account == ctx.account_id() && i.region == ctx.region)
            .collect(),
    };
    let out: Vec<DBInstance> = list
        .into_iter()
        .filter(|i| {
            let arn = names::arn(&i.region, &i.account, "db", &i.id);
            passes(&f, "db-instance-id", &[&i.id, &arn])
                && passes(&f, "dbi-resource-id", &[&i.resource_id])
                && passes(&f, "engine", &[&i.engine])
                && passes(&f, "db-cluster-id", &[i.cluster.as_deref().unwrap_or("")])
                && passes(&f, "domain", &[])
        })
        .map(|i| describe_one(me, &inner, i))
        .collect();
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(DBInstanceMessage {
        marker,
        db_instances: Some(items),
    })
}

pub fn modify_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyDBInstanceMessage,
) -> Result<ModifyDBInstanceResult, AwsError> {
    if input.new_db_instance_identifier.is_some() {
        return Err(invalid_combination(
            "Renaming a DB instance is not supported by Stratus yet.",
        ));
    }
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let k = my_key(ctx, &input.db_instance_identifier);
    let cur = instance(&txn.inner, ctx, &input.db_instance_identifier)?.clone();
    if cur.cluster.is_some() {
        super::cluster_instances::refuse_cluster_settings(&input)?;
    }
    if cur.status != "available" {
        return Err(not_available(&cur.id));
    }
    let mut r = cur.clone();
    let now_apply = input.apply_immediately.unwrap_or(false);
    let mut applying = false;
    if let Some(class) = &input.db_instance_class {
        check_class(&r.engine, &r.engine_version, class, &r.license_model)?;
        if *class != r.class {
            if now_apply {
                r.applying.class = Some(class.clone());
                r.pending.class = None;
                applying = true;
            } else {
                r.pending.class = Some(class.clone());
            }
        }
    }
    if let Some(size) = input.allocated_storage {
        let kind = input.storage_type.clone().unwrap_or(r.storage_type.clone());
        check_storage(&r.engine, &kind, size, input.iops.or(r.iops))?;
        if size < r.storage {
            return Err(invalid_value(format!(
                "Invalid storage size for engine name {} and storage type {kind}: {size}. The allocated storage can't be decreased.",
                r.engine
            )));
        }
        if size != r.storage {
            check_quotas(&txn, ctx, 0, i64::from(size - r.storage))?;
            if now_apply {
                r.applying.storage = Some(size);
                r.pending.storage = None;
                applying = true;
            } else {
                r.pending.storage = Some(size);
            }
        }
    }
    if let Some(m) = input.multi_az {
        if m != r.multi_az {
            if now_apply {
                r.applying.multi_az = Some(m);
                r.pending.multi_az = None;
                applying = true;
            } else {
                r.pending.multi_az = Some(m);
            }
        }
    }
    if let Some(days) = input.backup_retention_period {
        check_retention(days)?;
        // Turning backups on or off waits for the window unless applied
        // now; other changes take effect at once.
        let toggles = (days == 0) != (r.backup_retention == 0);
        if toggles && !now_apply {
            r.pending.backup_retention = Some(days);
        } else {
            r.backup_retention = days;
        }
    }
    if let Some(p) = &input.master_user_password {
        if r.manage_master_password && input.manage_master_user_password != Some(false) {
            return Err(invalid_combination(
                "Can't specify both ManageMasterUserPassword and MasterUserPassword.",
            ));
        }
        validate::master_password(&r.engine, p)?;
        r.pending_password = Some(p.clone());
        applying = true;
    }
    if let Some(m) = input.manage_master_user_password {
        r.manage_master_password = m;
    }
    if let Some(d) = input.deletion_protection {
        r.deletion_protection = d;
    }
    if let Some(c) = input.copy_tags_to_snapshot {
        r.copy_tags_to_snapshot = c;
    }
    if let Some(p) = input.publicly_accessible {
        r.publicly_accessible = p;
    }
    if let Some(a) = input.auto_minor_version_upgrade {
        r.auto_minor_version_upgrade = a;
    }
    if let Some(w) = &input.preferred_backup_window {
        validate::window("PreferredBackupWindow", w, false)?;
        r.backup_window = w.clone();
    }
    if let Some(w) = &input.preferred_maintenance_window {
        validate::window("PreferredMaintenanceWindow", w, true)?;
        r.maintenance_window = w.to_ascii_lowercase();
    }
    if let Some(name) = &input.option_group_name {
        r.option_group = Some(super::option_groups::check_for_instance(
            &txn.inner,
            ctx,
            name,
            &r.engine,
            &r.engine_version,
        )?);
    }
    if let Some(name) = &input.db_parameter_group_name {
        let family = catalogue::family(&r.engine, &r.engine_version);
        let group = check_param_group(&txn.inner, ctx, Some(name), &family)?;
        if group != r.parameter_group {
            // Its dynamic values now, the rest at the next reboot.
            r.parameter_group = group;
            r.params_applying = true;
            r.params_pending_reboot = true;
        }
    }
    if let Some(ids) = input.vpc_security_group_ids.filter(|v| !v.is_empty()) {
        let vpc = txn
            .inner
            .subnet_groups
            .get(&key(&r.account, &r.region, &r.subnet_group))
            .map(|g| g.vpc_id.clone())
            .unwrap_or_default();
        super::placement::check_security_groups(me, ctx, &vpc, &ids)?;
        r.security_groups = ids;
    }
    if !r.pending.is_empty() && r.pending_since_ms.is_none() {
        r.pending_since_ms = Some(now);
    }
    let mut restart = false;
    if let Some(port) = input.db_port_number {
        validate::port(port)?;
        // A new port applies at once and restarts the server on it.
        restart = port != r.port;
        r.port = port;
    }
    if restart {
        r.status = "rebooting".into();
        r.status_since_ms = now;
    } else if applying {
        r.status = "modifying".into();
        r.status_since_ms = now;
        let arn = names::arn(&r.region, &r.account, "db", &r.id);
        if r.applying.class.is_some() {
            txn.event(
                &r.account,
                &r.region,
                "db-instance",
                &r.id,
                &arn,
                "Applying modification to database instance class",
                &["configuration change"],
                now,
            )?;
        }
        if r.applying.storage.is_some() {
            txn.event(
                &r.account,
                &r.region,
                "db-instance",
                &r.id,
                &arn,
                "Applying modification to allocated storage",
                &["configuration change"],
                now,
            )?;
        }
    }
    let out = describe_one(me, &txn.inner, &r);
    txn.inner.instances.insert(k.clone(), r);
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(ModifyDBInstanceResult {
        db_instance: Some(out),
    })
}

pub fn delete_db_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteDBInstanceMessage,
) -> Result<DeleteDBInstanceResult, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let k = my_key(ctx, &input.db_instance_identifier);
    let cur = instance(&txn.inner, ctx, &input.db_instance_identifier)?.clone();
    if cur.deletion_protection {
        return Err(invalid_combination(
            "Cannot delete protected DB Instance, please disable deletion protection and try again.",
        ));
    }
    if cur.cluster.is_some() {
        return super::cluster_instances::delete_cluster_instance(me, txn, &cur, input, now);
    }
    let skip = input.skip_final_snapshot.unwrap_or(false);
    match (skip, &input.final_db_snapshot_identifier) {
        (false, None) => {
            return Err(invalid_combination(
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
            ));
        }
        (true, Some(_)) => {
            return Err(invalid_combination(
                "FinalDBSnapshotIdentifier can not be specified when deleting a DB instance with SkipFinalSnapshot enabled.",
            ));
        }
        _ => {}
    }
    if cur.status == "deleting" {
        return Err(invalid_state(format!(
            "Instance {} is already being deleted.",
            cur.id
        )));
    }
    if !skip && !matches!(cur.status.as_str(), "available" | "stopped" | "backing-up") {
        return Err(invalid_state(format!(
            "Instance {} is not in available state, so a final snapshot cannot be taken.",
            cur.id
        )));
    }
    if let Some(snap) = &input.final_db_snapshot_identifier {
        new_snapshot(&mut txn, &cur, snap, Vec::new(), "manual", now)?;
    }
    // Its read replicas become standalone instances, as on AWS.
    let replicas: Vec<String> = txn
        .inner
        .instances
        .iter()
        .filter(|(_, i)| {
            i.account == cur.account
                && i.region == cur.region
                && i.replica_source.as_ref() == Some(&cur.id)
        })
        .map(|(rk, _)| rk.clone())
        .collect();
    for rk in replicas {
        if let Some(rep) = txn.inner.instances.get_mut(&rk) {
            if rep.status == "available" {
                rep.status = "modifying".into();
                rep.status_since_ms = now;
                rep.promoting = true;
            } else {
                rep.replica_source = None;
            }
        }
        txn.put_instance(&rk)?;
    }
    let r = txn
        .inner
        .instances
        .get_mut(&k)
        .ok_or_else(|| instance_not_found(&cur.id))?;
    r.status = "deleting".into();
    r.status_since_ms = now;
    r.final_snapshot = input.final_db_snapshot_identifier;
    let r = r.clone();
    txn.put_instance(&k)?;
    let out = describe_one(me, &txn.inner, &r);
    txn.commit()?;
    Ok(DeleteDBInstanceResult {
        db_instance: Some(out),
    })
}

/// Whether the instance takes requests that need a running server.
pub fn require_available(r: &InstanceRec) -> Result<(), AwsError> {
    if r.status == "available" {
        Ok(())
    } else {
        Err(not_available(&r.id))
    }
}
