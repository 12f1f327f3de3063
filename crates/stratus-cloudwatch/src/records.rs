//! Alarms, dashboards, metric streams and history items as stored.

use serde::{Deserialize, Serialize};

/// A metric as a query or an alarm names it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct MetricRef {
    pub namespace: String,
    pub name: String,
    pub dims: Vec<(String, String)>,
}

/// One MetricDataQuery: a metric with a statistic, or an expression.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Query {
    pub id: String,
    pub metric: Option<MetricRef>,
    pub stat: String,
    pub stat_period: i64,
    pub unit: Option<String>,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub return_data: Option<bool>,
    pub period: Option<i64>,
    pub account_id: Option<String>,
}

impl Query {
    pub fn returns(&self) -> bool {
        self.return_data.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Alarm {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub composite: bool,
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,

    pub metric: Option<MetricRef>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub period: Option<i64>,
    pub unit: Option<String>,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: Option<f64>,
    pub comparison_operator: String,
    pub treat_missing_data: Option<String>,
    pub evaluate_low_sample_count_percentile: Option<String>,
    pub metrics: Vec<Query>,
    pub threshold_metric_id: Option<String>,

    pub rule: Option<String>,
    pub actions_suppressor: Option<String>,
    pub actions_suppressor_wait_period: Option<i64>,
    pub actions_suppressor_extension_period: Option<i64>,

    pub state_value: String,
    pub state_reason: String,
    pub state_reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
    pub config_updated_ms: i64,
    pub tags: Vec<(String, String)>,
    /// When the ALARM-state Auto Scaling actions last ran (they repeat
    /// each period while the alarm stays in ALARM).
    pub last_scaling_ms: i64,
    /// After SetAlarmState, a metric alarm's evaluation waits until a
    /// period ending after this time has completed, a composite alarm's
    /// until this time.
    pub hold_until_ms: i64,
    /// Set by whoever owns the alarm (Auto Scaling target tracking).
    pub owner: Option<String>,
}

impl Alarm {
    pub fn kind(&self) -> &'static str {
        if self.composite {
            "CompositeAlarm"
        } else {
            "MetricAlarm"
        }
    }

    /// The actions for a state.
    pub fn actions_for(&self, state: &str) -> &[String] {
        match state {
            "ALARM" => &self.alarm_actions,
            "OK" => &self.ok_actions,
            _ => &self.insufficient_data_actions,
        }
    }

    pub fn required_breaches(&self) -> i64 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Dashboard {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub body: String,
    pub modified_ms: i64,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct StreamFilter {
    pub namespace: Option<String>,
    pub metric_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct StreamStats {
    pub include: Vec<(String, String)>,
    pub additional: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct MetricStream {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub include: Vec<StreamFilter>,
    pub exclude: Vec<StreamFilter>,
    pub firehose_arn: String,
    pub role_arn: String,
    pub output_format: String,
    pub state: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub statistics: Vec<StreamStats>,
    pub include_linked_accounts: bool,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct HistoryItem {
    pub account: String,
    pub region: String,
    pub alarm_name: String,
    pub alarm_type: String,
    pub ts: i64,
    /// ConfigurationUpdate, StateUpdate or Action.
    pub item_type: String,
    pub summary: String,
    pub data: String,
    pub seq: u64,
}
