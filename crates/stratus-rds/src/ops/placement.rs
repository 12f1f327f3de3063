//! Where an instance goes: its subnet group (the default VPC's when none
//! is named), its zone and Multi-AZ standby's zone, its security groups;
//! and the account's quotas.

use stratus_core::{AwsError, RequestContext};

use super::common::subnet_group_not_found;
use super::subnet_groups::ensure_default;
use crate::Rds;
use crate::catalogue;
use crate::state::{Txn, key};
use crate::validate::{invalid_combination, invalid_value};

pub struct Placement {
    pub subnet_group: String,
    pub zone: String,
    pub secondary_zone: Option<String>,
    pub security_groups: Vec<String>,
}

pub fn place(
    me: &Rds,
    ctx: &RequestContext,
    txn: &mut Txn<'_>,
    group: Option<&str>,
    zone: Option<&str>,
    multi_az: bool,
    security_groups: Option<Vec<String>>,
) -> Result<Placement, AwsError> {
    if multi_az && zone.is_some() {
        return Err(invalid_combination(
            "Requesting a specific availability zone is not valid for Multi-AZ instances.",
        ));
    }
    let gk = match group {
        Some(g) => {
            let k = key(ctx.account_id(), &ctx.region, &g.to_ascii_lowercase());
            if !txn.inner.subnet_groups.contains_key(&k) {
                return Err(subnet_group_not_found(g));
            }
            k
        }
        None => ensure_default(me, ctx, txn)?,
    };
    let g = txn.inner.subnet_groups.get(&gk).expect("present").clone();
    let mut zones: Vec<String> = g.subnets.iter().map(|s| s.zone.clone()).collect();
    zones.sort();
    zones.dedup();
    if zones.is_empty() {
        zones = catalogue::ZONE_SUFFIXES
            .iter()
            .map(|s| format!("{}{s}", ctx.region))
            .collect();
    }
    let zone = match zone {
        Some(z) if zones.iter().any(|x| x == z) => z.to_string(),
        Some(z) => {
            return Err(invalid_value(format!(
                "DB subnet group '{}' doesn't cover the availability zone {z}.",
                g.name
            )));
        }
        // Spread instances over the group's zones.
        None => {
            let n = txn.inner.instances.len();
            zones[n % zones.len()].clone()
        }
    };
    let secondary_zone = multi_az.then(|| {
        zones
            .iter()
            .find(|z| **z != zone)
            .cloned()
            .unwrap_or_else(|| crate::lifecycle::other_zone(&zone))
    });
    let security_groups = match security_groups.filter(|v| !v.is_empty()) {
        Some(ids) => {
            check_security_groups(me, ctx, &g.vpc_id, &ids)?;
            ids
        }
        None => me
            .ec2()?
            .default_security_group(ctx.account_id(), &ctx.region, &g.vpc_id)
            .into_iter()
            .collect(),
    };
    Ok(Placement {
        subnet_group: g.name,
        zone,
        secondary_zone,
        security_groups,
    })
}

/// AWS's per-account limits on instances and their total storage.
pub fn check_quotas(
    txn: &Txn<'_>,
    ctx: &RequestContext,
    new_instances: usize,
    extra_storage: i64,
) -> Result<(), AwsError> {
    let mine = txn
        .inner
        .instances
        .values()
        .filter(|i| i.account == ctx.account_id() && i.region == ctx.region);
    let (count, storage) = mine.fold((0usize, 0i64), |(c, s), i| {
        let st = i.pending.storage.unwrap_or(i.storage).max(i.storage);
        (c + 1, s + i64::from(st))
    });
    if count + new_instances > catalogue::INSTANCE_QUOTA {
        return Err(AwsError::bad_request(
            "InstanceQuotaExceeded",
            "DB Instance quota exceeded",
        ));
    }
    if storage + extra_storage > catalogue::STORAGE_QUOTA_GIB {
        return Err(AwsError::bad_request(
            "StorageQuotaExceeded",
            format!(
                "The request cannot be processed because it would exceed the maximum allowed storage for the account: {} GiB.",
                catalogue::STORAGE_QUOTA_GIB
            ),
        ));
    }
    Ok(())
}

/// The security groups `ids` exist and are in `vpc` (when that is known),
/// as AWS checks them for an instance or a cluster.
pub fn check_security_groups(
    me: &Rds,
    ctx: &RequestContext,
    vpc: &str,
    ids: &[String],
) -> Result<(), AwsError> {
    let found = me
        .ec2()?
        .security_groups(ctx.account_id(), &ctx.region, ids);
    for id in ids {
        match found.iter().find(|(g, _)| g == id) {
            None => {
                return Err(invalid_value(format!(
                    "Invalid security group , groupId= {id}, groupName=."
                )));
            }
            Some((_, in_vpc)) if !vpc.is_empty() && in_vpc != vpc => {
                return Err(invalid_combination(format!(
                    "The DB instance and EC2 security group are in different VPCs. The DB instance is in {vpc} and the EC2 security group is in {in_vpc}"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
