//! Queue lifecycle, attributes, tags and permissions.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AwsError, RequestContext};

use super::{policies, queue_key};
use crate::Sqs;
use crate::attributes::{self, READ_ONLY};
use crate::errors::{invalid_parameter, no_queue};
use crate::generated::*;
use crate::queue::{Queue, QueueRecord, key};
use crate::state::Inner;
use crate::url::queue_url;

const RECREATE_WAIT_MS: i64 = 60_000;
const PURGE_INTERVAL_MS: i64 = 60_000;
const MAX_TAGS: usize = 50;

/// The names GetQueueAttributes knows (the model's QueueAttributeName).
const ATTRIBUTE_NAMES: &[&str] = &[
    "All",
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

fn check_name(name: &str, fifo_attr: bool) -> Result<(), AwsError> {
    let fifo = name.ends_with(".fifo");
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let chars_ok = !base.is_empty()
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fifo_attr && (!fifo || !chars_ok || name.len() > 80) {
        return Err(invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        ));
    }
    if fifo != fifo_attr || !chars_ok || name.len() > 80 {
        return Err(invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ));
    }
    Ok(())
}

/// Validates attributes a caller sets on a queue (new or existing).
fn checked_attributes(
    inner: &Inner,
    arn: &str,
    fifo: bool,
    given: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let v = match name.as_str() {
            "RedrivePolicy" => policies::check_redrive(inner, arn, fifo, &value)?,
            "RedriveAllowPolicy" => policies::check_redrive_allow(&value)?,
            "Policy" => policies::check_policy(&value)?,
            _ => attributes::check(&name, &value, fifo)?,
        };
        out.insert(name, v);
    }
    Ok(out)
}

pub fn create_queue(
    s: &Sqs,
    ctx: &RequestContext,
    input: CreateQueueRequest,
) -> Result<CreateQueueResult, AwsError> {
    let name = input.queue_name;
    let mut given = input.attributes.unwrap_or_default();
    let fifo_attr = given
        .get("FifoQueue")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !fifo_attr
        && given
            .get("FifoQueue")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"))
    {
        given.remove("FifoQueue");
    }
    check_name(&name, fifo_attr)?;
    let now = ctx.clock.now_millis();
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let k = key(&account, &region, &name);
    let arn = crate::url::arn(&region, &account, &name);
    let url = queue_url(&ctx.host, &region, &account, &name);
    let mut txn = s.state.begin();
    let given = checked_attributes(&txn.inner, &arn, fifo_attr, given)?;
    if let Some(q) = txn.inner.queues.get(&k) {
        let defaults = attributes::defaults(fifo_attr);
        for (n, v) in &given {
            let current = q
                .attr(n)
                .or(defaults.get(n).map(String::as_str))
                .unwrap_or("");
            if current != v {
                return Err(AwsError::bad_request(
                    "QueueNameExists",
                    format!(
                        "A queue already exists with the same name and a different value for attribute {n}"
                    ),
                ));
            }
        }
        return Ok(CreateQueueResult {
            queue_url: Some(url),
        });
    }
    if txn
        .inner
        .deleted
        .get(&k)
        .is_some_and(|t| now - t < RECREATE_WAIT_MS)
    {
        return Err(AwsError::bad_request(
            "QueueDeletedRecently",
            "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        ));
    }
    let mut attrs = attributes::defaults(fifo_attr);
    apply(&mut attrs, given);
    attributes::check_combination(&attrs)?;
    let tags = input.tags.unwrap_or_default();
    check_tags(&name, &tags)?;
    let q = Queue::new(QueueRecord {
        account,
        region,
        name,
        attributes: attrs,
        tags,
        created_ms: now,
        modified_ms: now,
    });
    txn.changes.put_queue(&q)?;
    txn.inner.queues.insert(k, q);
    txn.commit()?;
    Ok(CreateQueueResult {
        queue_url: Some(url),
    })
}

/// Sets attributes; an empty policy value removes the policy.
fn apply(attrs: &mut BTreeMap<String, String>, given: BTreeMap<String, String>) {
    for (n, v) in given {
        if v.is_empty()
            && matches!(
                n.as_str(),
                "Policy" | "RedrivePolicy" | "RedriveAllowPolicy" | "KmsMasterKeyId"
            )
        {
            attrs.remove(&n);
        } else {
            attrs.insert(n, v);
        }
    }
    if attrs.contains_key("KmsMasterKeyId") {
        attrs.insert("SqsManagedSseEnabled".into(), "false".into());
        attrs
            .entry("KmsDataKeyReusePeriodSeconds".into())
            .or_insert_with(|| "300".into());
    }
}

pub fn get_queue_url(
    s: &Sqs,
    ctx: &RequestContext,
    input: GetQueueUrlRequest,
) -> Result<GetQueueUrlResult, AwsError> {
    let account = input
        .queue_owner_aws_account_id
        .unwrap_or_else(|| ctx.account_id().to_string());
    let txn = s.state.begin();
    let q = txn
        .inner
        .queue(&key(&account, &ctx.region, &input.queue_name))?;
    Ok(GetQueueUrlResult {
        queue_url: Some(queue_url(
            &ctx.host,
            &q.rec.region,
            &q.rec.account,
            &q.rec.name,
        )),
    })
}

/// One page of sorted names: (page, next token).
fn paginate(
    names: Vec<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
) -> Result<(Vec<String>, Option<String>), AwsError> {
    let Some(max) = max_results else {
        return Ok((names.into_iter().take(1000).collect(), None));
    };
    if !(1..=1000).contains(&max) {
        return Err(invalid_parameter(format!(
            "Value {max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."
        )));
    }
    let after = match next_token.filter(|t| !t.is_empty()) {
        Some(t) => Some(
            B64.decode(&t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid_parameter("Invalid NextToken value."))?,
        ),
        None => None,
    };
    let rest: Vec<String> = names
        .into_iter()
        .filter(|n| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let more = rest.len() > max as usize;
    let page: Vec<String> = rest.into_iter().take(max as usize).collect();
    let token = more.then(|| page.last().map(|l| B64.encode(l))).flatten();
    Ok((page, token))
}

pub fn list_queues(
    s: &Sqs,
    ctx: &RequestContext,
    input: ListQueuesRequest,
) -> Result<ListQueuesResult, AwsError> {
    let prefix = key(
        ctx.account_id(),
        &ctx.region,
        input.queue_name_prefix.as_deref().unwrap_or(""),
    );
    let names: Vec<String> = {
        let txn = s.state.begin();
        txn.inner
            .queues
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, q)| q.rec.name.clone())
            .collect()
    };
    let (page, next_token) = paginate(names, input.max_results, input.next_token)?;
    let urls: Vec<String> = page
        .iter()
        .map(|n| queue_url(&ctx.host, &ctx.region, ctx.account_id(), n))
        .collect();
    Ok(ListQueuesResult {
        queue_urls: (!urls.is_empty()).then_some(urls),
        next_token,
    })
}

pub fn list_dead_letter_source_queues(
    s: &Sqs,
    ctx: &RequestContext,
    input: ListDeadLetterSourceQueuesRequest,
) -> Result<ListDeadLetterSourceQueuesResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let sources: Vec<(String, String, String)> = {
        let txn = s.state.begin();
        let arn = txn.inner.queue(&k)?.arn();
        txn.inner
            .queues
            .values()
            .filter(|q| {
                q.attr("RedrivePolicy")
                    .and_then(policies::parse_redrive)
                    .is_some_and(|r| r.target_arn == arn)
            })
            .map(|q| {
                (
                    q.rec.region.clone(),
                    q.rec.account.clone(),
                    q.rec.name.clone(),
                )
            })
            .collect()
    };
    let keyed: BTreeMap<String, (String, String, String)> = sources
        .into_iter()
        .map(|(r, a, n)| (key(&a, &r, &n), (r, a, n)))
        .collect();
    let (page, next_token) = paginate(
        keyed.keys().cloned().collect(),
        input.max_results,
        input.next_token,
    )?;
    let queue_urls = page
        .iter()
        .filter_map(|k| keyed.get(k))
        .map(|(r, a, n)| queue_url(&ctx.host, r, a, n))
        .collect();
    Ok(ListDeadLetterSourceQueuesResult {
        queue_urls,
        next_token,
    })
}

pub fn delete_queue(
    s: &Sqs,
    ctx: &RequestContext,
    input: DeleteQueueRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let q = txn.inner.queues.remove(&k).ok_or_else(no_queue)?;
    q.notify.notify_waiters();
    txn.changes.delete_queue(&k);
    txn.inner.deleted.insert(k, ctx.clock.now_millis());
    txn.commit()
}

pub fn purge_queue(
    s: &Sqs,
    ctx: &RequestContext,
    input: PurgeQueueRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    if q.last_purge_ms.is_some_and(|t| now - t < PURGE_INTERVAL_MS) {
        return Err(AwsError::new(
            403,
            "PurgeQueueInProgress",
            format!(
                "Only one PurgeQueue operation on {} is allowed every 60 seconds.",
                q.rec.name
            ),
        ));
    }
    q.last_purge_ms = Some(now);
    let seqs: Vec<u64> = q.messages.keys().copied().collect();
    q.messages.clear();
    for seq in seqs {
        txn.changes.delete_message(&k, seq);
    }
    txn.commit()
}

pub fn get_queue_attributes(
    s: &Sqs,
    ctx: &RequestContext,
    input: GetQueueAttributesRequest,
) -> Result<GetQueueAttributesResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let names = input.attribute_names.unwrap_or_default();
    if let Some(bad) = names
        .iter()
        .find(|n| !ATTRIBUTE_NAMES.contains(&n.as_str()))
    {
        return Err(crate::errors::invalid_attribute_name(bad));
    }
    if names.is_empty() {
        return Ok(GetQueueAttributesResult { attributes: None });
    }
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    let expired = q.expire(now);
    let all = all_attributes(q, now);
    txn.changes.expired(&k, expired);
    txn.commit()?;
    let wanted = |n: &str| names.iter().any(|w| w == "All" || w == n);
    let attributes: BTreeMap<String, String> = all.into_iter().filter(|(n, _)| wanted(n)).collect();
    Ok(GetQueueAttributesResult {
        attributes: (!attributes.is_empty()).then_some(attributes),
    })
}

fn all_attributes(q: &Queue, now: i64) -> BTreeMap<String, String> {
    let mut m = q.rec.attributes.clone();
    let (visible, in_flight, delayed) = q.counts(now);
    m.insert("ApproximateNumberOfMessages".into(), visible.to_string());
    m.insert(
        "ApproximateNumberOfMessagesNotVisible".into(),
        in_flight.to_string(),
    );
    m.insert(
        "ApproximateNumberOfMessagesDelayed".into(),
        delayed.to_string(),
    );
    m.insert(
        "CreatedTimestamp".into(),
        (q.rec.created_ms / 1000).to_string(),
    );
    m.insert(
        "LastModifiedTimestamp".into(),
        (q.rec.modified_ms / 1000).to_string(),
    );
    m.insert("QueueArn".into(), q.arn());
    m
}

pub fn set_queue_attributes(
    s: &Sqs,
    ctx: &RequestContext,
    input: SetQueueAttributesRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let q = txn.inner.queue(&k)?;
    let (fifo, arn) = (q.is_fifo(), q.arn());
    let mut given = input.attributes;
    if let Some(v) = given.remove("FifoQueue") {
        if !fifo || !v.eq_ignore_ascii_case("true") {
            return Err(if fifo {
                crate::errors::invalid_attribute_value("FifoQueue")
            } else {
                crate::errors::invalid_attribute_name("FifoQueue")
            });
        }
    }
    for n in given.keys() {
        if READ_ONLY.contains(&n.as_str()) {
            return Err(crate::errors::invalid_attribute_name(n));
        }
    }
    let given = checked_attributes(&txn.inner, &arn, fifo, given)?;
    let q = txn.inner.queue_mut(&k)?;
    let mut attrs = q.rec.attributes.clone();
    apply(&mut attrs, given);
    attributes::check_combination(&attrs)?;
    q.rec.attributes = attrs;
    q.rec.modified_ms = ctx.clock.now_millis();
    // A new retention period changes when messages expire.
    q.expiry_check_ms = 0;
    // A shorter delay or longer wait may let pending long polls proceed.
    q.notify.notify_waiters();
    let q = txn.inner.queue(&k)?;
    txn.changes.put_queue(q)?;
    txn.commit()
}

fn check_tags(name: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_parameter(format!(
            "Too many tags added for queue {name}."
        )));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(invalid_parameter(format!(
                "Tag {k} is invalid: keys are 1 to 128 and values 0 to 256 characters long."
            )));
        }
    }
    Ok(())
}

pub fn tag_queue(s: &Sqs, ctx: &RequestContext, input: TagQueueRequest) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    if input.tags.is_empty() {
        return Err(crate::errors::missing_parameter("Tags"));
    }
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    let mut tags = q.rec.tags.clone();
    tags.extend(input.tags);
    check_tags(&q.rec.name, &tags)?;
    q.rec.tags = tags;
    let q = txn.inner.queue(&k)?;
    txn.changes.put_queue(q)?;
    txn.commit()
}

pub fn untag_queue(
    s: &Sqs,
    ctx: &RequestContext,
    input: UntagQueueRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    for t in &input.tag_keys {
        q.rec.tags.remove(t);
    }
    let q = txn.inner.queue(&k)?;
    txn.changes.put_queue(q)?;
    txn.commit()
}

pub fn list_queue_tags(
    s: &Sqs,
    ctx: &RequestContext,
    input: ListQueueTagsRequest,
) -> Result<ListQueueTagsResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let txn = s.state.begin();
    let tags = txn.inner.queue(&k)?.rec.tags.clone();
    Ok(ListQueueTagsResult {
        tags: (!tags.is_empty()).then_some(tags),
    })
}

pub fn add_permission(
    s: &Sqs,
    ctx: &RequestContext,
    input: AddPermissionRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    let policy = policies::add_statement(
        q.attr("Policy"),
        &q.arn(),
        &input.label,
        &input.aws_account_ids,
        &input.actions,
    )?;
    q.rec.attributes.insert("Policy".into(), policy);
    let q = txn.inner.queue(&k)?;
    txn.changes.put_queue(q)?;
    txn.commit()
}

pub fn remove_permission(
    s: &Sqs,
    ctx: &RequestContext,
    input: RemovePermissionRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let q = txn.inner.queue_mut(&k)?;
    let policy = policies::remove_statement(q.attr("Policy"), &q.arn(), &input.label)?;
    if policy.is_empty() {
        q.rec.attributes.remove("Policy");
    } else {
        q.rec.attributes.insert("Policy".into(), policy);
    }
    let q = txn.inner.queue(&k)?;
    txn.changes.put_queue(q)?;
    txn.commit()
}
