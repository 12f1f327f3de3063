//! The queue an SQS request acts on, as IAM authorizes it
//! (`arn:aws:sqs:REGION:ACCOUNT:NAME`), and the queue policies that govern it.

use stratus_core::Identity;
use stratus_protocol::Value;

use crate::url;

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    let named = |name: &str, owner: Option<&str>| {
        url::arn(region, owner.unwrap_or(&caller.account_id), name)
    };
    let arn = match op {
        "ListQueues" => None,
        "CreateQueue" => input.str_member("QueueName").map(|n| named(n, None)),
        "GetQueueUrl" => input
            .str_member("QueueName")
            .map(|n| named(n, input.str_member("QueueOwnerAWSAccountId"))),
        "StartMessageMoveTask" | "ListMessageMoveTasks" => {
            input.str_member("SourceArn").map(str::to_string)
        }
        // A task handle names its source queue only in its encoded form.
        "CancelMessageMoveTask" => None,
        _ => input
            .str_member("QueueUrl")
            .and_then(url::parse)
            .map(|(account, name)| named(&name, Some(&account))),
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
    fn operations_name_their_queue() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let url = "http://sqs.eu-west-1.localhost:4566/444455556666/jobs";
        let cases: &[(&str, Value, &[&str])] = &[
            (
                "SendMessage",
                input(&[("QueueUrl", url)]),
                &["arn:aws:sqs:eu-west-1:444455556666:jobs"],
            ),
            (
                "ReceiveMessage",
                input(&[("QueueUrl", "http://127.0.0.1:4566/111122223333/q.fifo")]),
                &["arn:aws:sqs:eu-west-1:111122223333:q.fifo"],
            ),
            (
                "CreateQueue",
                input(&[("QueueName", "new")]),
                &["arn:aws:sqs:eu-west-1:111122223333:new"],
            ),
            (
                "GetQueueUrl",
                input(&[
                    ("QueueName", "other"),
                    ("QueueOwnerAWSAccountId", "444455556666"),
                ]),
                &["arn:aws:sqs:eu-west-1:444455556666:other"],
            ),
            (
                "StartMessageMoveTask",
                input(&[("SourceArn", "arn:aws:sqs:eu-west-1:111122223333:dlq")]),
                &["arn:aws:sqs:eu-west-1:111122223333:dlq"],
            ),
            ("ListQueues", input(&[]), &[]),
            ("SendMessage", input(&[("QueueUrl", "not-a-url")]), &[]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "eu-west-1", op, inp), *want, "{op}");
        }
    }
}
