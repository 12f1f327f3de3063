//! Between the wire shapes and the stored records.

use stratus_protocol::Timestamp;

use crate::generated::{
    CompositeAlarm, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Tag,
};
use crate::records::{Alarm, MetricRef, Query};

pub fn dims_in(d: Option<Vec<Dimension>>) -> Vec<(String, String)> {
    d.unwrap_or_default()
        .into_iter()
        .map(|d| (d.name, d.value))
        .collect()
}

pub fn dims_out(d: &[(String, String)]) -> Vec<Dimension> {
    d.iter()
        .map(|(n, v)| Dimension {
            name: n.clone(),
            value: v.clone(),
        })
        .collect()
}

pub fn tags_in(t: Option<Vec<Tag>>) -> Vec<(String, String)> {
    t.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect()
}

pub fn tags_out(t: &[(String, String)]) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Adds or replaces tags by key.
pub fn merge_tags(into: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        match into.iter_mut().find(|(ek, _)| *ek == k) {
            Some(e) => e.1 = v,
            None => into.push((k, v)),
        }
    }
}

pub fn query_in(q: MetricDataQuery) -> Query {
    let (metric, stat, stat_period, unit) = match q.metric_stat {
        Some(ms) => (
            Some(MetricRef {
                namespace: ms.metric.namespace.unwrap_or_default(),
                name: ms.metric.metric_name.unwrap_or_default(),
                dims: dims_in(ms.metric.dimensions),
            }),
            ms.stat,
            ms.period as i64,
            ms.unit,
        ),
        None => (None, String::new(), 0, None),
    };
    Query {
        id: q.id,
        metric,
        stat,
        stat_period,
        unit,
        expression: q.expression,
        label: q.label,
        return_data: q.return_data,
        period: q.period.map(i64::from),
        account_id: q.account_id,
    }
}

pub fn query_out(q: &Query) -> MetricDataQuery {
    MetricDataQuery {
        id: q.id.clone(),
        metric_stat: q.metric.as_ref().map(|m| MetricStat {
            metric: Metric {
                namespace: Some(m.namespace.clone()),
                metric_name: Some(m.name.clone()),
                dimensions: Some(dims_out(&m.dims)),
            },
            period: q.stat_period as i32,
            stat: q.stat.clone(),
            unit: q.unit.clone(),
        }),
        expression: q.expression.clone(),
        label: q.label.clone(),
        return_data: q.return_data,
        period: q.period.map(|p| p as i32),
        account_id: q.account_id.clone(),
    }
}

pub fn metric_alarm(a: &Alarm) -> MetricAlarm {
    MetricAlarm {
        alarm_name: Some(a.name.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_description: a.description.clone(),
        alarm_configuration_updated_timestamp: Some(Timestamp(a.config_updated_ms)),
        actions_enabled: Some(a.actions_enabled),
        ok_actions: Some(a.ok_actions.clone()),
        alarm_actions: Some(a.alarm_actions.clone()),
        insufficient_data_actions: Some(a.insufficient_data_actions.clone()),
        state_value: Some(a.state_value.clone()),
        state_reason: Some(a.state_reason.clone()),
        state_reason_data: a.state_reason_data.clone(),
        state_updated_timestamp: Some(Timestamp(a.state_updated_ms)),
        metric_name: a.metric.as_ref().map(|m| m.name.clone()),
        namespace: a.metric.as_ref().map(|m| m.namespace.clone()),
        statistic: a.statistic.clone(),
        extended_statistic: a.extended_statistic.clone(),
        dimensions: Some(
            a.metric
                .as_ref()
                .map(|m| dims_out(&m.dims))
                .unwrap_or_default(),
        ),
        period: a.period.map(|p| p as i32),
        unit: a.unit.clone(),
        evaluation_periods: Some(a.evaluation_periods as i32),
        datapoints_to_alarm: a.datapoints_to_alarm.map(|d| d as i32),
        threshold: a.threshold,
        comparison_operator: Some(a.comparison_operator.clone()),
        treat_missing_data: a.treat_missing_data.clone(),
        evaluate_low_sample_count_percentile: a.evaluate_low_sample_count_percentile.clone(),
        metrics: (!a.metrics.is_empty()).then(|| a.metrics.iter().map(query_out).collect()),
        threshold_metric_id: a.threshold_metric_id.clone(),
        state_transitioned_timestamp: Some(Timestamp(a.state_transitioned_ms)),
        ..MetricAlarm::default()
    }
}

pub fn composite_alarm(a: &Alarm) -> CompositeAlarm {
    CompositeAlarm {
        actions_enabled: Some(a.actions_enabled),
        alarm_actions: Some(a.alarm_actions.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_configuration_updated_timestamp: Some(Timestamp(a.config_updated_ms)),
        alarm_description: a.description.clone(),
        alarm_name: Some(a.name.clone()),
        alarm_rule: a.rule.clone(),
        insufficient_data_actions: Some(a.insufficient_data_actions.clone()),
        ok_actions: Some(a.ok_actions.clone()),
        state_reason: Some(a.state_reason.clone()),
        state_reason_data: a.state_reason_data.clone(),
        state_updated_timestamp: Some(Timestamp(a.state_updated_ms)),
        state_value: Some(a.state_value.clone()),
        state_transitioned_timestamp: Some(Timestamp(a.state_transitioned_ms)),
        actions_suppressor: a.actions_suppressor.clone(),
        actions_suppressor_wait_period: a.actions_suppressor_wait_period.map(|p| p as i32),
        actions_suppressor_extension_period: a
            .actions_suppressor_extension_period
            .map(|p| p as i32),
        ..CompositeAlarm::default()
    }
}

/// A page of `items` from an opaque offset token.
pub fn page<T: Clone>(
    items: &[T],
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), stratus_core::AwsError> {
    let start = match token {
        Some(t) => t
            .strip_prefix("cw1-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                stratus_core::AwsError::bad_request(
                    "InvalidNextToken",
                    "The service returned an invalid NextToken.",
                )
            })?,
        None => 0,
    };
    let end = (start + size.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("cw1-{end}"));
    Ok((items[start..end].to_vec(), next))
}
