//! Metric and composite alarms: create and update with CloudWatch's
//! validation, describe, delete, actions on and off, and SetAlarmState.

use serde_json::{Value as Json, json};
use stratus_core::metrics::AlarmSpec;
use stratus_core::{AwsError, RequestContext};

use super::shapes::{composite_alarm, dims_in, metric_alarm, page, query_in, tags_in};
use crate::Core;
use crate::evaluate::STATIC_OPERATORS;
use crate::generated::*;
use crate::query;
use crate::records::{Alarm, HistoryItem, MetricRef, Query};
use crate::rule;
use crate::state::{AlarmKey, ConfigTxn};
use crate::stats::Stat;
use crate::watch;

const MISSING_DATA: &[&str] = &["breaching", "notBreaching", "ignore", "missing"];
const BAND_OPERATORS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", msg)
}

fn missing(param: &str) -> AwsError {
    AwsError::bad_request(
        "MissingParameter",
        format!("The parameter {param} is required."),
    )
}

pub fn alarm_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
}

fn check_actions(lists: [&[String]; 3]) -> Result<(), AwsError> {
    for arn in lists.into_iter().flatten() {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            return Err(validation(format!("Invalid arn syntax: {arn}")));
        }
        if arn.starts_with("arn:aws:automate:") && crate::actions::ec2_action(arn).is_none() {
            return Err(validation(format!("Invalid EC2 action: {arn}")));
        }
    }
    Ok(())
}

/// The alarm a PutMetricAlarm describes, validated; state fields are left
/// for the caller.
fn metric_alarm_config(
    account: &str,
    region: &str,
    input: PutMetricAlarmInput,
) -> Result<Alarm, AwsError> {
    let evaluation_periods = input
        .evaluation_periods
        .ok_or_else(|| missing("EvaluationPeriods"))? as i64;
    let comparison = input
        .comparison_operator
        .clone()
        .ok_or_else(|| missing("ComparisonOperator"))?;
    let metrics: Vec<Query> = input
        .metrics
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(query_in)
        .collect();
    let single = input.metric_name.is_some()
        || input.namespace.is_some()
        || input.statistic.is_some()
        || input.extended_statistic.is_some()
        || input.dimensions.is_some()
        || input.period.is_some();
    let mut metric = None;
    let mut period = None;
    if !metrics.is_empty() {
        if single {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions and Period are mutually exclusive with Metrics.",
            ));
        }
        query::validate(&metrics, "Metrics")?;
        if metrics.iter().filter(|q| q.returns()).count() != 1 {
            return Err(validation(
                "Exactly one element of the metrics list should return data.",
            ));
        }
    } else {
        let name = input
            .metric_name
            .clone()
            .ok_or_else(|| missing("MetricName"))?;
        let namespace = input
            .namespace
            .clone()
            .ok_or_else(|| missing("Namespace"))?;
        let p = input.period.ok_or_else(|| missing("Period"))? as i64;
        match (&input.statistic, &input.extended_statistic) {
            (Some(_), Some(_)) => {
                return Err(AwsError::bad_request(
                    "InvalidParameterCombination",
                    "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.",
                ));
            }
            (None, None) => {
                return Err(AwsError::bad_request(
                    "MissingParameter",
                    "One of the parameters Statistic or ExtendedStatistic must be specified.",
                ));
            }
            (None, Some(e)) => {
                if !matches!(Stat::parse(e), Some(s) if !s.is_basic()) {
                    return Err(AwsError::bad_request(
                        "InvalidParameterValue",
                        format!("The value {e} for parameter ExtendedStatistic is not supported."),
                    ));
                }
            }
            (Some(_), None) => {}
        }
        if !(p == 10 || p == 20 || p == 30 || (p >= 60 && p % 60 == 0)) {
            return Err(validation("Period must be 10, 20, 30 or a multiple of 60."));
        }
        let limit = if p >= 3600 { 604_800 } else { 86_400 };
        if p * evaluation_periods > limit {
            return Err(validation(format!(
                "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= {limit})."
            )));
        }
        metric = Some(MetricRef {
            namespace,
            name,
            dims: dims_in(input.dimensions.clone()),
        });
        period = Some(p);
    }
    if let Some(d) = input.datapoints_to_alarm
        && d as i64 > evaluation_periods
    {
        return Err(validation(
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods.",
        ));
    }
    if let Some(t) = &input.treat_missing_data
        && !MISSING_DATA.contains(&t.as_str())
    {
        return Err(validation(format!(
            "Option {t} is not supported. Supported options for parameter TreatMissingData are breaching, notBreaching, ignore and missing."
        )));
    }
    if let Some(e) = &input.evaluate_low_sample_count_percentile
        && e != "evaluate"
        && e != "ignore"
    {
        return Err(validation(format!(
            "Option {e} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore."
        )));
    }
    if STATIC_OPERATORS.contains(&comparison.as_str()) {
        if input.threshold.is_none() {
            return Err(missing("Threshold"));
        }
        if input.threshold_metric_id.is_some() {
            return Err(validation(
                "ThresholdMetricId can only be used with the comparison operators LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold and GreaterThanUpperThreshold.",
            ));
        }
    } else if BAND_OPERATORS.contains(&comparison.as_str()) {
        let Some(id) = &input.threshold_metric_id else {
            return Err(missing("ThresholdMetricId"));
        };
        if !metrics
            .iter()
            .any(|q| &q.id == id && q.expression.is_some())
        {
            return Err(validation(format!(
                "ThresholdMetricId {id} must be the id of an expression in Metrics."
            )));
        }
    }
    let ok = input.ok_actions.unwrap_or_default();
    let alarm = input.alarm_actions.unwrap_or_default();
    let insufficient = input.insufficient_data_actions.unwrap_or_default();
    check_actions([&ok, &alarm, &insufficient])?;
    Ok(Alarm {
        account: account.to_string(),
        region: region.to_string(),
        arn: alarm_arn(account, region, &input.alarm_name),
        name: input.alarm_name,
        composite: false,
        description: input.alarm_description,
        actions_enabled: input.actions_enabled.unwrap_or(true),
        ok_actions: ok,
        alarm_actions: alarm,
        insufficient_data_actions: insufficient,
        metric,
        statistic: input.statistic,
        extended_statistic: input.extended_statistic,
        period,
        unit: input.unit,
        evaluation_periods,
        datapoints_to_alarm: input.datapoints_to_alarm.map(i64::from),
        threshold: input.threshold,
        comparison_operator: comparison,
        treat_missing_data: input.treat_missing_data,
        evaluate_low_sample_count_percentile: input.evaluate_low_sample_count_percentile,
        metrics,
        threshold_metric_id: input.threshold_metric_id,
        tags: tags_in(input.tags),
        ..Alarm::default()
    })
}

/// The alarm as ConfigurationUpdate history data shows it.
fn config_json(a: &Alarm) -> Json {
    let mut o = serde_json::Map::new();
    o.insert("alarmName".into(), json!(a.name));
    o.insert("alarmArn".into(), json!(a.arn));
    if let Some(d) = &a.description {
        o.insert("alarmDescription".into(), json!(d));
    }
    o.insert("actionsEnabled".into(), json!(a.actions_enabled));
    o.insert("okactions".into(), json!(a.ok_actions));
    o.insert("alarmActions".into(), json!(a.alarm_actions));
    o.insert(
        "insufficientDataActions".into(),
        json!(a.insufficient_data_actions),
    );
    if a.composite {
        o.insert("alarmRule".into(), json!(a.rule));
    } else {
        if let Some(m) = &a.metric {
            o.insert("metricName".into(), json!(m.name));
            o.insert("namespace".into(), json!(m.namespace));
            o.insert(
                "dimensions".into(),
                Json::Array(
                    m.dims
                        .iter()
                        .map(|(n, v)| json!({"name": n, "value": v}))
                        .collect(),
                ),
            );
        }
        if let Some(s) = &a.statistic {
            o.insert("statistic".into(), json!(s.to_ascii_uppercase()));
        }
        if let Some(s) = &a.extended_statistic {
            o.insert("extendedStatistic".into(), json!(s));
        }
        if let Some(p) = a.period {
            o.insert("period".into(), json!(p));
        }
        o.insert("evaluationPeriods".into(), json!(a.evaluation_periods));
        if let Some(d) = a.datapoints_to_alarm {
            o.insert("datapointsToAlarm".into(), json!(d));
        }
        o.insert("threshold".into(), json!(a.threshold));
        o.insert("comparisonOperator".into(), json!(a.comparison_operator));
        if let Some(t) = &a.treat_missing_data {
            o.insert("treatMissingData".into(), json!(t));
        }
    }
    o.insert(
        "timestamp".into(),
        json!(crate::evaluate::long_date(a.config_updated_ms)),
    );
    Json::Object(o)
}

/// Creates the alarm or replaces its configuration (keeping its state),
/// with a ConfigurationUpdate history item.
fn save(txn: &mut ConfigTxn<'_>, mut alarm: Alarm, now: i64) -> Result<(), AwsError> {
    let key: AlarmKey = (
        alarm.account.clone(),
        alarm.region.clone(),
        alarm.name.clone(),
    );
    alarm.config_updated_ms = now;
    let (summary, data) = match txn.inner.alarms.get(&key) {
        Some(old) => {
            if old.composite != alarm.composite {
                return Err(validation(format!(
                    "The alarm {} already exists as a {}.",
                    alarm.name,
                    if old.composite {
                        "composite alarm"
                    } else {
                        "metric alarm"
                    }
                )));
            }
            alarm.state_value = old.state_value.clone();
            alarm.state_reason = old.state_reason.clone();
            alarm.state_reason_data = old.state_reason_data.clone();
            alarm.state_updated_ms = old.state_updated_ms;
            alarm.state_transitioned_ms = old.state_transitioned_ms;
            alarm.last_scaling_ms = old.last_scaling_ms;
            alarm.hold_until_ms = old.hold_until_ms;
            // Tags given on update are ignored, as CloudWatch does.
            alarm.tags = old.tags.clone();
            if alarm.owner.is_none() {
                alarm.owner = old.owner.clone();
            }
            let data = json!({"version": "1.0", "type": "Update", "updatedAlarm": config_json(&alarm), "originalUpdatedFields": config_json(old)});
            (format!("Alarm \"{}\" updated", alarm.name), data)
        }
        None => {
            alarm.state_value = "INSUFFICIENT_DATA".into();
            alarm.state_reason = "Unchecked: Initial alarm creation".into();
            alarm.state_updated_ms = now;
            alarm.state_transitioned_ms = now;
            let data =
                json!({"version": "1.0", "type": "Create", "createdAlarm": config_json(&alarm)});
            (format!("Alarm \"{}\" created", alarm.name), data)
        }
    };
    let item = HistoryItem {
        account: key.0.clone(),
        region: key.1.clone(),
        alarm_name: key.2.clone(),
        alarm_type: alarm.kind().to_string(),
        ts: now,
        item_type: "ConfigurationUpdate".into(),
        summary,
        data: data.to_string(),
        seq: 0,
    };
    txn.inner.alarms.insert(key.clone(), alarm);
    txn.put_alarm(&key)?;
    txn.add_history(item)
}

pub fn put_metric_alarm(
    cw: &Core,
    ctx: &RequestContext,
    input: PutMetricAlarmInput,
) -> Result<(), AwsError> {
    let alarm = metric_alarm_config(ctx.account_id(), &ctx.region, input)?;
    let mut txn = cw.state.begin();
    save(&mut txn, alarm, ctx.clock.now_millis())?;
    txn.commit()
}

/// An alarm another service owns (target tracking).
pub fn put_owned(
    cw: &Core,
    account: &str,
    region: &str,
    spec: AlarmSpec,
) -> Result<String, AwsError> {
    let input = PutMetricAlarmInput {
        alarm_name: spec.name,
        alarm_description: (!spec.description.is_empty()).then_some(spec.description),
        actions_enabled: Some(true),
        ok_actions: Some(spec.ok_actions),
        alarm_actions: Some(spec.alarm_actions),
        metric_name: Some(spec.metric_name),
        namespace: Some(spec.namespace),
        statistic: Stat::basic(&spec.statistic).map(|_| spec.statistic.clone()),
        extended_statistic: Stat::basic(&spec.statistic)
            .is_none()
            .then_some(spec.statistic),
        dimensions: Some(
            spec.dimensions
                .into_iter()
                .map(|(name, value)| Dimension { name, value })
                .collect(),
        ),
        period: Some(spec.period_secs as i32),
        unit: spec.unit,
        evaluation_periods: Some(spec.evaluation_periods as i32),
        datapoints_to_alarm: spec.datapoints_to_alarm.map(|d| d as i32),
        threshold: Some(spec.threshold),
        comparison_operator: Some(spec.comparison),
        treat_missing_data: spec.treat_missing_data,
        ..PutMetricAlarmInput::default()
    };
    let mut alarm = metric_alarm_config(account, region, input)?;
    alarm.owner = Some("autoscaling".into());
    let arn = alarm.arn.clone();
    let mut txn = cw.state.begin();
    save(&mut txn, alarm, cw.clock.now_millis())?;
    txn.commit()?;
    Ok(arn)
}

pub fn put_composite_alarm(
    cw: &Core,
    ctx: &RequestContext,
    input: PutCompositeAlarmInput,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let parsed = rule::parse(&input.alarm_rule)
        .map_err(|e| validation(format!("AlarmRule is invalid: {e}")))?;
    let ok = input.ok_actions.unwrap_or_default();
    let alarm_actions = input.alarm_actions.unwrap_or_default();
    let insufficient = input.insufficient_data_actions.unwrap_or_default();
    check_actions([&ok, &alarm_actions, &insufficient])?;
    let mut txn = cw.state.begin();
    let mut refs = Vec::new();
    rule::alarms(&parsed, &mut refs);
    let absent: Vec<String> = refs
        .iter()
        .filter(|r| {
            !txn.inner.alarms.contains_key(&(
                account.clone(),
                region.clone(),
                rule::alarm_name(r).to_string(),
            ))
        })
        .cloned()
        .collect();
    if !absent.is_empty() {
        return Err(validation(format!(
            "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
            absent.join(", ")
        )));
    }
    if refs.iter().any(|r| rule::alarm_name(r) == input.alarm_name) {
        return Err(validation(
            "A composite alarm cannot reference itself in its AlarmRule.",
        ));
    }
    let alarm = Alarm {
        arn: alarm_arn(&account, &region, &input.alarm_name),
        account,
        region,
        name: input.alarm_name,
        composite: true,
        description: input.alarm_description,
        actions_enabled: input.actions_enabled.unwrap_or(true),
        ok_actions: ok,
        alarm_actions,
        insufficient_data_actions: insufficient,
        rule: Some(input.alarm_rule),
        actions_suppressor: input.actions_suppressor,
        actions_suppressor_wait_period: input.actions_suppressor_wait_period.map(i64::from),
        actions_suppressor_extension_period: input
            .actions_suppressor_extension_period
            .map(i64::from),
        tags: tags_in(input.tags),
        ..Alarm::default()
    };
    save(&mut txn, alarm, ctx.clock.now_millis())?;
    txn.commit()
}

fn names_in_rule(a: &Alarm) -> Vec<String> {
    let mut refs = Vec::new();
    if let Some(r) = a.rule.as_deref().and_then(|r| rule::parse(r).ok()) {
        rule::alarms(&r, &mut refs);
    }
    refs.iter()
        .map(|r| rule::alarm_name(r).to_string())
        .collect()
}

pub fn describe_alarms(
    cw: &Core,
    ctx: &RequestContext,
    input: DescribeAlarmsInput,
) -> Result<DescribeAlarmsOutput, AwsError> {
    if input.alarm_names.is_some() && input.alarm_name_prefix.is_some() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.",
        ));
    }
    let (account, region) = (ctx.account_id(), ctx.region.as_str());
    let txn = cw.state.begin();
    let alarms = &txn.inner.alarms;
    let in_scope = |a: &&Alarm| a.account == account && a.region == region;
    let types = input.alarm_types.clone().unwrap_or_default();
    let want_kind = |a: &Alarm| {
        if input.children_of_alarm_name.is_some() || input.parents_of_alarm_name.is_some() {
            return types.is_empty() || types.iter().any(|t| t == a.kind());
        }
        if types.is_empty() {
            !a.composite
        } else {
            types.iter().any(|t| t == a.kind())
        }
    };
    let children: Option<Vec<String>> = input.children_of_alarm_name.as_ref().map(|parent| {
        alarms
            .get(&(account.to_string(), region.to_string(), parent.clone()))
            .map(names_in_rule)
            .unwrap_or_default()
    });
    let mut found: Vec<Alarm> = alarms
        .values()
        .filter(in_scope)
        .filter(|a| want_kind(a))
        .filter(|a| {
            input
                .alarm_names
                .as_ref()
                .is_none_or(|n| n.contains(&a.name))
        })
        .filter(|a| {
            input
                .alarm_name_prefix
                .as_ref()
                .is_none_or(|p| a.name.starts_with(p.as_str()))
        })
        .filter(|a| {
            input
                .state_value
                .as_ref()
                .is_none_or(|s| *s == a.state_value)
        })
        .filter(|a| {
            input.action_prefix.as_ref().is_none_or(|p| {
                a.alarm_actions
                    .iter()
                    .chain(&a.ok_actions)
                    .chain(&a.insufficient_data_actions)
                    .any(|x| x.starts_with(p.as_str()))
            })
        })
        .filter(|a| children.as_ref().is_none_or(|c| c.contains(&a.name)))
        .filter(|a| {
            input
                .parents_of_alarm_name
                .as_ref()
                .is_none_or(|child| a.composite && names_in_rule(a).contains(child))
        })
        .cloned()
        .collect();
    drop(txn);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let size = input.max_records.unwrap_or(50).clamp(1, 100) as usize;
    let (shown, next_token) = page(&found, input.next_token.as_deref(), size)?;
    Ok(DescribeAlarmsOutput {
        composite_alarms: Some(
            shown
                .iter()
                .filter(|a| a.composite)
                .map(composite_alarm)
                .collect(),
        ),
        metric_alarms: Some(
            shown
                .iter()
                .filter(|a| !a.composite)
                .map(metric_alarm)
                .collect(),
        ),
        log_alarms: None,
        next_token,
    })
}

pub fn describe_alarms_for_metric(
    cw: &Core,
    ctx: &RequestContext,
    input: DescribeAlarmsForMetricInput,
) -> Result<DescribeAlarmsForMetricOutput, AwsError> {
    let mut dims = dims_in(input.dimensions.clone());
    dims.sort();
    let txn = cw.state.begin();
    let found = txn
        .inner
        .alarms
        .values()
        .filter(|a| a.account == ctx.account_id() && a.region == ctx.region && !a.composite)
        .filter(|a| {
            let Some(m) = &a.metric else { return false };
            let mut adims = m.dims.clone();
            adims.sort();
            m.name == input.metric_name
                && m.namespace == input.namespace
                && (input.dimensions.is_none() || adims == dims)
                && input
                    .statistic
                    .as_ref()
                    .is_none_or(|s| a.statistic.as_ref() == Some(s))
                && input
                    .extended_statistic
                    .as_ref()
                    .is_none_or(|s| a.extended_statistic.as_ref() == Some(s))
                && input.period.is_none_or(|p| a.period == Some(p as i64))
                && input
                    .unit
                    .as_ref()
                    .is_none_or(|u| a.unit.as_ref() == Some(u))
        })
        .map(metric_alarm)
        .collect();
    Ok(DescribeAlarmsForMetricOutput {
        metric_alarms: Some(found),
    })
}

fn delete_in(
    txn: &mut ConfigTxn<'_>,
    account: &str,
    region: &str,
    names: &[String],
    now: i64,
) -> Result<(), AwsError> {
    let key = |n: &String| (account.to_string(), region.to_string(), n.clone());
    let existing: Vec<&String> = names
        .iter()
        .filter(|n| txn.inner.alarms.contains_key(&key(n)))
        .collect();
    let composites = existing
        .iter()
        .filter(|n| txn.inner.alarms[&key(n)].composite)
        .count();
    if composites > 1 {
        return Err(validation(
            "You can delete no more than one composite alarm in one operation.",
        ));
    }
    // Alarms a remaining composite alarm depends on cannot go.
    let blocked: Vec<String> = existing
        .iter()
        .filter(|n| {
            txn.inner.alarms.values().any(|p| {
                p.composite
                    && p.account == account
                    && p.region == region
                    && !names.contains(&p.name)
                    && names_in_rule(p).contains(n)
            })
        })
        .map(|n| n.to_string())
        .collect();
    if !blocked.is_empty() {
        return Err(validation(format!(
            "Cannot delete {} as there are composite alarm(s) depending on {}.",
            blocked.join(","),
            if blocked.len() == 1 { "it" } else { "them" }
        )));
    }
    for n in existing {
        let k = key(n);
        let kind = txn.inner.alarms[&k].kind().to_string();
        let data = json!({"version": "1.0", "type": "Delete", "deletedAlarm": config_json(&txn.inner.alarms[&k])});
        txn.delete_alarm(&k);
        txn.add_history(HistoryItem {
            account: account.to_string(),
            region: region.to_string(),
            alarm_name: n.clone(),
            alarm_type: kind,
            ts: now,
            item_type: "ConfigurationUpdate".into(),
            summary: format!("Alarm \"{n}\" deleted"),
            data: data.to_string(),
            seq: 0,
        })?;
    }
    Ok(())
}

pub fn delete_alarms(
    cw: &Core,
    ctx: &RequestContext,
    input: DeleteAlarmsInput,
) -> Result<(), AwsError> {
    let mut txn = cw.state.begin();
    delete_in(
        &mut txn,
        ctx.account_id(),
        &ctx.region,
        &input.alarm_names,
        ctx.clock.now_millis(),
    )?;
    txn.commit()
}

pub fn delete_named(
    cw: &Core,
    account: &str,
    region: &str,
    names: &[String],
) -> Result<(), AwsError> {
    let mut txn = cw.state.begin();
    delete_in(&mut txn, account, region, names, cw.clock.now_millis())?;
    txn.commit()
}

fn set_actions(
    cw: &Core,
    ctx: &RequestContext,
    names: &[String],
    enabled: bool,
) -> Result<(), AwsError> {
    let mut txn = cw.state.begin();
    for n in names {
        let k = (ctx.account_id().to_string(), ctx.region.clone(), n.clone());
        if let Some(a) = txn.inner.alarms.get_mut(&k)
            && a.actions_enabled != enabled
        {
            a.actions_enabled = enabled;
            txn.put_alarm(&k)?;
        }
    }
    txn.commit()
}

pub fn enable_alarm_actions(
    cw: &Core,
    ctx: &RequestContext,
    input: EnableAlarmActionsInput,
) -> Result<(), AwsError> {
    set_actions(cw, ctx, &input.alarm_names, true)
}

pub fn disable_alarm_actions(
    cw: &Core,
    ctx: &RequestContext,
    input: DisableAlarmActionsInput,
) -> Result<(), AwsError> {
    set_actions(cw, ctx, &input.alarm_names, false)
}

pub fn set_alarm_state(
    cw: &Core,
    ctx: &RequestContext,
    input: SetAlarmStateInput,
) -> Result<(), AwsError> {
    if let Some(d) = &input.state_reason_data
        && serde_json::from_str::<Json>(d).is_err()
    {
        return Err(AwsError::bad_request(
            "InvalidFormat",
            "The StateReasonData is not valid JSON.",
        ));
    }
    let now = ctx.clock.now_millis();
    let key = (
        ctx.account_id().to_string(),
        ctx.region.clone(),
        input.alarm_name.clone(),
    );
    let mut changes = Vec::new();
    let ticket = {
        let mut txn = cw.state.begin();
        let Some(a) = txn.inner.alarms.get_mut(&key) else {
            return Err(AwsError::not_found("ResourceNotFound", ""));
        };
        // The state holds until the next period has completed (a minute
        // for composite alarms).
        a.hold_until_ms = if a.composite {
            now + 60_000
        } else {
            let p = watch::period_ms(a);
            now.div_euclid(p) * p + p
        };
        if a.state_value == input.state_value {
            a.state_reason = input.state_reason;
            a.state_reason_data = input.state_reason_data;
            a.state_updated_ms = now;
            txn.put_alarm(&key)?;
        } else if let Some(c) = watch::transition(
            &mut txn,
            &key,
            &input.state_value,
            input.state_reason,
            input.state_reason_data,
            None,
            None,
            now,
        )? {
            changes.push(c);
        }
        watch::settle_composites(&mut txn, now, &mut changes)?;
        txn.submit()?
    };
    ticket
        .wait()
        .map_err(|e| AwsError::internal(e.to_string()))?;
    watch::run_changes(cw, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PutMetricAlarmInput {
        PutMetricAlarmInput {
            alarm_name: "a".into(),
            metric_name: Some("m".into()),
            namespace: Some("NS".into()),
            statistic: Some("Average".into()),
            period: Some(60),
            evaluation_periods: Some(2),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanThreshold".into()),
            ..PutMetricAlarmInput::default()
        }
    }

    #[test]
    fn alarm_configuration_is_validated() {
        assert!(metric_alarm_config("0", "r", input()).is_ok());
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                extended_statistic: Some("p90".into()),
                ..input()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterCombination");
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                period: Some(45),
                ..input()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                period: Some(3600),
                evaluation_periods: Some(200),
                ..input()
            },
        )
        .unwrap_err();
        assert!(e.message.contains("EvaluationPeriods * Period"));
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                datapoints_to_alarm: Some(3),
                ..input()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                threshold: None,
                ..input()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = metric_alarm_config(
            "0",
            "r",
            PutMetricAlarmInput {
                treat_missing_data: Some("sometimes".into()),
                ..input()
            },
        )
        .unwrap_err();
        assert!(e.message.contains("TreatMissingData"));
    }
}
