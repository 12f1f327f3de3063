//! Scaling policies: simple, step, target tracking (which creates and owns
//! its CloudWatch alarms) and predictive (stored); describe, delete,
//! execute.

use stratus_core::metrics::AlarmSpec;
use stratus_core::{AwsError, RequestContext, ids};

use crate::AutoScaling;
use crate::errors::validation;
use crate::generated::*;
use crate::ops::groups::{group_mut, group_ref};
use crate::policy_exec::{self, Source};
use crate::scaling::{ADJUSTMENT_TYPES, validate_steps};
use crate::state::{Group, Policy, Step};
use crate::wire::{give, keep, page};

const TYPES: [&str; 4] = [
    "SimpleScaling",
    "StepScaling",
    "TargetTrackingScaling",
    "PredictiveScaling",
];

fn not_allowed(what: &str, policy_type: &str) -> AwsError {
    validation(format!(
        "{what} is not supported for policy type {policy_type}."
    ))
}

/// The metric a target tracking configuration tracks, as an alarm watches it.
fn tracked_metric(g: &Group, tt: &TargetTrackingConfiguration) -> Result<AlarmSpec, AwsError> {
    match (
        &tt.predefined_metric_specification,
        &tt.customized_metric_specification,
    ) {
        (Some(_), Some(_)) | (None, None) => Err(validation(
            "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.",
        )),
        (Some(p), None) => {
            let group_dim = vec![("AutoScalingGroupName".to_string(), g.name.clone())];
            let (ns, metric, dims, stat) = match p.predefined_metric_type.as_str() {
                "ASGAverageCPUUtilization" => ("AWS/EC2", "CPUUtilization", group_dim, "Average"),
                "ASGAverageNetworkIn" => ("AWS/EC2", "NetworkIn", group_dim, "Average"),
                "ASGAverageNetworkOut" => ("AWS/EC2", "NetworkOut", group_dim, "Average"),
                "ALBRequestCountPerTarget" => {
                    let label = p.resource_label.clone().unwrap_or_default();
                    let tg = label
                        .find("targetgroup/")
                        .map(|i| label[i..].to_string())
                        .filter(|_| label.starts_with("app/"))
                        .ok_or_else(|| {
                            validation(
                                "ResourceLabel is required for predefined metric type ALBRequestCountPerTarget and must be app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.",
                            )
                        })?;
                    let lb = label
                        .split("/targetgroup/")
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    (
                        "AWS/ApplicationELB",
                        "RequestCountPerTarget",
                        vec![
                            ("TargetGroup".to_string(), tg),
                            ("LoadBalancer".to_string(), lb),
                        ],
                        "Sum",
                    )
                }
                other => {
                    return Err(validation(format!(
                        "Predefined metric type {other} is not valid for target tracking scaling policies of Auto Scaling groups."
                    )));
                }
            };
            Ok(AlarmSpec {
                namespace: ns.into(),
                metric_name: metric.into(),
                dimensions: dims,
                statistic: stat.into(),
                ..Default::default()
            })
        }
        (None, Some(c)) => {
            if let Some(queries) = &c.metrics {
                let stat = queries
                    .iter()
                    .find_map(|q| q.metric_stat.as_ref())
                    .ok_or_else(|| {
                        validation("A metric data query with a MetricStat is required.")
                    })?;
                return Ok(AlarmSpec {
                    namespace: stat.metric.namespace.clone(),
                    metric_name: stat.metric.metric_name.clone(),
                    dimensions: stat
                        .metric
                        .dimensions
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| (d.name, d.value))
                        .collect(),
                    statistic: stat.stat.clone(),
                    unit: stat.unit.clone(),
                    ..Default::default()
                });
            }
            let (Some(ns), Some(metric)) = (&c.namespace, &c.metric_name) else {
                return Err(validation(
                    "MetricName and Namespace are required in CustomizedMetricSpecification.",
                ));
            };
            Ok(AlarmSpec {
                namespace: ns.clone(),
                metric_name: metric.clone(),
                dimensions: c
                    .dimensions
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| (d.name, d.value))
                    .collect(),
                statistic: c.statistic.clone().unwrap_or_else(|| "Average".into()),
                unit: c.unit.clone(),
                period_secs: c.period.map(i64::from).unwrap_or(60),
                ..Default::default()
            })
        }
    }
}

fn alarm_arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        ctx.region,
        ctx.account_id()
    )
}

pub fn put_scaling_policy(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: PutScalingPolicyType,
) -> Result<PolicyARNType, AwsError> {
    let policy_type = input
        .policy_type
        .clone()
        .unwrap_or_else(|| "SimpleScaling".into());
    if !TYPES.contains(&policy_type.as_str()) {
        return Err(validation(format!("Invalid policy type: {policy_type}")));
    }
    let pt = policy_type.as_str();
    if let Some(a) = &input.adjustment_type {
        if !ADJUSTMENT_TYPES.contains(&a.as_str()) {
            return Err(validation(format!(
                "Invalid adjustment type {a}. Valid values are ChangeInCapacity, ExactCapacity and PercentChangeInCapacity."
            )));
        }
    }
    let magnitude = input.min_adjustment_magnitude.or(input.min_adjustment_step);
    if magnitude.is_some() && input.adjustment_type.as_deref() != Some("PercentChangeInCapacity") {
        return Err(validation(
            "MinAdjustmentMagnitude may only be specified when AdjustmentType is PercentChangeInCapacity",
        ));
    }
    let steps: Vec<Step> = input
        .step_adjustments
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|s| Step {
            lower: s.metric_interval_lower_bound,
            upper: s.metric_interval_upper_bound,
            adjustment: s.scaling_adjustment as i64,
        })
        .collect();
    match pt {
        "SimpleScaling" => {
            if input.step_adjustments.is_some() {
                return Err(not_allowed("StepAdjustments", pt));
            }
            if input.metric_aggregation_type.is_some() {
                return Err(not_allowed("MetricAggregationType", pt));
            }
            if input.estimated_instance_warmup.is_some() {
                return Err(not_allowed("EstimatedInstanceWarmup", pt));
            }
            if input.target_tracking_configuration.is_some() {
                return Err(not_allowed("TargetTrackingConfiguration", pt));
            }
            if input.scaling_adjustment.is_none() {
                return Err(validation(
                    "ScalingAdjustment is required for policy type SimpleScaling.",
                ));
            }
            if input.adjustment_type.is_none() {
                return Err(validation(
                    "AdjustmentType is required for policy type SimpleScaling.",
                ));
            }
        }
        "StepScaling" => {
            if input.scaling_adjustment.is_some() {
                return Err(not_allowed("ScalingAdjustment", pt));
            }
            if input.cooldown.is_some() {
                return Err(not_allowed("Cooldown", pt));
            }
            if input.target_tracking_configuration.is_some() {
                return Err(not_allowed("TargetTrackingConfiguration", pt));
            }
            if steps.is_empty() {
                return Err(validation(
                    "StepAdjustments is required for policy type StepScaling.",
                ));
            }
            if input.adjustment_type.is_none() {
                return Err(validation(
                    "AdjustmentType is required for policy type StepScaling.",
                ));
            }
            if let Some(m) = &input.metric_aggregation_type {
                if !matches!(m.as_str(), "Minimum" | "Maximum" | "Average") {
                    return Err(validation(format!(
                        "Invalid metric aggregation type {m}. Valid values are Minimum, Maximum and Average."
                    )));
                }
            }
            if steps.len() > 20 {
                return Err(validation(
                    "There can be at most 20 step adjustments per scaling policy.",
                ));
            }
            if let Some(msg) = validate_steps(&steps) {
                return Err(validation(msg));
            }
        }
        "TargetTrackingScaling" => {
            if input.target_tracking_configuration.is_none() {
                return Err(validation(
                    "TargetTrackingConfiguration is required for policy type TargetTrackingScaling.",
                ));
            }
            for (given, what) in [
                (input.adjustment_type.is_some(), "AdjustmentType"),
                (input.scaling_adjustment.is_some(), "ScalingAdjustment"),
                (input.step_adjustments.is_some(), "StepAdjustments"),
                (input.cooldown.is_some(), "Cooldown"),
                (
                    input.metric_aggregation_type.is_some(),
                    "MetricAggregationType",
                ),
            ] {
                if given {
                    return Err(not_allowed(what, pt));
                }
            }
        }
        _ => {
            if input.predictive_scaling_configuration.is_none() {
                return Err(validation(
                    "PredictiveScalingConfiguration is required for policy type PredictiveScaling.",
                ));
            }
        }
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let group = input.auto_scaling_group_name.clone();
    let name = input.policy_name.clone();
    // Store the policy first; its alarms are made after the lock is released.
    let (arn, specs, stale) = asg.state.with(&account, &region, |r| {
        let g = group_mut(r, &group)?;
        let existing = g.policies.iter().find(|p| p.name == name).cloned();
        let arn = existing.as_ref().map(|p| p.arn.clone()).unwrap_or_else(|| {
            format!(
                "arn:aws:autoscaling:{region}:{account}:scalingPolicy:{}:autoScalingGroupName/{group}:policyName/{name}",
                ids::uuid_v4()
            )
        });
        let mut p = Policy {
            name: name.clone(),
            arn: arn.clone(),
            policy_type: policy_type.clone(),
            adjustment_type: input.adjustment_type.clone(),
            min_adjustment_step: input.min_adjustment_step.map(i64::from),
            min_adjustment_magnitude: input.min_adjustment_magnitude.map(i64::from),
            scaling_adjustment: input.scaling_adjustment.map(i64::from),
            cooldown: input.cooldown.map(i64::from),
            metric_aggregation_type: input
                .metric_aggregation_type
                .clone()
                .or_else(|| (policy_type == "StepScaling").then(|| "Average".into())),
            steps: steps.clone(),
            estimated_instance_warmup: input.estimated_instance_warmup.map(i64::from),
            target_tracking: input.target_tracking_configuration.clone().map(keep),
            enabled: input.enabled.unwrap_or(true),
            predictive: input.predictive_scaling_configuration.clone().map(keep),
            ..Default::default()
        };
        let mut specs = Vec::new();
        let mut stale = Vec::new();
        if let Some(tt) = &input.target_tracking_configuration {
            p.target_value = tt.target_value;
            p.disable_scale_in = tt.disable_scale_in.unwrap_or(false);
            let base = tracked_metric(g, tt)?;
            let old: Vec<(String, String)> = existing.map(|e| e.alarms).unwrap_or_default();
            let name_for = |kind: &str| {
                old.iter()
                    .find(|(n, _)| n.contains(&format!("-{kind}-")))
                    .map(|(n, _)| n.clone())
                    .unwrap_or_else(|| format!("TargetTracking-{group}-{kind}-{}", ids::uuid_v4()))
            };
            let description = format!("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}.");
            let high = AlarmSpec {
                name: name_for("AlarmHigh"),
                description: description.clone(),
                period_secs: 60,
                evaluation_periods: 3,
                datapoints_to_alarm: Some(3),
                threshold: tt.target_value,
                comparison: "GreaterThanThreshold".into(),
                alarm_actions: vec![arn.clone()],
                ..base.clone()
            };
            specs.push(high);
            let low_name = name_for("AlarmLow");
            if p.disable_scale_in {
                if old.iter().any(|(n, _)| *n == low_name) {
                    stale.push(low_name);
                }
            } else {
                specs.push(AlarmSpec {
                    name: low_name,
                    description,
                    period_secs: 60,
                    evaluation_periods: 15,
                    datapoints_to_alarm: Some(15),
                    threshold: tt.target_value * 0.9,
                    comparison: "LessThanThreshold".into(),
                    alarm_actions: vec![arn.clone()],
                    ..base
                });
            }
            p.alarms = specs.iter().map(|s| (s.name.clone(), alarm_arn(ctx, &s.name))).collect();
        } else if let Some(e) = existing {
            if e.policy_type == "TargetTrackingScaling" {
                stale.extend(e.alarms.iter().map(|(n, _)| n.clone()));
            } else {
                p.alarms = e.alarms;
            }
        }
        match g.policies.iter_mut().find(|x| x.name == name) {
            Some(x) => *x = p,
            None => g.policies.push(p),
        }
        Ok((arn, specs, stale))
    })?;
    let mut alarms = Vec::new();
    if let Some(cw) = asg.alarms.get() {
        if !stale.is_empty() {
            cw.delete_alarms(&account, &region, &stale);
        }
        for s in specs.iter().cloned() {
            let n = s.name.clone();
            let a = cw.put_alarm(&account, &region, s)?;
            alarms.push((n, a));
        }
        if !alarms.is_empty() {
            let arns = alarms.clone();
            asg.state.with(&account, &region, |r| {
                if let Ok(g) = group_mut(r, &group) {
                    if let Some(p) = g.policies.iter_mut().find(|p| p.name == name) {
                        p.alarms = arns;
                    }
                }
                Ok(())
            })?;
        }
    } else {
        alarms = specs
            .iter()
            .map(|s| (s.name.clone(), alarm_arn(ctx, &s.name)))
            .collect();
    }
    Ok(PolicyARNType {
        policy_arn: Some(arn),
        alarms: (!alarms.is_empty()).then(|| {
            alarms
                .into_iter()
                .map(|(n, a)| Alarm {
                    alarm_name: Some(n),
                    alarm_arn: Some(a),
                })
                .collect()
        }),
    })
}

fn out(g: &Group, p: &Policy) -> ScalingPolicy {
    ScalingPolicy {
        auto_scaling_group_name: Some(g.name.clone()),
        policy_name: Some(p.name.clone()),
        policy_arn: Some(p.arn.clone()),
        policy_type: Some(p.policy_type.clone()),
        adjustment_type: p.adjustment_type.clone(),
        min_adjustment_step: p.min_adjustment_step.map(|v| v as i32),
        min_adjustment_magnitude: p.min_adjustment_magnitude.map(|v| v as i32),
        scaling_adjustment: p.scaling_adjustment.map(|v| v as i32),
        cooldown: p.cooldown.map(|v| v as i32),
        step_adjustments: (p.policy_type == "StepScaling").then(|| {
            p.steps
                .iter()
                .map(|s| StepAdjustment {
                    metric_interval_lower_bound: s.lower,
                    metric_interval_upper_bound: s.upper,
                    scaling_adjustment: s.adjustment as i32,
                })
                .collect()
        }),
        metric_aggregation_type: p.metric_aggregation_type.clone(),
        estimated_instance_warmup: p.estimated_instance_warmup.map(|v| v as i32),
        alarms: Some(
            p.alarms
                .iter()
                .map(|(n, a)| Alarm {
                    alarm_name: Some(n.clone()),
                    alarm_arn: Some(a.clone()),
                })
                .collect(),
        ),
        target_tracking_configuration: give(&p.target_tracking),
        enabled: Some(p.enabled),
        predictive_scaling_configuration: give(&p.predictive),
    }
}

pub fn describe_policies(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DescribePoliciesType,
) -> Result<PoliciesType, AwsError> {
    let names = input.policy_names.clone().unwrap_or_default();
    let types = input.policy_types.clone().unwrap_or_default();
    let all = asg.state.read(
        ctx.account_id(),
        &ctx.region,
        |r| -> Result<Vec<ScalingPolicy>, AwsError> {
            if let Some(gn) = &input.auto_scaling_group_name {
                group_ref(r, gn)?;
            }
            Ok(r.groups
                .values()
                .filter(|g| {
                    input
                        .auto_scaling_group_name
                        .as_ref()
                        .is_none_or(|n| *n == g.name)
                })
                .flat_map(|g| g.policies.iter().map(move |p| (g, p)))
                .filter(|(_, p)| {
                    names.is_empty() || names.contains(&p.name) || names.contains(&p.arn)
                })
                .filter(|(_, p)| types.is_empty() || types.contains(&p.policy_type))
                .map(|(g, p)| out(g, p))
                .collect())
        },
    )?;
    let (items, next) = page(&all, input.next_token.as_deref(), input.max_records, 50)?;
    Ok(PoliciesType {
        scaling_policies: Some(items),
        next_token: next,
    })
}

/// The group and policy a name or ARN (with an optional group) names.
fn locate(
    r: &crate::state::Region,
    group: Option<&str>,
    policy: &str,
) -> Result<(String, String), AwsError> {
    if policy.starts_with("arn:") {
        return r
            .policy_by_arn(policy)
            .map(|(g, p)| (g.name.clone(), p.name.clone()))
            .ok_or_else(|| validation(format!("No such policy: {policy}")));
    }
    let Some(group) = group else {
        return Err(validation(
            "AutoScalingGroupName is required when PolicyName is not an ARN.",
        ));
    };
    let g = group_ref(r, group)?;
    g.policies
        .iter()
        .find(|p| p.name == policy)
        .map(|p| (g.name.clone(), p.name.clone()))
        .ok_or_else(|| validation(format!("No such policy: {policy}")))
}

pub fn delete_policy(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: DeletePolicyType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let owned = asg.state.with(&account, &region, |r| {
        let (group, policy) = locate(
            r,
            input.auto_scaling_group_name.as_deref(),
            &input.policy_name,
        )?;
        let g = group_mut(r, &group)?;
        let p = g
            .policies
            .iter()
            .find(|p| p.name == policy)
            .cloned()
            .expect("located");
        g.policies.retain(|x| x.name != policy);
        Ok(if p.policy_type == "TargetTrackingScaling" {
            p.alarms.into_iter().map(|(n, _)| n).collect::<Vec<_>>()
        } else {
            Vec::new()
        })
    })?;
    if !owned.is_empty() {
        if let Some(cw) = asg.alarms.get() {
            cw.delete_alarms(&account, &region, &owned);
        }
    }
    Ok(())
}

pub fn execute_policy(
    asg: &AutoScaling,
    ctx: &RequestContext,
    input: ExecutePolicyType,
) -> Result<(), AwsError> {
    let now = ctx.clock.now_millis();
    asg.state.with(ctx.account_id(), &ctx.region, |r| {
        let (group, policy) = locate(r, input.auto_scaling_group_name.as_deref(), &input.policy_name)?;
        let kind = group_ref(r, &group)?
            .policies
            .iter()
            .find(|p| p.name == policy)
            .map(|p| p.policy_type.clone())
            .unwrap_or_default();
        if kind != "SimpleScaling" && input.honor_cooldown.is_some() {
            return Err(validation(format!(
                "HonorCooldown is only supported for policy type SimpleScaling, got {kind}."
            )));
        }
        if kind != "StepScaling" && (input.metric_value.is_some() || input.breach_threshold.is_some()) {
            return Err(validation(format!(
                "MetricValue and BreachThreshold are only supported for policy type StepScaling, got {kind}."
            )));
        }
        policy_exec::run(
            r,
            &group,
            &policy,
            Source::User {
                honor_cooldown: input.honor_cooldown.unwrap_or(false),
                metric_value: input.metric_value,
                breach_threshold: input.breach_threshold,
            },
            now,
        )
    })
}
