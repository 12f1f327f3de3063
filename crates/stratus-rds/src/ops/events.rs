//! DescribeEvents: what happened to the caller's resources, the last hour
//! unless asked otherwise, kept 14 days.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::common::{filters, page};
use crate::Rds;
use crate::generated::*;
use crate::validate::invalid_value;

const SOURCE_TYPES: &[&str] = &[
    "db-instance",
    "db-parameter-group",
    "db-security-group",
    "db-snapshot",
    "db-cluster",
    "db-cluster-snapshot",
    "custom-engine-version",
    "db-proxy",
    "blue-green-deployment",
];

pub fn describe_events(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeEventsMessage,
) -> Result<EventsMessage, AwsError> {
    filters(input.filters, &[])?;
    if let Some(t) = &input.source_type {
        if !SOURCE_TYPES.contains(&t.as_str()) {
            return Err(invalid_value(format!("Invalid source type: {t}")));
        }
    }
    if input.source_identifier.is_some() && input.source_type.is_none() {
        return Err(invalid_value(
            "If SourceIdentifier is supplied, SourceType must also be provided.",
        ));
    }
    let now = ctx.clock.now_millis();
    let end = input.end_time.map_or(now, |t| t.0);
    let start = match (input.start_time, input.duration) {
        (Some(t), _) => t.0,
        (None, Some(d)) => end - i64::from(d) * 60_000,
        (None, None) => end - 3_600_000,
    };
    let want_id = input
        .source_identifier
        .as_deref()
        .map(str::to_ascii_lowercase);
    let cats: Vec<String> = input
        .event_categories
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let inner = me.state.read();
    let out: Vec<Event> = inner
        .events
        .iter()
        .filter(|e| e.account == ctx.account_id() && e.region == ctx.region)
        .filter(|e| e.date_ms >= start && e.date_ms <= end)
        .filter(|e| {
            input
                .source_type
                .as_deref()
                .is_none_or(|t| e.source_type == t)
        })
        .filter(|e| want_id.as_deref().is_none_or(|i| e.source_id == i))
        .filter(|e| cats.is_empty() || e.categories.iter().any(|c| cats.contains(c)))
        .map(|e| Event {
            source_identifier: Some(e.source_id.clone()),
            source_type: Some(e.source_type.clone()),
            message: Some(e.message.clone()),
            event_categories: Some(e.categories.clone()),
            date: Some(Timestamp(e.date_ms)),
            source_arn: Some(e.source_arn.clone()),
        })
        .collect();
    let (items, marker) = page(out, input.marker.as_deref(), input.max_records)?;
    Ok(EventsMessage {
        marker,
        events: Some(items),
    })
}
