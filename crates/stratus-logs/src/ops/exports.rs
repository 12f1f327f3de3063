//! Export tasks: created PENDING, described and cancelled here; the
//! retention task writes each pending one into its bucket (exporter.rs).

use stratus_core::{AwsError, RequestContext, ids};

use crate::Logs;
use crate::errors::{group_not_found, invalid, not_found};
use crate::generated::*;
use crate::paging;
use crate::state::ExportTaskRec;

pub fn create_export_task(
    me: &Logs,
    ctx: &RequestContext,
    input: CreateExportTaskRequest,
) -> Result<CreateExportTaskResponse, AwsError> {
    if input.from > input.to {
        return Err(invalid(
            "The value of the 'from' parameter must be less than or equal to the value of the 'to' parameter.",
        ));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let r = txn.inner.region(&account, &region);
    if !r.groups.contains_key(&input.log_group_name) {
        return Err(group_not_found());
    }
    let id = ids::uuid_v4();
    r.exports.insert(
        id.clone(),
        ExportTaskRec {
            id: id.clone(),
            name: input.task_name,
            group: input.log_group_name,
            from: input.from,
            to: input.to,
            destination: input.destination,
            destination_prefix: input
                .destination_prefix
                .unwrap_or_else(|| "exportedlogs".to_string()),
            status: "PENDING".into(),
            message: None,
            created_ms: ctx.clock.now_millis(),
            completed_ms: None,
        },
    );
    txn.put_export(&account, &region, &id)?;
    txn.commit()?;
    Ok(CreateExportTaskResponse { task_id: Some(id) })
}

pub fn cancel_export_task(
    me: &Logs,
    ctx: &RequestContext,
    input: CancelExportTaskRequest,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let now = ctx.clock.now_millis();
    let t = txn
        .inner
        .region(&account, &region)
        .exports
        .get_mut(&input.task_id)
        .ok_or_else(|| not_found("The specified export task does not exist."))?;
    if !matches!(t.status.as_str(), "PENDING" | "RUNNING") {
        return Err(AwsError::bad_request(
            "InvalidOperationException",
            format!(
                "The specified export task has already finished ({}).",
                t.status
            ),
        ));
    }
    t.status = "CANCELLED".into();
    t.message = Some("Cancelled by user".into());
    t.completed_ms = Some(now);
    txn.put_export(&account, &region, &input.task_id)?;
    txn.commit()
}

pub fn describe_export_tasks(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeExportTasksRequest,
) -> Result<DescribeExportTasksResponse, AwsError> {
    let inner = me.state.read();
    let mut all: Vec<&ExportTaskRec> = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .map(|r| {
            r.exports
                .values()
                .filter(|t| input.task_id.as_ref().is_none_or(|id| &t.id == id))
                .filter(|t| input.status_code.as_ref().is_none_or(|s| &t.status == s))
                .collect()
        })
        .unwrap_or_default();
    all.sort_by_key(|t| std::cmp::Reverse(t.created_ms));
    let all: Vec<ExportTask> = all
        .into_iter()
        .map(|t| ExportTask {
            task_id: Some(t.id.clone()),
            task_name: t.name.clone(),
            log_group_name: Some(t.group.clone()),
            from: Some(t.from),
            to: Some(t.to),
            destination: Some(t.destination.clone()),
            destination_prefix: Some(t.destination_prefix.clone()),
            status: Some(ExportTaskStatus {
                code: Some(t.status.clone()),
                message: t.message.clone(),
            }),
            execution_info: Some(ExportTaskExecutionInfo {
                creation_time: Some(t.created_ms),
                completion_time: t.completed_ms,
            }),
        })
        .collect();
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 50) as usize;
    let (page, next) = paging::slice(&all, "et", input.next_token.as_deref(), limit)?;
    Ok(DescribeExportTasksResponse {
        export_tasks: Some(page),
        next_token: next,
    })
}
