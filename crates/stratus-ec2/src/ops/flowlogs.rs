//! Flow logs on VPCs, subnets and network interfaces: stored with their
//! destination (a CloudWatch Logs group, an S3 bucket or a Firehose stream);
//! no records are delivered.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::{dry_run, invalid, not_found, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{FlowLogRec, RegionState, Tags, new_id};

/// The record format AWS uses when none is given.
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

impl Filterable for FlowLogRec {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "deliver-log-status" => vec!["SUCCESS".into()],
            "log-destination-type" => vec![self.destination_type.clone()],
            "flow-log-id" => vec![self.id.clone()],
            "log-group-name" => self.log_group.iter().cloned().collect(),
            "resource-id" => vec![self.resource.clone()],
            "traffic-type" => vec![self.traffic_type.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

fn out(f: &FlowLogRec) -> FlowLog {
    let options = f.file_format.is_some()
        || f.hive_compatible_partitions.is_some()
        || f.per_hour_partition.is_some();
    FlowLog {
        creation_time: Some(Timestamp(f.created)),
        deliver_logs_permission_arn: f.role_arn.clone(),
        deliver_logs_status: Some("SUCCESS".into()),
        flow_log_id: Some(f.id.clone()),
        flow_log_status: Some("ACTIVE".into()),
        log_group_name: f.log_group.clone(),
        resource_id: Some(f.resource.clone()),
        traffic_type: Some(f.traffic_type.clone()),
        log_destination_type: Some(f.destination_type.clone()),
        log_destination: f.destination.clone(),
        log_format: Some(f.format.clone()),
        tags: wire_tags(&f.tags),
        max_aggregation_interval: Some(f.max_aggregation_interval),
        destination_options: options.then(|| DestinationOptionsResponse {
            file_format: f.file_format.clone(),
            hive_compatible_partitions: f.hive_compatible_partitions,
            per_hour_partition: f.per_hour_partition,
        }),
        ..Default::default()
    }
}

/// Refuses a resource that does not exist, with its kind's error.
fn check_resource(s: &RegionState, kind: &str, id: &str) -> Result<(), AwsError> {
    let (exists, code, noun) = match kind {
        "VPC" => (s.vpcs.contains_key(id), "InvalidVpcID.NotFound", "vpc"),
        "Subnet" => (
            s.subnets.contains_key(id),
            "InvalidSubnetID.NotFound",
            "subnet",
        ),
        "NetworkInterface" => (
            s.enis.contains_key(id),
            "InvalidNetworkInterfaceID.NotFound",
            "networkInterface",
        ),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter resourceType is invalid. Flow logs can be created for VPC, Subnet and NetworkInterface resources."
            )));
        }
    };
    if exists {
        Ok(())
    } else {
        Err(not_found(code, noun, id))
    }
}

fn invalid_parameter(msg: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameter", msg)
}

/// Where a flow log delivers: (type, destination ARN, log group), checked
/// as AWS checks them.
fn destination(
    i: &CreateFlowLogsRequest,
) -> Result<(String, Option<String>, Option<String>), AwsError> {
    let kind = i
        .log_destination_type
        .clone()
        .unwrap_or_else(|| "cloud-watch-logs".into());
    match kind.as_str() {
        "cloud-watch-logs" => {
            if i.log_group_name.is_some() && i.log_destination.is_some() {
                return Err(AwsError::bad_request(
                    "InvalidParameterCombination",
                    "Please only provide LogGroupName or only provide LogDestination.",
                ));
            }
            if i.log_group_name.is_none() && i.log_destination.is_none() {
                return Err(invalid_parameter(
                    "LogDestination can't be empty if LogGroupName is not provided.",
                ));
            }
            if i.deliver_logs_permission_arn.is_none() {
                return Err(invalid_parameter(
                    "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.",
                ));
            }
            let group = match (&i.log_group_name, &i.log_destination) {
                (Some(g), _) => g.clone(),
                (None, Some(arn)) => arn
                    .strip_prefix("arn:aws:logs:")
                    .and_then(|r| r.split(":log-group:").nth(1))
                    .map(|g| g.trim_end_matches(":*").to_string())
                    .ok_or_else(|| {
                        invalid_parameter(format!(
                            "LogDestination: {arn} is not a valid CloudWatch Logs log group ARN."
                        ))
                    })?,
                (None, None) => unreachable!("checked above"),
            };
            Ok((kind, i.log_destination.clone(), Some(group)))
        }
        "s3" | "kinesis-data-firehose" => {
            if i.log_group_name.is_some() {
                return Err(invalid_parameter(format!(
                    "LogGroupName can't be given if LogDestinationType is {kind}."
                )));
            }
            let dest = i.log_destination.clone().ok_or_else(|| {
                invalid_parameter(format!(
                    "LogDestination can't be empty if LogDestinationType is {kind}."
                ))
            })?;
            let prefix = if kind == "s3" {
                "arn:aws:s3:::"
            } else {
                "arn:aws:firehose:"
            };
            if !dest.starts_with(prefix) {
                return Err(invalid_parameter(format!(
                    "LogDestination: {dest} is not a valid {kind} destination ARN."
                )));
            }
            Ok((kind, Some(dest), None))
        }
        other => Err(invalid(format!(
            "Value ({other}) for parameter logDestinationType is invalid. Valid values are cloud-watch-logs, s3 and kinesis-data-firehose."
        ))),
    }
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateFlowLogsRequest,
) -> Result<CreateFlowLogsResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "vpc-flow-log")?;
    let traffic = i.traffic_type.clone().unwrap_or_else(|| "ALL".into());
    if !["ACCEPT", "REJECT", "ALL"].contains(&traffic.as_str()) {
        return Err(invalid(format!(
            "Value ({traffic}) for parameter trafficType is invalid. Valid values are ACCEPT, REJECT and ALL."
        )));
    }
    let interval = i.max_aggregation_interval.unwrap_or(600);
    if interval != 60 && interval != 600 {
        return Err(invalid_parameter(
            "Invalid Flow Log Max Aggregation Interval",
        ));
    }
    let (kind, dest, group) = destination(&i)?;
    if i.resource_ids.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter resourceIds",
        ));
    }
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    for id in &i.resource_ids {
        check_resource(&s, &i.resource_type, id)?;
    }
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let opts = i.destination_options.as_ref();
    let mut ids = Vec::new();
    let mut unsuccessful = Vec::new();
    for id in &i.resource_ids {
        let duplicate = s.flow_logs.values().any(|f| {
            &f.resource == id
                && f.traffic_type == traffic
                && f.destination_type == kind
                && f.destination == dest
                && f.log_group == group
        });
        if duplicate {
            unsuccessful.push(UnsuccessfulItem {
                error: Some(UnsuccessfulItemError {
                    code: Some("FlowLogAlreadyExists".into()),
                    message: Some(
                        "Error. There is an existing Flow Log with the same configuration and log destination."
                            .into(),
                    ),
                }),
                resource_id: Some(id.clone()),
            });
            continue;
        }
        let f = FlowLogRec {
            id: new_id("fl"),
            resource: id.clone(),
            traffic_type: traffic.clone(),
            destination_type: kind.clone(),
            destination: dest.clone(),
            log_group: group.clone(),
            role_arn: i.deliver_logs_permission_arn.clone(),
            format: i
                .log_format
                .clone()
                .unwrap_or_else(|| DEFAULT_FORMAT.into()),
            max_aggregation_interval: interval,
            file_format: opts.and_then(|o| o.file_format.clone()),
            hive_compatible_partitions: opts.and_then(|o| o.hive_compatible_partitions),
            per_hour_partition: opts.and_then(|o| o.per_hour_partition),
            created: now,
            tags: tags.clone(),
        };
        ids.push(f.id.clone());
        s.flow_logs.insert(f.id.clone(), f);
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateFlowLogsResult {
        client_token: i.client_token,
        flow_log_ids: Some(ids),
        unsuccessful: Some(unsuccessful),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteFlowLogsRequest,
) -> Result<DeleteFlowLogsResult, AwsError> {
    if i.flow_log_ids.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter flowLogIds",
        ));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let mut unsuccessful = Vec::new();
    for id in &i.flow_log_ids {
        if s.flow_logs.remove(id).is_none() {
            unsuccessful.push(UnsuccessfulItem {
                error: Some(UnsuccessfulItemError {
                    code: Some("InvalidFlowLogId.NotFound".into()),
                    message: Some(format!("Flow log {id} does not exist")),
                }),
                resource_id: Some(id.clone()),
            });
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteFlowLogsResult {
        unsuccessful: Some(unsuccessful),
    })
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeFlowLogsRequest,
) -> Result<DescribeFlowLogsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let filters = i.filter.clone().unwrap_or_default();
    let mut res = Vec::new();
    for f in s.flow_logs.values() {
        if i.flow_log_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&f.id))
        {
            continue;
        }
        if matches(f, &filters)? {
            res.push(out(f));
        }
    }
    let (flow_logs, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeFlowLogsResult {
        flow_logs: Some(flow_logs),
        next_token,
    })
}
