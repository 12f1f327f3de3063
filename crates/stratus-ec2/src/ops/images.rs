//! Images (AMIs): the public catalogue, images accounts register or copy,
//! launch permissions that share them, and the lookup RunInstances uses.

use stratus_core::time::iso8601_millis;
use stratus_core::{AwsError, RequestContext, ids};

use super::{check_id, dry_run, invalid, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::images;
use crate::state::{BlockDeviceRec, ImageRec, RegionState, Tags, new_id};

/// How long a copied image stays `pending` before it is `available`.
pub const COPY_IMAGE_MS: i64 = 2_000;

const ARCHITECTURES: &[&str] = &["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"];

pub fn image_not_found(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidAMIID.NotFound",
        format!("The image id '[{id}]' does not exist"),
    )
}

fn check_ami(id: &str) -> Result<(), AwsError> {
    check_id(id, "ami", "InvalidAMIID.Malformed")
}

fn not_authorized(id: &str) -> AwsError {
    AwsError::bad_request("AuthFailure", format!("Not authorized for image:{id}"))
}

/// The catalogue images of a region (built-in and the user's file).
pub fn catalogue(ec2: &Ec2, region: &str) -> Vec<ImageRec> {
    ec2.catalogue
        .iter()
        .map(|d| images::record(d, region))
        .collect()
}

/// Every image `account` can see in a region: its own (from `s`, the
/// region's state the caller holds), those others share with it, and the
/// public catalogue.
pub fn visible(ec2: &Ec2, s: &RegionState, account: &str, region: &str) -> Vec<ImageRec> {
    let mut out: Vec<ImageRec> = s.images.values().cloned().collect();
    out.extend(ec2.regions.shared_with(account, region));
    out.extend(catalogue(ec2, region));
    out
}

/// The image RunInstances (or CopyImage) launches from: the account's own,
/// one shared with it, or a catalogue image.
pub fn image_for_launch(
    ec2: &Ec2,
    s: &RegionState,
    account: &str,
    region: &str,
    id: &str,
) -> Result<ImageRec, AwsError> {
    check_ami(id)?;
    if let Some(img) = s.images.get(id) {
        return Ok(img.clone());
    }
    if let Some(img) = ec2
        .regions
        .shared_with(account, region)
        .into_iter()
        .find(|i| i.id == id)
    {
        return Ok(img);
    }
    catalogue(ec2, region)
        .into_iter()
        .find(|i| i.id == id)
        .ok_or_else(|| image_not_found(id))
}

struct View<'a> {
    img: &'a ImageRec,
    now: i64,
}

fn platform_details(img: &ImageRec) -> &'static str {
    if img.platform.as_deref() == Some("windows") {
        "Windows"
    } else {
        "Linux/UNIX"
    }
}

fn usage_operation(img: &ImageRec) -> &'static str {
    if img.platform.as_deref() == Some("windows") {
        "RunInstances:0002"
    } else {
        "RunInstances"
    }
}

fn location(img: &ImageRec) -> String {
    img.image_location.clone().unwrap_or_else(|| {
        format!(
            "{}/{}",
            img.owner_alias.as_deref().unwrap_or(&img.owner),
            img.name
        )
    })
}

impl Filterable for View<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let i = self.img;
        let opt = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let bd = |f: &dyn Fn(&BlockDeviceRec) -> Option<String>| {
            i.block_devices.iter().filter_map(f).collect::<Vec<_>>()
        };
        Some(match name {
            "architecture" => vec![i.architecture.clone()],
            "block-device-mapping.delete-on-termination" => bd(&|b| {
                (!b.no_device && b.virtual_name.is_none())
                    .then(|| b.delete_on_termination.to_string())
            }),
            "block-device-mapping.device-name" => bd(&|b| Some(b.device.clone())),
            "block-device-mapping.snapshot-id" => bd(&|b| b.snapshot.clone()),
            "block-device-mapping.volume-size" => bd(&|b| b.size_gib.map(|s| s.to_string())),
            "block-device-mapping.volume-type" => bd(&|b| b.volume_type.clone()),
            "block-device-mapping.encrypted" => {
                bd(
                    &|b| {
                        (!b.no_device && b.virtual_name.is_none()).then(|| b.encrypted.to_string())
                    },
                )
            }
            "creation-date" => vec![iso8601_millis(i.created_ms)],
            "description" => opt(&i.description),
            "ena-support" => vec![i.ena_support.to_string()],
            "free-tier-eligible" => vec![(i.platform.is_none() || i.public).to_string()],
            "hypervisor" => vec!["xen".into()],
            "image-allowed" => vec!["true".into()],
            "image-id" => vec![i.id.clone()],
            "image-type" => vec!["machine".into()],
            "is-public" => vec![i.public.to_string()],
            "kernel-id" => opt(&i.kernel_id),
            "ramdisk-id" => opt(&i.ramdisk_id),
            "manifest-location" => vec![location(i)],
            "name" => vec![i.name.clone()],
            "owner-alias" => opt(&i.owner_alias),
            "owner-id" => vec![i.owner.clone()],
            "platform" => opt(&i.platform),
            "platform-details" => vec![platform_details(i).into()],
            "usage-operation" => vec![usage_operation(i).into()],
            "product-code" | "product-code.type" | "state-reason-code" | "state-reason-message" => {
                Vec::new()
            }
            "root-device-name" => vec![i.root_device_name.clone()],
            "root-device-type" => vec![i.root_device_type.clone()],
            "source-image-id" => opt(&i.source_image),
            "source-image-region" => opt(&i.source_region),
            "source-instance-id" => opt(&i.source_instance),
            "sriov-net-support" => opt(&i.sriov_net_support),
            "state" => vec![i.state(self.now).to_string()],
            "virtualization-type" => vec![i.virtualization_type.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.img.tags
    }
}

fn wire_bdm(b: &BlockDeviceRec) -> BlockDeviceMapping {
    let ebs = (!b.no_device && b.virtual_name.is_none()).then(|| EbsBlockDevice {
        delete_on_termination: Some(b.delete_on_termination),
        iops: b.iops,
        snapshot_id: b.snapshot.clone(),
        volume_size: b.size_gib,
        volume_type: b.volume_type.clone(),
        kms_key_id: b.kms_key.clone(),
        throughput: b.throughput,
        encrypted: Some(b.encrypted),
        ..Default::default()
    });
    BlockDeviceMapping {
        ebs,
        no_device: b.no_device.then(String::new),
        device_name: Some(b.device.clone()),
        virtual_name: b.virtual_name.clone(),
    }
}

/// An image as DescribeImages shows it to `viewer` (tags only to the owner).
pub fn out(img: &ImageRec, now: i64, viewer: &str) -> Image {
    let state = img.state(now).to_string();
    Image {
        platform_details: Some(platform_details(img).into()),
        usage_operation: Some(usage_operation(img).into()),
        block_device_mappings: Some(img.block_devices.iter().map(wire_bdm).collect()),
        description: img.description.clone(),
        ena_support: img.ena_support.then_some(true),
        hypervisor: Some("xen".into()),
        image_owner_alias: img.owner_alias.clone(),
        name: Some(img.name.clone()),
        root_device_name: Some(img.root_device_name.clone()),
        root_device_type: Some(img.root_device_type.clone()),
        sriov_net_support: img.sriov_net_support.clone(),
        tags: if img.owner == viewer {
            wire_tags(&img.tags)
        } else {
            None
        },
        virtualization_type: Some(img.virtualization_type.clone()),
        boot_mode: img.boot_mode.clone(),
        imds_support: img.imds_support.clone(),
        deprecation_time: img.deprecation_ms.map(iso8601_millis),
        source_instance_id: img.source_instance.clone(),
        source_image_id: img.source_image.clone(),
        source_image_region: img.source_region.clone(),
        image_id: Some(img.id.clone()),
        image_location: Some(location(img)),
        state: Some(state),
        owner_id: Some(img.owner.clone()),
        creation_date: Some(iso8601_millis(img.created_ms)),
        public: Some(img.public),
        architecture: Some(img.architecture.clone()),
        image_type: Some("machine".into()),
        kernel_id: img.kernel_id.clone(),
        ramdisk_id: img.ramdisk_id.clone(),
        platform: img.platform.clone(),
        ..Default::default()
    }
}

/// AWS's rule for image names: 3 to 128 characters of letters, digits and
/// `( ) [ ] . / - ' @ _` and spaces.
pub fn check_name(name: &str) -> Result<(), AwsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "()[]./-'@_ ".contains(c);
    if !(3..=128).contains(&name.len()) || !name.chars().all(ok_char) {
        return Err(AwsError::bad_request(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'",
        ));
    }
    Ok(())
}

/// Image names are unique per account and region.
pub fn check_unique(s: &RegionState, name: &str) -> Result<(), AwsError> {
    if let Some(other) = s.images.values().find(|i| i.name == name) {
        return Err(AwsError::bad_request(
            "InvalidAMIName.Duplicate",
            format!("AMI name {name} is already in use by AMI {}", other.id),
        ));
    }
    Ok(())
}

/// Block device mappings of a request as records (snapshots are taken as
/// given; their volumes' sizes default to 8 GiB).
pub fn block_devices(m: &[BlockDeviceMapping]) -> Result<Vec<BlockDeviceRec>, AwsError> {
    let mut out = Vec::new();
    for b in m {
        let device = b
            .device_name
            .clone()
            .ok_or_else(|| invalid("The request must contain the parameter deviceName"))?;
        let mut r = BlockDeviceRec {
            device,
            virtual_name: b.virtual_name.clone(),
            no_device: b.no_device.is_some(),
            ..Default::default()
        };
        if let Some(e) = &b.ebs {
            if let Some(snap) = &e.snapshot_id {
                check_id(snap, "snap", "InvalidSnapshotID.Malformed")?;
            }
            if let Some(t) = &e.volume_type {
                if !["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"].contains(&t.as_str()) {
                    return Err(invalid(format!(
                        "Value ({t}) for parameter volumeType is invalid. Valid values are: standard, io1, io2, gp2, sc1, st1, gp3"
                    )));
                }
            }
            if e.snapshot_id.is_none() && e.volume_size.is_none() {
                return Err(AwsError::bad_request(
                    "InvalidBlockDeviceMapping",
                    format!(
                        "The request must contain either a snapshot id or a volume size for device {}",
                        r.device
                    ),
                ));
            }
            r.snapshot = e.snapshot_id.clone();
            r.size_gib = e.volume_size.or(Some(8));
            r.volume_type = Some(e.volume_type.clone().unwrap_or_else(|| "gp2".into()));
            r.delete_on_termination = e.delete_on_termination.unwrap_or(true);
            r.encrypted = e.encrypted.unwrap_or(false);
            r.iops = e.iops;
            r.throughput = e.throughput;
            r.kms_key = e.kms_key_id.clone();
        }
        out.push(r);
    }
    Ok(out)
}

pub fn register(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: RegisterImageRequest,
) -> Result<RegisterImageResult, AwsError> {
    check_name(&i.name)?;
    let arch = i.architecture.clone().unwrap_or_else(|| "x86_64".into());
    if !ARCHITECTURES.contains(&arch.as_str()) {
        return Err(invalid(format!(
            "Value ({arch}) for parameter architecture is invalid. Valid values are: i386, x86_64, arm64, x86_64_mac, arm64_mac"
        )));
    }
    let virt = i
        .virtualization_type
        .clone()
        .unwrap_or_else(|| "paravirtual".into());
    if virt != "hvm" && virt != "paravirtual" {
        return Err(invalid(format!(
            "Value ({virt}) for parameter virtualizationType is invalid. Valid values are: hvm, paravirtual"
        )));
    }
    let devices = block_devices(i.block_device_mappings.as_deref().unwrap_or_default())?;
    let (root_name, root_type) = match (&i.image_location, &i.root_device_name) {
        (_, Some(root)) if !devices.is_empty() => {
            let dev = devices.iter().find(|d| &d.device == root).ok_or_else(|| {
                invalid(format!(
                    "Invalid root device name: {root}; it must be one of the block device mapping's device names"
                ))
            })?;
            if dev.snapshot.is_none() {
                return Err(AwsError::bad_request(
                    "InvalidBlockDeviceMapping",
                    format!("The root device {root} must be created from a snapshot"),
                ));
            }
            (root.clone(), "ebs")
        }
        (Some(_), root) => (
            root.clone().unwrap_or_else(|| "/dev/sda1".into()),
            "instance-store",
        ),
        (None, None) if !devices.is_empty() => {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter rootDeviceName",
            ));
        }
        _ => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "Either imageLocation or blockDeviceMapping (with rootDeviceName) must be specified",
            ));
        }
    };
    let tags = spec_tags(&i.tag_specifications, "image")?;
    let root_dir = root_directory(&tags)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_unique(&s, &i.name)?;
    dry_run(i.dry_run)?;
    let id = new_id("ami");
    let img = ImageRec {
        id: id.clone(),
        name: i.name.clone(),
        description: i.description.clone(),
        owner: ctx.account_id().to_string(),
        architecture: arch,
        root_device_name: root_name,
        root_device_type: root_type.into(),
        virtualization_type: virt,
        ena_support: i.ena_support == Some(true),
        sriov_net_support: i.sriov_net_support.clone(),
        boot_mode: i.boot_mode.clone(),
        imds_support: i.imds_support.clone(),
        image_location: i.image_location.clone(),
        kernel_id: i.kernel_id.clone(),
        ramdisk_id: i.ramdisk_id.clone(),
        block_devices: devices,
        created_ms: ec2.now(),
        root_dir,
        tags,
        ..Default::default()
    };
    s.images.insert(id.clone(), img);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(RegisterImageResult { image_id: Some(id) })
}

/// The tag that gives a registered image a root filesystem of its own (a
/// directory on this machine, e.g. made by debootstrap) for the instance
/// runtime, instead of the host's `/`.
pub const ROOT_DIRECTORY_TAG: &str = "stratus:root-directory";

fn root_directory(tags: &Tags) -> Result<Option<String>, AwsError> {
    let Some(dir) = tags.get(ROOT_DIRECTORY_TAG) else {
        return Ok(None);
    };
    if !dir.starts_with('/') || dir.contains([',', ':', '\\']) {
        return Err(invalid(format!(
            "Value ({dir}) for tag {ROOT_DIRECTORY_TAG} is invalid. It must be an absolute directory path without ',', ':' or '\\'."
        )));
    }
    Ok(Some(dir.clone()))
}

/// The account's own image, or the error AWS gives for one it does not own.
fn own_image<'a>(
    ec2: &Ec2,
    s: &'a RegionState,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a ImageRec, AwsError> {
    check_ami(id)?;
    if let Some(img) = s.images.get(id) {
        return Ok(img);
    }
    match image_for_launch(ec2, s, ctx.account_id(), &ctx.region, id) {
        Ok(_) => Err(not_authorized(id)),
        Err(e) => Err(e),
    }
}

pub fn deregister(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeregisterImageRequest,
) -> Result<DeregisterImageResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    own_image(ec2, &s, ctx, &i.image_id)?;
    dry_run(i.dry_run)?;
    s.images.remove(&i.image_id);
    ec2.regions.withdraw(&ctx.region, &i.image_id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeregisterImageResult {
        r#return: Some(true),
        delete_snapshot_results: None,
    })
}

fn owner_matches(img: &ImageRec, owners: &[String], account: &str) -> bool {
    owners.iter().any(|o| match o.as_str() {
        "self" => img.owner == account,
        "amazon" | "aws-marketplace" | "aws-backup-vault" => {
            img.owner_alias.as_deref() == Some(o.as_str())
        }
        id => img.owner == id,
    })
}

fn executable_by(img: &ImageRec, users: &[String], account: &str) -> bool {
    users.iter().any(|u| match u.as_str() {
        "all" => img.public,
        "self" => img.owner == account || img.launch_users.iter().any(|x| x == account),
        id => img.owner == id || img.launch_users.iter().any(|x| x == id),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeImagesRequest,
) -> Result<DescribeImagesResult, AwsError> {
    let account = ctx.account_id();
    for id in i.image_ids.iter().flatten() {
        check_ami(id)?;
    }
    for o in i.owners.iter().flatten() {
        let known = ["self", "amazon", "aws-marketplace", "aws-backup-vault"];
        if !known.contains(&o.as_str()) && !ids::is_account_id(o) {
            return Err(AwsError::bad_request(
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{o}\""),
            ));
        }
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(account, &ctx.region);
    let s = region.lock();
    let now = ec2.now();
    let all = visible(ec2, &s, account, &ctx.region);
    drop(s);
    if let Some(ids) = &i.image_ids {
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !all.iter().any(|img| &img.id == *id))
            .map(|s| s.as_str())
            .collect();
        match missing.as_slice() {
            [] => {}
            [one] => return Err(image_not_found(one)),
            many => {
                return Err(AwsError::bad_request(
                    "InvalidAMIID.NotFound",
                    format!("The image ids '[{}]' do not exist", many.join(", ")),
                ));
            }
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for img in &all {
        if i.image_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&img.id))
            || i.owners
                .as_ref()
                .is_some_and(|o| !o.is_empty() && !owner_matches(img, o, account))
            || i.executable_users
                .as_ref()
                .is_some_and(|u| !u.is_empty() && !executable_by(img, u, account))
        {
            continue;
        }
        // Deprecated images show only when asked for, or by id.
        let deprecated = img.deprecation_ms.is_some_and(|d| d <= now);
        if deprecated && i.include_deprecated != Some(true) && i.image_ids.is_none() {
            continue;
        }
        if matches(&View { img, now }, &filters)? {
            res.push(out(img, now, account));
        }
    }
    res.sort_by(|a, b| a.image_id.cmp(&b.image_id));
    let (images, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeImagesResult {
        images: Some(images),
        next_token,
    })
}

pub fn copy(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CopyImageRequest,
) -> Result<CopyImageResult, AwsError> {
    let account = ctx.account_id();
    check_name(&i.name)?;
    check_ami(&i.source_image_id)?;
    if !crate::state::REGIONS.contains(&i.source_region.as_str()) {
        return Err(invalid(format!("Invalid region: {}", i.source_region)));
    }
    let tags = spec_tags(&i.tag_specifications, "image")?;
    // The source region's state is read and released before the
    // destination's is locked.
    let src = {
        let r = ec2.regions.get(account, &i.source_region);
        let s = r.lock();
        image_for_launch(ec2, &s, account, &i.source_region, &i.source_image_id)?
    };
    let now = ec2.now();
    if src.state(now) != "available" {
        return Err(AwsError::bad_request(
            "InvalidAMIID.Unavailable",
            format!("The image id '[{}]' is not available", src.id),
        ));
    }
    let region = ec2.regions.get(account, &ctx.region);
    let mut s = region.lock();
    check_unique(&s, &i.name)?;
    dry_run(i.dry_run)?;
    let mut img_tags = if i.copy_image_tags == Some(true) && src.owner == account {
        src.tags.clone()
    } else {
        Tags::new()
    };
    img_tags.extend(tags);
    let encrypted = i.encrypted == Some(true);
    let id = new_id("ami");
    let img = ImageRec {
        id: id.clone(),
        name: i.name.clone(),
        description: Some(i.description.clone().unwrap_or_else(|| {
            format!("[Copied {} from {}] {}", src.id, i.source_region, src.name)
        })),
        owner: account.to_string(),
        owner_alias: None,
        image_location: None,
        block_devices: src
            .block_devices
            .iter()
            .map(|b| BlockDeviceRec {
                encrypted: b.encrypted || (encrypted && b.virtual_name.is_none() && !b.no_device),
                kms_key: i.kms_key_id.clone().or_else(|| b.kms_key.clone()),
                ..b.clone()
            })
            .collect(),
        launch_users: Vec::new(),
        public: false,
        created_ms: now,
        ready_ms: now + COPY_IMAGE_MS,
        state_override: None,
        source_image: Some(src.id.clone()),
        source_region: Some(i.source_region.clone()),
        deprecation_ms: None,
        tags: img_tags,
        ..src
    };
    s.images.insert(id.clone(), img);
    ec2.regions.save(account, &ctx.region, &s)?;
    Ok(CopyImageResult { image_id: Some(id) })
}

fn attribute_value(v: &Option<String>) -> Option<AttributeValue> {
    Some(AttributeValue { value: v.clone() })
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeImageAttributeRequest,
) -> Result<ImageAttribute, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let img = own_image(ec2, &s, ctx, &i.image_id)?;
    let mut res = ImageAttribute {
        image_id: Some(img.id.clone()),
        ..Default::default()
    };
    match i.attribute.as_str() {
        "description" => res.description = attribute_value(&img.description),
        "kernel" => res.kernel_id = attribute_value(&img.kernel_id),
        "ramdisk" => res.ramdisk_id = attribute_value(&img.ramdisk_id),
        "sriovNetSupport" => res.sriov_net_support = attribute_value(&img.sriov_net_support),
        "bootMode" => res.boot_mode = attribute_value(&img.boot_mode),
        "imdsSupport" => res.imds_support = attribute_value(&img.imds_support),
        "tpmSupport" | "uefiData" | "lastLaunchedTime" => {}
        "deregistrationProtection" => {
            res.deregistration_protection = attribute_value(&Some("disabled".into()))
        }
        "productCodes" => res.product_codes = Some(Vec::new()),
        "blockDeviceMapping" => {
            res.block_device_mappings = Some(img.block_devices.iter().map(wire_bdm).collect())
        }
        "launchPermission" => {
            let mut perms: Vec<LaunchPermission> = Vec::new();
            if img.public {
                perms.push(LaunchPermission {
                    group: Some("all".into()),
                    ..Default::default()
                });
            }
            perms.extend(img.launch_users.iter().map(|u| LaunchPermission {
                user_id: Some(u.clone()),
                ..Default::default()
            }));
            res.launch_permissions = Some(perms);
        }
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    dry_run(i.dry_run)?;
    Ok(res)
}

fn bad_item(kind: &str, v: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidAMIAttributeItemValue",
        format!("Invalid attribute item value \"{v}\" for {kind} item type."),
    )
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyImageAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    own_image(ec2, &s, ctx, &i.image_id)?;
    // Launch permission changes: the structured form and the flat one.
    let mut add: Vec<LaunchPermission> = Vec::new();
    let mut remove: Vec<LaunchPermission> = Vec::new();
    if let Some(lp) = &i.launch_permission {
        add.extend(lp.add.iter().flatten().cloned());
        remove.extend(lp.remove.iter().flatten().cloned());
    }
    let flat: Vec<LaunchPermission> = i
        .user_ids
        .iter()
        .flatten()
        .map(|u| LaunchPermission {
            user_id: Some(u.clone()),
            ..Default::default()
        })
        .chain(i.user_groups.iter().flatten().map(|g| LaunchPermission {
            group: Some(g.clone()),
            ..Default::default()
        }))
        .collect();
    if !flat.is_empty() {
        match i.operation_type.as_deref() {
            Some("add") => add.extend(flat),
            Some("remove") => remove.extend(flat),
            _ => {
                return Err(AwsError::bad_request(
                    "MissingParameter",
                    "The request must contain the parameter operationType",
                ));
            }
        }
    }
    for p in add.iter().chain(&remove) {
        if let Some(u) = &p.user_id {
            if !ids::is_account_id(u) {
                return Err(bad_item("userId", u));
            }
        }
        if let Some(g) = &p.group {
            if g != "all" {
                return Err(bad_item("group", g));
            }
        }
    }
    let description = match (&i.description, i.attribute.as_deref(), &i.value) {
        (Some(d), _, _) => Some(d.value.clone()),
        (None, Some("description"), v) => Some(v.clone()),
        _ => None,
    };
    let imds = i.imds_support.as_ref().map(|v| v.value.clone());
    if add.is_empty() && remove.is_empty() && description.is_none() && imds.is_none() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter launchPermission, description or imdsSupport",
        ));
    }
    dry_run(i.dry_run)?;
    let Some(img) = s.images.get_mut(&i.image_id) else {
        return Err(image_not_found(&i.image_id));
    };
    for p in &add {
        if p.group.is_some() {
            img.public = true;
        }
        if let Some(u) = &p.user_id {
            if !img.launch_users.contains(u) {
                img.launch_users.push(u.clone());
            }
        }
    }
    for p in &remove {
        if p.group.is_some() {
            img.public = false;
        }
        if let Some(u) = &p.user_id {
            img.launch_users.retain(|x| x != u);
        }
    }
    if let Some(d) = description {
        img.description = d;
    }
    if let Some(v) = imds {
        img.imds_support = v;
    }
    let img = img.clone();
    ec2.regions.publish(&ctx.region, &img);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn reset_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ResetImageAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    own_image(ec2, &s, ctx, &i.image_id)?;
    if i.attribute != "launchPermission" {
        return Err(invalid(format!(
            "Value ({}) for parameter attribute is invalid. Only launchPermission can be reset.",
            i.attribute
        )));
    }
    dry_run(i.dry_run)?;
    if let Some(img) = s.images.get_mut(&i.image_id) {
        img.public = false;
        img.launch_users.clear();
        let img = img.clone();
        ec2.regions.publish(&ctx.region, &img);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        assert!(check_name("my web server (v1.2) [2024]").is_ok());
        assert!(check_name("ab").is_err());
        assert!(check_name(&"a".repeat(129)).is_err());
        assert!(check_name("bad*name").is_err());
    }

    #[test]
    fn pending_then_available() {
        let img = ImageRec {
            created_ms: 1000,
            ready_ms: 1000 + COPY_IMAGE_MS,
            ..Default::default()
        };
        assert_eq!(img.state(1500), "pending");
        assert_eq!(img.state(3000), "available");
    }

    #[test]
    fn owners_and_executable_users() {
        let img = ImageRec {
            owner: "111111111111".into(),
            launch_users: vec!["222222222222".into()],
            ..Default::default()
        };
        assert!(owner_matches(&img, &["self".into()], "111111111111"));
        assert!(!owner_matches(&img, &["amazon".into()], "111111111111"));
        assert!(executable_by(&img, &["self".into()], "222222222222"));
        assert!(!executable_by(&img, &["all".into()], "222222222222"));
        assert!(img.launchable_by("222222222222") && !img.launchable_by("333333333333"));
    }
}
