//! Table operations: create, describe, list, update, delete, tags, TTL.

use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use crate::DynamoDb;
use crate::attr::validation;
use crate::generated::*;
use crate::state::{DELETING, IndexMeta, KeyDef, Table, TableMeta};

/// How long a table stays CREATING or UPDATING: short, so code that waits
/// as it must on AWS (`wait_until_exists`) is not slowed down.
pub const SETTLE_MS: i64 = 500;
/// How long a global index added by UpdateTable backfills.
pub const BACKFILL_MS: i64 = 1000;
/// How long a deleted table stays DELETING before it is gone.
pub const DELETE_MS: i64 = 1000;
/// How long a global index deleted by UpdateTable stays DELETING (its
/// table UPDATING) before it is gone.
pub const INDEX_DELETE_MS: i64 = 1000;

fn in_use(what: String) -> AwsError {
    AwsError::bad_request(
        "ResourceInUseException",
        format!("Attempt to change a resource which is still in use: {what}"),
    )
}

pub fn not_found_table(name: &str) -> AwsError {
    AwsError::bad_request(
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
}

fn invalid(msg: impl std::fmt::Display) -> AwsError {
    validation(format!("One or more parameter values were invalid: {msg}"))
}

/// Reads the hash and range keys of a key schema, checked against the
/// attribute definitions.
fn key_schema(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
    what: &str,
) -> Result<(KeyDef, Option<KeyDef>), AwsError> {
    let typ = |name: &str| -> Result<String, AwsError> {
        defs.iter()
            .find(|d| d.attribute_name == name)
            .map(|d| d.attribute_type.clone())
            .ok_or_else(|| {
                invalid(format!(
                    "Some index key attributes are not defined in AttributeDefinitions. Keys: [{name}], AttributeDefinitions: [{}]",
                    defs.iter().map(|d| d.attribute_name.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })
    };
    let hashes: Vec<&KeySchemaElement> = schema.iter().filter(|k| k.key_type == "HASH").collect();
    let ranges: Vec<&KeySchemaElement> = schema.iter().filter(|k| k.key_type == "RANGE").collect();
    if hashes.len() != 1 || ranges.len() > 1 || schema.len() > 2 {
        return Err(invalid(format!(
            "Invalid KeySchema: {what} must have exactly one hash key and at most one range key"
        )));
    }
    if schema.first().is_some_and(|k| k.key_type != "HASH") {
        return Err(invalid(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    let hash = KeyDef {
        name: hashes[0].attribute_name.clone(),
        typ: typ(&hashes[0].attribute_name)?,
    };
    let range = match ranges.first() {
        Some(r) => Some(KeyDef {
            name: r.attribute_name.clone(),
            typ: typ(&r.attribute_name)?,
        }),
        None => None,
    };
    Ok((hash, range))
}

fn projection(p: &Projection) -> (String, Vec<String>) {
    (
        p.projection_type.clone().unwrap_or_else(|| "ALL".into()),
        p.non_key_attributes.clone().unwrap_or_default(),
    )
}

pub fn create_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: CreateTableInput,
) -> Result<CreateTableOutput, AwsError> {
    let defs = input.attribute_definitions.clone().unwrap_or_default();
    let schema = input
        .key_schema
        .clone()
        .ok_or_else(|| validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null"))?;
    for d in &defs {
        if !["S", "N", "B"].contains(&d.attribute_type.as_str()) {
            return Err(invalid(format!(
                "Member must satisfy enum value set: [B, N, S] for attribute {}",
                d.attribute_name
            )));
        }
    }
    let (hash, range) = key_schema(&schema, &defs, "Table")?;
    let billing = input
        .billing_mode
        .clone()
        .unwrap_or_else(|| "PROVISIONED".into());
    let (rcu, wcu) = match (&billing[..], &input.provisioned_throughput) {
        ("PROVISIONED", Some(p)) => (p.read_capacity_units, p.write_capacity_units),
        ("PROVISIONED", None) => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ));
        }
        (_, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        (_, None) => (0, 0),
    };
    let mut indexes = Vec::new();
    let mut used: Vec<&str> = vec![hash.name.as_str()];
    if let Some(r) = &range {
        used.push(&r.name);
    }
    for g in input.global_secondary_indexes.iter().flatten() {
        let (h, r) = key_schema(&g.key_schema, &defs, "GlobalSecondaryIndex")?;
        let (p, nk) = projection(&g.projection);
        let (gr, gw) = match (&billing[..], &g.provisioned_throughput) {
            ("PROVISIONED", Some(t)) => (t.read_capacity_units, t.write_capacity_units),
            ("PROVISIONED", None) => {
                return Err(invalid(format!(
                    "ProvisionedThroughput must be specified for index: {}",
                    g.index_name
                )));
            }
            _ => (0, 0),
        };
        indexes.push(IndexMeta {
            name: g.index_name.clone(),
            hash: h,
            range: r,
            projection: p,
            non_key: nk,
            rcu: gr,
            wcu: gw,
            global: true,
            backfilled_ms: 0,
            deleted_ms: 0,
        });
    }
    for l in input.local_secondary_indexes.iter().flatten() {
        let (h, r) = key_schema(&l.key_schema, &defs, "LocalSecondaryIndex")?;
        if range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        if h != hash {
            return Err(invalid(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                l.index_name, h.name, hash.name
            )));
        }
        let (p, nk) = projection(&l.projection);
        indexes.push(IndexMeta {
            name: l.index_name.clone(),
            hash: h,
            range: r,
            projection: p,
            non_key: nk,
            rcu,
            wcu,
            global: false,
            backfilled_ms: 0,
            deleted_ms: 0,
        });
    }
    for i in &indexes {
        used.push(&i.hash.name);
        if let Some(r) = &i.range {
            used.push(&r.name);
        }
    }
    if let Some(d) = defs
        .iter()
        .find(|d| !used.contains(&d.attribute_name.as_str()))
    {
        return Err(invalid(format!(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions; unused attribute: {}",
            d.attribute_name
        )));
    }
    let mut names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("Duplicate index name"));
    }
    let stream = input
        .stream_specification
        .as_ref()
        .filter(|s| s.stream_enabled)
        .map(|s| {
            s.stream_view_type
                .clone()
                .unwrap_or_else(|| "NEW_AND_OLD_IMAGES".into())
        });
    let now = ctx.clock.now_millis();
    let meta = TableMeta {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        name: input.table_name.clone(),
        id: ids::uuid_v4(),
        created_ms: now,
        hash,
        range,
        attribute_definitions: defs
            .iter()
            .map(|d| (d.attribute_name.clone(), d.attribute_type.clone()))
            .collect(),
        billing_mode: billing,
        rcu,
        wcu,
        indexes,
        stream_label: stream.as_ref().map(|_| {
            stratus_core::time::iso8601_millis(now)
                .trim_end_matches('Z')
                .to_string()
        }),
        stream,
        tags: input
            .tags
            .iter()
            .flatten()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        table_class: input
            .table_class
            .clone()
            .unwrap_or_else(|| "STANDARD".into()),
        ttl_attribute: None,
        pitr_days: None,
        pitr_enabled_ms: 0,
        transition: "CREATING".into(),
        settles_ms: now + SETTLE_MS,
        sse: input
            .sse_specification
            .as_ref()
            .and_then(|s| s.enabled)
            .unwrap_or(false),
    };
    if !db.tables.create(meta.clone(), now)? {
        return Err(AwsError::bad_request(
            "ResourceInUseException",
            format!("Table already exists: {}", input.table_name),
        ));
    }
    let table = db
        .tables
        .get(&meta.account, &meta.region, &meta.name)
        .ok_or_else(|| not_found_table(&meta.name))?;
    Ok(CreateTableOutput {
        table_description: Some(describe(&table, now)),
    })
}

fn key_elements(hash: &KeyDef, range: &Option<KeyDef>) -> Vec<KeySchemaElement> {
    let mut v = vec![KeySchemaElement {
        attribute_name: hash.name.clone(),
        key_type: "HASH".into(),
    }];
    if let Some(r) = range {
        v.push(KeySchemaElement {
            attribute_name: r.name.clone(),
            key_type: "RANGE".into(),
        });
    }
    v
}

fn throughput(rcu: i64, wcu: i64) -> ProvisionedThroughputDescription {
    ProvisionedThroughputDescription {
        number_of_decreases_today: Some(0),
        read_capacity_units: Some(rcu),
        write_capacity_units: Some(wcu),
        ..Default::default()
    }
}

/// The table as DescribeTable shows it at `now_ms`.
pub fn describe(table: &Table, now_ms: i64) -> TableDescription {
    let m = table.meta.read();
    let status = m.status(now_ms);
    let items = table.items.lock();
    let size: i64 = items
        .values()
        .map(|i| crate::attr::item_size(i) as i64)
        .sum();
    let count = items.len() as i64;
    let arn = m.arn();
    let index_desc = |i: &IndexMeta| -> (Vec<KeySchemaElement>, Projection, i64, i64) {
        let members = items
            .values()
            .filter(|it| {
                it.contains_key(&i.hash.name)
                    && i.range.as_ref().is_none_or(|r| it.contains_key(&r.name))
            })
            .count() as i64;
        let proj = Projection {
            projection_type: Some(i.projection.clone()),
            non_key_attributes: (!i.non_key.is_empty()).then(|| i.non_key.clone()),
        };
        (key_elements(&i.hash, &i.range), proj, members, 0)
    };
    let gsis: Vec<GlobalSecondaryIndexDescription> = m
        .indexes
        .iter()
        .filter(|i| i.global && !i.gone(now_ms))
        .map(|i| {
            let (ks, proj, n, _) = index_desc(i);
            let status = i.status(now_ms);
            GlobalSecondaryIndexDescription {
                index_name: Some(i.name.clone()),
                key_schema: Some(ks),
                // AWS leaves the projection out of an index being deleted.
                projection: (status != DELETING).then_some(proj),
                index_status: Some(status.into()),
                backfilling: (status == "CREATING").then_some(true),
                provisioned_throughput: Some(throughput(i.rcu, i.wcu)),
                index_size_bytes: Some(0),
                item_count: Some(n),
                index_arn: Some(format!("{arn}/index/{}", i.name)),
                ..Default::default()
            }
        })
        .collect();
    let lsis: Vec<LocalSecondaryIndexDescription> = m
        .indexes
        .iter()
        .filter(|i| !i.global)
        .map(|i| {
            let (ks, proj, n, _) = index_desc(i);
            LocalSecondaryIndexDescription {
                index_name: Some(i.name.clone()),
                key_schema: Some(ks),
                projection: Some(proj),
                index_size_bytes: Some(0),
                item_count: Some(n),
                index_arn: Some(format!("{arn}/index/{}", i.name)),
            }
        })
        .collect();
    TableDescription {
        attribute_definitions: Some(
            m.attribute_definitions
                .iter()
                .map(|(n, t)| AttributeDefinition {
                    attribute_name: n.clone(),
                    attribute_type: t.clone(),
                })
                .collect(),
        ),
        table_name: Some(m.name.clone()),
        key_schema: Some(key_elements(&m.hash, &m.range)),
        table_status: Some(status.into()),
        creation_date_time: Some(Timestamp(m.created_ms)),
        provisioned_throughput: Some(throughput(m.rcu, m.wcu)),
        table_size_bytes: Some(size),
        item_count: Some(count),
        table_arn: Some(arn.clone()),
        table_id: Some(m.id.clone()),
        billing_mode_summary: (m.billing_mode == "PAY_PER_REQUEST").then(|| BillingModeSummary {
            billing_mode: Some(m.billing_mode.clone()),
            last_update_to_pay_per_request_date_time: Some(Timestamp(m.created_ms)),
        }),
        global_secondary_indexes: (!gsis.is_empty()).then_some(gsis),
        local_secondary_indexes: (!lsis.is_empty()).then_some(lsis),
        stream_specification: m.stream.as_ref().map(|v| StreamSpecification {
            stream_enabled: true,
            stream_view_type: Some(v.clone()),
        }),
        latest_stream_label: m.stream_label.clone(),
        latest_stream_arn: m.stream_label.as_ref().map(|l| format!("{arn}/stream/{l}")),
        table_class_summary: (m.table_class != "STANDARD").then(|| TableClassSummary {
            table_class: Some(m.table_class.clone()),
            ..Default::default()
        }),
        sse_description: m.sse.then(|| SSEDescription {
            status: Some("ENABLED".into()),
            sse_type: Some("KMS".into()),
            kms_master_key_arn: Some(format!(
                "arn:aws:kms:{}:{}:key/{}",
                m.region,
                m.account,
                ids::uuid_v4()
            )),
            ..Default::default()
        }),
        deletion_protection_enabled: Some(m.deletion_protection),
        warm_throughput: Some(TableWarmThroughputDescription {
            read_units_per_second: Some(if m.billing_mode == "PAY_PER_REQUEST" {
                12000
            } else {
                m.rcu.max(1)
            }),
            write_units_per_second: Some(if m.billing_mode == "PAY_PER_REQUEST" {
                4000
            } else {
                m.wcu.max(1)
            }),
            status: Some("ACTIVE".into()),
        }),
        ..Default::default()
    }
}

pub fn describe_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: DescribeTableInput,
) -> Result<DescribeTableOutput, AwsError> {
    let t = db.table_for_describe(ctx, &input.table_name)?;
    Ok(DescribeTableOutput {
        table: Some(describe(&t, ctx.clock.now_millis())),
    })
}

/// How long DescribeTable should hold its answer: until the table's
/// transition ends, if it is in one. A deletion in progress (of the table
/// or of an index) is what a user watching DescribeTable wants to see, so
/// only an SDK waiter's poll waits that out.
pub fn settling(db: &DynamoDb, ctx: &RequestContext, name: &str) -> Option<i64> {
    let now = ctx.clock.now_millis();
    let t = db.tables.live(ctx.account_id(), &ctx.region, name, now)?;
    let m = t.meta.read();
    let deletion = m.status(now) == DELETING || !m.deleting_indexes(now).is_empty();
    if deletion && !ctx.from_waiter {
        return None;
    }
    (m.status(now) != "ACTIVE").then(|| m.settles_ms - now)
}

/// Refuses changes to a table that is being created, updated or deleted,
/// as AWS does.
fn check_settled(m: &TableMeta, now_ms: i64, deleting: bool) -> Result<(), AwsError> {
    match m.status(now_ms) {
        "CREATING" => Err(in_use(format!("Table is being created: {}", m.name))),
        DELETING => Err(in_use(format!("Table is being deleted: {}", m.name))),
        "UPDATING" if deleting => Err(in_use(format!(
            "Table: {} is in the process of being updated.",
            m.name
        ))),
        "UPDATING" => Err(in_use(format!("Table is being updated: {}", m.name))),
        _ => Ok(()),
    }
}

pub fn list_tables(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: ListTablesInput,
) -> Result<ListTablesOutput, AwsError> {
    let limit = input.limit.unwrap_or(100).clamp(1, 100) as usize;
    let all = db
        .tables
        .list(ctx.account_id(), &ctx.region, ctx.clock.now_millis());
    let start = match &input.exclusive_start_table_name {
        Some(s) => all
            .iter()
            .position(|n| n.as_str() > s.as_str())
            .unwrap_or(all.len()),
        None => 0,
    };
    let page: Vec<String> = all[start..].iter().take(limit).cloned().collect();
    let more = start + page.len() < all.len();
    Ok(ListTablesOutput {
        last_evaluated_table_name: if more { page.last().cloned() } else { None },
        table_names: Some(page),
    })
}

pub fn delete_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: DeleteTableInput,
) -> Result<DeleteTableOutput, AwsError> {
    let t = db.table_for_describe(ctx, &input.table_name)?;
    let now = ctx.clock.now_millis();
    {
        let mut m = t.meta.write();
        if m.status(now) != DELETING
            && m.indexes
                .iter()
                .any(|i| i.backfilling(now) || i.deleting(now))
        {
            return Err(in_use(
                "Cannot delete table while indexes are being created, updated, or deleted.".into(),
            ));
        }
        check_settled(&m, now, true)?;
        if m.deletion_protection {
            return Err(AwsError::bad_request(
                "ValidationException",
                format!(
                    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
                ),
            ));
        }
        // The table, its items and its stream go when the phase ends
        // (`Tables::reap`); the stored status says so across a restart.
        m.begin(DELETING, now, DELETE_MS);
        db.tables.save_meta(&m)?;
    }
    Ok(DeleteTableOutput {
        table_description: Some(describe(&t, now)),
    })
}

/// Refuses the updates AWS refuses while a global index is being deleted:
/// any naming that index, and throughput or billing changes. A change of
/// deletion protection alone goes through; anything else waits for the
/// table, as any update of an UPDATING table does.
fn check_index_deletions(
    m: &TableMeta,
    input: &UpdateTableInput,
    now_ms: i64,
    changes_table: bool,
) -> Result<(), AwsError> {
    let deleting = m.deleting_indexes(now_ms);
    if deleting.is_empty() {
        return check_settled(m, now_ms, false);
    }
    for u in input.global_secondary_index_updates.iter().flatten() {
        let named = u
            .update
            .as_ref()
            .map(|x| &x.index_name)
            .or(u.delete.as_ref().map(|x| &x.index_name));
        if let Some(n) = named.filter(|n| deleting.contains(&n.as_str())) {
            return Err(in_use(format!(
                "Index is being deleted. Table: {} Index: {n}",
                m.name
            )));
        }
    }
    if input.billing_mode.is_some() || input.provisioned_throughput.is_some() {
        return Err(in_use(format!(
            "Can't change table IOPS when an index is being deleted. Table: {} Indexes: [{}]",
            m.name,
            deleting.join(", ")
        )));
    }
    if changes_table {
        return check_settled(m, now_ms, false);
    }
    Ok(())
}

pub fn update_table(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: UpdateTableInput,
) -> Result<UpdateTableOutput, AwsError> {
    let t = db.table_for_describe(ctx, &input.table_name)?;
    let now = ctx.clock.now_millis();
    {
        let mut current = t.meta.write();
        if current.status(now) != DELETING && current.drop_deleted_indexes(now) {
            t.items.lock().reindex(&current);
            db.tables.save_meta(&current)?;
        }
        // Changes go to a copy, so that a request refused halfway (an
        // unknown index in its second update, say) changes nothing.
        let mut m = current.clone();
        // Only a change of deletion protection leaves the table ACTIVE.
        let changes_table = input.billing_mode.is_some()
            || input.provisioned_throughput.is_some()
            || input.table_class.is_some()
            || input.stream_specification.is_some()
            || input.global_secondary_index_updates.is_some();
        check_index_deletions(&m, &input, now, changes_table)?;
        let mut settles = changes_table.then_some(SETTLE_MS);
        if let Some(b) = &input.billing_mode {
            m.billing_mode = b.clone();
            if b == "PAY_PER_REQUEST" {
                m.rcu = 0;
                m.wcu = 0;
            }
        }
        if let Some(p) = &input.provisioned_throughput {
            if m.billing_mode == "PAY_PER_REQUEST" {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            if p.read_capacity_units == m.rcu && p.write_capacity_units == m.wcu {
                return Err(validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    m.rcu, p.read_capacity_units, m.wcu, p.write_capacity_units
                )));
            }
            m.rcu = p.read_capacity_units;
            m.wcu = p.write_capacity_units;
        }
        if let Some(d) = input.deletion_protection_enabled {
            m.deletion_protection = d;
        }
        if let Some(c) = &input.table_class {
            m.table_class = c.clone();
        }
        if let Some(s) = &input.stream_specification {
            m.stream = s.stream_enabled.then(|| {
                s.stream_view_type
                    .clone()
                    .unwrap_or_else(|| "NEW_AND_OLD_IMAGES".into())
            });
            if s.stream_enabled {
                m.stream_label = Some(
                    stratus_core::time::iso8601_millis(ctx.clock.now_millis())
                        .trim_end_matches('Z')
                        .to_string(),
                );
            }
        }
        let defs: Vec<AttributeDefinition> =
            input.attribute_definitions.clone().unwrap_or_else(|| {
                m.attribute_definitions
                    .iter()
                    .map(|(n, t)| AttributeDefinition {
                        attribute_name: n.clone(),
                        attribute_type: t.clone(),
                    })
                    .collect()
            });
        for u in input.global_secondary_index_updates.iter().flatten() {
            if let Some(c) = &u.create {
                if m.index(&c.index_name).is_some() {
                    return Err(invalid(format!(
                        "Index with name: {} already exists",
                        c.index_name
                    )));
                }
                let (h, r) = key_schema(&c.key_schema, &defs, "GlobalSecondaryIndex")?;
                let (p, nk) = projection(&c.projection);
                let (gr, gw) = c
                    .provisioned_throughput
                    .as_ref()
                    .map_or((0, 0), |t| (t.read_capacity_units, t.write_capacity_units));
                for d in &defs {
                    if !m
                        .attribute_definitions
                        .iter()
                        .any(|(n, _)| n == &d.attribute_name)
                    {
                        m.attribute_definitions
                            .push((d.attribute_name.clone(), d.attribute_type.clone()));
                    }
                }
                m.indexes.push(IndexMeta {
                    name: c.index_name.clone(),
                    hash: h,
                    range: r,
                    projection: p,
                    non_key: nk,
                    rcu: gr,
                    wcu: gw,
                    global: true,
                    backfilled_ms: now + BACKFILL_MS,
                    deleted_ms: 0,
                });
                // The table stays UPDATING until the new index is ACTIVE.
                settles = Some(settles.unwrap_or(0).max(BACKFILL_MS));
            }
            if let Some(d) = &u.delete {
                // The index stays, DELETING, until the phase ends
                // (`TableMeta::drop_deleted_indexes`).
                let Some(i) = m
                    .indexes
                    .iter_mut()
                    .find(|i| i.global && i.name == d.index_name)
                else {
                    return Err(AwsError::bad_request(
                        "ResourceNotFoundException",
                        format!(
                            "Requested resource not found: Index: {} not found",
                            d.index_name
                        ),
                    ));
                };
                i.deleted_ms = now + INDEX_DELETE_MS;
                settles = Some(settles.unwrap_or(0).max(INDEX_DELETE_MS));
            }
            if let Some(up) = &u.update {
                let Some(i) = m
                    .indexes
                    .iter_mut()
                    .find(|i| i.global && i.name == up.index_name)
                else {
                    return Err(AwsError::bad_request(
                        "ResourceNotFoundException",
                        format!(
                            "Requested resource not found: Index {} for table {}",
                            up.index_name, m.name
                        ),
                    ));
                };
                if let Some(p) = &up.provisioned_throughput {
                    i.rcu = p.read_capacity_units;
                    i.wcu = p.write_capacity_units;
                }
            }
        }
        if let Some(after) = settles {
            m.begin("UPDATING", now, after);
        }
        db.tables.save_meta(&m)?;
        if input.global_secondary_index_updates.is_some() {
            t.items.lock().reindex(&m);
        }
        *current = m;
    }
    Ok(UpdateTableOutput {
        table_description: Some(describe(&t, now)),
    })
}

fn table_by_arn(
    db: &DynamoDb,
    ctx: &RequestContext,
    arn: &str,
) -> Result<std::sync::Arc<Table>, AwsError> {
    let name = arn
        .strip_prefix("arn:aws:dynamodb:")
        .and_then(|rest| rest.split_once(":table/"))
        .map(|(_, n)| n.split('/').next().unwrap_or(n))
        .ok_or_else(|| {
            validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })?;
    db.tables
        .live(ctx.account_id(), &ctx.region, name, ctx.clock.now_millis())
        .ok_or_else(|| {
            AwsError::bad_request(
                "ResourceNotFoundException",
                format!("Requested resource not found: ResourcArn: {arn} not found"),
            )
        })
}

/// Tags cannot change on a table being deleted.
fn refuse_if_deleting(m: &TableMeta, now_ms: i64) -> Result<(), AwsError> {
    if m.status(now_ms) == DELETING {
        return Err(in_use(format!("Table is being deleted: {}", m.name)));
    }
    Ok(())
}

pub fn tag_resource(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<(), AwsError> {
    let t = table_by_arn(db, ctx, &input.resource_arn)?;
    let mut m = t.meta.write();
    refuse_if_deleting(&m, ctx.clock.now_millis())?;
    for tag in input.tags {
        m.tags.retain(|(k, _)| k != &tag.key);
        m.tags.push((tag.key, tag.value));
    }
    if m.tags.len() > 50 {
        return Err(validation("The number of tags exceeds the limit of 50"));
    }
    db.tables.save_meta(&m)
}

pub fn untag_resource(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<(), AwsError> {
    let t = table_by_arn(db, ctx, &input.resource_arn)?;
    let mut m = t.meta.write();
    refuse_if_deleting(&m, ctx.clock.now_millis())?;
    m.tags.retain(|(k, _)| !input.tag_keys.contains(k));
    db.tables.save_meta(&m)
}

pub fn list_tags(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: ListTagsOfResourceInput,
) -> Result<ListTagsOfResourceOutput, AwsError> {
    let t = table_by_arn(db, ctx, &input.resource_arn)?;
    let m = t.meta.read();
    Ok(ListTagsOfResourceOutput {
        tags: Some(
            m.tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        ),
        next_token: None,
    })
}

pub fn update_ttl(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: UpdateTimeToLiveInput,
) -> Result<UpdateTimeToLiveOutput, AwsError> {
    let t = db.table_for_describe(ctx, &input.table_name)?;
    let mut m = t.meta.write();
    let spec = input.time_to_live_specification;
    match (&m.ttl_attribute, spec.enabled) {
        (Some(_), true) => return Err(validation("TimeToLive is already enabled")),
        (None, false) => return Err(validation("TimeToLive is already disabled")),
        _ => {}
    }
    m.ttl_attribute = spec.enabled.then(|| spec.attribute_name.clone());
    db.tables.save_meta(&m)?;
    Ok(UpdateTimeToLiveOutput {
        time_to_live_specification: Some(spec),
    })
}

pub fn describe_ttl(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: DescribeTimeToLiveInput,
) -> Result<DescribeTimeToLiveOutput, AwsError> {
    let t = db.table_for_describe(ctx, &input.table_name)?;
    let m = t.meta.read();
    if m.status(ctx.clock.now_millis()) == DELETING {
        return Err(validation(
            "Cannot describe time to live while table is in DELETING state: Current table state is DELETING",
        ));
    }
    Ok(DescribeTimeToLiveOutput {
        time_to_live_description: Some(TimeToLiveDescription {
            time_to_live_status: Some(
                if m.ttl_attribute.is_some() {
                    "ENABLED"
                } else {
                    "DISABLED"
                }
                .into(),
            ),
            attribute_name: m.ttl_attribute.clone(),
        }),
    })
}

fn backups(m: &crate::state::TableMeta, now_ms: i64) -> ContinuousBackupsDescription {
    ContinuousBackupsDescription {
        continuous_backups_status: "ENABLED".into(),
        point_in_time_recovery_description: Some(match m.pitr_days {
            Some(days) => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: Some("ENABLED".into()),
                recovery_period_in_days: Some(days),
                earliest_restorable_date_time: Some(Timestamp(
                    m.pitr_enabled_ms.max(now_ms - days as i64 * 86_400_000),
                )),
                latest_restorable_date_time: Some(Timestamp(now_ms - 5 * 60 * 1000)),
            },
            None => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: Some("DISABLED".into()),
                ..Default::default()
            },
        }),
    }
}

pub fn describe_backups(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: DescribeContinuousBackupsInput,
) -> Result<DescribeContinuousBackupsOutput, AwsError> {
    let t = db.table_for_backups(ctx, &input.table_name)?;
    let m = t.meta.read();
    Ok(DescribeContinuousBackupsOutput {
        continuous_backups_description: Some(backups(&m, ctx.clock.now_millis())),
    })
}

pub fn update_backups(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: UpdateContinuousBackupsInput,
) -> Result<UpdateContinuousBackupsOutput, AwsError> {
    let t = db.table_for_backups(ctx, &input.table_name)?;
    let spec = input.point_in_time_recovery_specification;
    let mut m = t.meta.write();
    if spec.point_in_time_recovery_enabled {
        let days = spec.recovery_period_in_days.unwrap_or(35);
        if !(1..=35).contains(&days) {
            return Err(validation("RecoveryPeriodInDays must be between 1 and 35"));
        }
        if m.pitr_days.is_none() {
            m.pitr_enabled_ms = ctx.clock.now_millis();
        }
        m.pitr_days = Some(days);
    } else {
        if spec.recovery_period_in_days.is_some() {
            return Err(validation(
                "RecoveryPeriodInDays can only be set when enabling point in time recovery",
            ));
        }
        m.pitr_days = None;
    }
    db.tables.save_meta(&m)?;
    Ok(UpdateContinuousBackupsOutput {
        continuous_backups_description: Some(backups(&m, ctx.clock.now_millis())),
    })
}
