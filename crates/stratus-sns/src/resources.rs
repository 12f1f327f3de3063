//! The topic an SNS request acts on, as IAM authorizes it
//! (`arn:aws:sns:REGION:ACCOUNT:NAME`); subscription operations act on the
//! subscription's topic.

use stratus_core::Identity;
use stratus_protocol::Value;

/// A subscription's ARN is its topic's ARN and an id.
fn topic_of_subscription(arn: &str) -> Option<String> {
    let (topic, _) = arn.rsplit_once(':')?;
    (topic.split(':').count() == 6).then(|| topic.to_string())
}

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    let arn = match op {
        "ListTopics" | "ListSubscriptions" => None,
        "CreateTopic" => input
            .str_member("Name")
            .map(|n| format!("arn:aws:sns:{region}:{}:{n}", caller.account_id)),
        "Publish" => input
            .str_member("TopicArn")
            .or_else(|| input.str_member("TargetArn"))
            .map(str::to_string),
        "Unsubscribe" | "GetSubscriptionAttributes" | "SetSubscriptionAttributes" => input
            .str_member("SubscriptionArn")
            .and_then(topic_of_subscription),
        "TagResource"
        | "UntagResource"
        | "ListTagsForResource"
        | "GetDataProtectionPolicy"
        | "PutDataProtectionPolicy" => input.str_member("ResourceArn").map(str::to_string),
        _ => input.str_member("TopicArn").map(str::to_string),
    };
    arn.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::map();
        for (k, s) in pairs {
            v.insert(*k, Value::String(s.to_string()));
        }
        v
    }

    #[test]
    fn operations_name_their_topic() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let t = "arn:aws:sns:us-east-1:111122223333:alerts";
        let sub = "arn:aws:sns:us-east-1:111122223333:alerts:5f6c3a1e-0b8e-4bd0-9f33-6a1f0c8a9d2b";
        let cases: &[(&str, Value, &[&str])] = &[
            ("CreateTopic", input(&[("Name", "alerts")]), &[t]),
            ("Publish", input(&[("TopicArn", t), ("Message", "m")]), &[t]),
            (
                "Publish",
                input(&[("TargetArn", t), ("Message", "m")]),
                &[t],
            ),
            ("Publish", input(&[("PhoneNumber", "+15555550100")]), &[]),
            ("PublishBatch", input(&[("TopicArn", t)]), &[t]),
            (
                "Subscribe",
                input(&[("TopicArn", t), ("Protocol", "sqs")]),
                &[t],
            ),
            ("SetTopicAttributes", input(&[("TopicArn", t)]), &[t]),
            ("Unsubscribe", input(&[("SubscriptionArn", sub)]), &[t]),
            (
                "GetSubscriptionAttributes",
                input(&[("SubscriptionArn", sub)]),
                &[t],
            ),
            ("TagResource", input(&[("ResourceArn", t)]), &[t]),
            ("ListTopics", input(&[]), &[]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-east-1", op, inp), *want, "{op}");
        }
    }
}
