//! DB subnet groups: EC2 subnets of one VPC that must cover two zones.

use std::collections::BTreeSet;

use stratus_core::compute::SubnetView;
use stratus_core::{AwsError, RequestContext};

use super::common::{filters, my_key, page, subnet_group_not_found, tags_in};
use super::render;
use crate::Rds;
use crate::generated::*;
use crate::state::{SubnetGroupRec, SubnetRec, Txn, key};
use crate::validate::{group_name, invalid_value};

fn not_enough_zones(zones: &BTreeSet<String>) -> AwsError {
    let current: Vec<&str> = zones.iter().map(String::as_str).collect();
    AwsError::bad_request(
        "DBSubnetGroupDoesNotCoverEnoughAZs",
        format!(
            "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: {}. Add subnets to cover at least 2 AZs.",
            current.join(", ")
        ),
    )
}

/// The subnets asked for, as EC2 knows them: all of one VPC, over at
/// least two zones.
fn resolve(me: &Rds, ctx: &RequestContext, ids: &[String]) -> Result<Vec<SubnetRec>, AwsError> {
    if ids.is_empty() {
        return Err(invalid_value("The parameter SubnetIds must be provided."));
    }
    let found: Vec<SubnetView> = me.ec2()?.subnets(ctx.account_id(), &ctx.region, ids);
    for id in ids {
        if !found.iter().any(|s| &s.id == id) {
            return Err(AwsError::bad_request(
                "InvalidSubnet",
                format!("The subnet ID '{id}' does not exist"),
            ));
        }
    }
    let vpcs: BTreeSet<&str> = found.iter().map(|s| s.vpc_id.as_str()).collect();
    if vpcs.len() > 1 {
        return Err(AwsError::bad_request(
            "InvalidSubnet",
            "Subnets in the DB subnet group must all belong to the same VPC.",
        ));
    }
    let zones: BTreeSet<String> = found.iter().map(|s| s.availability_zone.clone()).collect();
    if zones.len() < 2 {
        return Err(not_enough_zones(&zones));
    }
    let mut out: Vec<SubnetRec> = Vec::new();
    for s in found {
        if !out.iter().any(|x| x.id == s.id) {
            out.push(SubnetRec {
                id: s.id,
                zone: s.availability_zone,
            });
        }
    }
    Ok(out)
}

fn vpc_of(me: &Rds, ctx: &RequestContext, subnets: &[SubnetRec]) -> Result<String, AwsError> {
    let ids: Vec<String> = subnets.iter().take(1).map(|s| s.id.clone()).collect();
    Ok(me
        .ec2()?
        .subnets(ctx.account_id(), &ctx.region, &ids)
        .into_iter()
        .next()
        .map(|s| s.vpc_id)
        .unwrap_or_default())
}

/// The `default` group over the default VPC's subnets, made the first
/// time an instance is created without a group.
pub fn ensure_default(
    me: &Rds,
    ctx: &RequestContext,
    txn: &mut Txn<'_>,
) -> Result<String, AwsError> {
    let k = key(ctx.account_id(), &ctx.region, "default");
    if txn.inner.subnet_groups.contains_key(&k) {
        return Ok(k);
    }
    let subnets = me.ec2()?.default_subnets(ctx.account_id(), &ctx.region);
    let vpc_id = subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default();
    let rec = SubnetGroupRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: "default".into(),
        description: "default".into(),
        vpc_id,
        subnets: subnets
            .into_iter()
            .map(|s| SubnetRec {
                id: s.id,
                zone: s.availability_zone,
            })
            .collect(),
        tags: Vec::new(),
    };
    txn.inner.subnet_groups.insert(k.clone(), rec);
    txn.put_subnet_group(&k)?;
    Ok(k)
}

pub fn create_db_subnet_group(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBSubnetGroupMessage,
) -> Result<CreateDBSubnetGroupResult, AwsError> {
    let name = input.db_subnet_group_name.to_ascii_lowercase();
    group_name("DBSubnetGroupName", &name)?;
    let tags = tags_in(input.tags)?;
    let subnets = resolve(me, ctx, &input.subnet_ids)?;
    let vpc_id = vpc_of(me, ctx, &subnets)?;
    let mut txn = me.state.begin();
    let k = key(ctx.account_id(), &ctx.region, &name);
    if txn.inner.subnet_groups.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBSubnetGroupAlreadyExists",
            format!("The DB subnet group '{name}' already exists."),
        ));
    }
    let count = txn
        .inner
        .subnet_groups
        .values()
        .filter(|g| g.account == ctx.account_id() && g.region == ctx.region)
        .count();
    if count >= 50 {
        return Err(AwsError::bad_request(
            "DBSubnetGroupQuotaExceeded",
            "Cannot create more than 50 DB subnet groups.",
        ));
    }
    let rec = SubnetGroupRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name,
        description: input.db_subnet_group_description,
        vpc_id,
        subnets,
        tags,
    };
    let out = render::subnet_group(&rec);
    txn.inner.subnet_groups.insert(k.clone(), rec);
    txn.put_subnet_group(&k)?;
    txn.commit()?;
    Ok(CreateDBSubnetGroupResult {
        db_subnet_group: Some(out),
    })
}

pub fn describe_db_subnet_groups(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBSubnetGroupsMessage,
) -> Result<DBSubnetGroupMessage, AwsError> {
    filters(input.filters, &[])?;
    let inner = me.state.read();
    let groups: Vec<DBSubnetGroup> = match &input.db_subnet_group_name {
        Some(n) => {
            let g = inner
                .subnet_groups
                .get(&my_key(ctx, &n.to_ascii_lowercase()))
                .ok_or_else(|| subnet_group_not_found(n))?;
            vec![render::subnet_group(g)]
        }
        None => inner
            .subnet_groups
            .values()
            .filter(|g| g.account == ctx.account_id() && g.region == ctx.region)
            .map(render::subnet_group)
            .collect(),
    };
    let (items, marker) = page(groups, input.marker.as_deref(), input.max_records)?;
    Ok(DBSubnetGroupMessage {
        marker,
        db_subnet_groups: Some(items),
    })
}

pub fn modify_db_subnet_group(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyDBSubnetGroupMessage,
) -> Result<ModifyDBSubnetGroupResult, AwsError> {
    let name = input.db_subnet_group_name.to_ascii_lowercase();
    let k = my_key(ctx, &name);
    if !me.state.read().subnet_groups.contains_key(&k) {
        return Err(subnet_group_not_found(&input.db_subnet_group_name));
    }
    let subnets = resolve(me, ctx, &input.subnet_ids)?;
    let vpc_id = vpc_of(me, ctx, &subnets)?;
    let mut txn = me.state.begin();
    let in_use: BTreeSet<String> = txn
        .inner
        .instances
        .values()
        .filter(|i| {
            i.account == ctx.account_id() && i.region == ctx.region && i.subnet_group == name
        })
        .map(|i| i.zone.clone())
        .collect();
    let g = txn
        .inner
        .subnet_groups
        .get_mut(&k)
        .ok_or_else(|| subnet_group_not_found(&name))?;
    if !in_use.is_empty() && g.vpc_id != vpc_id {
        return Err(AwsError::bad_request(
            "InvalidDBSubnetGroupStateFault",
            "The DB subnet group is in use and its VPC cannot change.",
        ));
    }
    for zone in &in_use {
        if !subnets.iter().any(|s| &s.zone == zone) {
            return Err(AwsError::bad_request(
                "SubnetAlreadyInUse",
                format!(
                    "Some of the subnets to be deleted are currently in use: the zone {zone} has DB instances."
                ),
            ));
        }
    }
    g.subnets = subnets;
    g.vpc_id = vpc_id;
    if let Some(d) = input.db_subnet_group_description {
        g.description = d;
    }
    let out = render::subnet_group(g);
    txn.put_subnet_group(&k)?;
    txn.commit()?;
    Ok(ModifyDBSubnetGroupResult {
        db_subnet_group: Some(out),
    })
}

pub fn delete_db_subnet_group(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteDBSubnetGroupMessage,
) -> Result<(), AwsError> {
    let name = input.db_subnet_group_name.to_ascii_lowercase();
    if name == "default" {
        return Err(invalid_value("Cannot delete default subnet group"));
    }
    let k = my_key(ctx, &name);
    let mut txn = me.state.begin();
    if !txn.inner.subnet_groups.contains_key(&k) {
        return Err(subnet_group_not_found(&input.db_subnet_group_name));
    }
    if let Some(i) =
        txn.inner.instances.values().find(|i| {
            i.account == ctx.account_id() && i.region == ctx.region && i.subnet_group == name
        })
    {
        return Err(AwsError::bad_request(
            "InvalidDBSubnetGroupStateFault",
            format!(
                "Cannot delete the subnet group '{name}' because at least one database instance: {} is still using it.",
                i.id
            ),
        ));
    }
    txn.delete_subnet_group(&k);
    txn.commit()
}
