//! Narrow interfaces one service delivers through to another (SNS to SQS,
//! later event sources), so no service reaches into another's state. The
//! App wires the implementations at start.

use std::collections::BTreeMap;

use crate::error::AwsError;

/// A message attribute as queues carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageAttribute {
    pub data_type: String,
    pub string_value: Option<String>,
    pub binary_value: Option<Vec<u8>>,
}

/// The service that delivers and on whose behalf: the destination's
/// resource policy must let `principal` act, with `aws:SourceArn` and
/// `aws:SourceAccount` set from it (SNS for a topic, S3 for a bucket).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeliverySource {
    /// The service principal, `sns.amazonaws.com` or `s3.amazonaws.com`.
    pub principal: String,
    /// The topic or bucket the delivery is for.
    pub arn: String,
    /// The account that owns it.
    pub account: String,
}

impl DeliverySource {
    pub fn new(
        principal: impl Into<String>,
        arn: impl Into<String>,
        account: impl Into<String>,
    ) -> Self {
        DeliverySource {
            principal: principal.into(),
            arn: arn.into(),
            account: account.into(),
        }
    }
}

/// One message handed to a queue by another service.
#[derive(Debug, Clone, Default)]
pub struct QueueMessage {
    pub body: String,
    pub attributes: BTreeMap<String, MessageAttribute>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    /// Who the queue reports as `SenderId`.
    pub sender_id: String,
    /// The sender's clock reading, so delays and retention start from it.
    pub now_ms: i64,
    /// For deliveries made by a service: checked against the queue's policy
    /// when policies are enforced.
    pub source: Option<DeliverySource>,
}

/// Something that takes messages for queues named by ARN (SQS).
pub trait QueueSink: Send + Sync + 'static {
    /// Enqueues durably; returns the new message's id.
    fn send(&self, queue_arn: &str, message: QueueMessage) -> Result<String, AwsError>;

    /// Whether the queue exists now (S3 checks destinations when configured).
    fn exists(&self, queue_arn: &str) -> bool;

    /// Whether the queue's policy lets `source` send to it; always true
    /// while policies are not enforced.
    fn allows(&self, queue_arn: &str, source: &DeliverySource, now_ms: i64) -> bool;
}

/// Something that publishes to topics named by ARN (SNS).
pub trait TopicSink: Send + Sync + 'static {
    /// Publishes as the caller in `ctx`, or as `source` when a service
    /// delivers (then refused unless the topic's policy allows it, when
    /// policies are enforced); returns the message id.
    fn publish(
        &self,
        ctx: &crate::context::RequestContext,
        source: Option<&DeliverySource>,
        topic_arn: &str,
        subject: &str,
        message: String,
    ) -> Result<String, AwsError>;

    /// Whether the topic exists now.
    fn exists(&self, topic_arn: &str) -> bool;

    /// Whether the topic's policy lets `source` publish to it; always true
    /// while policies are not enforced.
    fn allows(&self, topic_arn: &str, source: &DeliverySource, now_ms: i64) -> bool;
}

/// Something that stores objects in buckets named by name (S3), for
/// services that write into a user's bucket (CloudWatch Logs exports).
/// Calls block until the object is stored: make them from blocking work
/// (a background task), never from async code.
pub trait ObjectSink: Send + Sync + 'static {
    /// Whether `bucket` exists and belongs to `account`.
    fn bucket_owned(&self, account: &str, bucket: &str) -> bool;

    /// Stores `body` at `key`, replacing what was there.
    fn put(
        &self,
        account: &str,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        now_ms: i64,
    ) -> Result<(), AwsError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    struct Recorder(Mutex<Vec<(String, String)>>);

    impl QueueSink for Recorder {
        fn send(&self, queue_arn: &str, message: QueueMessage) -> Result<String, AwsError> {
            if queue_arn.is_empty() {
                return Err(AwsError::not_found("QueueDoesNotExist", "no queue"));
            }
            self.0.lock().push((queue_arn.to_string(), message.body));
            Ok("id-1".into())
        }

        fn exists(&self, queue_arn: &str) -> bool {
            !queue_arn.is_empty()
        }

        fn allows(&self, _queue_arn: &str, _source: &DeliverySource, _now_ms: i64) -> bool {
            true
        }
    }

    #[test]
    fn services_deliver_through_the_trait_object() {
        let rec = std::sync::Arc::new(Recorder(Mutex::new(Vec::new())));
        let sink: std::sync::Arc<dyn QueueSink> = rec.clone();
        let msg = QueueMessage {
            body: "hi".into(),
            ..Default::default()
        };
        assert_eq!(
            sink.send("arn:aws:sqs:us-east-1:000000000000:q", msg.clone())
                .unwrap(),
            "id-1"
        );
        assert!(sink.send("", msg).is_err());
        assert_eq!(rec.0.lock()[0].1, "hi");
    }
}
