//! Events: PutLogEvents with AWS's batch rules, GetLogEvents with forward
//! and backward tokens, FilterLogEvents across a group's streams.

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{group_not_found, invalid, stream_not_found};
use crate::generated::*;
use crate::ops::metric_filters::samples_for;
use crate::ops::name_or_identifier;
use crate::ops::streams::sequence_token;
use crate::paging;
use crate::pattern::FilterPattern;
use crate::state::{Event, Stream};

const DAY_MS: i64 = 86_400_000;
const MAX_BATCH_BYTES: usize = 1_048_576;
/// What AWS adds to each message when it sizes a batch.
const EVENT_OVERHEAD: usize = 26;
const DEFAULT_EVENT_LIMIT: usize = 10_000;

pub fn put_log_events(
    me: &Logs,
    ctx: &RequestContext,
    input: PutLogEventsRequest,
) -> Result<PutLogEventsResponse, AwsError> {
    let now = ctx.clock.now_millis();
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (group, stream) = (input.log_group_name, input.log_stream_name);
    let events = input.log_events;

    let mut txn = me.state.begin();
    let seq_start = txn.inner.next_seq;
    let r = txn.inner.region(&account, &region);
    let g = r.groups.get_mut(&group).ok_or_else(group_not_found)?;
    if !g.streams.contains_key(&stream) {
        return Err(stream_not_found());
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let size: usize = events
        .iter()
        .map(|e| e.message.len() + EVENT_OVERHEAD)
        .sum();
    if size > MAX_BATCH_BYTES {
        return Err(invalid(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }

    // The batch is chronological, so rejected events sit at its ends.
    let too_old = now - 14 * DAY_MS;
    let expired = g
        .retention_days
        .map(|d| now - i64::from(d) * DAY_MS)
        .unwrap_or(i64::MIN);
    let too_new = now + 2 * 3_600_000;
    let mut info = RejectedLogEventsInfo::default();
    let mut accepted = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let i = i as i32;
        if e.timestamp < too_old {
            info.too_old_log_event_end_index = Some(i);
        } else if e.timestamp < expired {
            info.expired_log_event_end_index = Some(i);
        } else if e.timestamp > too_new {
            info.too_new_log_event_start_index.get_or_insert(i);
        } else {
            accepted.push(e);
        }
    }
    if let (Some(first), Some(last)) = (accepted.first(), accepted.last()) {
        if last.timestamp - first.timestamp > DAY_MS {
            return Err(invalid(
                "Log events in a single PutLogEvents request cannot span more than 24 hours.",
            ));
        }
    }

    let chunk = seq_start;
    let batch: Vec<Event> = accepted
        .iter()
        .enumerate()
        .map(|(i, e)| Event {
            timestamp: e.timestamp,
            seq: seq_start + i as u64,
            ingested: now,
            message: e.message.clone(),
            chunk,
        })
        .collect();
    let samples = samples_for(g, &batch, now);
    let s = g.streams.get_mut(&stream).expect("checked above");
    s.upload_seq += 1;
    let token = sequence_token(s.upload_seq);
    let stored = !batch.is_empty();
    if stored {
        s.last_ingestion_ms = Some(now);
        s.insert(batch);
    }
    txn.inner.next_seq = seq_start + accepted.len() as u64;
    txn.put_stream(&account, &region, &group, &stream)?;
    if stored {
        txn.write_chunk(&account, &region, &group, &stream, chunk)?;
    }
    txn.submit()?
        .wait()
        .map_err(|e| AwsError::internal(e.to_string()))?;

    if let (Some(sink), false) = (&me.metrics, samples.is_empty()) {
        sink.put(&account, &region, samples);
    }
    let rejected = (info.too_old_log_event_end_index.is_some()
        || info.too_new_log_event_start_index.is_some()
        || info.expired_log_event_end_index.is_some())
    .then_some(info);
    Ok(PutLogEventsResponse {
        next_sequence_token: Some(token),
        rejected_log_events_info: rejected,
        rejected_entity_info: None,
    })
}

/// The events of a stream with `start <= timestamp < end`.
fn window(s: &Stream, start: Option<i64>, end: Option<i64>) -> &[Event] {
    let lo = start.map_or(0, |t| s.events.partition_point(|e| e.timestamp < t));
    let hi = end.map_or(s.events.len(), |t| {
        s.events.partition_point(|e| e.timestamp < t)
    });
    if lo >= hi { &[] } else { &s.events[lo..hi] }
}

pub fn get_log_events(
    me: &Logs,
    ctx: &RequestContext,
    input: GetLogEventsRequest,
) -> Result<GetLogEventsResponse, AwsError> {
    let group = name_or_identifier(
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let token = input
        .next_token
        .as_deref()
        .map(paging::parse_cursor)
        .transpose()?;
    let inner = me.state.read();
    let g = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&group))
        .ok_or_else(group_not_found)?;
    let s = g
        .streams
        .get(&input.log_stream_name)
        .ok_or_else(stream_not_found)?;
    let events = window(s, input.start_time, input.end_time);
    let limit = input
        .limit
        .map_or(DEFAULT_EVENT_LIMIT, |l| l.max(1) as usize);
    let page = paging::page(events, limit, token, input.start_from_head.unwrap_or(false));
    let out = events[page.range.clone()]
        .iter()
        .map(|e| OutputLogEvent {
            timestamp: Some(e.timestamp),
            message: Some(e.message.clone()),
            ingestion_time: Some(e.ingested),
        })
        .collect();
    Ok(GetLogEventsResponse {
        events: Some(out),
        next_forward_token: Some(paging::format_cursor(page.forward)),
        next_backward_token: Some(paging::format_cursor(page.backward)),
    })
}

pub(crate) fn parse_pattern(p: Option<&str>) -> Result<FilterPattern, AwsError> {
    FilterPattern::parse(p.unwrap_or(""))
        .map_err(|e| invalid(format!("Invalid filter pattern: {e}")))
}

pub fn filter_log_events(
    me: &Logs,
    ctx: &RequestContext,
    input: FilterLogEventsRequest,
) -> Result<FilterLogEventsResponse, AwsError> {
    let group = name_or_identifier(
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    if input.log_stream_names.is_some() && input.log_stream_name_prefix.is_some() {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let pattern = parse_pattern(input.filter_pattern.as_deref())?;
    let after = input
        .next_token
        .as_deref()
        .map(paging::parse_filter_token)
        .transpose()?;
    let limit = input
        .limit
        .map_or(DEFAULT_EVENT_LIMIT, |l| l.max(1) as usize);
    let inner = me.state.read();
    let g = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&group))
        .ok_or_else(group_not_found)?;
    let streams: Vec<&Stream> = g
        .streams
        .values()
        .filter(
            |s| match (&input.log_stream_names, &input.log_stream_name_prefix) {
                (Some(names), _) => names.contains(&s.name),
                (_, Some(p)) => s.name.starts_with(p.as_str()),
                _ => true,
            },
        )
        .collect();
    let mut hits: Vec<(&Stream, &Event)> = Vec::new();
    for s in &streams {
        for e in window(s, input.start_time, input.end_time) {
            if after.is_some_and(|k| e.key() <= k) {
                continue;
            }
            if pattern.matches(&e.message) {
                hits.push((s, e));
            }
        }
    }
    hits.sort_by_key(|(_, e)| e.key());
    let mut keep = hits.len().min(limit);
    let mut bytes = 0;
    for (i, (_, e)) in hits.iter().take(keep).enumerate() {
        bytes += e.message.len();
        if bytes > paging::MAX_RESPONSE_BYTES && i > 0 {
            keep = i;
            break;
        }
    }
    let more = hits.len() > keep;
    hits.truncate(keep);
    let next = if more {
        hits.last().map(|(_, e)| paging::filter_token(e.key()))
    } else {
        None
    };
    let events = hits
        .iter()
        .map(|(s, e)| FilteredLogEvent {
            log_stream_name: Some(s.name.clone()),
            timestamp: Some(e.timestamp),
            message: Some(e.message.clone()),
            ingestion_time: Some(e.ingested),
            event_id: Some(paging::event_id(e.key())),
        })
        .collect();
    let searched = streams
        .iter()
        .map(|s| SearchedLogStream {
            log_stream_name: Some(s.name.clone()),
            searched_completely: Some(!more),
        })
        .collect();
    Ok(FilterLogEventsResponse {
        events: Some(events),
        searched_log_streams: Some(searched),
        next_token: next,
    })
}
