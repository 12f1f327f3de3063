//! EBS snapshots: taken from volumes, copied between regions, shared by
//! create-volume permissions, and the source of new volumes and images.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::volumes::volume_or_err;
use super::{check_id, dry_run, invalid, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::compute::SnapshotRec;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{RegionState, Tags, new_id};

pub fn snapshot_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a SnapshotRec, AwsError> {
    check_id(id, "snap", "InvalidSnapshotID.Malformed")?;
    s.snapshots.get(id).ok_or_else(|| {
        AwsError::bad_request(
            "InvalidSnapshot.NotFound",
            format!("The snapshot '{id}' does not exist."),
        )
    })
}

pub fn snapshot_out(x: &SnapshotRec, owner: &str, region: &str, now: i64) -> Snapshot {
    let state = x.state(now);
    Snapshot {
        tags: wire_tags(&x.tags),
        storage_tier: Some("standard".into()),
        snapshot_id: Some(x.id.clone()),
        volume_id: Some(x.volume.clone()),
        state: Some(state.into()),
        start_time: Some(Timestamp(x.started_ms)),
        completion_time: (state == "completed").then_some(Timestamp(
            x.started_ms + crate::compute::SNAPSHOT_PENDING_MS,
        )),
        progress: Some(if state == "completed" { "100%" } else { "0%" }.into()),
        owner_id: Some(owner.to_string()),
        description: Some(x.description.clone()),
        volume_size: Some(x.size),
        encrypted: Some(x.encrypted),
        kms_key_id: x.encrypted.then(|| {
            x.kms_key
                .clone()
                .unwrap_or_else(|| format!("arn:aws:kms:{region}:{owner}:alias/aws/ebs"))
        }),
        full_snapshot_size_in_bytes: Some(i64::from(x.size) << 30),
        ..Default::default()
    }
}

impl Filterable for (&SnapshotRec, &str, i64) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (x, owner, now) = self;
        let state = x.state(*now);
        Some(match name {
            "snapshot-id" => vec![x.id.clone()],
            "volume-id" => vec![x.volume.clone()],
            "status" => vec![state.into()],
            "owner-id" => vec![owner.to_string()],
            "owner-alias" => vec![],
            "description" => vec![x.description.clone()],
            "volume-size" => vec![x.size.to_string()],
            "encrypted" => vec![x.encrypted.to_string()],
            "progress" => vec![if state == "completed" { "100%" } else { "0%" }.into()],
            "start-time" => vec![stratus_core::time::iso8601_millis(x.started_ms)],
            "storage-tier" => vec!["standard".into()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

/// Takes a snapshot of a volume; CreateImage uses it for every device.
pub fn take(
    s: &mut RegionState,
    volume: &str,
    description: &str,
    tags: Tags,
    now: i64,
) -> Option<String> {
    let v = s.volumes.get(volume)?;
    let rec = SnapshotRec {
        id: new_id("snap"),
        volume: v.id.clone(),
        size: v.size,
        description: description.to_string(),
        started_ms: now,
        encrypted: v.encrypted,
        kms_key: v.kms_key.clone(),
        tags,
        ..Default::default()
    };
    let id = rec.id.clone();
    s.snapshots.insert(id.clone(), rec);
    Some(id)
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateSnapshotRequest,
) -> Result<Snapshot, AwsError> {
    let owner = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(owner, &ctx.region);
    let mut s = region.lock();
    volume_or_err(&s, &i.volume_id)?;
    let tags = spec_tags(&i.tag_specifications, "snapshot")?;
    if i.description.as_ref().is_some_and(|d| d.len() > 255) {
        return Err(invalid("The description must be at most 255 characters."));
    }
    dry_run(i.dry_run)?;
    let id = take(
        &mut s,
        &i.volume_id,
        i.description.as_deref().unwrap_or(""),
        tags,
        now,
    )
    .ok_or_else(|| super::volumes::volume_not_found(&i.volume_id))?;
    let out = snapshot_out(&s.snapshots[&id], owner, &ctx.region, now);
    ec2.regions.save(owner, &ctx.region, &s)?;
    Ok(out)
}

pub fn copy(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CopySnapshotRequest,
) -> Result<CopySnapshotResult, AwsError> {
    let owner = ctx.account_id();
    let now = ec2.now();
    if !crate::state::REGIONS.contains(&i.source_region.as_str()) {
        return Err(invalid(format!(
            "Value ({}) for parameter sourceRegion is invalid.",
            i.source_region
        )));
    }
    // The source is read and released before the destination is locked, so
    // a copy within one region and copies both ways never deadlock.
    let src = {
        let region = ec2.regions.get(owner, &i.source_region);
        let s = region.lock();
        snapshot_or_err(&s, &i.source_snapshot_id)?.clone()
    };
    if src.state(now) != "completed" {
        return Err(AwsError::bad_request(
            "IncorrectState",
            format!("Snapshot '{}' is not 'completed'.", src.id),
        ));
    }
    let tags = spec_tags(&i.tag_specifications, "snapshot")?;
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(owner, &ctx.region);
    let mut s = region.lock();
    let rec = SnapshotRec {
        id: new_id("snap"),
        volume: "vol-ffffffff".into(),
        size: src.size,
        description: i
            .description
            .clone()
            .unwrap_or_else(|| format!("[Copied {} from {}]", src.id, i.source_region)),
        started_ms: now,
        encrypted: src.encrypted || i.encrypted.unwrap_or(false),
        kms_key: i.kms_key_id.clone().or(src.kms_key.clone()),
        tags: tags.clone(),
        ..Default::default()
    };
    let id = rec.id.clone();
    s.snapshots.insert(id.clone(), rec);
    ec2.regions.save(owner, &ctx.region, &s)?;
    Ok(CopySnapshotResult {
        tags: wire_tags(&tags),
        snapshot_id: Some(id),
    })
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteSnapshotRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    snapshot_or_err(&s, &i.snapshot_id)?;
    if let Some(image) = super::launch::image_using_snapshot(&s, &i.snapshot_id) {
        return Err(AwsError::bad_request(
            "InvalidSnapshot.InUse",
            format!(
                "The snapshot {} is currently in use by {image}",
                i.snapshot_id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    s.snapshots.remove(&i.snapshot_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

/// Whether `who` may see a snapshot owned by `owner`.
fn restorable(x: &SnapshotRec, owner: &str, who: &str) -> bool {
    who == owner || x.public || x.create_volume_users.iter().any(|u| u == who)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeSnapshotsRequest,
) -> Result<DescribeSnapshotsResult, AwsError> {
    dry_run(i.dry_run)?;
    let owner = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(owner, &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.snapshot_ids {
        for id in ids {
            snapshot_or_err(&s, id)?;
        }
    }
    let owners = i.owner_ids.clone().unwrap_or_default();
    let mine = owners.is_empty() || owners.iter().any(|o| o == "self" || o == owner);
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for x in s.snapshots.values() {
        if i.snapshot_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&x.id))
            || !mine
        {
            continue;
        }
        if let Some(users) = &i.restorable_by_user_ids {
            let hit = users.iter().any(|u| {
                let who = if u == "self" { owner } else { u.as_str() };
                restorable(x, owner, who)
            });
            if !hit {
                continue;
            }
        }
        if matches(&(x, owner, now), &filters)? {
            res.push(snapshot_out(x, owner, &ctx.region, now));
        }
    }
    let (snapshots, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeSnapshotsResult {
        next_token,
        snapshots: Some(snapshots),
    })
}

fn only_create_volume_permission(attr: &str) -> Result<(), AwsError> {
    if attr != "createVolumePermission" && attr != "productCodes" {
        return Err(invalid(format!(
            "Value ({attr}) for parameter attribute is invalid. Unknown attribute."
        )));
    }
    Ok(())
}

pub fn attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeSnapshotAttributeRequest,
) -> Result<DescribeSnapshotAttributeResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let x = snapshot_or_err(&s, &i.snapshot_id)?;
    only_create_volume_permission(&i.attribute)?;
    dry_run(i.dry_run)?;
    if i.attribute == "productCodes" {
        return Ok(DescribeSnapshotAttributeResult {
            product_codes: Some(vec![]),
            snapshot_id: Some(x.id.clone()),
            ..Default::default()
        });
    }
    let mut perms: Vec<CreateVolumePermission> = x
        .create_volume_users
        .iter()
        .map(|u| CreateVolumePermission {
            user_id: Some(u.clone()),
            group: None,
        })
        .collect();
    if x.public {
        perms.push(CreateVolumePermission {
            user_id: None,
            group: Some("all".into()),
        });
    }
    Ok(DescribeSnapshotAttributeResult {
        snapshot_id: Some(x.id.clone()),
        create_volume_permissions: Some(perms),
        ..Default::default()
    })
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifySnapshotAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    snapshot_or_err(&s, &i.snapshot_id)?;
    if let Some(a) = &i.attribute {
        if a != "createVolumePermission" {
            return Err(invalid(format!(
                "Value ({a}) for parameter attribute is invalid. Only createVolumePermission may be modified."
            )));
        }
    }
    let mut add: Vec<CreateVolumePermission> = Vec::new();
    let mut remove: Vec<CreateVolumePermission> = Vec::new();
    if let Some(m) = &i.create_volume_permission {
        add.extend(m.add.clone().unwrap_or_default());
        remove.extend(m.remove.clone().unwrap_or_default());
    }
    let listed: Vec<CreateVolumePermission> = i
        .user_ids
        .iter()
        .flatten()
        .map(|u| CreateVolumePermission {
            user_id: Some(u.clone()),
            group: None,
        })
        .chain(
            i.group_names
                .iter()
                .flatten()
                .map(|g| CreateVolumePermission {
                    user_id: None,
                    group: Some(g.clone()),
                }),
        )
        .collect();
    match i.operation_type.as_deref() {
        Some("add") => add.extend(listed),
        Some("remove") => remove.extend(listed),
        Some(other) => {
            return Err(invalid(format!(
                "Value ({other}) for parameter operationType is invalid."
            )));
        }
        None if !listed.is_empty() => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter operationType",
            ));
        }
        None => {}
    }
    for p in add.iter().chain(&remove) {
        if let Some(g) = &p.group {
            if g != "all" {
                return Err(invalid(format!(
                    "Value ({g}) for parameter group is invalid. Only 'all' is allowed."
                )));
            }
        }
        if let Some(u) = &p.user_id {
            if !stratus_core::ids::is_account_id(u) {
                return Err(invalid(format!(
                    "Value ({u}) for parameter userId is invalid. Parameter may only contain 12-digit account ids."
                )));
            }
        }
    }
    dry_run(i.dry_run)?;
    let x = s.snapshots.get_mut(&i.snapshot_id).expect("checked above");
    for p in add {
        if p.group.is_some() {
            x.public = true;
        }
        if let Some(u) = p.user_id {
            if !x.create_volume_users.contains(&u) {
                x.create_volume_users.push(u);
            }
        }
    }
    for p in remove {
        if p.group.is_some() {
            x.public = false;
        }
        if let Some(u) = p.user_id {
            x.create_volume_users.retain(|v| v != &u);
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}
