//! Subscriptions: subscribe (with the http confirmation flow), confirm,
//! unsubscribe, list, attributes.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext, ids, time};

use super::topics::page;
use crate::Sns;
use crate::errors::{invalid, subscription_not_found, topic_not_found};
use crate::filter;
use crate::generated::*;
use crate::state::Subscription;
use crate::{envelope, http};

const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// The base URL subscribers reach this server at, for links SNS hands out.
pub fn base_url(ctx: &RequestContext) -> String {
    let host = if ctx.host.is_empty() {
        "127.0.0.1:4566"
    } else {
        ctx.host.as_str()
    };
    format!("http://{host}")
}

fn check_endpoint(protocol: &str, endpoint: &str) -> Result<(), AwsError> {
    let ok = match protocol {
        "http" => endpoint.starts_with("http://"),
        "https" => endpoint.starts_with("https://"),
        "email" | "email-json" => endpoint.contains('@') && !endpoint.starts_with('@'),
        "sqs" => endpoint.starts_with("arn:aws:sqs:") && endpoint.split(':').count() == 6,
        "lambda" => endpoint.starts_with("arn:aws:lambda:"),
        "firehose" => endpoint.starts_with("arn:aws:firehose:"),
        "application" => endpoint.starts_with("arn:aws:sns:"),
        "sms" => {
            let digits = endpoint.trim_start_matches('+');
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '-')
        }
        _ => {
            return Err(invalid(
                "Invalid parameter: Amazon SNS does not support this protocol string",
            ));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(if protocol == "sqs" {
            "Invalid parameter: SQS endpoint ARN".to_string()
        } else {
            "Invalid parameter: Endpoint".to_string()
        }))
    }
}

fn check_attribute(name: &str, value: &str) -> Result<String, AwsError> {
    match name {
        "RawMessageDelivery" => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_string()),
            _ => Err(invalid(
                "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value. Must be true or false.",
            )),
        },
        "FilterPolicy" if value.is_empty() => Ok(String::new()),
        "FilterPolicy" => filter::parse(value)
            .map(|_| value.to_string())
            .map_err(|r| invalid(format!("Invalid parameter: FilterPolicy: {r}"))),
        "RedrivePolicy" if !value.is_empty() => {
            let target = serde_json::from_str::<serde_json::Value>(value)
                .ok()
                .and_then(|p| p.get("deadLetterTargetArn")?.as_str().map(String::from));
            match target {
                Some(arn) if arn.starts_with("arn:aws:sqs:") => Ok(value.to_string()),
                _ => Err(invalid(
                    "Invalid parameter: RedrivePolicy: deadLetterTargetArn is not a valid SQS queue ARN",
                )),
            }
        }
        "FilterPolicyScope" => match value {
            "MessageAttributes" | "MessageBody" => Ok(value.to_string()),
            _ => Err(invalid(
                "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [value]. Please use either MessageBody or MessageAttributes",
            )),
        },
        n if SETTABLE.contains(&n) => Ok(value.to_string()),
        _ => Err(invalid(
            "Invalid parameter: Attributes Reason: Unknown attribute",
        )),
    }
}

pub fn subscribe(
    s: &Sns,
    ctx: &RequestContext,
    input: SubscribeInput,
) -> Result<SubscribeResponse, AwsError> {
    let protocol = input.protocol.to_ascii_lowercase();
    let endpoint = input.endpoint.unwrap_or_default();
    check_endpoint(&protocol, &endpoint)?;
    let mut attributes = BTreeMap::new();
    for (k, v) in input.attributes.unwrap_or_default() {
        let v = check_attribute(&k, &v)?;
        attributes.insert(k, v);
    }
    let needs_confirmation = matches!(protocol.as_str(), "http" | "https" | "email" | "email-json");
    let mut txn = s.state.begin();
    let topic = txn
        .inner
        .topics
        .get(&input.topic_arn)
        .ok_or_else(topic_not_found)?;
    let signature_version = topic.signature_version().to_string();
    if topic.is_fifo() && !matches!(protocol.as_str(), "sqs" | "lambda" | "firehose") {
        return Err(invalid(
            "Invalid parameter: Invalid protocol type: FIFO topics only support SQS, Lambda and Firehose subscriptions",
        ));
    }
    if let Some(existing) = txn.inner.subscriptions.values().find(|x| {
        x.topic_arn == input.topic_arn && x.protocol == protocol && x.endpoint == endpoint
    }) {
        let same = attributes
            .iter()
            .all(|(k, v)| existing.attributes.get(k) == Some(v));
        if !same {
            return Err(invalid(
                "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
            ));
        }
        let arn = if existing.pending && input.return_subscription_arn != Some(true) {
            "pending confirmation".to_string()
        } else {
            existing.arn.clone()
        };
        return Ok(SubscribeResponse {
            subscription_arn: Some(arn),
        });
    }
    let arn = format!("{}:{}", input.topic_arn, ids::uuid_v4());
    let token = ids::hex(64);
    txn.inner.subscriptions.insert(
        arn.clone(),
        Subscription {
            arn: arn.clone(),
            topic_arn: input.topic_arn.clone(),
            owner: ctx.account_id().to_string(),
            protocol: protocol.clone(),
            endpoint: endpoint.clone(),
            attributes,
            pending: needs_confirmation,
            token: token.clone(),
        },
    );
    txn.put_subscription(&arn)?;
    txn.commit()?;
    if protocol == "http" {
        let signer = s.keys.signer(ctx.clock.now_millis())?;
        let message_id = ids::uuid_v4();
        let (body, _) = envelope::confirmation(
            &message_id,
            &token,
            &input.topic_arn,
            &time::iso8601_millis(ctx.clock.now_millis()),
            &base_url(ctx),
            &signer,
            &signature_version,
        );
        let headers = vec![
            (
                "x-amz-sns-message-type",
                "SubscriptionConfirmation".to_string(),
            ),
            ("x-amz-sns-message-id", message_id),
            ("x-amz-sns-topic-arn", input.topic_arn.clone()),
        ];
        let target = endpoint.clone();
        tokio::spawn(async move {
            if !http::post(&target, &headers, &body).await {
                tracing::warn!(endpoint = %target, "subscription confirmation was not delivered");
            }
        });
    }
    if protocol == "email" || protocol == "email-json" {
        let signer = s.keys.signer(ctx.clock.now_millis())?;
        let (_, subscribe_url) = envelope::confirmation(
            &ids::uuid_v4(),
            &token,
            &input.topic_arn,
            &time::iso8601_millis(ctx.clock.now_millis()),
            &base_url(ctx),
            &signer,
            &signature_version,
        );
        s.outbox.record(crate::outbox::Entry {
            protocol: protocol.clone(),
            endpoint,
            topic_arn: Some(input.topic_arn.clone()),
            message_id: ids::uuid_v4(),
            subject: Some("AWS Notification - Subscription Confirmation".into()),
            body: format!(
                "You have chosen to subscribe to the topic:\n{}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n{subscribe_url}",
                input.topic_arn
            ),
            timestamp: time::iso8601_millis(ctx.clock.now_millis()),
        });
    }
    let shown = if needs_confirmation && input.return_subscription_arn != Some(true) {
        "pending confirmation".to_string()
    } else {
        arn
    };
    Ok(SubscribeResponse {
        subscription_arn: Some(shown),
    })
}

pub fn confirm_subscription(
    s: &Sns,
    _ctx: &RequestContext,
    input: ConfirmSubscriptionInput,
) -> Result<ConfirmSubscriptionResponse, AwsError> {
    let mut txn = s.state.begin();
    if !txn.inner.topics.contains_key(&input.topic_arn) {
        return Err(topic_not_found());
    }
    let arn = txn
        .inner
        .subscriptions
        .values()
        .find(|x| x.topic_arn == input.topic_arn && x.token == input.token)
        .map(|x| x.arn.clone())
        .ok_or_else(|| invalid("Invalid token"))?;
    if let Some(sub) = txn.inner.subscriptions.get_mut(&arn) {
        sub.pending = false;
        if input.authenticate_on_unsubscribe.as_deref() == Some("true") {
            sub.attributes
                .insert("ConfirmationWasAuthenticated".into(), "true".into());
        }
    }
    txn.put_subscription(&arn)?;
    txn.commit()?;
    Ok(ConfirmSubscriptionResponse {
        subscription_arn: Some(arn),
    })
}

pub fn unsubscribe(
    s: &Sns,
    _ctx: &RequestContext,
    input: UnsubscribeInput,
) -> Result<(), AwsError> {
    let mut txn = s.state.begin();
    txn.inner
        .subscriptions
        .remove(&input.subscription_arn)
        .ok_or_else(subscription_not_found)?;
    txn.delete_subscription(&input.subscription_arn);
    txn.commit()
}

fn listed(x: &Subscription) -> crate::generated::Subscription {
    crate::generated::Subscription {
        subscription_arn: Some(x.listed_arn()),
        owner: Some(x.owner.clone()),
        protocol: Some(x.protocol.clone()),
        endpoint: Some(x.endpoint.clone()),
        topic_arn: Some(x.topic_arn.clone()),
    }
}

pub fn list_subscriptions(
    s: &Sns,
    ctx: &RequestContext,
    input: ListSubscriptionsInput,
) -> Result<ListSubscriptionsResponse, AwsError> {
    let prefix = format!("arn:aws:sns:{}:{}:", ctx.region, ctx.account_id());
    let items: Vec<_> = {
        let txn = s.state.begin();
        txn.inner
            .subscriptions
            .values()
            .filter(|x| x.topic_arn.starts_with(&prefix))
            .map(|x| (x.arn.clone(), listed(x)))
            .collect()
    };
    let (subscriptions, next_token) = page(items, input.next_token)?;
    Ok(ListSubscriptionsResponse {
        subscriptions: Some(subscriptions),
        next_token,
    })
}

pub fn list_subscriptions_by_topic(
    s: &Sns,
    _ctx: &RequestContext,
    input: ListSubscriptionsByTopicInput,
) -> Result<ListSubscriptionsByTopicResponse, AwsError> {
    let items: Vec<_> = {
        let txn = s.state.begin();
        if !txn.inner.topics.contains_key(&input.topic_arn) {
            return Err(topic_not_found());
        }
        txn.inner
            .subscriptions
            .values()
            .filter(|x| x.topic_arn == input.topic_arn)
            .map(|x| (x.arn.clone(), listed(x)))
            .collect()
    };
    let (subscriptions, next_token) = page(items, input.next_token)?;
    Ok(ListSubscriptionsByTopicResponse {
        subscriptions: Some(subscriptions),
        next_token,
    })
}

pub fn get_subscription_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: GetSubscriptionAttributesInput,
) -> Result<GetSubscriptionAttributesResponse, AwsError> {
    let txn = s.state.begin();
    let x = txn
        .inner
        .subscriptions
        .get(&input.subscription_arn)
        .ok_or_else(subscription_not_found)?;
    let mut a = BTreeMap::new();
    a.insert("SubscriptionArn".into(), x.arn.clone());
    a.insert("TopicArn".into(), x.topic_arn.clone());
    a.insert("Owner".into(), x.owner.clone());
    a.insert("Protocol".into(), x.protocol.clone());
    a.insert("Endpoint".into(), x.endpoint.clone());
    a.insert("PendingConfirmation".into(), x.pending.to_string());
    a.insert(
        "ConfirmationWasAuthenticated".into(),
        (!x.pending).to_string(),
    );
    a.insert("RawMessageDelivery".into(), "false".into());
    a.insert(
        "SubscriptionPrincipal".into(),
        format!("arn:aws:iam::{}:root", x.owner),
    );
    for (k, v) in &x.attributes {
        a.insert(k.clone(), v.clone());
    }
    if a.contains_key("FilterPolicy") {
        a.entry("FilterPolicyScope".into())
            .or_insert_with(|| "MessageAttributes".into());
    }
    Ok(GetSubscriptionAttributesResponse {
        attributes: Some(a),
    })
}

pub fn set_subscription_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: SetSubscriptionAttributesInput,
) -> Result<(), AwsError> {
    let value = check_attribute(
        &input.attribute_name,
        input.attribute_value.as_deref().unwrap_or(""),
    )?;
    let mut txn = s.state.begin();
    let x = txn
        .inner
        .subscriptions
        .get_mut(&input.subscription_arn)
        .ok_or_else(subscription_not_found)?;
    if value.is_empty() {
        x.attributes.remove(&input.attribute_name);
    } else {
        x.attributes.insert(input.attribute_name, value);
    }
    txn.put_subscription(&input.subscription_arn)?;
    txn.commit()
}
