//! PartiQL statements: ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction, over the same engine as the item operations.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use stratus_core::{AwsError, RequestContext};

use super::batch::{Step, Write, apply_transaction};
use super::items::{check_item, index_projection};
use crate::DynamoDb;
use crate::attr::{Attr, Item, KeyVal, item_to_wire, validation};
use crate::expr::{self, Cond, Kind, Path, Step as PathStep};
use crate::generated::*;
use crate::partiql::{self, Statement};
use crate::state::{ItemKey, Table, TableMeta, item_from_json, item_to_json, key_of};

fn params(p: Option<Vec<AttributeValue>>) -> Result<Vec<Attr>, AwsError> {
    p.unwrap_or_default()
        .into_iter()
        .map(Attr::from_wire)
        .collect()
}

fn table(
    db: &DynamoDb,
    ctx: &RequestContext,
    name: &str,
) -> Result<std::sync::Arc<Table>, AwsError> {
    // As the item operations: a table being created or deleted is missing.
    db.table(ctx, name)
}

/// The item key a write statement's WHERE clause names with equalities.
fn key_of_where(meta: &TableMeta, filter: &Cond) -> Result<ItemKey, AwsError> {
    let eq: BTreeMap<String, Attr> = partiql::equalities(filter).into_iter().collect();
    key_of(meta, &eq).ok_or_else(|| {
        validation("Where clause does not contain a mandatory equality on all key attributes")
    })
}

fn matches(filter: Option<&Cond>, item: &Item) -> Result<bool, AwsError> {
    match filter {
        Some(c) => expr::evaluate(Kind::Condition, c, item),
        None => Ok(true),
    }
}

fn duplicate() -> AwsError {
    AwsError::bad_request(
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )
}

fn condition_failed() -> AwsError {
    AwsError::bad_request(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
}

fn encode_token(key: &Item) -> String {
    B64.encode(item_to_json(key).to_string())
}

fn decode_token(t: &str) -> Result<Item, AwsError> {
    B64.decode(t)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .and_then(|j| item_from_json(&j))
        .ok_or_else(|| validation("Invalid NextToken"))
}

/// A SELECT: one partition when the WHERE clause names the partition key,
/// else the whole table; paged by Limit (items evaluated).
fn select(
    t: &Table,
    index: Option<&str>,
    projection: Option<&Vec<Path>>,
    filter: Option<&Cond>,
    limit: Option<usize>,
    start: Option<Item>,
) -> Result<(Vec<Item>, Option<Item>), AwsError> {
    let meta = t.meta.read().clone();
    let idx = match index {
        Some(n) => Some(
            meta.index(n)
                .filter(|i| i.deleted_ms == 0)
                .cloned()
                .ok_or_else(|| {
                    validation(format!("The table does not have the specified index: {n}"))
                })?,
        ),
        None => None,
    };
    let hash = idx.as_ref().map_or(&meta.hash, |i| &i.hash);
    let part = filter
        .map(partiql::equalities)
        .unwrap_or_default()
        .into_iter()
        .find(|(n, _)| *n == hash.name)
        .and_then(|(_, v)| KeyVal::of(&v));
    let start_key = start.as_ref().and_then(|s| key_of(&meta, s));
    let items = t.items.lock();
    let mut cands: Vec<(&ItemKey, &Item)> = items
        .iter()
        .filter(|(_, i)| match &part {
            Some(p) => i.get(&hash.name).and_then(KeyVal::of).as_ref() == Some(p),
            None => idx.as_ref().is_none_or(|ix| i.contains_key(&ix.hash.name)),
        })
        .collect();
    if let Some(r) = idx.as_ref().and_then(|i| i.range.as_ref()) {
        cands.sort_by(|(ka, a), (kb, b)| {
            a.get(&r.name)
                .and_then(KeyVal::of)
                .cmp(&b.get(&r.name).and_then(KeyVal::of))
                .then(ka.cmp(kb))
        });
    }
    let mut skipping = start_key.is_some();
    let mut out = Vec::new();
    let mut evaluated = 0;
    let mut last = None;
    for (k, item) in cands {
        if skipping {
            if Some(k) == start_key.as_ref() {
                skipping = false;
            }
            continue;
        }
        evaluated += 1;
        if matches(filter, item)? {
            let base = match &idx {
                Some(ix) => index_projection(&meta, ix, item),
                None => item.clone(),
            };
            out.push(match projection {
                Some(p) => expr::project(&base, p),
                None => base,
            });
        }
        if limit.is_some_and(|l| evaluated >= l) {
            let mut key = Item::new();
            for n in meta.key_names() {
                if let Some(v) = item.get(n) {
                    key.insert(n.to_string(), v.clone());
                }
            }
            last = Some(key);
            break;
        }
    }
    Ok((out, last))
}

/// A write statement as a transaction step (its checks included).
fn write_step(
    db: &DynamoDb,
    ctx: &RequestContext,
    st: Statement,
) -> Result<(Step, Option<String>), AwsError> {
    let (name, step_of): (
        String,
        Box<
            dyn FnOnce(
                &TableMeta,
            )
                -> Result<(ItemKey, Option<Cond>, Write, Option<String>), AwsError>,
        >,
    ) = match st {
        Statement::Insert { table, item } => (
            table,
            Box::new(move |meta: &TableMeta| {
                let key = check_item(meta, &item)?;
                let not_there = Cond::NotExists(Path(vec![PathStep::Name(meta.hash.name.clone())]));
                Ok((key, Some(not_there), Write::Put(item), None))
            }),
        ),
        Statement::Update {
            table,
            actions,
            filter,
            returning,
        } => (
            table,
            Box::new(move |meta: &TableMeta| {
                let key = key_of_where(meta, &filter)?;
                Ok((key, Some(filter), Write::Update(actions), returning))
            }),
        ),
        Statement::Delete {
            table,
            filter,
            returning,
        } => (
            table,
            Box::new(move |meta: &TableMeta| {
                let key = key_of_where(meta, &filter)?;
                Ok((key, Some(filter), Write::Delete, returning))
            }),
        ),
        Statement::Select { .. } => return Err(validation("A SELECT cannot be part of a write")),
    };
    let t = table(db, ctx, &name)?;
    let meta = t.meta.read().clone();
    let (key, cond, write, returning) = step_of(&meta)?;
    Ok((
        Step {
            table: t,
            meta,
            key,
            cond,
            write,
            return_old: false,
        },
        returning,
    ))
}

fn returned(returning: Option<&str>, before: Option<&Item>, after: Option<&Item>) -> Option<Item> {
    let changed = |from: &Item, other: Option<&Item>| -> Item {
        from.iter()
            .filter(|(k, v)| other.and_then(|o| o.get(*k)) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    match returning? {
        "ALL_OLD" => before.cloned(),
        "ALL_NEW" => after.cloned(),
        "MODIFIED_OLD" => before.map(|b| changed(b, after)),
        "MODIFIED_NEW" => after.map(|a| changed(a, before)),
        _ => None,
    }
}

/// Runs one write statement with AWS's PartiQL errors.
fn write_one(db: &DynamoDb, ctx: &RequestContext, st: Statement) -> Result<Option<Item>, AwsError> {
    let (step, returning) = write_step(db, ctx, st)?;
    let before = step.table.items.lock().get(&step.key).cloned();
    match (&step.write, &before) {
        (Write::Put(_), Some(_)) => return Err(duplicate()),
        (Write::Update(_), None) => return Err(condition_failed()),
        (Write::Delete, None) => return Ok(None),
        _ => {}
    }
    let (table, key) = (step.table.clone(), step.key.clone());
    apply_transaction(db, vec![step], ctx.clock.now_millis(), None).map_err(|e| {
        if e.code == "TransactionCanceledException" {
            condition_failed()
        } else {
            e
        }
    })?;
    let after = table.items.lock().get(&key).cloned();
    Ok(returned(
        returning.as_deref(),
        before.as_ref(),
        after.as_ref(),
    ))
}

pub fn execute(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: ExecuteStatementInput,
) -> Result<ExecuteStatementOutput, AwsError> {
    let st = partiql::parse(&input.statement, &params(input.parameters)?)?;
    match st {
        Statement::Select {
            table: name,
            index,
            projection,
            filter,
        } => {
            let t = table(db, ctx, &name)?;
            let start = input.next_token.as_deref().map(decode_token).transpose()?;
            let (items, last) = select(
                &t,
                index.as_deref(),
                projection.as_ref(),
                filter.as_ref(),
                input.limit.map(|l| l.max(1) as usize),
                start,
            )?;
            Ok(ExecuteStatementOutput {
                items: Some(items.iter().map(item_to_wire).collect()),
                next_token: last.as_ref().map(encode_token),
                last_evaluated_key: last.as_ref().map(item_to_wire),
                consumed_capacity: None,
            })
        }
        write => {
            let item = write_one(db, ctx, write)?;
            Ok(ExecuteStatementOutput {
                items: Some(item.iter().map(item_to_wire).collect()),
                ..Default::default()
            })
        }
    }
}

pub fn batch(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: BatchExecuteStatementInput,
) -> Result<BatchExecuteStatementOutput, AwsError> {
    if input.statements.len() > 25 {
        return Err(validation(
            "Member must have length less than or equal to 25",
        ));
    }
    let parsed: Vec<Result<Statement, AwsError>> = input
        .statements
        .into_iter()
        .map(|s| partiql::parse(&s.statement, &params(s.parameters)?))
        .collect();
    let reads = parsed
        .iter()
        .filter(|p| matches!(p, Ok(Statement::Select { .. })))
        .count();
    if reads > 0 && reads < parsed.iter().filter(|p| p.is_ok()).count() {
        return Err(validation(
            "Batch statements must be either all reads or all writes",
        ));
    }
    let mut responses = Vec::new();
    for p in parsed {
        let (table_name, result) = match p {
            Err(e) => (None, Err(e)),
            Ok(Statement::Select {
                table: name,
                index,
                projection,
                filter,
            }) => {
                let r = table(db, ctx, &name).and_then(|t| {
                    let meta = t.meta.read().clone();
                    if let Some(f) = &filter {
                        key_of_where(&meta, f)?;
                    }
                    select(
                        &t,
                        index.as_deref(),
                        projection.as_ref(),
                        filter.as_ref(),
                        None,
                        None,
                    )
                });
                (Some(name), r.map(|(items, _)| items.into_iter().next()))
            }
            Ok(w) => {
                let name = match &w {
                    Statement::Insert { table, .. }
                    | Statement::Update { table, .. }
                    | Statement::Delete { table, .. } => table.clone(),
                    Statement::Select { table, .. } => table.clone(),
                };
                (Some(name), write_one(db, ctx, w).map(|_| None))
            }
        };
        responses.push(match result {
            Ok(item) => BatchStatementResponse {
                table_name,
                item: item.as_ref().map(item_to_wire),
                error: None,
            },
            Err(e) => BatchStatementResponse {
                table_name,
                item: None,
                error: Some(BatchStatementError {
                    code: Some(e.code.trim_end_matches("Exception").to_string()),
                    message: Some(e.message),
                    item: None,
                }),
            },
        });
    }
    Ok(BatchExecuteStatementOutput {
        responses: Some(responses),
        consumed_capacity: None,
    })
}

pub fn transaction(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: ExecuteTransactionInput,
) -> Result<ExecuteTransactionOutput, AwsError> {
    if input.transact_statements.len() > 100 {
        return Err(validation(
            "Member must have length less than or equal to 100",
        ));
    }
    let parsed: Vec<Statement> = input
        .transact_statements
        .into_iter()
        .map(|s| partiql::parse(&s.statement, &params(s.parameters)?))
        .collect::<Result<_, _>>()?;
    let reads = parsed
        .iter()
        .filter(|p| matches!(p, Statement::Select { .. }))
        .count();
    if reads > 0 && reads < parsed.len() {
        return Err(validation(
            "Transaction statements must be either all reads or all writes",
        ));
    }
    if reads > 0 {
        let mut out = Vec::new();
        for st in parsed {
            if let Statement::Select {
                table: name,
                index,
                projection,
                filter,
            } = st
            {
                let t = table(db, ctx, &name)?;
                let meta = t.meta.read().clone();
                key_of_where(&meta, filter.as_ref().ok_or_else(|| validation("Where clause does not contain a mandatory equality on all key attributes"))?)?;
                let (items, _) = select(
                    &t,
                    index.as_deref(),
                    projection.as_ref(),
                    filter.as_ref(),
                    None,
                    None,
                )?;
                out.push(ItemResponse {
                    item: items.first().map(item_to_wire),
                });
            }
        }
        return Ok(ExecuteTransactionOutput {
            responses: Some(out),
            consumed_capacity: None,
        });
    }
    let mut steps = Vec::new();
    for st in parsed {
        steps.push(write_step(db, ctx, st)?.0);
    }
    apply_transaction(db, steps, ctx.clock.now_millis(), None)?;
    Ok(ExecuteTransactionOutput::default())
}
