//! Launch configurations: create (from parameters or an instance),
//! describe, delete (refused while a group uses one).

use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::AutoScaling;
use crate::errors::{already_exists, in_use, limit_exceeded, validation};
use crate::generated::*;
use crate::state::LaunchConfig;
use crate::wire::{give, keep, page};

const MAX_CONFIGS: usize = 200;

pub fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:launchConfiguration:{}:launchConfigurationName/{name}",
        ctx.region,
        ctx.account_id(),
        ids::uuid_v4()
    )
}

pub fn create_launch_configuration(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: CreateLaunchConfigurationType,
) -> Result<(), AwsError> {
    let name = input.launch_configuration_name.clone();
    let mut image_id = input.image_id.clone();
    let mut instance_type = input.instance_type.clone();
    let mut key_name = input.key_name.clone();
    if let Some(id) = &input.instance_id {
        let view = asg
            .instances
            .as_ref()
            .and_then(|e| {
                e.describe(ctx.account_id(), &ctx.region, std::slice::from_ref(id))
                    .pop()
            })
            .filter(|v| v.state != "terminated")
            .ok_or_else(|| validation(format!("Instance [{id}] is invalid.")))?;
        image_id = image_id.or(Some(view.image_id));
        instance_type = instance_type.or(Some(view.instance_type));
        key_name = key_name.or(None);
    }
    let (Some(image_id), Some(instance_type)) = (image_id, instance_type) else {
        return Err(validation(
            "Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.",
        ));
    };
    if let Some(t) = &input.placement_tenancy {
        if !matches!(t.as_str(), "default" | "dedicated") {
            return Err(validation(format!(
                "Invalid placement tenancy: {t}. Valid values are default and dedicated."
            )));
        }
    }
    let lc = LaunchConfig {
        name: name.clone(),
        arn: arn(ctx, &name),
        image_id,
        instance_type,
        key_name,
        security_groups: input.security_groups.clone().unwrap_or_default(),
        user_data: input.user_data.clone(),
        iam_instance_profile: input.iam_instance_profile.clone(),
        monitoring: input.instance_monitoring.as_ref().and_then(|m| m.enabled),
        associate_public_ip: input.associate_public_ip_address,
        ebs_optimized: input.ebs_optimized,
        placement_tenancy: input.placement_tenancy.clone(),
        spot_price: input.spot_price.clone(),
        kernel_id: input.kernel_id.clone(),
        ramdisk_id: input.ramdisk_id.clone(),
        block_devices: input.block_device_mappings.clone().map(keep),
        metadata_options: input.metadata_options.clone().map(keep),
        created_ms: ctx.clock.now_millis(),
    };
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        if r.launch_configs.contains_key(&name) {
            return Err(already_exists(format!(
                "Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"
            )));
        }
        if r.launch_configs.len() >= MAX_CONFIGS {
            return Err(limit_exceeded(format!(
                "You have reached your maximum number of launch configurations ({MAX_CONFIGS})."
            )));
        }
        r.launch_configs.insert(name.clone(), lc);
        Ok(())
    })
}

pub fn delete_launch_configuration(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: LaunchConfigurationNameType,
) -> Result<(), AwsError> {
    let name = input.launch_configuration_name;
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        if !r.launch_configs.contains_key(&name) {
            return Err(validation(format!(
                "Launch configuration name not found - Launch configuration {name} not found"
            )));
        }
        if let Some(g) = r
            .groups
            .values()
            .find(|g| g.launch_config.as_deref() == Some(name.as_str()))
        {
            return Err(in_use(format!(
                "Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {}",
                g.name
            )));
        }
        r.launch_configs.remove(&name);
        Ok(())
    })
}

fn out(lc: &LaunchConfig) -> LaunchConfiguration {
    LaunchConfiguration {
        launch_configuration_name: lc.name.clone(),
        launch_configuration_arn: Some(lc.arn.clone()),
        image_id: lc.image_id.clone(),
        key_name: lc.key_name.clone().or(Some(String::new())),
        security_groups: Some(lc.security_groups.clone()),
        classic_link_vpc_security_groups: Some(Vec::new()),
        user_data: lc.user_data.clone().or(Some(String::new())),
        instance_type: lc.instance_type.clone(),
        kernel_id: lc.kernel_id.clone().or(Some(String::new())),
        ramdisk_id: lc.ramdisk_id.clone().or(Some(String::new())),
        block_device_mappings: give(&lc.block_devices).or(Some(Vec::new())),
        instance_monitoring: Some(InstanceMonitoring {
            enabled: Some(lc.monitoring.unwrap_or(true)),
        }),
        spot_price: lc.spot_price.clone(),
        iam_instance_profile: lc.iam_instance_profile.clone(),
        created_time: Timestamp(lc.created_ms),
        ebs_optimized: Some(lc.ebs_optimized.unwrap_or(false)),
        associate_public_ip_address: lc.associate_public_ip,
        placement_tenancy: lc.placement_tenancy.clone(),
        metadata_options: give(&lc.metadata_options),
        ..Default::default()
    }
}

pub fn describe_launch_configurations(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: LaunchConfigurationNamesType,
) -> Result<LaunchConfigurationsType, AwsError> {
    let names = input.launch_configuration_names.clone().unwrap_or_default();
    let all: Vec<LaunchConfiguration> = asg.state.read(ctx.account_id(), &ctx.region, |r| {
        r.launch_configs
            .values()
            .filter(|lc| names.is_empty() || names.contains(&lc.name))
            .map(out)
            .collect()
    });
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(LaunchConfigurationsType {
        launch_configurations: items,
        next_token: next,
    })
}
