//! Log streams: create, delete, describe.

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{already_exists, group_not_found, invalid, stream_not_found};
use crate::generated::*;
use crate::ops::name_or_identifier;
use crate::paging;
use crate::state::{Group, Stream};

pub fn create_log_stream(
    me: &Logs,
    ctx: &RequestContext,
    input: CreateLogStreamRequest,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (group, name) = (input.log_group_name, input.log_stream_name);
    let mut txn = me.state.begin();
    let g = txn
        .inner
        .region(&account, &region)
        .groups
        .get_mut(&group)
        .ok_or_else(group_not_found)?;
    if g.streams.contains_key(&name) {
        return Err(already_exists("The specified log stream already exists"));
    }
    g.streams.insert(
        name.clone(),
        Stream {
            name: name.clone(),
            created_ms: ctx.clock.now_millis(),
            ..Default::default()
        },
    );
    txn.put_stream(&account, &region, &group, &name)?;
    txn.commit()
}

pub fn delete_log_stream(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteLogStreamRequest,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (group, name) = (input.log_group_name, input.log_stream_name);
    let mut txn = me.state.begin();
    let g = txn
        .inner
        .region(&account, &region)
        .groups
        .get_mut(&group)
        .ok_or_else(group_not_found)?;
    g.streams.remove(&name).ok_or_else(stream_not_found)?;
    txn.delete_stream(&account, &region, &group, &name);
    txn.commit()
}

/// The token AWS hands out for a stream's next upload (ignored on input).
pub fn sequence_token(upload_seq: u64) -> String {
    format!("4963{:052}", upload_seq)
}

fn describe(g: &Group, s: &Stream) -> LogStream {
    let has_events = s.last_ingestion_ms.is_some();
    LogStream {
        log_stream_name: Some(s.name.clone()),
        creation_time: Some(s.created_ms),
        first_event_timestamp: s.events.first().map(|e| e.timestamp),
        last_event_timestamp: s.events.last().map(|e| e.timestamp),
        last_ingestion_time: s.last_ingestion_ms,
        upload_sequence_token: has_events.then(|| sequence_token(s.upload_seq)),
        arn: Some(format!("{}:log-stream:{}", g.arn(), s.name)),
        // AWS reports 0 for streams since 2019; groups carry the bytes.
        stored_bytes: Some(0),
    }
}

pub fn describe_log_streams(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeLogStreamsRequest,
) -> Result<DescribeLogStreamsResponse, AwsError> {
    let group = name_or_identifier(
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let by_time = input.order_by.as_deref() == Some("LastEventTime");
    if by_time && input.log_stream_name_prefix.is_some() {
        return Err(invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let inner = me.state.read();
    let g = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&group))
        .ok_or_else(group_not_found)?;
    let mut streams: Vec<&Stream> = g
        .streams
        .values()
        .filter(|s| {
            input
                .log_stream_name_prefix
                .as_deref()
                .is_none_or(|p| s.name.starts_with(p))
        })
        .collect();
    if by_time {
        streams.sort_by_key(|s| (s.events.last().map(|e| e.timestamp), s.name.clone()));
    }
    if input.descending.unwrap_or(false) {
        streams.reverse();
    }
    let all: Vec<LogStream> = streams.into_iter().map(|s| describe(g, s)).collect();
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 50) as usize;
    let (page, next) = paging::slice(&all, "ls", input.next_token.as_deref(), limit)?;
    Ok(DescribeLogStreamsResponse {
        log_streams: Some(page),
        next_token: next,
    })
}
