//! Aurora DB clusters: create with AWS's validation, describe, modify,
//! delete, and fail over to a reader. The cluster's instances are DB
//! instances naming it (see `cluster_members`); its endpoints are
//! forwarders the lifecycle keeps pointed at them.

use stratus_core::{AwsError, RequestContext};

use super::common::tags_with_specs;
use super::common::{filters, instance_not_found, my_key, page, passes, tags_out};
use super::placement::place;
use crate::Rds;
use crate::catalogue::{self, EngineInfo};
use crate::generated::*;
use crate::names;
use crate::state::{ClusterRec, Inner, InstanceRec, Txn, key};
use crate::validate::{self, invalid_combination, invalid_value};

/// AWS's default quota of DB clusters per account and region.
pub const CLUSTER_QUOTA: usize = 40;

pub fn cluster_not_found(id: &str) -> AwsError {
    AwsError::not_found(
        "DBClusterNotFoundFault",
        format!("DBCluster {id} not found."),
    )
}

pub fn invalid_cluster_state(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidDBClusterStateFault", message)
}

fn cluster_not_available(id: &str) -> AwsError {
    invalid_cluster_state(format!("DBCluster {id} is not in available state."))
}

pub fn cluster<'a>(
    inner: &'a Inner,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a ClusterRec, AwsError> {
    inner
        .clusters
        .get(&my_key(ctx, id))
        .ok_or_else(|| cluster_not_found(id))
}

/// The cluster's instances, writer first, then by identifier.
pub fn cluster_members<'a>(inner: &'a Inner, c: &ClusterRec) -> Vec<&'a InstanceRec> {
    let mut v: Vec<&InstanceRec> = inner
        .instances
        .values()
        .filter(|i| i.account == c.account && i.region == c.region)
        .filter(|i| i.cluster.as_deref() == Some(c.id.as_str()))
        .collect();
    v.sort_by_key(|i| (c.writer.as_deref() != Some(i.id.as_str()), i.id.clone()));
    v
}

pub fn aurora_engine(engine: &str) -> Result<&'static EngineInfo, AwsError> {
    catalogue::aurora(&engine.to_ascii_lowercase())
        .ok_or_else(|| invalid_value(format!("Invalid DB engine: {engine}")))
}

/// The Aurora version asked for (exact, or a major version), or the
/// newest of an installed major version.
fn pick_version(me: &Rds, info: &EngineInfo, asked: Option<&str>) -> Result<String, AwsError> {
    match asked {
        Some(v) => catalogue::resolve_version(info, v)
            .map(str::to_string)
            .ok_or_else(|| {
                invalid_combination(format!("Cannot find version {v} for {}", info.name))
            }),
        None => Ok(catalogue::default_version(info, |major| {
            me.engines
                .installed(catalogue::local_engine(info.name), major)
        })
        .to_string()),
    }
}

fn check_retention(days: i32) -> Result<(), AwsError> {
    if (1..=35).contains(&days) {
        Ok(())
    } else {
        Err(invalid_value(format!(
            "Invalid backup retention period: {days}. Valid values are 1 to 35."
        )))
    }
}

fn unsupported(what: &str) -> AwsError {
    AwsError::not_implemented("rds", what)
}

pub fn create_db_cluster(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBClusterMessage,
) -> Result<CreateDBClusterResult, AwsError> {
    let id = input.db_cluster_identifier.to_ascii_lowercase();
    validate::identifier("DBClusterIdentifier", &id)?;
    let info = aurora_engine(&input.engine)?;
    if input
        .engine_mode
        .as_deref()
        .is_some_and(|m| m != "provisioned")
    {
        return Err(unsupported(
            "CreateDBCluster with an EngineMode other than provisioned",
        ));
    }
    if input.global_cluster_identifier.is_some() {
        return Err(unsupported("CreateDBCluster in a global database"));
    }
    if input.replication_source_identifier.is_some() {
        return Err(unsupported(
            "CreateDBCluster with ReplicationSourceIdentifier",
        ));
    }
    if input.db_cluster_parameter_group_name.is_some() {
        return Err(unsupported(
            "CreateDBCluster with DBClusterParameterGroupName",
        ));
    }
    let engine = info.name;
    let local = catalogue::local_engine(engine);
    let version = pick_version(me, info, input.engine_version.as_deref())?;
    let master = validate::master_username(local, input.master_username.as_deref())?;
    let managed = input.manage_master_user_password.unwrap_or(false);
    let password =
        validate::new_master_password(local, input.master_user_password.as_ref(), managed)?;
    if let Some(db) = &input.database_name {
        validate::db_name(local, db)?;
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
    let now = ctx.clock.now_millis();

    let mut txn = me.state.begin();
    let k = key(ctx.account_id(), &ctx.region, &id);
    if txn.inner.clusters.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBClusterAlreadyExistsFault",
            "DB Cluster already exists",
        ));
    }
    let mine = txn
        .inner
        .clusters
        .values()
        .filter(|c| c.account == ctx.account_id() && c.region == ctx.region)
        .count();
    if mine >= CLUSTER_QUOTA {
        return Err(AwsError::new(
            403,
            "DBClusterQuotaExceededFault",
            format!("Cannot create more than {CLUSTER_QUOTA} DB clusters."),
        ));
    }
    let at = place(
        me,
        ctx,
        &mut txn,
        input.db_subnet_group_name.as_deref(),
        None,
        false,
        input.vpc_security_group_ids,
    )?;
    let mut zones: Vec<String> = txn
        .inner
        .subnet_groups
        .get(&key(ctx.account_id(), &ctx.region, &at.subnet_group))
        .map(|g| g.subnets.iter().map(|s| s.zone.clone()).collect())
        .unwrap_or_default();
    zones.sort();
    zones.dedup();
    if let Some(asked) = input.availability_zones.filter(|z| !z.is_empty()) {
        for z in &asked {
            if !zones.contains(z) {
                return Err(invalid_value(format!(
                    "DB subnet group '{}' doesn't cover the availability zone {z}.",
                    at.subnet_group
                )));
            }
        }
        zones = asked;
    }
    // AWS spreads a cluster's storage over three zones.
    zones.truncate(3);
    let rec = ClusterRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        id: id.clone(),
        resource_id: names::cluster_resource_id(),
        engine: engine.to_string(),
        engine_version: version,
        status: "creating".into(),
        status_since_ms: now,
        created_ms: now,
        master_username: master,
        master_password: password,
        manage_master_password: managed,
        admin_password: stratus_core::ids::alnum(24),
        db_name: input.database_name,
        port,
        subnet_group: at.subnet_group,
        security_groups: at.security_groups,
        zones,
        backup_retention: retention,
        backup_window: input
            .preferred_backup_window
            .unwrap_or_else(|| "03:00-03:30".into()),
        maintenance_window: input
            .preferred_maintenance_window
            .map(|w| w.to_ascii_lowercase())
            .unwrap_or_else(|| "sun:05:00-sun:05:30".into()),
        deletion_protection: input.deletion_protection.unwrap_or(false),
        storage_encrypted: input.storage_encrypted.unwrap_or(false),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        iam_auth: input.enable_iam_database_authentication.unwrap_or(false),
        writer: None,
        failing_over_to: None,
        tags,
    };
    let out = render(&txn.inner, &rec);
    txn.inner.clusters.insert(k.clone(), rec);
    txn.put_cluster(&k)?;
    txn.commit()?;
    Ok(CreateDBClusterResult {
        db_cluster: Some(out),
    })
}

/// A cluster as DescribeDBClusters shows it.
pub fn render(inner: &Inner, c: &ClusterRec) -> DBCluster {
    let members = cluster_members(inner, c);
    let mut member_zones: Vec<&str> = members.iter().map(|m| m.zone.as_str()).collect();
    member_zones.sort();
    member_zones.dedup();
    let family = catalogue::family(&c.engine, &c.engine_version);
    DBCluster {
        allocated_storage: Some(1),
        availability_zones: Some(c.zones.clone()),
        backup_retention_period: Some(c.backup_retention),
        database_name: c.db_name.clone(),
        db_cluster_identifier: Some(c.id.clone()),
        db_cluster_parameter_group: Some(format!("default.{family}")),
        db_subnet_group: Some(c.subnet_group.clone()),
        status: Some(c.status.clone()),
        endpoint: Some(names::cluster_endpoint(&c.id, &c.account, &c.region, false)),
        reader_endpoint: Some(names::cluster_endpoint(&c.id, &c.account, &c.region, true)),
        custom_endpoints: Some(Vec::new()),
        multi_az: Some(member_zones.len() > 1),
        engine: Some(c.engine.clone()),
        engine_version: Some(c.engine_version.clone()),
        port: Some(c.port),
        master_username: Some(c.master_username.clone()),
        master_user_secret: c
            .manage_master_password
            .then(|| super::render::master_user_secret(&c.region, &c.account, &c.resource_id)),
        db_cluster_option_group_memberships: Some(Vec::new()),
        preferred_backup_window: Some(c.backup_window.clone()),
        preferred_maintenance_window: Some(c.maintenance_window.clone()),
        read_replica_identifiers: Some(Vec::new()),
        db_cluster_members: Some(
            members
                .iter()
                .map(|m| DBClusterMember {
                    db_instance_identifier: Some(m.id.clone()),
                    is_cluster_writer: Some(c.writer.as_deref() == Some(m.id.as_str())),
                    db_cluster_parameter_group_status: Some("in-sync".into()),
                    promotion_tier: Some(m.promotion_tier),
                })
                .collect(),
        ),
        vpc_security_groups: Some(
            c.security_groups
                .iter()
                .map(|g| VpcSecurityGroupMembership {
                    vpc_security_group_id: Some(g.clone()),
                    status: Some("active".into()),
                })
                .collect(),
        ),
        hosted_zone_id: Some("Z2R2ITUGPM61AM".into()),
        storage_encrypted: Some(c.storage_encrypted),
        kms_key_id: c
            .storage_encrypted
            .then(|| format!("arn:aws:kms:{}:{}:key/aws/rds", c.region, c.account)),
        db_cluster_resource_id: Some(c.resource_id.clone()),
        db_cluster_arn: Some(names::arn(&c.region, &c.account, "cluster", &c.id)),
        associated_roles: Some(Vec::new()),
        iam_database_authentication_enabled: Some(c.iam_auth),
        cluster_create_time: Some(stratus_protocol::Timestamp(c.created_ms)),
        engine_mode: Some("provisioned".into()),
        deletion_protection: Some(c.deletion_protection),
        http_endpoint_enabled: Some(false),
        copy_tags_to_snapshot: Some(c.copy_tags_to_snapshot),
        cross_account_clone: Some(false),
        domain_memberships: Some(Vec::new()),
        tag_list: Some(tags_out(&c.tags)),
        storage_type: Some("aurora".into()),
        network_type: Some("IPV4".into()),
        auto_minor_version_upgrade: Some(true),
        ..Default::default()
    }
}

pub fn describe_db_clusters(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBClustersMessage,
) -> Result<DBClusterMessage, AwsError> {
    let f = filters(
        input.filters,
        &[
            "db-cluster-id",
            "db-cluster-resource-id",
            "engine",
            "clone-group-id",
            "domain",
        ],
    )?;
    let inner = me.state.read();
    let list: Vec<&ClusterRec> = match &input.db_cluster_identifier {
        Some(id) => vec![cluster(&inner, ctx, id)?],
        None => inner
            .clusters
            .values()
            .filter(|c| c.account == ctx.account_id() && c.region == ctx.region)
            .collect(),
    };
    let out: Vec<DBCluster> = list
        .into_iter()
        .filter(|c| {
            let arn = names::arn(&c.region, &c.account, "cluster", &c.id);
            passes(&f, "db-cluster-id", &[&c.id, &arn])
                && passes(&f, "db-cluster-resource-id", &[&c.resource_id])
                && passes(&f, "engine", &[&c.engine])
                && passes(&f, "clone-group-id", &[])
                && passes(&f, "domain", &[])
        })
        .map(|c| render(&inner, c))
        .collect();
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(DBClusterMessage {
        marker,
        db_clusters: Some(items),
    })
}

pub fn modify_db_cluster(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyDBClusterMessage,
) -> Result<ModifyDBClusterResult, AwsError> {
    if input.new_db_cluster_identifier.is_some() {
        return Err(unsupported("ModifyDBCluster with NewDBClusterIdentifier"));
    }
    if input.db_cluster_parameter_group_name.is_some() {
        return Err(unsupported(
            "ModifyDBCluster with DBClusterParameterGroupName",
        ));
    }
    if input.engine_version.is_some() || input.port.is_some() {
        return Err(unsupported("ModifyDBCluster with EngineVersion or Port"));
    }
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let k = my_key(ctx, &input.db_cluster_identifier);
    let mut c = cluster(&txn.inner, ctx, &input.db_cluster_identifier)?.clone();
    if c.status != "available" {
        return Err(cluster_not_available(&c.id));
    }
    let local = catalogue::local_engine(&c.engine).to_string();
    if let Some(days) = input.backup_retention_period {
        check_retention(days)?;
    }
    if let Some(p) = &input.master_user_password {
        if input.manage_master_user_password == Some(true) {
            return Err(invalid_combination(
                "Can't specify both ManageMasterUserPassword and MasterUserPassword.",
            ));
        }
        validate::master_password(&local, p)?;
    }
    if let Some(w) = &input.preferred_backup_window {
        validate::window("PreferredBackupWindow", w, false)?;
    }
    if let Some(w) = &input.preferred_maintenance_window {
        validate::window("PreferredMaintenanceWindow", w, true)?;
    }
    if let Some(ids) = input.vpc_security_group_ids.filter(|v| !v.is_empty()) {
        let vpc = txn
            .inner
            .subnet_groups
            .get(&key(&c.account, &c.region, &c.subnet_group))
            .map(|g| g.vpc_id.clone())
            .unwrap_or_default();
        super::placement::check_security_groups(me, ctx, &vpc, &ids)?;
        c.security_groups = ids;
    }
    // Aurora applies these at once whatever ApplyImmediately says.
    if let Some(days) = input.backup_retention_period {
        c.backup_retention = days;
    }
    if let Some(d) = input.deletion_protection {
        c.deletion_protection = d;
    }
    if let Some(v) = input.copy_tags_to_snapshot {
        c.copy_tags_to_snapshot = v;
    }
    if let Some(v) = input.enable_iam_database_authentication {
        c.iam_auth = v;
    }
    if let Some(w) = input.preferred_backup_window {
        c.backup_window = w;
    }
    if let Some(w) = input.preferred_maintenance_window {
        c.maintenance_window = w.to_ascii_lowercase();
    }
    let member_keys: Vec<String> = cluster_members(&txn.inner, &c)
        .iter()
        .map(|m| key(&m.account, &m.region, &m.id))
        .collect();
    for mk in &member_keys {
        if let Some(m) = txn.inner.instances.get_mut(mk) {
            m.backup_retention = c.backup_retention;
            m.security_groups = c.security_groups.clone();
            m.backup_window = c.backup_window.clone();
            m.maintenance_window = c.maintenance_window.clone();
        }
        txn.put_instance(mk)?;
    }
    if let Some(p) = input.master_user_password {
        c.master_password = Some(p.clone());
        // The writer's server takes it; readers get it by replication.
        if let Some(w) = c.writer.as_deref() {
            let wk = key(&c.account, &c.region, w);
            if let Some(m) = txn.inner.instances.get_mut(&wk) {
                m.pending_password = Some(p);
            }
            txn.put_instance(&wk)?;
        }
        c.status = "resetting-master-credentials".into();
        c.status_since_ms = now;
        txn.cluster_event(
            &c,
            "Reset master credentials",
            &["configuration change"],
            now,
        )?;
    }
    let out = render(&txn.inner, &c);
    txn.inner.clusters.insert(k.clone(), c);
    txn.put_cluster(&k)?;
    txn.commit()?;
    Ok(ModifyDBClusterResult {
        db_cluster: Some(out),
    })
}

pub fn delete_db_cluster(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteDBClusterMessage,
) -> Result<DeleteDBClusterResult, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let k = my_key(ctx, &input.db_cluster_identifier);
    let c = cluster(&txn.inner, ctx, &input.db_cluster_identifier)?.clone();
    if c.deletion_protection {
        return Err(invalid_combination(
            "Cannot delete protected Cluster, please disable deletion protection and try again.",
        ));
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
                "FinalDBSnapshotIdentifier can not be specified when deleting a DB cluster with SkipFinalSnapshot enabled.",
            ));
        }
        (false, Some(snap)) => validate::identifier("FinalDBSnapshotIdentifier", snap)?,
        (true, None) => {}
    }
    if c.status == "deleting" {
        return Err(invalid_cluster_state(format!(
            "DBCluster {} is already being deleted.",
            c.id
        )));
    }
    if cluster_members(&txn.inner, &c)
        .iter()
        .any(|m| m.status != "deleting")
    {
        return Err(invalid_cluster_state(
            "Cluster cannot be deleted, it still contains DB instances in non-deleting state.",
        ));
    }
    if input.final_db_snapshot_identifier.is_some() {
        return Err(unsupported(
            "DeleteDBCluster with a final DB cluster snapshot",
        ));
    }
    let r = txn.inner.clusters.get_mut(&k).expect("present");
    r.status = "deleting".into();
    r.status_since_ms = now;
    let r = r.clone();
    txn.put_cluster(&k)?;
    let out = render(&txn.inner, &r);
    txn.commit()?;
    Ok(DeleteDBClusterResult {
        db_cluster: Some(out),
    })
}

/// The reader a failover promotes: the lowest promotion tier, then the
/// identifier (AWS picks among equals by size, which is alike here).
pub fn failover_target<'a>(inner: &'a Inner, c: &ClusterRec) -> Option<&'a InstanceRec> {
    cluster_members(inner, c)
        .into_iter()
        .filter(|m| c.writer.as_deref() != Some(m.id.as_str()))
        .filter(|m| m.status == "available")
        .min_by_key(|m| (m.promotion_tier, m.id.clone()))
}

/// How a failover stands, from its target.
#[derive(Debug, PartialEq)]
pub enum FailoverState {
    Underway,
    Done,
    /// The target could not be promoted: the failover ends there.
    Failed,
}

pub fn failover_state(inner: &Inner, c: &ClusterRec) -> FailoverState {
    let target = c.failing_over_to.as_deref().unwrap_or_default();
    match cluster_members(inner, c)
        .into_iter()
        .find(|m| m.id == target)
    {
        None => FailoverState::Done,
        Some(m) if m.status == "failed" => FailoverState::Failed,
        Some(m) if m.status == "available" && m.replica_source.is_none() => FailoverState::Done,
        Some(_) => FailoverState::Underway,
    }
}

/// The writer a cluster member copies (or waits for), when that failed:
/// the member cannot start either.
pub fn failed_writer(inner: &Inner, rec: &InstanceRec) -> Option<String> {
    let (Some(_), Some(src), false) = (&rec.cluster, &rec.replica_source, rec.promoting) else {
        return None;
    };
    inner
        .instances
        .get(&key(&rec.account, &rec.region, src))
        .filter(|w| w.status == "failed")
        .map(|w| w.id.clone())
}

/// Makes `target` the writer: it is promoted, and every other member
/// (the old writer too, unless `drop_old` is set because it is being
/// deleted) is rebuilt as a reader of it. A cluster whose only instance
/// is the writer restarts it instead. The cluster's endpoints drop their
/// connections at once, as AWS's do, and the old servers stop before the
/// target is promoted (see the lifecycle), so no write reaches an old
/// writer that is about to be rebuilt.
pub fn start_failover(
    txn: &mut Txn<'_>,
    endpoints: &crate::forwarder::Endpoints,
    ck: &str,
    target: &str,
    drop_old: bool,
    now: i64,
) -> Result<(), AwsError> {
    let c = txn.inner.clusters.get(ck).expect("present").clone();
    let members: Vec<(String, String, String)> = cluster_members(&txn.inner, &c)
        .iter()
        .map(|m| {
            (
                key(&m.account, &m.region, &m.id),
                m.id.clone(),
                m.zone.clone(),
            )
        })
        .collect();
    let old_zone = c
        .writer
        .as_deref()
        .and_then(|w| members.iter().find(|m| m.1 == w))
        .map(|m| m.2.clone());
    let new_zone = members.iter().find(|m| m.1 == target).map(|m| m.2.clone());
    let restart_only = c.writer.as_deref() == Some(target);
    for (mk, id, _) in &members {
        let Some(m) = txn.inner.instances.get_mut(mk) else {
            continue;
        };
        if m.status == "deleting" || (drop_old && c.writer.as_deref() == Some(id.as_str())) {
            continue;
        }
        m.status = "rebooting".into();
        m.status_since_ms = now;
        if id == target {
            if !restart_only {
                m.promoting = true;
            }
        } else {
            m.replica_source = Some(target.to_string());
            m.rejoin = 1;
        }
        txn.put_instance(mk)?;
    }
    let same_zone = old_zone.is_some() && old_zone == new_zone;
    let r = txn.inner.clusters.get_mut(ck).expect("present");
    r.writer = Some(target.to_string());
    r.failing_over_to = Some(target.to_string());
    r.status = "failing-over".into();
    r.status_since_ms = now;
    txn.put_cluster(ck)?;
    endpoints.route(ck, None, Vec::new());
    txn.cluster_event(
        &c,
        &format!(
            "Started {} failover to DB instance: {target}",
            if same_zone { "same AZ" } else { "cross AZ" }
        ),
        &["failover"],
        now,
    )
}

pub fn failover_db_cluster(
    me: &Rds,
    ctx: &RequestContext,
    input: FailoverDBClusterMessage,
) -> Result<FailoverDBClusterResult, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let ck = my_key(ctx, &input.db_cluster_identifier);
    let c = cluster(&txn.inner, ctx, &input.db_cluster_identifier)?.clone();
    if c.status != "available" {
        return Err(cluster_not_available(&c.id));
    }
    let Some(writer) = c.writer.clone() else {
        return Err(invalid_cluster_state(format!(
            "DBCluster {} has no DB instances to fail over to.",
            c.id
        )));
    };
    let target = match &input.target_db_instance_identifier {
        Some(t) => {
            let t = super::common::bare_id(t).to_ascii_lowercase();
            let m = txn
                .inner
                .instances
                .get(&key(&c.account, &c.region, &t))
                .ok_or_else(|| instance_not_found(&t))?;
            if m.cluster.as_deref() != Some(c.id.as_str()) {
                return Err(invalid_value(format!(
                    "The DB instance {t} is not a member of DB cluster {}.",
                    c.id
                )));
            }
            if m.status != "available" {
                return Err(super::common::not_available(&t));
            }
            t
        }
        None => failover_target(&txn.inner, &c)
            .map(|m| m.id.clone())
            .unwrap_or(writer.clone()),
    };
    let wk = key(&c.account, &c.region, &writer);
    if txn
        .inner
        .instances
        .get(&wk)
        .is_some_and(|w| w.status != "available")
    {
        return Err(super::common::not_available(&writer));
    }
    start_failover(&mut txn, &me.endpoints, &ck, &target, false, now)?;
    let r = txn.inner.clusters.get(&ck).expect("present").clone();
    let out = render(&txn.inner, &r);
    txn.commit()?;
    Ok(FailoverDBClusterResult {
        db_cluster: Some(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, tier: i32, status: &str) -> InstanceRec {
        InstanceRec {
            account: "1".into(),
            region: "r".into(),
            id: id.into(),
            cluster: Some("c".into()),
            promotion_tier: tier,
            status: status.into(),
            ..InstanceRec::default()
        }
    }

    #[test]
    fn failover_picks_the_lowest_tier_among_available_readers() {
        let mut inner = Inner::default();
        for m in [
            member("w", 0, "available"),
            member("b", 1, "available"),
            member("a", 1, "available"),
            member("z", 0, "creating"),
            member("y", 2, "available"),
        ] {
            inner.instances.insert(key("1", "r", &m.id), m);
        }
        let c = ClusterRec {
            account: "1".into(),
            region: "r".into(),
            id: "c".into(),
            writer: Some("w".into()),
            ..ClusterRec::default()
        };
        assert_eq!(failover_target(&inner, &c).unwrap().id, "a");
        let ids: Vec<&str> = cluster_members(&inner, &c)
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, vec!["w", "a", "b", "y", "z"]);
    }

    #[test]
    fn a_failover_whose_target_failed_ends_and_its_followers_fail() {
        let mut inner = Inner::default();
        let mut old = member("w", 0, "rebooting");
        old.replica_source = Some("t".into());
        old.rejoin = 1;
        let mut target = member("t", 0, "rebooting");
        target.replica_source = Some("w".into());
        target.promoting = true;
        for m in [old, target] {
            inner.instances.insert(key("1", "r", &m.id), m);
        }
        let c = ClusterRec {
            account: "1".into(),
            region: "r".into(),
            id: "c".into(),
            writer: Some("t".into()),
            failing_over_to: Some("t".into()),
            status: "failing-over".into(),
            ..ClusterRec::default()
        };
        let w = inner.instances.get(&key("1", "r", "w")).unwrap().clone();
        let t = inner.instances.get(&key("1", "r", "t")).unwrap().clone();
        assert_eq!(failover_state(&inner, &c), FailoverState::Underway);
        assert_eq!(failed_writer(&inner, &w), None);
        inner.instances.get_mut(&key("1", "r", "t")).unwrap().status = "failed".into();
        assert_eq!(failover_state(&inner, &c), FailoverState::Failed);
        assert_eq!(failed_writer(&inner, &w).as_deref(), Some("t"));
        // The target itself waits on nobody.
        assert_eq!(failed_writer(&inner, &t), None);
        let p = inner.instances.get_mut(&key("1", "r", "t")).unwrap();
        p.status = "available".into();
        p.replica_source = None;
        assert_eq!(failover_state(&inner, &c), FailoverState::Done);
    }

    #[test]
    fn aurora_backups_are_kept_one_to_35_days() {
        assert!(check_retention(0).is_err());
        assert!(check_retention(1).is_ok());
        assert!(check_retention(35).is_ok());
        assert!(check_retention(36).is_err());
    }
}
