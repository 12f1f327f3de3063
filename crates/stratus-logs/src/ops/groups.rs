//! Log groups: create, delete, describe, retention, KMS keys, deletion protection.

use stratus_core::{AwsError, RequestContext};

use crate::Logs;
use crate::errors::{already_exists, group_not_found, invalid};
use crate::generated::*;
use crate::ops::{group_name, name_or_identifier};
use crate::paging;
use crate::state::Group;

/// The retention periods AWS offers, in days.
pub const RETENTION_DAYS: [i32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const MAX_TAGS: usize = 50;

pub fn create_log_group(
    me: &Logs,
    ctx: &RequestContext,
    input: CreateLogGroupRequest,
) -> Result<(), AwsError> {
    let name = input.log_group_name;
    if name.len() >= 4 && name[..4].eq_ignore_ascii_case("aws/") {
        return Err(invalid(
            "Log groups starting with AWS/ are reserved for AWS.",
        ));
    }
    let tags = input.tags.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(crate::ops::tags::too_many_tags(&name));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let r = txn.inner.region(&account, &region);
    if r.groups.contains_key(&name) {
        return Err(already_exists("The specified log group already exists"));
    }
    r.groups.insert(
        name.clone(),
        Group {
            account: account.clone(),
            region: region.clone(),
            name: name.clone(),
            created_ms: ctx.clock.now_millis(),
            retention_days: None,
            kms_key_id: input.kms_key_id,
            class: input
                .log_group_class
                .unwrap_or_else(|| "STANDARD".to_string()),
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            tags,
            ..Default::default()
        },
    );
    txn.put_group(&account, &region, &name)?;
    txn.commit()
}

pub fn delete_log_group(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteLogGroupRequest,
) -> Result<(), AwsError> {
    let name = input.log_group_name;
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let r = txn.inner.region(&account, &region);
    let g = r.groups.get(&name).ok_or_else(group_not_found)?;
    if g.deletion_protection {
        return Err(AwsError::bad_request(
            "ValidationException",
            "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
        ));
    }
    r.groups.remove(&name);
    txn.delete_group(&account, &region, &name);
    txn.commit()
}

pub fn describe_log_groups(
    me: &Logs,
    ctx: &RequestContext,
    input: DescribeLogGroupsRequest,
) -> Result<DescribeLogGroupsResponse, AwsError> {
    if input.log_group_name_prefix.is_some() && input.log_group_name_pattern.is_some() {
        return Err(invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let idents: Option<Vec<String>> = input
        .log_group_identifiers
        .map(|v| v.iter().map(|i| group_name(i)).collect());
    let inner = me.state.read();
    let groups: Vec<LogGroup> = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .map(|r| {
            r.groups
                .values()
                .filter(|g| {
                    input
                        .log_group_name_prefix
                        .as_deref()
                        .is_none_or(|p| g.name.starts_with(p))
                        && input
                            .log_group_name_pattern
                            .as_deref()
                            .is_none_or(|p| g.name.contains(p))
                        && input
                            .log_group_class
                            .as_deref()
                            .is_none_or(|c| g.class == c)
                        && idents.as_ref().is_none_or(|ids| ids.contains(&g.name))
                })
                .map(describe)
                .collect()
        })
        .unwrap_or_default();
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 50) as usize;
    let (page, next) = paging::slice(&groups, "lg", input.next_token.as_deref(), limit)?;
    Ok(DescribeLogGroupsResponse {
        log_groups: Some(page),
        next_token: next,
    })
}

fn describe(g: &Group) -> LogGroup {
    LogGroup {
        log_group_name: Some(g.name.clone()),
        creation_time: Some(g.created_ms),
        retention_in_days: g.retention_days,
        metric_filter_count: Some(g.metric_filters.len() as i32),
        arn: Some(format!("{}:*", g.arn())),
        stored_bytes: Some(g.stored_bytes()),
        kms_key_id: g.kms_key_id.clone(),
        log_group_class: Some(g.class.clone()),
        log_group_arn: Some(g.arn()),
        deletion_protection_enabled: Some(g.deletion_protection),
        ..Default::default()
    }
}

/// Changes one group under the lock and writes it.
pub(crate) fn update(
    me: &Logs,
    ctx: &RequestContext,
    name: &str,
    change: impl FnOnce(&mut Group) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut txn = me.state.begin();
    let g = txn
        .inner
        .region(&account, &region)
        .groups
        .get_mut(name)
        .ok_or_else(group_not_found)?;
    change(g)?;
    txn.put_group(&account, &region, name)?;
    txn.commit()
}

pub fn put_retention_policy(
    me: &Logs,
    ctx: &RequestContext,
    input: PutRetentionPolicyRequest,
) -> Result<(), AwsError> {
    let days = input.retention_in_days;
    if !RETENTION_DAYS.contains(&days) {
        let set = RETENTION_DAYS
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(invalid(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{set}]"
        )));
    }
    update(me, ctx, &input.log_group_name, |g| {
        g.retention_days = Some(days);
        Ok(())
    })
}

pub fn delete_retention_policy(
    me: &Logs,
    ctx: &RequestContext,
    input: DeleteRetentionPolicyRequest,
) -> Result<(), AwsError> {
    update(me, ctx, &input.log_group_name, |g| {
        g.retention_days = None;
        Ok(())
    })
}

pub fn put_log_group_deletion_protection(
    me: &Logs,
    ctx: &RequestContext,
    input: PutLogGroupDeletionProtectionRequest,
) -> Result<(), AwsError> {
    let name = group_name(&input.log_group_identifier);
    update(me, ctx, &name, |g| {
        g.deletion_protection = input.deletion_protection_enabled;
        Ok(())
    })
}

fn kms_target(name: Option<&str>, ident: Option<&str>) -> Result<String, AwsError> {
    match (name, ident) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and resource identifier are mutually exclusive parameters.",
        )),
        (None, None) => Err(invalid(
            "Should provide either logGroupName or resourceIdentifier.",
        )),
        (n, i) => name_or_identifier(n, i),
    }
}

pub fn associate_kms_key(
    me: &Logs,
    ctx: &RequestContext,
    input: AssociateKmsKeyRequest,
) -> Result<(), AwsError> {
    let name = kms_target(
        input.log_group_name.as_deref(),
        input.resource_identifier.as_deref(),
    )?;
    if !input.kms_key_id.starts_with("arn:") || !input.kms_key_id.contains(":kms:") {
        return Err(invalid(format!(
            "Specified KMS key {} is not a valid KMS key ARN.",
            input.kms_key_id
        )));
    }
    update(me, ctx, &name, |g| {
        g.kms_key_id = Some(input.kms_key_id);
        Ok(())
    })
}

pub fn disassociate_kms_key(
    me: &Logs,
    ctx: &RequestContext,
    input: DisassociateKmsKeyRequest,
) -> Result<(), AwsError> {
    let name = kms_target(
        input.log_group_name.as_deref(),
        input.resource_identifier.as_deref(),
    )?;
    update(me, ctx, &name, |g| {
        g.kms_key_id = None;
        Ok(())
    })
}

/// `logGroupNamePattern` is a case-sensitive regular expression here
/// (`^/aws/lambda|discovery`), unlike DescribeLogGroups' substring.
pub fn list_log_groups(
    me: &Logs,
    ctx: &RequestContext,
    input: ListLogGroupsRequest,
) -> Result<ListLogGroupsResponse, AwsError> {
    let re = input
        .log_group_name_pattern
        .as_deref()
        .map(|p| {
            regress::Regex::new(p)
                .map_err(|e| invalid(format!("Invalid logGroupNamePattern {p}: {e}")))
        })
        .transpose()?;
    let tag_filters = input.log_group_tags.unwrap_or_default();
    let inner = me.state.read();
    let all: Vec<LogGroupSummary> = inner
        .region_ref(ctx.account_id(), &ctx.region)
        .map(|r| {
            r.groups
                .values()
                .filter(|g| re.as_ref().is_none_or(|re| re.find(&g.name).is_some()))
                .filter(|g| {
                    input
                        .log_group_class
                        .as_deref()
                        .is_none_or(|c| g.class == c)
                })
                .filter(|g| {
                    tag_filters.iter().all(|f| {
                        g.tags.get(&f.key).is_some_and(|v| {
                            f.values
                                .as_ref()
                                .is_none_or(|vs| vs.is_empty() || vs.contains(v))
                        })
                    })
                })
                .map(|g| LogGroupSummary {
                    log_group_name: Some(g.name.clone()),
                    log_group_arn: Some(g.arn()),
                    log_group_class: Some(g.class.clone()),
                })
                .collect()
        })
        .unwrap_or_default();
    drop(inner);
    let limit = input.limit.unwrap_or(50).clamp(1, 1000) as usize;
    let (page, next) = paging::slice(&all, "llg", input.next_token.as_deref(), limit)?;
    Ok(ListLogGroupsResponse {
        log_groups: Some(page),
        next_token: next,
    })
}
