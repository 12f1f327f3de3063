//! StartMessageMoveTask and friends. A task moves the messages the
//! dead-letter queue holds when it starts: all at once, or at the rate asked
//! for, carried forward on the clock by `MoveProgress`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, RequestContext, ids};

use super::messages::relocate;
use super::policies;
use crate::Sqs;
use crate::errors::invalid_parameter;
use crate::generated::*;
use crate::moves::{CANCELLED, COMPLETED, FAILED, MoveTask, NO_SOURCE, RUNNING};
use crate::queue::key;
use crate::state::{Changes, Inner, State};

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
    if let Some(d) = &input.destination_arn {
        key_of_arn(d)
            .filter(|k| inner.queues.contains_key(k))
            .ok_or_else(|| not_found("DestinationArn"))?;
    }
    if inner
        .tasks
        .iter()
        .any(|t| t.source_arn == input.source_arn && t.status == RUNNING)
    {
        return Err(invalid_parameter(
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
        ));
    }
    let to_move = inner.queue(&source_key)?.messages.len() as i64;
    let handle = B64.encode(format!(
        "{{\"taskId\":\"{}\",\"sourceArn\":\"{}\"}}",
        ids::uuid_v4(),
        input.source_arn
    ));
    inner.tasks.push(MoveTask {
        handle: handle.clone(),
        status: RUNNING.into(),
        source_arn: input.source_arn,
        destination_arn: input.destination_arn,
        rate: input.max_number_of_messages_per_second,
        moved: 0,
        to_move,
        failure_reason: None,
        started_ms: now,
    });
    let idx = inner.tasks.len() - 1;
    advance(inner, &mut txn.changes, idx, now)?;
    txn.commit()?;
    Ok(StartMessageMoveTaskResult {
        task_handle: Some(handle),
    })
}

/// Moves what task `idx` may have moved by `now`, and settles it once
/// everything has gone or a message has nowhere to go.
fn advance(inner: &mut Inner, changes: &mut Changes, idx: usize, now: i64) -> Result<(), AwsError> {
    let t = inner.tasks[idx].clone();
    if t.status != RUNNING {
        return Ok(());
    }
    let dest_key = t.destination_arn.as_deref().and_then(key_of_arn);
    let source_key = key_of_arn(&t.source_arn).filter(|k| inner.queues.contains_key(k));
    let mut moved = t.moved;
    let mut failure = None;
    match &source_key {
        None => failure = Some("AWS.SimpleQueueService.NonExistentQueue".to_string()),
        Some(source_key) => {
            while moved < t.allowance(now) {
                let Some(m) = inner.queue(source_key)?.messages.values().next().cloned() else {
                    break;
                };
                let target = match &dest_key {
                    Some(d) => Some(d.clone()),
                    None => m.dead_letter_source.as_deref().and_then(key_of_arn),
                };
                let Some(target) = target.filter(|k| inner.queues.contains_key(k)) else {
                    failure = Some(if dest_key.is_some() || m.dead_letter_source.is_some() {
                        "AWS.SimpleQueueService.NonExistentQueue".to_string()
                    } else {
                        NO_SOURCE.to_string()
                    });
                    break;
                };
                let seq = m.seq;
                inner.queue_mut(source_key)?.messages.remove(&seq);
                changes.delete_message(source_key, seq);
                let mut m = relocate(inner, m, &target, None, now);
                m.dead_letter_source = None;
                changes.put_message(&target, &m)?;
                let q = inner.queue_mut(&target)?;
                q.insert(m);
                q.notify.notify_waiters();
                moved += 1;
            }
        }
    }
    let emptied = source_key
        .as_deref()
        .is_some_and(|k| inner.queues.get(k).is_some_and(|q| q.messages.is_empty()));
    let t = &mut inner.tasks[idx];
    t.moved = moved;
    if let Some(reason) = failure {
        t.status = FAILED.into();
        t.failure_reason = Some(reason);
    } else if moved >= t.to_move || emptied {
        t.status = COMPLETED.into();
    }
    changes.put_task(t)
}

/// Carries running move tasks forward on the clock.
pub struct MoveProgress {
    pub state: Arc<State>,
}

impl Task for MoveProgress {
    fn name(&self) -> &str {
        "sqs-message-moves"
    }

    fn tick(&self, now_ms: i64) {
        let mut txn = self.state.begin();
        let running: Vec<usize> = (0..txn.inner.tasks.len())
            .filter(|i| txn.inner.tasks[*i].status == RUNNING)
            .collect();
        if running.is_empty() {
            return;
        }
        let inner = &mut *txn.inner;
        for idx in running {
            if let Err(e) = advance(inner, &mut txn.changes, idx, now_ms) {
                tracing::warn!(error = %e.message, "message move task could not advance");
            }
        }
        if let Err(e) = txn.commit() {
            tracing::warn!(error = %e.message, "message move progress not stored");
        }
    }
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
            task_handle: (t.status == RUNNING).then(|| t.handle.clone()),
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
    if task.status != RUNNING {
        return Err(invalid_parameter(format!(
            "Value {} for parameter TaskHandle is invalid. Reason: Only tasks with status RUNNING can be cancelled.",
            input.task_handle
        )));
    }
    task.status = CANCELLED.into();
    let moved = task.moved;
    let task = task.clone();
    txn.changes.put_task(&task)?;
    txn.commit()?;
    Ok(CancelMessageMoveTaskResult {
        approximate_number_of_messages_moved: Some(moved),
    })
}
