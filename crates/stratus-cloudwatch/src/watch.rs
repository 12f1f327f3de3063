//! The alarm loop: on each tick every metric alarm is evaluated over its
//! latest completed periods, and composite alarms after them; state changes are recorded
//! in history, and their actions run once the locks are released. Auto
//! Scaling actions run again each period an alarm stays in ALARM.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::json;
use stratus_core::AwsError;
use stratus_core::tasks::Task;

use crate::Core;
use crate::actions::{self, Change};
use crate::evaluate::{self, Datapoint, long_date};
use crate::query::{self, Window};
use crate::records::{Alarm, HistoryItem};
use crate::rule;
use crate::series::{self, MetricKey, RegionMetrics};
use crate::state::{AlarmKey, ConfigTxn, HISTORY_MS};
use crate::stats::{Agg, Stat};

/// How often stored samples are compacted and expired (clock time).
const MAINTAIN_EVERY_MS: i64 = 60_000;

pub struct AlarmTask {
    pub core: Arc<Core>,
    /// When stored samples were last maintained (clock time).
    pub last_maintain: AtomicI64,
}

impl Task for AlarmTask {
    fn name(&self) -> &str {
        "cloudwatch-alarms"
    }

    fn tick(&self, now_ms: i64) {
        if let Err(e) = tick(&self.core, now_ms) {
            tracing::warn!(error = %e, "alarm evaluation failed");
        }
        let last = self.last_maintain.load(Ordering::Relaxed);
        if now_ms - last >= MAINTAIN_EVERY_MS || now_ms < last {
            self.last_maintain.store(now_ms, Ordering::Relaxed);
            if let Err(e) = self.core.state.maintain(now_ms) {
                tracing::warn!(error = %e, "metric maintenance failed");
            }
        }
    }
}

/// The alarm's evaluation period in ms: its Period, or for metric math the
/// period of the query that returns data.
pub fn period_ms(a: &Alarm) -> i64 {
    let secs = a.period.unwrap_or_else(|| {
        a.metrics
            .iter()
            .find(|q| q.returns())
            .map(|q| {
                if q.metric.is_some() {
                    q.stat_period
                } else {
                    q.period.unwrap_or(60)
                }
            })
            .unwrap_or(60)
    });
    secs.max(1) * 1000
}

/// The alarm's N most recent completed periods, oldest first.
pub fn datapoints(a: &Alarm, region: Option<&RegionMetrics>, end: i64, now: i64) -> Vec<Datapoint> {
    let p = period_ms(a);
    let n = a.evaluation_periods.max(1);
    let start = end - n * p;
    let mut out: Vec<Datapoint> = (0..n)
        .map(|i| Datapoint {
            ts: start + i * p,
            value: None,
            sample_count: None,
        })
        .collect();
    if let Some(m) = &a.metric {
        let stat = a
            .statistic
            .as_deref()
            .and_then(Stat::basic)
            .or_else(|| a.extended_statistic.as_deref().and_then(Stat::parse))
            .unwrap_or(Stat::Average);
        let unit = a.unit.as_deref().and_then(series::unit_index);
        let key = MetricKey::new(&m.namespace, &m.name, m.dims.clone());
        if let Some(s) = region.and_then(|r| r.series.get(&key)) {
            for (t, pts) in query::buckets(s.range(start, end), start, p) {
                let agg = Agg::of(
                    pts.into_iter()
                        .filter(|pt| unit.is_none_or(|u| u == pt.unit)),
                );
                let i = ((t - start) / p) as usize;
                if let (Some(slot), Some(v)) = (out.get_mut(i), agg.get(&stat)) {
                    slot.value = Some(v);
                    slot.sample_count = Some(agg.count);
                }
            }
        }
    } else if !a.metrics.is_empty() {
        let w = Window { start, end, now };
        if let Ok(results) = query::run(region, &a.metrics, &w)
            && let Some(r) = results.into_iter().find(|r| r.returns)
        {
            for (t, v) in r.points {
                let i = (t - start).div_euclid(p);
                if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                    slot.value = Some(v);
                }
            }
        }
    }
    out
}

/// Moves an alarm to a new state: history item, and the change whose
/// actions run when the alarm's actions are enabled.
pub fn transition(
    txn: &mut ConfigTxn<'_>,
    key: &AlarmKey,
    state: &str,
    reason: String,
    reason_data: Option<String>,
    newest: Option<f64>,
    triggering: Option<Alarm>,
    now: i64,
) -> Result<Option<Change>, AwsError> {
    let Some(a) = txn.inner.alarms.get_mut(key) else {
        return Ok(None);
    };
    let old_state = a.state_value.clone();
    let mut old = serde_json::Map::new();
    old.insert("stateValue".into(), json!(a.state_value));
    old.insert("stateReason".into(), json!(a.state_reason));
    if let Some(d) = a
        .state_reason_data
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
    {
        old.insert("stateReasonData".into(), d);
    }
    let mut new = serde_json::Map::new();
    new.insert("stateValue".into(), json!(state));
    new.insert("stateReason".into(), json!(reason));
    if let Some(d) = reason_data
        .as_deref()
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
    {
        new.insert("stateReasonData".into(), d);
    }
    a.state_value = state.to_string();
    a.state_reason = reason;
    a.state_reason_data = reason_data;
    a.state_updated_ms = now;
    a.state_transitioned_ms = now;
    if state == "ALARM" {
        a.last_scaling_ms = (now / period_ms(a)) * period_ms(a);
    }
    let snapshot = a.clone();
    txn.put_alarm(key)?;
    txn.add_history(HistoryItem {
        account: key.0.clone(),
        region: key.1.clone(),
        alarm_name: key.2.clone(),
        alarm_type: snapshot.kind().to_string(),
        ts: now,
        item_type: "StateUpdate".into(),
        summary: format!("Alarm updated from {old_state} to {state}"),
        data: json!({"version": "1.0", "oldState": old, "newState": new}).to_string(),
        seq: 0,
    })?;
    let actions = if snapshot.actions_enabled {
        snapshot.actions_for(state).to_vec()
    } else {
        Vec::new()
    };
    Ok(Some(Change {
        alarm: snapshot,
        old_state,
        actions,
        newest,
        triggering,
        now,
    }))
}

/// Runs the changes' actions and records them.
pub fn run_changes(cw: &Core, changes: Vec<Change>) -> Result<(), AwsError> {
    let mut items = Vec::new();
    for c in changes.iter().filter(|c| !c.actions.is_empty()) {
        items.extend(actions::perform(cw, c));
    }
    if items.is_empty() {
        return Ok(());
    }
    let mut txn = cw.state.begin();
    for i in items {
        txn.add_history(i)?;
    }
    txn.commit()
}

/// Evaluates composite alarms of the scopes given (all when `None`) until
/// nothing changes (composites may depend on composites).
pub fn settle_composites(
    txn: &mut ConfigTxn<'_>,
    now: i64,
    changes: &mut Vec<Change>,
) -> Result<(), AwsError> {
    for _ in 0..10 {
        let mut changed = false;
        let keys: Vec<AlarmKey> = txn
            .inner
            .alarms
            .iter()
            .filter(|(_, a)| a.composite)
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let Some(a) = txn.inner.alarms.get(&key) else {
                continue;
            };
            if a.hold_until_ms > now {
                continue;
            }
            let Some(r) = a.rule.as_deref().and_then(|r| rule::parse(r).ok()) else {
                continue;
            };
            let alarms = &txn.inner.alarms;
            let lookup = |reference: &str| -> Option<&Alarm> {
                alarms.get(&(
                    key.0.clone(),
                    key.1.clone(),
                    rule::alarm_name(reference).to_string(),
                ))
            };
            let value = rule::eval(&r, &|n| lookup(n).map(|c| c.state_value.clone()));
            let state = if value { "ALARM" } else { "OK" };
            if a.state_value == state {
                continue;
            }
            let mut refs = Vec::new();
            rule::alarms(&r, &mut refs);
            let trigger = refs
                .iter()
                .filter_map(|n| lookup(n))
                .max_by_key(|c| c.state_updated_ms)
                .cloned();
            let (reason, data) = match &trigger {
                Some(t) => (
                    format!(
                        "{} transitioned to {} at {}",
                        t.arn,
                        t.state_value,
                        reason_date(t.state_updated_ms)
                    ),
                    json!({"triggeringAlarms": [{"arn": t.arn, "state": {"value": t.state_value, "timestamp": long_date(t.state_updated_ms)}}]})
                        .to_string(),
                ),
                None => (
                    format!("The alarm rule evaluated to {}", if value { "TRUE" } else { "FALSE" }),
                    json!({"triggeringAlarms": []}).to_string(),
                ),
            };
            if let Some(c) = transition(txn, &key, state, reason, Some(data), None, trigger, now)? {
                changes.push(c);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

/// `Friday 12 May, 2023 10:16:07 UTC`, as composite reasons write times.
fn reason_date(ms: i64) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let s = stratus_core::time::iso8601_millis(ms);
    let day = DAYS[ms.div_euclid(86_400_000).rem_euclid(7) as usize];
    let month = MONTHS[s[5..7].parse::<usize>().unwrap_or(1) - 1];
    format!(
        "{day} {} {month}, {} {} UTC",
        s[8..10].trim_start_matches('0'),
        &s[..4],
        &s[11..19]
    )
}

pub fn tick(cw: &Core, now: i64) -> Result<(), AwsError> {
    let mut changes = Vec::new();
    let ticket = {
        let mut txn = cw.state.begin();
        let keys: Vec<AlarmKey> = txn
            .inner
            .alarms
            .iter()
            .filter(|(_, a)| !a.composite)
            .map(|(k, _)| k.clone())
            .collect();
        {
            let metrics = cw.state.metrics.read();
            for key in keys {
                let Some(a) = txn.inner.alarms.get_mut(&key) else {
                    continue;
                };
                let p = period_ms(a);
                let end = now.div_euclid(p) * p;
                if end <= a.hold_until_ms {
                    continue;
                }
                let points = datapoints(a, metrics.region(&key.0, &key.1), end, now);
                let verdict = evaluate::decide(a, &points, now);
                if let Some(v) = verdict.filter(|v| v.state != a.state_value) {
                    if let Some(c) = transition(
                        &mut txn,
                        &key,
                        &v.state,
                        v.reason,
                        Some(v.reason_data),
                        v.newest,
                        None,
                        now,
                    )? {
                        changes.push(c);
                    }
                    continue;
                }
                // Still in ALARM: scaling policies run again each period.
                if a.state_value == "ALARM" && a.actions_enabled && end > a.last_scaling_ms {
                    let scaling: Vec<String> = a
                        .alarm_actions
                        .iter()
                        .filter(|x| x.starts_with("arn:aws:autoscaling:"))
                        .cloned()
                        .collect();
                    if !scaling.is_empty() {
                        a.last_scaling_ms = end;
                        let snapshot = a.clone();
                        txn.put_alarm(&key)?;
                        changes.push(Change {
                            alarm: snapshot,
                            old_state: "ALARM".into(),
                            actions: scaling,
                            newest: points.iter().rev().find_map(|p| p.value),
                            triggering: None,
                            now,
                        });
                    }
                }
            }
        }
        settle_composites(&mut txn, now, &mut changes)?;
        txn.expire_history(now - HISTORY_MS);
        txn.submit()?
    };
    ticket
        .wait()
        .map_err(|e| AwsError::internal(e.to_string()))?;
    run_changes(cw, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::MetricRef;
    use crate::series::{Point, Series};

    #[test]
    fn datapoints_cover_the_last_periods() {
        let mut r = RegionMetrics::default();
        let mut s = Series::default();
        s.insert(Point::single(60_000, 10.0, 0));
        s.insert(Point::single(90_000, 20.0, 0));
        s.insert(Point::single(180_000, 5.0, 0));
        r.series.insert(MetricKey::new("NS", "m", vec![]), s);
        let a = Alarm {
            metric: Some(MetricRef {
                namespace: "NS".into(),
                name: "m".into(),
                dims: vec![],
            }),
            statistic: Some("Average".into()),
            period: Some(60),
            evaluation_periods: 3,
            ..Alarm::default()
        };
        let pts = datapoints(&a, Some(&r), 240_000, 240_000);
        let vals: Vec<Option<f64>> = pts.iter().map(|p| p.value).collect();
        assert_eq!(vals, vec![Some(15.0), None, Some(5.0)]);
        assert_eq!(pts[0].ts, 60_000);
        assert_eq!(pts[0].sample_count, Some(2.0));
    }

    struct Policies(parking_lot::Mutex<Vec<(String, Option<f64>)>>);

    impl stratus_core::metrics::ScalingPolicies for Policies {
        fn execute(
            &self,
            _: &str,
            _: &str,
            policy_arn: &str,
            trigger: &stratus_core::metrics::AlarmTrigger,
        ) -> Result<(), AwsError> {
            self.0
                .lock()
                .push((policy_arn.to_string(), trigger.metric_value));
            Ok(())
        }

        fn exists(&self, _: &str, _: &str, _: &str) -> bool {
            true
        }
    }

    #[test]
    fn scaling_actions_repeat_each_period_in_alarm() {
        let policies = Arc::new(Policies(parking_lot::Mutex::new(Vec::new())));
        let link: stratus_core::Link<dyn stratus_core::metrics::ScalingPolicies> =
            stratus_core::Link::to(policies.clone());
        let core = Core {
            state: crate::state::State::load(stratus_store::Store::ephemeral()).unwrap(),
            clock: stratus_core::Clock::new(),
            topics: std::sync::OnceLock::new(),
            instances: std::sync::OnceLock::new(),
            policies: std::sync::OnceLock::new(),
        };
        let _ = core.policies.set(link);
        let policy = "arn:aws:autoscaling:r:a:scalingPolicy:1:autoScalingGroupName/g:policyName/up";
        crate::ops::alarms::put_owned(
            &core,
            "a",
            "r",
            stratus_core::metrics::AlarmSpec {
                name: "high".into(),
                namespace: "AWS/EC2".into(),
                metric_name: "CPUUtilization".into(),
                dimensions: vec![("AutoScalingGroupName".into(), "g".into())],
                statistic: "Average".into(),
                period_secs: 60,
                evaluation_periods: 1,
                threshold: 50.0,
                comparison: "GreaterThanThreshold".into(),
                alarm_actions: vec![policy.into()],
                ..Default::default()
            },
        )
        .unwrap();
        let key = MetricKey::new(
            "AWS/EC2",
            "CPUUtilization",
            vec![("AutoScalingGroupName".into(), "g".into())],
        );
        let t0 = 1_700_000_040_000 / 60_000 * 60_000;
        let put = |t: i64, v: f64| {
            core.state
                .put_samples("a", "r", vec![(key.clone(), Point::single(t, v, 0))], t)
                .unwrap()
        };
        put(t0, 90.0);
        tick(&core, t0 + 60_000).unwrap();
        assert_eq!(policies.0.lock().len(), 1);
        put(t0 + 60_000, 95.0);
        tick(&core, t0 + 120_000).unwrap();
        tick(&core, t0 + 125_000).unwrap();
        assert_eq!(
            *policies.0.lock(),
            vec![
                (policy.to_string(), Some(90.0)),
                (policy.to_string(), Some(95.0))
            ]
        );
        // Back under the threshold: OK, and no more runs.
        put(t0 + 120_000, 10.0);
        tick(&core, t0 + 180_000).unwrap();
        put(t0 + 180_000, 10.0);
        tick(&core, t0 + 240_000).unwrap();
        assert_eq!(policies.0.lock().len(), 2);
        let txn = core.state.begin();
        let a = &txn.inner.alarms[&("a".to_string(), "r".to_string(), "high".to_string())];
        assert_eq!(a.state_value, "OK");
        assert_eq!(a.owner.as_deref(), Some("autoscaling"));
        let kinds: Vec<&str> = txn.inner.history[&("a".to_string(), "r".to_string())]
            .iter()
            .map(|h| h.item_type.as_str())
            .filter(|k| *k != "ConfigurationUpdate")
            .collect();
        assert_eq!(
            kinds,
            vec!["StateUpdate", "Action", "Action", "StateUpdate"]
        );
    }

    #[test]
    fn composite_reason_dates() {
        // 2023-05-12 was a Friday.
        assert_eq!(
            reason_date(1_683_886_567_000),
            "Friday 12 May, 2023 10:16:07 UTC"
        );
    }
}
