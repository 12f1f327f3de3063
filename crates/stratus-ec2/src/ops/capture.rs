//! CreateImage: an instance's volumes become snapshots, and the snapshots
//! an image others can launch. Where the instance runtime runs the
//! instance, its disk is copied too (see `runtime::disk`): the image stays
//! pending until the copy is done. Unless NoReboot, the instance's
//! processes stop for the copy and boot again after it, as AWS reboots the
//! instance to snapshot consistent volumes.

use stratus_core::{AwsError, RequestContext};

use super::dry_run;
use super::images::{check_name, check_unique};
use super::instances::instance_or_err;
use crate::Ec2;
use crate::generated::*;
use crate::state::{BlockDeviceRec, ImageRec, new_id};

/// How long an image made from an instance stays `pending`.
pub const CREATE_IMAGE_MS: i64 = 3_000;

pub fn create_image(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateImageRequest,
) -> Result<CreateImageResult, AwsError> {
    let account = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(account, &ctx.region);
    let mut s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?.clone();
    if !["running", "stopped"].contains(&x.state.as_str()) {
        return Err(AwsError::bad_request(
            "IncorrectInstanceState",
            format!(
                "The instance '{}' is not in a state from which it can be imaged.",
                x.id
            ),
        ));
    }
    check_name(&i.name)?;
    check_unique(&s, &i.name)?;
    let image_tags = super::tags_of(&i.tag_specifications, &["image", "snapshot"], "image")?;
    let snapshot_tags = super::tags_of(&i.tag_specifications, &["image", "snapshot"], "snapshot")?;
    let extra =
        super::images::block_devices(i.block_device_mappings.as_deref().unwrap_or_default())?;
    dry_run(i.dry_run)?;
    let id = new_id("ami");
    let mut devices = Vec::new();
    for b in &x.blocks {
        // A mapping with NoDevice leaves that volume out of the image.
        if extra.iter().any(|e| e.device == b.device && e.no_device) {
            continue;
        }
        let Some(v) = s.volumes.get(&b.volume).cloned() else {
            continue;
        };
        let description = format!("Created by CreateImage({}) for {id}", x.id);
        let snap = super::snapshots::take(&mut s, &v.id, &description, snapshot_tags.clone(), now)
            .ok_or_else(|| super::volumes::volume_not_found(&v.id))?;
        devices.push(BlockDeviceRec {
            device: b.device.clone(),
            snapshot: Some(snap),
            size_gib: Some(v.size),
            volume_type: Some(v.volume_type.clone()),
            delete_on_termination: b.delete_on_termination,
            encrypted: v.encrypted,
            iops: v.iops.filter(|_| v.volume_type != "gp2"),
            throughput: v.throughput,
            kms_key: v.kms_key.clone(),
            ..Default::default()
        });
    }
    let added: Vec<BlockDeviceRec> = extra
        .into_iter()
        .filter(|e| !e.no_device && !devices.iter().any(|d| d.device == e.device))
        .collect();
    devices.extend(added);
    let capture = ec2.runtime.get().is_some()
        && x.tags.get(crate::runtime::RUNTIME_TAG).map(String::as_str) != Some("none");
    let layers = if capture {
        std::iter::once(id.clone())
            .chain(x.layers.iter().cloned())
            .collect()
    } else {
        x.layers.clone()
    };
    let image = ImageRec {
        id: id.clone(),
        name: i.name.clone(),
        description: i.description.clone(),
        owner: account.to_string(),
        architecture: x.architecture.clone(),
        root_device_name: x.root_device.clone(),
        root_device_type: "ebs".into(),
        virtualization_type: x.virtualization.clone(),
        platform: x.platform.clone(),
        ena_support: x.ena_support,
        sriov_net_support: Some("simple".into()),
        block_devices: devices,
        created_ms: now,
        // The runtime makes a captured image available when its copy ends.
        ready_ms: if capture {
            i64::MAX
        } else {
            now + CREATE_IMAGE_MS
        },
        layers,
        root_dir: x.root_dir.clone(),
        capture: capture.then(|| x.id.clone()),
        source_instance: Some(x.id.clone()),
        tags: image_tags,
        ..Default::default()
    };
    s.images.insert(id.clone(), image);
    if i.no_reboot != Some(true) && x.state == "running" {
        if let Some(inst) = s.instances.get_mut(&x.id) {
            inst.boots += 1;
        }
    }
    ec2.regions.save(account, &ctx.region, &s)?;
    Ok(CreateImageResult { image_id: Some(id) })
}
