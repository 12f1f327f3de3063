//! StartMessageMoveTask and friends. A task moves every message the
//! dead-letter queue holds when it starts, at once, and completes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AwsError, RequestContext, ids};

use super::messages::relocate;
use super::policies;
use crate::Sqs;
use crate::errors::invalid_parameter;
use crate::generated::*;
use crate::moves::MoveTask;
use crate::queue::key;

fn not_found(param: &str) -> AwsError {
    AwsError::not_found(
        "ResourceNotFoundException",
        format!("The resource that you specified for the {param} parameter doesn't exist."),
    )
}

fn key_of_arn(arn: &str) -> Option<String> {
    crate::url::parse_arn(arn).map(|(r, a, n)| key(&a, &r, &n))
}

pub fn start_message_move_task(
    s: &Sqs,
    ctx: &RequestContext,
    input: StartMessageMoveTaskRequest,
) -> Result<StartMessageMoveTaskResult, AwsError> {
    if let Some(r) = input.max_number_of_messages_per_second {
        if !(1..=500).contains(&r) {
            return Err(invalid_parameter(format!(
                "Value {r} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500."
            )));
        }
    }
    let now = ctx.clock.now_millis();
    let mut txn = s.state.begin();
    let inner = &mut *txn.inner;
    let source_key = key_of_arn(&input.source_arn)
        .filter(|k| inner.queues.contains_key(k))
        .ok_or_else(|| not_found("SourceArn"))?;
    let is_dlq = inner.queues.values().any(|q| {
        q.attr("RedrivePolicy")
            .and_then(policies::parse_redrive)
            .is_some_and(|r| r.target_arn == input.source_arn)
    });
    if !is_dlq {
        return Err(invalid_parameter(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    let dest_key = match &input.destination_arn {
        Some(d) => Some(
            key_of_arn(d)
                .filter(|k| inner.queues.contains_key(k))
                .ok_or_else(|| not_found("DestinationArn"))?,
        ),
        None => None,
    };
    if inner
        .tasks
        .iter()
        .any(|t| t.source_arn == input.source_arn && t.status == "RUNNING")
    {
        return Err(invalid_parameter(
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
        ));
    }
    let source = inner.queue_mut(&source_key)?;
    let seqs: Vec<u64> = source.messages.keys().copied().collect();
    let to_move = seqs.len() as i64;
    let mut moved = 0;
    for seq in seqs {
        let Some(m) = inner.queue_mut(&source_key)?.messages.get(&seq).cloned() else {
            continue;
        };
        let target = dest_key
            .clone()
            .or_else(|| m.dead_letter_source.as_deref().and_then(key_of_arn))
            .filter(|k| inner.queues.contains_key(k));
        let Some(target) = target else { continue };
        inner.queue_mut(&source_key)?.messages.remove(&seq);
        txn.changes.delete_message(&source_key, seq);
        let mut m = relocate(inner, m, &target, None, now);
        m.dead_letter_source = None;
        txn.changes.put_message(&target, &m)?;
        let q = inner.queue_mut(&target)?;
        q.insert(m);
        q.notify.notify_waiters();
        moved += 1;
    }
    let handle = B64.encode(format!(
        "{{\"taskId\":\"{}\",\"sourceArn\":\"{}\"}}",
        ids::uuid_v4(),
        input.source_arn
    ));
    inner.tasks.push(MoveTask {
        handle: handle.clone(),
        status: if moved == to_move {
            "COMPLETED"
        } else {
            "FAILED"
        }
        .into(),
        source_arn: input.source_arn,
        destination_arn: input.destination_arn,
        rate: input.max_number_of_messages_per_second,
        moved,
        to_move,
        failure_reason: (moved != to_move)
            .then(|| "Some messages have no source queue to return to.".to_string()),
        started_ms: now,
    });
    txn.commit()?;
    Ok(StartMessageMoveTaskResult {
        task_handle: Some(handle),
    })
}

pub fn list_message_move_tasks(
    s: &Sqs,
    _ctx: &RequestContext,
    input: ListMessageMoveTasksRequest,
) -> Result<ListMessageMoveTasksResult, AwsError> {
    let max = input.max_results.unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(invalid_parameter(format!(
            "Value {max} for parameter MaxResults is invalid. Reason: Must be between 1 and 10."
        )));
    }
    let txn = s.state.begin();
    let source_key = key_of_arn(&input.source_arn)
        .filter(|k| txn.inner.queues.contains_key(k))
        .ok_or_else(|| not_found("SourceArn"))?;
    let _ = source_key;
    let results: Vec<ListMessageMoveTasksResultEntry> = txn
        .inner
        .tasks
        .iter()
        .rev()
        .filter(|t| t.source_arn == input.source_arn)
        .take(max as usize)
        .map(|t| ListMessageMoveTasksResultEntry {
            task_handle: (t.status == "RUNNING").then(|| t.handle.clone()),
            status: Some(t.status.clone()),
            source_arn: Some(t.source_arn.clone()),
            destination_arn: t.destination_arn.clone(),
            max_number_of_messages_per_second: t.rate,
            approximate_number_of_messages_moved: Some(t.moved),
            approximate_number_of_messages_to_move: Some(t.to_move),
            failure_reason: t.failure_reason.clone(),
            started_timestamp: Some(t.started_ms),
        })
        .collect();
    Ok(ListMessageMoveTasksResult {
        results: Some(results),
    })
}

pub fn cancel_message_move_task(
    s: &Sqs,
    _ctx: &RequestContext,
    input: CancelMessageMoveTaskRequest,
) -> Result<CancelMessageMoveTaskResult, AwsError> {
    let mut txn = s.state.begin();
    let task = txn
        .inner
        .tasks
        .iter_mut()
        .find(|t| t.handle == input.task_handle)
        .ok_or_else(|| AwsError::not_found("ResourceNotFoundException", "Task does not exist."))?;
    if task.status != "RUNNING" {
        return Err(invalid_parameter(format!(
            "Value {} for parameter TaskHandle is invalid. Reason: Only tasks with status RUNNING can be cancelled.",
            input.task_handle
        )));
    }
    task.status = "CANCELLED".into();
    let moved = task.moved;
    txn.commit()?;
    Ok(CancelMessageMoveTaskResult {
        approximate_number_of_messages_moved: Some(moved),
    })
}
