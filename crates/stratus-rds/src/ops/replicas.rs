//! Read replicas: a new instance whose server copies its source's data and
//! follows it (PostgreSQL streaming replication, MariaDB binlog
//! replication), read-only until promoted.

use stratus_core::{AwsError, RequestContext};

use super::common::{instance, invalid_state, my_key, not_available, tags_in};
use super::instances::{blank, check_class, check_param_group, describe_one};
use super::placement::{check_quotas, place};
use crate::Rds;
use crate::catalogue;
use crate::generated::*;
use crate::state::{InstanceRec, key};
use crate::validate::{self, invalid_combination, invalid_value};

pub fn create_db_instance_read_replica(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBInstanceReadReplicaMessage,
) -> Result<CreateDBInstanceReadReplicaResult, AwsError> {
    let id = input.db_instance_identifier.to_ascii_lowercase();
    validate::identifier("DBInstanceIdentifier", &id)?;
    let source_id = input.source_db_instance_identifier.clone().ok_or_else(|| {
        invalid_value(
            "The parameter SourceDBInstanceIdentifier must be provided and must not be blank.",
        )
    })?;
    let tags = tags_in(input.tags)?;
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let src = instance(&txn.inner, ctx, &source_id)?.clone();
    if src.cluster.is_some() {
        return Err(invalid_combination(format!(
            "DB instance {} is a member of a DB cluster: add readers to the cluster with CreateDBInstance and DBClusterIdentifier.",
            src.id
        )));
    }
    if src.status != "available" {
        return Err(not_available(&src.id));
    }
    let depth = chain_depth(&txn.inner, &src);
    if depth > 0 && !cascades(&src.engine, &src.engine_version) {
        return Err(invalid_state(format!(
            "Cannot create a read replica from read replica {}: cascading read replicas need PostgreSQL 14.1 or later.",
            src.id
        )));
    }
    if depth >= MAX_CHAIN {
        return Err(invalid_state(format!(
            "Cannot create a read replica from {}: a chain of read replicas holds at most {MAX_CHAIN} replicas after its source DB instance.",
            src.id
        )));
    }
    // A MySQL or MariaDB replica keeps the binary log its own replicas
    // follow only with backups on; PostgreSQL replicas stream without.
    let needs_backups = depth == 0 || src.engine != "postgres";
    if needs_backups && src.backup_retention == 0 {
        return Err(invalid_state(
            "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.",
        ));
    }
    let k = key(ctx.account_id(), &ctx.region, &id);
    if txn.inner.instances.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBInstanceAlreadyExists",
            "DB instance already exists",
        ));
    }
    let class = input.db_instance_class.clone().unwrap_or(src.class.clone());
    check_class(&src.engine, &src.engine_version, &class, &src.license_model)?;
    let family = catalogue::family(&src.engine, &src.engine_version);
    let parameter_group = check_param_group(
        &txn.inner,
        ctx,
        input.db_parameter_group_name.as_deref(),
        &family,
    )?;
    let multi_az = input.multi_az.unwrap_or(false);
    let group = input
        .db_subnet_group_name
        .clone()
        .unwrap_or(src.subnet_group.clone());
    let at = place(
        me,
        ctx,
        &mut txn,
        Some(&group),
        input.availability_zone.as_deref(),
        multi_az,
        input
            .vpc_security_group_ids
            .or(Some(src.security_groups.clone())),
    )?;
    check_quotas(&txn, ctx, 1, i64::from(src.storage))?;
    let rec = InstanceRec {
        engine: src.engine.clone(),
        engine_version: src.engine_version.clone(),
        class,
        master_username: src.master_username.clone(),
        // The replica logs in to its source with the source's admin login.
        admin_password: src.admin_password.clone(),
        db_name: src.db_name.clone(),
        port: input.port.unwrap_or(src.port),
        storage: src.storage,
        storage_type: input.storage_type.unwrap_or(src.storage_type.clone()),
        iops: input.iops.or(src.iops),
        multi_az,
        zone: at.zone,
        secondary_zone: at.secondary_zone,
        publicly_accessible: input.publicly_accessible.unwrap_or(src.publicly_accessible),
        security_groups: at.security_groups,
        subnet_group: at.subnet_group,
        parameter_group,
        backup_retention: 0,
        deletion_protection: input.deletion_protection.unwrap_or(false),
        copy_tags_to_snapshot: input.copy_tags_to_snapshot.unwrap_or(false),
        license_model: src.license_model.clone(),
        replica_source: Some(src.id.clone()),
        tags,
        ..blank(ctx, &id, now)
    };
    let out = describe_one(me, &txn.inner, &rec);
    txn.inner.instances.insert(k.clone(), rec);
    txn.put_instance(&k)?;
    txn.commit()?;
    Ok(CreateDBInstanceReadReplicaResult {
        db_instance: Some(out),
    })
}

/// How many read replicas follow one another after the chain's source.
const MAX_CHAIN: usize = 3;

/// How many replicas stand between `rec` and the source DB instance at the
/// head of its chain (0 for an instance that is no replica).
fn chain_depth(inner: &crate::state::Inner, rec: &InstanceRec) -> usize {
    let mut depth = 0;
    let mut cur = rec.replica_source.clone();
    while let Some(id) = cur {
        depth += 1;
        // A broken chain (or a cycle, which cannot happen) ends the walk.
        if depth > MAX_CHAIN + 1 {
            break;
        }
        cur = inner
            .instances
            .get(&key(&rec.account, &rec.region, &id))
            .and_then(|i| i.replica_source.clone());
    }
    depth
}

/// Whether a read replica of this engine and version may be the source
/// of another: always for MySQL and MariaDB, from 14.1 for PostgreSQL.
fn cascades(engine: &str, version: &str) -> bool {
    if engine != "postgres" {
        return true;
    }
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (14, 1)
}

pub fn promote_read_replica(
    me: &Rds,
    ctx: &RequestContext,
    input: PromoteReadReplicaMessage,
) -> Result<PromoteReadReplicaResult, AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let cur = instance(&txn.inner, ctx, &input.db_instance_identifier)?.clone();
    if cur.replica_source.is_none() || cur.cluster.is_some() {
        return Err(invalid_state("DB Instance is not a read replica."));
    }
    if cur.status != "available" {
        return Err(not_available(&cur.id));
    }
    if let Some(days) = input.backup_retention_period {
        if !(0..=35).contains(&days) {
            return Err(invalid_value(format!(
                "Invalid backup retention period: {days}. Valid values are 0 to 35."
            )));
        }
    }
    let k = my_key(ctx, &cur.id);
    let r = txn.inner.instances.get_mut(&k).expect("present");
    r.status = "modifying".into();
    r.status_since_ms = now;
    r.promoting = true;
    r.backup_retention = input.backup_retention_period.unwrap_or(1);
    if let Some(w) = input.preferred_backup_window {
        r.backup_window = w;
    }
    let r = r.clone();
    txn.put_instance(&k)?;
    let out = describe_one(me, &txn.inner, &r);
    txn.commit()?;
    Ok(PromoteReadReplicaResult {
        db_instance: Some(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_cascades_from_14_1() {
        assert!(cascades("postgres", "15.8"));
        assert!(cascades("postgres", "14.1"));
        assert!(!cascades("postgres", "14.0"));
        assert!(!cascades("postgres", "13.12"));
        assert!(cascades("mysql", "8.0.39"));
        assert!(cascades("mariadb", "10.11.9"));
    }

    #[test]
    fn chains_are_counted_to_their_head() {
        let mut inner = crate::state::Inner::default();
        let mut add = |id: &str, source: Option<&str>| {
            let rec = InstanceRec {
                id: id.into(),
                account: "123456789012".into(),
                region: "us-east-1".into(),
                replica_source: source.map(str::to_string),
                ..InstanceRec::default()
            };
            inner
                .instances
                .insert(key("123456789012", "us-east-1", id), rec);
        };
        add("main", None);
        add("r1", Some("main"));
        add("r2", Some("r1"));
        add("r3", Some("r2"));
        let depth = |id: &str| {
            let rec = &inner.instances[&key("123456789012", "us-east-1", id)];
            chain_depth(&inner, rec)
        };
        assert_eq!(depth("main"), 0);
        assert_eq!(depth("r1"), 1);
        assert_eq!(depth("r3"), MAX_CHAIN);
    }
}
