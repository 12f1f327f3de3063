//! The batch forms of send, delete and change-visibility: request-level checks
//! as AWS applies them, then each entry on its own.

use std::collections::HashSet;

use stratus_core::{AwsError, RequestContext};

use super::messages::{Outgoing, change_visibility_one, delete_one, send_one};
use super::queue_key;
use crate::Sqs;
use crate::generated::*;

const MAX_ENTRIES: usize = 10;
const MAX_BATCH_BYTES: usize = crate::attributes::MAX_MESSAGE_BYTES as usize;

fn check_entries<'a>(
    entry_kind: &str,
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> Result<(), AwsError> {
    let n = ids.len();
    if n == 0 {
        return Err(AwsError::bad_request(
            "EmptyBatchRequest",
            format!("There should be at least one {entry_kind} in the request."),
        ));
    }
    if n > MAX_ENTRIES {
        return Err(AwsError::bad_request(
            "TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are {MAX_ENTRIES}. You have sent {n}."),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        let ok = !id.is_empty()
            && id.len() <= 80
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(AwsError::bad_request(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(AwsError::bad_request(
                "BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}

fn failure(id: String, e: AwsError) -> BatchResultErrorEntry {
    BatchResultErrorEntry {
        id,
        sender_fault: e.status < 500,
        code: e.code,
        message: Some(e.message),
    }
}

pub fn send_message_batch(
    s: &Sqs,
    ctx: &RequestContext,
    input: SendMessageBatchRequest,
) -> Result<SendMessageBatchResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    check_entries(
        "SendMessageBatchRequestEntry",
        input.entries.iter().map(|e| e.id.as_str()),
    )?;
    let total: usize = input
        .entries
        .iter()
        .map(|e| {
            e.message_body.len()
                + e.message_attributes.as_ref().map_or(0, |a| {
                    a.iter()
                        .map(|(n, v)| {
                            n.len()
                                + v.data_type.len()
                                + v.string_value.as_ref().map_or(0, String::len)
                                + v.binary_value.as_ref().map_or(0, |b| b.0.len())
                        })
                        .sum()
                })
        })
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(AwsError::bad_request(
            "BatchRequestTooLong",
            format!(
                "Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            ),
        ));
    }
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    txn.inner.queue(&k)?;
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for e in input.entries {
        let out = Outgoing {
            body: e.message_body,
            delay_seconds: e.delay_seconds,
            attributes: e.message_attributes,
            system_attributes: e.message_system_attributes,
            dedup_id: e.message_deduplication_id,
            group_id: e.message_group_id,
        };
        match send_one(
            &mut txn.inner,
            &mut txn.changes,
            now,
            &ctx.identity.user_id,
            &k,
            out,
        ) {
            Ok(r) => successful.push(SendMessageBatchResultEntry {
                id: e.id,
                message_id: r.message_id.unwrap_or_default(),
                md5_of_message_body: r.md5_of_message_body.unwrap_or_default(),
                md5_of_message_attributes: r.md5_of_message_attributes,
                md5_of_message_system_attributes: r.md5_of_message_system_attributes,
                sequence_number: r.sequence_number,
            }),
            Err(err) => failed.push(failure(e.id, err)),
        }
    }
    let notify = txn.inner.queue(&k)?.notify.clone();
    txn.commit()?;
    notify.notify_waiters();
    Ok(SendMessageBatchResult { successful, failed })
}

pub fn delete_message_batch(
    s: &Sqs,
    ctx: &RequestContext,
    input: DeleteMessageBatchRequest,
) -> Result<DeleteMessageBatchResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    check_entries(
        "DeleteMessageBatchRequestEntry",
        input.entries.iter().map(|e| e.id.as_str()),
    )?;
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    txn.inner.queue(&k)?;
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for e in input.entries {
        match delete_one(&mut txn.inner, &mut txn.changes, &k, &e.receipt_handle, now) {
            Ok(()) => successful.push(DeleteMessageBatchResultEntry { id: e.id }),
            Err(err) => failed.push(failure(e.id, err)),
        }
    }
    txn.commit()?;
    Ok(DeleteMessageBatchResult { successful, failed })
}

pub fn change_message_visibility_batch(
    s: &Sqs,
    ctx: &RequestContext,
    input: ChangeMessageVisibilityBatchRequest,
) -> Result<ChangeMessageVisibilityBatchResult, AwsError> {
    let k = queue_key(ctx, &input.queue_url)?;
    check_entries(
        "ChangeMessageVisibilityBatchRequestEntry",
        input.entries.iter().map(|e| e.id.as_str()),
    )?;
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    txn.inner.queue(&k)?;
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for e in input.entries {
        let timeout = e.visibility_timeout.unwrap_or(0) as i64;
        match change_visibility_one(
            &mut txn.inner,
            &mut txn.changes,
            &k,
            &e.receipt_handle,
            timeout,
            now,
        ) {
            Ok(()) => successful.push(ChangeMessageVisibilityBatchResultEntry { id: e.id }),
            Err(err) => failed.push(failure(e.id, err)),
        }
    }
    txn.commit()?;
    Ok(ChangeMessageVisibilityBatchResult { successful, failed })
}
