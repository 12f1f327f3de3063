//! Metrics and alarms as other services use them: EC2, load balancers and
//! log metric filters publish samples; Auto Scaling's target tracking owns
//! alarms; alarms run scaling policies. CloudWatch implements `MetricSink`
//! and `Alarms`, Auto Scaling implements `ScalingPolicies`.

use crate::error::AwsError;

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
