//! Reading metrics: period buckets over a time range (with CloudWatch's
//! rounding and its retention by resolution), MetricStat queries, labels,
//! and the GetMetricData run that feeds expressions their inputs.

use std::collections::{BTreeSet, HashMap, HashSet};

use stratus_core::AwsError;

use crate::math::{self, Env, Named, Ts, Val};
use crate::records::{MetricRef, Query};
use crate::series::{self, MetricKey, Point, RegionMetrics};
use crate::stats::{Agg, Stat};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Rounds a start time down as CloudWatch does: to the period below a
/// minute, else to the minute, five minutes or hour by the data's age.
pub fn align_start(start: i64, period_ms: i64, now: i64) -> i64 {
    let unit = if period_ms < MINUTE {
        period_ms
    } else {
        let age = now - start;
        if age > 63 * DAY {
            HOUR
        } else if age > 15 * DAY {
            5 * MINUTE
        } else {
            MINUTE
        }
    };
    start.div_euclid(unit) * unit
}

/// Whether data beginning at `t` is still kept at this period: one-second
/// data for 3 hours, one-minute for 15 days, five-minute for 63 days, then
/// hourly.
pub fn retained(t: i64, period_ms: i64, now: i64) -> bool {
    let age = now - t;
    let need = if age > 63 * DAY {
        HOUR
    } else if age > 15 * DAY {
        5 * MINUTE
    } else if age > 3 * HOUR {
        MINUTE
    } else {
        return true;
    };
    period_ms % need == 0
}

/// Splits time-ordered samples into period buckets from `first`.
pub fn buckets<'a>(
    points: impl Iterator<Item = &'a Point>,
    first: i64,
    period_ms: i64,
) -> Vec<(i64, Vec<&'a Point>)> {
    let mut out: Vec<(i64, Vec<&Point>)> = Vec::new();
    for p in points {
        let t = first + (p.ts - first).div_euclid(period_ms) * period_ms;
        match out.last_mut() {
            Some((bt, v)) if *bt == t => v.push(p),
            _ => out.push((t, vec![p])),
        }
    }
    out
}

/// Valid periods: 1, 5, 10, 20, 30 or a multiple of 60 seconds.
pub fn valid_period(p: i64) -> bool {
    p >= 1 && (p % 60 == 0 || [1, 5, 10, 20, 30].contains(&p))
}

pub struct Window {
    pub start: i64,
    pub end: i64,
    pub now: i64,
}

/// One metric's statistic per period, and the units the samples carried.
pub fn metric_stat(
    region: Option<&RegionMetrics>,
    m: &MetricRef,
    stat: &Stat,
    period_ms: i64,
    unit: Option<u8>,
    w: &Window,
) -> (Ts, BTreeSet<u8>) {
    let mut ts = Ts {
        period: period_ms,
        points: Vec::new(),
    };
    let mut units = BTreeSet::new();
    let key = MetricKey::new(&m.namespace, &m.name, m.dims.clone());
    let Some(s) = region.and_then(|r| r.series.get(&key)) else {
        return (ts, units);
    };
    let first = align_start(w.start, period_ms, w.now);
    for (t, pts) in buckets(s.range(first, w.end), first, period_ms) {
        if !retained(t, period_ms, w.now) {
            continue;
        }
        let mut agg = Agg::new();
        for p in pts {
            if unit.is_none_or(|u| u == p.unit) {
                units.insert(p.unit);
                agg.add(p);
            }
        }
        if let Some(v) = agg.get(stat).filter(|v| v.is_finite()) {
            ts.points.push((t, v));
        }
    }
    (ts, units)
}

/// The validation GetMetricData and alarms share: ids, the one-of rule,
/// periods and statistics. `path` names the member as errors show it.
pub fn validate(queries: &[Query], path: &str) -> Result<(), AwsError> {
    let invalid = |m: String| AwsError::bad_request("ValidationError", m);
    let mut seen = HashSet::new();
    for (i, q) in queries.iter().enumerate() {
        let at = format!("{path}.member.{}", i + 1);
        let ok_id = q.id.starts_with(|c: char| c.is_ascii_lowercase())
            && q.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok_id {
            return Err(invalid(format!(
                "The value {} for parameter {at}.Id is not valid. Id must start with a lowercase letter and contain only letters, numbers and underscores.",
                q.id
            )));
        }
        if !seen.insert(q.id.as_str()) {
            return Err(invalid(format!(
                "The value {} for parameter {at}.Id is a duplicate. Ids must be unique.",
                q.id
            )));
        }
        match (&q.metric, &q.expression) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(invalid(format!(
                    "The parameter {at} must contain exactly one of MetricStat or Expression."
                )));
            }
            (Some(_), None) => {
                if !valid_period(q.stat_period) {
                    return Err(invalid(format!(
                        "The parameter {at}.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60."
                    )));
                }
                if Stat::parse(&q.stat).is_none() {
                    return Err(invalid(format!(
                        "The value {} for parameter {at}.MetricStat.Stat is not a valid statistic.",
                        q.stat
                    )));
                }
            }
            (None, Some(e)) => {
                if let Err(msg) = math::parse(e) {
                    return Err(invalid(format!("Error in expression '{}': {msg}", q.id)));
                }
                if let Some(p) = q.period.filter(|p| !valid_period(*p)) {
                    return Err(invalid(format!(
                        "The value {p} for parameter {at}.Period is not valid. It must be 1, 5, 10, 20, 30, or a multiple of 60."
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Default labels: the metric name, plus the statistic and period where
/// queries of the same metric name differ in them.
pub fn default_labels(queries: &[Query]) -> HashMap<String, String> {
    let mut by_name: HashMap<&str, Vec<&Query>> = HashMap::new();
    for q in queries {
        if let Some(m) = &q.metric {
            by_name.entry(m.name.as_str()).or_default().push(q);
        }
    }
    let mut out = HashMap::new();
    for q in queries {
        let label = match (&q.label, &q.metric) {
            (Some(l), _) => l.clone(),
            (None, Some(m)) => {
                let peers = &by_name[m.name.as_str()];
                let stats: HashSet<&str> = peers.iter().map(|p| p.stat.as_str()).collect();
                let periods: HashSet<i64> = peers.iter().map(|p| p.stat_period).collect();
                let mut l = m.name.clone();
                if stats.len() > 1 {
                    l = format!("{l} {}", q.stat);
                }
                if periods.len() > 1 {
                    l = format!("{l} {}", q.stat_period);
                }
                l
            }
            (None, None) => q.id.clone(),
        };
        out.insert(q.id.clone(), label);
    }
    out
}

/// Fills in dynamic labels: `${LABEL}`, `${PROP('MetricName')}` (also
/// `Namespace`, `Period`, `Stat`, `Dim.NAME`) and the values' `${AVG}`,
/// `${MIN}`, `${MAX}`, `${SUM}`, `${FIRST}`, `${LAST}`, `${DATAPOINT_COUNT}`.
pub fn render_label(template: &str, default: &str, q: &Query, points: &[(i64, f64)]) -> String {
    if !template.contains("${") {
        return template.to_string();
    }
    let vals: Vec<f64> = points.iter().map(|p| p.1).collect();
    let show = |v: Option<f64>| match v {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Some(v) => format!("{}", (v * 1000.0).round() / 1000.0),
        None => String::new(),
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find('}') else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let name = &rest[at + 2..at + end];
        let value = match name {
            "LABEL" => default.to_string(),
            "AVG" => show((!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)),
            "SUM" => show(Some(vals.iter().sum())),
            "MIN" => show(vals.iter().copied().reduce(f64::min)),
            "MAX" => show(vals.iter().copied().reduce(f64::max)),
            "FIRST" => show(vals.first().copied()),
            "LAST" => show(vals.last().copied()),
            "DATAPOINT_COUNT" => vals.len().to_string(),
            _ => {
                let prop = name
                    .strip_prefix("PROP(")
                    .and_then(|p| p.strip_suffix(')'))
                    .map(|p| p.trim_matches(|c| c == '\'' || c == '"'));
                match (prop, &q.metric) {
                    (Some("MetricName"), Some(m)) => m.name.clone(),
                    (Some("Namespace"), Some(m)) => m.namespace.clone(),
                    (Some("Period"), _) => q.period.unwrap_or(q.stat_period).to_string(),
                    (Some("Stat"), _) => q.stat.clone(),
                    (Some(p), Some(m)) if p.starts_with("Dim.") => m
                        .dims
                        .iter()
                        .find(|(n, _)| n == &p[4..])
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                }
            }
        };
        out.push_str(&value);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A query's result over the whole range, ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub label: String,
    pub points: Vec<(i64, f64)>,
    pub messages: Vec<(String, String)>,
    pub returns: bool,
}

struct QueryEnv<'a> {
    region: Option<&'a RegionMetrics>,
    queries: &'a [Query],
    labels: HashMap<String, String>,
    w: &'a Window,
    done: HashMap<String, Val>,
    messages: HashMap<String, Vec<(String, String)>>,
    busy: HashSet<String>,
    default_period: i64,
}

impl QueryEnv<'_> {
    fn compute(&mut self, q: &Query) -> Result<Val, AwsError> {
        if let Some(v) = self.done.get(&q.id) {
            return Ok(v.clone());
        }
        let v = match (&q.metric, &q.expression) {
            (Some(m), _) => {
                let stat = Stat::parse(&q.stat).unwrap_or(Stat::Average);
                let unit = q.unit.as_deref().and_then(series::unit_index);
                let (ts, units) =
                    metric_stat(self.region, m, &stat, q.stat_period * 1000, unit, self.w);
                if q.unit.is_none() && units.len() > 1 {
                    let mut names: Vec<&str> =
                        units.iter().map(|u| series::unit_name(*u)).collect();
                    names.sort_unstable();
                    self.messages.entry(q.id.clone()).or_default().push((
                        "MultipleUnits".into(),
                        format!("Multiple units returned: '[{}]'", names.join(", ")),
                    ));
                }
                Val::Series(ts)
            }
            (None, Some(e)) => {
                if !self.busy.insert(q.id.clone()) {
                    return Err(AwsError::bad_request(
                        "ValidationError",
                        format!("Error in expression '{}': Circular dependency", q.id),
                    ));
                }
                let expr = math::parse(e).map_err(|m| {
                    AwsError::bad_request(
                        "ValidationError",
                        format!("Error in expression '{}': {m}", q.id),
                    )
                })?;
                let saved = self.default_period;
                if let Some(p) = q.period {
                    self.default_period = p * 1000;
                }
                let r = math::eval(&expr, self);
                self.default_period = saved;
                self.busy.remove(&q.id);
                let mut v = r.map_err(|m| {
                    AwsError::bad_request(
                        "ValidationError",
                        format!("Error in expression '{}': {m}", q.id),
                    )
                })?;
                if let Val::Scalar(x) = v {
                    let p = q.period.map_or(self.default_period, |p| p * 1000);
                    v = Val::Series(Ts {
                        period: p,
                        points: self.grid(p).into_iter().map(|t| (t, x)).collect(),
                    });
                }
                v
            }
            (None, None) => Val::Series(Ts::default()),
        };
        self.done.insert(q.id.clone(), v.clone());
        Ok(v)
    }
}

impl Env for QueryEnv<'_> {
    fn get(&mut self, id: &str) -> Result<Option<Val>, String> {
        let Some(q) = self.queries.iter().find(|q| q.id == id) else {
            return Ok(None);
        };
        self.compute(q).map(Some).map_err(|e| e.message)
    }

    fn metrics(&mut self) -> Result<Vec<(String, Named)>, String> {
        let mut out = Vec::new();
        for q in self.queries.iter().filter(|q| q.metric.is_some()) {
            if let Val::Series(ts) = self.compute(q).map_err(|e| e.message)? {
                out.push((
                    q.id.clone(),
                    Named {
                        label: self.labels.get(&q.id).cloned().unwrap_or_default(),
                        ts,
                    },
                ));
            }
        }
        Ok(out)
    }

    fn search(&mut self, expr: &str, stat: &str, period: i64) -> Result<Vec<Named>, String> {
        let st = Stat::parse(stat).ok_or_else(|| format!("Invalid statistic \"{stat}\""))?;
        let filter = SearchFilter::parse(expr)?;
        let mut out = Vec::new();
        let Some(r) = self.region else {
            return Ok(out);
        };
        for key in r.series.keys().filter(|k| filter.matches(k)) {
            let m = MetricRef {
                namespace: key.namespace.clone(),
                name: key.name.clone(),
                dims: key.dims.clone(),
            };
            let (ts, _) = metric_stat(self.region, &m, &st, period * 1000, None, self.w);
            if ts.points.is_empty() {
                continue;
            }
            let mut parts: Vec<String> = key.dims.iter().map(|(_, v)| v.clone()).collect();
            parts.push(key.name.clone());
            out.push(Named {
                label: parts.join(" "),
                ts,
            });
        }
        Ok(out)
    }

    fn grid(&self, period: i64) -> Vec<i64> {
        let period = period.max(1000);
        let first = align_start(self.w.start, period, self.w.now);
        let n = ((self.w.end - first + period - 1) / period).clamp(0, 100_800);
        (0..n).map(|i| first + i * period).collect()
    }

    fn default_period(&self) -> i64 {
        self.default_period
    }
}

/// SEARCH's filter: `{Namespace,DimName,...}` fixes the namespace and the
/// exact dimension names; `Name="value"` pairs match exactly; other terms
/// match part of the namespace, metric name or a dimension value.
pub struct SearchFilter {
    schema: Option<(String, Vec<String>)>,
    exact: Vec<(String, String)>,
    terms: Vec<String>,
}

impl SearchFilter {
    pub fn parse(s: &str) -> Result<SearchFilter, String> {
        let mut f = SearchFilter {
            schema: None,
            exact: Vec::new(),
            terms: Vec::new(),
        };
        let mut rest = s.trim();
        if let Some(r) = rest.strip_prefix('{') {
            let (inner, after) = r.split_once('}').ok_or("Unterminated schema in SEARCH")?;
            let mut parts = inner
                .split(',')
                .map(|p| p.trim().trim_matches('"').to_string());
            let ns = parts.next().unwrap_or_default();
            f.schema = Some((ns, parts.filter(|p| !p.is_empty()).collect()));
            rest = after.trim();
        }
        let mut chars = rest.chars().peekable();
        let mut tokens = Vec::new();
        while chars.peek().is_some() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let mut tok = String::new();
            let mut quoted = false;
            while let Some(&c) = chars.peek() {
                if c == '"' {
                    quoted = !quoted;
                    chars.next();
                    continue;
                }
                if c.is_whitespace() && !quoted {
                    break;
                }
                tok.push(c);
                chars.next();
            }
            if !tok.is_empty() {
                tokens.push(tok);
            }
        }
        for t in tokens {
            if t.eq_ignore_ascii_case("AND") || t.eq_ignore_ascii_case("OR") {
                continue;
            }
            match t.split_once('=') {
                Some((k, v)) => f.exact.push((k.to_string(), v.to_string())),
                None => f.terms.push(t),
            }
        }
        Ok(f)
    }

    pub fn matches(&self, k: &MetricKey) -> bool {
        if let Some((ns, names)) = &self.schema {
            if &k.namespace != ns || k.dims.len() != names.len() {
                return false;
            }
            if !names.iter().all(|n| k.dims.iter().any(|(d, _)| d == n)) {
                return false;
            }
        }
        let exact_ok = self.exact.iter().all(|(name, v)| match name.as_str() {
            "MetricName" => &k.name == v,
            "Namespace" => &k.namespace == v,
            d => k.dims.iter().any(|(dn, dv)| dn == d && dv == v),
        });
        let terms_ok = self.terms.iter().all(|t| {
            k.name.contains(t.as_str())
                || k.namespace.contains(t.as_str())
                || k.dims.iter().any(|(n, v)| v.contains(t.as_str()) || n == t)
        });
        exact_ok && terms_ok
    }
}

/// Runs the queries over the range; results come back in request order,
/// expressions after the metrics they use are computed.
pub fn run(
    region: Option<&RegionMetrics>,
    queries: &[Query],
    w: &Window,
) -> Result<Vec<Outcome>, AwsError> {
    let default_period = queries
        .iter()
        .find_map(|q| q.metric.as_ref().map(|_| q.stat_period))
        .or_else(|| queries.iter().find_map(|q| q.period))
        .unwrap_or(60)
        * 1000;
    let mut env = QueryEnv {
        region,
        queries,
        labels: default_labels(queries),
        w,
        done: HashMap::new(),
        messages: HashMap::new(),
        busy: HashSet::new(),
        default_period,
    };
    let mut out = Vec::new();
    for q in queries {
        let v = env.compute(q)?;
        let points = match v {
            Val::Series(ts) => ts.points,
            Val::Scalar(_) => Vec::new(),
            Val::Array(items) => {
                // An array where one series is expected: its first member.
                items
                    .into_iter()
                    .next()
                    .map(|n| n.ts.points)
                    .unwrap_or_default()
            }
        };
        let points: Vec<(i64, f64)> = points.into_iter().filter(|(_, v)| v.is_finite()).collect();
        let label = env
            .labels
            .get(&q.id)
            .cloned()
            .unwrap_or_else(|| q.id.clone());
        let default = {
            let mut plain = q.clone();
            plain.label = None;
            default_labels(std::slice::from_ref(&plain))
                .remove(&q.id)
                .unwrap_or_else(|| q.id.clone())
        };
        out.push(Outcome {
            id: q.id.clone(),
            label: render_label(&label, &default, q, &points),
            points,
            messages: env.messages.remove(&q.id).unwrap_or_default(),
            returns: q.returns(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::Series;

    fn region() -> RegionMetrics {
        let mut r = RegionMetrics::default();
        let mut s = Series::default();
        for i in 0..10 {
            s.insert(Point::single(i * 30_000, i as f64, 0));
        }
        r.series.insert(MetricKey::new("NS", "m", vec![]), s);
        r
    }

    fn q(id: &str, stat: &str, period: i64) -> Query {
        Query {
            id: id.into(),
            metric: Some(MetricRef {
                namespace: "NS".into(),
                name: "m".into(),
                dims: vec![],
            }),
            stat: stat.into(),
            stat_period: period,
            ..Query::default()
        }
    }

    #[test]
    fn buckets_follow_the_period() {
        let r = region();
        let w = Window {
            start: 0,
            end: 300_000,
            now: 300_000,
        };
        let (ts, _) = metric_stat(
            Some(&r),
            &q("a", "Sum", 60).metric.unwrap(),
            &Stat::Sum,
            60_000,
            None,
            &w,
        );
        assert_eq!(
            ts.points,
            vec![
                (0, 1.0),
                (60_000, 5.0),
                (120_000, 9.0),
                (180_000, 13.0),
                (240_000, 17.0)
            ]
        );
    }

    #[test]
    fn old_data_needs_coarser_periods() {
        let now = 20 * DAY;
        assert!(retained(now - HOUR, 1000, now));
        assert!(!retained(now - 4 * HOUR, 1000, now));
        assert!(retained(now - 4 * HOUR, 60_000, now));
        assert!(!retained(now - 16 * DAY, 60_000, now));
        assert!(retained(now - 16 * DAY, 300_000, now));
        assert_eq!(align_start(61_500, 60_000, 100 * MINUTE), 60_000);
        assert_eq!(align_start(12_345, 10_000, 100 * MINUTE), 10_000);
    }

    #[test]
    fn expressions_see_metric_results() {
        let r = region();
        let w = Window {
            start: 0,
            end: 300_000,
            now: 300_000,
        };
        let queries = vec![
            q("m1", "Sum", 60),
            q("m2", "SampleCount", 60),
            Query {
                id: "e1".into(),
                expression: Some("m1 / m2".into()),
                ..Query::default()
            },
        ];
        validate(&queries, "MetricDataQueries").unwrap();
        let out = run(Some(&r), &queries, &w).unwrap();
        assert_eq!(out[2].points[0], (0, 0.5));
        assert_eq!(out[0].label, "m Sum");
        assert_eq!(out[2].label, "e1");
    }

    #[test]
    fn dynamic_labels() {
        let mut query = q("m1", "Average", 300);
        query.metric.as_mut().unwrap().dims = vec![("InstanceId".into(), "i-1".into())];
        let pts = [(0, 1.0), (1, 2.5), (2, 4.0)];
        assert_eq!(
            render_label(
                "${PROP('Dim.InstanceId')} ${PROP('Stat')} max ${MAX} avg ${AVG}",
                "m",
                &query,
                &pts
            ),
            "i-1 Average max 4 avg 2.5"
        );
        assert_eq!(
            render_label("${LABEL} (${LAST})", "m", &query, &pts),
            "m (4)"
        );
        assert_eq!(render_label("plain", "m", &query, &pts), "plain");
        assert_eq!(render_label("a ${MAX", "m", &query, &pts), "a ${MAX");
    }

    #[test]
    fn invalid_queries_are_refused() {
        let mut bad = q("M1", "Sum", 60);
        assert!(validate(&[bad.clone()], "Q").is_err());
        bad.id = "m1".into();
        bad.stat_period = 45;
        assert!(validate(&[bad], "Q").is_err());
        assert!(validate(&[q("a", "p101", 60)], "Q").is_err());
        assert!(validate(&[q("a", "Sum", 60), q("a", "Sum", 60)], "Q").is_err());
    }

    #[test]
    fn search_filters() {
        let k = MetricKey::new(
            "AWS/EC2",
            "CPUUtilization",
            vec![("InstanceId".into(), "i-1".into())],
        );
        assert!(
            SearchFilter::parse("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"")
                .unwrap()
                .matches(&k)
        );
        assert!(
            !SearchFilter::parse("{AWS/EC2} CPUUtilization")
                .unwrap()
                .matches(&k)
        );
        assert!(SearchFilter::parse("CPU").unwrap().matches(&k));
    }
}
