//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, and the
//! checks they share with batches and transactions.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use crate::DynamoDb;
use crate::attr::{
    Attr, Item, KeyVal, MAX_ITEM_BYTES, item_from_wire, item_size, item_to_wire, validation,
};
use crate::capacity::{self, Units};
use crate::expr::{self, Kind, Names, Values};
use crate::generated::*;
use crate::legacy;
use crate::state::{ItemKey, TableMeta, durable};

/// Placeholders of one request, shared by all its expressions so unused
/// ones can be reported.
pub struct Exprs {
    pub names: Names,
    pub values: Values,
}

/// Whether a placeholder is `#name` or `:value` shaped.
fn placeholder_ok(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// DynamoDB refuses placeholders in a request with none of the expressions
/// that could use them; `exprs` are those the operation has, and whether
/// each was given.
pub fn placeholders_need_expressions(
    names: bool,
    values: bool,
    exprs: &[(&str, bool)],
) -> Result<(), AwsError> {
    if exprs.iter().any(|(_, given)| *given) {
        return Ok(());
    }
    if names {
        return Err(validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values {
        let null: Vec<&str> = exprs.iter().map(|(n, _)| *n).collect();
        return Err(validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
            null.join(" and "),
            if null.len() > 1 { "are" } else { "is" }
        )));
    }
    Ok(())
}

impl Exprs {
    pub fn new(
        names: Option<BTreeMap<String, String>>,
        values: Option<BTreeMap<String, AttributeValue>>,
    ) -> Result<Exprs, AwsError> {
        if let Some(bad) = names
            .iter()
            .flatten()
            .find(|(k, _)| !placeholder_ok(k, '#'))
        {
            return Err(validation(format!(
                "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{}\"",
                bad.0
            )));
        }
        if let Some(bad) = values
            .iter()
            .flatten()
            .find(|(k, _)| !placeholder_ok(k, ':'))
        {
            return Err(validation(format!(
                "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{}\"",
                bad.0
            )));
        }
        let values = match values {
            Some(v) => Some(
                v.into_iter()
                    .map(|(k, v)| match Attr::from_wire(v) {
                        Ok(a) => Ok((k, a)),
                        Err(e) => Err(validation(format!(
                            "ExpressionAttributeValues contains invalid value: {} for key {k}",
                            e.message
                        ))),
                    })
                    .collect::<Result<Item, AwsError>>()?,
            ),
            None => None,
        };
        Ok(Exprs {
            names: Names::new(names),
            values: Values::new(values),
        })
    }

    pub fn condition(
        &mut self,
        kind: Kind,
        text: Option<&str>,
    ) -> Result<Option<expr::Cond>, AwsError> {
        let Some(t) = text else { return Ok(None) };
        let mut c = expr::parse_condition(kind, t)?;
        self.values.resolve(&mut self.names, kind, &mut c)?;
        Ok(Some(c))
    }

    pub fn projection(&mut self, text: Option<&str>) -> Result<Option<Vec<expr::Path>>, AwsError> {
        let Some(t) = text else { return Ok(None) };
        let mut p = expr::parse_projection(t)?;
        Values::resolve_paths(&mut self.names, Kind::Projection, &mut p)?;
        Ok(Some(p))
    }

    /// An expression, or the legacy parameter it replaces; never both.
    pub fn either(
        &mut self,
        kind: Kind,
        text: Option<&str>,
        legacy: Option<expr::Cond>,
        legacy_name: &str,
    ) -> Result<Option<expr::Cond>, AwsError> {
        if text.is_some() && legacy.is_some() {
            return Err(both(legacy_name, kind.name()));
        }
        match legacy {
            Some(c) => Ok(Some(c)),
            None => self.condition(kind, text),
        }
    }

    /// A ProjectionExpression, or the legacy AttributesToGet; never both.
    pub fn projection_or_legacy(
        &mut self,
        text: Option<&str>,
        attributes_to_get: Option<Vec<String>>,
    ) -> Result<Option<Vec<expr::Path>>, AwsError> {
        match attributes_to_get {
            Some(_) if text.is_some() => Err(both("AttributesToGet", "ProjectionExpression")),
            Some(names) => Ok(Some(legacy::attributes_to_get(names))),
            None => self.projection(text),
        }
    }

    pub fn finish(&self) -> Result<(), AwsError> {
        self.names.check_unused()?;
        self.values.check_unused()
    }
}

pub fn both(legacy: &str, expression: &str) -> AwsError {
    validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{legacy}}} Expression parameters: {{{expression}}}"
    ))
}

fn mismatch() -> AwsError {
    validation("The provided key element does not match the schema")
}

/// The primary key a request names: exactly the key attributes, typed right.
pub fn key_from(
    meta: &TableMeta,
    key: BTreeMap<String, AttributeValue>,
) -> Result<ItemKey, AwsError> {
    let key = item_from_wire(key)?;
    if key.len() != meta.key_names().len() {
        return Err(mismatch());
    }
    let part = |def: &crate::state::KeyDef| -> Result<KeyVal, AwsError> {
        let a = key.get(&def.name).ok_or_else(mismatch)?;
        let kv = KeyVal::of(a).ok_or_else(mismatch)?;
        if kv.type_name() != def.typ {
            return Err(mismatch());
        }
        if matches!(&kv, KeyVal::S(s) if s.is_empty())
            || matches!(&kv, KeyVal::B(b) if b.is_empty())
        {
            return Err(validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {}",
                if def.typ == "S" { "string" } else { "binary" },
                def.name
            )));
        }
        Ok(kv)
    };
    let h = part(&meta.hash)?;
    let r = match &meta.range {
        Some(r) => Some(part(r)?),
        None => None,
    };
    Ok((h, r))
}

/// Checks an item to be written: its key, index key types, and size.
pub fn check_item(meta: &TableMeta, item: &Item) -> Result<ItemKey, AwsError> {
    let key_attr = |def: &crate::state::KeyDef| -> Result<KeyVal, AwsError> {
        let a = item.get(&def.name).ok_or_else(|| {
            validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                def.name
            ))
        })?;
        let kv = KeyVal::of(a).filter(|k| k.type_name() == def.typ).ok_or_else(|| {
            validation(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                def.name,
                def.typ,
                a.type_name()
            ))
        })?;
        if matches!(&kv, KeyVal::S(s) if s.is_empty())
            || matches!(&kv, KeyVal::B(b) if b.is_empty())
        {
            return Err(validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {}",
                if def.typ == "S" { "string" } else { "binary" },
                def.name
            )));
        }
        Ok(kv)
    };
    let h = key_attr(&meta.hash)?;
    let r = match &meta.range {
        Some(r) => Some(key_attr(r)?),
        None => None,
    };
    for idx in meta.indexes.iter().filter(|i| i.deleted_ms == 0) {
        for def in std::iter::once(&idx.hash).chain(idx.range.iter()) {
            if let Some(a) = item.get(&def.name) {
                if a.type_name() != def.typ {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                        def.name,
                        def.typ,
                        a.type_name(),
                        idx.name
                    )));
                }
            }
        }
    }
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok((h, r))
}

pub fn conditional_failed() -> AwsError {
    AwsError::bad_request(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
}

/// The failure, carrying the item when the caller asked for it
/// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
fn failed_with(item: Option<&Item>) -> AwsError {
    let e = conditional_failed();
    match item {
        Some(i) => e.with_json_field("Item", item_json(i).to_string()),
        None => e,
    }
}

/// An item in DynamoDB's wire JSON, for error members.
pub fn item_json(item: &Item) -> serde_json::Value {
    crate::state::item_to_json(item)
}

fn check(cond: &Option<expr::Cond>, item: Option<&Item>) -> Result<bool, AwsError> {
    let empty = Item::new();
    match cond {
        Some(c) => expr::evaluate(Kind::Condition, c, item.unwrap_or(&empty)),
        None => Ok(true),
    }
}

use super::batch::collection as metrics;

/// The condition of a PutItem or DeleteItem (expression or legacy
/// `Expected`), its ReturnValues (NONE or ALL_OLD), and whether a failed
/// condition returns the item.
fn write_condition(
    expected: Option<BTreeMap<String, ExpectedAttributeValue>>,
    operator: Option<&str>,
    mut ex: Exprs,
    text: Option<&str>,
    return_values: Option<&str>,
    on_failure: Option<&str>,
) -> Result<(Option<expr::Cond>, String, bool), AwsError> {
    let legacy = match expected {
        Some(e) => legacy::expected(e, operator)?,
        None => None,
    };
    let cond = ex.either(Kind::Condition, text, legacy, "Expected")?;
    ex.finish()?;
    let rv = return_values.unwrap_or("NONE");
    if !["NONE", "ALL_OLD"].contains(&rv) {
        return Err(validation("ReturnValues can only be ALL_OLD or NONE"));
    }
    Ok((cond, rv.to_string(), on_failure == Some("ALL_OLD")))
}

pub fn put_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: PutItemInput,
) -> Result<PutItemOutput, AwsError> {
    let table = db.table(ctx, &input.table_name)?;
    placeholders_need_expressions(
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
        &[("ConditionExpression", input.condition_expression.is_some())],
    )?;
    let (cond, rv, on_fail) = write_condition(
        input.expected,
        input.conditional_operator.as_deref(),
        Exprs::new(
            input.expression_attribute_names,
            input.expression_attribute_values,
        )?,
        input.condition_expression.as_deref(),
        input.return_values.as_deref(),
        input.return_values_on_condition_check_failure.as_deref(),
    )?;
    let item = item_from_wire(input.item)?;
    let meta = table.meta.read().clone();
    let key = check_item(&meta, &item)?;
    let (old, ticket, collection, record) = {
        let mut items = table.items.lock();
        let old = items.get(&key);
        if !check(&cond, old)? {
            return Err(failed_with(old.filter(|_| on_fail)));
        }
        let ticket = db
            .tables
            .write_items(&[(&meta, key.clone(), Some(&item))])?;
        let old = items.insert(key.clone(), item.clone());
        let record = table.changed(
            &meta,
            &key,
            old.as_ref(),
            Some(&item),
            ctx.clock.now_millis(),
        )?;
        let collection = metrics(
            &meta,
            &items,
            &key,
            input.return_item_collection_metrics.as_deref(),
        );
        (old, ticket, collection, record)
    };
    durable(ticket)?;
    durable(record)?;
    Ok(PutItemOutput {
        attributes: if rv.as_str() == "ALL_OLD" {
            old.as_ref().map(item_to_wire)
        } else {
            None
        },
        consumed_capacity: Units::write(&meta, old.as_ref(), Some(&item))
            .report(&meta.name, input.return_consumed_capacity.as_deref()),
        item_collection_metrics: collection,
    })
}

pub fn get_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: GetItemInput,
) -> Result<GetItemOutput, AwsError> {
    let table = db.table(ctx, &input.table_name)?;
    placeholders_need_expressions(
        input.expression_attribute_names.is_some(),
        false,
        &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
    )?;
    let mut ex = Exprs::new(input.expression_attribute_names, None)?;
    let proj = ex.projection_or_legacy(
        input.projection_expression.as_deref(),
        input.attributes_to_get,
    )?;
    ex.finish()?;
    let meta = table.meta.read();
    let key = key_from(&meta, input.key)?;
    let found = table.items.lock().get(&key).cloned();
    let size = found.as_ref().map_or(0, item_size);
    let item = found.map(|i| match &proj {
        Some(p) => expr::project(&i, p),
        None => i,
    });
    Ok(GetItemOutput {
        item: item.as_ref().map(item_to_wire),
        consumed_capacity: Units::on_table(capacity::read_units(
            size,
            input.consistent_read.unwrap_or(false),
        ))
        .report(&meta.name, input.return_consumed_capacity.as_deref()),
    })
}

pub fn delete_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: DeleteItemInput,
) -> Result<DeleteItemOutput, AwsError> {
    let table = db.table(ctx, &input.table_name)?;
    placeholders_need_expressions(
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
        &[("ConditionExpression", input.condition_expression.is_some())],
    )?;
    let (cond, rv, on_fail) = write_condition(
        input.expected,
        input.conditional_operator.as_deref(),
        Exprs::new(
            input.expression_attribute_names,
            input.expression_attribute_values,
        )?,
        input.condition_expression.as_deref(),
        input.return_values.as_deref(),
        input.return_values_on_condition_check_failure.as_deref(),
    )?;
    let meta = table.meta.read().clone();
    let key = key_from(&meta, input.key)?;
    let (old, ticket, collection, record) = {
        let mut items = table.items.lock();
        if !check(&cond, items.get(&key))? {
            return Err(failed_with(items.get(&key).filter(|_| on_fail)));
        }
        let ticket = match items.contains_key(&key) {
            true => Some(db.tables.write_items(&[(&meta, key.clone(), None)])?),
            false => None,
        };
        let old = items.remove(&key);
        let record = table.changed(&meta, &key, old.as_ref(), None, ctx.clock.now_millis())?;
        let collection = metrics(
            &meta,
            &items,
            &key,
            input.return_item_collection_metrics.as_deref(),
        );
        (old, ticket, collection, record)
    };
    if let Some(t) = ticket {
        durable(t)?;
    }
    durable(record)?;
    Ok(DeleteItemOutput {
        consumed_capacity: Units::write(&meta, old.as_ref(), None)
            .report(&meta.name, input.return_consumed_capacity.as_deref()),
        attributes: if rv.as_str() == "ALL_OLD" {
            old.as_ref().map(item_to_wire)
        } else {
            None
        },
        item_collection_metrics: collection,
    })
}

/// The attributes an update changed, old or new values (UPDATED_OLD / UPDATED_NEW).
fn changed(before: &Item, after: &Item, take_from: &Item) -> Item {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .filter_map(|n| take_from.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

pub fn update_item(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: UpdateItemInput,
) -> Result<UpdateItemOutput, AwsError> {
    let table = db.table(ctx, &input.table_name)?;
    placeholders_need_expressions(
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
        &[
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ],
    )?;
    let legacy = match input.expected {
        Some(e) => legacy::expected(e, input.conditional_operator.as_deref())?,
        None => None,
    };
    let mut ex = Exprs::new(
        input.expression_attribute_names,
        input.expression_attribute_values,
    )?;
    let mut actions = match (&input.update_expression, input.attribute_updates) {
        (Some(_), Some(_)) => return Err(both("AttributeUpdates", "UpdateExpression")),
        (Some(u), None) => expr::parse_update(u)?,
        (None, Some(a)) => legacy::attribute_updates(a)?,
        (None, None) => Vec::new(),
    };
    ex.values.resolve_update(&mut ex.names, &mut actions)?;
    let cond = ex.either(
        Kind::Condition,
        input.condition_expression.as_deref(),
        legacy,
        "Expected",
    )?;
    ex.finish()?;
    let rv = input.return_values.as_deref().unwrap_or("NONE");
    if !["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"].contains(&rv) {
        return Err(validation("Return values set to invalid value"));
    }
    let on_fail = input.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    let meta = table.meta.read().clone();
    let key = key_from(&meta, input.key)?;
    let (before, after, ticket, collection, record) = {
        let mut items = table.items.lock();
        let existing = items.get(&key).cloned();
        if !check(&cond, existing.as_ref())? {
            return Err(failed_with(existing.as_ref().filter(|_| on_fail)));
        }
        // A missing item is created from its key.
        let base = existing.clone().unwrap_or_else(|| {
            let mut i = Item::new();
            i.insert(meta.hash.name.clone(), key.0.to_attr());
            if let (Some(r), Some(v)) = (&meta.range, &key.1) {
                i.insert(r.name.clone(), v.to_attr());
            }
            i
        });
        let after = expr::apply_update(&actions, &base, &meta.key_names())?;
        check_item(&meta, &after)?;
        let ticket = db
            .tables
            .write_items(&[(&meta, key.clone(), Some(&after))])?;
        items.insert(key.clone(), after.clone());
        let record = table.changed(
            &meta,
            &key,
            existing.as_ref(),
            Some(&after),
            ctx.clock.now_millis(),
        )?;
        let collection = metrics(
            &meta,
            &items,
            &key,
            input.return_item_collection_metrics.as_deref(),
        );
        (
            existing.unwrap_or_default(),
            after,
            ticket,
            collection,
            record,
        )
    };
    durable(ticket)?;
    durable(record)?;
    let attributes = match rv {
        "ALL_OLD" => (!before.is_empty()).then(|| before.clone()),
        "ALL_NEW" => Some(after.clone()),
        "UPDATED_OLD" => Some(changed(&before, &after, &before)).filter(|m| !m.is_empty()),
        "UPDATED_NEW" => Some(changed(&before, &after, &after)).filter(|m| !m.is_empty()),
        _ => None,
    };
    Ok(UpdateItemOutput {
        attributes: attributes.as_ref().map(item_to_wire),
        consumed_capacity: Units::write(
            &meta,
            Some(&before).filter(|b| !b.is_empty()),
            Some(&after),
        )
        .report(&meta.name, input.return_consumed_capacity.as_deref()),
        item_collection_metrics: collection,
    })
}

/// Keeps only the attributes an index projects.
pub fn index_projection(meta: &TableMeta, idx: &crate::state::IndexMeta, item: &Item) -> Item {
    match idx.projection.as_str() {
        "ALL" => item.clone(),
        other => {
            let mut keep: Vec<&str> = meta.key_names();
            keep.push(&idx.hash.name);
            if let Some(r) = &idx.range {
                keep.push(&r.name);
            }
            if other == "INCLUDE" {
                keep.extend(idx.non_key.iter().map(String::as_str));
            }
            item.iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
    }
}

/// Values of key attributes as a wire key map.
pub fn key_map(pairs: &[(&str, &Attr)]) -> BTreeMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_wire()))
        .collect()
}
