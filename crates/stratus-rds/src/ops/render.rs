//! Records as the API shows them.

use stratus_protocol::Timestamp;

use super::common::tags_out;
use crate::generated::*;
use crate::names;
use crate::state::{InstanceRec, SnapshotRec, SubnetGroupRec};

pub fn subnet_group(g: &SubnetGroupRec) -> DBSubnetGroup {
    DBSubnetGroup {
        db_subnet_group_name: Some(g.name.clone()),
        db_subnet_group_description: Some(g.description.clone()),
        vpc_id: Some(g.vpc_id.clone()),
        subnet_group_status: Some("Complete".into()),
        subnets: Some(
            g.subnets
                .iter()
                .map(|s| Subnet {
                    subnet_identifier: Some(s.id.clone()),
                    subnet_availability_zone: Some(AvailabilityZone {
                        name: Some(s.zone.clone()),
                    }),
                    subnet_outpost: Some(Outpost::default()),
                    subnet_status: Some("Active".into()),
                })
                .collect(),
        ),
        db_subnet_group_arn: Some(names::arn(&g.region, &g.account, "subgrp", &g.name)),
        supported_network_types: Some(vec!["IPV4".into()]),
    }
}

fn option_group(engine: &str, version: &str) -> String {
    format!(
        "default:{}-{}",
        engine,
        crate::catalogue::major(engine, version).replace('.', "-")
    )
}

/// `failure` says why no server backs the instance, when none does.
pub fn instance(
    r: &InstanceRec,
    group: Option<&SubnetGroupRec>,
    failure: Option<String>,
    replicas: Vec<String>,
) -> DBInstance {
    let mut infos: Vec<DBInstanceStatusInfo> = Vec::new();
    if r.replica_source.is_some() {
        let ok = failure.is_none() || !r.initialised;
        infos.push(DBInstanceStatusInfo {
            status_type: Some("read replication".into()),
            normal: Some(ok),
            status: Some(if ok { "replicating" } else { "error" }.into()),
            message: None,
        });
    }
    if let Some(m) = failure {
        infos.push(DBInstanceStatusInfo {
            status_type: Some("database server".into()),
            normal: Some(false),
            status: Some(
                if r.initialised {
                    "error"
                } else {
                    "not running"
                }
                .into(),
            ),
            message: Some(m),
        });
    }
    let p = &r.pending;
    let pending = PendingModifiedValues {
        db_instance_class: p.class.clone(),
        allocated_storage: p.storage,
        multi_az: p.multi_az,
        backup_retention_period: p.backup_retention,
        master_user_password: (r.pending_password.is_some() && r.initialised)
            .then(|| "****".to_string()),
        ..Default::default()
    };
    let shows_endpoint = !matches!(r.status.as_str(), "creating" | "failed");
    DBInstance {
        db_instance_identifier: Some(r.id.clone()),
        db_instance_class: Some(r.class.clone()),
        engine: Some(r.engine.clone()),
        db_instance_status: Some(r.status.clone()),
        master_username: Some(r.master_username.clone()),
        db_name: r.db_name.clone(),
        endpoint: shows_endpoint.then(|| Endpoint {
            address: Some(names::endpoint_address(&r.id, &r.account, &r.region)),
            port: Some(r.port),
            hosted_zone_id: Some("Z2R2ITUGPM61AM".into()),
        }),
        allocated_storage: Some(r.storage),
        instance_create_time: shows_endpoint.then_some(Timestamp(r.created_ms)),
        preferred_backup_window: Some(r.backup_window.clone()),
        backup_retention_period: Some(r.backup_retention),
        db_security_groups: Some(Vec::new()),
        vpc_security_groups: Some(
            r.security_groups
                .iter()
                .map(|g| VpcSecurityGroupMembership {
                    vpc_security_group_id: Some(g.clone()),
                    status: Some("active".into()),
                })
                .collect(),
        ),
        db_parameter_groups: Some(vec![DBParameterGroupStatus {
            db_parameter_group_name: Some(r.parameter_group.clone()),
            parameter_apply_status: Some(
                if r.params_applying {
                    "applying"
                } else if r.params_pending_reboot {
                    "pending-reboot"
                } else {
                    "in-sync"
                }
                .into(),
            ),
        }]),
        availability_zone: Some(r.zone.clone()),
        db_subnet_group: group.map(subnet_group),
        preferred_maintenance_window: Some(r.maintenance_window.clone()),
        pending_modified_values: Some(pending),
        latest_restorable_time: r.latest_restorable_ms.map(Timestamp),
        multi_az: Some(r.multi_az),
        engine_version: Some(r.engine_version.clone()),
        auto_minor_version_upgrade: Some(r.auto_minor_version_upgrade),
        read_replica_source_db_instance_identifier: r.replica_source.clone(),
        read_replica_db_instance_identifiers: Some(replicas),
        license_model: Some(r.license_model.clone()),
        iops: r.iops,
        option_group_memberships: Some(vec![OptionGroupMembership {
            option_group_name: Some(
                r.option_group
                    .clone()
                    .unwrap_or_else(|| option_group(&r.engine, &r.engine_version)),
            ),
            status: Some("in-sync".into()),
        }]),
        secondary_availability_zone: r.secondary_zone.clone(),
        publicly_accessible: Some(r.publicly_accessible),
        status_infos: (!infos.is_empty()).then_some(infos),
        storage_type: Some(r.storage_type.clone()),
        db_instance_port: Some(0),
        storage_encrypted: Some(r.storage_encrypted),
        dbi_resource_id: Some(r.resource_id.clone()),
        ca_certificate_identifier: Some(r.ca_certificate.clone()),
        domain_memberships: Some(Vec::new()),
        copy_tags_to_snapshot: Some(r.copy_tags_to_snapshot),
        monitoring_interval: Some(0),
        db_instance_arn: Some(names::arn(&r.region, &r.account, "db", &r.id)),
        iam_database_authentication_enabled: Some(r.iam_auth),
        performance_insights_enabled: Some(false),
        deletion_protection: Some(r.deletion_protection),
        tag_list: Some(tags_out(&r.tags)),
        customer_owned_ip_enabled: Some(false),
        network_type: Some("IPV4".into()),
        backup_target: Some("region".into()),
        certificate_details: Some(CertificateDetails {
            ca_identifier: Some(r.ca_certificate.clone()),
            valid_till: Some(Timestamp(r.created_ms + 365 * 24 * 3600 * 1000)),
        }),
        master_user_secret: r
            .manage_master_password
            .then(|| master_user_secret(&r.region, &r.account, &r.resource_id)),
        dedicated_log_volume: Some(false),
        engine_lifecycle_support: Some("open-source-rds-extended-support".into()),
        ..Default::default()
    }
}

pub fn snapshot(s: &SnapshotRec) -> DBSnapshot {
    DBSnapshot {
        db_snapshot_identifier: Some(s.id.clone()),
        db_instance_identifier: Some(s.instance_id.clone()),
        snapshot_create_time: Some(Timestamp(s.created_ms)),
        engine: Some(s.engine.clone()),
        allocated_storage: Some(s.storage),
        status: Some(s.status.clone()),
        port: Some(s.port),
        availability_zone: Some(s.zone.clone()),
        vpc_id: Some(s.vpc_id.clone()),
        instance_create_time: Some(Timestamp(s.instance_created_ms)),
        master_username: Some(s.master_username.clone()),
        engine_version: Some(s.engine_version.clone()),
        license_model: Some(s.license_model.clone()),
        snapshot_type: Some(s.kind.clone()),
        option_group_name: Some(option_group(&s.engine, &s.engine_version)),
        percent_progress: Some(if s.status == "creating" { 0 } else { 100 }),
        storage_type: Some(s.storage_type.clone()),
        encrypted: Some(false),
        db_snapshot_arn: Some(names::arn(&s.region, &s.account, "snapshot", &s.id)),
        iam_database_authentication_enabled: Some(false),
        processor_features: Some(Vec::new()),
        dbi_resource_id: Some(s.resource_id.clone()),
        tag_list: Some(tags_out(&s.tags)),
        original_snapshot_create_time: Some(Timestamp(s.created_ms)),
        snapshot_target: Some("region".into()),
        source_db_snapshot_identifier: s.source_snapshot.clone(),
        dedicated_log_volume: Some(false),
        multi_tenant: Some(false),
        ..Default::default()
    }
}

/// The secret AWS keeps the master password of an instance or cluster in
/// (`db-…` or `cluster-…` resource ids) when RDS manages it.
pub fn master_user_secret(region: &str, account: &str, resource_id: &str) -> MasterUserSecret {
    let id = resource_id.to_ascii_lowercase();
    let tail = id.split_once('-').map_or(id.as_str(), |(_, t)| t);
    MasterUserSecret {
        secret_arn: Some(format!(
            "arn:aws:secretsmanager:{region}:{account}:secret:rds!{id}-{}",
            &tail[..tail.len().min(6)]
        )),
        secret_status: Some("active".into()),
        kms_key_id: Some(format!(
            "arn:aws:kms:{region}:{account}:alias/aws/secretsmanager"
        )),
    }
}
