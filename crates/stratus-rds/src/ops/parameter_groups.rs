//! DB parameter groups: the `default.<family>` groups AWS provides, and
//! the caller's own, whose values override the family's defaults.

use stratus_core::{AwsError, RequestContext};

use super::common::{filters, my_key, page, param_group_not_found, passes, tags_in};
use crate::Rds;
use crate::catalogue::{self, FAMILIES};
use crate::generated::*;
use crate::names;
use crate::state::{Inner, ParamGroupRec, key};
use crate::validate::{group_name, invalid_combination, invalid_value};

pub fn default_name(family: &str) -> String {
    format!("default.{family}")
}

fn is_default(name: &str) -> bool {
    name.starts_with("default.")
}

/// A group by name: one of the caller's, or a family's default.
pub fn find(inner: &Inner, ctx: &RequestContext, name: &str) -> Option<ParamGroupRec> {
    let lower = name.to_ascii_lowercase();
    if let Some(family) = lower.strip_prefix("default.") {
        return FAMILIES.contains(&family).then(|| ParamGroupRec {
            account: ctx.account_id().to_string(),
            region: ctx.region.clone(),
            name: lower.clone(),
            family: family.to_string(),
            description: format!("Default parameter group for {family}"),
            ..Default::default()
        });
    }
    inner.param_groups.get(&my_key(ctx, &lower)).cloned()
}

fn render(g: &ParamGroupRec) -> DBParameterGroup {
    DBParameterGroup {
        db_parameter_group_name: Some(g.name.clone()),
        db_parameter_group_family: Some(g.family.clone()),
        description: Some(g.description.clone()),
        db_parameter_group_arn: Some(names::arn(&g.region, &g.account, "pg", &g.name)),
    }
}

pub fn create_db_parameter_group(
    me: &Rds,
    ctx: &RequestContext,
    input: CreateDBParameterGroupMessage,
) -> Result<CreateDBParameterGroupResult, AwsError> {
    let name = input.db_parameter_group_name.to_ascii_lowercase();
    group_name("DBParameterGroupName", &name)?;
    if is_default(&name) {
        return Err(invalid_value(
            "The parameter DBParameterGroupName must not begin with 'default.'",
        ));
    }
    let family = input.db_parameter_group_family.to_ascii_lowercase();
    if catalogue::family_engine(&family).is_none() {
        return Err(invalid_value(format!(
            "The parameter DBParameterGroupFamily is not valid: {}",
            input.db_parameter_group_family
        )));
    }
    let tags = tags_in(input.tags)?;
    let mut txn = me.state.begin();
    let k = key(ctx.account_id(), &ctx.region, &name);
    if txn.inner.param_groups.contains_key(&k) {
        return Err(AwsError::bad_request(
            "DBParameterGroupAlreadyExists",
            format!("Parameter group {name} already exists"),
        ));
    }
    let rec = ParamGroupRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name,
        family,
        description: input.description,
        values: Default::default(),
        tags,
    };
    let out = render(&rec);
    txn.inner.param_groups.insert(k.clone(), rec);
    txn.put_param_group(&k)?;
    txn.commit()?;
    Ok(CreateDBParameterGroupResult {
        db_parameter_group: Some(out),
    })
}

pub fn describe_db_parameter_groups(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBParameterGroupsMessage,
) -> Result<DBParameterGroupsMessage, AwsError> {
    filters(input.filters, &[])?;
    let inner = me.state.read();
    let groups: Vec<DBParameterGroup> = match &input.db_parameter_group_name {
        Some(n) => vec![render(
            &find(&inner, ctx, n).ok_or_else(|| param_group_not_found(n))?,
        )],
        None => FAMILIES
            .iter()
            .filter_map(|f| find(&inner, ctx, &default_name(f)))
            .chain(
                inner
                    .param_groups
                    .values()
                    .filter(|g| g.account == ctx.account_id() && g.region == ctx.region)
                    .cloned(),
            )
            .map(|g| render(&g))
            .collect(),
    };
    let (items, marker) = page(groups, input.marker.as_deref(), input.max_records)?;
    Ok(DBParameterGroupsMessage {
        marker,
        db_parameter_groups: Some(items),
    })
}

pub fn delete_db_parameter_group(
    me: &Rds,
    ctx: &RequestContext,
    input: DeleteDBParameterGroupMessage,
) -> Result<(), AwsError> {
    let name = input.db_parameter_group_name.to_ascii_lowercase();
    if is_default(&name) {
        return Err(AwsError::bad_request(
            "InvalidDBParameterGroupState",
            format!("Default DBParameterGroup cannot be deleted: {name}"),
        ));
    }
    let k = my_key(ctx, &name);
    let mut txn = me.state.begin();
    if !txn.inner.param_groups.contains_key(&k) {
        return Err(param_group_not_found(&input.db_parameter_group_name));
    }
    let used = txn.inner.instances.values().any(|i| {
        i.account == ctx.account_id() && i.region == ctx.region && i.parameter_group == name
    });
    if used {
        return Err(AwsError::bad_request(
            "InvalidDBParameterGroupState",
            format!(
                "One or more database instances are still members of this parameter group {name}, so the group cannot be deleted"
            ),
        ));
    }
    txn.delete_param_group(&k);
    txn.commit()
}

pub fn modify_db_parameter_group(
    me: &Rds,
    ctx: &RequestContext,
    input: ModifyDBParameterGroupMessage,
) -> Result<DBParameterGroupNameMessage, AwsError> {
    let name = input.db_parameter_group_name.to_ascii_lowercase();
    if is_default(&name) {
        return Err(invalid_value(format!(
            "The parameter group {name} can't be modified. Default parameter groups can't be modified."
        )));
    }
    if input.parameters.is_empty() || input.parameters.len() > 20 {
        return Err(invalid_value(
            "The parameter Parameters must contain between 1 and 20 parameters.",
        ));
    }
    let k = my_key(ctx, &name);
    let mut txn = me.state.begin();
    let family = txn
        .inner
        .param_groups
        .get(&k)
        .map(|g| g.family.clone())
        .ok_or_else(|| param_group_not_found(&input.db_parameter_group_name))?;
    let known = catalogue::parameters(&family);
    let mut changes = Vec::new();
    for p in &input.parameters {
        let pname = p.parameter_name.clone().unwrap_or_default();
        let info = known
            .iter()
            .find(|k| k.name == pname)
            .ok_or_else(|| invalid_value(format!("Could not find parameter with name: {pname}")))?;
        if !info.modifiable {
            return Err(invalid_value(format!(
                "parameter {pname} is not modifiable"
            )));
        }
        let method = p.apply_method.as_deref().ok_or_else(|| {
            invalid_value(format!(
                "ApplyMethod must be specified for parameter {pname}"
            ))
        })?;
        if method == "immediate" && info.apply_type == "static" {
            return Err(invalid_combination(format!(
                "cannot use immediate apply method for static parameter {pname}"
            )));
        }
        let value = p.parameter_value.clone().unwrap_or_default();
        if !catalogue::allowed(info, &value) {
            return Err(invalid_value(format!(
                "Value: {value} is outside of range: {} for parameter: {pname}",
                info.allowed
            )));
        }
        changes.push((pname, value, method == "immediate"));
    }
    let g = txn.inner.param_groups.get_mut(&k).expect("checked");
    let (mut at_once, mut at_reboot) = (false, false);
    for (n, v, immediate) in changes {
        g.values.insert(n, v);
        at_once |= immediate;
        at_reboot |= !immediate;
    }
    txn.put_param_group(&k)?;
    // The instances of the group take the new values: dynamic ones at
    // once, the others at their next reboot.
    let members: Vec<String> = txn
        .inner
        .instances
        .iter()
        .filter(|(_, i)| {
            i.account == ctx.account_id() && i.region == ctx.region && i.parameter_group == name
        })
        .map(|(ik, _)| ik.clone())
        .collect();
    for ik in members {
        if let Some(i) = txn.inner.instances.get_mut(&ik) {
            i.params_applying |= at_once;
            i.params_pending_reboot |= at_reboot;
        }
        txn.put_instance(&ik)?;
    }
    txn.commit()?;
    Ok(DBParameterGroupNameMessage {
        db_parameter_group_name: Some(name),
    })
}

pub fn describe_db_parameters(
    me: &Rds,
    ctx: &RequestContext,
    input: DescribeDBParametersMessage,
) -> Result<DBParameterGroupDetails, AwsError> {
    let f = filters(input.filters, &["parameter-name", "apply-method"])?;
    let g = {
        let inner = me.state.read();
        find(&inner, ctx, &input.db_parameter_group_name)
            .ok_or_else(|| param_group_not_found(&input.db_parameter_group_name))?
    };
    if let Some(s) = &input.source {
        if !matches!(s.as_str(), "user" | "system" | "engine-default") {
            return Err(invalid_value(format!("Invalid source: {s}")));
        }
    }
    let params: Vec<Parameter> = catalogue::parameters(&g.family)
        .iter()
        .map(|p| {
            let user = g.values.get(p.name);
            let source = if user.is_some() {
                "user"
            } else if p.default.is_some() {
                "system"
            } else {
                "engine-default"
            };
            Parameter {
                parameter_name: Some(p.name.to_string()),
                parameter_value: user.cloned().or(p.default.map(str::to_string)),
                description: Some(p.description.to_string()),
                source: Some(source.to_string()),
                apply_type: Some(p.apply_type.to_string()),
                data_type: Some(p.data_type.to_string()),
                allowed_values: (!p.allowed.is_empty()).then(|| p.allowed.to_string()),
                is_modifiable: Some(p.modifiable),
                apply_method: Some(
                    if p.apply_type == "static" {
                        "pending-reboot"
                    } else {
                        "immediate"
                    }
                    .to_string(),
                ),
                ..Default::default()
            }
        })
        .filter(|p| input.source.is_none() || p.source == input.source)
        .filter(|p| {
            passes(
                &f,
                "parameter-name",
                &[p.parameter_name.as_deref().unwrap_or("")],
            )
        })
        .filter(|p| {
            passes(
                &f,
                "apply-method",
                &[p.apply_method.as_deref().unwrap_or("")],
            )
        })
        .collect();
    let (items, marker) = page(params, input.marker.as_deref(), input.max_records)?;
    Ok(DBParameterGroupDetails {
        parameters: Some(items),
        marker,
    })
}
