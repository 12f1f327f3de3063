//! What RunInstances looks up before it launches: the image, the instance
//! type, the key pair, the instance profile and any launch template.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::{FromValue, ToValue};

use super::instances::{ImageBlock, LaunchImage, profile_id};
use super::invalid;
use crate::Ec2;
use crate::generated::*;
use crate::state::RegionState;

/// The image an instance starts from, as the instance inherits it.
pub fn image(
    ec2: &Ec2,
    ctx: &RequestContext,
    s: &RegionState,
    id: &str,
) -> Result<LaunchImage, AwsError> {
    let img = super::images::image_for_launch(ec2, s, ctx.account_id(), &ctx.region, id)?;
    let state = img.state(ec2.now());
    if state != "available" {
        return Err(invalid(format!(
            "Image '{id}' is not in a valid state: {state}"
        )));
    }
    let blocks = img
        .block_devices
        .iter()
        .filter(|b| !b.no_device && b.virtual_name.is_none())
        .map(|b| ImageBlock {
            device: b.device.clone(),
            snapshot: b.snapshot.clone(),
            size: b.size_gib.unwrap_or(0),
            volume_type: b.volume_type.clone().unwrap_or_else(|| "gp2".into()),
            delete_on_termination: b.delete_on_termination,
            encrypted: b.encrypted,
            iops: b.iops,
            throughput: b.throughput,
        })
        .collect();
    Ok(LaunchImage {
        architecture: img.architecture.clone(),
        root_device: img.root_device_name.clone(),
        platform: img.platform.clone(),
        virtualization: img.virtualization_type.clone(),
        ena_support: img.ena_support,
        blocks,
        layers: img.layers.clone(),
        root_dir: img.root_dir.clone(),
    })
}

/// Refuses an instance type whose architecture cannot run the image. Types
/// the model knows but the catalogue lacks are taken as they are.
pub fn check_type(name: &str, arch: &str) -> Result<(), AwsError> {
    let Some(t) = crate::instance_type(name) else {
        return Ok(());
    };
    if !t.architectures.iter().any(|a| a == arch) {
        let theirs = t.architectures.first().map(String::as_str).unwrap_or("");
        return Err(invalid(format!(
            "The architecture '{theirs}' of the specified instance type does not match the architecture '{arch}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI."
        )));
    }
    Ok(())
}

pub fn check_key(s: &RegionState, name: &str) -> Result<(), AwsError> {
    super::keypairs::by_name(s, name).map(|_| ())
}

/// The instance profile's ARN and id, from its ARN or name.
pub fn profile(
    owner: &str,
    p: &IamInstanceProfileSpecification,
) -> Result<(String, String), AwsError> {
    let arn = match (&p.arn, &p.name) {
        (Some(arn), _) => {
            let ok = arn.starts_with("arn:aws:iam::") && arn.contains(":instance-profile/");
            if !ok {
                return Err(invalid(format!(
                    "Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"
                )));
            }
            arn.clone()
        }
        (None, Some(name)) => format!("arn:aws:iam::{owner}:instance-profile/{name}"),
        (None, None) => {
            return Err(invalid(
                "The parameter iamInstanceProfile must specify an arn or a name.",
            ));
        }
    };
    Ok((arn, profile_id()))
}

/// Launch template shapes and RunInstances shapes share their member
/// names, so one converts to the other through the wire value.
pub fn convert<A: ToValue, B: FromValue>(a: A) -> Result<B, AwsError> {
    B::from_value(a.to_value())
}

/// Fills what the request leaves out from a launch template version; what
/// the request names wins.
pub fn apply_template(
    s: &RegionState,
    i: &mut RunInstancesRequest,
    lt: &LaunchTemplateSpecification,
) -> Result<(), AwsError> {
    let d = super::templates::resolve_launch_template(
        s,
        lt.launch_template_id.as_deref(),
        lt.launch_template_name.as_deref(),
        lt.version.as_deref(),
    )?;
    i.image_id = i.image_id.take().or(d.image_id);
    i.instance_type = i.instance_type.take().or(d.instance_type);
    i.key_name = i.key_name.take().or(d.key_name);
    i.user_data = i.user_data.take().or(d.user_data);
    i.ebs_optimized = i.ebs_optimized.or(d.ebs_optimized);
    i.disable_api_termination = i.disable_api_termination.or(d.disable_api_termination);
    i.disable_api_stop = i.disable_api_stop.or(d.disable_api_stop);
    i.instance_initiated_shutdown_behavior = i
        .instance_initiated_shutdown_behavior
        .take()
        .or(d.instance_initiated_shutdown_behavior);
    let nics_named = i.network_interfaces.is_some() || i.subnet_id.is_some();
    if !nics_named && i.security_group_ids.is_none() && i.security_groups.is_none() {
        i.security_group_ids = d.security_group_ids;
        i.security_groups = d.security_groups;
    }
    if !nics_named {
        if let Some(n) = d.network_interfaces {
            i.network_interfaces = Some(convert(n)?);
        }
    }
    if i.block_device_mappings.is_none() {
        if let Some(b) = d.block_device_mappings {
            i.block_device_mappings = Some(convert(b)?);
        }
    }
    if i.iam_instance_profile.is_none() {
        if let Some(p) = d.iam_instance_profile {
            i.iam_instance_profile = Some(convert(p)?);
        }
    }
    if i.monitoring.is_none() {
        if let Some(m) = d.monitoring {
            i.monitoring = Some(convert(m)?);
        }
    }
    if i.placement.is_none() {
        if let Some(p) = d.placement {
            i.placement = Some(convert(p)?);
        }
    }
    if i.metadata_options.is_none() {
        if let Some(m) = d.metadata_options {
            i.metadata_options = Some(convert(m)?);
        }
    }
    if let Some(specs) = d.tag_specifications {
        let mut from_template: Vec<TagSpecification> = convert(specs)?;
        from_template.extend(i.tag_specifications.take().unwrap_or_default());
        i.tag_specifications = Some(from_template);
    }
    Ok(())
}

/// The image (if any) whose block devices come from a snapshot.
pub fn image_using_snapshot(s: &RegionState, snapshot: &str) -> Option<String> {
    s.images
        .values()
        .find(|i| {
            i.block_devices
                .iter()
                .any(|b| b.snapshot.as_deref() == Some(snapshot))
        })
        .map(|i| i.id.clone())
}
