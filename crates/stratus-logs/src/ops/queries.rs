//! Logs Insights queries: answered when they start (so they are Complete at
//! once), kept in memory for GetQueryResults and DescribeQueries.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use stratus_core::{AwsError, RequestContext, ids};

use crate::Logs;
use crate::errors::{group_not_found, invalid, not_found};
use crate::generated::*;
use crate::insights::{self, Input, Query};
use crate::ops::{group_name, name_or_identifier};
use crate::state::{QueryDefinitionRec, QueryRec};

const DEFAULT_LIMIT: usize = 10_000;

fn malformed(src: &str, e: insights::QueryError) -> AwsError {
    let _ = src;
    let detail = serde_json::json!({
        "location": {"startCharOffset": e.start, "endCharOffset": e.end},
        "message": e.message,
    });
    AwsError::bad_request("MalformedQueryException", e.message.clone())
        .with_json_field("queryCompileError", detail.to_string())
}

pub fn start_query(
    me: &Logs,
    ctx: &RequestContext,
    input: StartQueryRequest,
) -> Result<StartQueryResponse, AwsError> {
    let names: Vec<String> = match (
        &input.log_group_name,
        &input.log_group_names,
        &input.log_group_identifiers,
    ) {
        (Some(n), None, None) => vec![n.clone()],
        (None, Some(ns), None) => ns.clone(),
        (None, None, Some(ids)) => ids.iter().map(|i| group_name(i)).collect(),
        (None, None, None) => {
            return Err(invalid(
                "One of logGroupName, logGroupNames or logGroupIdentifiers must be specified.",
            ));
        }
        _ => {
            return Err(invalid(
                "logGroupName, logGroupNames and logGroupIdentifiers are mutually exclusive parameters.",
            ));
        }
    };
    if input.end_time < input.start_time {
        return Err(invalid("End time should not be before the start time"));
    }
    let query = Query::parse(&input.query_string).map_err(|e| malformed(&input.query_string, e))?;
    let limit = input.limit.map_or(DEFAULT_LIMIT, |l| l.max(1) as usize);
    let (from, to) = (input.start_time * 1000, input.end_time * 1000 + 999);
    let account = ctx.account_id().to_string();
    let mut txn = me.state.begin();
    let r = txn.inner.region(&account, &ctx.region);
    let mut events = Vec::new();
    let mut bytes = 0usize;
    for name in &names {
        let g = r.groups.get(name).ok_or_else(|| {
            not_found(format!(
                "Log group '{name}' does not exist for account ID '{account}'"
            ))
        })?;
        let log = format!("{account}:{name}");
        for s in g.streams.values() {
            let lo = s.events.partition_point(|e| e.timestamp < from);
            let hi = s.events.partition_point(|e| e.timestamp <= to);
            for e in s.events.get(lo..hi).unwrap_or_default() {
                bytes += e.message.len();
                events.push((e, s.name.as_str(), name.as_str(), log.clone()));
            }
        }
    }
    events.sort_by_key(|(e, _, _, _)| e.key());
    let inputs: Vec<Input> = events
        .iter()
        .map(|(e, stream, group, log)| Input {
            timestamp: e.timestamp,
            ingested: e.ingested,
            message: &e.message,
            stream,
            log,
            ptr: pointer(group, stream, e.key()),
        })
        .collect();
    let outcome = query.run(&inputs, limit);
    let scanned = inputs.len();
    drop(inputs);
    drop(events);
    let id = ids::uuid_v4();
    let sources: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    r.queries.insert(
        id.clone(),
        QueryRec {
            id: id.clone(),
            query_string: format!(
                "SOURCE {} START={from} END={to} | {}",
                sources.join(" "),
                input.query_string
            ),
            log_group: names[0].clone(),
            status: "Complete".into(),
            created_ms: ctx.clock.now_millis(),
            rows: outcome.rows,
            matched: outcome.matched as f64,
            scanned: scanned as f64,
            bytes: bytes as f64,
        },
    );
    Ok(StartQueryResponse { query_id: Some(id) })
}

fn query_missing(id: &str) -> AwsError {
    not_found(format!("Query {id} does not exist."))
}

pub fn get_query_results(
    me: &Logs,
    ctx: &RequestContext,
    input: GetQueryResultsRequest,
) -> Result<GetQueryResultsResponse, AwsError> {
    let inner = me.state.read();
    let q = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.queries.get(&input.query_id))
        .ok_or_else(|| query_missing(&input.query_id))?;
    let results = q
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|(f, v)| ResultField {
                    field: Some(f.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        })
        .collect();
    Ok(GetQueryResultsResponse {
        query_language: Some("CWLI".into()),
        results: Some(results),
        statistics: Some(QueryStatistics {
            records_matched: Some(q.matched),
            records_scanned: Some(q.scanned),
            bytes_scanned: Some(q.bytes),
            ..Default::default()
        }),
        status: Some(q.status.clone()),
        ..Default::default()
    })
}

pub fn stop_query(
    me: &Logs,
    ctx: &RequestContext,
    input: StopQueryRequest,
) -> Result<StopQueryResponse, AwsError> {
    let mut txn = me.state.begin();
    let q = txn
        .inner
        .region(ctx.account_id(), &ctx.region)
        .queries
        .get_mut(&input.query_id)
        .ok_or_else(|| query_missing(&input.query_id))?;
    if !matches!(q.status.as_str(), "Scheduled" | "Running") {
        return Err(invalid(format!(
            "Query {} is not running: it is {}.",
            q.id, q.status
        )));
    }
    q.status = "Cancelled".into();
    Ok(StopQueryResponse {
        success: Some(true),
    })
}

pub fn describe_queries(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeQueriesRequest,
) -> Result<DescribeQueriesResponse, AwsError> {
    let inner = me.state.read();
    let mut all: Vec<&QueryRec> = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .map(|r| {
            r.queries
                .values()
                .filter(|q| {
                    input
                        .log_group_name
                        .as_ref()
                        .is_none_or(|g| &q.log_group == g)
                })
                .filter(|q| input.status.as_ref().is_none_or(|s| &q.status == s))
                .collect()
        })
        .unwrap_or_default();
    all.sort_by_key(|q| std::cmp::Reverse(q.created_ms));
    let infos: Vec<QueryInfo> = all
        .into_iter()
        .map(|q| QueryInfo {
            query_language: Some("CWLI".into()),
            query_id: Some(q.id.clone()),
            query_string: Some(q.query_string.clone()),
            status: Some(q.status.clone()),
            create_time: Some(q.created_ms),
            log_group_name: Some(q.log_group.clone()),
            ..Default::default()
        })
        .collect();
    drop(inner);
    let limit = input.max_results.unwrap_or(1000).clamp(1, 1000) as usize;
    let (page, next) = crate::paging::slice(&infos, "q", input.next_token.as_deref(), limit)?;
    Ok(DescribeQueriesResponse {
        queries: Some(page),
        next_token: next,
    })
}

pub fn get_log_group_fields(
    me: &Logs,
    ctx: &RequestContext,
    input: GetLogGroupFieldsRequest,
) -> Result<GetLogGroupFieldsResponse, AwsError> {
    let name = name_or_identifier(
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let now = ctx.clock.now_millis();
    // With a time, the 15 minutes before it; without, 8 minutes either side of now.
    let (from, to) = match input.time {
        Some(t) => (t * 1000 - 15 * 60_000, t * 1000),
        None => (now - 8 * 60_000, now + 8 * 60_000),
    };
    let inner = me.state.read();
    let g = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&name))
        .ok_or_else(group_not_found)?;
    let messages: Vec<&str> = g
        .streams
        .values()
        .flat_map(|s| s.events.iter())
        .filter(|e| e.timestamp >= from && e.timestamp <= to)
        .map(|e| e.message.as_str())
        .collect();
    let fields = if messages.is_empty() {
        Vec::new()
    } else {
        insights::field_shares(&messages)
            .into_iter()
            .map(|(name, percent)| LogGroupField {
                name: Some(name),
                percent: Some(percent),
            })
            .collect()
    };
    Ok(GetLogGroupFieldsResponse {
        log_group_fields: Some(fields),
    })
}

/// `@ptr`: where GetLogRecord finds the event again.
fn pointer(group: &str, stream: &str, key: (i64, u64)) -> String {
    STANDARD.encode(serde_json::json!([group, stream, key.0, key.1]).to_string())
}

fn parse_pointer(p: &str) -> Option<(String, String, (i64, u64))> {
    let raw = STANDARD.decode(p).ok()?;
    let (g, s, t, q): (String, String, i64, u64) = serde_json::from_slice(&raw).ok()?;
    Some((g, s, (t, q)))
}

pub fn get_log_record(
    me: &Logs,
    ctx: &RequestContext,
    input: GetLogRecordRequest,
) -> Result<GetLogRecordResponse, AwsError> {
    let (group, stream, key) = parse_pointer(&input.log_record_pointer)
        .ok_or_else(|| invalid("The specified log record pointer is invalid."))?;
    let inner = me.state.read();
    let s = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .and_then(|r| r.groups.get(&group))
        .and_then(|g| g.streams.get(&stream))
        .ok_or_else(|| not_found("The specified log record does not exist."))?;
    let i = s.events.partition_point(|e| e.key() < key);
    let e = s
        .events
        .get(i)
        .filter(|e| e.key() == key)
        .ok_or_else(|| not_found("The specified log record does not exist."))?;
    let log = format!("{}:{group}", ctx.account_id());
    let record = insights::record_text(&Input {
        timestamp: e.timestamp,
        ingested: e.ingested,
        message: &e.message,
        stream: &stream,
        log: &log,
        ptr: String::new(),
    });
    Ok(GetLogRecordResponse {
        log_record: Some(record),
    })
}

fn definition_missing() -> AwsError {
    not_found("The specified query definition does not exist.")
}

pub fn put_query_definition(
    me: &Logs,
    ctx: &RequestContext,
    input: PutQueryDefinitionRequest,
) -> Result<PutQueryDefinitionResponse, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let defs = &mut txn.inner.region(&account, &region).query_definitions;
    let id = match input.query_definition_id {
        Some(id) if !defs.contains_key(&id) => return Err(definition_missing()),
        Some(id) => id,
        None => ids::uuid_v4(),
    };
    defs.insert(
        id.clone(),
        QueryDefinitionRec {
            id: id.clone(),
            name: input.name,
            query_string: input.query_string,
            log_groups: input.log_group_names.unwrap_or_default(),
            modified_ms: ctx.clock.now_millis(),
            parameters: input
                .parameters
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.name, p.default_value, p.description))
                .collect(),
        },
    );
    txn.put_query_definition(&account, &region, &id)?;
    txn.commit()?;
    Ok(PutQueryDefinitionResponse {
        query_definition_id: Some(id),
    })
}

pub fn describe_query_definitions(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeQueryDefinitionsRequest,
) -> Result<DescribeQueryDefinitionsResponse, AwsError> {
    let inner = me.state.read();
    let mut defs: Vec<&QueryDefinitionRec> = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .map(|r| {
            r.query_definitions
                .values()
                .filter(|d| {
                    input
                        .query_definition_name_prefix
                        .as_deref()
                        .is_none_or(|p| d.name.starts_with(p))
                })
                .collect()
        })
        .unwrap_or_default();
    defs.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let all: Vec<QueryDefinition> = defs
        .into_iter()
        .map(|d| QueryDefinition {
            query_language: Some("CWLI".into()),
            query_definition_id: Some(d.id.clone()),
            name: Some(d.name.clone()),
            query_string: Some(d.query_string.clone()),
            last_modified: Some(d.modified_ms),
            log_group_names: Some(d.log_groups.clone()),
            parameters: (!d.parameters.is_empty()).then(|| {
                d.parameters
                    .iter()
                    .map(|(name, default_value, description)| QueryParameter {
                        name: name.clone(),
                        default_value: default_value.clone(),
                        description: description.clone(),
                    })
                    .collect()
            }),
        })
        .collect();
    drop(inner);
    let limit = input.max_results.unwrap_or(1000).clamp(1, 1000) as usize;
    let (page, next) = crate::paging::slice(&all, "qd", input.next_token.as_deref(), limit)?;
    Ok(DescribeQueryDefinitionsResponse {
        query_definitions: Some(page),
        next_token: next,
    })
}

pub fn delete_query_definition(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteQueryDefinitionRequest,
) -> Result<DeleteQueryDefinitionResponse, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    txn.inner
        .region(&account, &region)
        .query_definitions
        .remove(&input.query_definition_id)
        .ok_or_else(definition_missing)?;
    txn.put_query_definition(&account, &region, &input.query_definition_id)?;
    txn.commit()?;
    Ok(DeleteQueryDefinitionResponse {
        success: Some(true),
    })
}
