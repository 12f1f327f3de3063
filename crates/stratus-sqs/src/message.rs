//! A message as SQS keeps it, and the checks AWS applies to what is sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stratus_core::AwsError;

use crate::errors::invalid_parameter;
use crate::generated::MessageAttributeValue;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<Vec<u8>>,
}

impl Attribute {
    /// Bytes AWS counts toward the message size: name, type and value.
    pub fn size(&self, name: &str) -> usize {
        name.len()
            + self.data_type.len()
            + self.string_value.as_ref().map_or(0, |s| s.len())
            + self.binary_value.as_ref().map_or(0, |b| b.len())
    }

    pub fn to_wire(&self) -> MessageAttributeValue {
        MessageAttributeValue {
            data_type: self.data_type.clone(),
            string_value: self.string_value.clone(),
            binary_value: self.binary_value.clone().map(stratus_protocol::Blob),
            ..Default::default()
        }
    }
}

/// One message in a queue, with its delivery state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Position in the queue; orders delivery and keys the store.
    pub seq: u64,
    pub id: String,
    pub body: String,
    pub md5_body: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    pub md5_attributes: Option<String>,
    pub trace_header: Option<String>,
    pub md5_system: Option<String>,
    pub sender_id: String,
    pub sent_ms: i64,
    /// Not deliverable before this instant (delay or visibility timeout).
    pub visible_at_ms: i64,
    /// True from a receive until its visibility timeout ends.
    pub in_flight: bool,
    pub receive_count: u32,
    pub first_receive_ms: Option<i64>,
    /// Identifies the latest receive; older receipt handles no longer apply.
    pub receipt: Option<String>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence_number: Option<String>,
    pub dead_letter_source: Option<String>,
}

impl Message {
    pub fn is_visible(&self, now_ms: i64) -> bool {
        self.visible_at_ms <= now_ms
    }

    /// Received and its visibility timeout not yet over.
    pub fn is_in_flight(&self, now_ms: i64) -> bool {
        self.in_flight && self.visible_at_ms > now_ms
    }
}

/// SQS accepts only the characters XML 1.0 allows.
pub fn valid_characters(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    })
}

pub fn invalid_characters() -> AwsError {
    AwsError::bad_request(
        "InvalidMessageContents",
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    )
}

const MAX_ATTRIBUTES: usize = 10;

/// Checks message attributes as AWS does and converts them for storage.
pub fn attributes_from_wire(
    wire: Option<BTreeMap<String, MessageAttributeValue>>,
) -> Result<BTreeMap<String, Attribute>, AwsError> {
    let wire = wire.unwrap_or_default();
    if wire.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            wire.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (name, v) in wire {
        check_attribute_name(&name)?;
        out.insert(name.clone(), attribute_from_wire(&name, v)?);
    }
    Ok(out)
}

fn check_attribute_name(name: &str) -> Result<(), AwsError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let lower = name.to_ascii_lowercase();
    if name.is_empty()
        || name.len() > 256
        || !ok_chars
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains("..")
        || lower.starts_with("aws.")
        || lower.starts_with("amazon.")
    {
        return Err(invalid_parameter(format!(
            "Message (user) attribute '{name}' is invalid: the name can contain only alphanumeric characters, hyphens, underscores and periods, must not start or end with a period, have consecutive periods, or start with AWS. or Amazon."
        )));
    }
    Ok(())
}

pub fn attribute_from_wire(name: &str, v: MessageAttributeValue) -> Result<Attribute, AwsError> {
    let dt = v.data_type.clone();
    let base = dt.split('.').next().unwrap_or("");
    if dt.len() > 256 || !matches!(base, "String" | "Number" | "Binary") {
        return Err(invalid_parameter(format!(
            "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        )));
    }
    if v.string_list_values.as_ref().is_some_and(|l| !l.is_empty())
        || v.binary_list_values.as_ref().is_some_and(|l| !l.is_empty())
    {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            "Message attribute list values in SendMessage operation are not supported.",
        ));
    }
    let empty = || {
        invalid_parameter(format!(
            "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
        ))
    };
    match base {
        "Binary" => {
            let b = v
                .binary_value
                .map(|b| b.0)
                .filter(|b| !b.is_empty())
                .ok_or_else(empty)?;
            Ok(Attribute {
                data_type: dt,
                string_value: None,
                binary_value: Some(b),
            })
        }
        _ => {
            let s = v.string_value.filter(|s| !s.is_empty()).ok_or_else(empty)?;
            if !valid_characters(&s) {
                return Err(invalid_characters());
            }
            if base == "Number" && !is_number(&s) {
                return Err(invalid_parameter(format!(
                    "Can't cast the value of message (user) attribute '{name}' to a number."
                )));
            }
            Ok(Attribute {
                data_type: dt,
                string_value: Some(s),
                binary_value: None,
            })
        }
    }
}

fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok_and(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(dt: &str, s: Option<&str>) -> MessageAttributeValue {
        MessageAttributeValue {
            data_type: dt.into(),
            string_value: s.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn characters_outside_xml_are_refused() {
        assert!(valid_characters("hello\tworld\n\u{1F600}"));
        assert!(!valid_characters("a\u{1}b"));
        assert!(!valid_characters("\u{FFFE}"));
    }

    #[test]
    fn attribute_checks() {
        assert!(attribute_from_wire("n", attr("Number", Some("12.5"))).is_ok());
        assert!(attribute_from_wire("n", attr("Number.int", Some("x"))).is_err());
        assert!(attribute_from_wire("n", attr("Float", Some("1"))).is_err());
        assert!(attribute_from_wire("n", attr("String", Some(""))).is_err());
        assert!(check_attribute_name("AWS.thing").is_err());
        assert!(check_attribute_name("a..b").is_err());
        assert!(check_attribute_name("ok-name_1.x").is_ok());
        let many: BTreeMap<_, _> = (0..11)
            .map(|i| (format!("a{i}"), attr("String", Some("v"))))
            .collect();
        assert!(attributes_from_wire(Some(many)).is_err());
    }
}
