//! Sending, receiving (with long polling), deleting and hiding messages.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};
use stratus_core::{AwsError, RequestContext, ids};

use super::{policies, queue_key};
use crate::Sqs;
use crate::digest::{md5_hex, md5_of_attributes};
use crate::errors::{invalid_parameter, missing_parameter, receipt_invalid};
use crate::generated::*;
use crate::message::{self, Attribute, Message};
use crate::queue::{Attempt, DEDUP_WINDOW_MS, Dedup, Queue};
use crate::receipt;
use crate::state::{Changes, Inner};

const MAX_VISIBILITY: i64 = 43_200;
const SEQUENCE_BASE: u64 = 10_000_000_000_000_000_000;

/// What one send carries, from SendMessage or a batch entry.
pub struct Outgoing {
    pub body: String,
    pub delay_seconds: Option<i32>,
    pub attributes: Option<BTreeMap<String, MessageAttributeValue>>,
    pub system_attributes: Option<BTreeMap<String, MessageSystemAttributeValue>>,
    pub dedup_id: Option<String>,
    pub group_id: Option<String>,
}

fn check_fifo_id(param: &str, v: &str) -> Result<(), AwsError> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if ok {
        Ok(())
    } else {
        Err(invalid_parameter(format!(
            "Value {v} for parameter {param} is invalid. Reason: {param} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )))
    }
}

fn system_attributes(
    given: Option<BTreeMap<String, MessageSystemAttributeValue>>,
) -> Result<Option<(String, BTreeMap<String, Attribute>)>, AwsError> {
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    for (name, v) in given {
        if name != "AWSTraceHeader" {
            return Err(invalid_parameter(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        let wire = MessageAttributeValue {
            data_type: v.data_type,
            string_value: v.string_value,
            binary_value: v.binary_value,
            string_list_values: v.string_list_values,
            binary_list_values: v.binary_list_values,
        };
        let a = message::attribute_from_wire(&name, wire)?;
        if a.data_type != "String" {
            return Err(invalid_parameter(format!(
                "Message system attribute '{name}' must be of type String."
            )));
        }
        out.insert(name, a);
    }
    let trace = out
        .get("AWSTraceHeader")
        .and_then(|a| a.string_value.clone())
        .unwrap_or_default();
    Ok(Some((trace, out)))
}

/// Checks and enqueues one message; the caller commits `changes`.
pub fn send_one(
    inner: &mut Inner,
    changes: &mut Changes,
    now: i64,
    sender_id: &str,
    key: &str,
    out: Outgoing,
) -> Result<SendMessageResult, AwsError> {
    let q = inner.queue_mut(key)?;
    changes.expired(key, q.expire(now));
    if out.body.is_empty() {
        return Err(missing_parameter("MessageBody"));
    }
    if !message::valid_characters(&out.body) {
        return Err(message::invalid_characters());
    }
    let attributes = message::attributes_from_wire(out.attributes)?;
    let system = system_attributes(out.system_attributes)?;
    let size = out.body.len() + attributes.iter().map(|(n, a)| a.size(n)).sum::<usize>();
    let max_size = q.int_attr("MaximumMessageSize", crate::attributes::MAX_MESSAGE_BYTES) as usize;
    if size > max_size {
        return Err(invalid_parameter(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
        )));
    }
    let fifo = q.is_fifo();
    let delay = match out.delay_seconds {
        Some(d) if !(0..=900).contains(&d) => {
            return Err(invalid_parameter(format!(
                "Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
            )));
        }
        Some(d) if fifo && d != 0 => {
            return Err(invalid_parameter(format!(
                "Value {d} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
            )));
        }
        Some(d) => d as i64,
        None => q.int_attr("DelaySeconds", 0),
    };
    if let Some(g) = &out.group_id {
        check_fifo_id("MessageGroupId", g)?;
    }
    let md5_body = md5_hex(out.body.as_bytes());
    let md5_attributes = md5_of_attributes(&attributes);
    let md5_system = system.as_ref().and_then(|(_, a)| md5_of_attributes(a));
    let mut dedup_id = None;
    if fifo {
        let group = out
            .group_id
            .as_deref()
            .ok_or_else(|| missing_parameter("MessageGroupId"))?;
        let id = match out.dedup_id {
            Some(d) => {
                check_fifo_id("MessageDeduplicationId", &d)?;
                d
            }
            None if q.attr("ContentBasedDeduplication") == Some("true") => {
                hex::encode(Sha256::digest(out.body.as_bytes()))
            }
            None => {
                return Err(invalid_parameter(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                ));
            }
        };
        let dkey = if q.attr("DeduplicationScope") == Some("messageGroup") {
            format!("{group}\n{id}")
        } else {
            id.clone()
        };
        if let Some(d) = q.dedup.get(&dkey).filter(|d| d.expires_ms > now) {
            return Ok(SendMessageResult {
                md5_of_message_body: Some(md5_body),
                md5_of_message_attributes: md5_attributes,
                md5_of_message_system_attributes: md5_system,
                message_id: Some(d.message_id.clone()),
                sequence_number: d.sequence_number.clone(),
            });
        }
        dedup_id = Some((dkey, id));
    } else if out.dedup_id.is_some() {
        return Err(invalid_parameter(
            "The request include parameter MessageDeduplicationId which is not valid for this queue type",
        ));
    }
    let seq = inner.take_seq();
    let q = inner.queue_mut(key)?;
    let sequence_number = fifo.then(|| (SEQUENCE_BASE + seq).to_string());
    let m = Message {
        seq,
        id: ids::uuid_v4(),
        body: out.body,
        md5_body: md5_body.clone(),
        attributes,
        md5_attributes: md5_attributes.clone(),
        trace_header: system.map(|(t, _)| t),
        md5_system: md5_system.clone(),
        sender_id: sender_id.to_string(),
        sent_ms: now,
        visible_at_ms: now + delay * 1000,
        in_flight: false,
        receive_count: 0,
        first_receive_ms: None,
        receipt: None,
        group_id: out.group_id,
        dedup_id: dedup_id.as_ref().map(|(_, id)| id.clone()),
        sequence_number: sequence_number.clone(),
        dead_letter_source: None,
    };
    if let Some((dkey, _)) = dedup_id {
        let d = Dedup {
            expires_ms: now + DEDUP_WINDOW_MS,
            message_id: m.id.clone(),
            sequence_number: sequence_number.clone(),
        };
        changes.put_dedup(key, &dkey, &d)?;
        q.dedup.insert(dkey, d);
    }
    changes.put_message(key, &m)?;
    let message_id = m.id.clone();
    q.activity.sent += 1;
    q.activity.sent_bytes += m.body.len() as u64;
    q.insert(m);
    Ok(SendMessageResult {
        md5_of_message_body: Some(md5_body),
        md5_of_message_attributes: md5_attributes,
        md5_of_message_system_attributes: md5_system,
        message_id: Some(message_id),
        sequence_number,
    })
}

pub fn send_message(
    s: &Sqs,
    ctx: &RequestContext,
    input: SendMessageRequest,
) -> Result<SendMessageResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let out = Outgoing {
        body: input.message_body,
        delay_seconds: input.delay_seconds,
        attributes: input.message_attributes,
        system_attributes: input.message_system_attributes,
        dedup_id: input.message_deduplication_id,
        group_id: input.message_group_id,
    };
    let now = ctx.clock.now_millis();
    let res = send_one(
        &mut txn.inner,
        &mut txn.changes,
        now,
        &ctx.identity.user_id,
        &k,
        out,
    )?;
    let notify = txn.inner.queue(&k)?.notify.clone();
    txn.commit()?;
    notify.notify_waiters();
    Ok(res)
}

/// What a receive asks for besides the messages themselves.
struct Wanted {
    max: usize,
    visibility_ms: Option<i64>,
    system: Vec<String>,
    attributes: Vec<String>,
    attempt: Option<String>,
}

pub async fn receive_message(
    s: &Sqs,
    ctx: &RequestContext,
    input: ReceiveMessageRequest,
) -> Result<ReceiveMessageResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let max = input.max_number_of_messages.unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(invalid_parameter(format!(
            "Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        )));
    }
    if let Some(v) = input.visibility_timeout {
        if !(0..=MAX_VISIBILITY).contains(&(v as i64)) {
            return Err(invalid_parameter(format!(
                "Value {v} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided."
            )));
        }
    }
    if let Some(w) = input.wait_time_seconds {
        if !(0..=20).contains(&w) {
            return Err(invalid_parameter(format!(
                "Value {w} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
            )));
        }
    }
    if let Some(a) = &input.receive_request_attempt_id {
        check_fifo_id("ReceiveRequestAttemptId", a)?;
    }
    let mut system = input.attribute_names.unwrap_or_default();
    system.extend(input.message_system_attribute_names.unwrap_or_default());
    let wanted = Wanted {
        max: max as usize,
        visibility_ms: input.visibility_timeout.map(|v| v as i64 * 1000),
        system,
        attributes: input.message_attribute_names.unwrap_or_default(),
        attempt: input.receive_request_attempt_id,
    };
    let (notify, wait_s) = {
        let txn = s.state.begin();
        let q = txn.inner.queue(&k)?;
        let wait = input
            .wait_time_seconds
            .map(i64::from)
            .unwrap_or_else(|| q.int_attr("ReceiveMessageWaitTimeSeconds", 0));
        (q.notify.clone(), wait)
    };
    let deadline = ctx.clock.now_millis() + wait_s * 1000;
    loop {
        // Registered before looking, so a send in between still wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let waiting = ctx.clock.now_millis() < deadline;
        let (messages, next_visible) = s.blocking(|| receive_now(s, ctx, &k, &wanted, waiting))?;
        let now = ctx.clock.now_millis();
        if !messages.is_empty() || now >= deadline {
            return Ok(ReceiveMessageResult {
                messages: (!messages.is_empty()).then_some(messages),
            });
        }
        let until = next_visible.map_or(deadline, |t| t.min(deadline));
        let pause = Duration::from_millis((until - now).max(1) as u64);
        tokio::select! {
            _ = &mut notified => {}
            _ = ctx.clock.moved() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// Takes what is deliverable now; also the next instant something becomes visible.
fn receive_now(
    s: &Sqs,
    ctx: &RequestContext,
    k: &str,
    wanted: &Wanted,
    long_poll: bool,
) -> Result<(Vec<crate::generated::Message>, Option<i64>), AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    let inner = &mut *txn.inner;
    let q = inner.queue_mut(k)?;
    txn.changes.expired(k, q.expire(now));
    dead_letter(inner, &mut txn.changes, k, now)?;
    let q = inner.queue_mut(k)?;
    let visibility_ms = wanted
        .visibility_ms
        .unwrap_or_else(|| q.int_attr("VisibilityTimeout", 30) * 1000);
    let fifo = q.is_fifo();
    let attempt = wanted.attempt.as_deref().filter(|_| fifo);
    let retried = match attempt {
        Some(a) => {
            let known = q.attempts.contains_key(a);
            let retried = retry(q, a, now, visibility_ms);
            match q.attempts.get(a).filter(|_| retried.is_some()) {
                Some(kept) => txn.changes.put_attempt(k, a, kept)?,
                None if known => txn.changes.delete_attempt(k, a),
                None => {}
            }
            retried
        }
        None => None,
    };
    if let Some(retried) = retried {
        let mut out = Vec::new();
        for (seq, nonce) in retried {
            let m = &q.messages[&seq];
            txn.changes.put_message(k, m)?;
            out.push(to_wire(
                m,
                receipt::encode(k, seq, &m.id, &nonce),
                fifo,
                wanted,
            ));
        }
        txn.commit()?;
        return Ok((out, None));
    }
    let mut out = Vec::new();
    let mut received = Vec::new();
    for seq in q.deliverable(now, wanted.max) {
        let Some(m) = q.messages.get_mut(&seq) else {
            continue;
        };
        m.receive_count += 1;
        m.first_receive_ms.get_or_insert(now);
        m.in_flight = true;
        m.visible_at_ms = now + visibility_ms;
        let nonce = ids::hex(16);
        m.receipt = Some(nonce.clone());
        received.push((seq, nonce.clone(), m.visible_at_ms));
        txn.changes.put_message(k, m)?;
        out.push(to_wire(
            m,
            receipt::encode(k, seq, &m.id, &nonce),
            fifo,
            wanted,
        ));
    }
    q.activity.received += out.len() as u64;
    if let Some(a) = attempt.filter(|_| !received.is_empty()) {
        let kept = Attempt {
            expires_ms: now + DEDUP_WINDOW_MS,
            received,
        };
        txn.changes.put_attempt(k, a, &kept)?;
        q.attempts.insert(a.to_string(), kept);
    }
    // A long poll that got nothing looks again; only its last look counts
    // as an empty receive.
    if out.is_empty() && !long_poll {
        q.activity.empty_receives += 1;
    }
    // Only a long poll that got nothing needs to know when to look again.
    let next = if out.is_empty() && long_poll {
        q.next_visible_ms(now)
    } else {
        None
    };
    txn.commit()?;
    Ok((out, next))
}

/// The messages an earlier receive with this attempt id returned, with their
/// receipt nonces, when none has since been deleted, received again or had
/// its visibility changed; their visibility timeout starts afresh.
fn retry(q: &mut Queue, attempt: &str, now: i64, visibility_ms: i64) -> Option<Vec<(u64, String)>> {
    let a = q.attempts.get_mut(attempt).filter(|a| a.expires_ms > now)?;
    let intact = a.received.iter().all(|(seq, nonce, visible_at)| {
        q.messages
            .get(seq)
            .is_some_and(|m| m.receipt.as_deref() == Some(nonce) && m.visible_at_ms == *visible_at)
    });
    if !intact {
        q.attempts.remove(attempt);
        return None;
    }
    let mut out = Vec::new();
    for (seq, nonce, visible_at) in &mut a.received {
        let m = q.messages.get_mut(seq)?;
        m.in_flight = true;
        m.visible_at_ms = now + visibility_ms;
        *visible_at = m.visible_at_ms;
        out.push((*seq, nonce.clone()));
    }
    Some(out)
}

/// Moves messages received `maxReceiveCount` times to the dead-letter queue.
fn dead_letter(
    inner: &mut Inner,
    changes: &mut Changes,
    k: &str,
    now: i64,
) -> Result<(), AwsError> {
    let q = inner.queue(k)?;
    let Some(policy) = q.attr("RedrivePolicy").and_then(policies::parse_redrive) else {
        return Ok(());
    };
    let Some((r, a, n)) = crate::url::parse_arn(&policy.target_arn) else {
        return Ok(());
    };
    let dlq_key = crate::queue::key(&a, &r, &n);
    if !inner.queues.contains_key(&dlq_key) || dlq_key == k {
        return Ok(());
    }
    let source_arn = q.arn();
    let exhausted: Vec<u64> = q
        .messages
        .values()
        .filter(|m| m.is_visible(now) && m.receive_count >= policy.max_receive_count)
        .map(|m| m.seq)
        .collect();
    if exhausted.is_empty() {
        return Ok(());
    }
    for seq in exhausted {
        let Some(m) = inner.queue_mut(k)?.messages.remove(&seq) else {
            continue;
        };
        changes.delete_message(k, seq);
        let moved = relocate(inner, m, &dlq_key, Some(&source_arn), now);
        let dlq = inner.queue_mut(&dlq_key)?;
        changes.put_message(&dlq_key, &moved)?;
        dlq.insert(moved);
    }
    inner.queue(&dlq_key)?.notify.notify_waiters();
    Ok(())
}

/// The message as it arrives in another queue: same id, body and sent time,
/// delivery state afresh.
pub fn relocate(
    inner: &mut Inner,
    mut m: Message,
    to_key: &str,
    source_arn: Option<&str>,
    now: i64,
) -> Message {
    m.seq = inner.take_seq();
    m.receive_count = 0;
    m.first_receive_ms = None;
    m.in_flight = false;
    m.receipt = None;
    m.visible_at_ms = now;
    if let Some(arn) = source_arn {
        m.dead_letter_source = Some(arn.to_string());
    }
    if inner.queues.get(to_key).is_some_and(Queue::is_fifo) {
        m.sequence_number = Some((SEQUENCE_BASE + m.seq).to_string());
    }
    m
}

fn to_wire(m: &Message, handle: String, fifo: bool, wanted: &Wanted) -> crate::generated::Message {
    let all = wanted.system.iter().any(|n| n == "All");
    let want = |n: &str| all || wanted.system.iter().any(|w| w == n);
    let mut attrs = BTreeMap::new();
    let mut put = |name: &str, v: Option<String>| {
        if let Some(v) = v.filter(|_| want(name)) {
            attrs.insert(name.to_string(), v);
        }
    };
    put("SenderId", Some(m.sender_id.clone()));
    put("SentTimestamp", Some(m.sent_ms.to_string()));
    put("ApproximateReceiveCount", Some(m.receive_count.to_string()));
    put(
        "ApproximateFirstReceiveTimestamp",
        m.first_receive_ms.map(|t| t.to_string()),
    );
    put("AWSTraceHeader", m.trace_header.clone());
    put("DeadLetterQueueSourceArn", m.dead_letter_source.clone());
    put("MessageGroupId", m.group_id.clone());
    if fifo {
        put("SequenceNumber", m.sequence_number.clone());
        put("MessageDeduplicationId", m.dedup_id.clone());
    }
    let selected: BTreeMap<String, crate::generated::MessageAttributeValue> = m
        .attributes
        .iter()
        .filter(|(n, _)| attribute_wanted(&wanted.attributes, n))
        .map(|(n, a)| (n.clone(), a.to_wire()))
        .collect();
    crate::generated::Message {
        message_id: Some(m.id.clone()),
        receipt_handle: Some(handle),
        md5_of_body: Some(m.md5_body.clone()),
        body: Some(m.body.clone()),
        attributes: (!attrs.is_empty()).then_some(attrs),
        // AWS digests the attributes returned, not all stored ones.
        md5_of_message_attributes: if selected.is_empty() {
            None
        } else {
            let chosen: BTreeMap<String, Attribute> = m
                .attributes
                .iter()
                .filter(|(n, _)| selected.contains_key(*n))
                .map(|(n, a)| (n.clone(), a.clone()))
                .collect();
            md5_of_attributes(&chosen)
        },
        message_attributes: (!selected.is_empty()).then_some(selected),
    }
}

/// `All`, `.*`, exact names and `prefix.*` patterns, as ReceiveMessage takes them.
fn attribute_wanted(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| {
        p == "All"
            || p == ".*"
            || p == name
            || p.strip_suffix(".*")
                .is_some_and(|pre| name.starts_with(pre) && name[pre.len()..].starts_with('.'))
    })
}

/// The message a receipt handle names, checked against the queue it was used on.
fn locate(k: &str, handle: &str) -> Result<receipt::Receipt, AwsError> {
    match receipt::decode(handle) {
        Some(r) if r.queue_key == k => Ok(r),
        _ => Err(receipt_invalid(handle)),
    }
}

pub fn delete_one(
    inner: &mut Inner,
    changes: &mut Changes,
    k: &str,
    handle: &str,
    now: i64,
) -> Result<(), AwsError> {
    let r = locate(k, handle)?;
    let q = inner.queue_mut(k)?;
    let fifo = q.is_fifo();
    let Some(m) = q.messages.get(&r.seq).filter(|m| m.id == r.message_id) else {
        // Deleting a message already gone succeeds, as on AWS.
        return Ok(());
    };
    let current = m.receipt.as_deref() == Some(r.nonce.as_str());
    if fifo && !(current && m.is_in_flight(now)) {
        return Err(AwsError::bad_request(
            "ReceiptHandleIsInvalid",
            "The receipt handle has expired.",
        ));
    }
    q.messages.remove(&r.seq);
    q.activity.deleted += 1;
    changes.delete_message(k, r.seq);
    Ok(())
}

pub fn delete_message(
    s: &Sqs,
    ctx: &RequestContext,
    input: DeleteMessageRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let now = ctx.clock.now_millis();
    delete_one(
        &mut txn.inner,
        &mut txn.changes,
        &k,
        &input.receipt_handle,
        now,
    )?;
    txn.commit()
}

pub fn change_visibility_one(
    inner: &mut Inner,
    changes: &mut Changes,
    k: &str,
    handle: &str,
    timeout: i64,
    now: i64,
) -> Result<(), AwsError> {
    if !(0..=MAX_VISIBILITY).contains(&timeout) {
        return Err(invalid_parameter(format!(
            "Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided."
        )));
    }
    let r = locate(k, handle)?;
    let q = inner.queue_mut(k)?;
    let Some(m) = q.messages.get_mut(&r.seq).filter(|m| m.id == r.message_id) else {
        return Err(invalid_parameter(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        )));
    };
    if !m.is_in_flight(now) || m.receipt.as_deref() != Some(r.nonce.as_str()) {
        return Err(AwsError::bad_request(
            "MessageNotInflight",
            "Message is not in flight.",
        ));
    }
    m.visible_at_ms = now + timeout * 1000;
    if timeout == 0 {
        m.in_flight = false;
    }
    changes.put_message(k, m)?;
    if timeout == 0 {
        q.notify.notify_waiters();
    }
    Ok(())
}

pub fn change_message_visibility(
    s: &Sqs,
    ctx: &RequestContext,
    input: ChangeMessageVisibilityRequest,
) -> Result<(), AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    let mut txn = s.state.begin();
    let now = ctx.clock.now_millis();
    change_visibility_one(
        &mut txn.inner,
        &mut txn.changes,
        &k,
        &input.receipt_handle,
        input.visibility_timeout as i64,
        now,
    )?;
    txn.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_name_patterns() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(attribute_wanted(&p(&["All"]), "x"));
        assert!(attribute_wanted(&p(&[".*"]), "x"));
        assert!(attribute_wanted(&p(&["bar.*"]), "bar.baz"));
        assert!(!attribute_wanted(&p(&["bar.*"]), "barbaz"));
        assert!(attribute_wanted(&p(&["foo"]), "foo"));
        assert!(!attribute_wanted(&p(&["foo"]), "foo2"));
        assert!(!attribute_wanted(&[], "foo"));
    }
}
