//! DB instances in an Aurora cluster: the first is the writer, a server of
//! its own with the cluster's master user and database; later ones are
//! readers, read replicas of the writer. They take the cluster's engine,
//! credentials, network and backups, so CreateDBInstance refuses those.

use stratus_core::{AwsError, RequestContext};

use super::clusters::{cluster, cluster_members, failover_target, start_failover};
use super::common::invalid_state;
use super::common::tags_with_specs;
use super::instances::{blank, check_class, check_param_group, describe_one};
use super::placement::{check_quotas, place};
use crate::Rds;
use crate::catalogue;
use crate::generated::*;
use crate::lifecycle::engine_for;
use crate::state::{InstanceRec, Txn, key};
use crate::validate::{invalid_combination, invalid_value};

/// What AWS answers when an instance is given what its cluster decides.
pub(super) fn set_on_cluster(what: &str) -> AwsError {
    invalid_combination(format!(
        "The requested DB Instance will be a member of a DB Cluster. Set {what} for the DB Cluster."
    ))
}

/// ModifyDBInstance on a cluster's member: what the cluster decides is
/// refused, as AWS refuses it (ModifyDBCluster changes it).
pub(super) fn refuse_cluster_settings(input: &ModifyDBInstanceMessage) -> Result<(), AwsError> {
    let refused = [
        (input.multi_az.is_some(), "Multi-AZ"),
        (input.master_user_password.is_some(), "master user password"),
        (input.allocated_storage.is_some(), "allocated storage"),
        (
            input.backup_retention_period.is_some(),
            "backup retention period",
        ),
        (
            input
                .vpc_security_group_ids
                .as_ref()
                .is_some_and(|v| !v.is_empty()),
            "VPC Security Group",
        ),
        (input.db_port_number.is_some(), "port"),
    ];
    match refused.iter().find(|(given, _)| *given) {
        Some((_, what)) => Err(set_on_cluster(what)),
        None => Ok(()),
    }
}

pub fn create_cluster_instance(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBInstanceMessage,
) -> Result<CreateDBInstanceResult, AwsError> {
    let id = input.db_instance_identifier.to_ascii_lowercase();
    let cluster_id = input
        .db_cluster_identifier
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if input.allocated_storage.is_some() {
        return Err(invalid_combination(
            "The requested DB Instance will be a member of a DB Cluster. You don't need to set storage size.",
        ));
    }
    if input.master_username.is_some() {
        return Err(set_on_cluster("master user name"));
    }
    if input.master_user_password.is_some() {
        return Err(set_on_cluster("master user password"));
    }
    if input.db_name.is_some() {
        return Err(set_on_cluster("database name"));
    }
    if input.backup_retention_period.is_some() {
        return Err(set_on_cluster("backup retention period"));
    }
    if input
        .vpc_security_group_ids
        .as_ref()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(set_on_cluster("VPC Security Group"));
    }
    if input.storage_encrypted.is_some() {
        return Err(set_on_cluster("storage encryption"));
    }
    if input.multi_az == Some(true) {
        return Err(invalid_combination(
            "The requested DB Instance will be a member of a DB Cluster. Multi-AZ is set by adding readers in other Availability Zones.",
        ));
    }
    let tier = input.promotion_tier.unwrap_or(1);
    if !(0..=15).contains(&tier) {
        return Err(invalid_value(format!(
            "Invalid promotion tier: {tier}. Valid values are 0 to 15."
        )));
    }
    let tags = tags_with_specs(input.tags, input.tag_specifications)?;
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let c = cluster(&txn.inner, ctx, &cluster_id)?.clone();
    let engine = input.engine.to_ascii_lowercase();
    if engine != c.engine {
        return Err(invalid_combination(format!(
            "The engine name requested for your DB instance ({engine}) doesn't match the engine name of your DB cluster ({}).",
            c.engine
        )));
    }
    if let Some(v) = &input.engine_version {
        if *v != c.engine_version {
            return Err(invalid_combination(format!(
                "The engine version you requested for your DB instance ({v}) does not match the engine version of your DB cluster ({}).",
                c.engine_version
            )));
        }
    }
    if let Some(g) = &input.db_subnet_group_name {
        if !g.eq_ignore_ascii_case(&c.subnet_group) {
            return Err(invalid_combination(format!(
                "The DB subnet group of the DB instance ({g}) must be the DB cluster's ({}).",
                c.subnet_group
            )));
        }
    }
    if c.status == "deleting" {
        return Err(super::clusters::invalid_cluster_state(format!(
            "DBCluster {} is being deleted.",
            c.id
        )));
    }
    let info = catalogue::aurora(&c.engine).expect("an Aurora engine");
    check_class(
        &c.engine,
        &c.engine_version,
        &input.db_instance_class,
        info.license,
    )?;
    let k = key(ctx.account_id(), &ctx.region, &id);
    if txn.inner.instances.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBInstanceAlreadyExists",
            "DB instance already exists",
        ));
    }
    let family = catalogue::family(&c.engine, &c.engine_version);
    let parameter_group = check_param_group(
        &txn.inner,
        ctx,
        input.db_parameter_group_name.as_deref(),
        &family,
    )?;
    let at = place(
        me,
        ctx,
        &mut txn,
        Some(&c.subnet_group),
        input.availability_zone.as_deref(),
        false,
        Some(c.security_groups.clone()),
    )?;
    check_quotas(&txn, ctx, 1, 0)?;
    let writer = c.writer.clone().filter(|w| {
        txn.inner
            .instances
            .contains_key(&key(&c.account, &c.region, w))
    });
    let mut rec = InstanceRec {
        engine: c.engine.clone(),
        engine_version: c.engine_version.clone(),
        class: input.db_instance_class,
        master_username: c.master_username.clone(),
        // Only a writer starts from nothing; readers copy their writer.
        pending_password: writer
            .is_none()
            .then(|| c.master_password.clone())
            .flatten(),
        admin_password: c.admin_password.clone(),
        db_name: c.db_name.clone(),
        storage: 1,
        storage_type: "aurora".into(),
        zone: at.zone,
        publicly_accessible: input.publicly_accessible.unwrap_or(false),
        security_groups: c.security_groups.clone(),
        subnet_group: c.subnet_group.clone(),
        parameter_group,
        backup_retention: c.backup_retention,
        backup_window: c.backup_window.clone(),
        maintenance_window: c.maintenance_window.clone(),
        auto_minor_version_upgrade: input.auto_minor_version_upgrade.unwrap_or(true),
        storage_encrypted: c.storage_encrypted,
        license_model: info.license.to_string(),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        cluster: Some(c.id.clone()),
        promotion_tier: tier,
        replica_source: writer.clone(),
        tags,
        ..blank(ctx, &id, now)
    };
    // The server takes a free port of its own; the cluster's port is the
    // endpoint's. Without a server the instance shows the cluster's.
    rec.port = if engine_for(&me.engines, &rec).is_ok() {
        0
    } else {
        c.port
    };
    let out = describe_one(me, &txn.inner, &rec);
    txn.inner.instances.insert(k.clone(), rec);
    txn.put_instance(&k)?;
    if writer.is_none() {
        let ck = key(&c.account, &c.region, &c.id);
        if let Some(cr) = txn.inner.clusters.get_mut(&ck) {
            cr.writer = Some(id.clone());
        }
        txn.put_cluster(&ck)?;
    }
    txn.commit()?;
    Ok(CreateDBInstanceResult {
        db_instance: Some(out),
    })
}

/// A member as DescribeDBInstances shows it: its cluster, Aurora storage,
/// and no read replica links (those are how readers follow the writer
/// here, not what AWS shows).
pub fn as_member(out: &mut DBInstance, cluster: &str, r: &InstanceRec) {
    out.db_cluster_identifier = Some(cluster.to_string());
    out.read_replica_source_db_instance_identifier = None;
    out.read_replica_db_instance_identifiers = Some(Vec::new());
    if let Some(infos) = out.status_infos.as_mut() {
        infos.retain(|i| i.status_type.as_deref() != Some("read replication"));
        if infos.is_empty() {
            out.status_infos = None;
        }
    }
    out.storage_type = Some("aurora".into());
    out.allocated_storage = Some(1);
    out.promotion_tier = Some(r.promotion_tier);
    out.multi_az = Some(false);
    out.latest_restorable_time = None;
}

pub fn delete_cluster_instance(
    me: &Rds,
    mut txn: Txn<'_>,
    cur: &InstanceRec,
    input: DeleteDBInstanceMessage,
    now: i64,
) -> Result<DeleteDBInstanceResult, AwsError> {
    if input.final_db_snapshot_identifier.is_some() {
        return Err(invalid_combination(
            "FinalDBSnapshotIdentifier can not be specified when deleting a cluster instance.",
        ));
    }
    if cur.status == "deleting" {
        return Err(invalid_state(format!(
            "Instance {} is already being deleted.",
            cur.id
        )));
    }
    let cluster_id = cur.cluster.clone().unwrap_or_default();
    let ck = key(&cur.account, &cur.region, &cluster_id);
    if let Some(c) = txn.inner.clusters.get(&ck).cloned() {
        if c.writer.as_deref() == Some(cur.id.as_str()) {
            // Deleting the writer fails over to a reader, as on AWS.
            match failover_target(&txn.inner, &c).map(|m| m.id.clone()) {
                Some(target) => start_failover(&mut txn, &me.endpoints, &ck, &target, true, now)?,
                None => {
                    let others = cluster_members(&txn.inner, &c)
                        .iter()
                        .any(|m| m.id != cur.id && m.status != "deleting");
                    if others {
                        return Err(invalid_state(format!(
                            "Instance {} is the writer of DB cluster {} and no reader is available to take over.",
                            cur.id, c.id
                        )));
                    }
                    if let Some(cr) = txn.inner.clusters.get_mut(&ck) {
                        cr.writer = None;
                    }
                    txn.put_cluster(&ck)?;
                }
            }
        }
    }
    let k = key(&cur.account, &cur.region, &cur.id);
    let r = txn.inner.instances.get_mut(&k).expect("present");
    r.status = "deleting".into();
    r.status_since_ms = now;
    let r = r.clone();
    txn.put_instance(&k)?;
    let out = describe_one(me, &txn.inner, &r);
    txn.commit()?;
    Ok(DeleteDBInstanceResult {
        db_instance: Some(out),
    })
}
