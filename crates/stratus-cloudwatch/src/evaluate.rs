//! Metric alarm evaluation: N periods, M breaching to alarm, missing data
//! treated as the alarm says, and the StateReason / StateReasonData texts
//! CloudWatch writes.

use serde_json::{Value as Json, json};

use crate::records::Alarm;

/// One evaluated period, by its start.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    pub ts: i64,
    pub value: Option<f64>,
    pub sample_count: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: String,
    pub reason: String,
    pub reason_data: String,
    /// The newest value evaluated, for scaling triggers.
    pub newest: Option<f64>,
}

/// `GreaterThanThreshold` and friends; `None` for operators that compare
/// against an anomaly band, which these alarms store but do not evaluate.
pub fn breaches(op: &str, v: f64, threshold: f64) -> Option<bool> {
    Some(match op {
        "GreaterThanThreshold" => v > threshold,
        "GreaterThanOrEqualToThreshold" => v >= threshold,
        "LessThanThreshold" => v < threshold,
        "LessThanOrEqualToThreshold" => v <= threshold,
        _ => return None,
    })
}

pub const STATIC_OPERATORS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];

fn words(op: &str) -> &'static str {
    match op {
        "GreaterThanThreshold" => "greater than",
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        _ => "outside the band of",
    }
}

/// Numbers as CloudWatch prints them: `2.0`, `21.5`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// `26/10/23 16:42:00`, the datapoint time in reasons.
fn short_date(ms: i64) -> String {
    let s = stratus_core::time::iso8601_millis(ms);
    // 2023-10-26T16:42:00.000Z
    format!("{}/{}/{} {}", &s[8..10], &s[5..7], &s[2..4], &s[11..19])
}

/// `2023-10-26T16:42:00.000+0000`, the time in reason data and messages.
pub fn long_date(ms: i64) -> String {
    let s = stratus_core::time::iso8601_millis(ms);
    format!("{}+0000", &s[..23])
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Decides the alarm's state from its N periods (oldest first). `None`
/// keeps the current state (missing data treated as `ignore`).
pub fn decide(alarm: &Alarm, points: &[Datapoint], now: i64) -> Option<Verdict> {
    let n = points.len();
    let m = alarm.required_breaches().max(1) as usize;
    let threshold = alarm.threshold.unwrap_or(0.0);
    let op = alarm.comparison_operator.as_str();
    // Alarms on DynamoDB's metrics always ignore missing data.
    let dynamodb = alarm
        .metric
        .as_ref()
        .is_some_and(|m| m.namespace == "AWS/DynamoDB");
    let tmd = if dynamodb {
        "ignore"
    } else {
        alarm.treat_missing_data.as_deref().unwrap_or("missing")
    };
    let present: Vec<&Datapoint> = points.iter().filter(|p| p.value.is_some()).collect();
    let missing = n - present.len();
    let newest = present.last().and_then(|p| p.value);

    let mut data = serde_json::Map::new();
    data.insert("version".into(), json!("1.0"));
    data.insert("queryDate".into(), json!(long_date(now)));
    if let Some(first) = present.first() {
        data.insert("startDate".into(), json!(long_date(first.ts)));
    }
    if let Some(u) = &alarm.unit {
        data.insert("unit".into(), json!(u));
    }
    if let Some(s) = &alarm.statistic {
        data.insert("statistic".into(), json!(s));
    } else if let Some(s) = &alarm.extended_statistic {
        data.insert("extendedStatistic".into(), json!(s));
    }
    if let Some(p) = alarm.period {
        data.insert("period".into(), json!(p));
    }
    data.insert(
        "recentDatapoints".into(),
        Json::Array(
            present
                .iter()
                .filter_map(|p| p.value)
                .map(|v| json!(v))
                .collect(),
        ),
    );
    data.insert("threshold".into(), json!(threshold));
    let evaluated: Vec<Json> = points
        .iter()
        .rev()
        .map(|p| {
            let mut o = serde_json::Map::new();
            o.insert("timestamp".into(), json!(long_date(p.ts)));
            if let Some(c) = p.sample_count {
                o.insert("sampleCount".into(), json!(c));
            }
            if let Some(v) = p.value {
                o.insert("value".into(), json!(v));
            }
            Json::Object(o)
        })
        .collect();
    data.insert("evaluatedDatapoints".into(), Json::Array(evaluated));
    let reason_data = Json::Object(data).to_string();
    let verdict = |state: &str, reason: String| {
        Some(Verdict {
            state: state.to_string(),
            reason,
            reason_data: reason_data.clone(),
            newest,
        })
    };

    if present.is_empty() {
        return match tmd {
            "ignore" => None,
            "breaching" | "notBreaching" => {
                let (state, how) = if tmd == "breaching" {
                    ("ALARM", "Breaching")
                } else {
                    ("OK", "NonBreaching")
                };
                verdict(
                    state,
                    format!(
                        "Threshold Crossed: no datapoints were received for {} and {} {} treated as [{how}].",
                        plural(n, "period", "periods"),
                        plural(n, "missing datapoint", "missing datapoints"),
                        if n == 1 { "was" } else { "were" }
                    ),
                )
            }
            _ => verdict(
                "INSUFFICIENT_DATA",
                format!(
                    "Insufficient Data: {} {} unknown.",
                    plural(n, "datapoint", "datapoints"),
                    if n == 1 { "was" } else { "were" }
                ),
            ),
        };
    }

    let present_breaching = present
        .iter()
        .filter(|p| breaches(op, p.value.unwrap_or(0.0), threshold) == Some(true))
        .count();
    let (filled, filled_breach) = match tmd {
        "breaching" => (missing, missing),
        "notBreaching" => (missing, 0),
        _ => (0, 0),
    };
    let evaluated = present.len() + filled;
    let breaching = present_breaching + filled_breach;
    let alarm_state = breaching >= m;
    let shown: Vec<String> = present
        .iter()
        .rev()
        .map(|p| format!("{} ({})", num(p.value.unwrap_or(0.0)), short_date(p.ts)))
        .collect();
    let filled_note = if filled > 0 {
        format!(
            " and {} {} treated as [{}]",
            plural(filled, "missing datapoint", "missing datapoints"),
            if filled == 1 { "was" } else { "were" },
            if tmd == "breaching" {
                "Breaching"
            } else {
                "NonBreaching"
            }
        )
    } else {
        String::new()
    };
    let old = alarm.state_value.as_str();
    let (state, count, not, minimum) = if alarm_state {
        ("ALARM", breaching, "", m)
    } else {
        (
            "OK",
            evaluated - breaching,
            "not ",
            evaluated + 1 - m.min(evaluated),
        )
    };
    let head = if m == n && count == evaluated && filled == 0 {
        format!(
            "{} [{}] {}",
            plural(count, "datapoint", "datapoints"),
            shown.join(", "),
            if count == 1 { "was" } else { "were" }
        )
    } else {
        format!(
            "{count} out of the last {evaluated} datapoints [{}]{filled_note} {}",
            shown.join(", "),
            if count == 1 { "was" } else { "were" }
        )
    };
    let tail = if m == n && count == evaluated && filled == 0 {
        String::new()
    } else {
        format!(
            " (minimum {} for {} -> {state} transition)",
            plural(minimum, "datapoint", "datapoints"),
            if old == state { "OK" } else { old }
        )
    };
    verdict(
        state,
        format!(
            "Threshold Crossed: {head} {not}{} the threshold ({}){tail}.",
            words(op),
            num(threshold)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(n: i64, m: Option<i64>, tmd: Option<&str>) -> Alarm {
        Alarm {
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing_data: tmd.map(str::to_string),
            threshold: Some(2.0),
            comparison_operator: "GreaterThanThreshold".into(),
            statistic: Some("Average".into()),
            period: Some(60),
            state_value: "INSUFFICIENT_DATA".into(),
            ..Alarm::default()
        }
    }

    fn pts(vals: &[Option<f64>]) -> Vec<Datapoint> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| Datapoint {
                ts: 1_698_338_520_000 + i as i64 * 60_000,
                value: *v,
                sample_count: v.map(|_| 1.0),
            })
            .collect()
    }

    #[test]
    fn one_breaching_datapoint_alarms() {
        let v = decide(&alarm(1, None, None), &pts(&[Some(21.5)]), 0).unwrap();
        assert_eq!(v.state, "ALARM");
        assert_eq!(
            v.reason,
            "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0)."
        );
        let data: Json = serde_json::from_str(&v.reason_data).unwrap();
        assert_eq!(data["recentDatapoints"], json!([21.5]));
        assert_eq!(data["evaluatedDatapoints"][0]["value"], json!(21.5));
        assert_eq!(data["period"], json!(60));
    }

    #[test]
    fn m_out_of_n() {
        let a = alarm(3, Some(2), None);
        let v = decide(&a, &pts(&[Some(5.0), Some(1.0), Some(6.0)]), 0).unwrap();
        assert_eq!(v.state, "ALARM");
        assert!(
            v.reason
                .starts_with("Threshold Crossed: 2 out of the last 3 datapoints")
        );
        assert!(
            v.reason
                .contains("(minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)")
        );
        let v = decide(&a, &pts(&[Some(5.0), Some(1.0), Some(1.0)]), 0).unwrap();
        assert_eq!(v.state, "OK");
        assert!(
            v.reason
                .contains("were not greater than the threshold (2.0)")
        );
    }

    #[test]
    fn missing_data_treatments() {
        let none = pts(&[None, None]);
        let v = decide(&alarm(2, None, None), &none, 0).unwrap();
        assert_eq!(v.state, "INSUFFICIENT_DATA");
        assert_eq!(v.reason, "Insufficient Data: 2 datapoints were unknown.");
        assert!(decide(&alarm(2, None, Some("ignore")), &none, 0).is_none());
        let v = decide(&alarm(2, None, Some("breaching")), &none, 0).unwrap();
        assert_eq!(v.state, "ALARM");
        assert_eq!(
            v.reason,
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."
        );
        let v = decide(&alarm(1, None, Some("notBreaching")), &pts(&[None]), 0).unwrap();
        assert_eq!(v.state, "OK");
        assert_eq!(
            v.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
        );
        // One breaching point and a missing one treated as breaching: 2 of 2.
        let v = decide(
            &alarm(2, None, Some("breaching")),
            &pts(&[None, Some(3.0)]),
            0,
        )
        .unwrap();
        assert_eq!(v.state, "ALARM");
        // Missing points do not count: 1 of 2 needed breaches.
        let v = decide(&alarm(2, None, None), &pts(&[None, Some(3.0)]), 0).unwrap();
        assert_eq!(v.state, "OK");
        let v = decide(&alarm(2, Some(1), None), &pts(&[None, Some(3.0)]), 0).unwrap();
        assert_eq!(v.state, "ALARM");
    }

    #[test]
    fn all_operators() {
        assert_eq!(breaches("GreaterThanThreshold", 2.0, 2.0), Some(false));
        assert_eq!(
            breaches("GreaterThanOrEqualToThreshold", 2.0, 2.0),
            Some(true)
        );
        assert_eq!(breaches("LessThanThreshold", 1.0, 2.0), Some(true));
        assert_eq!(breaches("LessThanOrEqualToThreshold", 2.0, 2.0), Some(true));
        assert_eq!(breaches("LessThanLowerThreshold", 2.0, 2.0), None);
        let mut a = alarm(1, None, None);
        a.comparison_operator = "LessThanOrEqualToThreshold".into();
        let v = decide(&a, &pts(&[Some(1.0)]), 0).unwrap();
        assert_eq!(v.state, "ALARM");
        assert!(
            v.reason
                .contains("was less than or equal to the threshold (2.0)")
        );
        assert_eq!(num(80.0), "80.0");
        assert_eq!(long_date(0), "1970-01-01T00:00:00.000+0000");
    }
}
