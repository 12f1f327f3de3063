//! EBS volumes: their types' size and performance rules, attachment to
//! instances by device name, changes in place, and encryption by default.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::instances::instance_or_err;
use super::{check_id, dry_run, invalid, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::compute::{BlockRec, VolumeAttachRec, VolumeRec};
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{RegionState, Tags, new_id, zone_id, zones};

/// Size limits in GiB per volume type.
fn size_range(kind: &str) -> Option<(i32, i32)> {
    Some(match kind {
        "gp2" | "gp3" => (1, 16_384),
        "io1" => (4, 16_384),
        "io2" => (4, 65_536),
        "st1" | "sc1" => (125, 16_384),
        "standard" => (1, 1_024),
        _ => return None,
    })
}

fn combination(msg: String) -> AwsError {
    AwsError::bad_request("InvalidParameterCombination", msg)
}

/// Checks a volume's type, size, IOPS and throughput as EBS does. A size
/// of 0 means "from the snapshot" and is not checked here.
pub fn check_volume_shape(
    kind: &str,
    size: i32,
    iops: Option<i32>,
    throughput: Option<i32>,
) -> Result<(), AwsError> {
    let (min, max) = size_range(kind).ok_or_else(|| {
        invalid(format!(
            "Value ({kind}) for parameter volumeType is invalid. Valid types: [standard, io1, io2, gp2, sc1, st1, gp3]"
        ))
    })?;
    if size != 0 && size < min {
        return Err(invalid(format!(
            "Volume of {size}GiB is too small; minimum is {min}GiB."
        )));
    }
    if size > max {
        return Err(invalid(format!(
            "Volume of {size}GiB is too large; maximum is {max}GiB."
        )));
    }
    if throughput.is_some() && kind != "gp3" {
        return Err(combination(format!(
            "The parameter throughput is not supported for {kind} volumes."
        )));
    }
    match (kind, iops) {
        ("gp2" | "st1" | "sc1" | "standard", Some(_)) => Err(combination(format!(
            "The parameter iops is not supported for {kind} volumes."
        ))),
        ("io1" | "io2", None) => Err(AwsError::bad_request(
            "MissingParameter",
            format!("The parameter iops must be specified for {kind} volumes."),
        )),
        ("io1" | "io2" | "gp3", Some(n)) => {
            let (lo, hi, per_gib) = match kind {
                "io1" => (100, 64_000, 50),
                "io2" => (100, 256_000, 1_000),
                _ => (3_000, 16_000, 500),
            };
            if !(lo..=hi).contains(&n) {
                return Err(invalid(format!(
                    "Volume iops of {n} is too {}; {} is {}.",
                    if n < lo { "low" } else { "high" },
                    if n < lo { "minimum" } else { "maximum" },
                    if n < lo { lo } else { hi }
                )));
            }
            if size > 0 && n > size.saturating_mul(per_gib) && !(kind == "gp3" && n <= 3_000) {
                return Err(invalid(format!(
                    "Iops to volume size ratio of {:.6} is too high; maximum is {per_gib}.000000",
                    n as f64 / size as f64
                )));
            }
            check_throughput(kind, n, throughput)
        }
        _ => check_throughput(kind, 3_000, throughput),
    }
}

fn check_throughput(kind: &str, iops: i32, throughput: Option<i32>) -> Result<(), AwsError> {
    let Some(t) = throughput.filter(|_| kind == "gp3") else {
        return Ok(());
    };
    if !(125..=1_000).contains(&t) {
        return Err(invalid(format!(
            "Throughput of {t}MiB/s is out of range; valid values are from 125 to 1000."
        )));
    }
    if t as i64 * 4 > iops as i64 {
        return Err(invalid(format!(
            "Throughput to iops ratio of {:.6} is too high; maximum is 0.250000",
            t as f64 / iops as f64
        )));
    }
    Ok(())
}

/// The IOPS a volume reports: gp2's burst baseline (3 per GiB, 100 to
/// 16,000), gp3's 3,000 unless asked, io1/io2 as provisioned.
pub fn default_iops(kind: &str, size: i32, asked: Option<i32>) -> Option<i32> {
    match kind {
        "gp2" => Some((size.saturating_mul(3)).clamp(100, 16_000)),
        "gp3" => Some(asked.unwrap_or(3_000)),
        "io1" | "io2" => asked,
        _ => None,
    }
}

pub fn default_throughput(kind: &str, asked: Option<i32>) -> Option<i32> {
    (kind == "gp3").then(|| asked.unwrap_or(125))
}

pub fn volume_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidVolume.NotFound",
        format!("The volume '{id}' does not exist."),
    )
}

pub fn volume_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a VolumeRec, AwsError> {
    check_id(id, "vol", "InvalidVolumeID.Malformed")?;
    s.volumes.get(id).ok_or_else(|| volume_not_found(id))
}

fn attachment_out(v: &VolumeRec, a: &VolumeAttachRec, state: &str) -> VolumeAttachment {
    VolumeAttachment {
        delete_on_termination: Some(a.delete_on_termination),
        volume_id: Some(v.id.clone()),
        instance_id: Some(a.instance.clone()),
        device: Some(a.device.clone()),
        state: Some(state.into()),
        attach_time: Some(Timestamp(a.attached_ms)),
        ..Default::default()
    }
}

pub fn volume_out(v: &VolumeRec, owner: &str, region: &str, now: i64) -> Volume {
    Volume {
        availability_zone_id: zone_id(region, &v.az),
        iops: v.iops,
        tags: wire_tags(&v.tags),
        volume_type: Some(v.volume_type.clone()),
        fast_restored: Some(false),
        multi_attach_enabled: Some(v.multi_attach),
        throughput: v.throughput,
        volume_id: Some(v.id.clone()),
        size: Some(v.size),
        snapshot_id: Some(v.snapshot.clone().unwrap_or_default()),
        availability_zone: Some(v.az.clone()),
        state: Some(v.state(now).into()),
        create_time: Some(Timestamp(v.created_ms)),
        attachments: Some(
            v.attachment
                .iter()
                .map(|a| attachment_out(v, a, "attached"))
                .collect(),
        ),
        encrypted: Some(v.encrypted),
        kms_key_id: v.encrypted.then(|| {
            v.kms_key
                .clone()
                .unwrap_or_else(|| format!("arn:aws:kms:{region}:{owner}:alias/aws/ebs"))
        }),
        ..Default::default()
    }
}

impl Filterable for (&VolumeRec, i64) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (v, now) = self;
        let att = v.attachment.iter();
        Some(match name {
            "volume-id" => vec![v.id.clone()],
            "availability-zone" => vec![v.az.clone()],
            "size" => vec![v.size.to_string()],
            "volume-type" => vec![v.volume_type.clone()],
            "status" => vec![v.state(*now).into()],
            "snapshot-id" => v.snapshot.iter().cloned().collect(),
            "encrypted" => vec![v.encrypted.to_string()],
            "create-time" => vec![stratus_core::time::iso8601_millis(v.created_ms)],
            "multi-attach-enabled" => vec![v.multi_attach.to_string()],
            "fast-restored" => vec!["false".into()],
            "attachment.instance-id" => att.map(|a| a.instance.clone()).collect(),
            "attachment.device" => att.map(|a| a.device.clone()).collect(),
            "attachment.status" => att.map(|_| "attached".to_string()).collect(),
            "attachment.delete-on-termination" => {
                att.map(|a| a.delete_on_termination.to_string()).collect()
            }
            "attachment.attach-time" => att
                .map(|a| stratus_core::time::iso8601_millis(a.attached_ms))
                .collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

pub fn create(ec2: &Ec2, ctx: &RequestContext, i: CreateVolumeRequest) -> Result<Volume, AwsError> {
    let owner = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(owner, &ctx.region);
    let mut s = region.lock();
    let az = match (&i.availability_zone, &i.availability_zone_id) {
        (Some(az), _) => az.clone(),
        (None, Some(zid)) => zones(&ctx.region)
            .into_iter()
            .find(|z| &z.1 == zid)
            .map(|z| z.0)
            .ok_or_else(|| invalid(format!("Invalid availability zone: [{zid}]")))?,
        (None, None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter availabilityZone",
            ));
        }
    };
    if zone_id(&ctx.region, &az).is_none() {
        return Err(invalid(format!("Invalid availability zone: [{az}]")));
    }
    let kind = i.volume_type.clone().unwrap_or_else(|| "gp2".into());
    let snap_size = match &i.snapshot_id {
        Some(id) => Some(super::snapshots::snapshot_or_err(&s, id)?.size),
        None => None,
    };
    let size = match (i.size, snap_size) {
        (Some(n), Some(min)) if n < min => {
            return Err(invalid(format!(
                "Volume of {n}GiB is too small; minimum is {min}GiB."
            )));
        }
        (Some(n), _) => n,
        (None, Some(min)) => min,
        (None, None) => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter size or snapshotId",
            ));
        }
    };
    if size < 1 {
        return Err(invalid(format!(
            "Volume of {size}GiB is too small; minimum is 1GiB."
        )));
    }
    check_volume_shape(&kind, size, i.iops, i.throughput)?;
    if i.multi_attach_enabled == Some(true) && !["io1", "io2"].contains(&kind.as_str()) {
        return Err(invalid(format!(
            "The parameter multiAttachEnabled is not supported for {kind} volumes."
        )));
    }
    let tags = spec_tags(&i.tag_specifications, "volume")?;
    dry_run(i.dry_run)?;
    let snap_encrypted = i
        .snapshot_id
        .as_ref()
        .and_then(|id| s.snapshots.get(id))
        .is_some_and(|x| x.encrypted);
    let encrypted = i.encrypted.unwrap_or(false) || snap_encrypted || s.ebs_encryption_by_default;
    if i.kms_key_id.is_some() && !encrypted {
        return Err(invalid(
            "Specifying a KMS key requires the Encrypted flag to be set.",
        ));
    }
    let v = VolumeRec {
        id: new_id("vol"),
        size,
        az,
        iops: default_iops(&kind, size, i.iops),
        throughput: default_throughput(&kind, i.throughput),
        volume_type: kind,
        encrypted,
        kms_key: i.kms_key_id.clone(),
        snapshot: i.snapshot_id.clone(),
        created_ms: now,
        multi_attach: i.multi_attach_enabled.unwrap_or(false),
        tags,
        ..Default::default()
    };
    let out = volume_out(&v, owner, &ctx.region, now);
    s.volumes.insert(v.id.clone(), v);
    ec2.regions.save(owner, &ctx.region, &s)?;
    Ok(out)
}

pub fn delete(ec2: &Ec2, ctx: &RequestContext, i: DeleteVolumeRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let v = volume_or_err(&s, &i.volume_id)?;
    if let Some(a) = &v.attachment {
        return Err(AwsError::bad_request(
            "VolumeInUse",
            format!("Volume {} is currently attached to {}", v.id, a.instance),
        ));
    }
    dry_run(i.dry_run)?;
    s.volumes.remove(&i.volume_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVolumesRequest,
) -> Result<DescribeVolumesResult, AwsError> {
    dry_run(i.dry_run)?;
    let owner = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(owner, &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.volume_ids {
        for id in ids {
            volume_or_err(&s, id)?;
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for v in s.volumes.values() {
        if i.volume_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&v.id))
        {
            continue;
        }
        if matches(&(v, now), &filters)? {
            res.push(volume_out(v, owner, &ctx.region, now));
        }
    }
    let (volumes, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVolumesResult {
        next_token,
        volumes: Some(volumes),
    })
}

/// Device names Linux instances accept for EBS.
fn valid_device(d: &str) -> bool {
    let Some(rest) = d.strip_prefix("/dev/") else {
        return d.starts_with("xvd") && d.len() >= 4;
    };
    let name = rest.trim_start_matches("xvd").trim_start_matches("sd");
    rest.len() > name.len()
        && !name.is_empty()
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn attach(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AttachVolumeRequest,
) -> Result<VolumeAttachment, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let v = volume_or_err(&s, &i.volume_id)?;
    let inst = instance_or_err(&s, &i.instance_id)?;
    if !valid_device(&i.device) {
        return Err(invalid(format!(
            "Value ({}) for parameter device is invalid. {} is not a valid EBS device name.",
            i.device, i.device
        )));
    }
    if v.attachment.is_some() {
        return Err(AwsError::bad_request(
            "VolumeInUse",
            format!("{} is already attached to an instance", v.id),
        ));
    }
    if v.state(now) == "creating" {
        return Err(AwsError::bad_request(
            "IncorrectState",
            format!("Volume '{}' is in the 'creating' state.", v.id),
        ));
    }
    if !["running", "stopped"].contains(&inst.state.as_str()) {
        return Err(AwsError::bad_request(
            "IncorrectState",
            format!("Instance '{}' is not 'running'.", inst.id),
        ));
    }
    if v.az != inst.az {
        return Err(AwsError::bad_request(
            "InvalidVolume.ZoneMismatch",
            format!(
                "The volume '{}' is not in the same availability zone as instance '{}'",
                v.id, inst.id
            ),
        ));
    }
    if inst.blocks.iter().any(|b| b.device == i.device) {
        return Err(invalid(format!(
            "Invalid value '{}' for unixDevice. Attachment point {} is already in use",
            i.device, i.device
        )));
    }
    dry_run(i.dry_run)?;
    let att = VolumeAttachRec {
        instance: i.instance_id.clone(),
        device: i.device.clone(),
        attached_ms: now,
        delete_on_termination: false,
    };
    let out = attachment_out(v, &att, "attaching");
    if let Some(v) = s.volumes.get_mut(&i.volume_id) {
        v.attachment = Some(att);
    }
    if let Some(x) = s.instances.get_mut(&i.instance_id) {
        x.blocks.push(BlockRec {
            device: i.device.clone(),
            volume: i.volume_id.clone(),
            delete_on_termination: false,
            attached_ms: now,
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(out)
}

pub fn detach(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DetachVolumeRequest,
) -> Result<VolumeAttachment, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let v = volume_or_err(&s, &i.volume_id)?;
    let Some(a) = v.attachment.clone() else {
        return Err(AwsError::bad_request(
            "IncorrectState",
            format!("Volume '{}' is in the 'available' state.", v.id),
        ));
    };
    if let Some(want) = &i.instance_id {
        instance_or_err(&s, want)?;
        if want != &a.instance {
            return Err(AwsError::bad_request(
                "InvalidAttachment.NotFound",
                format!("The volume '{}' is not attached to instance '{want}'", v.id),
            ));
        }
    }
    if let Some(d) = &i.device {
        if d != &a.device {
            return Err(AwsError::bad_request(
                "InvalidAttachment.NotFound",
                format!("Volume '{}' is not attached at device '{d}'", v.id),
            ));
        }
    }
    let inst = &s.instances[&a.instance];
    if inst.root_device == a.device && inst.state != "stopped" && i.force != Some(true) {
        return Err(AwsError::bad_request(
            "IncorrectState",
            format!(
                "Unable to detach root volume '{}' from instance '{}'",
                v.id, inst.id
            ),
        ));
    }
    dry_run(i.dry_run)?;
    let out = attachment_out(v, &a, "detaching");
    if let Some(v) = s.volumes.get_mut(&i.volume_id) {
        v.attachment = None;
    }
    if let Some(x) = s.instances.get_mut(&a.instance) {
        x.blocks.retain(|b| b.volume != i.volume_id);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(out)
}

impl Filterable for (&VolumeRec, &VolumeModification) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (v, m) = self;
        Some(match name {
            "volume-id" => vec![v.id.clone()],
            "modification-state" => m.modification_state.iter().cloned().collect(),
            "target-volume-type" => vec![v.volume_type.clone()],
            "original-volume-type" => m.original_volume_type.iter().cloned().collect(),
            "target-size" => vec![v.size.to_string()],
            "original-size" => m.original_size.iter().map(|n| n.to_string()).collect(),
            "target-iops" => m.target_iops.iter().map(|n| n.to_string()).collect(),
            "original-iops" => m.original_iops.iter().map(|n| n.to_string()).collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

/// A volume as DescribeVolumeStatus filters it: every status check passes.
struct VolumeStatus<'a>(&'a VolumeRec);

impl Filterable for VolumeStatus<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "availability-zone" => vec![self.0.az.clone()],
            "volume-status.status" => vec!["ok".into()],
            "volume-status.details-name" => vec!["io-enabled".into(), "io-performance".into()],
            "volume-status.details-status" => vec!["passed".into(), "not-applicable".into()],
            "action.code" | "action.description" | "action.event-id" | "event.description"
            | "event.event-id" | "event.event-type" | "event.not-after" | "event.not-before" => {
                vec![]
            }
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

fn modification_out(v: &VolumeRec, now: i64) -> Option<VolumeModification> {
    let (size, kind, iops, throughput, started) = v.modification.clone()?;
    let done = now >= started + crate::compute::VOLUME_CREATING_MS;
    Some(VolumeModification {
        volume_id: Some(v.id.clone()),
        modification_state: Some(if done { "completed" } else { "modifying" }.into()),
        target_size: Some(v.size),
        target_iops: v.iops,
        target_volume_type: Some(v.volume_type.clone()),
        target_throughput: v.throughput,
        target_multi_attach_enabled: Some(v.multi_attach),
        original_size: Some(size),
        original_iops: iops,
        original_volume_type: Some(kind),
        original_throughput: throughput,
        original_multi_attach_enabled: Some(v.multi_attach),
        progress: Some(if done { 100 } else { 0 }),
        start_time: Some(Timestamp(started)),
        end_time: done.then_some(Timestamp(started + crate::compute::VOLUME_CREATING_MS)),
        ..Default::default()
    })
}

pub fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyVolumeRequest,
) -> Result<ModifyVolumeResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let v = volume_or_err(&s, &i.volume_id)?.clone();
    if let Some((.., started)) = &v.modification {
        if now < started + crate::compute::VOLUME_CREATING_MS {
            return Err(AwsError::bad_request(
                "IncorrectModificationState",
                format!("Volume {} is already being modified.", v.id),
            ));
        }
    }
    let size = i.size.unwrap_or(v.size);
    if size < v.size {
        return Err(invalid(format!(
            "New size cannot be smaller than existing size ({}GiB).",
            v.size
        )));
    }
    let kind = i
        .volume_type
        .clone()
        .unwrap_or_else(|| v.volume_type.clone());
    let iops = match &i.iops {
        Some(n) => Some(*n),
        None if ["io1", "io2"].contains(&kind.as_str()) => v.iops,
        None => None,
    };
    let throughput = i
        .throughput
        .or(if kind == "gp3" { v.throughput } else { None });
    check_volume_shape(&kind, size, iops.filter(|_| kind != "gp2"), throughput)?;
    if size == v.size && kind == v.volume_type && i.iops.is_none() && i.throughput.is_none() {
        return Err(invalid(
            "New modification must differ from existing volume configuration.",
        ));
    }
    dry_run(i.dry_run)?;
    let rec = s.volumes.get_mut(&i.volume_id).expect("checked above");
    rec.modification = Some((v.size, v.volume_type.clone(), v.iops, v.throughput, now));
    rec.size = size;
    rec.iops = default_iops(&kind, size, iops);
    rec.throughput = default_throughput(&kind, throughput);
    rec.volume_type = kind;
    let out = modification_out(rec, now);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ModifyVolumeResult {
        volume_modification: out,
    })
}

pub fn modifications(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVolumesModificationsRequest,
) -> Result<DescribeVolumesModificationsResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let mut out = Vec::new();
    if let Some(ids) = &i.volume_ids {
        for id in ids {
            let v = volume_or_err(&s, id)?;
            if v.modification.is_none() {
                return Err(AwsError::bad_request(
                    "InvalidVolumeModification.NotFound",
                    format!("Modification for volume '{id}' does not exist."),
                ));
            }
        }
    }
    for v in s.volumes.values() {
        if i.volume_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&v.id))
        {
            continue;
        }
        if let Some(m) = modification_out(v, now) {
            if matches(&(v, &m), i.filters.as_deref().unwrap_or_default())? {
                out.push(m);
            }
        }
    }
    let (list, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVolumesModificationsResult {
        next_token,
        volumes_modifications: Some(list),
    })
}

pub fn status(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVolumeStatusRequest,
) -> Result<DescribeVolumeStatusResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.volume_ids {
        for id in ids {
            volume_or_err(&s, id)?;
        }
    }
    let mut out = Vec::new();
    for v in s.volumes.values() {
        if i.volume_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&v.id))
        {
            continue;
        }
        let keep = matches(&VolumeStatus(v), i.filters.as_deref().unwrap_or_default())?;
        if !keep || v.state(now) == "creating" {
            continue;
        }
        out.push(VolumeStatusItem {
            actions: Some(vec![]),
            availability_zone: Some(v.az.clone()),
            events: Some(vec![]),
            volume_id: Some(v.id.clone()),
            volume_status: Some(VolumeStatusInfo {
                details: Some(vec![
                    VolumeStatusDetails {
                        name: Some("io-enabled".into()),
                        status: Some("passed".into()),
                    },
                    VolumeStatusDetails {
                        name: Some("io-performance".into()),
                        status: Some("not-applicable".into()),
                    },
                ]),
                status: Some("ok".into()),
            }),
            availability_zone_id: zone_id(&ctx.region, &v.az),
            ..Default::default()
        });
    }
    let (list, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeVolumeStatusResult {
        next_token,
        volume_statuses: Some(list),
    })
}

pub fn attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeVolumeAttributeRequest,
) -> Result<DescribeVolumeAttributeResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let v = volume_or_err(&s, &i.volume_id)?;
    dry_run(i.dry_run)?;
    let mut out = DescribeVolumeAttributeResult {
        volume_id: Some(v.id.clone()),
        ..Default::default()
    };
    match i.attribute.as_str() {
        "autoEnableIO" => {
            out.auto_enable_io = Some(AttributeBooleanValue {
                value: Some(v.auto_enable_io),
            })
        }
        "productCodes" => out.product_codes = Some(vec![]),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}

pub fn encryption_default(
    ec2: &Ec2,
    ctx: &RequestContext,
    set: Option<bool>,
) -> Result<bool, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    if let Some(on) = set {
        s.ebs_encryption_by_default = on;
        ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    }
    Ok(s.ebs_encryption_by_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_rules() {
        assert!(check_volume_shape("gp2", 8, None, None).is_ok());
        assert!(check_volume_shape("gp2", 8, Some(100), None).is_err());
        assert!(check_volume_shape("gp3", 100, Some(16_000), Some(1_000)).is_ok());
        assert!(check_volume_shape("gp3", 8, Some(3_000), Some(751)).is_err());
        assert!(check_volume_shape("io1", 10, None, None).is_err());
        assert!(check_volume_shape("io1", 10, Some(500), None).is_ok());
        assert!(check_volume_shape("io1", 10, Some(501), None).is_err());
        assert!(check_volume_shape("st1", 100, None, None).is_err());
        assert!(check_volume_shape("standard", 1025, None, None).is_err());
        assert!(check_volume_shape("gp4", 8, None, None).is_err());
        assert!(check_volume_shape("gp2", 8, None, Some(125)).is_err());
    }

    #[test]
    fn reported_iops() {
        assert_eq!(default_iops("gp2", 8, None), Some(100));
        assert_eq!(default_iops("gp2", 1000, None), Some(3000));
        assert_eq!(default_iops("gp3", 8, None), Some(3000));
        assert_eq!(default_iops("st1", 500, None), None);
    }

    #[test]
    fn device_names() {
        assert!(valid_device("/dev/sdf"));
        assert!(valid_device("/dev/xvdh"));
        assert!(valid_device("xvdg"));
        assert!(!valid_device("/dev/"));
        assert!(!valid_device("sdf"));
        assert!(!valid_device("/dev/hda"));
    }
}
