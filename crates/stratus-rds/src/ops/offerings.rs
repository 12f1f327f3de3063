//! What AWS offers rather than stores: engine versions and the orderable
//! combinations of engine, version, class and storage.

use stratus_core::{AwsError, RequestContext};

use super::common::{filters, page, passes};
use crate::Rds;
use crate::catalogue::{self, AURORA, AURORA_CLASSES, CLASSES, ENGINES, STORAGE, ZONE_SUFFIXES};
use crate::generated::*;
use crate::validate::invalid_value;

pub fn describe_db_engine_versions(
    me: &Rds,
    _ctx: &RequestContext,
    input: DescribeDBEngineVersionsMessage,
) -> Result<DBEngineVersionMessage, AwsError> {
    let f = filters(
        input.filters,
        &[
            "engine",
            "engine-version",
            "db-parameter-group-family",
            "status",
            "engine-mode",
        ],
    )?;
    let mut out = Vec::new();
    for e in ENGINES.iter().chain(AURORA) {
        if input.engine.as_deref().is_some_and(|x| x != e.name) {
            continue;
        }
        let local = catalogue::local_engine(e.name);
        let default = catalogue::default_version(e, |m| me.engines.installed(local, m));
        for v in e.versions {
            let family = catalogue::family(e.name, v);
            let major = catalogue::major(e.name, v);
            if input
                .engine_version
                .as_deref()
                .is_some_and(|x| x != *v && x != major)
            {
                continue;
            }
            if input
                .db_parameter_group_family
                .as_deref()
                .is_some_and(|x| x != family)
            {
                continue;
            }
            if input.default_only == Some(true) && *v != default {
                continue;
            }
            if !(passes(&f, "engine", &[e.name])
                && passes(&f, "engine-version", &[v])
                && passes(&f, "db-parameter-group-family", &[&family])
                && passes(&f, "status", &["available"])
                && passes(&f, "engine-mode", &["provisioned"]))
            {
                continue;
            }
            let upgrades = e
                .versions
                .iter()
                .skip_while(|u| *u != v)
                .skip(1)
                .filter(|u| catalogue::major(e.name, u) == major)
                .map(|u| UpgradeTarget {
                    engine: Some(e.name.to_string()),
                    engine_version: Some(u.to_string()),
                    description: Some(format!("{} {u}", e.description)),
                    auto_upgrade: Some(false),
                    is_major_version_upgrade: Some(false),
                    ..Default::default()
                })
                .collect::<Vec<_>>();
            let logs: Vec<String> = if local == "postgres" {
                vec!["postgresql".into(), "upgrade".into()]
            } else {
                vec![
                    "audit".into(),
                    "error".into(),
                    "general".into(),
                    "slowquery".into(),
                ]
            };
            out.push(DBEngineVersion {
                engine: Some(e.name.to_string()),
                major_engine_version: Some(major.clone()),
                engine_version: Some(v.to_string()),
                db_parameter_group_family: Some(family),
                db_engine_description: Some(e.description.to_string()),
                db_engine_version_description: Some(format!("{} {v}", e.description)),
                valid_upgrade_target: Some(upgrades),
                exportable_log_types: Some(logs),
                supports_log_exports_to_cloudwatch_logs: Some(true),
                supports_read_replica: Some(true),
                supported_engine_modes: Some(vec!["provisioned".into()]),
                supported_feature_names: Some(Vec::new()),
                status: Some("available".into()),
                supports_parallel_query: Some(false),
                supports_global_databases: Some(false),
                supports_babelfish: Some(false),
                supports_certificate_rotation_without_restart: Some(true),
                supported_ca_certificate_identifiers: Some(vec![
                    "rds-ca-ecc384-g1".into(),
                    "rds-ca-rsa2048-g1".into(),
                    "rds-ca-rsa4096-g1".into(),
                ]),
                supports_local_write_forwarding: Some(false),
                supports_integrations: Some(false),
                tag_list: Some(Vec::new()),
                ..Default::default()
            });
        }
    }
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(DBEngineVersionMessage {
        marker,
        db_engine_versions: Some(items),
    })
}

pub fn describe_orderable_db_instance_options(
    _me: &Rds,
    ctx: &RequestContext,
    input: DescribeOrderableDBInstanceOptionsMessage,
) -> Result<OrderableDBInstanceOptionsMessage, AwsError> {
    filters(input.filters, &[])?;
    let e = catalogue::engine(&input.engine)
        .or_else(|| catalogue::aurora(&input.engine))
        .ok_or_else(|| invalid_value(format!("Invalid DB engine: {}", input.engine)))?;
    let aurora = catalogue::aurora(e.name).is_some();
    let zones: Vec<AvailabilityZone> = ZONE_SUFFIXES
        .iter()
        .map(|s| AvailabilityZone {
            name: Some(format!("{}{s}", ctx.region)),
        })
        .collect();
    let mut out = Vec::new();
    for v in e.versions {
        if input
            .engine_version
            .as_deref()
            .is_some_and(|x| x != *v && x != catalogue::major(e.name, v))
        {
            continue;
        }
        let classes: Vec<&str> = if aurora {
            AURORA_CLASSES.to_vec()
        } else {
            CLASSES
                .iter()
                .filter(|c| c.engines.contains(&e.name))
                .map(|c| c.name)
                .collect()
        };
        for class in classes {
            if input
                .db_instance_class
                .as_deref()
                .is_some_and(|x| x != class)
            {
                continue;
            }
            if input.vpc == Some(false) {
                continue;
            }
            if aurora {
                // Aurora's storage is the cluster's volume.
                out.push(OrderableDBInstanceOption {
                    engine: Some(e.name.to_string()),
                    engine_version: Some(v.to_string()),
                    db_instance_class: Some(class.to_string()),
                    license_model: Some(e.license.to_string()),
                    availability_zone_group: Some(ctx.region.clone()),
                    availability_zones: Some(zones.clone()),
                    multi_az_capable: Some(true),
                    read_replica_capable: Some(false),
                    vpc: Some(true),
                    supports_storage_encryption: Some(true),
                    storage_type: Some("aurora".into()),
                    supports_iops: Some(false),
                    supports_storage_throughput: Some(false),
                    supports_enhanced_monitoring: Some(true),
                    supports_iam_database_authentication: Some(true),
                    supports_performance_insights: Some(true),
                    supported_engine_modes: Some(vec!["provisioned".into()]),
                    supports_storage_autoscaling: Some(false),
                    supports_kerberos_authentication: Some(false),
                    outpost_capable: Some(false),
                    supports_global_databases: Some(false),
                    supported_network_types: Some(vec!["IPV4".into()]),
                    supports_clusters: Some(true),
                    supports_dedicated_log_volume: Some(false),
                    available_processor_features: Some(Vec::new()),
                    ..Default::default()
                });
                continue;
            }
            for s in STORAGE {
                out.push(OrderableDBInstanceOption {
                    engine: Some(e.name.to_string()),
                    engine_version: Some(v.to_string()),
                    db_instance_class: Some(class.to_string()),
                    license_model: Some(e.license.to_string()),
                    availability_zone_group: Some(ctx.region.clone()),
                    availability_zones: Some(zones.clone()),
                    multi_az_capable: Some(true),
                    read_replica_capable: Some(true),
                    vpc: Some(true),
                    supports_storage_encryption: Some(true),
                    storage_type: Some(s.kind.to_string()),
                    supports_iops: Some(s.iops),
                    supports_storage_throughput: Some(s.kind == "gp3"),
                    supports_enhanced_monitoring: Some(true),
                    supports_iam_database_authentication: Some(true),
                    supports_performance_insights: Some(!class.starts_with("db.t2")),
                    min_storage_size: Some(s.min),
                    max_storage_size: Some(s.max),
                    supported_engine_modes: Some(vec!["provisioned".into()]),
                    supports_storage_autoscaling: Some(s.kind != "standard"),
                    supports_kerberos_authentication: Some(false),
                    outpost_capable: Some(false),
                    supports_global_databases: Some(false),
                    supported_network_types: Some(vec!["IPV4".into(), "DUAL".into()]),
                    supports_clusters: Some(false),
                    supports_dedicated_log_volume: Some(false),
                    available_processor_features: Some(Vec::new()),
                    ..Default::default()
                });
            }
        }
    }
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(OrderableDBInstanceOptionsMessage {
        orderable_db_instance_options: Some(items),
        marker,
    })
}
