//! The alarms, dashboards and metric streams a CloudWatch request acts on,
//! as IAM authorizes them (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`,
//! `arn:aws:cloudwatch::ACCOUNT:dashboard/NAME`,
//! `arn:aws:cloudwatch:REGION:ACCOUNT:metric-stream/NAME`). Metric
//! operations support no resource-level permissions.

use stratus_core::Identity;
use stratus_protocol::Value;

fn names<'a>(input: &'a Value, one: &str, many: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = input.str_member(one).into_iter().collect();
    out.extend(input.list_member(many).iter().filter_map(Value::as_str));
    out
}

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    let account = caller.account_id.as_str();
    match op {
        "DeleteAlarms"
        | "DescribeAlarmHistory"
        | "DescribeAlarms"
        | "DisableAlarmActions"
        | "EnableAlarmActions"
        | "PutMetricAlarm"
        | "PutCompositeAlarm"
        | "SetAlarmState" => names(input, "AlarmName", "AlarmNames")
            .into_iter()
            .map(|n| format!("arn:aws:cloudwatch:{region}:{account}:alarm:{n}"))
            .collect(),
        "GetDashboard" | "PutDashboard" | "DeleteDashboards" => {
            names(input, "DashboardName", "DashboardNames")
                .into_iter()
                .map(|n| format!("arn:aws:cloudwatch::{account}:dashboard/{n}"))
                .collect()
        }
        "GetMetricStream" | "PutMetricStream" | "DeleteMetricStream" | "StartMetricStreams"
        | "StopMetricStreams" => names(input, "Name", "Names")
            .into_iter()
            .map(|n| format!("arn:aws:cloudwatch:{region}:{account}:metric-stream/{n}"))
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsForResource" => input
            .str_member("ResourceARN")
            .map(str::to_string)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        let mut v = Value::map();
        for (k, x) in pairs {
            v.insert(k, x);
        }
        v
    }

    #[test]
    fn operations_name_their_alarms_dashboards_and_streams() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let alarm = |n: &str| format!("arn:aws:cloudwatch:us-east-1:111122223333:alarm:{n}");
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "PutMetricAlarm",
                map(vec![("AlarmName", s("cpu-high"))]),
                vec![alarm("cpu-high")],
            ),
            (
                "DeleteAlarms",
                map(vec![("AlarmNames", Value::List(vec![s("a"), s("b")]))]),
                vec![alarm("a"), alarm("b")],
            ),
            (
                "SetAlarmState",
                map(vec![("AlarmName", s("a"))]),
                vec![alarm("a")],
            ),
            ("DescribeAlarms", Value::map(), vec![]),
            (
                "PutDashboard",
                map(vec![("DashboardName", s("ops"))]),
                vec!["arn:aws:cloudwatch::111122223333:dashboard/ops".into()],
            ),
            (
                "StartMetricStreams",
                map(vec![("Names", Value::List(vec![s("st")]))]),
                vec!["arn:aws:cloudwatch:us-east-1:111122223333:metric-stream/st".into()],
            ),
            (
                "TagResource",
                map(vec![("ResourceARN", s(&alarm("a")))]),
                vec![alarm("a")],
            ),
            ("PutMetricData", map(vec![("Namespace", s("App"))]), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-east-1", op, &inp), want, "{op}");
        }
    }
}
