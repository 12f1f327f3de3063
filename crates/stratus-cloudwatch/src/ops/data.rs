//! GetMetricData: metric queries and math expressions, ordered by ScanBy
//! and paged by MaxDatapoints.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::shapes::query_in;
use crate::Core;
use crate::generated::*;
use crate::query::{self, Window};

const MAX_DATAPOINTS: usize = 100_800;

fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationError", msg)
}

pub fn get_metric_data(
    cw: &Core,
    ctx: &RequestContext,
    input: GetMetricDataInput,
) -> Result<GetMetricDataOutput, AwsError> {
    let (start, end) = (input.start_time.0, input.end_time.0);
    if start == end {
        return Err(validation(
            "The parameter StartTime must not equal parameter EndTime.",
        ));
    }
    if start > end {
        return Err(validation(
            "The parameter EndTime must be greater than StartTime.",
        ));
    }
    let descending = match input.scan_by.as_deref() {
        None | Some("TimestampDescending") => true,
        Some("TimestampAscending") => false,
        Some(other) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]"
            )));
        }
    };
    let max = match input.max_datapoints {
        Some(n) if n <= 0 => {
            return Err(validation(format!(
                "The value {n} for parameter MaxDatapoints is invalid. It must be greater than 0."
            )));
        }
        Some(n) => (n as usize).min(MAX_DATAPOINTS),
        None => MAX_DATAPOINTS,
    };
    let queries: Vec<_> = input
        .metric_data_queries
        .into_iter()
        .map(query_in)
        .collect();
    query::validate(&queries, "MetricDataQueries")?;
    let w = Window {
        start,
        end,
        now: ctx.clock.now_millis(),
    };
    let outcomes = {
        let m = cw.state.metrics.read();
        query::run(m.region(ctx.account_id(), &ctx.region), &queries, &w)?
    };
    let offset = match input.next_token.as_deref() {
        Some(t) => t
            .strip_prefix("cw1-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                AwsError::bad_request(
                    "InvalidNextToken",
                    "The service returned an invalid NextToken.",
                )
            })?,
        None => 0,
    };
    let mut skipped = 0usize;
    let mut taken = 0usize;
    let mut more = false;
    let mut results = Vec::new();
    for o in outcomes.into_iter().filter(|o| o.returns) {
        let mut points = o.points;
        if descending {
            points.reverse();
        }
        let skip = (offset - skipped.min(offset)).min(points.len());
        skipped += skip;
        let room = max - taken;
        let rest = &points[skip..];
        let shown = &rest[..rest.len().min(room)];
        taken += shown.len();
        let partial = shown.len() < rest.len();
        more |= partial;
        let messages: Vec<MessageData> = o
            .messages
            .into_iter()
            .map(|(code, value)| MessageData {
                code: Some(code),
                value: Some(value),
            })
            .collect();
        results.push(MetricDataResult {
            id: Some(o.id),
            label: Some(o.label),
            timestamps: Some(shown.iter().map(|(t, _)| Timestamp(*t)).collect()),
            values: Some(shown.iter().map(|(_, v)| *v).collect()),
            status_code: Some(if partial { "PartialData" } else { "Complete" }.into()),
            messages: (!messages.is_empty()).then_some(messages),
        });
    }
    Ok(GetMetricDataOutput {
        metric_data_results: Some(results),
        next_token: more.then(|| format!("cw1-{}", offset + taken)),
        messages: Some(Vec::new()),
    })
}
