//! Copies of snapshots, and the `restore` attribute that shares a manual
//! snapshot with other accounts (or with everyone).

use stratus_core::{AwsError, RequestContext};

use super::common::tags_with_specs;
use super::common::{bare_id, merge_tag, my_key, snapshot_not_found};
use super::render;
use crate::Rds;
use crate::engine::os;
use crate::generated::*;
use crate::names;
use crate::state::{SnapshotRec, key};
use crate::validate::{self, invalid_value};

fn attributes(s: &SnapshotRec) -> DBSnapshotAttributesResult {
    DBSnapshotAttributesResult {
        db_snapshot_identifier: Some(s.id.clone()),
        db_snapshot_attributes: Some(vec![DBSnapshotAttribute {
            attribute_name: Some("restore".into()),
            attribute_values: Some(s.shared_with.clone()),
        }]),
    }
}

pub fn copy_db_snapshot(
    me: &Rds,
    ctx: &RequestContext,
    input: CopyDBSnapshotMessage,
) -> Result<CopyDBSnapshotResult, AwsError> {
    let target = input.target_db_snapshot_identifier.to_ascii_lowercase();
    validate::identifier("TargetDBSnapshotIdentifier", &target)?;
    let tags = tags_with_specs(input.tags, input.tag_specifications)?;
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let src_id = input.source_db_snapshot_identifier.clone();
    let src = txn
        .inner
        .snapshots
        .get(&my_key(ctx, &bare_id(&src_id).to_ascii_lowercase()))
        .cloned()
        .ok_or_else(|| snapshot_not_found(&src_id))?;
    if src.status != "available" {
        return Err(AwsError::bad_request(
            "InvalidDBSnapshotState",
            format!("Snapshot {} is not in available state.", src.id),
        ));
    }
    let k = key(ctx.account_id(), &ctx.region, &target);
    if txn.inner.snapshots.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBSnapshotAlreadyExists",
            format!(
                "Cannot create the snapshot because a snapshot with the identifier {target} already exists."
            ),
        ));
    }
    let dir = format!("{target}-{}", stratus_core::ids::hex(8));
    if src.has_data {
        let from = me.supervisor.snapshot_dir(&src.dir);
        let to = me.supervisor.snapshot_dir(&dir);
        os::copy_tree(&from, &to).map_err(|e| AwsError::internal(format!("copy: {e}")))?;
    }
    let mut rec = SnapshotRec {
        id: target.clone(),
        kind: "manual".into(),
        status: "available".into(),
        created_ms: now,
        dir,
        source_snapshot: Some(names::arn(&src.region, &src.account, "snapshot", &src.id)),
        shared_with: Vec::new(),
        tags: if input.copy_tags.unwrap_or(false) {
            src.tags.clone()
        } else {
            Vec::new()
        },
        ..src.clone()
    };
    for (k2, v) in tags {
        merge_tag(&mut rec.tags, k2, v);
    }
    let out = render::snapshot(&rec);
    txn.inner.snapshots.insert(k.clone(), rec);
    txn.put_snapshot(&k)?;
    let arn = names::arn(&ctx.region, ctx.account_id(), "snapshot", &target);
    txn.event(
        ctx.account_id(),
        &ctx.region,
        "db-snapshot",
        &target,
        &arn,
        &format!("Finished copy of snapshot {}", src.id),
        &["creation"],
        now,
    )?;
    txn.commit()?;
    Ok(CopyDBSnapshotResult {
        db_snapshot: Some(out),
    })
}

pub fn modify_db_snapshot_attribute(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyDBSnapshotAttributeMessage,
) -> Result<ModifyDBSnapshotAttributeResult, AwsError> {
    if input.attribute_name != "restore" {
        return Err(invalid_value(format!(
            "Invalid snapshot attribute name: {}. Only the attribute name 'restore' is supported.",
            input.attribute_name
        )));
    }
    let add = input.values_to_add.unwrap_or_default();
    let remove = input.values_to_remove.unwrap_or_default();
    for v in add.iter().chain(&remove) {
        if v != "all" && !stratus_core::ids::is_account_id(v) {
            return Err(invalid_value(format!(
                "Invalid account identifier: {v}. Account identifiers are 12 digits, or 'all'."
            )));
        }
    }
    let id = input.db_snapshot_identifier.to_ascii_lowercase();
    let k = my_key(ctx, &id);
    let mut txn = me.state.begin();
    let s = txn
        .inner
        .snapshots
        .get_mut(&k)
        .ok_or_else(|| snapshot_not_found(&input.db_snapshot_identifier))?;
    if s.kind == "automated" {
        return Err(AwsError::bad_request(
            "InvalidDBSnapshotState",
            "Automated snapshots cannot be shared; copy the snapshot first.",
        ));
    }
    let mut shared = s.shared_with.clone();
    shared.retain(|a| !remove.contains(a));
    for a in add {
        if !shared.contains(&a) {
            shared.push(a);
        }
    }
    if shared.iter().filter(|a| *a != "all").count() > 20 {
        return Err(AwsError::bad_request(
            "SharedSnapshotQuotaExceeded",
            "A snapshot can be shared with at most 20 accounts.",
        ));
    }
    s.shared_with = shared;
    let out = attributes(s);
    txn.put_snapshot(&k)?;
    txn.commit()?;
    Ok(ModifyDBSnapshotAttributeResult {
        db_snapshot_attributes_result: Some(out),
    })
}

pub fn describe_db_snapshot_attributes(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBSnapshotAttributesMessage,
) -> Result<DescribeDBSnapshotAttributesResult, AwsError> {
    let inner = me.state.read();
    let s = inner
        .snapshots
        .get(&my_key(
            ctx,
            &input.db_snapshot_identifier.to_ascii_lowercase(),
        ))
        .ok_or_else(|| snapshot_not_found(&input.db_snapshot_identifier))?;
    Ok(DescribeDBSnapshotAttributesResult {
        db_snapshot_attributes_result: Some(attributes(s)),
    })
}
