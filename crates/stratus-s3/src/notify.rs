//! Event notifications: after an object is created or removed, the bucket's
//! notification configuration decides which SQS queues and SNS topics get
//! AWS's event message. Deliveries go through the `QueueSink` and
//! `TopicSink` interfaces, never into another service's state, as S3's
//! service principal for the bucket: the destination's policy must allow
//! it when policies are enforced. Lambda functions are not yet delivery
//! targets.

use std::sync::Arc;

use serde_json::json;
use stratus_core::delivery::{DeliverySource, QueueMessage, QueueSink, TopicSink};
use stratus_core::{AwsError, RequestContext};

use crate::api::stored_config as config;
use crate::state::{BucketMeta, ObjectMeta};

const KEY_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The services notifications are delivered to.
#[derive(Default, Clone)]
pub struct Targets {
    pub queues: Option<Arc<dyn QueueSink>>,
    pub topics: Option<Arc<dyn TopicSink>>,
}

impl Targets {
    pub fn any(&self) -> bool {
        self.queues.is_some() || self.topics.is_some()
    }

    /// What S3 finds wrong with the destinations of `cfg` when it is put
    /// for `bucket`: each queue and topic must exist and let S3 deliver for
    /// the bucket. Lambda and EventBridge are not checked.
    pub fn refusals(
        &self,
        cfg: &NotificationConfiguration,
        bucket: &BucketMeta,
        now_ms: i64,
    ) -> Vec<Refusal> {
        let source = source_of(bucket);
        let mut out = Vec::new();
        for d in Targets::destinations(cfg) {
            let kind = if d.queue { "queue" } else { "topic" };
            let checked = if d.queue {
                self.queues
                    .as_ref()
                    .map(|q| (q.exists(d.arn), q.allows(d.arn, &source, now_ms)))
            } else {
                self.topics
                    .as_ref()
                    .map(|t| (t.exists(d.arn), t.allows(d.arn, &source, now_ms)))
            };
            let reason = match checked {
                Some((false, _)) => format!("The destination {kind} does not exist"),
                Some((true, false)) => format!(
                    "Permissions on the destination {kind} do not allow S3 to publish notifications from this bucket"
                ),
                _ => continue,
            };
            out.push(Refusal {
                arn: d.arn.to_string(),
                reason,
            });
        }
        out
    }

    /// Sends each message; failures are logged, as S3 never fails the
    /// request that caused an event.
    pub fn send_all(&self, ctx: &RequestContext, out: Vec<Outgoing>, now_ms: i64) {
        for o in out {
            let Outgoing {
                arn,
                body,
                queue,
                source,
            } = o;
            let res = if queue {
                self.queues.as_ref().map(|q| {
                    let msg = QueueMessage {
                        body,
                        sender_id: "AIDAJQR6QDGQ7PATMSYEY".into(),
                        now_ms,
                        source: Some(source),
                        ..Default::default()
                    };
                    q.send(&arn, msg)
                })
            } else {
                self.topics
                    .as_ref()
                    .map(|t| t.publish(ctx, Some(&source), &arn, "Amazon S3 Notification", body))
            };
            if let Some(Err(err)) = res {
                tracing::warn!(target_arn = %arn, error = %err, "S3 event notification not delivered");
            }
        }
    }

    /// Every queue and topic of a configuration, with its id, event
    /// names and filter.
    fn destinations(cfg: &NotificationConfiguration) -> Vec<Destination<'_>> {
        let queues = cfg
            .queue_configurations
            .iter()
            .flatten()
            .map(|q| Destination {
                queue: true,
                arn: &q.queue_arn,
                id: q.id.as_deref().unwrap_or(""),
                events: &q.events,
                filter: &q.filter,
            });
        let topics = cfg
            .topic_configurations
            .iter()
            .flatten()
            .map(|t| Destination {
                queue: false,
                arn: &t.topic_arn,
                id: t.id.as_deref().unwrap_or(""),
                events: &t.events,
                filter: &t.filter,
            });
        queues.chain(topics).collect()
    }
}

/// A destination S3 cannot validate, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub arn: String,
    pub reason: String,
}

/// S3's answer to a configuration with refused destinations: each one's ARN
/// and reason, numbered from 1.
pub fn refusal_error(refused: &[Refusal]) -> AwsError {
    let mut e = AwsError::bad_request(
        "InvalidArgument",
        "Unable to validate the following destination configurations",
    );
    for (i, r) in refused.iter().enumerate() {
        e.fields
            .insert(format!("ArgumentName{}", i + 1), r.arn.clone());
        e.fields
            .insert(format!("ArgumentValue{}", i + 1), r.reason.clone());
    }
    e
}

/// Where the handler of PutBucketNotificationConfiguration leaves its
/// refusal, which needs fields s3s's errors cannot carry: the answer is
/// written from it once s3s has answered.
#[derive(Clone, Default)]
pub struct Refused(Arc<parking_lot::Mutex<Option<AwsError>>>);

impl Refused {
    pub fn set(&self, e: AwsError) {
        *self.0.lock() = Some(e);
    }

    pub fn take(&self) -> Option<AwsError> {
        self.0.lock().take()
    }
}

/// S3 delivers as its service principal, for the bucket and its owner.
fn source_of(bucket: &BucketMeta) -> DeliverySource {
    DeliverySource::new(
        "s3.amazonaws.com",
        format!("arn:aws:s3:::{}", bucket.name),
        bucket.account.clone(),
    )
}

struct Destination<'a> {
    /// An SQS queue; else an SNS topic.
    queue: bool,
    arn: &'a str,
    id: &'a str,
    events: &'a [s3s::dto::Event],
    filter: &'a Option<s3s::dto::NotificationConfigurationFilter>,
}

pub type NotificationConfiguration = s3s::dto::NotificationConfiguration;

/// Whether an event name (`ObjectCreated:Put`) matches a configured one
/// (`s3:ObjectCreated:*` or the exact name).
fn event_matches(configured: &str, event: &str) -> bool {
    let c = configured.strip_prefix("s3:").unwrap_or(configured);
    match c.strip_suffix('*') {
        Some(prefix) => event.starts_with(prefix),
        None => c == event,
    }
}

fn key_matches(filter: &Option<s3s::dto::NotificationConfigurationFilter>, key: &str) -> bool {
    let Some(rules) = filter
        .as_ref()
        .and_then(|f| f.key.as_ref())
        .and_then(|k| k.filter_rules.as_ref())
    else {
        return true;
    };
    rules.iter().all(|r| {
        let v = r.value.as_deref().unwrap_or("");
        match r.name.as_ref().map(|n| n.as_str().to_ascii_lowercase()) {
            Some(n) if n == "prefix" => key.starts_with(v),
            Some(n) if n == "suffix" => key.ends_with(v),
            _ => true,
        }
    })
}

/// Changes a request makes that only its handler knows the keys of
/// (DeleteObjects, browser POST uploads), noted for the events sent once
/// the request has succeeded.
#[derive(Clone, Default)]
pub struct Recorded(Arc<parking_lot::Mutex<Vec<Noted>>>);

/// One noted change: the event name, the key, and the version it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub name: &'static str,
    pub key: String,
    pub version_id: Option<String>,
}

impl Recorded {
    pub fn note(&self, name: &'static str, key: &str, version_id: Option<String>) {
        self.0.lock().push(Noted {
            name,
            key: key.to_string(),
            version_id,
        });
    }

    pub fn take(&self) -> Vec<Noted> {
        std::mem::take(&mut *self.0.lock())
    }
}

/// The removal event S3 reports for a delete: a delete marker made by a
/// delete without a version id, else the object (or version) gone.
pub fn removal_name(version_requested: bool, marker: bool, lifecycle: bool) -> &'static str {
    match (lifecycle, !version_requested && marker) {
        (false, true) => "ObjectRemoved:DeleteMarkerCreated",
        (false, false) => "ObjectRemoved:Delete",
        (true, true) => "LifecycleExpiration:DeleteMarkerCreated",
        (true, false) => "LifecycleExpiration:Delete",
    }
}

/// What happened, for the event message.
pub struct Event<'a> {
    pub name: &'a str,
    pub bucket: &'a BucketMeta,
    pub key: &'a str,
    pub object: Option<&'a ObjectMeta>,
    /// The version a removal made or removed, when no object describes it.
    pub version_id: Option<&'a str>,
    pub principal: &'a str,
    pub request_id: &'a str,
    pub now_ms: i64,
}

/// Form-style encoding that keeps slashes: `dir/a b.txt` is `dir/a+b.txt`.
fn encode_key(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, KEY_ENCODE)
        .to_string()
        .replace("%20", "+")
}

fn message(e: &Event, config_id: &str) -> String {
    let key = encode_key(e.key);
    let mut object = json!({ "key": key, "sequencer": format!("{:016X}", e.now_ms) });
    if let Some(o) = e.object {
        object["size"] = json!(o.size);
        object["eTag"] = json!(o.etag);
        if let Some(v) = &o.version_id {
            object["versionId"] = json!(v);
        }
    } else if let Some(v) = e.version_id {
        object["versionId"] = json!(v);
    }
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": e.bucket.region,
            "eventTime": stratus_core::time::iso8601_millis(e.now_ms),
            "eventName": e.name,
            "userIdentity": { "principalId": e.principal },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": { "x-amz-request-id": e.request_id, "x-amz-id-2": e.request_id },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": config_id,
                "bucket": {
                    "name": e.bucket.name,
                    "ownerIdentity": { "principalId": e.bucket.account },
                    "arn": format!("arn:aws:s3:::{}", e.bucket.name),
                },
                "object": object,
            }
        }]
    })
    .to_string()
}

/// One message for one destination, built while the bucket is locked and
/// sent after the lock is released (sending waits for the queue's disk).
pub struct Outgoing {
    queue: bool,
    arn: String,
    body: String,
    source: DeliverySource,
}

/// The messages `e` calls for under the bucket's configuration.
pub fn messages(e: &Event) -> Vec<Outgoing> {
    let Some(cfg) = config::<NotificationConfiguration>(e.bucket, "notification") else {
        return Vec::new();
    };
    Targets::destinations(&cfg)
        .into_iter()
        .filter(|d| d.events.iter().any(|ev| event_matches(ev.as_ref(), e.name)))
        .filter(|d| key_matches(d.filter, e.key))
        .map(|d| Outgoing {
            queue: d.queue,
            arn: d.arn.to_string(),
            body: message(e, d.id),
            source: source_of(e.bucket),
        })
        .collect()
}

/// The test event S3 sends to each destination when a configuration is put.
pub fn test_messages(bucket: &BucketMeta, request_id: &str, now_ms: i64) -> Vec<Outgoing> {
    let Some(cfg) = config::<NotificationConfiguration>(bucket, "notification") else {
        return Vec::new();
    };
    let body = json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": stratus_core::time::iso8601_millis(now_ms),
        "Bucket": bucket.name,
        "RequestId": request_id,
        "HostId": request_id,
    })
    .to_string();
    Targets::destinations(&cfg)
        .into_iter()
        .map(|d| Outgoing {
            queue: d.queue,
            arn: d.arn.to_string(),
            body: body.clone(),
            source: source_of(bucket),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_numbered_arguments() {
        let e = refusal_error(&[
            Refusal {
                arn: "arn:aws:sqs:us-east-1:000000000000:a".into(),
                reason: "The destination queue does not exist".into(),
            },
            Refusal {
                arn: "arn:aws:sns:us-east-1:000000000000:t".into(),
                reason: "Permissions on the destination topic do not allow S3 to publish notifications from this bucket".into(),
            },
        ]);
        assert_eq!((e.code.as_str(), e.status), ("InvalidArgument", 400));
        assert_eq!(
            e.message,
            "Unable to validate the following destination configurations"
        );
        assert_eq!(
            e.fields["ArgumentName1"],
            "arn:aws:sqs:us-east-1:000000000000:a"
        );
        assert_eq!(
            e.fields["ArgumentValue1"],
            "The destination queue does not exist"
        );
        assert_eq!(
            e.fields["ArgumentName2"],
            "arn:aws:sns:us-east-1:000000000000:t"
        );
        assert!(e.fields["ArgumentValue2"].starts_with("Permissions on the destination topic"));
    }

    #[test]
    fn removal_names() {
        assert_eq!(
            removal_name(false, true, false),
            "ObjectRemoved:DeleteMarkerCreated"
        );
        assert_eq!(removal_name(false, false, false), "ObjectRemoved:Delete");
        // Deleting a delete marker by version removes it: no marker is made.
        assert_eq!(removal_name(true, true, false), "ObjectRemoved:Delete");
        assert_eq!(
            removal_name(false, true, true),
            "LifecycleExpiration:DeleteMarkerCreated"
        );
        assert_eq!(
            removal_name(true, false, true),
            "LifecycleExpiration:Delete"
        );
    }

    #[test]
    fn recorded_changes_are_taken_once() {
        let r = Recorded::default();
        r.clone().note("ObjectCreated:Post", "a.txt", None);
        let got = r.take();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key, "a.txt");
        assert!(r.take().is_empty());
    }

    #[test]
    fn lifecycle_events_match_their_own_prefix() {
        assert!(event_matches(
            "s3:LifecycleExpiration:*",
            "LifecycleExpiration:Delete"
        ));
        assert!(!event_matches(
            "s3:ObjectRemoved:*",
            "LifecycleExpiration:Delete"
        ));
    }

    #[test]
    fn event_names() {
        assert!(event_matches("s3:ObjectCreated:*", "ObjectCreated:Put"));
        assert!(event_matches("s3:ObjectCreated:Put", "ObjectCreated:Put"));
        assert!(!event_matches("s3:ObjectCreated:Put", "ObjectCreated:Copy"));
        assert!(!event_matches("s3:ObjectRemoved:*", "ObjectCreated:Put"));
    }

    #[test]
    fn keys_are_form_encoded_keeping_slashes() {
        let enc = encode_key;
        assert_eq!(enc("dir/a b.txt"), "dir/a+b.txt");
        assert_eq!(enc("x+y=z"), "x%2By%3Dz");
        assert_eq!(enc("caf\u{e9}"), "caf%C3%A9");
    }
}
