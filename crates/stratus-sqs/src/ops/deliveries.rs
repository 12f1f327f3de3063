//! Messages other services hand to SQS (SNS subscriptions), through the
//! narrow `QueueSink` interface.

use stratus_core::delivery::{DeliverySource, QueueMessage, QueueSink};
use stratus_core::{AwsError, ServiceAccess};
use stratus_protocol::Blob;

use super::messages::{Outgoing, send_one};
use crate::Sqs;
use crate::errors::no_queue;
use crate::generated::MessageAttributeValue;

impl QueueSink for Sqs {
    fn send(&self, queue_arn: &str, message: QueueMessage) -> Result<String, AwsError> {
        if let Some(source) = &message.source {
            if !self.allows(queue_arn, source, message.now_ms) {
                return Err(AwsError::new(
                    403,
                    "AccessDenied",
                    format!("Access to the resource {queue_arn} is denied."),
                ));
            }
        }
        self.blocking(|| self.enqueue(queue_arn, message))
    }

    fn exists(&self, queue_arn: &str) -> bool {
        crate::url::parse_arn(queue_arn).is_some_and(|(region, account, name)| {
            let k = crate::queue::key(&account, &region, &name);
            self.state.begin().inner.queues.contains_key(&k)
        })
    }

    fn allows(&self, queue_arn: &str, source: &DeliverySource, now_ms: i64) -> bool {
        let Some(authz) = self.authorizer.as_ref().filter(|a| a.enforcing()) else {
            return true;
        };
        let policies = self.queue_policies(&[queue_arn.to_string()]);
        let region = queue_arn.split(':').nth(3).unwrap_or("");
        authz.service_allowed(&ServiceAccess {
            service: &source.principal,
            action: "sqs:SendMessage",
            resource: queue_arn,
            resource_policies: &policies,
            source_arn: &source.arn,
            source_account: &source.account,
            region,
            now_ms,
        })
    }
}

impl Sqs {
    fn enqueue(&self, queue_arn: &str, message: QueueMessage) -> Result<String, AwsError> {
        let (region, account, name) = crate::url::parse_arn(queue_arn).ok_or_else(no_queue)?;
        let k = crate::queue::key(&account, &region, &name);
        let attributes = message
            .attributes
            .into_iter()
            .map(|(n, a)| {
                let v = MessageAttributeValue {
                    data_type: a.data_type,
                    string_value: a.string_value,
                    binary_value: a.binary_value.map(Blob),
                    ..Default::default()
                };
                (n, v)
            })
            .collect();
        let out = Outgoing {
            body: message.body,
            delay_seconds: None,
            attributes: Some(attributes),
            system_attributes: None,
            dedup_id: message.dedup_id,
            group_id: message.group_id,
        };
        let mut txn = self.state.begin();
        let res = send_one(
            &mut txn.inner,
            &mut txn.changes,
            message.now_ms,
            &message.sender_id,
            &k,
            out,
        )?;
        let notify = txn.inner.queue(&k)?.notify.clone();
        txn.commit()?;
        notify.notify_waiters();
        Ok(res.message_id.unwrap_or_default())
    }
}
