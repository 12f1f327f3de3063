//! Publish and PublishBatch: checks, FIFO sequencing and deduplication, and
//! fan-out to the topic's confirmed subscriptions that pass their filters.

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use stratus_core::delivery::{DeliverySource, MessageAttribute, QueueMessage, QueueSink};
use stratus_core::{AwsError, RequestContext, ServiceAccess, ids, time};

use super::subscriptions::base_url;
use crate::Sns;
use crate::errors::{invalid, topic_not_found};
use crate::filter::{self, Scope};
use crate::generated::*;
use crate::state::{Dedup, Subscription, Topic};
use crate::{envelope, http};

const MAX_BYTES: usize = 262_144;
const MAX_ATTRIBUTES: usize = 10;
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;
const SEQUENCE_BASE: u64 = 10_000_000_000_000_000_000;
/// The principal SNS delivers to queues as; queue policies must allow it.
const SNS_PRINCIPAL: &str = "sns.amazonaws.com";

/// One message to publish, from Publish or a batch entry.
pub struct Outgoing {
    pub message: String,
    pub subject: Option<String>,
    pub structure: Option<String>,
    pub attributes: BTreeMap<String, MessageAttributeValue>,
    pub dedup_id: Option<String>,
    pub group_id: Option<String>,
}

struct Checked {
    /// Per-protocol bodies when MessageStructure is json; else only "default".
    bodies: Map<String, Json>,
    attributes: BTreeMap<String, MessageAttribute>,
}

fn check(out: &Outgoing) -> Result<Checked, AwsError> {
    if out.message.is_empty() {
        return Err(invalid("Invalid parameter: Empty message"));
    }
    let size = out.message.len()
        + out
            .attributes
            .iter()
            .map(|(n, v)| {
                n.len()
                    + v.data_type.len()
                    + v.string_value.as_ref().map_or(0, String::len)
                    + v.binary_value.as_ref().map_or(0, |b| b.0.len())
            })
            .sum::<usize>();
    if size > MAX_BYTES {
        return Err(invalid("Invalid parameter: Message too long"));
    }
    if let Some(subject) = &out.subject {
        let ok = !subject.is_empty()
            && subject.len() <= 100
            && subject
                .chars()
                .all(|c| c.is_ascii() && !c.is_ascii_control());
        if !ok {
            return Err(invalid("Invalid parameter: Subject"));
        }
    }
    let bodies = match out.structure.as_deref() {
        None | Some("") => {
            let mut m = Map::new();
            m.insert("default".into(), Json::String(out.message.clone()));
            m
        }
        Some("json") => {
            let parsed: Json = serde_json::from_str(&out.message).map_err(|_| {
                invalid("Invalid parameter: Message Structure - JSON message body failed to parse")
            })?;
            let Json::Object(m) = parsed else {
                return Err(invalid(
                    "Invalid parameter: Message Structure - JSON message body failed to parse",
                ));
            };
            if !m.get("default").is_some_and(Json::is_string) {
                return Err(invalid(
                    "Invalid parameter: Message Structure - No default entry in JSON message body",
                ));
            }
            m
        }
        Some(_) => return Err(invalid("Invalid parameter: MessageStructure")),
    };
    if out.attributes.len() > MAX_ATTRIBUTES {
        return Err(invalid(format!(
            "Invalid parameter: MessageAttributes Reason: Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            out.attributes.len()
        )));
    }
    let mut attributes = BTreeMap::new();
    for (name, v) in &out.attributes {
        let base = v.data_type.split('.').next().unwrap_or("");
        let bad = |why: &str| {
            invalid(format!(
                "Invalid parameter: MessageAttributes Reason: The message attribute '{name}' {why}"
            ))
        };
        let a = match (base, v.data_type.as_str()) {
            ("String", "String.Array") => {
                let s = v
                    .string_value
                    .clone()
                    .ok_or_else(|| bad("must contain non-empty message attribute value"))?;
                if !matches!(serde_json::from_str::<Json>(&s), Ok(Json::Array(_))) {
                    return Err(bad(
                        "has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
                    ));
                }
                MessageAttribute {
                    data_type: v.data_type.clone(),
                    string_value: Some(s),
                    binary_value: None,
                }
            }
            ("String" | "Number", _) => {
                let s = v.string_value.clone().filter(|s| !s.is_empty()).ok_or_else(|| bad(&format!("must contain non-empty message attribute value for message attribute type '{base}'.")))?;
                if base == "Number" && s.trim().parse::<f64>().is_err() {
                    return Err(bad("has an invalid numeric value."));
                }
                MessageAttribute {
                    data_type: v.data_type.clone(),
                    string_value: Some(s),
                    binary_value: None,
                }
            }
            ("Binary", _) => {
                let b = v.binary_value.clone().map(|b| b.0).filter(|b| !b.is_empty()).ok_or_else(|| bad("must contain non-empty message attribute value for message attribute type 'Binary'."))?;
                MessageAttribute {
                    data_type: v.data_type.clone(),
                    string_value: None,
                    binary_value: Some(b),
                }
            }
            _ => {
                return Err(bad(
                    "has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
                ));
            }
        };
        attributes.insert(name.clone(), a);
    }
    Ok(Checked { bodies, attributes })
}

/// Where a deduplication id counts: the whole topic, or with
/// `FifoThroughputScope` MessageGroup, the message's group.
fn dedup_key(topic: &Topic, group: &str, id: &str) -> String {
    match topic
        .attributes
        .get("FifoThroughputScope")
        .map(String::as_str)
    {
        Some("MessageGroup") => format!("{}\n{group}\n{id}", topic.arn),
        _ => format!("{}\n{id}", topic.arn),
    }
}

/// Message attributes as filter policies see them.
fn filter_view(attrs: &BTreeMap<String, MessageAttribute>) -> Map<String, Json> {
    let mut m = Map::new();
    for (n, a) in attrs {
        let Some(s) = &a.string_value else { continue };
        let v = if a.data_type.starts_with("Number") {
            s.trim()
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
        } else if a.data_type == "String.Array" {
            serde_json::from_str(s).ok()
        } else {
            Some(Json::String(s.clone()))
        };
        if let Some(v) = v {
            m.insert(n.clone(), v);
        }
    }
    m
}

fn passes(sub: &Subscription, view: &Map<String, Json>, body: &str) -> bool {
    let Some(policy) = sub.attributes.get("FilterPolicy").filter(|p| !p.is_empty()) else {
        return true;
    };
    let Ok(parsed) = filter::parse(policy) else {
        return false;
    };
    let scope = match sub.attributes.get("FilterPolicyScope").map(String::as_str) {
        Some("MessageBody") => Scope::MessageBody,
        _ => Scope::MessageAttributes,
    };
    filter::matches(&parsed, scope, view, body)
}

/// A message no retry could deliver goes to the subscription's dead-letter
/// queue, when its RedrivePolicy names one.
fn dead_letter(queues: &dyn QueueSink, sub: &Subscription, msg: QueueMessage) {
    let target = sub
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Json>(p).ok())
        .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(String::from));
    if let Some(arn) = target {
        if let Err(e) = queues.send(&arn, msg) {
            tracing::warn!(subscription = %sub.arn, error = %e, "dead-letter queue refused the message");
        }
    }
}

pub fn publish_one(
    s: &Sns,
    ctx: &RequestContext,
    topic_arn: &str,
    out: Outgoing,
) -> Result<(String, Option<String>), AwsError> {
    let checked = check(&out)?;
    let now = ctx.clock.now_millis();
    let (subs, fifo, sequence, message_id, dedup_id, signature_version, owner) = {
        let mut txn = s.state.begin();
        let topic = txn
            .inner
            .topics
            .get(topic_arn)
            .ok_or_else(topic_not_found)?;
        let fifo = topic.is_fifo();
        let owner = topic.account.clone();
        let signature_version = topic.signature_version().to_string();
        let content_dedup = topic
            .attributes
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true");
        let mut dedup_id = None;
        if fifo {
            if out.group_id.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
                ));
            }
            let id = match (&out.dedup_id, content_dedup) {
                (Some(d), _) => d.clone(),
                (None, true) => hex::encode(Sha256::digest(out.message.as_bytes())),
                (None, false) => {
                    return Err(invalid(
                        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ));
                }
            };
            // A duplicate is accepted, delivered to no one, and answered
            // with the first publish's message id and sequence number.
            let key = dedup_key(topic, out.group_id.as_deref().unwrap_or(""), &id);
            if let Some(d) = txn.duplicate(&key, now) {
                txn.commit()?;
                return Ok((d.message_id, Some(d.sequence_number)));
            }
            dedup_id = Some(id);
        } else if out.dedup_id.is_some() {
            return Err(invalid(
                "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        let message_id = ids::uuid_v4();
        let sequence = match fifo {
            true => Some((SEQUENCE_BASE + txn.next_sequence()?).to_string()),
            false => None,
        };
        if let (Some(id), Some(seq)) = (&dedup_id, &sequence) {
            let topic = txn
                .inner
                .topics
                .get(topic_arn)
                .ok_or_else(topic_not_found)?;
            let key = dedup_key(topic, out.group_id.as_deref().unwrap_or(""), id);
            let entry = Dedup {
                expires_ms: now + DEDUP_WINDOW_MS,
                message_id: message_id.clone(),
                sequence_number: seq.clone(),
            };
            txn.put_dedup(key, entry)?;
        }
        let subs: Vec<Subscription> = txn
            .inner
            .subscriptions
            .values()
            .filter(|x| x.topic_arn == topic_arn && !x.pending)
            .cloned()
            .collect();
        // Durable before anyone hears of the message.
        txn.commit()?;
        (
            subs,
            fifo,
            sequence,
            message_id,
            dedup_id,
            signature_version,
            owner,
        )
    };
    // Queues (subscribed and dead-letter) must let SNS send for this topic.
    let source = DeliverySource::new(SNS_PRINCIPAL, topic_arn, owner);
    let signer = match subs.is_empty() {
        true => None,
        false => Some(s.keys.signer(now)?),
    };
    let view = filter_view(&checked.attributes);
    let default_body = checked
        .bodies
        .get("default")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let timestamp = time::iso8601_millis(now);
    let base = base_url(ctx);
    let envelope_attrs: Vec<(String, String, String)> = checked
        .attributes
        .iter()
        .map(|(n, a)| {
            let value = match (&a.string_value, &a.binary_value) {
                (Some(s), _) => s.clone(),
                (None, Some(b)) => B64.encode(b),
                (None, None) => String::new(),
            };
            (n.clone(), a.data_type.clone(), value)
        })
        .collect();
    for sub in subs {
        let Some(signer) = signer.as_deref() else {
            break;
        };
        if !passes(&sub, &view, &default_body) {
            continue;
        }
        let body = checked
            .bodies
            .get(&sub.protocol)
            .and_then(Json::as_str)
            .unwrap_or(&default_body)
            .to_string();
        let wrapped = || {
            envelope::notification(&envelope::Notification {
                message_id: &message_id,
                sequence_number: sequence.as_deref(),
                topic_arn,
                subject: out.subject.as_deref(),
                message: &body,
                timestamp: &timestamp,
                base_url: &base,
                subscription_arn: &sub.arn,
                attributes: &envelope_attrs,
                signer,
                signature_version: &signature_version,
            })
        };
        match sub.protocol.as_str() {
            "sqs" => {
                let raw = sub.raw();
                let msg = QueueMessage {
                    body: if raw { body.clone() } else { wrapped() },
                    attributes: if raw {
                        checked.attributes.clone()
                    } else {
                        BTreeMap::new()
                    },
                    group_id: if fifo { out.group_id.clone() } else { None },
                    dedup_id: if fifo { dedup_id.clone() } else { None },
                    sender_id: ctx.identity.user_id.clone(),
                    now_ms: now,
                    source: Some(source.clone()),
                };
                if let Err(e) = s.queues.send(&sub.endpoint, msg.clone()) {
                    tracing::warn!(subscription = %sub.arn, error = %e, "delivery to SQS failed");
                    dead_letter(s.queues.as_ref(), &sub, msg);
                }
            }
            "http" => {
                let payload = if sub.raw() { body.clone() } else { wrapped() };
                let headers = vec![
                    ("x-amz-sns-message-type", "Notification".to_string()),
                    ("x-amz-sns-message-id", message_id.clone()),
                    ("x-amz-sns-topic-arn", topic_arn.to_string()),
                    ("x-amz-sns-subscription-arn", sub.arn.clone()),
                ];
                let endpoint = sub.endpoint.clone();
                let queues = s.queues.clone();
                let failed = QueueMessage {
                    body: payload.clone(),
                    sender_id: ctx.identity.user_id.clone(),
                    now_ms: now,
                    source: Some(source.clone()),
                    ..Default::default()
                };
                let sub = sub.clone();
                tokio::spawn(async move {
                    if !http::post(&endpoint, &headers, &payload).await {
                        tracing::warn!(endpoint = %endpoint, "notification was not delivered");
                        dead_letter(queues.as_ref(), &sub, failed);
                    }
                });
            }
            "email" | "email-json" | "sms" => {
                let (subject, text) = match sub.protocol.as_str() {
                    "email-json" => (None, wrapped()),
                    "sms" => (None, body.clone()),
                    _ => (
                        Some(
                            out.subject
                                .clone()
                                .unwrap_or_else(|| "AWS Notification Message".into()),
                        ),
                        format!(
                            "{body}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n{base}/?Action=Unsubscribe&Version=2010-03-31&SubscriptionArn={}",
                            sub.arn
                        ),
                    ),
                };
                s.outbox.record(crate::outbox::Entry {
                    protocol: sub.protocol.clone(),
                    endpoint: sub.endpoint.clone(),
                    topic_arn: Some(topic_arn.to_string()),
                    message_id: message_id.clone(),
                    subject,
                    body: text,
                    timestamp: timestamp.clone(),
                });
            }
            "application" => {
                if let Err(e) = super::platforms::deliver(
                    s,
                    &sub.endpoint,
                    &checked.bodies,
                    Some(topic_arn),
                    &message_id,
                    now,
                ) {
                    tracing::warn!(subscription = %sub.arn, error = %e.message, "push to the endpoint was not recorded");
                }
            }
            // Accepted; these endpoints are not reachable from here.
            _ => {}
        }
    }
    Ok((message_id, sequence))
}

pub fn publish(
    s: &Sns,
    ctx: &RequestContext,
    input: PublishInput,
) -> Result<PublishResponse, AwsError> {
    if input.phone_number.is_some() && input.topic_arn.is_none() && input.target_arn.is_none() {
        // SMS to a phone number is recorded in the outbox.
        if input.message.is_empty() {
            return Err(invalid("Invalid parameter: Empty message"));
        }
        let message_id = ids::uuid_v4();
        s.outbox.record(crate::outbox::Entry {
            protocol: "sms".into(),
            endpoint: input.phone_number.unwrap_or_default(),
            topic_arn: None,
            message_id: message_id.clone(),
            subject: None,
            body: input.message,
            timestamp: time::iso8601_millis(ctx.clock.now_millis()),
        });
        return Ok(PublishResponse {
            message_id: Some(message_id),
            sequence_number: None,
        });
    }
    if let Some(endpoint) = input
        .target_arn
        .as_deref()
        .filter(|a| input.topic_arn.is_none() && crate::platform::is_endpoint_arn(a))
    {
        let checked = check(&Outgoing {
            message: input.message,
            subject: input.subject,
            structure: input.message_structure,
            attributes: input.message_attributes.unwrap_or_default(),
            group_id: None,
            dedup_id: None,
        })?;
        let message_id = ids::uuid_v4();
        super::platforms::deliver(
            s,
            endpoint,
            &checked.bodies,
            None,
            &message_id,
            ctx.clock.now_millis(),
        )?;
        return Ok(PublishResponse {
            message_id: Some(message_id),
            sequence_number: None,
        });
    }
    let topic_arn = input.topic_arn.or(input.target_arn).ok_or_else(|| {
        invalid("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
    })?;
    let (message_id, sequence_number) = publish_one(
        s,
        ctx,
        &topic_arn,
        Outgoing {
            message: input.message,
            subject: input.subject,
            structure: input.message_structure,
            attributes: input.message_attributes.unwrap_or_default(),
            dedup_id: input.message_deduplication_id,
            group_id: input.message_group_id,
        },
    )?;
    Ok(PublishResponse {
        message_id: Some(message_id),
        sequence_number,
    })
}

pub fn publish_batch(
    s: &Sns,
    ctx: &RequestContext,
    input: PublishBatchInput,
) -> Result<PublishBatchResponse, AwsError> {
    let entries = input.publish_batch_request_entries;
    if entries.is_empty() {
        return Err(AwsError::bad_request(
            "EmptyBatchRequestException",
            "The batch request doesn't contain any entries",
        ));
    }
    if entries.len() > 10 {
        return Err(AwsError::bad_request(
            "TooManyEntriesInBatchRequestException",
            "The batch request contains more entries than permissible.",
        ));
    }
    let mut seen = HashSet::new();
    for e in &entries {
        let ok = !e.id.is_empty()
            && e.id.len() <= 80
            && e.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(AwsError::bad_request(
                "InvalidBatchEntryIdException",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(e.id.clone()) {
            return Err(AwsError::bad_request(
                "BatchEntryIdsNotDistinctException",
                "Two or more batch entries in the request have the same Id.",
            ));
        }
    }
    let total: usize = entries.iter().map(|e| e.message.len()).sum();
    if total > MAX_BYTES {
        return Err(AwsError::bad_request(
            "BatchRequestTooLongException",
            "The length of all the messages put together is more than the limit.",
        ));
    }
    if !s.state.begin().inner.topics.contains_key(&input.topic_arn) {
        return Err(topic_not_found());
    }
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for e in entries {
        let out = Outgoing {
            message: e.message,
            subject: e.subject,
            structure: e.message_structure,
            attributes: e.message_attributes.unwrap_or_default(),
            dedup_id: e.message_deduplication_id,
            group_id: e.message_group_id,
        };
        match publish_one(s, ctx, &input.topic_arn, out) {
            Ok((message_id, sequence_number)) => successful.push(PublishBatchResultEntry {
                id: Some(e.id),
                message_id: Some(message_id),
                sequence_number,
            }),
            Err(err) => failed.push(BatchResultErrorEntry {
                id: e.id,
                code: s.query_code(&err.code),
                message: Some(err.message),
                sender_fault: err.status < 500,
            }),
        }
    }
    Ok(PublishBatchResponse {
        successful: Some(successful),
        failed: Some(failed),
    })
}

/// Other services' events (S3 notifications) published to a topic.
impl stratus_core::delivery::TopicSink for Sns {
    fn publish(
        &self,
        ctx: &RequestContext,
        source: Option<&DeliverySource>,
        topic_arn: &str,
        subject: &str,
        message: String,
    ) -> Result<String, AwsError> {
        if let Some(source) = source {
            if !self.allows(topic_arn, source, ctx.clock.now_millis()) {
                return Err(AwsError::new(
                    403,
                    "AuthorizationError",
                    format!(
                        "{} is not authorized to perform: SNS:Publish on resource: {topic_arn}",
                        source.principal
                    ),
                ));
            }
        }
        let out = Outgoing {
            message,
            subject: Some(subject.to_string()),
            structure: None,
            attributes: BTreeMap::new(),
            dedup_id: None,
            group_id: None,
        };
        publish_one(self, ctx, topic_arn, out).map(|(id, _)| id)
    }

    fn exists(&self, topic_arn: &str) -> bool {
        self.state.begin().inner.topics.contains_key(topic_arn)
    }

    fn allows(&self, topic_arn: &str, source: &DeliverySource, now_ms: i64) -> bool {
        let Some(authz) = self.authorizer.as_ref().filter(|a| a.enforcing()) else {
            return true;
        };
        let policies = self.topic_policies(&[topic_arn.to_string()]);
        let region = topic_arn.split(':').nth(3).unwrap_or("");
        authz.service_allowed(&ServiceAccess {
            service: &source.principal,
            action: "sns:Publish",
            resource: topic_arn,
            resource_policies: &policies,
            source_arn: &source.arn,
            source_account: &source.account,
            region,
            now_ms,
        })
    }
}
