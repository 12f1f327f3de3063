//! Query and Scan: key conditions, indexes, filters, pagination.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use super::items::{Exprs, index_projection, key_map};
use crate::DynamoDb;
use crate::attr::{Attr, Item, KeyVal, item_from_wire, item_size, item_to_wire, validation};
use crate::capacity::{Units, read_units};
use crate::expr::{self, Cmp, Cond, Kind, Operand, Path, Step};
use crate::generated::*;
use crate::legacy;
use crate::state::{IndexMeta, ItemKey, KeyDef, TableMeta, key_of};

/// What a Query or Scan returns at most in one page.
const PAGE_BYTES: usize = 1024 * 1024;

/// The sort-key part of a key condition.
enum SortCond {
    Cmp(Cmp, Attr),
    Between(Attr, Attr),
    BeginsWith(Attr),
}

fn unsupported() -> AwsError {
    validation("Query key condition not supported")
}

fn flatten(c: Cond, out: &mut Vec<Cond>) -> Result<(), AwsError> {
    match c {
        Cond::And(a, b) => {
            flatten(*a, out)?;
            flatten(*b, out)
        }
        Cond::Or(..) | Cond::Not(..) => Err(invalid_key_op(&c)),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn invalid_key_op(c: &Cond) -> AwsError {
    let op = match c {
        Cond::Or(..) => "OR",
        Cond::Not(..) => "NOT",
        Cond::In(..) => "IN",
        Cond::Compare(_, Cmp::Ne, _) => "<>",
        Cond::Contains(..) => "contains",
        Cond::Exists(..) => "attribute_exists",
        Cond::NotExists(..) => "attribute_not_exists",
        Cond::AttributeType(..) => "attribute_type",
        _ => "?",
    };
    expr::invalid(
        Kind::KeyCondition,
        format!("Invalid operator used in KeyConditionExpression: {op}"),
    )
}

fn top_name(o: &Operand) -> Option<&str> {
    match o {
        Operand::Path(Path(steps)) if steps.len() == 1 => match &steps[0] {
            Step::Name(n) => Some(n),
            Step::Index(_) => None,
        },
        _ => None,
    }
}

fn lit(o: &Operand) -> Option<&Attr> {
    match o {
        Operand::Lit(a) => Some(a),
        _ => None,
    }
}

fn flip(c: Cmp) -> Cmp {
    match c {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    }
}

fn key_conditions(
    c: Cond,
    hash: &KeyDef,
    range: Option<&KeyDef>,
) -> Result<(KeyVal, Option<SortCond>), AwsError> {
    let mut parts = Vec::new();
    flatten(c, &mut parts)?;
    let mut h: Option<KeyVal> = None;
    let mut s: Option<SortCond> = None;
    for p in parts {
        let (name, sc) = match p {
            Cond::Compare(a, cmp, b) => {
                let (name, value, cmp) = match (top_name(&a), lit(&b), top_name(&b), lit(&a)) {
                    (Some(n), Some(v), _, _) => (n.to_string(), v.clone(), cmp),
                    (_, _, Some(n), Some(v)) => (n.to_string(), v.clone(), flip(cmp)),
                    _ => return Err(unsupported()),
                };
                if cmp == Cmp::Ne {
                    return Err(invalid_key_op(&Cond::Compare(a, cmp, b)));
                }
                (name, SortCond::Cmp(cmp, value))
            }
            Cond::Between(a, lo, hi) => match (top_name(&a), lit(&lo), lit(&hi)) {
                (Some(n), Some(l), Some(u)) => {
                    (n.to_string(), SortCond::Between(l.clone(), u.clone()))
                }
                _ => return Err(unsupported()),
            },
            Cond::BeginsWith(a, b) => match (top_name(&a), lit(&b)) {
                (Some(n), Some(v)) => (n.to_string(), SortCond::BeginsWith(v.clone())),
                _ => return Err(unsupported()),
            },
            other => return Err(invalid_key_op(&other)),
        };
        if name == hash.name {
            if h.is_some() {
                return Err(validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            match sc {
                SortCond::Cmp(Cmp::Eq, v) => {
                    let kv = KeyVal::of(&v).filter(|k| k.type_name() == hash.typ).ok_or_else(|| {
                        validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
                    })?;
                    h = Some(kv);
                }
                _ => return Err(unsupported()),
            }
        } else if range.is_some_and(|r| r.name == name) {
            if s.is_some() {
                return Err(validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            s = Some(sc);
        } else {
            return Err(validation(format!(
                "Query condition missed key schema element: {}",
                hash.name
            )));
        }
    }
    let h = h.ok_or_else(|| {
        validation(format!(
            "Query condition missed key schema element: {}",
            hash.name
        ))
    })?;
    Ok((h, s))
}

fn sort_matches(sc: &SortCond, v: Option<&Attr>) -> bool {
    let Some(v) = v else { return false };
    let Some(k) = KeyVal::of(v) else { return false };
    let cmp_to = |a: &Attr| {
        KeyVal::of(a)
            .filter(|x| x.type_name() == k.type_name())
            .map(|x| k.cmp(&x))
    };
    match sc {
        SortCond::Cmp(c, a) => cmp_to(a).is_some_and(|o| match c {
            Cmp::Eq => o.is_eq(),
            Cmp::Lt => o.is_lt(),
            Cmp::Le => o.is_le(),
            Cmp::Gt => o.is_gt(),
            Cmp::Ge => o.is_ge(),
            Cmp::Ne => o.is_ne(),
        }),
        SortCond::Between(lo, hi) => {
            cmp_to(lo).is_some_and(|o| o.is_ge()) && cmp_to(hi).is_some_and(|o| o.is_le())
        }
        SortCond::BeginsWith(p) => match (v, p) {
            (Attr::S(x), Attr::S(y)) => x.starts_with(y.as_str()),
            (Attr::B(x), Attr::B(y)) => x.starts_with(y),
            _ => false,
        },
    }
}

/// The key attributes LastEvaluatedKey names for an item.
fn last_key(
    meta: &TableMeta,
    idx: Option<&IndexMeta>,
    item: &Item,
) -> BTreeMap<String, AttributeValue> {
    let mut names: Vec<&str> = meta.key_names();
    if let Some(i) = idx {
        names.push(&i.hash.name);
        if let Some(r) = &i.range {
            names.push(&r.name);
        }
    }
    let pairs: Vec<(&str, &Attr)> = names
        .iter()
        .filter_map(|n| item.get(*n).map(|v| (*n, v)))
        .collect();
    key_map(&pairs)
}

struct Page {
    items: Vec<Item>,
    scanned: usize,
    last: Option<BTreeMap<String, AttributeValue>>,
    bytes: usize,
}

/// Walks candidates in order from after `start`, filtering and paging as
/// DynamoDB does: Limit counts evaluated items, and a page stops at 1 MB.
fn page(
    meta: &TableMeta,
    idx: Option<&IndexMeta>,
    candidates: Vec<(ItemKey, Item)>,
    start: Option<ItemKey>,
    limit: Option<usize>,
    filter: Option<&Cond>,
    kind: Kind,
) -> Result<Page, AwsError> {
    let mut out = Page {
        items: Vec::new(),
        scanned: 0,
        last: None,
        bytes: 0,
    };
    let mut iter = candidates.into_iter();
    if let Some(s) = start {
        for (k, _) in iter.by_ref() {
            if k == s {
                break;
            }
        }
    }
    for (_, item) in iter {
        let size = item_size(&item);
        out.scanned += 1;
        out.bytes += size;
        let keep = match filter {
            Some(f) => expr::evaluate(kind, f, &item)?,
            None => true,
        };
        let full = limit.is_some_and(|l| out.scanned >= l) || out.bytes >= PAGE_BYTES;
        if full {
            out.last = Some(last_key(meta, idx, &item));
        }
        if keep {
            out.items.push(item);
        }
        if full {
            break;
        }
    }
    Ok(out)
}

fn shape_items(
    meta: &TableMeta,
    idx: Option<&IndexMeta>,
    items: Vec<Item>,
    proj: Option<&Vec<Path>>,
    select: &str,
) -> Option<Vec<BTreeMap<String, AttributeValue>>> {
    if select == "COUNT" {
        return None;
    }
    Some(
        items
            .iter()
            .map(|i| {
                let base = match (idx, select) {
                    (Some(ix), "ALL_PROJECTED_ATTRIBUTES") | (Some(ix), "") => {
                        index_projection(meta, ix, i)
                    }
                    _ => i.clone(),
                };
                let shaped = match proj {
                    Some(p) => expr::project(&base, p),
                    None => base,
                };
                item_to_wire(&shaped)
            })
            .collect(),
    )
}

/// Checks `Select` against the projection and the index, with DynamoDB's
/// messages; `proj` names the projection parameter given, if any. Query's
/// refusal of a projection with COUNT carries the validation prefix that
/// Scan's lacks, as AWS answers.
fn check_select(
    select: Option<&str>,
    proj: Option<&str>,
    idx: Option<&IndexMeta>,
    query: bool,
) -> Result<String, AwsError> {
    let s = select.unwrap_or("").to_string();
    if s == "SPECIFIC_ATTRIBUTES" && proj.is_none() {
        return Err(validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        ));
    }
    if let Some(p) = proj.filter(|_| !s.is_empty() && s != "SPECIFIC_ATTRIBUTES") {
        let what = if s == "COUNT" {
            "only the Count"
        } else {
            s.as_str()
        };
        let prefix = if query && s == "COUNT" {
            "1 validation error detected: "
        } else {
            ""
        };
        return Err(validation(format!(
            "{prefix}Cannot specify the {p} when choosing to get {what}"
        )));
    }
    if s == "ALL_PROJECTED_ATTRIBUTES" && idx.is_none() {
        return Err(validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ));
    }
    if let Some(i) = idx.filter(|i| s == "ALL_ATTRIBUTES" && i.global && i.projection != "ALL") {
        return Err(validation(format!(
            "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
            i.name
        )));
    }
    Ok(s)
}

fn start_key(
    meta: &TableMeta,
    esk: Option<BTreeMap<String, AttributeValue>>,
) -> Result<Option<ItemKey>, AwsError> {
    let Some(esk) = esk else { return Ok(None) };
    let item = item_from_wire(esk)?;
    key_of(meta, &item)
        .map(Some)
        .ok_or_else(|| validation("The provided starting key is invalid: The provided key element does not match the schema"))
}

/// Query and Scan read the bytes of every item they evaluate, charged to
/// the index they read when they name one.
fn capacity_for(
    meta: &TableMeta,
    idx: Option<&IndexMeta>,
    bytes: usize,
    consistent: bool,
    mode: Option<&str>,
) -> Option<ConsumedCapacity> {
    Units::read(idx, read_units(bytes, consistent)).report(&meta.name, mode)
}

/// What Query and Scan both answer.
struct Answer {
    items: Option<Vec<BTreeMap<String, AttributeValue>>>,
    count: i32,
    scanned: i32,
    last: Option<BTreeMap<String, AttributeValue>>,
    capacity: Option<ConsumedCapacity>,
}

#[allow(clippy::too_many_arguments)]
fn respond(
    meta: &TableMeta,
    idx: Option<&IndexMeta>,
    candidates: Vec<(ItemKey, Item)>,
    esk: &Option<BTreeMap<String, AttributeValue>>,
    limit: Option<i32>,
    filter: Option<&Cond>,
    proj: Option<&Vec<Path>>,
    select: &str,
    consistent: Option<bool>,
    capacity_mode: Option<&str>,
) -> Result<Answer, AwsError> {
    let limit = limit.map(|l| l.max(1) as usize);
    // A global index holds only what it projects: its filters and the units
    // read see the projected entries.
    let candidates = match idx.filter(|i| i.global && i.projection != "ALL") {
        Some(ix) => candidates
            .into_iter()
            .map(|(k, i)| {
                let entry = index_projection(meta, ix, &i);
                (k, entry)
            })
            .collect(),
        None => candidates,
    };
    let p = page(
        meta,
        idx,
        candidates,
        start_key(meta, esk.clone())?,
        limit,
        filter,
        Kind::Filter,
    )?;
    Ok(Answer {
        capacity: capacity_for(
            meta,
            idx,
            p.bytes,
            consistent.unwrap_or(false),
            capacity_mode,
        ),
        count: p.items.len() as i32,
        scanned: p.scanned as i32,
        items: shape_items(meta, idx, p.items, proj, select),
        last: p.last,
    })
}

pub fn query(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: QueryInput,
) -> Result<QueryOutput, AwsError> {
    let table = db.table(ctx, &input.table_name)?;
    let op = input.conditional_operator.as_deref();
    let legacy_keys = match input.key_conditions {
        Some(k) => legacy::conditions(k, None)?,
        None => None,
    };
    let filter_is_legacy = input.query_filter.is_some();
    let legacy_filter = match input.query_filter {
        Some(f) => legacy::conditions(f, op)?,
        None => None,
    };
    let mut ex = Exprs::new(
        input.expression_attribute_names,
        input.expression_attribute_values,
    )?;
    let kc = ex
        .either(Kind::KeyCondition, input.key_condition_expression.as_deref(), legacy_keys, "KeyConditions")?
        .ok_or_else(|| validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."))?;
    let filter = ex.either(
        Kind::Filter,
        input.filter_expression.as_deref(),
        legacy_filter,
        "QueryFilter",
    )?;
    let proj_param = match (&input.attributes_to_get, &input.projection_expression) {
        (Some(_), _) => Some("AttributesToGet"),
        (None, Some(_)) => Some("ProjectionExpression"),
        _ => None,
    };
    let proj = ex.projection_or_legacy(
        input.projection_expression.as_deref(),
        input.attributes_to_get,
    )?;
    ex.finish()?;
    let meta = table.meta.read().clone();
    let idx = index_named(&meta, input.index_name.as_deref(), ctx.clock.now_millis())?;
    let select = check_select(input.select.as_deref(), proj_param, idx.as_ref(), true)?;
    if input.consistent_read == Some(true) && idx.as_ref().is_some_and(|i| i.global) {
        return Err(validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    let (hash, range) = match &idx {
        Some(i) => (&i.hash, i.range.as_ref()),
        None => (&meta.hash, meta.range.as_ref()),
    };
    // A filter cannot read the key attributes of what it queries.
    if let Some(f) = &filter {
        let heads = f.heads();
        if let Some(k) = std::iter::once(hash)
            .chain(range)
            .find(|k| heads.contains(&k.name.as_str()))
        {
            let what = if filter_is_legacy {
                "QueryFilter"
            } else {
                "Filter Expression"
            };
            return Err(validation(format!(
                "{what} can only contain non-primary key attributes: Primary key attribute: {}",
                k.name
            )));
        }
    }
    let (hv, sc) = key_conditions(kc, hash, range)?;
    let mut candidates: Vec<(ItemKey, Item)> = {
        let items = table.items.lock();
        match &idx {
            None => items
                .range((hv.clone(), None)..)
                .take_while(|((h, _), _)| *h == hv)
                .filter(|(_, i)| {
                    sc.as_ref()
                        .is_none_or(|s| sort_matches(s, range.and_then(|r| i.get(&r.name))))
                })
                .map(|(k, i)| (k.clone(), i.clone()))
                .collect(),
            // The index's own entries, already in its key order.
            Some(ix) => items
                .index_partition(&ix.name, &hv)
                .filter(|(_, i)| {
                    sc.as_ref()
                        .is_none_or(|s| sort_matches(s, range.and_then(|r| i.get(&r.name))))
                })
                .map(|(k, i)| (k.clone(), i.clone()))
                .collect(),
        }
    };
    if input.scan_index_forward == Some(false) {
        candidates.reverse();
    }
    let r = respond(
        &meta,
        idx.as_ref(),
        candidates,
        &input.exclusive_start_key,
        input.limit,
        filter.as_ref(),
        proj.as_ref(),
        &select,
        input.consistent_read,
        input.return_consumed_capacity.as_deref(),
    )?;
    Ok(QueryOutput {
        consumed_capacity: r.capacity,
        items: r.items,
        count: Some(r.count),
        scanned_count: Some(r.scanned),
        last_evaluated_key: r.last,
    })
}

/// The index a Query or Scan names; one still backfilling cannot be read,
/// and one being deleted is no longer the table's.
fn index_named(
    meta: &TableMeta,
    name: Option<&str>,
    now_ms: i64,
) -> Result<Option<IndexMeta>, AwsError> {
    let Some(n) = name else { return Ok(None) };
    let i = meta
        .index(n)
        .filter(|i| i.deleted_ms == 0)
        .ok_or_else(|| validation(format!("The table does not have the specified index: {n}")))?;
    if i.backfilling(now_ms) {
        return Err(validation(format!(
            "Cannot read from backfilling global secondary index: {n}"
        )));
    }
    Ok(Some(i.clone()))
}

fn segment_of(k: &KeyVal, total: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    (h.finish() % total as u64) as usize
}

pub fn scan(db: &DynamoDb, ctx: &RequestContext, input: ScanInput) -> Result<ScanOutput, AwsError> {
    let segment = match (input.segment, input.total_segments) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(t)) => {
            if s >= t {
                return Err(validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            Some((s as usize, t as usize))
        }
    };
    let table = db.table(ctx, &input.table_name)?;
    let legacy_filter = match input.scan_filter {
        Some(f) => legacy::conditions(f, input.conditional_operator.as_deref())?,
        None => None,
    };
    let mut ex = Exprs::new(
        input.expression_attribute_names,
        input.expression_attribute_values,
    )?;
    let filter = ex.either(
        Kind::Filter,
        input.filter_expression.as_deref(),
        legacy_filter,
        "ScanFilter",
    )?;
    let proj_param = match (&input.attributes_to_get, &input.projection_expression) {
        (Some(_), _) => Some("AttributesToGet"),
        (None, Some(_)) => Some("ProjectionExpression"),
        _ => None,
    };
    let proj = ex.projection_or_legacy(
        input.projection_expression.as_deref(),
        input.attributes_to_get,
    )?;
    ex.finish()?;
    let meta = table.meta.read().clone();
    let idx = index_named(&meta, input.index_name.as_deref(), ctx.clock.now_millis())?;
    let select = check_select(input.select.as_deref(), proj_param, idx.as_ref(), false)?;
    let candidates: Vec<(ItemKey, Item)> = table
        .items
        .lock()
        .iter()
        .filter(|(k, _)| segment.is_none_or(|(s, t)| segment_of(&k.0, t) == s))
        .filter(|(_, i)| {
            idx.as_ref().is_none_or(|ix| {
                i.contains_key(&ix.hash.name)
                    && ix.range.as_ref().is_none_or(|r| i.contains_key(&r.name))
            })
        })
        .map(|(k, i)| (k.clone(), i.clone()))
        .collect();
    let r = respond(
        &meta,
        idx.as_ref(),
        candidates,
        &input.exclusive_start_key,
        input.limit,
        filter.as_ref(),
        proj.as_ref(),
        &select,
        input.consistent_read,
        input.return_consumed_capacity.as_deref(),
    )?;
    Ok(ScanOutput {
        consumed_capacity: r.capacity,
        items: r.items,
        count: Some(r.count),
        scanned_count: Some(r.scanned),
        last_evaluated_key: r.last,
    })
}
