//! Metric streams: stored with their filters and state; nothing is
//! delivered to Firehose.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::shapes::{merge_tags, page, tags_in};
use crate::Core;
use crate::generated::*;
use crate::records::{MetricStream, StreamFilter, StreamStats};

fn not_found(name: &str) -> AwsError {
    AwsError::not_found(
        "ResourceNotFoundException",
        format!("The metric stream {name} does not exist."),
    )
}

fn filters_in(f: Option<Vec<MetricStreamFilter>>) -> Vec<StreamFilter> {
    f.unwrap_or_default()
        .into_iter()
        .map(|f| StreamFilter {
            namespace: f.namespace,
            metric_names: f.metric_names.unwrap_or_default(),
        })
        .collect()
}

fn filters_out(f: &[StreamFilter]) -> Vec<MetricStreamFilter> {
    f.iter()
        .map(|f| MetricStreamFilter {
            namespace: f.namespace.clone(),
            metric_names: Some(f.metric_names.clone()),
        })
        .collect()
}

pub fn put_metric_stream(
    cw: &Core,
    ctx: &RequestContext,
    input: PutMetricStreamInput,
) -> Result<PutMetricStreamOutput, AwsError> {
    if input
        .include_filters
        .as_ref()
        .is_some_and(|f| !f.is_empty())
        && input
            .exclude_filters
            .as_ref()
            .is_some_and(|f| !f.is_empty())
    {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameters IncludeFilters and ExcludeFilters are mutually exclusive and you have specified both.",
        ));
    }
    let now = ctx.clock.now_millis();
    let key = (
        ctx.account_id().to_string(),
        ctx.region.clone(),
        input.name.clone(),
    );
    let arn = format!(
        "arn:aws:cloudwatch:{}:{}:metric-stream/{}",
        ctx.region,
        ctx.account_id(),
        input.name
    );
    let mut txn = cw.state.begin();
    let old = txn.inner.streams.get(&key).cloned();
    let mut tags = old.as_ref().map(|o| o.tags.clone()).unwrap_or_default();
    merge_tags(&mut tags, tags_in(input.tags));
    let stream = MetricStream {
        account: key.0.clone(),
        region: key.1.clone(),
        name: input.name,
        arn: arn.clone(),
        include: filters_in(input.include_filters),
        exclude: filters_in(input.exclude_filters),
        firehose_arn: input.firehose_arn,
        role_arn: input.role_arn,
        output_format: input.output_format,
        state: old.as_ref().map_or("running".into(), |o| o.state.clone()),
        created_ms: old.as_ref().map_or(now, |o| o.created_ms),
        updated_ms: now,
        statistics: input
            .statistics_configurations
            .unwrap_or_default()
            .into_iter()
            .map(|s| StreamStats {
                include: s
                    .include_metrics
                    .into_iter()
                    .map(|m| (m.namespace, m.metric_name))
                    .collect(),
                additional: s.additional_statistics,
            })
            .collect(),
        include_linked_accounts: input.include_linked_accounts_metrics.unwrap_or(false),
        tags,
    };
    txn.inner.streams.insert(key.clone(), stream);
    txn.put_stream(&key)?;
    txn.commit()?;
    Ok(PutMetricStreamOutput { arn: Some(arn) })
}

pub fn get_metric_stream(
    cw: &Core,
    ctx: &RequestContext,
    input: GetMetricStreamInput,
) -> Result<GetMetricStreamOutput, AwsError> {
    let txn = cw.state.begin();
    let s = txn
        .inner
        .streams
        .get(&(
            ctx.account_id().to_string(),
            ctx.region.clone(),
            input.name.clone(),
        ))
        .ok_or_else(|| not_found(&input.name))?;
    Ok(GetMetricStreamOutput {
        arn: Some(s.arn.clone()),
        name: Some(s.name.clone()),
        include_filters: (!s.include.is_empty()).then(|| filters_out(&s.include)),
        exclude_filters: (!s.exclude.is_empty()).then(|| filters_out(&s.exclude)),
        firehose_arn: Some(s.firehose_arn.clone()),
        role_arn: Some(s.role_arn.clone()),
        state: Some(s.state.clone()),
        creation_date: Some(Timestamp(s.created_ms)),
        last_update_date: Some(Timestamp(s.updated_ms)),
        output_format: Some(s.output_format.clone()),
        statistics_configurations: (!s.statistics.is_empty()).then(|| {
            s.statistics
                .iter()
                .map(|c| MetricStreamStatisticsConfiguration {
                    include_metrics: c
                        .include
                        .iter()
                        .map(|(n, m)| MetricStreamStatisticsMetric {
                            namespace: n.clone(),
                            metric_name: m.clone(),
                        })
                        .collect(),
                    additional_statistics: c.additional.clone(),
                })
                .collect()
        }),
        include_linked_accounts_metrics: Some(s.include_linked_accounts),
    })
}

pub fn list_metric_streams(
    cw: &Core,
    ctx: &RequestContext,
    input: ListMetricStreamsInput,
) -> Result<ListMetricStreamsOutput, AwsError> {
    let entries: Vec<MetricStreamEntry> = {
        let txn = cw.state.begin();
        txn.inner
            .streams
            .values()
            .filter(|s| s.account == ctx.account_id() && s.region == ctx.region)
            .map(|s| MetricStreamEntry {
                arn: Some(s.arn.clone()),
                creation_date: Some(Timestamp(s.created_ms)),
                last_update_date: Some(Timestamp(s.updated_ms)),
                name: Some(s.name.clone()),
                firehose_arn: Some(s.firehose_arn.clone()),
                state: Some(s.state.clone()),
                output_format: Some(s.output_format.clone()),
            })
            .collect()
    };
    let size = input.max_results.unwrap_or(100).clamp(1, 500) as usize;
    let (shown, next_token) = page(&entries, input.next_token.as_deref(), size)?;
    Ok(ListMetricStreamsOutput {
        next_token,
        entries: Some(shown),
    })
}

pub fn delete_metric_stream(
    cw: &Core,
    ctx: &RequestContext,
    input: DeleteMetricStreamInput,
) -> Result<DeleteMetricStreamOutput, AwsError> {
    let mut txn = cw.state.begin();
    txn.delete_stream(&(ctx.account_id().to_string(), ctx.region.clone(), input.name));
    txn.commit()?;
    Ok(DeleteMetricStreamOutput {})
}

fn set_state(
    cw: &Core,
    ctx: &RequestContext,
    names: &[String],
    state: &str,
) -> Result<(), AwsError> {
    let now = ctx.clock.now_millis();
    let mut txn = cw.state.begin();
    for n in names {
        let k = (ctx.account_id().to_string(), ctx.region.clone(), n.clone());
        let Some(s) = txn.inner.streams.get_mut(&k) else {
            return Err(not_found(n));
        };
        s.state = state.to_string();
        s.updated_ms = now;
        txn.put_stream(&k)?;
    }
    txn.commit()
}

pub fn start_metric_streams(
    cw: &Core,
    ctx: &RequestContext,
    input: StartMetricStreamsInput,
) -> Result<StartMetricStreamsOutput, AwsError> {
    set_state(cw, ctx, &input.names, "running")?;
    Ok(StartMetricStreamsOutput {})
}

pub fn stop_metric_streams(
    cw: &Core,
    ctx: &RequestContext,
    input: StopMetricStreamsInput,
) -> Result<StopMetricStreamsOutput, AwsError> {
    set_state(cw, ctx, &input.names, "stopped")?;
    Ok(StopMetricStreamsOutput {})
}
