//! DynamoDB Streams: the change records of tables whose stream is enabled,
//! read through shard iterators as the Kinesis-like API lays them out.

#[rustfmt::skip]
mod generated;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AwsError, RequestContext};
use stratus_dynamodb::{ChangeRecord, StreamInfo, StreamsApi};
use stratus_protocol::{FromValue, Timestamp, Value};

use crate::generated::*;

/// Shard iterators stop working after 15 minutes, as on AWS.
const ITERATOR_TTL_MS: i64 = 15 * 60 * 1000;

pub struct DynamoDbStreams {
    api: StreamsApi,
}

impl DynamoDbStreams {
    pub fn new(api: StreamsApi) -> Self {
        DynamoDbStreams { api }
    }
}

fn not_found(arn: &str) -> AwsError {
    AwsError::bad_request(
        "ResourceNotFoundException",
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationException", msg)
}

/// An iterator names the stream, the position (records after it) and when
/// it was issued.
fn iterator(arn: &str, after: u64, now_ms: i64) -> String {
    B64.encode(format!("{now_ms}|{after}|{arn}"))
}

fn parse_iterator(it: &str) -> Option<(i64, u64, String)> {
    let raw = String::from_utf8(B64.decode(it).ok()?).ok()?;
    let mut parts = raw.splitn(3, '|');
    let issued = parts.next()?.parse().ok()?;
    let after = parts.next()?.parse().ok()?;
    Some((issued, after, parts.next()?.to_string()))
}

fn image(v: Option<Value>) -> Result<Option<BTreeMap<String, AttributeValue>>, AwsError> {
    v.map(FromValue::from_value).transpose()
}

fn to_record(r: ChangeRecord, region: &str) -> Result<Record, AwsError> {
    Ok(Record {
        event_id: Some(r.event_id),
        event_name: Some(r.event_name),
        event_version: Some("1.1".into()),
        event_source: Some("aws:dynamodb".into()),
        aws_region: Some(region.to_string()),
        dynamodb: Some(StreamRecord {
            approximate_creation_date_time: Some(Timestamp(r.created_ms / 1000 * 1000)),
            keys: image(Some(r.keys))?,
            new_image: image(r.new_image)?,
            old_image: image(r.old_image)?,
            sequence_number: Some(r.sequence_number),
            size_bytes: Some(r.size),
            stream_view_type: Some(r.view),
        }),
        user_identity: r.by_service.then(|| Identity {
            principal_id: Some("dynamodb.amazonaws.com".into()),
            r#type: Some("Service".into()),
        }),
    })
}

fn key_schema(s: &StreamInfo) -> Vec<KeySchemaElement> {
    let mut v = vec![KeySchemaElement {
        attribute_name: s.hash_key.clone(),
        key_type: "HASH".into(),
    }];
    if let Some(r) = &s.range_key {
        v.push(KeySchemaElement {
            attribute_name: r.clone(),
            key_type: "RANGE".into(),
        });
    }
    v
}

impl Handlers for DynamoDbStreams {
    async fn describe_stream(
        &self,
        ctx: &RequestContext,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput, AwsError> {
        let (s, first) = self
            .api
            .describe(
                ctx.account_id(),
                &ctx.region,
                &input.stream_arn,
                ctx.clock.now_millis(),
            )
            .ok_or_else(|| not_found(&input.stream_arn))?;
        let start = first.unwrap_or_else(|| StreamsApi::sequence_text(1));
        Ok(DescribeStreamOutput {
            stream_description: Some(StreamDescription {
                stream_arn: Some(s.arn.clone()),
                stream_label: Some(s.label.clone()),
                stream_status: Some(s.status.into()),
                stream_view_type: Some(s.view.clone()),
                creation_request_date_time: Some(Timestamp(s.created_ms)),
                table_name: Some(s.table_name.clone()),
                key_schema: Some(key_schema(&s)),
                shards: Some(vec![Shard {
                    shard_id: Some(s.shard_id.clone()),
                    sequence_number_range: Some(SequenceNumberRange {
                        starting_sequence_number: Some(start),
                        ending_sequence_number: None,
                    }),
                    parent_shard_id: None,
                }]),
                last_evaluated_shard_id: None,
            }),
        })
    }

    async fn get_shard_iterator(
        &self,
        ctx: &RequestContext,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput, AwsError> {
        let (s, _) = self
            .api
            .describe(
                ctx.account_id(),
                &ctx.region,
                &input.stream_arn,
                ctx.clock.now_millis(),
            )
            .ok_or_else(|| not_found(&input.stream_arn))?;
        if input.shard_id != s.shard_id {
            return Err(AwsError::bad_request(
                "ResourceNotFoundException",
                format!("Requested resource not found: Shard does not exist"),
            ));
        }
        let seq = || -> Result<u64, AwsError> {
            let text = input.sequence_number.as_deref().ok_or_else(|| {
                validation("SequenceNumber is required for this ShardIteratorType")
            })?;
            StreamsApi::parse_sequence(text)
                .ok_or_else(|| validation(format!("Invalid SequenceNumber: {text}")))
        };
        let after = match input.shard_iterator_type.as_str() {
            "TRIM_HORIZON" => 0,
            "LATEST" => self
                .api
                .latest(
                    ctx.account_id(),
                    &ctx.region,
                    &s.arn,
                    ctx.clock.now_millis(),
                )
                .unwrap_or(0),
            "AT_SEQUENCE_NUMBER" => seq()?.saturating_sub(1),
            "AFTER_SEQUENCE_NUMBER" => seq()?,
            other => return Err(validation(format!("Invalid ShardIteratorType: {other}"))),
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: Some(iterator(&s.arn, after, ctx.clock.now_millis())),
        })
    }

    async fn get_records(
        &self,
        ctx: &RequestContext,
        input: GetRecordsInput,
    ) -> Result<GetRecordsOutput, AwsError> {
        let (issued, after, arn) = parse_iterator(&input.shard_iterator)
            .ok_or_else(|| validation("Invalid ShardIterator"))?;
        let now = ctx.clock.now_millis();
        if now - issued > ITERATOR_TTL_MS {
            return Err(AwsError::bad_request(
                "ExpiredIteratorException",
                "The shard iterator has expired. Shard iterators are valid for 15 minutes after they are returned.",
            ));
        }
        let limit = input.limit.unwrap_or(1000).clamp(1, 1000) as usize;
        let records = self
            .api
            .read(ctx.account_id(), &ctx.region, &arn, after, limit, now)
            .ok_or_else(|| not_found(&arn))?;
        let last = records
            .last()
            .and_then(|r| StreamsApi::parse_sequence(&r.sequence_number))
            .unwrap_or(after);
        let records: Vec<Record> = records
            .into_iter()
            .map(|r| to_record(r, &ctx.region))
            .collect::<Result<_, _>>()?;
        Ok(GetRecordsOutput {
            records: Some(records),
            next_shard_iterator: Some(iterator(&arn, last, now)),
        })
    }

    async fn list_streams(
        &self,
        ctx: &RequestContext,
        input: ListStreamsInput,
    ) -> Result<ListStreamsOutput, AwsError> {
        let all = self.api.list(
            ctx.account_id(),
            &ctx.region,
            input.table_name.as_deref(),
            ctx.clock.now_millis(),
        );
        let start = match &input.exclusive_start_stream_arn {
            Some(a) => all.iter().position(|s| &s.arn == a).map_or(0, |i| i + 1),
            None => 0,
        };
        let limit = input.limit.unwrap_or(100).clamp(1, 100) as usize;
        let page: Vec<&StreamInfo> = all[start.min(all.len())..].iter().take(limit).collect();
        let more = start + page.len() < all.len();
        Ok(ListStreamsOutput {
            last_evaluated_stream_arn: if more {
                page.last().map(|s| s.arn.clone())
            } else {
                None
            },
            streams: Some(
                page.iter()
                    .map(|s| Stream {
                        stream_arn: Some(s.arn.clone()),
                        table_name: Some(s.table_name.clone()),
                        stream_label: Some(s.label.clone()),
                    })
                    .collect(),
            ),
        })
    }
}

stratus_protocol::service!(DynamoDbStreams, "dynamodbstreams", |_me| Ok(());
    /// Stream operations are authorized on the stream's ARN, which an
    /// iterator carries.
    fn resource_arns(
        &self,
        _caller: &stratus_core::Identity,
        _region: &str,
        operation: &str,
        input: &Value,
    ) -> Vec<String> {
        stream_arns(operation, input)
    }
);

fn stream_arns(operation: &str, input: &Value) -> Vec<String> {
    match operation {
        "GetRecords" => input
            .str_member("ShardIterator")
            .and_then(parse_iterator)
            .map(|(_, _, arn)| arn)
            .into_iter()
            .collect(),
        _ => input
            .str_member("StreamArn")
            .map(str::to_string)
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip() {
        let it = iterator("arn:aws:dynamodb:us-east-1:1:table/t/stream/x", 7, 1000);
        assert_eq!(
            parse_iterator(&it),
            Some((
                1000,
                7,
                "arn:aws:dynamodb:us-east-1:1:table/t/stream/x".to_string()
            ))
        );
        assert_eq!(parse_iterator("garbage!"), None);
    }

    #[test]
    fn stream_operations_name_the_stream() {
        let arn = "arn:aws:dynamodb:us-east-1:111122223333:table/t/stream/2026-01-01T00:00:00.000";
        let mut describe = Value::map();
        describe.insert("StreamArn", Value::String(arn.into()));
        assert_eq!(stream_arns("DescribeStream", &describe), vec![arn]);
        assert_eq!(stream_arns("GetShardIterator", &describe), vec![arn]);
        let mut records = Value::map();
        records.insert("ShardIterator", Value::String(iterator(arn, 3, 0)));
        assert_eq!(stream_arns("GetRecords", &records), vec![arn]);
        assert!(stream_arns("ListStreams", &Value::map()).is_empty());
    }
}
