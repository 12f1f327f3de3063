//! Metric filters: stored per log group, evaluated on every PutLogEvents,
//! publishing through the metric sink (CloudWatch).

use std::collections::BTreeMap;

use stratus_core::metrics::Sample;
use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{group_not_found, invalid, limit_exceeded, not_found};
use crate::generated::*;
use crate::ops::events::parse_pattern;
use crate::paging;
use crate::pattern::{Extract, FilterPattern};
use crate::state::{Event, Group, MetricFilterRec, MetricTransformationRec};

const MAX_FILTERS_PER_GROUP: usize = 100;
const MAX_DIMENSIONS: usize = 3;

fn is_selector(v: &str) -> bool {
    v.starts_with('$')
}

fn check_transformation(p: &FilterPattern, t: &MetricTransformation) -> Result<(), AwsError> {
    let v = t.metric_value.trim();
    if is_selector(v) {
        if !p.provides(v) {
            return Err(invalid(format!(
                "Invalid metric value: {v} is not a field of the filter pattern."
            )));
        }
    } else if v.parse::<f64>().is_err() {
        return Err(invalid(format!(
            "Invalid metric value: {v} must be a number or a field of the filter pattern."
        )));
    }
    let dims = t.dimensions.as_ref().map_or(0, BTreeMap::len);
    if dims > 0 && t.default_value.is_some() {
        return Err(invalid(
            "Invalid metric transformation: a default value cannot be set with dimensions.",
        ));
    }
    if dims > MAX_DIMENSIONS {
        return Err(invalid(format!(
            "Invalid metric transformation: at most {MAX_DIMENSIONS} dimensions are allowed."
        )));
    }
    for (k, dv) in t.dimensions.iter().flatten() {
        if !is_selector(dv) || !p.provides(dv) {
            return Err(invalid(format!(
                "Invalid dimension {k}: {dv} is not a field of the filter pattern."
            )));
        }
    }
    Ok(())
}

pub fn put_metric_filter(
    me: &Logs,
    ctx: &RequestContext,
    input: PutMetricFilterRequest,
) -> Result<(), AwsError> {
    let p = parse_pattern(Some(&input.filter_pattern))?;
    for t in &input.metric_transformations {
        check_transformation(&p, t)?;
    }
    let now = ctx.clock.now_millis();
    crate::ops::groups::update(me, ctx, &input.log_group_name, |g| {
        let existing = g.metric_filters.get(&input.filter_name);
        if existing.is_none() && g.metric_filters.len() >= MAX_FILTERS_PER_GROUP {
            return Err(limit_exceeded());
        }
        let created_ms = existing.map_or(now, |f| f.created_ms);
        let rec = MetricFilterRec {
            name: input.filter_name.clone(),
            pattern: input.filter_pattern,
            transformations: input
                .metric_transformations
                .into_iter()
                .map(|t| MetricTransformationRec {
                    metric_name: t.metric_name,
                    metric_namespace: t.metric_namespace,
                    metric_value: t.metric_value,
                    default_value: t.default_value,
                    dimensions: t.dimensions.unwrap_or_default(),
                    unit: t.unit,
                })
                .collect(),
            created_ms,
        };
        g.metric_filters.insert(input.filter_name, rec);
        Ok(())
    })
}

pub fn delete_metric_filter(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteMetricFilterRequest,
) -> Result<(), AwsError> {
    crate::ops::groups::update(me, ctx, &input.log_group_name, |g| {
        g.metric_filters
            .remove(&input.filter_name)
            .map(|_| ())
            .ok_or_else(|| not_found("The specified metric filter does not exist."))
    })
}

fn describe(g: &Group, f: &MetricFilterRec) -> MetricFilter {
    MetricFilter {
        filter_name: Some(f.name.clone()),
        filter_pattern: Some(f.pattern.clone()),
        metric_transformations: Some(
            f.transformations
                .iter()
                .map(|t| MetricTransformation {
                    metric_name: t.metric_name.clone(),
                    metric_namespace: t.metric_namespace.clone(),
                    metric_value: t.metric_value.clone(),
                    default_value: t.default_value,
                    dimensions: (!t.dimensions.is_empty()).then(|| t.dimensions.clone()),
                    unit: t.unit.clone(),
                })
                .collect(),
        ),
        creation_time: Some(f.created_ms),
        log_group_name: Some(g.name.clone()),
        apply_on_transformed_logs: Some(false),
        ..Default::default()
    }
}

pub fn describe_metric_filters(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeMetricFiltersRequest,
) -> Result<DescribeMetricFiltersResponse, AwsError> {
    if input.filter_name_prefix.is_some() && input.log_group_name.is_none() {
        return Err(invalid(
            "If you specify filterNamePrefix, you must also specify logGroupName.",
        ));
    }
    if input.metric_name.is_some() != input.metric_namespace.is_some() {
        return Err(invalid(
            "metricName and metricNamespace must be specified together.",
        ));
    }
    let inner = me.state.read();
    let groups: Vec<&Group> = match inner.region_ref(ctx.account_id(), &ctx.region) {
        Some(r) => match &input.log_group_name {
            Some(n) => vec![r.groups.get(n).ok_or_else(group_not_found)?],
            None => r.groups.values().collect(),
        },
        None if input.log_group_name.is_some() => return Err(group_not_found()),
        None => Vec::new(),
    };
    let mut all = Vec::new();
    for g in groups {
        for f in g.metric_filters.values() {
            let named = input
                .filter_name_prefix
                .as_deref()
                .is_none_or(|p| f.name.starts_with(p));
            let metric = match (&input.metric_name, &input.metric_namespace) {
                (Some(n), Some(ns)) => f
                    .transformations
                    .iter()
                    .any(|t| &t.metric_name == n && &t.metric_namespace == ns),
                _ => true,
            };
            if named && metric {
                all.push(describe(g, f));
            }
        }
    }
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 50) as usize;
    let (page, next) = paging::slice(&all, "mf", input.next_token.as_deref(), limit)?;
    Ok(DescribeMetricFiltersResponse {
        metric_filters: Some(page),
        next_token: next,
    })
}

pub fn test_metric_filter(
    _me: &Logs,
    _ctx: &RequestContext,
    input: TestMetricFilterRequest,
) -> Result<TestMetricFilterResponse, AwsError> {
    let p = parse_pattern(Some(&input.filter_pattern))?;
    let matches = input
        .log_event_messages
        .iter()
        .enumerate()
        .filter_map(|(i, msg)| {
            p.eval(msg).map(|ex| MetricFilterMatchRecord {
                event_number: Some(i as i64 + 1),
                event_message: Some(msg.clone()),
                extracted_values: Some(p.extracted(&ex)),
            })
        })
        .collect();
    Ok(TestMetricFilterResponse {
        matches: Some(matches),
    })
}

fn resolve(t: &MetricTransformationRec, ex: &Extract) -> Option<(f64, Vec<(String, String)>)> {
    let v = t.metric_value.trim();
    let value = if is_selector(v) {
        ex.get(v)?.trim().parse::<f64>().ok()?
    } else {
        v.parse::<f64>().ok()?
    };
    let mut dims = Vec::new();
    for (k, sel) in &t.dimensions {
        dims.push((k.clone(), ex.get(sel)?));
    }
    Some((value, dims))
}

/// The samples a group's metric filters publish for newly stored events.
/// A transformation with a default value reports it once for a batch in
/// which nothing matched.
pub fn samples_for(g: &Group, events: &[Event], now_ms: i64) -> Vec<Sample> {
    let mut out = Vec::new();
    if events.is_empty() {
        return out;
    }
    for f in g.metric_filters.values() {
        let Ok(p) = FilterPattern::parse(&f.pattern) else {
            continue;
        };
        let extracts: Vec<Option<Extract>> = events.iter().map(|e| p.eval(&e.message)).collect();
        for t in &f.transformations {
            let unit = t.unit.clone().unwrap_or_else(|| "None".to_string());
            let mut matched = false;
            for (e, ex) in events.iter().zip(&extracts) {
                let Some(ex) = ex else { continue };
                matched = true;
                if let Some((value, dimensions)) = resolve(t, ex) {
                    out.push(Sample {
                        namespace: t.metric_namespace.clone(),
                        metric_name: t.metric_name.clone(),
                        dimensions,
                        timestamp_ms: e.timestamp,
                        value,
                        unit: unit.clone(),
                    });
                }
            }
            if let (false, Some(d)) = (matched, t.default_value) {
                out.push(Sample {
                    namespace: t.metric_namespace.clone(),
                    metric_name: t.metric_name.clone(),
                    dimensions: Vec::new(),
                    timestamp_ms: now_ms,
                    value: d,
                    unit,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_with(
        pattern: &str,
        value: &str,
        dims: &[(&str, &str)],
        default: Option<f64>,
    ) -> Group {
        let mut g = Group {
            name: "g".into(),
            ..Default::default()
        };
        g.metric_filters.insert(
            "f".into(),
            MetricFilterRec {
                name: "f".into(),
                pattern: pattern.into(),
                transformations: vec![MetricTransformationRec {
                    metric_name: "M".into(),
                    metric_namespace: "NS".into(),
                    metric_value: value.into(),
                    default_value: default,
                    dimensions: dims
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    unit: Some("Milliseconds".into()),
                }],
                created_ms: 0,
            },
        );
        g
    }

    fn ev(ts: i64, m: &str) -> Event {
        Event {
            timestamp: ts,
            message: m.into(),
            ..Default::default()
        }
    }

    #[test]
    fn literal_values_count_matches() {
        let g = group_with("ERROR", "1", &[], None);
        let s = samples_for(&g, &[ev(1, "ERROR a"), ev(2, "INFO"), ev(3, "ERROR b")], 9);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].value, 1.0);
        assert_eq!(s[1].timestamp_ms, 3);
        assert_eq!(s[0].unit, "Milliseconds");
    }

    #[test]
    fn json_values_and_dimensions() {
        let g = group_with(
            "{ $.latency > 0 }",
            "$.latency",
            &[("Service", "$.svc")],
            None,
        );
        let s = samples_for(&g, &[ev(1, r#"{"latency": 12.5, "svc": "api"}"#)], 9);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, 12.5);
        assert_eq!(s[0].dimensions, vec![("Service".into(), "api".into())]);
    }

    #[test]
    fn delimited_values() {
        let g = group_with("[ip, status, bytes]", "$bytes", &[], None);
        let s = samples_for(&g, &[ev(1, "1.2.3.4 200 512")], 9);
        assert_eq!(s[0].value, 512.0);
    }

    #[test]
    fn default_value_when_nothing_matches() {
        let g = group_with("ERROR", "1", &[], Some(0.0));
        let s = samples_for(&g, &[ev(1, "INFO"), ev(2, "DEBUG")], 9);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].value, s[0].timestamp_ms), (0.0, 9));
        let s = samples_for(&g, &[ev(1, "ERROR")], 9);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, 1.0);
    }
}
