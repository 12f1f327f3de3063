//! Queue attributes: which can be set, AWS's ranges and defaults.

use std::collections::BTreeMap;

use stratus_core::AwsError;

use crate::errors::{invalid_attribute_name, invalid_attribute_value};

/// Attributes reported but never set by callers.
pub const READ_ONLY: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

const FIFO_ONLY: &[&str] = &[
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// The largest message (body and attributes) and batch AWS accepts since
/// 2025: 1 MiB, also the default `MaximumMessageSize`.
pub const MAX_MESSAGE_BYTES: i64 = 1_048_576;

/// (name, min, max) of the integer attributes.
const RANGES: &[(&str, i64, i64)] = &[
    ("VisibilityTimeout", 0, 43_200),
    ("MaximumMessageSize", 1_024, MAX_MESSAGE_BYTES),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("DelaySeconds", 0, 900),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
];

/// The attributes a new queue has before the caller's are applied.
pub fn defaults(fifo: bool) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = [
        ("VisibilityTimeout", "30"),
        ("MaximumMessageSize", "1048576"),
        ("MessageRetentionPeriod", "345600"),
        ("DelaySeconds", "0"),
        ("ReceiveMessageWaitTimeSeconds", "0"),
        ("SqsManagedSseEnabled", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if fifo {
        for (k, v) in [
            ("FifoQueue", "true"),
            ("ContentBasedDeduplication", "false"),
            ("DeduplicationScope", "queue"),
            ("FifoThroughputLimit", "perQueue"),
        ] {
            m.insert(k.into(), v.into());
        }
    }
    m
}

/// Checks one attribute a caller sets and returns the value as stored.
/// Policies are checked by the caller, which knows the other queues.
pub fn check(name: &str, value: &str, fifo: bool) -> Result<String, AwsError> {
    if READ_ONLY.contains(&name) || (!fifo && FIFO_ONLY.contains(&name)) {
        return Err(invalid_attribute_name(name));
    }
    if let Some((_, min, max)) = RANGES.iter().find(|(n, _, _)| *n == name) {
        return match value.trim().parse::<i64>() {
            Ok(v) if (*min..=*max).contains(&v) => Ok(v.to_string()),
            _ => Err(invalid_attribute_value(name)),
        };
    }
    let boolean = |v: &str| match v.to_ascii_lowercase().as_str() {
        "true" | "false" => Ok(v.to_ascii_lowercase()),
        _ => Err(invalid_attribute_value(name)),
    };
    match name {
        "FifoQueue" | "ContentBasedDeduplication" | "SqsManagedSseEnabled" => boolean(value),
        "DeduplicationScope" if matches!(value, "queue" | "messageGroup") => Ok(value.into()),
        "FifoThroughputLimit" if matches!(value, "perQueue" | "perMessageGroupId") => {
            Ok(value.into())
        }
        "DeduplicationScope" | "FifoThroughputLimit" => Err(invalid_attribute_value(name)),
        "Policy" | "RedrivePolicy" | "RedriveAllowPolicy" | "KmsMasterKeyId" => Ok(value.into()),
        _ => Err(invalid_attribute_name(name)),
    }
}

/// Cross-attribute rules AWS applies once all values are known.
pub fn check_combination(attrs: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let scope = attrs.get("DeduplicationScope").map(String::as_str);
    let limit = attrs.get("FifoThroughputLimit").map(String::as_str);
    if limit == Some("perMessageGroupId") && scope == Some("queue") {
        return Err(AwsError::bad_request(
            "InvalidAttributeValue",
            "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is permitted only when DeduplicationScope is set to messageGroup.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_names() {
        assert_eq!(check("VisibilityTimeout", "45", false).unwrap(), "45");
        assert_eq!(
            check("VisibilityTimeout", "43201", false).unwrap_err().code,
            "InvalidAttributeValue"
        );
        assert_eq!(
            check("DelaySeconds", "x", false).unwrap_err().message,
            "Invalid value for the parameter DelaySeconds."
        );
        assert_eq!(
            check("ContentBasedDeduplication", "true", false)
                .unwrap_err()
                .code,
            "InvalidAttributeName"
        );
        assert_eq!(
            check("ContentBasedDeduplication", "TRUE", true).unwrap(),
            "true"
        );
        assert_eq!(
            check("QueueArn", "x", false).unwrap_err().code,
            "InvalidAttributeName"
        );
        assert_eq!(
            check("Bogus", "x", false).unwrap_err().message,
            "Unknown Attribute Bogus."
        );
    }

    #[test]
    fn high_throughput_needs_group_scope() {
        let mut a = defaults(true);
        a.insert("FifoThroughputLimit".into(), "perMessageGroupId".into());
        assert!(check_combination(&a).is_err());
        a.insert("DeduplicationScope".into(), "messageGroup".into());
        assert!(check_combination(&a).is_ok());
    }
}
