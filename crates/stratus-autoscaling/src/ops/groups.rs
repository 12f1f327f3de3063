//! Auto Scaling groups: create, update, delete, describe, desired capacity.

use stratus_core::compute::{InstanceAction, TemplateRef};
use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::AutoScaling;
use crate::errors::{
    activity_in_progress, already_exists, group_not_found, in_use, limit_exceeded, validation,
};
use crate::generated::*;
use crate::reconcile::{LAUNCHING, TERMINATING, record};
use crate::state::{Activity, Group, Hook, Member, Region, TagRec, TemplateSpec};
use crate::termination::POLICY_TYPES;
use crate::wire::{cause_time, give, keep, page};

pub const MAX_GROUPS: usize = 500;

pub fn group_mut<'a>(r: &'a mut Region, name: &str) -> Result<&'a mut Group, AwsError> {
    r.groups.get_mut(name).ok_or_else(|| group_not_found(name))
}

pub fn group_ref<'a>(r: &'a Region, name: &str) -> Result<&'a Group, AwsError> {
    r.groups.get(name).ok_or_else(|| group_not_found(name))
}

pub fn template_spec(t: &LaunchTemplateSpecification) -> Result<TemplateSpec, AwsError> {
    if t.launch_template_id.is_some() == t.launch_template_name.is_some() {
        return Err(validation(
            "Valid requests must contain either launchTemplateId or LaunchTemplateName",
        ));
    }
    if let Some(v) = &t.version {
        if !matches!(v.as_str(), "$Latest" | "$Default")
            && !(v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty())
        {
            return Err(validation(format!(
                "The specified version {v} is not a valid version. Specify $Latest, $Default or a version number."
            )));
        }
    }
    Ok(TemplateSpec {
        id: t.launch_template_id.clone(),
        name: t.launch_template_name.clone(),
        version: t.version.clone(),
    })
}

pub fn template_out(t: &TemplateSpec) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification {
        launch_template_id: t.id.clone(),
        launch_template_name: t.name.clone(),
        version: t.version.clone(),
    }
}

/// Checks that the launch template exists, as EC2 resolves it, and fills in
/// its id and name.
pub fn check_template(
    asg: &AutoScaling,
    ctx: &RequestContext,
    t: &TemplateSpec,
) -> Result<TemplateSpec, AwsError> {
    let Some(ec2) = &asg.instances else {
        return Ok(t.clone());
    };
    let r = TemplateRef {
        id: t.id.clone(),
        name: t.name.clone(),
        version: t.version.clone(),
    };
    match ec2.template(ctx.account_id(), &ctx.region, &r) {
        Ok(res) => Ok(TemplateSpec {
            id: Some(res.id),
            name: Some(res.name),
            version: t.version.clone(),
        }),
        Err(e) if e.code.contains("Version") => Err(validation(format!(
            "You must use a valid fully-formed launch template. {}",
            e.message
        ))),
        Err(_) => Err(validation(match (&t.id, &t.name) {
            (Some(id), _) => format!(
                "You must use a valid fully-formed launch template. The specified launch template, with template ID {id}, does not exist."
            ),
            (_, name) => format!(
                "You must use a valid fully-formed launch template. The specified launch template, with template name {}, does not exist.",
                name.clone().unwrap_or_default()
            ),
        })),
    }
}

fn mixed_template(m: &MixedInstancesPolicy) -> Result<TemplateSpec, AwsError> {
    let spec = m
        .launch_template
        .as_ref()
        .and_then(|l| l.launch_template_specification.as_ref())
        .ok_or_else(|| {
            validation("A launch template must be specified in the mixed instances policy.")
        })?;
    template_spec(spec)
}

/// Subnets of a VPCZoneIdentifier with their zones, checked against EC2.
pub fn subnets(
    asg: &AutoScaling,
    ctx: &RequestContext,
    vzi: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let ids: Vec<String> = vzi
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let Some(ec2) = &asg.instances else {
        return Ok(ids.into_iter().map(|s| (s, String::new())).collect());
    };
    let found = ec2.subnets(ctx.account_id(), &ctx.region, &ids);
    let mut out = Vec::new();
    for id in &ids {
        let Some(s) = found.iter().find(|s| &s.id == id) else {
            return Err(validation(format!("The subnet ID '{id}' does not exist")));
        };
        if let Some(first) = found.first() {
            if first.vpc_id != s.vpc_id {
                return Err(validation(
                    "The specified subnets must all belong to the same VPC.",
                ));
            }
        }
        if !out.iter().any(|(i, _)| i == id) {
            out.push((id.clone(), s.availability_zone.clone()));
        }
    }
    Ok(out)
}

fn zones_of(subnets: &[(String, String)]) -> Vec<String> {
    let mut z: Vec<String> = subnets.iter().map(|(_, az)| az.clone()).collect();
    z.sort();
    z.dedup();
    z
}

pub fn check_target_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    arns: &[String],
) -> Result<(), AwsError> {
    let Some(tgs) = asg.target_groups.get() else {
        return Ok(());
    };
    for arn in arns {
        if !tgs.exists(ctx.account_id(), &ctx.region, arn) {
            return Err(validation(format!(
                "Provided Target Groups may not be valid. Please ensure they exist and try again. Target group {arn} not found."
            )));
        }
    }
    Ok(())
}

/// Classic load balancers named by a group must exist.
pub fn check_load_balancers(
    asg: &AutoScaling,
    ctx: &RequestContext,
    names: &[String],
) -> Result<(), AwsError> {
    let Some(lbs) = asg.target_groups.get() else {
        return Ok(());
    };
    for n in names {
        if !lbs.exists(ctx.account_id(), &ctx.region, n) {
            return Err(validation(format!(
                "Provided Load Balancers may not be valid. Please ensure they exist and try again. Load balancer {n} not found."
            )));
        }
    }
    Ok(())
}

fn check_bounds(min: i64, max: i64, desired: i64) -> Result<(), AwsError> {
    if max < min {
        return Err(validation(format!(
            "Max bound, {max}, must be greater than or equal to min bound, {min}"
        )));
    }
    if desired < min || desired > max {
        return Err(validation(format!(
            "Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}"
        )));
    }
    Ok(())
}

fn check_termination_policies(p: &[String]) -> Result<(), AwsError> {
    for t in p {
        if !POLICY_TYPES.contains(&t.as_str()) && !t.starts_with("arn:aws:lambda:") {
            return Err(validation(format!("Termination policy {t} is not valid.")));
        }
    }
    Ok(())
}

fn check_health_check_type(t: &str) -> Result<(), AwsError> {
    for part in t.split(',') {
        if !matches!(part.trim(), "EC2" | "ELB" | "VPC_LATTICE" | "EBS") {
            return Err(validation(format!(
                "Health check type {t} is invalid. Valid values are EC2, ELB, VPC_LATTICE and EBS."
            )));
        }
    }
    Ok(())
}

fn check_lifetime(v: Option<i32>) -> Result<(), AwsError> {
    if let Some(v) = v {
        if v != 0 && !(86_400..=31_536_000).contains(&v) {
            return Err(validation(
                "The maximum instance lifetime must be 0, or between 86400 seconds (1 day) and 31536000 seconds (365 days).",
            ));
        }
    }
    Ok(())
}

pub fn hook_from_spec(h: &LifecycleHookSpecification) -> Result<Hook, AwsError> {
    let transition = h.lifecycle_transition.clone();
    if transition != LAUNCHING && transition != TERMINATING {
        return Err(validation(format!(
            "Invalid Lifecycle Transition: {transition}"
        )));
    }
    Ok(Hook {
        name: h.lifecycle_hook_name.clone(),
        transition,
        target: h.notification_target_arn.clone(),
        role: h.role_arn.clone(),
        metadata: h.notification_metadata.clone(),
        heartbeat_secs: h.heartbeat_timeout.map(i64::from).unwrap_or(3600),
        default_result: h.default_result.clone().unwrap_or_else(|| "ABANDON".into()),
    })
}

pub fn tag_recs(tags: &[Tag]) -> Vec<TagRec> {
    let mut out: Vec<TagRec> = Vec::new();
    for t in tags {
        let rec = TagRec {
            key: t.key.clone(),
            value: t.value.clone().unwrap_or_default(),
            propagate: t.propagate_at_launch.unwrap_or(false),
        };
        match out.iter_mut().find(|x| x.key == rec.key) {
            Some(x) => *x = rec,
            None => out.push(rec),
        }
    }
    out
}

pub fn create_auto_scaling_group(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: CreateAutoScalingGroupType,
) -> Result<(), AwsError> {
    let name = input.auto_scaling_group_name.clone();
    let sources = [
        input.launch_configuration_name.is_some(),
        input.launch_template.is_some(),
        input.instance_id.is_some(),
        input.mixed_instances_policy.is_some(),
    ];
    if sources.iter().filter(|x| **x).count() != 1 {
        return Err(validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.",
        ));
    }
    let now = ctx.clock.now_millis();
    let template = match (&input.launch_template, &input.mixed_instances_policy) {
        (Some(t), _) => Some(check_template(asg, ctx, &template_spec(t)?)?),
        (_, Some(m)) => {
            check_template(asg, ctx, &mixed_template(m)?)?;
            None
        }
        _ => None,
    };
    let mut subnet_list = match &input.vpc_zone_identifier {
        Some(v) if !v.trim().is_empty() => subnets(asg, ctx, v)?,
        _ => Vec::new(),
    };
    let mut azs = input.availability_zones.clone().unwrap_or_default();
    let mut launch_config = input.launch_configuration_name.clone();
    // A group made from an instance copies its configuration.
    let mut from_instance = None;
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
        if subnet_list.is_empty() && azs.is_empty() {
            match &view.subnet_id {
                Some(s) => subnet_list.push((s.clone(), view.availability_zone.clone())),
                None => azs.push(view.availability_zone.clone()),
            }
        }
        launch_config = Some(name.clone());
        from_instance = Some(view);
    }
    if !subnet_list.is_empty() {
        let zones = zones_of(&subnet_list);
        if !azs.is_empty() {
            let mut given = azs.clone();
            given.sort();
            given.dedup();
            if given != zones && asg.instances.is_some() {
                return Err(validation(
                    "The availability zones of the specified subnets and the Auto Scaling group do not match",
                ));
            }
        }
        if asg.instances.is_some() {
            azs = zones;
        }
    } else if azs.is_empty() {
        return Err(validation(
            "At least one Availability Zone or VPC Subnet is required.",
        ));
    }
    let min = input.min_size as i64;
    let max = input.max_size as i64;
    let desired = input.desired_capacity.map(i64::from).unwrap_or(min);
    check_bounds(min, max, desired)?;
    let target_groups = input.target_group_ar_ns.clone().unwrap_or_default();
    check_target_groups(asg, ctx, &target_groups)?;
    let mut lb_all = input.load_balancer_names.clone().unwrap_or_default();
    check_load_balancers(asg, ctx, &lb_all)?;
    let mut traffic = Vec::new();
    let mut tg_all = target_groups.clone();
    for t in input.traffic_sources.clone().unwrap_or_default() {
        let kind = t
            .r#type
            .clone()
            .unwrap_or_else(|| infer_type(&t.identifier));
        if kind == "elbv2" {
            check_target_groups(asg, ctx, std::slice::from_ref(&t.identifier))?;
            if !tg_all.contains(&t.identifier) {
                tg_all.push(t.identifier.clone());
            }
        } else if kind == "elb" {
            check_load_balancers(asg, ctx, std::slice::from_ref(&t.identifier))?;
            if !lb_all.contains(&t.identifier) {
                lb_all.push(t.identifier.clone());
            }
        } else {
            traffic.push((t.identifier.clone(), kind));
        }
    }
    let health_check_type = input
        .health_check_type
        .clone()
        .unwrap_or_else(|| "EC2".into());
    check_health_check_type(&health_check_type)?;
    let termination_policies = input.termination_policies.clone().unwrap_or_default();
    check_termination_policies(&termination_policies)?;
    check_lifetime(input.max_instance_lifetime)?;
    let hooks = input
        .lifecycle_hook_specification_list
        .clone()
        .unwrap_or_default()
        .iter()
        .map(hook_from_spec)
        .collect::<Result<Vec<_>, _>>()?;
    let tags = tag_recs(&input.tags.clone().unwrap_or_default());
    let arn = format!(
        "arn:aws:autoscaling:{}:{}:autoScalingGroup:{}:autoScalingGroupName/{name}",
        ctx.region,
        ctx.account_id(),
        ids::uuid_v4()
    );
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        if r.groups.contains_key(&name) {
            return Err(already_exists(format!(
                "AutoScalingGroup by this name already exists - A group with the name {name} already exists"
            )));
        }
        if r.groups.len() >= MAX_GROUPS {
            return Err(limit_exceeded(format!(
                "You have reached your maximum number of Auto Scaling groups ({MAX_GROUPS})."
            )));
        }
        if let Some(view) = &from_instance {
            if !r.launch_configs.contains_key(&name) {
                r.launch_configs.insert(
                    name.clone(),
                    crate::state::LaunchConfig {
                        name: name.clone(),
                        arn: crate::ops::launch_configs::arn(ctx, &name),
                        image_id: view.image_id.clone(),
                        instance_type: view.instance_type.clone(),
                        created_ms: now,
                        ..Default::default()
                    },
                );
            }
        }
        if let Some(lc) = &launch_config {
            if !r.launch_configs.contains_key(lc) {
                return Err(validation(format!(
                    "Launch configuration name not found - Launch configuration {lc} not found"
                )));
            }
        }
        let g = Group {
            name: name.clone(),
            arn: arn.clone(),
            created_ms: now,
            launch_config: launch_config.clone(),
            template: template.clone(),
            mixed: input.mixed_instances_policy.clone().map(keep),
            min,
            max,
            desired,
            default_cooldown: input.default_cooldown.map(i64::from).unwrap_or(300),
            azs: azs.clone(),
            vpc_zone_identifier: (!subnet_list.is_empty())
                .then(|| subnet_list.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>().join(",")),
            subnets: subnet_list.clone(),
            target_groups: tg_all.clone(),
            load_balancers: lb_all.clone(),
            traffic_sources: traffic.clone(),
            health_check_type: health_check_type.clone(),
            grace_secs: input.health_check_grace_period.map(i64::from).unwrap_or(0),
            placement_group: input.placement_group.clone(),
            termination_policies: termination_policies.clone(),
            new_protected: input.new_instances_protected_from_scale_in.unwrap_or(false),
            capacity_rebalance: input.capacity_rebalance.unwrap_or(false),
            max_instance_lifetime: input.max_instance_lifetime.map(i64::from),
            default_instance_warmup: input.default_instance_warmup.map(i64::from),
            desired_capacity_type: input.desired_capacity_type.clone(),
            service_linked_role: Some(input.service_linked_role_arn.clone().unwrap_or_else(|| {
                format!(
                    "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
                    ctx.account_id()
                )
            })),
            context: input.context.clone(),
            deletion_protection: input.deletion_protection.clone(),
            maintenance_policy: input.instance_maintenance_policy.clone().map(keep),
            tags: tags.clone(),
            hooks: hooks.clone(),
            pending_cause: (desired > 0).then(|| {
                format!(
                    "At {} a user request created an AutoScalingGroup changing the desired capacity from 0 to {desired}.",
                    cause_time(now)
                )
            }),
            ..Default::default()
        };
        r.groups.insert(name.clone(), g);
        Ok(())
    })?;
    Ok(())
}

fn infer_type(identifier: &str) -> String {
    if identifier.starts_with("arn:aws:elasticloadbalancing:") {
        "elbv2".into()
    } else if identifier.starts_with("arn:aws:vpc-lattice:") {
        "vpc-lattice".into()
    } else {
        "elb".into()
    }
}

pub fn update_auto_scaling_group(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: UpdateAutoScalingGroupType,
) -> Result<(), AwsError> {
    let name = input.auto_scaling_group_name.clone();
    let sources = [
        input.launch_configuration_name.is_some(),
        input.launch_template.is_some(),
        input.mixed_instances_policy.is_some(),
    ];
    if sources.iter().filter(|x| **x).count() > 1 {
        return Err(validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.",
        ));
    }
    let template = match &input.launch_template {
        Some(t) => Some(check_template(asg, ctx, &template_spec(t)?)?),
        None => None,
    };
    if let Some(m) = &input.mixed_instances_policy {
        check_template(asg, ctx, &mixed_template(m)?)?;
    }
    let subnet_list = match &input.vpc_zone_identifier {
        Some(v) if !v.trim().is_empty() => Some(subnets(asg, ctx, v)?),
        _ => None,
    };
    if let Some(t) = &input.health_check_type {
        check_health_check_type(t)?;
    }
    if let Some(p) = &input.termination_policies {
        check_termination_policies(p)?;
    }
    check_lifetime(input.max_instance_lifetime)?;
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        if let Some(lc) = &input.launch_configuration_name {
            if !r.launch_configs.contains_key(lc) {
                return Err(validation(format!(
                    "Launch configuration name not found - Launch configuration {lc} not found"
                )));
            }
        }
        let g = group_mut(r, &name)?;
        let min = input.min_size.map(i64::from).unwrap_or(g.min);
        let max = input.max_size.map(i64::from).unwrap_or(g.max);
        let desired = match input.desired_capacity {
            Some(d) => d as i64,
            None => g.desired.clamp(min, max.max(min)),
        };
        check_bounds(min, max, desired)?;
        if let Some(lc) = &input.launch_configuration_name {
            g.launch_config = Some(lc.clone());
            g.template = None;
            g.mixed = None;
        }
        if let Some(t) = &template {
            g.template = Some(t.clone());
            g.launch_config = None;
            g.mixed = None;
        }
        if let Some(m) = &input.mixed_instances_policy {
            g.mixed = Some(keep(m.clone()));
            g.launch_config = None;
            g.template = None;
        }
        if let Some(list) = &subnet_list {
            g.subnets = list.clone();
            g.vpc_zone_identifier = Some(list.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>().join(","));
            if asg.instances.is_some() {
                g.azs = zones_of(list);
            }
        } else if let Some(azs) = &input.availability_zones {
            g.azs = azs.clone();
        }
        if let Some(v) = input.default_cooldown {
            g.default_cooldown = v as i64;
        }
        if let Some(v) = &input.health_check_type {
            g.health_check_type = v.clone();
        }
        if let Some(v) = input.health_check_grace_period {
            g.grace_secs = v as i64;
        }
        if let Some(v) = &input.placement_group {
            g.placement_group = Some(v.clone());
        }
        if let Some(v) = &input.termination_policies {
            g.termination_policies = v.clone();
        }
        if let Some(v) = input.new_instances_protected_from_scale_in {
            g.new_protected = v;
        }
        if let Some(v) = &input.service_linked_role_arn {
            g.service_linked_role = Some(v.clone());
        }
        if let Some(v) = input.max_instance_lifetime {
            g.max_instance_lifetime = Some(v as i64);
        }
        if let Some(v) = input.capacity_rebalance {
            g.capacity_rebalance = v;
        }
        if let Some(v) = &input.context {
            g.context = Some(v.clone());
        }
        if let Some(v) = &input.desired_capacity_type {
            g.desired_capacity_type = Some(v.clone());
        }
        if let Some(v) = input.default_instance_warmup {
            g.default_instance_warmup = Some(v as i64);
        }
        if let Some(v) = &input.instance_maintenance_policy {
            g.maintenance_policy = Some(keep(v.clone()));
        }
        if let Some(v) = &input.deletion_protection {
            g.deletion_protection = Some(v.clone());
        }
        let old = g.desired;
        g.min = min;
        g.max = max;
        g.desired = desired;
        if desired != old {
            g.pending_cause = Some(format!(
                "At {} a user request update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {desired} changing the desired capacity from {old} to {desired}.",
                cause_time(now)
            ));
        }
        Ok(())
    })
}

fn in_progress(r: &Region, name: &str) -> bool {
    r.activities
        .iter()
        .any(|a| a.group == name && !a.group_deleted && a.end_ms.is_none())
}

pub fn delete_auto_scaling_group(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteAutoScalingGroupType,
) -> Result<(), AwsError> {
    let name = input.auto_scaling_group_name.clone();
    let force = input.force_delete.unwrap_or(false);
    let now = ctx.clock.now_millis();
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (alarms, instances, target_groups) = asg.state.with(&account, &region, |r| {
        let g = group_ref(r, &name)?;
        if g.deletion_protection.as_deref() == Some("prevent-all-deletion")
            || (g.deletion_protection.as_deref() == Some("prevent-force-deletion") && force)
        {
            return Err(validation(format!(
                "You cannot delete the Auto Scaling group {name} because it has deletion protection enabled."
            )));
        }
        if !force {
            let scaling = g.capacity() != g.desired
                || g.instances.iter().any(|m| m.lifecycle != "InService" && m.lifecycle != "Standby");
            if scaling || in_progress(r, &name) {
                return Err(activity_in_progress(
                    "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.",
                ));
            }
            if !g.instances.is_empty() {
                return Err(in_use(
                    "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.",
                ));
            }
        }
        let g = r.groups.remove(&name).expect("checked");
        let alarms: Vec<String> = g
            .policies
            .iter()
            .filter(|p| p.policy_type == "TargetTrackingScaling")
            .flat_map(|p| p.alarms.iter().map(|(n, _)| n.clone()))
            .collect();
        let instances: Vec<Member> = g.instances.clone();
        let cap = g.capacity();
        for m in &instances {
            if m.lifecycle == "Terminating:Proceed" {
                continue;
            }
            record(
                &mut r.activities,
                Activity {
                    id: ids::uuid_v4(),
                    group: name.clone(),
                    group_arn: g.arn.clone(),
                    description: format!("Terminating EC2 instance: {}", m.id),
                    cause: format!(
                        "At {} an instance was taken out of service in response to a user request, shrinking the capacity from {cap} to 0.",
                        cause_time(now)
                    ),
                    start_ms: now,
                    end_ms: Some(now),
                    status: "Successful".into(),
                    progress: 100,
                    details: serde_json::json!({"Availability Zone": m.az}).to_string(),
                    ..Default::default()
                },
            );
        }
        for a in r.activities.iter_mut().filter(|a| a.group == name) {
            a.group_deleted = true;
            if a.end_ms.is_none() {
                a.end_ms = Some(now);
                a.status = "Cancelled".into();
                a.progress = 100;
            }
        }
        Ok((alarms, instances, g.balancers()))
    })?;
    let ids: Vec<String> = instances.iter().map(|m| m.id.clone()).collect();
    if !ids.is_empty() {
        if let Some(tgs) = asg.target_groups.get() {
            let registered: Vec<String> = instances
                .iter()
                .filter(|m| m.registered)
                .map(|m| m.id.clone())
                .collect();
            if !registered.is_empty() {
                for tg in &target_groups {
                    let _ = tgs.deregister(&account, &region, tg, &registered);
                }
            }
        }
        if let Some(ec2) = &asg.instances {
            let live: Vec<String> = ec2
                .describe(&account, &region, &ids)
                .into_iter()
                .filter(|v| v.state != "terminated" && v.state != "shutting-down")
                .map(|v| v.id)
                .collect();
            if !live.is_empty() {
                if let Err(e) = ec2.act(&account, &region, &live, InstanceAction::Terminate) {
                    tracing::warn!(error = %e.message, "autoscaling: terminating a deleted group's instances failed");
                }
            }
        }
    }
    if !alarms.is_empty() {
        if let Some(cw) = asg.alarms.get() {
            cw.delete_alarms(&account, &region, &alarms);
        }
    }
    Ok(())
}

pub fn member_out(m: &Member) -> Instance {
    Instance {
        instance_id: m.id.clone(),
        instance_type: (!m.instance_type.is_empty()).then(|| m.instance_type.clone()),
        availability_zone: m.az.clone(),
        lifecycle_state: m.lifecycle.clone(),
        health_status: m.health.clone(),
        launch_configuration_name: m.launch_config.clone(),
        launch_template: m.template.as_ref().map(template_out),
        protected_from_scale_in: m.protected,
        ..Default::default()
    }
}

pub fn tag_out(g: &Group, t: &TagRec) -> TagDescription {
    TagDescription {
        resource_id: Some(g.name.clone()),
        resource_type: Some("auto-scaling-group".into()),
        key: Some(t.key.clone()),
        value: Some(t.value.clone()),
        propagate_at_launch: Some(t.propagate),
    }
}

pub fn group_out(g: &Group, include_instances: bool) -> AutoScalingGroup {
    AutoScalingGroup {
        auto_scaling_group_name: g.name.clone(),
        auto_scaling_group_arn: Some(g.arn.clone()),
        launch_configuration_name: g.launch_config.clone(),
        launch_template: g.template.as_ref().map(template_out),
        mixed_instances_policy: give(&g.mixed),
        min_size: g.min as i32,
        max_size: g.max as i32,
        desired_capacity: g.desired as i32,
        default_cooldown: g.default_cooldown as i32,
        availability_zones: g.azs.clone(),
        load_balancer_names: Some(g.load_balancers.clone()),
        target_group_ar_ns: Some(g.target_groups.clone()),
        health_check_type: g.health_check_type.clone(),
        health_check_grace_period: Some(g.grace_secs as i32),
        instances: include_instances.then(|| g.instances.iter().map(member_out).collect()),
        created_time: Timestamp(g.created_ms),
        suspended_processes: Some(
            g.suspended
                .iter()
                .map(|(p, r)| SuspendedProcess {
                    process_name: Some(p.clone()),
                    suspension_reason: Some(r.clone()),
                })
                .collect(),
        ),
        placement_group: g.placement_group.clone(),
        vpc_zone_identifier: g.vpc_zone_identifier.clone(),
        enabled_metrics: Some(
            g.metrics
                .iter()
                .map(|(m, gr)| EnabledMetric {
                    metric: Some(m.clone()),
                    granularity: Some(gr.clone()),
                })
                .collect(),
        ),
        status: g.status.clone(),
        tags: Some(g.tags.iter().map(|t| tag_out(g, t)).collect()),
        termination_policies: Some(if g.termination_policies.is_empty() {
            vec!["Default".into()]
        } else {
            g.termination_policies.clone()
        }),
        new_instances_protected_from_scale_in: Some(g.new_protected),
        service_linked_role_arn: g.service_linked_role.clone(),
        max_instance_lifetime: g.max_instance_lifetime.map(|v| v as i32),
        capacity_rebalance: Some(g.capacity_rebalance),
        warm_pool_configuration: give(&g.warm_pool),
        warm_pool_size: g.warm_pool.as_ref().map(|_| 0),
        context: g.context.clone(),
        desired_capacity_type: g.desired_capacity_type.clone(),
        default_instance_warmup: g.default_instance_warmup.map(|v| v as i32),
        traffic_sources: Some(crate::ops::traffic::sources(g)),
        instance_maintenance_policy: give(&g.maintenance_policy),
        deletion_protection: g.deletion_protection.clone(),
        ..Default::default()
    }
}

/// Whether a group's tags pass DescribeAutoScalingGroups / DescribeTags filters.
pub fn tag_filter_ok(tags: &[TagRec], name: &str, values: &[String]) -> Result<bool, AwsError> {
    Ok(match name {
        "tag-key" => tags.iter().any(|t| values.contains(&t.key)),
        "tag-value" => tags.iter().any(|t| values.contains(&t.value)),
        n if n.starts_with("tag:") => {
            let key = &n[4..];
            tags.iter()
                .any(|t| t.key == key && values.contains(&t.value))
        }
        other => {
            return Err(validation(format!(
                "Filter type {other} is not correct. Allowed Filter types are: tag-key, tag-value, tag:<key>"
            )));
        }
    })
}

pub fn describe_auto_scaling_groups(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: AutoScalingGroupNamesType,
) -> Result<AutoScalingGroupsType, AwsError> {
    if input.max_records.is_some_and(|m| m > 100) {
        return Err(validation(
            "1 validation error detected: Value at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
        ));
    }
    let include_instances = input.include_instances.unwrap_or(true);
    let filters = input.filters.clone().unwrap_or_default();
    let names = input.auto_scaling_group_names.clone().unwrap_or_default();
    let groups = asg.state.read(
        ctx.account_id(),
        &ctx.region,
        |r| -> Result<Vec<AutoScalingGroup>, AwsError> {
            let mut out = Vec::new();
            'groups: for g in r.groups.values() {
                if !names.is_empty() && !names.contains(&g.name) {
                    continue;
                }
                for f in &filters {
                    let fname = f.name.clone().unwrap_or_default();
                    let values = f.values.clone().unwrap_or_default();
                    if !tag_filter_ok(&g.tags, &fname, &values)? {
                        continue 'groups;
                    }
                }
                out.push(group_out(g, include_instances));
            }
            Ok(out)
        },
    )?;
    let (items, next) = page(&groups, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(AutoScalingGroupsType {
        auto_scaling_groups: items,
        next_token: next,
    })
}

pub fn set_desired_capacity(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: SetDesiredCapacityType,
) -> Result<(), AwsError> {
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let blocked = r.blocked(&input.auto_scaling_group_name);
        let g = group_mut(r, &input.auto_scaling_group_name)?;
        let d = input.desired_capacity as i64;
        if d > g.max {
            return Err(validation(format!(
                "New SetDesiredCapacity value {d} is above max value {} for the AutoScalingGroup.",
                g.max
            )));
        }
        if d < g.min {
            return Err(validation(format!(
                "New SetDesiredCapacity value {d} is below min value {} for the AutoScalingGroup.",
                g.min
            )));
        }
        let busy = g.instances.iter().any(|m| {
            m.lifecycle.starts_with("Pending") || m.lifecycle.starts_with("Terminating")
        });
        if input.honor_cooldown.unwrap_or(false) && (busy || now < g.cooldown_until_ms) {
            return Err(blocked);
        }
        let old = g.desired;
        g.desired = d;
        if d != old {
            g.pending_cause = Some(format!(
                "At {} a user request explicitly set group desired capacity changing the desired capacity from {old} to {d}.",
                cause_time(now)
            ));
        }
        Ok(())
    })
}
