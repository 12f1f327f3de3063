//! The groups and launch configurations an Auto Scaling request acts on, as
//! IAM authorizes them: their ARNs
//! (`arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME`),
//! with `*` for the id of one that does not exist yet. Describe operations
//! support no resource-level permissions.

use stratus_core::Identity;
use stratus_protocol::Value;

/// `existing(kind, name)` gives the ARN of an existing group
/// (`autoScalingGroup`) or launch configuration (`launchConfiguration`).
pub fn for_operation(
    caller: &Identity,
    region: &str,
    op: &str,
    input: &Value,
    existing: impl Fn(&str, &str) -> Option<String>,
) -> Vec<String> {
    if op.starts_with("Describe") {
        return Vec::new();
    }
    let arn = |kind: &str, member: &str, name: &str| {
        existing(kind, name).unwrap_or_else(|| {
            format!(
                "arn:aws:autoscaling:{region}:{}:{kind}:*:{member}/{name}",
                caller.account_id
            )
        })
    };
    let mut groups: Vec<&str> = input
        .str_member("AutoScalingGroupName")
        .into_iter()
        .collect();
    // Tags name their group as ResourceId.
    groups.extend(
        input
            .list_member("Tags")
            .iter()
            .filter(|t| t.str_member("ResourceType") != Some("launch-configuration"))
            .filter_map(|t| t.str_member("ResourceId")),
    );
    let mut arns: Vec<String> = Vec::new();
    for g in groups {
        let a = arn("autoScalingGroup", "autoScalingGroupName", g);
        if !arns.contains(&a) {
            arns.push(a);
        }
    }
    if let Some(lc) = input.str_member("LaunchConfigurationName") {
        arns.push(arn("launchConfiguration", "launchConfigurationName", lc));
    }
    arns
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
    fn operations_name_their_groups() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let web = "arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:6d3c1b6e-1c3a-4a8e-9d52-2b1f1d2e1a90:autoScalingGroupName/web";
        let existing = |kind: &str, name: &str| {
            (kind == "autoScalingGroup" && name == "web").then(|| web.to_string())
        };
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            ("SetDesiredCapacity", map(vec![("AutoScalingGroupName", s("web"))]), vec![web.into()]),
            (
                "CreateAutoScalingGroup",
                map(vec![("AutoScalingGroupName", s("new")), ("LaunchConfigurationName", s("lc1"))]),
                vec![
                    "arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:*:autoScalingGroupName/new".into(),
                    "arn:aws:autoscaling:us-east-1:111122223333:launchConfiguration:*:launchConfigurationName/lc1".into(),
                ],
            ),
            ("CreateOrUpdateTags", map(vec![("Tags", Value::List(vec![map(vec![("ResourceId", s("web")), ("ResourceType", s("auto-scaling-group"))])]))]), vec![web.into()]),
            ("DescribeAutoScalingGroups", map(vec![("AutoScalingGroupNames", Value::List(vec![s("web")]))]), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(
                for_operation(&caller, "us-east-1", op, &inp, existing),
                want,
                "{op}"
            );
        }
    }
}
