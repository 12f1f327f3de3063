//! PutMetricData, GetMetricStatistics and ListMetrics.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::shapes::{dims_in, dims_out, page};
use crate::Core;
use crate::generated::*;
use crate::query::{self, Window};
use crate::series::{self, FLAG_HIGH_RES, FLAG_STAT_SET, MetricKey, Point};
use crate::stats::{Agg, Stat};

const TWO_WEEKS_MS: i64 = 14 * 86_400_000;
const TWO_HOURS_MS: i64 = 2 * 3_600_000;

fn invalid(msg: String) -> AwsError {
    AwsError::bad_request("InvalidParameterValue", msg)
}

fn combination(msg: String) -> AwsError {
    AwsError::bad_request("InvalidParameterCombination", msg)
}

/// CloudWatch takes values between 2^-360 and 2^360 in magnitude, and zero.
fn ok_value(v: f64) -> bool {
    v.is_finite() && (v == 0.0 || (v.abs() <= 2f64.powi(360) && v.abs() >= 2f64.powi(-360)))
}

fn check_value(v: f64, param: &str) -> Result<(), AwsError> {
    if ok_value(v) {
        Ok(())
    } else {
        let shown = if v.is_nan() {
            "NaN".to_string()
        } else if v.is_infinite() {
            if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        } else {
            v.to_string()
        };
        Err(invalid(format!(
            "The value {shown} for parameter {param} is invalid."
        )))
    }
}

/// One datum as a sample, with CloudWatch's validation and messages.
fn datum(d: &MetricDatum, i: usize, now: i64) -> Result<(MetricKey, Point), AwsError> {
    let at = format!("MetricData.member.{i}");
    if d.value.is_some() && d.statistic_values.is_some() {
        return Err(combination(format!(
            "The parameters {at}.Value and {at}.StatisticValues are mutually exclusive and you have specified both."
        )));
    }
    if d.value.is_some() && d.values.is_some() {
        return Err(combination(format!(
            "The parameters {at}.Value and {at}.Values are mutually exclusive and you have specified both."
        )));
    }
    if d.statistic_values.is_some() && d.values.is_some() {
        return Err(combination(format!(
            "The parameters {at}.StatisticValues and {at}.Values are mutually exclusive and you have specified both."
        )));
    }
    if d.counts.is_some() && d.values.is_none() {
        return Err(combination(format!(
            "The parameter {at}.Counts may only be specified with {at}.Values."
        )));
    }
    let ts = d.timestamp.map_or(now, |t| t.0);
    if ts < now - TWO_WEEKS_MS {
        return Err(invalid(format!(
            "The parameter {at}.Timestamp must specify a time within the past two weeks."
        )));
    }
    if ts > now + TWO_HOURS_MS {
        return Err(invalid(format!(
            "The parameter {at}.Timestamp must specify a time no more than two hours in the future."
        )));
    }
    let mut flags = 0;
    match d.storage_resolution {
        None | Some(60) => {}
        Some(1) => flags |= FLAG_HIGH_RES,
        Some(r) => {
            return Err(invalid(format!(
                "The value {r} for parameter {at}.StorageResolution is invalid. Valid values are 1 and 60."
            )));
        }
    }
    // Standard resolution keeps minutes, high resolution seconds.
    let ts = if flags & FLAG_HIGH_RES != 0 {
        ts.div_euclid(1000) * 1000
    } else {
        ts.div_euclid(60_000) * 60_000
    };
    let unit = match &d.unit {
        Some(u) => series::unit_index(u)
            .ok_or_else(|| invalid(format!("The value {u} for parameter {at}.Unit is invalid.")))?,
        None => 0,
    };
    let mut names: Vec<&str> = Vec::new();
    for (j, dim) in d.dimensions.iter().flatten().enumerate() {
        if names.contains(&dim.name.as_str()) {
            return Err(invalid(format!(
                "The value {} for parameter {at}.Dimensions.member.{}.Name is a duplicate.",
                dim.name,
                j + 1
            )));
        }
        names.push(&dim.name);
    }
    let point = if let Some(v) = d.value {
        check_value(v, &format!("{at}.Value"))?;
        Point {
            flags,
            ..Point::single(ts, v, unit)
        }
    } else if let Some(s) = &d.statistic_values {
        for (name, v) in [
            ("SampleCount", s.sample_count),
            ("Sum", s.sum),
            ("Minimum", s.minimum),
            ("Maximum", s.maximum),
        ] {
            check_value(v, &format!("{at}.StatisticValues.{name}"))?;
        }
        if s.sample_count <= 0.0 {
            return Err(invalid(format!(
                "The value {} for parameter {at}.StatisticValues.SampleCount is invalid.",
                s.sample_count
            )));
        }
        if s.minimum > s.maximum {
            return Err(combination(format!(
                "The parameters {at}.StatisticValues.Minimum and {at}.StatisticValues.Maximum are invalid: Minimum must not be greater than Maximum."
            )));
        }
        Point {
            ts,
            count: s.sample_count,
            sum: s.sum,
            min: s.minimum,
            max: s.maximum,
            unit,
            flags: flags | FLAG_STAT_SET,
            values: None,
        }
    } else if let Some(values) = &d.values {
        if values.is_empty() {
            return Err(AwsError::bad_request(
                "MissingParameter",
                format!("The parameter {at}.Values must contain at least one value."),
            ));
        }
        let counts = match &d.counts {
            Some(c) if c.len() != values.len() => {
                return Err(invalid(format!(
                    "The parameters {at}.Values and {at}.Counts must be of the same size."
                )));
            }
            Some(c) => c.clone(),
            None => vec![1.0; values.len()],
        };
        let mut pairs = Vec::with_capacity(values.len());
        for (j, (v, c)) in values.iter().zip(&counts).enumerate() {
            check_value(*v, &format!("{at}.Values.member.{}", j + 1))?;
            if !c.is_finite() || *c < 0.0 {
                return Err(invalid(format!(
                    "The value {c} for parameter {at}.Counts.member.{} is invalid.",
                    j + 1
                )));
            }
            pairs.push((*v, *c));
        }
        let count: f64 = pairs.iter().map(|(_, c)| c).sum();
        if count <= 0.0 {
            return Err(invalid(format!(
                "The parameter {at}.Counts must contain at least one positive count."
            )));
        }
        let weighted = pairs.iter().filter(|(_, c)| *c > 0.0);
        Point {
            ts,
            count,
            sum: pairs.iter().map(|(v, c)| v * c).sum(),
            min: weighted.clone().map(|p| p.0).fold(f64::INFINITY, f64::min),
            max: weighted.map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
            unit,
            flags,
            values: Some(pairs.into_boxed_slice()),
        }
    } else {
        return Err(AwsError::bad_request(
            "MissingParameter",
            format!(
                "At least one of the parameters {at}.Value, {at}.StatisticValues or {at}.Values must be specified."
            ),
        ));
    };
    let key = MetricKey::new("", &d.metric_name, dims_in(d.dimensions.clone()));
    Ok((key, point))
}

pub fn put_metric_data(
    cw: &Core,
    ctx: &RequestContext,
    input: PutMetricDataInput,
) -> Result<(), AwsError> {
    if input.namespace.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {} for parameter Namespace is invalid.",
            input.namespace
        )));
    }
    let mut data = input.metric_data.unwrap_or_default();
    for e in input.entity_metric_data.unwrap_or_default() {
        data.extend(e.metric_data.unwrap_or_default());
    }
    if data.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The parameter MetricData is required.",
        ));
    }
    let now = ctx.clock.now_millis();
    let mut samples = Vec::with_capacity(data.len());
    for (i, d) in data.iter().enumerate() {
        let (mut key, p) = datum(d, i + 1, now)?;
        key.namespace = input.namespace.clone();
        samples.push((key, p));
    }
    cw.state
        .put_samples(ctx.account_id(), &ctx.region, samples, now)
}

pub fn get_metric_statistics(
    cw: &Core,
    ctx: &RequestContext,
    input: GetMetricStatisticsInput,
) -> Result<GetMetricStatisticsOutput, AwsError> {
    let stats = input.statistics.clone().unwrap_or_default();
    let ext = input.extended_statistics.clone().unwrap_or_default();
    if stats.is_empty() == ext.is_empty() {
        return Err(combination(
            "Must specify either Statistics or ExtendedStatistics, but not both.".into(),
        ));
    }
    let mut wanted: Vec<(String, Stat, bool)> = Vec::new();
    for s in &stats {
        let st = Stat::basic(s).ok_or_else(|| {
            invalid(format!(
                "The value {s} for parameter Statistics is invalid."
            ))
        })?;
        wanted.push((s.clone(), st, false));
    }
    for (i, s) in ext.iter().enumerate() {
        let st = Stat::parse(s).filter(|st| !st.is_basic()).ok_or_else(|| {
            invalid(format!(
                "The value {s} for parameter ExtendedStatistics.member.{} is not supported.",
                i + 1
            ))
        })?;
        wanted.push((s.clone(), st, true));
    }
    let period = input.period as i64;
    if !query::valid_period(period) {
        return Err(invalid(
            "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.".into(),
        ));
    }
    let (start, end) = (input.start_time.0, input.end_time.0);
    if start >= end {
        return Err(invalid(
            "The parameter StartTime must be less than the parameter EndTime.".into(),
        ));
    }
    let now = ctx.clock.now_millis();
    let period_ms = period * 1000;
    let first = query::align_start(start, period_ms, now);
    let requested = (end - first + period_ms - 1) / period_ms;
    if requested > 1440 {
        return Err(combination(format!(
            "You have requested up to {} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
            thousands(requested)
        )));
    }
    let unit = match &input.unit {
        Some(u) => Some(
            series::unit_index(u)
                .ok_or_else(|| invalid(format!("The value {u} for parameter Unit is invalid.")))?,
        ),
        None => None,
    };
    let key = MetricKey::new(
        &input.namespace,
        &input.metric_name,
        dims_in(input.dimensions.clone()),
    );
    let w = Window { start, end, now };
    let m = cw.state.metrics.read();
    let mut datapoints = Vec::new();
    if let Some(s) = m
        .region(ctx.account_id(), &ctx.region)
        .and_then(|r| r.series.get(&key))
    {
        for (t, pts) in query::buckets(s.range(first, w.end), first, period_ms) {
            if !query::retained(t, period_ms, now) {
                continue;
            }
            // Without a unit asked for, each unit gets its own datapoint.
            let mut by_unit: BTreeMap<u8, Agg> = BTreeMap::new();
            for p in pts {
                if unit.is_none_or(|u| u == p.unit) {
                    by_unit.entry(p.unit).or_default().add(p);
                }
            }
            for (u, agg) in by_unit {
                let mut dp = Datapoint {
                    timestamp: Some(Timestamp(t)),
                    unit: Some(series::unit_name(u).to_string()),
                    ..Datapoint::default()
                };
                let mut extended = BTreeMap::new();
                let mut any = false;
                for (name, st, is_ext) in &wanted {
                    let Some(v) = agg.get(st) else { continue };
                    any = true;
                    if *is_ext {
                        extended.insert(name.clone(), v);
                        continue;
                    }
                    match st {
                        Stat::SampleCount => dp.sample_count = Some(v),
                        Stat::Average => dp.average = Some(v),
                        Stat::Sum => dp.sum = Some(v),
                        Stat::Minimum => dp.minimum = Some(v),
                        Stat::Maximum => dp.maximum = Some(v),
                        _ => {}
                    }
                }
                if !extended.is_empty() {
                    dp.extended_statistics = Some(extended);
                }
                // Percentiles of statistic sets alone: nothing to show.
                if any {
                    datapoints.push(dp);
                }
            }
        }
    }
    Ok(GetMetricStatisticsOutput {
        label: Some(input.metric_name),
        datapoints: Some(datapoints),
    })
}

fn thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn list_metrics(
    cw: &Core,
    ctx: &RequestContext,
    input: ListMetricsInput,
) -> Result<ListMetricsOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let since = match input.recently_active.as_deref() {
        Some("PT3H") => now - 3 * 3_600_000,
        Some(other) => {
            return Err(invalid(format!(
                "The value {other} for parameter RecentlyActive is invalid."
            )));
        }
        None => now - TWO_WEEKS_MS,
    };
    let filters: Vec<(String, Option<String>)> = input
        .dimensions
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.name, f.value))
        .collect();
    let m = cw.state.metrics.read();
    let mut found: Vec<Metric> = Vec::new();
    if let Some(r) = m.region(ctx.account_id(), &ctx.region) {
        for (k, s) in &r.series {
            if input.namespace.as_ref().is_some_and(|n| *n != k.namespace)
                || input.metric_name.as_ref().is_some_and(|n| *n != k.name)
                || !series::dims_match(&k.dims, &filters)
            {
                continue;
            }
            let newest = s.last_ts().unwrap_or(0).max(s.last_put_ms);
            if newest < since {
                continue;
            }
            found.push(Metric {
                namespace: Some(k.namespace.clone()),
                metric_name: Some(k.name.clone()),
                dimensions: Some(dims_out(&k.dims)),
            });
        }
    }
    drop(m);
    let (metrics, next_token) = page(&found, input.next_token.as_deref(), 500)?;
    let owning_accounts = input
        .include_linked_accounts
        .unwrap_or(false)
        .then(|| vec![ctx.account_id().to_string(); metrics.len()]);
    Ok(ListMetricsOutput {
        metrics: Some(metrics),
        next_token,
        owning_accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> MetricDatum {
        MetricDatum {
            metric_name: "m".into(),
            ..MetricDatum::default()
        }
    }

    #[test]
    fn datums_are_validated_as_cloudwatch_does() {
        let now = 1_700_000_000_000;
        let e = datum(&d(), 1, now).unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let both = MetricDatum {
            value: Some(1.0),
            statistic_values: Some(StatisticSet::default()),
            ..d()
        };
        let e = datum(&both, 2, now).unwrap_err();
        assert_eq!(e.code, "InvalidParameterCombination");
        assert!(
            e.message
                .contains("MetricData.member.2.Value and MetricData.member.2.StatisticValues")
        );
        let nan = MetricDatum {
            value: Some(f64::NAN),
            ..d()
        };
        assert_eq!(
            datum(&nan, 1, now).unwrap_err().message,
            "The value NaN for parameter MetricData.member.1.Value is invalid."
        );
        let sizes = MetricDatum {
            values: Some(vec![1.0, 2.0]),
            counts: Some(vec![1.0]),
            ..d()
        };
        assert_eq!(
            datum(&sizes, 1, now).unwrap_err().code,
            "InvalidParameterValue"
        );
        let old = MetricDatum {
            value: Some(1.0),
            timestamp: Some(Timestamp(now - TWO_WEEKS_MS - 1)),
            ..d()
        };
        assert!(
            datum(&old, 1, now)
                .unwrap_err()
                .message
                .contains("two weeks")
        );
        let future = MetricDatum {
            value: Some(1.0),
            timestamp: Some(Timestamp(now + TWO_HOURS_MS + 1)),
            ..d()
        };
        assert!(
            datum(&future, 1, now)
                .unwrap_err()
                .message
                .contains("two hours")
        );
    }

    #[test]
    fn values_with_counts_fold_into_one_sample() {
        let v = MetricDatum {
            values: Some(vec![10.0, 5.0, 1.0]),
            counts: Some(vec![2.0, 3.0, 1.0]),
            ..d()
        };
        let (_, p) = datum(&v, 1, 1_700_000_000_000).unwrap();
        assert_eq!((p.count, p.sum, p.min, p.max), (6.0, 36.0, 1.0, 10.0));
        assert_eq!(p.ts % 60_000, 0);
        assert_eq!(thousands(2880), "2,880");
        assert_eq!(thousands(100), "100");
    }
}
