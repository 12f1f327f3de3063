//! Listener rules: conditions and actions, priorities unique per listener,
//! and the default rule each listener has, shown as AWS shows it.

use stratus_core::{AwsError, RequestContext};

use super::common::{listener, owned, page, rule, tags_in};
use crate::Elbv2;
use crate::actions;
use crate::conditions;
use crate::errors::{operation_not_permitted, rules_not_found, validation};
use crate::generated::*;
use crate::monitor::refresh_usage;
use crate::names;
use crate::policies::limit;
use crate::state::{ConditionRec, Inner, ListenerRec, RuleRec};

fn view(r: &RuleRec) -> Rule {
    Rule {
        rule_arn: Some(r.arn.clone()),
        priority: Some(r.priority.to_string()),
        conditions: Some(r.conditions.iter().map(conditions::to_api).collect()),
        actions: Some(r.actions.iter().map(actions::to_api).collect()),
        is_default: Some(false),
        transforms: r.transforms.as_ref().and_then(actions::shape_of),
    }
}

fn default_view(l: &ListenerRec) -> Rule {
    Rule {
        rule_arn: Some(l.default_rule_arn.clone()),
        priority: Some("default".into()),
        conditions: Some(Vec::new()),
        actions: Some(l.default_actions.iter().map(actions::to_api).collect()),
        is_default: Some(true),
        transforms: None,
    }
}

/// The listener whose default rule this ARN is.
pub fn default_rule_owner<'a>(inner: &'a Inner, arn: &str) -> Option<&'a ListenerRec> {
    inner.listeners.values().find(|l| l.default_rule_arn == arn)
}

fn conditions_in(conds: Vec<RuleCondition>) -> Result<Vec<ConditionRec>, AwsError> {
    let recs = conds
        .into_iter()
        .map(conditions::from_api)
        .collect::<Result<Vec<_>, _>>()?;
    conditions::validate(&recs)?;
    Ok(recs)
}

fn priority_in_use(priority: i32) -> AwsError {
    AwsError::bad_request(
        "PriorityInUseException",
        format!("Priority '{priority}' is currently in use"),
    )
}

pub fn create_rule(
    me: &Elbv2,
    ctx: &RequestContext,
    input: CreateRuleInput,
) -> Result<CreateRuleOutput, AwsError> {
    let now = ctx.clock.now_millis();
    let tags = tags_in(input.tags.clone())?;
    if input.conditions.is_empty() {
        return Err(validation("At least one condition must be specified"));
    }
    let conds = conditions_in(input.conditions)?;
    let acts = actions::from_api(input.actions)?;
    let mut txn = me.state.begin();
    let l = listener(&txn.inner, ctx, &input.listener_arn)?.clone();
    let lbr = txn.inner.lbs.get(&l.lb_arn).cloned().unwrap_or_default();
    if lbr.kind != "application" {
        return Err(validation(format!(
            "Rules are not supported for listeners of load balancers of type '{}'",
            lbr.kind
        )));
    }
    actions::check_in_context(&txn.inner, &lbr, l.protocol.as_deref(), &acts)?;
    if txn
        .inner
        .rules
        .values()
        .any(|r| r.listener_arn == l.arn && r.priority == input.priority)
    {
        return Err(priority_in_use(input.priority));
    }
    let on_lb = txn
        .inner
        .rules
        .values()
        .filter(|r| {
            txn.inner
                .listeners
                .get(&r.listener_arn)
                .is_some_and(|x| x.lb_arn == lbr.arn)
        })
        .count();
    if on_lb >= limit("rules-per-application-load-balancer") {
        return Err(AwsError::bad_request(
            "TooManyRulesException",
            "You've reached the limit on the number of rules per load balancer",
        ));
    }
    let arn = names::rule_arn(&l.arn);
    let rec = RuleRec {
        arn: arn.clone(),
        account: l.account.clone(),
        region: l.region.clone(),
        listener_arn: l.arn.clone(),
        priority: input.priority,
        conditions: conds,
        actions: acts,
        transforms: input.transforms.map(actions::to_json),
        tags,
    };
    let out = view(&rec);
    txn.inner.rules.insert(arn.clone(), rec);
    txn.put_rule(&arn)?;
    for tg in refresh_usage(&mut txn.inner, now) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(CreateRuleOutput {
        rules: Some(vec![out]),
    })
}

pub fn describe_rules(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DescribeRulesInput,
) -> Result<DescribeRulesOutput, AwsError> {
    let inner = me.state.read();
    let views: Vec<Rule> = match (
        &input.listener_arn,
        input.rule_arns.filter(|a| !a.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "Listener ARN and rule ARNs cannot be specified at the same time",
            ));
        }
        (Some(l_arn), None) => {
            let l = listener(&inner, ctx, l_arn)?;
            let mut rs: Vec<&RuleRec> = inner
                .rules
                .values()
                .filter(|r| r.listener_arn == l.arn)
                .collect();
            rs.sort_by_key(|r| r.priority);
            rs.into_iter()
                .map(view)
                .chain(std::iter::once(default_view(l)))
                .collect()
        }
        (None, Some(arns)) => {
            let mut v = Vec::new();
            for arn in &arns {
                names::check_arn(arn, "listener-rule", "rule")?;
                if let Some(r) = inner
                    .rules
                    .get(arn)
                    .filter(|r| owned(ctx, &r.account, &r.region))
                {
                    v.push(view(r));
                } else if let Some(l) =
                    default_rule_owner(&inner, arn).filter(|l| owned(ctx, &l.account, &l.region))
                {
                    v.push(default_view(l));
                } else {
                    return Err(rules_not_found());
                }
            }
            v
        }
        (None, None) => {
            return Err(validation(
                "You must specify either a listener ARN or rule ARNs",
            ));
        }
    };
    let (items, next) = page(views, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeRulesOutput {
        rules: Some(items),
        next_marker: next,
    })
}

pub fn modify_rule(
    me: &Elbv2,
    ctx: &RequestContext,
    input: ModifyRuleInput,
) -> Result<ModifyRuleOutput, AwsError> {
    let now = ctx.clock.now_millis();
    if input.conditions.is_none() && input.actions.is_none() && input.transforms.is_none() {
        return Err(validation("Either conditions or actions must be specified"));
    }
    let conds = match input.conditions {
        Some(c) if c.is_empty() => {
            return Err(validation("At least one condition must be specified"));
        }
        Some(c) => Some(conditions_in(c)?),
        None => None,
    };
    let acts = input.actions.map(actions::from_api).transpose()?;
    let mut txn = me.state.begin();
    names::check_arn(&input.rule_arn, "listener-rule", "rule")?;
    if let Some(l) = default_rule_owner(&txn.inner, &input.rule_arn)
        .filter(|l| owned(ctx, &l.account, &l.region))
        .cloned()
    {
        // The default rule has no conditions; its actions are the listener's.
        if conds.is_some() {
            return Err(operation_not_permitted(format!(
                "Conditions cannot be specified for the default rule '{}'",
                input.rule_arn
            )));
        }
        if let Some(acts) = acts {
            let lbr = txn.inner.lbs.get(&l.lb_arn).cloned().unwrap_or_default();
            actions::check_in_context(&txn.inner, &lbr, l.protocol.as_deref(), &acts)?;
            txn.inner
                .listeners
                .get_mut(&l.arn)
                .expect("found above")
                .default_actions = acts;
            txn.put_listener(&l.arn)?;
        }
        for tg in refresh_usage(&mut txn.inner, now) {
            txn.put_tg(&tg)?;
        }
        let out = default_view(&txn.inner.listeners[&l.arn]);
        txn.commit()?;
        return Ok(ModifyRuleOutput {
            rules: Some(vec![out]),
        });
    }
    let cur = rule(&txn.inner, ctx, &input.rule_arn)?.clone();
    if let Some(acts) = &acts {
        let l = txn
            .inner
            .listeners
            .get(&cur.listener_arn)
            .cloned()
            .unwrap_or_default();
        let lbr = txn.inner.lbs.get(&l.lb_arn).cloned().unwrap_or_default();
        actions::check_in_context(&txn.inner, &lbr, l.protocol.as_deref(), acts)?;
    }
    let r = txn.inner.rules.get_mut(&cur.arn).expect("found above");
    if let Some(c) = conds {
        r.conditions = c;
    }
    if let Some(a) = acts {
        r.actions = a;
    }
    if input.reset_transforms == Some(true) {
        r.transforms = None;
    } else if let Some(t) = input.transforms {
        r.transforms = Some(actions::to_json(t));
    }
    let out = view(r);
    txn.put_rule(&cur.arn)?;
    for tg in refresh_usage(&mut txn.inner, now) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(ModifyRuleOutput {
        rules: Some(vec![out]),
    })
}

pub fn delete_rule(
    me: &Elbv2,
    ctx: &RequestContext,
    input: DeleteRuleInput,
) -> Result<DeleteRuleOutput, AwsError> {
    let mut txn = me.state.begin();
    names::check_arn(&input.rule_arn, "listener-rule", "rule")?;
    if default_rule_owner(&txn.inner, &input.rule_arn).is_some() {
        return Err(operation_not_permitted(format!(
            "Default rule '{}' cannot be deleted",
            input.rule_arn
        )));
    }
    let arn = rule(&txn.inner, ctx, &input.rule_arn)?.arn.clone();
    txn.delete_rule(&arn);
    for tg in refresh_usage(&mut txn.inner, ctx.clock.now_millis()) {
        txn.put_tg(&tg)?;
    }
    txn.commit()?;
    Ok(DeleteRuleOutput {})
}

pub fn set_rule_priorities(
    me: &Elbv2,
    ctx: &RequestContext,
    input: SetRulePrioritiesInput,
) -> Result<SetRulePrioritiesOutput, AwsError> {
    let mut pairs = Vec::new();
    for p in &input.rule_priorities {
        let (Some(arn), Some(priority)) = (&p.rule_arn, p.priority) else {
            return Err(validation(
                "A rule ARN and a priority must be specified for each rule",
            ));
        };
        if pairs.iter().any(|(_, q)| *q == priority) {
            return Err(validation(format!(
                "Priority '{priority}' was provided multiple times"
            )));
        }
        pairs.push((arn.clone(), priority));
    }
    let mut txn = me.state.begin();
    for (arn, _) in &pairs {
        names::check_arn(arn, "listener-rule", "rule")?;
        if default_rule_owner(&txn.inner, arn).is_some() {
            return Err(operation_not_permitted(format!(
                "The priority of the default rule '{arn}' cannot be changed"
            )));
        }
        rule(&txn.inner, ctx, arn)?;
    }
    for (arn, priority) in &pairs {
        let listener_arn = txn.inner.rules[arn].listener_arn.clone();
        let taken = txn.inner.rules.values().any(|r| {
            r.listener_arn == listener_arn
                && r.priority == *priority
                && !pairs.iter().any(|(a, _)| *a == r.arn)
        });
        let moved_in = pairs.iter().any(|(a, p)| {
            a != arn && p == priority && txn.inner.rules[a].listener_arn == listener_arn
        });
        if taken || moved_in {
            return Err(priority_in_use(*priority));
        }
    }
    let mut out = Vec::new();
    for (arn, priority) in &pairs {
        txn.inner
            .rules
            .get_mut(arn)
            .expect("checked above")
            .priority = *priority;
        out.push(view(&txn.inner.rules[arn]));
        txn.put_rule(arn)?;
    }
    txn.commit()?;
    Ok(SetRulePrioritiesOutput { rules: Some(out) })
}
