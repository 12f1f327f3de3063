//! The JSON policies a queue holds: redrive, redrive-allow and access policy
//! (the last built by AddPermission).

use serde_json::{Value as Json, json};
use stratus_core::AwsError;

use crate::errors::invalid_parameter;
use crate::state::Inner;

/// The dead-letter target and receive limit of a redrive policy.
pub struct Redrive {
    pub target_arn: String,
    pub max_receive_count: u32,
}

pub fn parse_redrive(policy: &str) -> Option<Redrive> {
    let v: Json = serde_json::from_str(policy).ok()?;
    let target_arn = v.get("deadLetterTargetArn")?.as_str()?.to_string();
    let max = match v.get("maxReceiveCount")? {
        Json::Number(n) => n.as_i64()?,
        Json::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some(Redrive {
        target_arn,
        max_receive_count: u32::try_from(max).ok()?,
    })
}

/// Checks a redrive policy against the queues it names and returns it
/// normalized as AWS stores it.
pub fn check_redrive(
    inner: &Inner,
    source_arn: &str,
    source_fifo: bool,
    value: &str,
) -> Result<String, AwsError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad = |reason: &str| {
        invalid_parameter(format!(
            "Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
        ))
    };
    let v: Json = serde_json::from_str(value)
        .ok()
        .filter(Json::is_object)
        .ok_or_else(|| bad("Redrive policy is not a valid JSON map."))?;
    for field in ["deadLetterTargetArn", "maxReceiveCount"] {
        if v.get(field).is_none() {
            return Err(bad(&format!(
                "Redrive policy does not contain mandatory attribute: {field}."
            )));
        }
    }
    let count = match &v["maxReceiveCount"] {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let count = match count {
        Some(c) if (1..=1000).contains(&c) => c,
        _ => {
            return Err(bad(&format!(
                "Invalid value for maxReceiveCount: {}, valid values are from 1 to 1000 both inclusive.",
                v["maxReceiveCount"]
            )));
        }
    };
    let target = v["deadLetterTargetArn"].as_str().unwrap_or_default();
    let dlq = crate::url::parse_arn(target)
        .and_then(|(r, a, n)| inner.queues.get(&crate::queue::key(&a, &r, &n)))
        .ok_or_else(|| bad("Dead letter target does not exist."))?;
    if dlq.is_fifo() != source_fifo {
        return Err(bad(
            "Dead-letter queue and source queue must be both standard or both FIFO queues.",
        ));
    }
    if !redrive_allowed(dlq.attr("RedriveAllowPolicy"), source_arn) {
        return Err(bad(&format!(
            "Queue {source_arn} is not allowed as a source queue by the redrive allow policy of {target}."
        )));
    }
    Ok(json!({"deadLetterTargetArn": target, "maxReceiveCount": count}).to_string())
}

fn redrive_allowed(allow: Option<&str>, source_arn: &str) -> bool {
    let Some(v) = allow.and_then(|a| serde_json::from_str::<Json>(a).ok()) else {
        return true;
    };
    match v.get("redrivePermission").and_then(Json::as_str) {
        Some("denyAll") => false,
        Some("byQueue") => v
            .get("sourceQueueArns")
            .and_then(Json::as_array)
            .is_some_and(|l| l.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}

pub fn check_redrive_allow(value: &str) -> Result<String, AwsError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad = |reason: &str| {
        invalid_parameter(format!(
            "Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}"
        ))
    };
    let v: Json = serde_json::from_str(value)
        .ok()
        .filter(Json::is_object)
        .ok_or_else(|| bad("Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."))?;
    let perm = v.get("redrivePermission").and_then(Json::as_str);
    let sources = v.get("sourceQueueArns").and_then(Json::as_array);
    match perm {
        Some("allowAll" | "denyAll") if sources.is_none_or(|s| s.is_empty()) => {}
        Some("byQueue") if sources.is_some_and(|s| (1..=10).contains(&s.len())) => {}
        Some("byQueue") => {
            return Err(bad(
                "Specify between 1 and 10 source queue ARNs for the byQueue permission.",
            ));
        }
        Some("allowAll" | "denyAll") => {
            return Err(bad(
                "Only specify source queue ARNs with the byQueue permission.",
            ));
        }
        _ => return Err(bad("Invalid value for redrivePermission.")),
    }
    Ok(value.to_string())
}

pub fn check_policy(value: &str) -> Result<String, AwsError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    match serde_json::from_str::<Json>(value) {
        Ok(Json::Object(_)) => Ok(value.to_string()),
        _ => Err(AwsError::bad_request(
            "InvalidAttributeValue",
            "Invalid value for the parameter Policy.",
        )),
    }
}

const ACTIONS: &[&str] = &[
    "*",
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ListQueueTags",
];

/// Adds a statement for `label` to the queue's policy, as AddPermission does.
pub fn add_statement(
    policy: Option<&str>,
    queue_arn: &str,
    label: &str,
    accounts: &[String],
    actions: &[String],
) -> Result<String, AwsError> {
    let bad_label = |reason: &str| {
        invalid_parameter(format!(
            "Value {label} for parameter Label is invalid. Reason: {reason}"
        ))
    };
    if label.is_empty()
        || label.len() > 80
        || !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad_label(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
        ));
    }
    if accounts.is_empty() {
        return Err(crate::errors::missing_parameter("AWSAccountId"));
    }
    if actions.is_empty() {
        return Err(crate::errors::missing_parameter("ActionName"));
    }
    for a in actions {
        if !ACTIONS.contains(&a.as_str()) {
            return Err(invalid_parameter(format!(
                "Value SQS:{a} for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions."
            )));
        }
    }
    let mut doc = existing(policy, queue_arn);
    let statements = doc["Statement"].as_array_mut();
    let Some(statements) = statements else {
        return Err(AwsError::internal("stored policy has no statements"));
    };
    if statements.iter().any(|s| s["Sid"] == label) {
        return Err(bad_label("Already exists."));
    }
    let one_or_many = |v: Vec<String>| {
        if v.len() == 1 {
            Json::String(v[0].clone())
        } else {
            Json::from(v)
        }
    };
    statements.push(json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": one_or_many(accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect())},
        "Action": one_or_many(actions.iter().map(|a| format!("SQS:{a}")).collect()),
        "Resource": queue_arn,
    }));
    Ok(doc.to_string())
}

/// Removes the statement `label`; returns the policy left (empty when none).
pub fn remove_statement(
    policy: Option<&str>,
    queue_arn: &str,
    label: &str,
) -> Result<String, AwsError> {
    let mut doc = existing(policy, queue_arn);
    let Some(statements) = doc["Statement"].as_array_mut() else {
        return Err(AwsError::internal("stored policy has no statements"));
    };
    let before = statements.len();
    statements.retain(|s| s["Sid"] != label);
    if statements.len() == before {
        return Err(invalid_parameter(format!(
            "Value {label} for parameter Label is invalid. Reason: can't find label on existing policy."
        )));
    }
    if statements.is_empty() {
        return Ok(String::new());
    }
    Ok(doc.to_string())
}

fn existing(policy: Option<&str>, queue_arn: &str) -> Json {
    policy
        .filter(|p| !p.is_empty())
        .and_then(|p| serde_json::from_str::<Json>(p).ok())
        .filter(|d| d["Statement"].is_array())
        .unwrap_or_else(|| {
            json!({"Version": "2012-10-17", "Id": format!("{queue_arn}/SQSDefaultPolicy"), "Statement": []})
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_build_and_remove_statements() {
        let arn = "arn:aws:sqs:us-east-1:000000000000:q";
        let p = add_statement(
            None,
            arn,
            "l1",
            &["111111111111".into()],
            &["SendMessage".into()],
        )
        .unwrap();
        let v: Json = serde_json::from_str(&p).unwrap();
        assert_eq!(v["Statement"][0]["Action"], "SQS:SendMessage");
        assert_eq!(
            v["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::111111111111:root"
        );
        assert!(
            add_statement(Some(&p), arn, "l1", &["1".into()], &["SendMessage".into()]).is_err()
        );
        assert!(add_statement(None, arn, "l2", &["1".into()], &["Fly".into()]).is_err());
        assert_eq!(remove_statement(Some(&p), arn, "l1").unwrap(), "");
        assert!(remove_statement(Some(&p), arn, "zz").is_err());
    }

    #[test]
    fn redrive_allow_rules() {
        assert!(check_redrive_allow(r#"{"redrivePermission":"allowAll"}"#).is_ok());
        assert!(check_redrive_allow(r#"{"redrivePermission":"byQueue"}"#).is_err());
        assert!(check_redrive_allow("nope").is_err());
        assert!(!redrive_allowed(
            Some(r#"{"redrivePermission":"denyAll"}"#),
            "a"
        ));
        assert!(redrive_allowed(
            Some(r#"{"redrivePermission":"byQueue","sourceQueueArns":["a"]}"#),
            "a"
        ));
        let r = parse_redrive(r#"{"deadLetterTargetArn":"x","maxReceiveCount":"3"}"#).unwrap();
        assert_eq!(r.max_receive_count, 3);
    }
}
