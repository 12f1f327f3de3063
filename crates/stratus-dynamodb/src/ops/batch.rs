//! Batches and transactions: many items in one request.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use stratus_core::{AwsError, RequestContext};

use super::items::{Exprs, check_item, key_from};
use crate::DynamoDb;
use crate::attr::{Item, item_from_wire, item_size, item_to_wire, validation};
use crate::capacity::{self, Units};
use crate::expr::{self, Kind};
use crate::generated::*;
use crate::state::{ItemKey, Table, TableMeta, durable};

pub fn batch_get(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: BatchGetItemInput,
) -> Result<BatchGetItemOutput, AwsError> {
    let total: usize = input.request_items.values().map(|k| k.keys.len()).sum();
    if total > 100 {
        return Err(validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut responses = BTreeMap::new();
    let mut consumed = Vec::new();
    for (name, ka) in input.request_items {
        let table = db.table(ctx, &name)?;
        let mut ex = Exprs::new(ka.expression_attribute_names, None)?;
        let proj =
            ex.projection_or_legacy(ka.projection_expression.as_deref(), ka.attributes_to_get)?;
        ex.finish()?;
        let meta = table.meta.read().clone();
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for k in ka.keys {
            let key = key_from(&meta, k)?;
            if !seen.insert(key.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            keys.push(key);
        }
        let items = table.items.lock();
        // Each item read is rounded up to 4 KB on its own.
        let consistent = ka.consistent_read.unwrap_or(false);
        let units: f64 = keys
            .iter()
            .map(|k| capacity::read_units(items.get(k).map_or(0, item_size), consistent))
            .sum();
        consumed.extend(
            Units::on_table(units).report(&name, input.return_consumed_capacity.as_deref()),
        );
        let found: Vec<BTreeMap<String, AttributeValue>> = keys
            .iter()
            .filter_map(|k| items.get(k))
            .map(|i| match &proj {
                Some(p) => item_to_wire(&expr::project(i, p)),
                None => item_to_wire(i),
            })
            .collect();
        responses.insert(name, found);
    }
    Ok(BatchGetItemOutput {
        responses: Some(responses),
        unprocessed_keys: Some(BTreeMap::new()),
        consumed_capacity: input
            .return_consumed_capacity
            .as_ref()
            .filter(|m| *m != "NONE")
            .map(|_| consumed),
    })
}

pub fn batch_write(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: BatchWriteItemInput,
) -> Result<BatchWriteItemOutput, AwsError> {
    let total: usize = input.request_items.values().map(Vec::len).sum();
    if total > 25 {
        return Err(validation(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
        ));
    }
    // Validate everything before writing anything: a bad request writes nothing.
    let mut plan: Vec<(Arc<Table>, TableMeta, ItemKey, Option<Item>)> = Vec::new();
    for (name, reqs) in input.request_items {
        let table = db.table(ctx, &name)?;
        let meta = table.meta.read().clone();
        let mut seen = HashSet::new();
        for r in reqs {
            let (key, item) = match (r.put_request, r.delete_request) {
                (Some(p), None) => {
                    let item = item_from_wire(p.item)?;
                    (check_item(&meta, &item)?, Some(item))
                }
                (None, Some(d)) => (key_from(&meta, d.key)?, None),
                _ => {
                    return Err(validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ));
                }
            };
            if !seen.insert(key.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            plan.push((table.clone(), meta.clone(), key, item));
        }
    }
    let changes: Vec<(&TableMeta, ItemKey, Option<&Item>)> = plan
        .iter()
        .map(|(_, m, k, i)| (m, k.clone(), i.as_ref()))
        .collect();
    durable(db.tables.write_items(&changes)?)?;
    let now = ctx.clock.now_millis();
    let mut units: BTreeMap<String, Units> = BTreeMap::new();
    let mut collections: BTreeMap<String, Vec<ItemCollectionMetrics>> = BTreeMap::new();
    let mut records = Vec::new();
    for (table, meta, key, item) in plan {
        let mut items = table.items.lock();
        let old = match &item {
            Some(i) => items.insert(key.clone(), i.clone()),
            None => items.remove(&key),
        };
        records.push(table.changed(&meta, &key, old.as_ref(), item.as_ref(), now)?);
        units
            .entry(meta.name.clone())
            .or_default()
            .add(&Units::write(&meta, old.as_ref(), item.as_ref()));
        if let Some(m) = collection(
            &meta,
            &items,
            &key,
            input.return_item_collection_metrics.as_deref(),
        ) {
            collections.entry(meta.name.clone()).or_default().push(m);
        }
    }
    for r in records {
        durable(r)?;
    }
    let mode = input.return_consumed_capacity.as_deref();
    Ok(BatchWriteItemOutput {
        unprocessed_items: Some(BTreeMap::new()),
        item_collection_metrics: input
            .return_item_collection_metrics
            .as_ref()
            .filter(|m| *m == "SIZE")
            .map(|_| collections),
        consumed_capacity: mode.filter(|m| *m != "NONE").map(|_| {
            units
                .iter()
                .filter_map(|(name, u)| u.report(name, mode))
                .collect()
        }),
    })
}

/// The metrics of the item collection of `key` after a write, when asked.
pub(crate) fn collection(
    meta: &TableMeta,
    items: &crate::state::Items,
    key: &ItemKey,
    mode: Option<&str>,
) -> Option<ItemCollectionMetrics> {
    mode?;
    let bytes = capacity::collection_bytes(
        meta,
        items
            .range((key.0.clone(), None)..)
            .take_while(|((h, _), _)| *h == key.0)
            .map(|(_, i)| i),
    );
    capacity::collection_metrics(meta, key, bytes, mode)
}

/// What a transaction consumed, and the item collections it changed.
#[derive(Default)]
pub(crate) struct Applied {
    pub units: BTreeMap<String, Units>,
    pub collections: BTreeMap<String, Vec<ItemCollectionMetrics>>,
}

impl Applied {
    pub fn output(self, capacity_mode: Option<&str>) -> TransactWriteItemsOutput {
        TransactWriteItemsOutput {
            consumed_capacity: capacity_mode.filter(|m| *m != "NONE").map(|_| {
                self.units
                    .iter()
                    .filter_map(|(name, u)| u.report(name, capacity_mode))
                    .collect()
            }),
            item_collection_metrics: (!self.collections.is_empty()).then_some(self.collections),
        }
    }
}

/// One step of a transaction, checked and ready to apply.
pub(crate) struct Step {
    pub table: Arc<Table>,
    pub meta: TableMeta,
    pub key: ItemKey,
    pub cond: Option<expr::Cond>,
    pub write: Write,
    pub return_old: bool,
}

pub(crate) enum Write {
    Check,
    Put(Item),
    Delete,
    Update(Vec<expr::UpdateAction>),
}

fn reason(code: &str, message: Option<&str>, item: Option<&Item>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    if let Some(i) = item {
        let wire = item_to_wire(i);
        let v = stratus_protocol::ToValue::to_value(wire);
        let model = stratus_protocol::model::load("dynamodb");
        let item_json = model
            .as_ref()
            .map(|m| {
                let r = stratus_protocol::model::ShapeRef {
                    shape: "AttributeMap".into(),
                    ..Default::default()
                };
                stratus_protocol::codec::json::encode(m, &r, &v)
            })
            .unwrap_or(serde_json::Value::Null);
        m.insert("Item".into(), item_json);
    }
    m.insert("Code".into(), code.into());
    if let Some(msg) = message {
        m.insert("Message".into(), msg.into());
    }
    serde_json::Value::Object(m)
}

/// What one transaction item asks, before its expressions are parsed.
struct Request {
    table: String,
    key: Option<BTreeMap<String, AttributeValue>>,
    item: Option<BTreeMap<String, AttributeValue>>,
    condition: Option<String>,
    names: Option<BTreeMap<String, String>>,
    values: Option<BTreeMap<String, AttributeValue>>,
    update: Option<String>,
    return_old: bool,
    check_only: bool,
}

fn request_of(t: TransactWriteItem) -> Result<Request, AwsError> {
    let rv = |r: &Option<String>| r.as_deref() == Some("ALL_OLD");
    Ok(match (t.condition_check, t.put, t.delete, t.update) {
        (Some(c), None, None, None) => Request {
            return_old: rv(&c.return_values_on_condition_check_failure),
            table: c.table_name,
            key: Some(c.key),
            item: None,
            condition: Some(c.condition_expression),
            names: c.expression_attribute_names,
            values: c.expression_attribute_values,
            update: None,
            check_only: true,
        },
        (None, Some(p), None, None) => Request {
            return_old: rv(&p.return_values_on_condition_check_failure),
            table: p.table_name,
            key: None,
            item: Some(p.item),
            condition: p.condition_expression,
            names: p.expression_attribute_names,
            values: p.expression_attribute_values,
            update: None,
            check_only: false,
        },
        (None, None, Some(d), None) => Request {
            return_old: rv(&d.return_values_on_condition_check_failure),
            table: d.table_name,
            key: Some(d.key),
            item: None,
            condition: d.condition_expression,
            names: d.expression_attribute_names,
            values: d.expression_attribute_values,
            update: None,
            check_only: false,
        },
        (None, None, None, Some(u)) => Request {
            return_old: rv(&u.return_values_on_condition_check_failure),
            table: u.table_name,
            key: Some(u.key),
            item: None,
            condition: u.condition_expression,
            names: u.expression_attribute_names,
            values: u.expression_attribute_values,
            update: Some(u.update_expression),
            check_only: false,
        },
        _ => {
            return Err(validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
    })
}

pub fn transact_write(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: TransactWriteItemsInput,
) -> Result<TransactWriteItemsOutput, AwsError> {
    if input.transact_items.len() > 100 {
        return Err(validation(
            "Member must have length less than or equal to 100",
        ));
    }
    // A retried request with the same token succeeds without applying twice.
    let now = ctx.clock.now_millis();
    let token = input
        .client_request_token
        .clone()
        .map(|t| (ctx.account_id().to_string(), t));
    let fingerprint = format!("{:?}", input.transact_items);
    if let Some(t) = &token {
        let mut tokens = db.tokens.lock();
        tokens.retain(|_, (_, at)| now - *at < TOKEN_WINDOW_MS);
        if let Some((seen_fp, _)) = tokens.get(t) {
            if *seen_fp == fingerprint {
                return Ok(TransactWriteItemsOutput::default());
            }
            return Err(AwsError::bad_request(
                "IdempotentParameterMismatchException",
                "Request has a different set of parameters than the original request",
            ));
        }
    }
    let mut steps = Vec::new();
    let mut seen: HashSet<(String, ItemKey)> = HashSet::new();
    for t in input.transact_items {
        let r = request_of(t)?;
        let table = db.table(ctx, &r.table)?;
        let meta = table.meta.read().clone();
        let mut ex = Exprs::new(r.names, r.values)?;
        let mut actions = match &r.update {
            Some(u) => expr::parse_update(u)?,
            None => Vec::new(),
        };
        ex.values.resolve_update(&mut ex.names, &mut actions)?;
        let cond = ex.condition(Kind::Condition, r.condition.as_deref())?;
        ex.finish()?;
        let (key, write) = match (r.key, r.item) {
            (None, Some(i)) => {
                let item = item_from_wire(i)?;
                (check_item(&meta, &item)?, Write::Put(item))
            }
            (Some(k), None) => {
                let key = key_from(&meta, k)?;
                let w = if r.check_only {
                    Write::Check
                } else if r.update.is_some() {
                    Write::Update(actions)
                } else {
                    Write::Delete
                };
                (key, w)
            }
            _ => return Err(validation("Invalid transaction item")),
        };
        if !seen.insert((
            format!("{}/{}/{}", meta.account, meta.region, meta.name),
            key.clone(),
        )) {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        steps.push(Step {
            table,
            meta,
            key,
            cond,
            write,
            return_old: r.return_old,
        });
    }
    let out = apply_transaction(
        db,
        steps,
        now,
        input.return_item_collection_metrics.as_deref(),
    )?
    .output(input.return_consumed_capacity.as_deref());
    if let Some(t) = token {
        db.tokens.lock().insert(t, (fingerprint, now));
    }
    Ok(out)
}

/// How long a client request token is remembered.
const TOKEN_WINDOW_MS: i64 = 10 * 60 * 1000;

pub(crate) fn apply_transaction(
    db: &DynamoDb,
    steps: Vec<Step>,
    now: i64,
    metrics_mode: Option<&str>,
) -> Result<Applied, AwsError> {
    // Lock every table involved, in one order, so transactions cannot deadlock.
    let mut tables: Vec<&Arc<Table>> = steps.iter().map(|s| &s.table).collect();
    tables.sort_by_key(|t| Arc::as_ptr(t) as usize);
    tables.dedup_by_key(|t| Arc::as_ptr(t) as usize);
    let mut guards: Vec<(usize, parking_lot::MutexGuard<'_, crate::state::Items>)> = tables
        .iter()
        .map(|t| (Arc::as_ptr(t) as usize, t.items.lock()))
        .collect();
    let guard_of = |guards: &mut Vec<(usize, parking_lot::MutexGuard<'_, crate::state::Items>)>,
                    t: &Arc<Table>| {
        guards
            .iter()
            .position(|(p, _)| *p == Arc::as_ptr(t) as usize)
            .unwrap_or(0)
    };
    let mut reasons = Vec::new();
    let mut failed = false;
    let mut results: Vec<Option<Item>> = Vec::new();
    for s in &steps {
        let gi = guard_of(&mut guards, &s.table);
        let current = guards[gi].1.get(&s.key).cloned();
        let empty = Item::new();
        let ok = match &s.cond {
            Some(c) => expr::evaluate(Kind::Condition, c, current.as_ref().unwrap_or(&empty))?,
            None => true,
        };
        if !ok {
            failed = true;
            reasons.push(reason(
                "ConditionalCheckFailed",
                Some("The conditional request failed"),
                current.as_ref().filter(|_| s.return_old),
            ));
            results.push(None);
            continue;
        }
        let next = match &s.write {
            Write::Check => current.clone(),
            Write::Put(i) => Some(i.clone()),
            Write::Delete => None,
            Write::Update(actions) => {
                let base = current.clone().unwrap_or_else(|| {
                    let mut i = Item::new();
                    i.insert(s.meta.hash.name.clone(), s.key.0.to_attr());
                    if let (Some(r), Some(v)) = (&s.meta.range, &s.key.1) {
                        i.insert(r.name.clone(), v.to_attr());
                    }
                    i
                });
                let after = expr::apply_update(actions, &base, &s.meta.key_names())?;
                check_item(&s.meta, &after)?;
                Some(after)
            }
        };
        reasons.push(reason("None", None, None));
        results.push(next);
    }
    if failed {
        let codes: Vec<String> = reasons
            .iter()
            .map(|r| r["Code"].as_str().unwrap_or("None").to_string())
            .collect();
        return Err(AwsError::bad_request(
            "TransactionCanceledException",
            format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
        )
        .with_json_field("CancellationReasons", serde_json::Value::Array(reasons).to_string()));
    }
    let changes: Vec<(&TableMeta, ItemKey, Option<&Item>)> = steps
        .iter()
        .zip(&results)
        .filter(|(s, _)| !matches!(s.write, Write::Check))
        .map(|(s, r)| (&s.meta, s.key.clone(), r.as_ref()))
        .collect();
    let ticket = db.tables.write_items(&changes)?;
    let mut applied = Applied::default();
    let mut records = Vec::new();
    for (s, r) in steps.iter().zip(results) {
        let gi = guard_of(&mut guards, &s.table);
        // Every item of a transaction costs twice its write: prepare and commit.
        let units = applied.units.entry(s.meta.name.clone()).or_default();
        if matches!(s.write, Write::Check) {
            let current = guards[gi].1.get(&s.key).cloned();
            units.add(
                &Units::on_table(capacity::write_units(current.as_ref().map_or(0, item_size)))
                    .doubled(),
            );
            continue;
        }
        let old = match &r {
            Some(i) => guards[gi].1.insert(s.key.clone(), i.clone()),
            None => guards[gi].1.remove(&s.key),
        };
        units.add(&Units::write(&s.meta, old.as_ref(), r.as_ref()).doubled());
        records.push(
            s.table
                .changed(&s.meta, &s.key, old.as_ref(), r.as_ref(), now)?,
        );
        if let Some(m) = collection(&s.meta, &guards[gi].1, &s.key, metrics_mode) {
            applied
                .collections
                .entry(s.meta.name.clone())
                .or_default()
                .push(m);
        }
    }
    drop(guards);
    durable(ticket)?;
    for r in records {
        durable(r)?;
    }
    Ok(applied)
}

pub fn transact_get(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: TransactGetItemsInput,
) -> Result<TransactGetItemsOutput, AwsError> {
    if input.transact_items.len() > 100 {
        return Err(validation(
            "Member must have length less than or equal to 100",
        ));
    }
    let mut out = Vec::new();
    let mut units: BTreeMap<String, Units> = BTreeMap::new();
    for t in input.transact_items {
        let g = t.get;
        let table = db.table(ctx, &g.table_name)?;
        let mut ex = Exprs::new(g.expression_attribute_names, None)?;
        let proj = ex.projection(g.projection_expression.as_deref())?;
        ex.finish()?;
        let meta = table.meta.read().clone();
        let key = key_from(&meta, g.key)?;
        let item = table.items.lock().get(&key).cloned();
        units.entry(meta.name.clone()).or_default().add(
            &Units::on_table(capacity::read_units(
                item.as_ref().map_or(0, item_size),
                true,
            ))
            .doubled(),
        );
        out.push(ItemResponse {
            item: item.map(|i| match &proj {
                Some(p) => item_to_wire(&expr::project(&i, p)),
                None => item_to_wire(&i),
            }),
        });
    }
    let mode = input.return_consumed_capacity.as_deref();
    Ok(TransactGetItemsOutput {
        responses: Some(out),
        consumed_capacity: mode.filter(|m| *m != "NONE").map(|_| {
            units
                .iter()
                .filter_map(|(name, u)| u.report(name, mode))
                .collect()
        }),
    })
}
