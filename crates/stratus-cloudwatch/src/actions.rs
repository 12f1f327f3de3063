//! What an alarm does when its state changes: publish AWS's notification
//! JSON to SNS, run an Auto Scaling policy, or stop, terminate, reboot or
//! recover the EC2 instance its metric names. Each attempt becomes an
//! `Action` history item.

use serde_json::{Value as Json, json};
use stratus_core::RequestContext;
use stratus_core::compute::InstanceAction;
use stratus_core::metrics::AlarmTrigger;

use crate::Core;
use crate::evaluate::long_date;
use crate::records::{Alarm, HistoryItem};

/// A state change (or, for Auto Scaling actions, a repeat while in ALARM)
/// whose actions run once the state lock is released.
#[derive(Debug, Clone)]
pub struct Change {
    /// The alarm after the change.
    pub alarm: Alarm,
    pub old_state: String,
    pub actions: Vec<String>,
    pub newest: Option<f64>,
    /// For composite alarms: the child whose state triggered the change.
    pub triggering: Option<Alarm>,
    pub now: i64,
}

pub fn region_name(region: &str) -> &str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "ca-central-1" => "Canada (Central)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-north-1" => "EU (Stockholm)",
        "eu-south-1" => "EU (Milan)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "sa-east-1" => "South America (Sao Paulo)",
        "me-south-1" => "Middle East (Bahrain)",
        "af-south-1" => "Africa (Cape Town)",
        other => other,
    }
}

fn dims_json(dims: &[(String, String)]) -> Json {
    Json::Array(
        dims.iter()
            .map(|(n, v)| json!({"value": v, "name": n}))
            .collect(),
    )
}

/// The JSON body AWS alarm notifications carry.
pub fn notification(c: &Change) -> String {
    let a = &c.alarm;
    let mut o = serde_json::Map::new();
    o.insert("AlarmName".into(), json!(a.name));
    o.insert("AlarmDescription".into(), json!(a.description));
    o.insert("AWSAccountId".into(), json!(a.account));
    o.insert(
        "AlarmConfigurationUpdatedTimestamp".into(),
        json!(long_date(a.config_updated_ms)),
    );
    o.insert("NewStateValue".into(), json!(a.state_value));
    o.insert("NewStateReason".into(), json!(a.state_reason));
    o.insert(
        "StateChangeTime".into(),
        json!(long_date(a.state_updated_ms)),
    );
    o.insert("Region".into(), json!(region_name(&a.region)));
    o.insert("AlarmArn".into(), json!(a.arn));
    o.insert("OldStateValue".into(), json!(c.old_state));
    o.insert("OKActions".into(), json!(a.ok_actions));
    o.insert("AlarmActions".into(), json!(a.alarm_actions));
    o.insert(
        "InsufficientDataActions".into(),
        json!(a.insufficient_data_actions),
    );
    if a.composite {
        o.insert("AlarmRule".into(), json!(a.rule));
        let children: Vec<Json> = c
            .triggering
            .iter()
            .map(|t| {
                json!({"Arn": t.arn, "State": {"Value": t.state_value, "Timestamp": long_date(t.state_updated_ms)}})
            })
            .collect();
        o.insert("TriggeringChildren".into(), Json::Array(children));
        return Json::Object(o).to_string();
    }
    let mut t = serde_json::Map::new();
    if let Some(m) = &a.metric {
        t.insert("MetricName".into(), json!(m.name));
        t.insert("Namespace".into(), json!(m.namespace));
        match (&a.statistic, &a.extended_statistic) {
            (Some(s), _) => {
                t.insert("StatisticType".into(), json!("Statistic"));
                t.insert("Statistic".into(), json!(s.to_ascii_uppercase()));
            }
            (None, Some(e)) => {
                t.insert("StatisticType".into(), json!("ExtendedStatistic"));
                t.insert("ExtendedStatistic".into(), json!(e));
            }
            _ => {}
        }
        t.insert("Unit".into(), json!(a.unit));
        t.insert("Dimensions".into(), dims_json(&m.dims));
    } else {
        let metrics: Vec<Json> = a
            .metrics
            .iter()
            .map(|q| {
                let mut m = serde_json::Map::new();
                m.insert("Id".into(), json!(q.id));
                if let Some(e) = &q.expression {
                    m.insert("Expression".into(), json!(e));
                }
                if let Some(r) = &q.metric {
                    m.insert(
                        "MetricStat".into(),
                        json!({
                            "Metric": {"Dimensions": dims_json(&r.dims), "MetricName": r.name, "Namespace": r.namespace},
                            "Period": q.stat_period,
                            "Stat": q.stat,
                        }),
                    );
                }
                if let Some(l) = &q.label {
                    m.insert("Label".into(), json!(l));
                }
                m.insert("ReturnData".into(), json!(q.returns()));
                Json::Object(m)
            })
            .collect();
        t.insert("Metrics".into(), Json::Array(metrics));
    }
    if let Some(p) = a.period {
        t.insert("Period".into(), json!(p));
    }
    t.insert("EvaluationPeriods".into(), json!(a.evaluation_periods));
    if let Some(d) = a.datapoints_to_alarm {
        t.insert("DatapointsToAlarm".into(), json!(d));
    }
    t.insert("ComparisonOperator".into(), json!(a.comparison_operator));
    t.insert("Threshold".into(), json!(a.threshold.unwrap_or(0.0)));
    t.insert(
        "TreatMissingData".into(),
        json!(a.treat_missing_data.as_deref().unwrap_or("missing")),
    );
    t.insert(
        "EvaluateLowSampleCountPercentile".into(),
        json!(
            a.evaluate_low_sample_count_percentile
                .as_deref()
                .unwrap_or("")
        ),
    );
    o.insert("Trigger".into(), Json::Object(t));
    Json::Object(o).to_string()
}

/// The EC2 action an `arn:aws:automate:REGION:ec2:ACTION` (or the older
/// `arn:aws:swf:...:action/actions/AWS_EC2.InstanceId.Stop/1.0`) names.
pub fn ec2_action(arn: &str) -> Option<InstanceAction> {
    let name = if arn.starts_with("arn:aws:automate:") {
        arn.rsplit(':').next()?.to_ascii_lowercase()
    } else if arn.starts_with("arn:aws:swf:") {
        let part = arn.split("AWS_EC2.InstanceId.").nth(1)?;
        part.split('/').next()?.to_ascii_lowercase()
    } else {
        return None;
    };
    Some(match name.as_str() {
        "stop" => InstanceAction::Stop,
        "terminate" => InstanceAction::Terminate,
        "reboot" => InstanceAction::Reboot,
        "recover" => InstanceAction::Recover,
        _ => return None,
    })
}

fn instance_id(a: &Alarm) -> Option<String> {
    let from = |dims: &[(String, String)]| {
        dims.iter()
            .find(|(n, _)| n == "InstanceId")
            .map(|(_, v)| v.clone())
    };
    a.metric.as_ref().and_then(|m| from(&m.dims)).or_else(|| {
        a.metrics
            .iter()
            .find_map(|q| from(&q.metric.as_ref()?.dims))
    })
}

/// Runs the change's actions; returns their history items.
pub fn perform(cw: &Core, c: &Change) -> Vec<HistoryItem> {
    let a = &c.alarm;
    let mut items = Vec::new();
    for arn in &c.actions {
        let result: Result<Option<String>, String> = if arn.starts_with("arn:aws:sns:") {
            match cw.topics.get() {
                Some(topics) => {
                    let ctx = RequestContext::on_behalf(
                        "cloudwatch",
                        "AlarmAction",
                        &a.account,
                        &a.region,
                        &cw.clock,
                    );
                    let subject: String = format!(
                        "{}: \"{}\" in {}",
                        a.state_value,
                        a.name,
                        region_name(&a.region)
                    )
                    .chars()
                    .take(100)
                    .collect();
                    let msg = notification(c);
                    topics
                        .publish(&ctx, None, arn, &subject, msg.clone())
                        .map(|_| Some(msg))
                        .map_err(|e| e.message)
                }
                None => Err("SNS is not available".into()),
            }
        } else if arn.starts_with("arn:aws:autoscaling:") {
            match cw.policies.get().and_then(|l| l.get()) {
                Some(p) => {
                    let trigger = AlarmTrigger {
                        alarm_name: a.name.clone(),
                        alarm_arn: a.arn.clone(),
                        metric_value: c.newest,
                        threshold: a.threshold.unwrap_or(0.0),
                        now_ms: c.now,
                    };
                    p.execute(&a.account, &a.region, arn, &trigger)
                        .map(|_| None)
                        .map_err(|e| e.message)
                }
                None => Err("Auto Scaling is not available".into()),
            }
        } else if let Some(act) = ec2_action(arn) {
            match (cw.instances.get(), instance_id(a)) {
                (Some(i), Some(id)) => i
                    .act(&a.account, &a.region, &[id], act)
                    .map(|_| None)
                    .map_err(|e| e.message),
                (None, _) => Err("EC2 is not available".into()),
                (_, None) => Err("The alarm's metric has no InstanceId dimension".into()),
            }
        } else {
            Err("This action type is not supported".into())
        };
        let (summary, data) = match result {
            Ok(published) => {
                let mut d = serde_json::Map::new();
                d.insert("actionState".into(), json!("Succeeded"));
                d.insert("stateUpdateTimestamp".into(), json!(a.state_updated_ms));
                d.insert("notificationResource".into(), json!(arn));
                if let Some(m) = published {
                    d.insert("publishedMessage".into(), json!(m));
                }
                (
                    format!("Successfully executed action {arn}"),
                    Json::Object(d).to_string(),
                )
            }
            Err(e) => (
                format!("Failed to execute action {arn}. Received error: \"{e}\""),
                json!({"actionState": "Failed", "stateUpdateTimestamp": a.state_updated_ms, "error": e})
                    .to_string(),
            ),
        };
        items.push(HistoryItem {
            account: a.account.clone(),
            region: a.region.clone(),
            alarm_name: a.name.clone(),
            alarm_type: a.kind().to_string(),
            ts: c.now,
            item_type: "Action".into(),
            summary,
            data,
            seq: 0,
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::MetricRef;

    #[test]
    fn notification_carries_the_trigger() {
        let c = Change {
            alarm: Alarm {
                account: "000000000000".into(),
                region: "us-east-1".into(),
                name: "cpu".into(),
                state_value: "ALARM".into(),
                statistic: Some("Average".into()),
                metric: Some(MetricRef {
                    namespace: "AWS/EC2".into(),
                    name: "CPUUtilization".into(),
                    dims: vec![("InstanceId".into(), "i-1".into())],
                }),
                comparison_operator: "GreaterThanThreshold".into(),
                threshold: Some(70.0),
                evaluation_periods: 2,
                period: Some(60),
                ..Alarm::default()
            },
            old_state: "OK".into(),
            actions: vec![],
            newest: Some(90.0),
            triggering: None,
            now: 0,
        };
        let j: Json = serde_json::from_str(&notification(&c)).unwrap();
        assert_eq!(j["Region"], "US East (N. Virginia)");
        assert_eq!(j["OldStateValue"], "OK");
        assert_eq!(j["Trigger"]["Statistic"], "AVERAGE");
        assert_eq!(j["Trigger"]["Dimensions"][0]["value"], "i-1");
        assert_eq!(j["AlarmDescription"], Json::Null);
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "AlarmName");
    }

    #[test]
    fn ec2_action_arns() {
        assert_eq!(
            ec2_action("arn:aws:automate:us-east-1:ec2:stop"),
            Some(InstanceAction::Stop)
        );
        assert_eq!(
            ec2_action(
                "arn:aws:swf:us-east-1:000000000000:action/actions/AWS_EC2.InstanceId.Reboot/1.0"
            ),
            Some(InstanceAction::Reboot)
        );
        assert_eq!(ec2_action("arn:aws:automate:us-east-1:ec2:explode"), None);
        assert_eq!(ec2_action("arn:aws:sns:us-east-1:0:t"), None);
    }
}
