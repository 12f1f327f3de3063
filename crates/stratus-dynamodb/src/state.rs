//! Tables and their items: held in memory, written through to the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use stratus_core::AwsError;
use stratus_store::{Batch, Store, Ticket};

use crate::attr::{Attr, Item, KeyVal};
use crate::number::Number;

const TABLES: &str = "dynamodb.tables";
const ITEMS: &str = "dynamodb.items";
const STREAMS: &str = "dynamodb.streams";

/// The status of a table or index being deleted.
pub const DELETING: &str = "DELETING";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct KeyDef {
    pub name: String,
    /// `S`, `N` or `B`.
    pub typ: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    pub hash: KeyDef,
    pub range: Option<KeyDef>,
    pub projection: String,
    pub non_key: Vec<String>,
    pub rcu: i64,
    pub wcu: i64,
    pub global: bool,
    /// A global index added to an existing table is backfilled (status
    /// CREATING) until then; 0 for indexes created with their table.
    #[serde(default)]
    pub backfilled_ms: i64,
    /// A global index deleted by UpdateTable is `DELETING` until then and
    /// gone after; 0 for an index nobody deleted.
    #[serde(default)]
    pub deleted_ms: i64,
}

impl IndexMeta {
    pub fn backfilling(&self, now_ms: i64) -> bool {
        self.backfilled_ms > now_ms
    }

    pub fn deleting(&self, now_ms: i64) -> bool {
        self.deleted_ms > now_ms
    }

    pub fn gone(&self, now_ms: i64) -> bool {
        self.deleted_ms != 0 && self.deleted_ms <= now_ms
    }

    /// The IndexStatus of a global index at `now_ms`.
    pub fn status(&self, now_ms: i64) -> &'static str {
        if self.deleting(now_ms) {
            DELETING
        } else if self.backfilling(now_ms) {
            "CREATING"
        } else {
            "ACTIVE"
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TableMeta {
    pub account: String,
    pub region: String,
    pub name: String,
    pub id: String,
    pub created_ms: i64,
    pub hash: KeyDef,
    pub range: Option<KeyDef>,
    pub attribute_definitions: Vec<(String, String)>,
    pub billing_mode: String,
    pub rcu: i64,
    pub wcu: i64,
    pub indexes: Vec<IndexMeta>,
    pub stream: Option<String>,
    pub stream_label: Option<String>,
    pub tags: Vec<(String, String)>,
    pub deletion_protection: bool,
    pub table_class: String,
    pub ttl_attribute: Option<String>,
    pub sse: bool,
    /// Point-in-time recovery: the recovery period in days when enabled.
    pub pitr_days: Option<i32>,
    pub pitr_enabled_ms: i64,
    /// `CREATING` or `UPDATING` until `settles_ms`, then `ACTIVE` (tables
    /// stored before statuses existed have neither and are `ACTIVE`);
    /// `DELETING` until `settles_ms`, then gone.
    pub transition: String,
    pub settles_ms: i64,
}

impl TableMeta {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.region, self.account, self.name
        )
    }

    pub fn key_names(&self) -> Vec<&str> {
        let mut v = vec![self.hash.name.as_str()];
        if let Some(r) = &self.range {
            v.push(r.name.as_str());
        }
        v
    }

    /// The table's status at `now_ms`: a transition ends by itself on the
    /// clock (a deletion ends with the table gone, see [`TableMeta::gone`]).
    pub fn status(&self, now_ms: i64) -> &str {
        if self.transition == DELETING || (self.settles_ms > now_ms && !self.transition.is_empty())
        {
            &self.transition
        } else {
            "ACTIVE"
        }
    }

    /// Starts a transition that ends `after_ms` from `now_ms`.
    pub fn begin(&mut self, transition: &str, now_ms: i64, after_ms: i64) {
        self.transition = transition.to_string();
        self.settles_ms = now_ms + after_ms;
    }

    /// Whether the table's deletion has ended: it no longer exists.
    pub fn gone(&self, now_ms: i64) -> bool {
        self.transition == DELETING && self.settles_ms <= now_ms
    }

    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The indexes being deleted at `now_ms`.
    pub fn deleting_indexes(&self, now_ms: i64) -> Vec<&str> {
        self.indexes
            .iter()
            .filter(|i| i.deleting(now_ms))
            .map(|i| i.name.as_str())
            .collect()
    }

    /// Forgets the indexes whose deletion has ended, with the attribute
    /// definitions only they used (AWS prunes them too); `true` if any went.
    pub fn drop_deleted_indexes(&mut self, now_ms: i64) -> bool {
        let before = self.indexes.len();
        self.indexes.retain(|i| !i.gone(now_ms));
        if self.indexes.len() == before {
            return false;
        }
        let mut used: Vec<&str> = self.key_names();
        for i in &self.indexes {
            used.push(&i.hash.name);
            used.extend(i.range.as_ref().map(|r| r.name.as_str()));
        }
        let used: Vec<String> = used.into_iter().map(str::to_string).collect();
        self.attribute_definitions.retain(|(n, _)| used.contains(n));
        true
    }
}

/// A table's primary key value: partition key, then sort key.
pub type ItemKey = (KeyVal, Option<KeyVal>);

/// An index key: the index's partition and sort key values.
type IndexKey = (KeyVal, Option<KeyVal>);

/// One secondary index's entries in its key order, each naming the item.
struct Entries {
    name: String,
    hash: String,
    range: Option<String>,
    by_key: BTreeMap<IndexKey, BTreeSet<ItemKey>>,
}

impl Entries {
    fn key_of(&self, item: &Item) -> Option<IndexKey> {
        let h = KeyVal::of(item.get(&self.hash)?)?;
        let r = match &self.range {
            Some(r) => Some(KeyVal::of(item.get(r)?)?),
            None => None,
        };
        Some((h, r))
    }

    fn add(&mut self, key: &ItemKey, item: &Item) {
        if let Some(k) = self.key_of(item) {
            self.by_key.entry(k).or_default().insert(key.clone());
        }
    }

    fn drop_entry(&mut self, key: &ItemKey, item: &Item) {
        if let Some(k) = self.key_of(item) {
            if let Some(set) = self.by_key.get_mut(&k) {
                set.remove(key);
                if set.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
    }
}

/// A table's items in primary key order, with every secondary index kept
/// in its own key order beside them, so a Query on an index reads only the
/// index partition it names. Reads go through `Deref`; writes go through
/// `insert` and `remove`, which keep the indexes in step.
#[derive(Default)]
pub struct Items {
    map: BTreeMap<ItemKey, Item>,
    indexes: Vec<Entries>,
}

impl std::ops::Deref for Items {
    type Target = BTreeMap<ItemKey, Item>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl Items {
    pub fn new(map: BTreeMap<ItemKey, Item>, meta: &TableMeta) -> Items {
        let mut items = Items {
            map,
            indexes: Vec::new(),
        };
        items.reindex(meta);
        items
    }

    /// Rebuilds the entries of the table's indexes (after one is added or
    /// deleted), keeping those that did not change.
    pub fn reindex(&mut self, meta: &TableMeta) {
        let mut kept = std::mem::take(&mut self.indexes);
        for ix in &meta.indexes {
            if let Some(pos) = kept.iter().position(|e| e.name == ix.name) {
                self.indexes.push(kept.swap_remove(pos));
                continue;
            }
            let mut e = Entries {
                name: ix.name.clone(),
                hash: ix.hash.name.clone(),
                range: ix.range.as_ref().map(|r| r.name.clone()),
                by_key: BTreeMap::new(),
            };
            for (k, item) in &self.map {
                e.add(k, item);
            }
            self.indexes.push(e);
        }
    }

    pub fn insert(&mut self, key: ItemKey, item: Item) -> Option<Item> {
        for e in &mut self.indexes {
            e.add(&key, &item);
        }
        let old = self.map.insert(key.clone(), item);
        if let Some(o) = &old {
            let new = &self.map[&key];
            for e in &mut self.indexes {
                if e.key_of(o) != e.key_of(new) {
                    e.drop_entry(&key, o);
                }
            }
        }
        old
    }

    pub fn remove(&mut self, key: &ItemKey) -> Option<Item> {
        let old = self.map.remove(key)?;
        for e in &mut self.indexes {
            e.drop_entry(key, &old);
        }
        Some(old)
    }

    /// The items of one partition of an index, in the index's sort order
    /// (items with equal index keys in primary key order).
    pub fn index_partition<'a>(
        &'a self,
        index: &'a str,
        hash: &'a KeyVal,
    ) -> impl Iterator<Item = (&'a ItemKey, &'a Item)> + 'a {
        self.indexes
            .iter()
            .filter(move |e| e.name == index)
            .flat_map(move |e| {
                e.by_key
                    .range((hash.clone(), None)..)
                    .take_while(move |((h, _), _)| h == hash)
                    .flat_map(|(_, keys)| keys.iter())
            })
            .filter_map(|k| self.map.get_key_value(k))
    }
}

pub struct Table {
    pub meta: RwLock<TableMeta>,
    pub items: Mutex<Items>,
    pub stream: Mutex<crate::stream::Log>,
    store: Store,
}

impl Table {
    fn new(meta: TableMeta, items: BTreeMap<ItemKey, Item>, store: Store) -> Table {
        Table {
            items: Mutex::new(Items::new(items, &meta)),
            meta: RwLock::new(meta),
            stream: Mutex::new(crate::stream::Log::default()),
            store,
        }
    }

    /// Records a change on the table's stream, if it has one. Callers hold
    /// the items lock (records keep the changes' order) and wait on the
    /// ticket after releasing it, as for the change itself.
    pub fn changed(
        &self,
        meta: &TableMeta,
        key: &ItemKey,
        old: Option<&Item>,
        new: Option<&Item>,
        now_ms: i64,
    ) -> Result<Ticket, AwsError> {
        self.record(meta, key, old, new, now_ms, false)
    }

    /// As [`Table::changed`], for a change the service made itself (TTL).
    pub fn record(
        &self,
        meta: &TableMeta,
        key: &ItemKey,
        old: Option<&Item>,
        new: Option<&Item>,
        now_ms: i64,
        by_service: bool,
    ) -> Result<Ticket, AwsError> {
        if meta.stream.is_none() {
            return Ok(Ticket::done());
        }
        let Some(a) = self
            .stream
            .lock()
            .record(meta, key, old, new, now_ms, by_service)
        else {
            return Ok(Ticket::done());
        };
        if !self.store.is_persistent() {
            return Ok(Ticket::done());
        }
        let mut b = Batch::new();
        b.put(
            STREAMS,
            record_key(meta, a.record.seq),
            serde_json::to_vec(&a.record.to_json()).unwrap_or_default(),
        );
        for seq in a.expired {
            b.delete(STREAMS, record_key(meta, seq));
        }
        self.store.submit(b).map_err(store_err)
    }
}

fn record_key(meta: &TableMeta, seq: u64) -> Vec<u8> {
    let mut k = item_prefix(meta);
    k.extend(format!("{seq:020}").into_bytes());
    k
}

/// Every table of every account and region.
pub struct Tables {
    store: Store,
    tables: RwLock<HashMap<(String, String, String), Arc<Table>>>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

fn table_key(account: &str, region: &str, name: &str) -> Vec<u8> {
    stratus_store::scope_key(account, region, "table", name)
}

fn item_prefix(meta: &TableMeta) -> Vec<u8> {
    // The table id keeps a recreated table from seeing its predecessor's items.
    format!(
        "{}/{}/{}/{}/",
        meta.account, meta.region, meta.name, meta.id
    )
    .into_bytes()
}

fn item_key(meta: &TableMeta, key: &ItemKey) -> Vec<u8> {
    let mut k = item_prefix(meta);
    let enc = |kv: &KeyVal| match kv {
        KeyVal::S(s) => format!("S{s}"),
        KeyVal::N(n) => format!("N{n}"),
        KeyVal::B(b) => format!("B{}", B64.encode(b)),
    };
    k.extend(enc(&key.0).into_bytes());
    if let Some(r) = &key.1 {
        k.push(0);
        k.extend(enc(r).into_bytes());
    }
    k
}

impl Tables {
    pub fn load(store: Store) -> Result<Tables, AwsError> {
        let t = Tables {
            store,
            tables: RwLock::new(HashMap::new()),
        };
        for meta in t
            .store
            .scan_json::<TableMeta>(TABLES, b"")
            .map_err(store_err)?
        {
            let mut items = BTreeMap::new();
            for (_, raw) in t
                .store
                .scan(ITEMS, &item_prefix(&meta))
                .map_err(store_err)?
            {
                let Ok(j) = serde_json::from_slice::<Json>(&raw) else {
                    continue;
                };
                let Some(item) = item_from_json(&j) else {
                    continue;
                };
                if let Some(k) = key_of(&meta, &item) {
                    items.insert(k, item);
                }
            }
            let mut log = crate::stream::Log::default();
            for (_, raw) in t
                .store
                .scan(STREAMS, &item_prefix(&meta))
                .map_err(store_err)?
            {
                let record = serde_json::from_slice::<Json>(&raw)
                    .ok()
                    .and_then(|j| crate::stream::Record::from_json(&j));
                if let Some(r) = record {
                    crate::stream::seq_continue_after(r.seq);
                    log.records.push_back(r);
                }
            }
            let key = (meta.account.clone(), meta.region.clone(), meta.name.clone());
            let table = Table::new(meta, items, t.store.clone());
            *table.stream.lock() = log;
            t.tables.write().insert(key, Arc::new(table));
        }
        Ok(t)
    }

    /// The table of that name, even one whose deletion has ended but which
    /// is not yet removed; most callers want [`Tables::live`].
    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<Arc<Table>> {
        self.tables
            .read()
            .get(&(account.to_string(), region.to_string(), name.to_string()))
            .cloned()
    }

    /// The table of that name as it exists at `now_ms`: a table whose
    /// deletion has ended is removed here if the reaper has not got to it.
    pub fn live(&self, account: &str, region: &str, name: &str, now_ms: i64) -> Option<Arc<Table>> {
        let t = self.get(account, region, name)?;
        if t.meta.read().gone(now_ms) {
            if let Err(e) = self.remove(&t) {
                tracing::warn!(table = %name, error = %e, "removing a deleted table failed");
            }
            return None;
        }
        Some(t)
    }

    /// Ends the phases due by `now_ms`: removes the tables whose deletion
    /// has ended, and drops the global indexes whose deletion has.
    pub fn reap(&self, now_ms: i64) {
        for t in self.all() {
            if t.meta.read().gone(now_ms) {
                if let Err(e) = self.remove(&t) {
                    tracing::warn!(error = %e, "removing a deleted table failed; will retry");
                }
                continue;
            }
            let due = {
                let m = t.meta.read();
                m.status(now_ms) != DELETING && m.indexes.iter().any(|i| i.gone(now_ms))
            };
            if !due {
                continue;
            }
            let mut m = t.meta.write();
            if !m.drop_deleted_indexes(now_ms) {
                continue;
            }
            t.items.lock().reindex(&m);
            if let Err(e) = self.save_meta(&m) {
                tracing::warn!(table = %m.name, error = %e, "storing a dropped index failed");
            }
        }
    }

    /// Every table of every account and region.
    pub fn all(&self) -> Vec<Arc<Table>> {
        self.tables.read().values().cloned().collect()
    }

    /// The names of the tables of an account and region that exist at
    /// `now_ms` (those being deleted among them).
    pub fn list(&self, account: &str, region: &str, now_ms: i64) -> Vec<String> {
        let mut v: Vec<String> = self
            .tables
            .read()
            .iter()
            .filter(|((a, r, _), t)| a == account && r == region && !t.meta.read().gone(now_ms))
            .map(|((_, _, n), _)| n.clone())
            .collect();
        v.sort();
        v
    }

    /// Adds a table unless one of that name exists at `now_ms` (one being
    /// deleted among them); `false` when it does.
    pub fn create(&self, meta: TableMeta, now_ms: i64) -> Result<bool, AwsError> {
        if self
            .live(&meta.account, &meta.region, &meta.name, now_ms)
            .is_some()
        {
            return Ok(false);
        }
        let key = (meta.account.clone(), meta.region.clone(), meta.name.clone());
        let mut tables = self.tables.write();
        if tables.contains_key(&key) {
            return Ok(false);
        }
        self.save_meta(&meta)?;
        tables.insert(
            key,
            Arc::new(Table::new(meta, BTreeMap::new(), self.store.clone())),
        );
        Ok(true)
    }

    pub fn save_meta(&self, meta: &TableMeta) -> Result<(), AwsError> {
        if !self.store.is_persistent() {
            return Ok(());
        }
        let mut b = Batch::new();
        b.put_json(
            TABLES,
            table_key(&meta.account, &meta.region, &meta.name),
            meta,
        )
        .map_err(store_err)?;
        self.store.commit(b).map_err(store_err)
    }

    /// Removes a table with its items, stream records and settings, in
    /// the store first, so that a restart cannot bring it back. Only that
    /// table goes: a table created since under the same name stays.
    fn remove(&self, t: &Arc<Table>) -> Result<(), AwsError> {
        let meta = t.meta.read().clone();
        let key = (meta.account.clone(), meta.region.clone(), meta.name.clone());
        let mut tables = self.tables.write();
        if !tables.get(&key).is_some_and(|cur| Arc::ptr_eq(cur, t)) {
            return Ok(());
        }
        if self.store.is_persistent() {
            let mut b = Batch::new();
            b.delete(TABLES, table_key(&meta.account, &meta.region, &meta.name))
                .delete_prefix(ITEMS, item_prefix(&meta))
                .delete_prefix(STREAMS, item_prefix(&meta));
            self.store.commit(b).map_err(store_err)?;
        }
        tables.remove(&key);
        Ok(())
    }

    /// Queues the item changes of one request as one atomic batch: `Some`
    /// puts, `None` deletes. Callers submit while holding the table lock (so
    /// writes keep their order) and wait on the ticket after releasing it, so
    /// concurrent writers share fsyncs; nothing is acknowledged before it is
    /// durable.
    pub fn write_items(
        &self,
        changes: &[(&TableMeta, ItemKey, Option<&Item>)],
    ) -> Result<Ticket, AwsError> {
        if !self.store.is_persistent() || changes.is_empty() {
            return Ok(Ticket::done());
        }
        let mut b = Batch::new();
        for (meta, key, item) in changes {
            match item {
                Some(i) => {
                    b.put(
                        ITEMS,
                        item_key(meta, key),
                        serde_json::to_vec(&item_to_json(i)).unwrap_or_default(),
                    );
                }
                None => {
                    b.delete(ITEMS, item_key(meta, key));
                }
            }
        }
        self.store.submit(b).map_err(store_err)
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        self.store.clear(TABLES).map_err(store_err)?;
        self.store.clear(ITEMS).map_err(store_err)?;
        self.store.clear(STREAMS).map_err(store_err)?;
        self.tables.write().clear();
        Ok(())
    }
}

/// Waits for queued item changes to be durable.
pub fn durable(t: Ticket) -> Result<(), AwsError> {
    t.wait().map_err(store_err)
}

/// The primary key of an item, if it carries both key attributes with the
/// declared types.
pub fn key_of(meta: &TableMeta, item: &Item) -> Option<ItemKey> {
    let h = KeyVal::of(item.get(&meta.hash.name)?)?;
    let r = match &meta.range {
        Some(r) => Some(KeyVal::of(item.get(&r.name)?)?),
        None => None,
    };
    Some((h, r))
}

/// DynamoDB's JSON form of an item, for storage.
pub fn item_to_json(item: &Item) -> Json {
    Json::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attr_to_json(v)))
            .collect(),
    )
}

fn attr_to_json(a: &Attr) -> Json {
    let mut m = Map::new();
    let (t, v) = match a {
        Attr::S(s) => ("S", Json::String(s.clone())),
        Attr::N(n) => ("N", Json::String(n.to_string())),
        Attr::B(b) => ("B", Json::String(B64.encode(b))),
        Attr::Bool(b) => ("BOOL", Json::Bool(*b)),
        Attr::Null => ("NULL", Json::Bool(true)),
        Attr::M(x) => ("M", item_to_json(x)),
        Attr::L(l) => ("L", Json::Array(l.iter().map(attr_to_json).collect())),
        Attr::Ss(s) => (
            "SS",
            Json::Array(s.iter().cloned().map(Json::String).collect()),
        ),
        Attr::Ns(n) => (
            "NS",
            Json::Array(n.iter().map(|x| Json::String(x.to_string())).collect()),
        ),
        Attr::Bs(b) => (
            "BS",
            Json::Array(b.iter().map(|x| Json::String(B64.encode(x))).collect()),
        ),
    };
    m.insert(t.to_string(), v);
    Json::Object(m)
}

pub fn item_from_json(j: &Json) -> Option<Item> {
    j.as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), attr_from_json(v)?)))
        .collect()
}

fn attr_from_json(j: &Json) -> Option<Attr> {
    let (t, v) = j.as_object()?.iter().next()?;
    let strs = |v: &Json| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    Some(match t.as_str() {
        "S" => Attr::S(v.as_str()?.to_string()),
        "N" => Attr::N(Number::parse(v.as_str()?).ok()?),
        "B" => Attr::B(B64.decode(v.as_str()?).ok()?),
        "BOOL" => Attr::Bool(v.as_bool()?),
        "NULL" => Attr::Null,
        "M" => Attr::M(item_from_json(v)?),
        "L" => Attr::L(
            v.as_array()?
                .iter()
                .map(attr_from_json)
                .collect::<Option<_>>()?,
        ),
        "SS" => Attr::Ss(strs(v)?),
        "NS" => Attr::Ns(
            strs(v)?
                .iter()
                .map(|s| Number::parse(s).ok())
                .collect::<Option<_>>()?,
        ),
        "BS" => Attr::Bs(
            strs(v)?
                .iter()
                .map(|s| B64.decode(s).ok())
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed_meta() -> TableMeta {
        let key = |n: &str, t: &str| KeyDef {
            name: n.into(),
            typ: t.into(),
        };
        TableMeta {
            hash: key("pk", "S"),
            indexes: vec![IndexMeta {
                name: "g".into(),
                hash: key("g", "S"),
                range: Some(key("n", "N")),
                projection: "ALL".into(),
                non_key: vec![],
                rcu: 0,
                wcu: 0,
                global: true,
                backfilled_ms: 0,
                deleted_ms: 0,
            }],
            ..Default::default()
        }
    }

    fn entry(pk: &str, g: Option<&str>, n: &str) -> (ItemKey, Item) {
        let mut item = Item::new();
        item.insert("pk".into(), Attr::S(pk.into()));
        if let Some(g) = g {
            item.insert("g".into(), Attr::S(g.into()));
        }
        item.insert("n".into(), Attr::N(Number::parse(n).unwrap()));
        ((KeyVal::S(pk.into()), None), item)
    }

    fn partition(items: &Items, g: &str) -> Vec<String> {
        items
            .index_partition("g", &KeyVal::S(g.into()))
            .map(|((pk, _), _)| match pk {
                KeyVal::S(s) => s.clone(),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn index_entries_follow_inserts_moves_and_removals() {
        let meta = indexed_meta();
        let mut items = Items::new(BTreeMap::new(), &meta);
        for (pk, g, n) in [
            ("a", Some("x"), "3"),
            ("b", Some("x"), "1"),
            ("c", None, "2"),
            ("d", Some("x"), "10"),
        ] {
            let (k, i) = entry(pk, g, n);
            items.insert(k, i);
        }
        // Numbers order as numbers, not text.
        assert_eq!(partition(&items, "x"), ["b", "a", "d"]);
        let (k, i) = entry("a", Some("y"), "3");
        items.insert(k, i);
        assert_eq!(partition(&items, "x"), ["b", "d"]);
        assert_eq!(partition(&items, "y"), ["a"]);
        items.remove(&(KeyVal::S("b".into()), None));
        assert_eq!(partition(&items, "x"), ["d"]);
        // Rebuilt from the items when the index is added later.
        let mut bare = meta.clone();
        let ix = bare.indexes.pop().unwrap();
        let mut later = Items::new(items.map.clone(), &bare);
        assert!(partition(&later, "x").is_empty());
        bare.indexes.push(ix);
        later.reindex(&bare);
        assert_eq!(partition(&later, "x"), ["d"]);
        assert_eq!(partition(&later, "y"), ["a"]);
    }

    fn plain_meta(name: &str) -> TableMeta {
        TableMeta {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: name.into(),
            id: format!("{name}-id"),
            hash: KeyDef {
                name: "pk".into(),
                typ: "S".into(),
            },
            ..Default::default()
        }
    }

    /// A store that counts as persistent (so every write goes to it) but
    /// keeps its data in memory, shared by every `Tables` loaded from it.
    fn persistent_store() -> Store {
        Store::with_engine(
            Arc::new(stratus_store::MemoryEngine::default()),
            Some(std::env::temp_dir()),
        )
    }

    #[test]
    fn a_deleted_table_is_deleting_until_its_phase_ends_then_gone() {
        let mut m = plain_meta("t");
        m.begin("CREATING", 0, 500);
        assert_eq!((m.status(100), m.gone(100)), ("CREATING", false));
        m.begin(DELETING, 1000, 500);
        // Unlike other transitions, a deletion does not end in ACTIVE.
        assert_eq!((m.status(1499), m.gone(1499)), (DELETING, false));
        assert_eq!((m.status(1500), m.gone(1500)), (DELETING, true));
    }

    #[test]
    fn a_deleted_index_is_deleting_then_dropped_with_its_attributes() {
        let mut m = indexed_meta();
        m.attribute_definitions = vec![
            ("pk".into(), "S".into()),
            ("g".into(), "S".into()),
            ("n".into(), "N".into()),
        ];
        m.indexes[0].backfilled_ms = 2000;
        assert_eq!(m.indexes[0].status(1000), "CREATING");
        m.indexes[0].deleted_ms = 1500;
        // Deleting wins over backfilling: the index is on its way out.
        assert_eq!(m.indexes[0].status(1000), DELETING);
        assert_eq!(m.deleting_indexes(1000), ["g"]);
        assert!(!m.drop_deleted_indexes(1499));
        assert_eq!(m.indexes.len(), 1);
        assert!(m.drop_deleted_indexes(1500));
        assert!(m.indexes.is_empty() && m.deleting_indexes(1500).is_empty());
        assert_eq!(
            m.attribute_definitions,
            [("pk".to_string(), "S".to_string())]
        );
    }

    #[test]
    fn a_deletion_survives_a_restart_and_its_end_removes_the_table_for_good() {
        let store = persistent_store();
        let tables = Tables::load(store.clone()).unwrap();
        assert!(tables.create(plain_meta("t"), 0).unwrap());
        let t = tables.live("000000000000", "us-east-1", "t", 0).unwrap();
        let (key, item) = entry("a", None, "1");
        durable(
            tables
                .write_items(&[(&t.meta.read().clone(), key, Some(&item))])
                .unwrap(),
        )
        .unwrap();
        {
            let mut m = t.meta.write();
            m.begin(DELETING, 1000, 500);
            tables.save_meta(&m).unwrap();
        }
        // A restart during the phase: the table is still being deleted, and
        // its name is still taken.
        let tables = Tables::load(store.clone()).unwrap();
        let t = tables.live("000000000000", "us-east-1", "t", 1200).unwrap();
        assert_eq!(t.meta.read().status(1200), DELETING);
        assert_eq!(t.items.lock().len(), 1);
        assert_eq!(tables.list("000000000000", "us-east-1", 1200), ["t"]);
        assert!(!tables.create(plain_meta("t"), 1200).unwrap());
        // Once it ends the table is gone, from the store too.
        tables.reap(1500);
        assert!(tables.get("000000000000", "us-east-1", "t").is_none());
        assert!(tables.list("000000000000", "us-east-1", 1500).is_empty());
        assert!(store.scan(ITEMS, b"").unwrap().is_empty());
        let tables = Tables::load(store.clone()).unwrap();
        assert!(tables.all().is_empty());
        // The name is free again, for a table of its own.
        assert!(tables.create(plain_meta("t"), 1500).unwrap());
    }

    #[test]
    fn looking_up_a_table_whose_deletion_ended_removes_it() {
        let tables = Tables::load(persistent_store()).unwrap();
        let mut m = plain_meta("t");
        m.begin(DELETING, 0, 500);
        assert!(tables.create(m, 0).unwrap());
        assert!(tables.live("000000000000", "us-east-1", "t", 499).is_some());
        // No reaper ran: the lookup itself finds the table gone.
        assert!(tables.live("000000000000", "us-east-1", "t", 500).is_none());
        assert!(tables.all().is_empty());
    }

    #[test]
    fn items_round_trip_through_json() {
        let mut item = Item::new();
        item.insert("s".into(), Attr::S("x".into()));
        item.insert("n".into(), Attr::N(Number::parse("-1.5").unwrap()));
        item.insert("b".into(), Attr::B(vec![0, 1, 255]));
        item.insert("l".into(), Attr::L(vec![Attr::Null, Attr::Bool(false)]));
        item.insert("ns".into(), Attr::Ns(vec![Number::parse("1").unwrap()]));
        assert_eq!(item_from_json(&item_to_json(&item)), Some(item));
    }
}
