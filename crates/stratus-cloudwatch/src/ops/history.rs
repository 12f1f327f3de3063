//! DescribeAlarmHistory.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::shapes::page;
use crate::Core;
use crate::generated::*;

pub fn describe_alarm_history(
    cw: &Core,
    ctx: &RequestContext,
    input: DescribeAlarmHistoryInput,
) -> Result<DescribeAlarmHistoryOutput, AwsError> {
    // Without AlarmTypes only metric alarms' history is returned.
    let types = input
        .alarm_types
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| vec!["MetricAlarm".to_string()]);
    let mut items: Vec<AlarmHistoryItem> = {
        let txn = cw.state.begin();
        txn.inner
            .history
            .get(&(ctx.account_id().to_string(), ctx.region.clone()))
            .map(|list| {
                list.iter()
                    .filter(|h| input.alarm_name.as_ref().is_none_or(|n| *n == h.alarm_name))
                    .filter(|h| types.contains(&h.alarm_type))
                    .filter(|h| {
                        input
                            .history_item_type
                            .as_ref()
                            .is_none_or(|t| *t == h.item_type)
                    })
                    .filter(|h| input.start_date.is_none_or(|s| h.ts >= s.0))
                    .filter(|h| input.end_date.is_none_or(|e| h.ts <= e.0))
                    .map(|h| AlarmHistoryItem {
                        alarm_name: Some(h.alarm_name.clone()),
                        alarm_type: Some(h.alarm_type.clone()),
                        timestamp: Some(Timestamp(h.ts)),
                        history_item_type: Some(h.item_type.clone()),
                        history_summary: Some(h.summary.clone()),
                        history_data: Some(h.data.clone()),
                        ..AlarmHistoryItem::default()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    if input.scan_by.as_deref() != Some("TimestampAscending") {
        items.reverse();
    }
    let size = input.max_records.unwrap_or(100).clamp(1, 100) as usize;
    let (shown, next_token) = page(&items, input.next_token.as_deref(), size)?;
    Ok(DescribeAlarmHistoryOutput {
        alarm_history_items: Some(shown),
        next_token,
    })
}
