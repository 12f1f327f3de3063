//! Metrics and alarms as other services use them: EC2, load balancers and
//! log metric filters publish samples; Auto Scaling's target tracking owns
//! alarms; alarms run scaling policies. CloudWatch implements `MetricSink`
//! and `Alarms`, Auto Scaling implements `ScalingPolicies`.

use std::ops::RangeInclusive;

use parking_lot::Mutex;

use crate::error::AwsError;

const MINUTE_MS: i64 = 60_000;

/// The minutes a service's once-a-minute metrics are due for, so a clock
/// moved by hand (or a pause) is filled in minute by minute, up to an hour.
#[derive(Default)]
pub struct Minutes {
    last: Mutex<Option<i64>>,
}

impl Minutes {
    const MAX_BACKFILL: i64 = 60;

    /// The start (epoch millis) of each whole minute not yet published.
    pub fn due(&self, now_ms: i64) -> Option<impl Iterator<Item = i64>> {
        let minute = now_ms.div_euclid(MINUTE_MS);
        let mut last = self.last.lock();
        let first = match *last {
            Some(l) if l >= minute => return None,
            Some(l) => (l + 1).max(minute - Self::MAX_BACKFILL + 1),
            None => minute,
        };
        *last = Some(minute);
        let range: RangeInclusive<i64> = first..=minute;
        Some(range.map(|m| m * MINUTE_MS))
    }
}

/// One sample of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub timestamp_ms: i64,
    pub value: f64,
    /// CloudWatch's unit name (`Percent`, `Count`, `Bytes`, `None` ...).
    pub unit: String,
}

/// A sample with the given name, dimension and unit.
pub fn sample(
    namespace: &str,
    name: &str,
    dims: &[(&str, &str)],
    at_ms: i64,
    value: f64,
    unit: &str,
) -> Sample {
    Sample {
        namespace: namespace.to_string(),
        metric_name: name.to_string(),
        dimensions: dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        timestamp_ms: at_ms,
        value,
        unit: unit.to_string(),
    }
}

/// Samples gathered per account and region, to hand to a sink once the
/// gatherer's lock is released.
#[derive(Default)]
pub struct Batches(std::collections::BTreeMap<(String, String), Vec<Sample>>);

impl Batches {
    pub fn add(&mut self, account: &str, region: &str, samples: impl IntoIterator<Item = Sample>) {
        self.0
            .entry((account.to_string(), region.to_string()))
            .or_default()
            .extend(samples);
    }

    pub fn send(self, sink: &dyn MetricSink) {
        for ((account, region), batch) in self.0 {
            sink.put(&account, &region, batch);
        }
    }
}

pub trait MetricSink: Send + Sync + 'static {
    fn put(&self, account: &str, region: &str, samples: Vec<Sample>);
}

/// A metric alarm another service creates and owns (target tracking).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Sum`, `Minimum`, `Maximum` or `SampleCount`.
    pub statistic: String,
    pub unit: Option<String>,
    pub period_secs: i64,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: f64,
    /// CloudWatch's operator name, e.g. `GreaterThanThreshold`.
    pub comparison: String,
    pub treat_missing_data: Option<String>,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
}

pub trait Alarms: Send + Sync + 'static {
    /// Creates or replaces the alarm; returns its ARN.
    fn put_alarm(&self, account: &str, region: &str, spec: AlarmSpec) -> Result<String, AwsError>;

    /// Deletes the named alarms; unknown names are ignored.
    fn delete_alarms(&self, account: &str, region: &str, names: &[String]);
}

/// Why an alarm runs a scaling policy: step policies place the breach in
/// their intervals by how far the metric is from the threshold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmTrigger {
    pub alarm_name: String,
    pub alarm_arn: String,
    /// The newest datapoint the alarm evaluated, if any.
    pub metric_value: Option<f64>,
    pub threshold: f64,
    pub now_ms: i64,
}

pub trait ScalingPolicies: Send + Sync + 'static {
    /// Runs the policy named by ARN as its alarm action.
    fn execute(
        &self,
        account: &str,
        region: &str,
        policy_arn: &str,
        trigger: &AlarmTrigger,
    ) -> Result<(), AwsError>;

    fn exists(&self, account: &str, region: &str, policy_arn: &str) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_due_once_and_gaps_are_filled_up_to_an_hour() {
        let m = Minutes::default();
        assert_eq!(m.due(90_000).unwrap().collect::<Vec<_>>(), vec![60_000]);
        assert!(m.due(119_999).is_none());
        assert_eq!(
            m.due(240_000).unwrap().collect::<Vec<_>>(),
            vec![120_000, 180_000, 240_000]
        );
        assert_eq!(m.due(240_000 + 3 * 3_600_000).unwrap().count(), 60);
    }
}
