//! Option groups: the `default:<engine>-<major>` groups AWS provides, and
//! the caller's own with their options. Stored only: no option changes
//! what a server does.

use stratus_core::{AwsError, RequestContext};

use super::common::{my_key, page, tags_in};
use crate::Rds;
use crate::catalogue::{self, FAMILIES};
use crate::generated::*;
use crate::names;
use crate::state::{Inner, OptionGroupRec, OptionRec, key};
use crate::validate::{group_name, invalid_value};

/// Option groups per account and region, AWS's default quota.
const OPTION_GROUP_QUOTA: usize = 20;

/// The options an engine offers here: MySQL's and MariaDB's audit plugin
/// (PostgreSQL has no options on RDS).
const OPTIONS: &[(&str, &str)] = &[("MARIADB_AUDIT_PLUGIN", "MariaDB Audit Plugin")];

fn engine_options(engine: &str) -> &'static [(&'static str, &'static str)] {
    if engine == "postgres" { &[] } else { OPTIONS }
}

/// `default:mysql-8-0` for mysql 8.0.
pub fn default_name(engine: &str, major: &str) -> String {
    format!("default:{engine}-{}", major.replace('.', "-"))
}

/// The (engine, major version) pairs of the catalogue.
fn majors() -> Vec<(String, String)> {
    FAMILIES
        .iter()
        .filter_map(|f| {
            let engine = catalogue::family_engine(f)?;
            let major = f.strip_prefix(engine)?;
            Some((engine.to_string(), major.to_string()))
        })
        .collect()
}

fn not_found(name: &str) -> AwsError {
    AwsError::not_found(
        "OptionGroupNotFoundFault",
        format!("Specified OptionGroupName: {name} not found."),
    )
}

fn invalid_state(message: String) -> AwsError {
    AwsError::bad_request("InvalidOptionGroupStateFault", message)
}

/// A group by name: one of the caller's, or an engine's default.
pub fn find(inner: &Inner, ctx: &RequestContext, name: &str) -> Option<OptionGroupRec> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("default:") {
        return majors()
            .into_iter()
            .find(|(e, m)| default_name(e, m) == lower)
            .map(|(engine, major)| OptionGroupRec {
                account: ctx.account_id().to_string(),
                region: ctx.region.clone(),
                name: lower.clone(),
                description: format!("Default option group for {engine} {major}"),
                engine,
                major,
                ..Default::default()
            });
    }
    inner.option_groups.get(&my_key(ctx, &lower)).cloned()
}

/// The group an instance of `engine` `version` may use, checked.
pub fn check_for_instance(
    inner: &Inner,
    ctx: &RequestContext,
    name: &str,
    engine: &str,
    version: &str,
) -> Result<String, AwsError> {
    let g = find(inner, ctx, name).ok_or_else(|| not_found(name))?;
    let major = catalogue::major(engine, version);
    if g.engine != engine || g.major != major {
        return Err(crate::validate::invalid_combination(format!(
            "The option group {} is for {} {}, not {engine} {major}.",
            g.name, g.engine, g.major
        )));
    }
    Ok(g.name)
}

fn render(g: &OptionGroupRec) -> OptionGroup {
    OptionGroup {
        option_group_name: Some(g.name.clone()),
        option_group_description: Some(g.description.clone()),
        engine_name: Some(g.engine.clone()),
        major_engine_version: Some(g.major.clone()),
        options: Some(
            g.options
                .iter()
                .map(|o| ShapeOption {
                    option_name: Some(o.name.clone()),
                    option_description: engine_options(&g.engine)
                        .iter()
                        .find(|(n, _)| *n == o.name)
                        .map(|(_, d)| d.to_string()),
                    persistent: Some(false),
                    permanent: Some(false),
                    port: o.port,
                    option_version: o.version.clone(),
                    option_settings: Some(
                        o.settings
                            .iter()
                            .map(|(n, v)| OptionSetting {
                                name: Some(n.clone()),
                                value: Some(v.clone()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                    db_security_group_memberships: Some(Vec::new()),
                    vpc_security_group_memberships: Some(
                        o.security_groups
                            .iter()
                            .map(|id| VpcSecurityGroupMembership {
                                vpc_security_group_id: Some(id.clone()),
                                status: Some("active".into()),
                            })
                            .collect(),
                    ),
                })
                .collect(),
        ),
        allows_vpc_and_non_vpc_instance_memberships: Some(true),
        option_group_arn: Some(names::arn(&g.region, &g.account, "og", &g.name)),
        source_option_group: g.source.clone(),
        copy_timestamp: g.copied_ms.map(stratus_protocol::Timestamp),
        ..Default::default()
    }
}

fn check_new(inner: &Inner, ctx: &RequestContext, name: &str) -> Result<String, AwsError> {
    let name = name.to_ascii_lowercase();
    group_name("OptionGroupName", &name)?;
    if name.starts_with("default:") || name.starts_with("default-") {
        return Err(invalid_value(
            "The parameter OptionGroupName must not begin with 'default'.",
        ));
    }
    if inner.option_groups.contains_key(&my_key(ctx, &name)) {
        return Err(AwsError::bad_request(
            "OptionGroupAlreadyExistsFault",
            format!("Option group {name} already exists."),
        ));
    }
    let mine = inner
        .option_groups
        .values()
        .filter(|g| g.account == ctx.account_id() && g.region == ctx.region)
        .count();
    if mine >= OPTION_GROUP_QUOTA {
        return Err(AwsError::bad_request(
            "OptionGroupQuotaExceededFault",
            format!("Cannot create more than {OPTION_GROUP_QUOTA} option groups."),
        ));
    }
    Ok(name)
}

pub fn create_option_group(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateOptionGroupMessage,
) -> Result<CreateOptionGroupResult, AwsError> {
    let engine = input.engine_name.to_ascii_lowercase();
    let major = input.major_engine_version.clone();
    if !majors().iter().any(|(e, m)| *e == engine && *m == major) {
        return Err(invalid_value(format!(
            "Invalid engine name or major engine version: {} {}",
            input.engine_name, input.major_engine_version
        )));
    }
    let tags = tags_in(input.tags)?;
    let mut txn = me.state.begin();
    let name = check_new(&txn.inner, ctx, &input.option_group_name)?;
    let rec = OptionGroupRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: name.clone(),
        engine,
        major,
        description: input.option_group_description,
        tags,
        ..Default::default()
    };
    let out = render(&rec);
    let k = key(ctx.account_id(), &ctx.region, &name);
    txn.inner.option_groups.insert(k.clone(), rec);
    txn.put_option_group(&k)?;
    txn.commit()?;
    Ok(CreateOptionGroupResult {
        option_group: Some(out),
    })
}

pub fn copy_option_group(
    me: &Rds,
    ctx: &RequestContext,
    input: CopyOptionGroupMessage,
) -> Result<CopyOptionGroupResult, AwsError> {
    let tags = tags_in(input.tags)?;
    let now = ctx.clock.now_millis();
    let mut txn = me.state.begin();
    let src = find(&txn.inner, ctx, &input.source_option_group_identifier)
        .ok_or_else(|| not_found(&input.source_option_group_identifier))?;
    let name = check_new(&txn.inner, ctx, &input.target_option_group_identifier)?;
    let rec = OptionGroupRec {
        name: name.clone(),
        description: input.target_option_group_description,
        source: Some(src.name.clone()),
        copied_ms: Some(now),
        tags,
        ..src
    };
    let out = render(&rec);
    let k = key(ctx.account_id(), &ctx.region, &name);
    txn.inner.option_groups.insert(k.clone(), rec);
    txn.put_option_group(&k)?;
    txn.commit()?;
    Ok(CopyOptionGroupResult {
        option_group: Some(out),
    })
}

pub fn describe_option_groups(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeOptionGroupsMessage,
) -> Result<OptionGroups, AwsError> {
    super::common::filters(input.filters, &[])?;
    let inner = me.state.read();
    let groups: Vec<OptionGroupRec> = match &input.option_group_name {
        Some(n) => vec![find(&inner, ctx, n).ok_or_else(|| not_found(n))?],
        None => majors()
            .iter()
            .filter_map(|(e, m)| find(&inner, ctx, &default_name(e, m)))
            .chain(
                inner
                    .option_groups
                    .values()
                    .filter(|g| g.account == ctx.account_id() && g.region == ctx.region)
                    .cloned(),
            )
            .collect(),
    };
    let groups: Vec<OptionGroup> = groups
        .iter()
        .filter(|g| {
            input
                .engine_name
                .as_ref()
                .is_none_or(|e| e.eq_ignore_ascii_case(&g.engine))
                && input
                    .major_engine_version
                    .as_ref()
                    .is_none_or(|m| *m == g.major)
        })
        .map(render)
        .collect();
    let (items, marker) = page(groups, input.marker.as_deref(), input.max_records)?;
    Ok(OptionGroups {
        option_groups_list: Some(items),
        marker,
    })
}

pub fn modify_option_group(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyOptionGroupMessage,
) -> Result<ModifyOptionGroupResult, AwsError> {
    let name = input.option_group_name.to_ascii_lowercase();
    let mut txn = me.state.begin();
    let g = find(&txn.inner, ctx, &name).ok_or_else(|| not_found(&name))?;
    if name.starts_with("default:") {
        return Err(invalid_state(format!(
            "Default option group {name} cannot be modified."
        )));
    }
    let include = input.options_to_include.unwrap_or_default();
    let remove = input.options_to_remove.unwrap_or_default();
    if include.is_empty() && remove.is_empty() {
        return Err(invalid_value(
            "At least one option must be added, modified, or removed.",
        ));
    }
    let mut options = g.options.clone();
    for o in include {
        if !engine_options(&g.engine)
            .iter()
            .any(|(n, _)| *n == o.option_name)
        {
            return Err(invalid_value(format!(
                "Option {} is not available for {} {}.",
                o.option_name, g.engine, g.major
            )));
        }
        let rec = OptionRec {
            name: o.option_name.clone(),
            port: o.port,
            version: o.option_version,
            settings: o
                .option_settings
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| Some((s.name?, s.value.unwrap_or_default())))
                .collect(),
            security_groups: o.vpc_security_group_memberships.unwrap_or_default(),
        };
        match options.iter_mut().find(|x| x.name == rec.name) {
            Some(x) => *x = rec,
            None => options.push(rec),
        }
    }
    for r in remove {
        if !options.iter().any(|x| x.name == r) {
            return Err(invalid_value(format!(
                "Option {r} is not part of option group {name}."
            )));
        }
        options.retain(|x| x.name != r);
    }
    let k = my_key(ctx, &name);
    let rec = txn.inner.option_groups.get_mut(&k).expect("found above");
    rec.options = options;
    let out = render(rec);
    txn.put_option_group(&k)?;
    txn.commit()?;
    Ok(ModifyOptionGroupResult {
        option_group: Some(out),
    })
}

pub fn delete_option_group(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteOptionGroupMessage,
) -> Result<(), AwsError> {
    let name = input.option_group_name.to_ascii_lowercase();
    if name.starts_with("default:") {
        return Err(invalid_state(format!(
            "Default option group {name} cannot be deleted."
        )));
    }
    let k = my_key(ctx, &name);
    let mut txn = me.state.begin();
    if !txn.inner.option_groups.contains_key(&k) {
        return Err(not_found(&input.option_group_name));
    }
    let used = txn.inner.instances.values().any(|i| {
        i.account == ctx.account_id()
            && i.region == ctx.region
            && i.option_group.as_deref() == Some(name.as_str())
    });
    if used {
        return Err(invalid_state(format!(
            "The option group '{name}' cannot be deleted because it is in use."
        )));
    }
    txn.delete_option_group(&k);
    txn.commit()
}

pub fn describe_option_group_options(
    _me: &Rds,
    _ctx: &RequestContext,
    input: DescribeOptionGroupOptionsMessage,
) -> Result<OptionGroupOptionsMessage, AwsError> {
    super::common::filters(input.filters, &[])?;
    let engine = input.engine_name.to_ascii_lowercase();
    if !majors().iter().any(|(e, _)| *e == engine) {
        return Err(invalid_value(format!(
            "Invalid DB engine: {}",
            input.engine_name
        )));
    }
    let options: Vec<OptionGroupOption> = majors()
        .into_iter()
        .filter(|(e, m)| *e == engine && input.major_engine_version.as_ref().is_none_or(|v| v == m))
        .flat_map(|(e, m)| {
            engine_options(&e)
                .iter()
                .map(move |(n, d)| OptionGroupOption {
                    name: Some(n.to_string()),
                    description: Some(d.to_string()),
                    engine_name: Some(e.clone()),
                    major_engine_version: Some(m.clone()),
                    port_required: Some(false),
                    persistent: Some(false),
                    permanent: Some(false),
                    vpc_only: Some(false),
                    ..Default::default()
                })
        })
        .collect();
    let (items, marker) = page(options, input.marker.as_deref(), input.max_records)?;
    Ok(OptionGroupOptionsMessage {
        option_group_options: Some(items),
        marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_groups_are_named_by_engine_and_major() {
        assert_eq!(default_name("mysql", "8.0"), "default:mysql-8-0");
        assert_eq!(default_name("postgres", "15"), "default:postgres-15");
        let m = majors();
        assert!(m.contains(&("mariadb".to_string(), "10.11".to_string())));
        assert!(m.contains(&("postgres".to_string(), "16".to_string())));
    }

    #[test]
    fn postgres_has_no_options() {
        assert!(engine_options("postgres").is_empty());
        assert_eq!(engine_options("mariadb")[0].0, "MARIADB_AUDIT_PLUGIN");
    }
}
