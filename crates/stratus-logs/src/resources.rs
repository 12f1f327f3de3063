//! The log groups and streams a CloudWatch Logs request acts on, as IAM
//! authorizes them: `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, and
//! `...:log-group:NAME:log-stream:STREAM` for operations on a stream's events.

use stratus_core::Identity;
use stratus_protocol::Value;

/// Operations IAM authorizes on the log stream rather than its group.
const ON_STREAM: &[&str] = &["PutLogEvents", "GetLogEvents"];

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    let group_arn = |name: &str| {
        format!(
            "arn:aws:logs:{region}:{}:log-group:{name}",
            caller.account_id
        )
    };
    if matches!(op, "TagResource" | "UntagResource" | "ListTagsForResource") {
        return input
            .str_member("resourceArn")
            .map(|a| a.trim_end_matches(":*").to_string())
            .into_iter()
            .collect();
    }
    // logGroupIdentifier is a name or an ARN.
    let group = input.str_member("logGroupName").map(group_arn).or_else(|| {
        input.str_member("logGroupIdentifier").map(|g| {
            if g.starts_with("arn:") {
                g.trim_end_matches(":*").to_string()
            } else {
                group_arn(g)
            }
        })
    });
    let Some(group) = group else {
        return Vec::new();
    };
    match input.str_member("logStreamName") {
        Some(stream) if ON_STREAM.contains(&op) => vec![format!("{group}:log-stream:{stream}")],
        _ => vec![group],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::map();
        for (k, x) in pairs {
            v.insert(*k, Value::String(x.to_string()));
        }
        v
    }

    #[test]
    fn operations_name_their_log_groups() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let g = "arn:aws:logs:eu-central-1:111122223333:log-group:/app/web";
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "CreateLogGroup",
                map(&[("logGroupName", "/app/web")]),
                vec![g.into()],
            ),
            (
                "CreateLogStream",
                map(&[("logGroupName", "/app/web"), ("logStreamName", "s1")]),
                vec![g.into()],
            ),
            (
                "PutLogEvents",
                map(&[("logGroupName", "/app/web"), ("logStreamName", "s1")]),
                vec![format!("{g}:log-stream:s1")],
            ),
            (
                "GetLogEvents",
                map(&[
                    ("logGroupIdentifier", &format!("{g}:*")),
                    ("logStreamName", "s1"),
                ]),
                vec![format!("{g}:log-stream:s1")],
            ),
            (
                "FilterLogEvents",
                map(&[("logGroupIdentifier", "/app/web")]),
                vec![g.into()],
            ),
            (
                "ListTagsForResource",
                map(&[("resourceArn", g)]),
                vec![g.into()],
            ),
            ("DescribeLogGroups", Value::map(), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(
                for_operation(&caller, "eu-central-1", op, &inp),
                want,
                "{op}"
            );
        }
    }
}
