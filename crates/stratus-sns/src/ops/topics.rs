//! Topics: create, delete, list, attributes, tags, permissions and the data
//! protection policy.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};
use stratus_core::{AwsError, RequestContext};

use crate::Sns;
use crate::errors::{invalid, resource_not_found, topic_not_found};
use crate::generated::*;
use crate::state::Topic;

const PAGE: usize = 100;
const MAX_TAGS: usize = 50;

pub fn arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:sns:{}:{}:{name}", ctx.region, ctx.account_id())
}

const SETTABLE: &[&str] = &[
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "SQSSuccessFeedbackRoleArn",
    "SQSFailureFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
];

fn check_attribute(name: &str, value: &str, fifo: bool) -> Result<String, AwsError> {
    let bad = || {
        invalid(format!(
            "Invalid parameter: Attributes Reason: Invalid value for attribute {name}"
        ))
    };
    match name {
        "ContentBasedDeduplication" if !fifo => Err(invalid(
            "Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics",
        )),
        "ContentBasedDeduplication" | "FifoTopic" => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_string()),
            _ => Err(bad()),
        },
        "SignatureVersion" if !matches!(value, "1" | "2") => Err(bad()),
        "TracingConfig" if !matches!(value, "PassThrough" | "Active") => Err(bad()),
        "Policy" | "DeliveryPolicy" | "ArchivePolicy"
            if !value.is_empty() && serde_json::from_str::<Json>(value).is_err() =>
        {
            Err(bad())
        }
        n if SETTABLE.contains(&n) => Ok(value.to_string()),
        _ => Err(invalid("Invalid parameter: AttributeName")),
    }
}

/// The access policy a topic has: its own, or AWS's default.
pub fn topic_policy(t: &crate::state::Topic) -> String {
    t.attributes
        .get("Policy")
        .cloned()
        .unwrap_or_else(|| default_policy(&t.arn, &t.account))
}

fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    })
    .to_string()
}

const EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

pub fn create_topic(
    s: &Sns,
    ctx: &RequestContext,
    input: CreateTopicInput,
) -> Result<CreateTopicResponse, AwsError> {
    let name = input.name;
    let given = input.attributes.unwrap_or_default();
    let fifo = given
        .get("FifoTopic")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let base = name.strip_suffix(".fifo").unwrap_or(&name);
    let valid = !base.is_empty()
        && name.len() <= 256
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && (fifo == name.ends_with(".fifo"));
    if !valid {
        return Err(invalid(if fifo {
            "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
        } else {
            "Invalid parameter: Topic Name"
        }));
    }
    let mut attributes = BTreeMap::new();
    for (k, v) in given {
        let v = check_attribute(&k, &v, fifo)?;
        attributes.insert(k, v);
    }
    if fifo {
        attributes.insert("FifoTopic".into(), "true".into());
        attributes
            .entry("ContentBasedDeduplication".into())
            .or_insert_with(|| "false".into());
    } else {
        attributes.remove("FifoTopic");
    }
    let topic_arn = arn(ctx, &name);
    let mut tags = BTreeMap::new();
    for t in input.tags.unwrap_or_default() {
        tags.insert(t.key, t.value);
    }
    let mut txn = s.state.begin();
    if let Some(existing) = txn.inner.topics.get(&topic_arn) {
        let differs = attributes
            .iter()
            .any(|(k, v)| existing.attributes.get(k) != Some(v));
        if differs {
            return Err(invalid(
                "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
            ));
        }
        return Ok(CreateTopicResponse {
            topic_arn: Some(topic_arn),
        });
    }
    if tags.len() > MAX_TAGS {
        return Err(AwsError::bad_request(
            "TagLimitExceededException",
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    txn.inner.topics.insert(
        topic_arn.clone(),
        Topic {
            arn: topic_arn.clone(),
            account: ctx.account_id().to_string(),
            region: ctx.region.clone(),
            name,
            attributes,
            tags,
            data_protection_policy: input.data_protection_policy.filter(|p| !p.is_empty()),
        },
    );
    txn.put_topic(&topic_arn)?;
    txn.commit()?;
    Ok(CreateTopicResponse {
        topic_arn: Some(topic_arn),
    })
}

pub fn delete_topic(
    s: &Sns,
    _ctx: &RequestContext,
    input: DeleteTopicInput,
) -> Result<(), AwsError> {
    let mut txn = s.state.begin();
    // Deleting a topic that does not exist is not an error on AWS.
    if txn.inner.topics.remove(&input.topic_arn).is_some() {
        txn.delete_topic(&input.topic_arn);
        let subs: Vec<String> = txn
            .inner
            .subscriptions
            .values()
            .filter(|s| s.topic_arn == input.topic_arn)
            .map(|s| s.arn.clone())
            .collect();
        for a in subs {
            txn.inner.subscriptions.remove(&a);
            txn.delete_subscription(&a);
        }
    }
    txn.commit()
}

/// One page of 100 after the token (the last ARN of the previous page).
pub fn page<T: Clone>(
    items: Vec<(String, T)>,
    token: Option<String>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match token.filter(|t| !t.is_empty()) {
        Some(t) => items
            .iter()
            .position(|(k, _)| *k == t)
            .map(|i| i + 1)
            .ok_or_else(|| invalid("Invalid parameter: NextToken"))?,
        None => 0,
    };
    let rest = &items[start.min(items.len())..];
    let chosen: Vec<T> = rest.iter().take(PAGE).map(|(_, v)| v.clone()).collect();
    let next = (rest.len() > PAGE).then(|| rest[PAGE - 1].0.clone());
    Ok((chosen, next))
}

pub fn list_topics(
    s: &Sns,
    ctx: &RequestContext,
    input: ListTopicsInput,
) -> Result<ListTopicsResponse, AwsError> {
    let items: Vec<(String, String)> = {
        let txn = s.state.begin();
        txn.inner
            .topics
            .values()
            .filter(|t| t.account == ctx.account_id() && t.region == ctx.region)
            .map(|t| (t.arn.clone(), t.arn.clone()))
            .collect()
    };
    let (arns, next_token) = page(items, input.next_token)?;
    Ok(ListTopicsResponse {
        topics: Some(
            arns.into_iter()
                .map(|a| crate::generated::Topic { topic_arn: Some(a) })
                .collect(),
        ),
        next_token,
    })
}

pub fn get_topic_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: GetTopicAttributesInput,
) -> Result<GetTopicAttributesResponse, AwsError> {
    let txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get(&input.topic_arn)
        .ok_or_else(topic_not_found)?;
    let subs: Vec<_> = txn
        .inner
        .subscriptions
        .values()
        .filter(|s| s.topic_arn == t.arn)
        .collect();
    let mut a = BTreeMap::new();
    a.insert("TopicArn".into(), t.arn.clone());
    a.insert("Owner".into(), t.account.clone());
    a.insert("Policy".into(), default_policy(&t.arn, &t.account));
    a.insert("DisplayName".into(), String::new());
    a.insert(
        "SubscriptionsConfirmed".into(),
        subs.iter().filter(|s| !s.pending).count().to_string(),
    );
    a.insert(
        "SubscriptionsPending".into(),
        subs.iter().filter(|s| s.pending).count().to_string(),
    );
    a.insert("SubscriptionsDeleted".into(), "0".into());
    a.insert(
        "EffectiveDeliveryPolicy".into(),
        EFFECTIVE_DELIVERY_POLICY.into(),
    );
    for (k, v) in &t.attributes {
        a.insert(k.clone(), v.clone());
    }
    Ok(GetTopicAttributesResponse {
        attributes: Some(a),
    })
}

pub fn set_topic_attributes(
    s: &Sns,
    _ctx: &RequestContext,
    input: SetTopicAttributesInput,
) -> Result<(), AwsError> {
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.topic_arn)
        .ok_or_else(topic_not_found)?;
    if input.attribute_name == "FifoTopic" {
        return Err(invalid("Invalid parameter: AttributeName"));
    }
    let value = input.attribute_value.unwrap_or_default();
    let v = check_attribute(&input.attribute_name, &value, t.is_fifo())?;
    if v.is_empty() && input.attribute_name != "DisplayName" {
        t.attributes.remove(&input.attribute_name);
    } else {
        t.attributes.insert(input.attribute_name, v);
    }
    txn.put_topic(&input.topic_arn)?;
    txn.commit()
}

pub fn tag_resource(
    s: &Sns,
    _ctx: &RequestContext,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, AwsError> {
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    let mut tags = t.tags.clone();
    for tag in input.tags {
        tags.insert(tag.key, tag.value);
    }
    if tags.len() > MAX_TAGS {
        return Err(AwsError::bad_request(
            "TagLimitExceededException",
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    t.tags = tags;
    txn.put_topic(&input.resource_arn)?;
    txn.commit()?;
    Ok(TagResourceResponse {})
}

pub fn untag_resource(
    s: &Sns,
    _ctx: &RequestContext,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, AwsError> {
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    for k in &input.tag_keys {
        t.tags.remove(k);
    }
    txn.put_topic(&input.resource_arn)?;
    txn.commit()?;
    Ok(UntagResourceResponse {})
}

pub fn list_tags_for_resource(
    s: &Sns,
    _ctx: &RequestContext,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, AwsError> {
    let txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    Ok(ListTagsForResourceResponse {
        tags: Some(
            t.tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        ),
    })
}

pub fn add_permission(
    s: &Sns,
    _ctx: &RequestContext,
    input: AddPermissionInput,
) -> Result<(), AwsError> {
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.topic_arn)
        .ok_or_else(topic_not_found)?;
    let current = t
        .attributes
        .get("Policy")
        .cloned()
        .unwrap_or_else(|| default_policy(&t.arn, &t.account));
    let mut doc: Json = serde_json::from_str(&current)
        .unwrap_or_else(|_| json!({"Version": "2008-10-17", "Statement": []}));
    let Some(statements) = doc["Statement"].as_array_mut() else {
        return Err(AwsError::internal("stored topic policy has no statements"));
    };
    if statements
        .iter()
        .any(|st| st["Sid"] == input.label.as_str())
    {
        return Err(invalid("Invalid parameter: Statement already exists"));
    }
    statements.push(json!({
        "Sid": input.label,
        "Effect": "Allow",
        "Principal": {"AWS": input.aws_account_id.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect::<Vec<_>>()},
        "Action": input.action_name.iter().map(|a| format!("SNS:{a}")).collect::<Vec<_>>(),
        "Resource": t.arn,
    }));
    t.attributes.insert("Policy".into(), doc.to_string());
    txn.put_topic(&input.topic_arn)?;
    txn.commit()
}

pub fn remove_permission(
    s: &Sns,
    _ctx: &RequestContext,
    input: RemovePermissionInput,
) -> Result<(), AwsError> {
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.topic_arn)
        .ok_or_else(topic_not_found)?;
    let current = t
        .attributes
        .get("Policy")
        .cloned()
        .unwrap_or_else(|| default_policy(&t.arn, &t.account));
    let mut doc: Json = serde_json::from_str(&current).unwrap_or_else(|_| json!({"Statement": []}));
    if let Some(statements) = doc["Statement"].as_array_mut() {
        statements.retain(|st| st["Sid"] != input.label.as_str());
    }
    t.attributes.insert("Policy".into(), doc.to_string());
    txn.put_topic(&input.topic_arn)?;
    txn.commit()
}

pub fn put_data_protection_policy(
    s: &Sns,
    _ctx: &RequestContext,
    input: PutDataProtectionPolicyInput,
) -> Result<(), AwsError> {
    if serde_json::from_str::<Json>(&input.data_protection_policy).is_err() {
        return Err(invalid(
            "Invalid parameter: DataProtectionPolicy Reason: Failed to parse the policy",
        ));
    }
    let mut txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get_mut(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    t.data_protection_policy = Some(input.data_protection_policy);
    txn.put_topic(&input.resource_arn)?;
    txn.commit()
}

pub fn get_data_protection_policy(
    s: &Sns,
    _ctx: &RequestContext,
    input: GetDataProtectionPolicyInput,
) -> Result<GetDataProtectionPolicyResponse, AwsError> {
    let txn = s.state.begin();
    let t = txn
        .inner
        .topics
        .get(&input.resource_arn)
        .ok_or_else(resource_not_found)?;
    Ok(GetDataProtectionPolicyResponse {
        data_protection_policy: t.data_protection_policy.clone(),
    })
}
