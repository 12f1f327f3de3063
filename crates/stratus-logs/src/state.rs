//! Log groups, streams and their events, in memory and written through to
//! the store. Events are stored in chunks, one per PutLogEvents call, so a
//! call costs one durable commit however many events it carries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store, Ticket};

const GROUPS: &str = "logs.groups";
const STREAMS: &str = "logs.streams";
const EVENTS: &str = "logs.events";
const EXPORTS: &str = "logs.exports";
const QUERY_DEFINITIONS: &str = "logs.query-definitions";

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricTransformationRec {
    pub metric_name: String,
    pub metric_namespace: String,
    pub metric_value: String,
    pub default_value: Option<f64>,
    pub dimensions: BTreeMap<String, String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricFilterRec {
    pub name: String,
    pub pattern: String,
    pub transformations: Vec<MetricTransformationRec>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SubscriptionFilterRec {
    pub name: String,
    pub pattern: String,
    pub destination_arn: String,
    pub role_arn: Option<String>,
    pub distribution: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Group {
    pub account: String,
    pub region: String,
    pub name: String,
    pub created_ms: i64,
    pub retention_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub class: String,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
    pub metric_filters: BTreeMap<String, MetricFilterRec>,
    pub subscription_filters: BTreeMap<String, SubscriptionFilterRec>,
    #[serde(skip)]
    pub streams: BTreeMap<String, Stream>,
}

impl Group {
    /// `arn:...:log-group:NAME` (TagResource, logGroupArn).
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}",
            self.region, self.account, self.name
        )
    }

    pub fn stored_bytes(&self) -> i64 {
        self.streams.values().map(|s| s.stored_bytes).sum()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Stream {
    pub name: String,
    pub created_ms: i64,
    pub last_ingestion_ms: Option<i64>,
    pub upload_seq: u64,
    #[serde(skip)]
    pub events: Vec<Event>,
    #[serde(skip)]
    pub stored_bytes: i64,
}

impl Stream {
    /// Inserts a chronological batch, keeping the stream ordered by
    /// (timestamp, sequence).
    pub fn insert(&mut self, batch: Vec<Event>) {
        let appendable = match (self.events.last(), batch.first()) {
            (Some(last), Some(first)) => first.key() >= last.key(),
            _ => true,
        };
        self.stored_bytes += batch.iter().map(|e| e.message.len() as i64).sum::<i64>();
        self.events.extend(batch);
        if !appendable {
            self.events.sort_by_key(Event::key);
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Event {
    #[serde(rename = "t")]
    pub timestamp: i64,
    /// Unique within an account and region; orders events of equal timestamp.
    #[serde(rename = "s")]
    pub seq: u64,
    #[serde(rename = "i")]
    pub ingested: i64,
    #[serde(rename = "m")]
    pub message: String,
    /// The stored chunk holding the event.
    #[serde(skip)]
    pub chunk: u64,
}

impl Event {
    pub fn key(&self) -> (i64, u64) {
        (self.timestamp, self.seq)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ExportTaskRec {
    pub id: String,
    pub name: Option<String>,
    pub group: String,
    pub from: i64,
    pub to: i64,
    pub destination: String,
    pub destination_prefix: String,
    pub status: String,
    pub message: Option<String>,
    pub created_ms: i64,
    pub completed_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QueryDefinitionRec {
    pub id: String,
    pub name: String,
    pub query_string: String,
    pub log_groups: Vec<String>,
    pub modified_ms: i64,
    /// (name, default value, description)
    pub parameters: Vec<(String, Option<String>, Option<String>)>,
}

/// One Insights query with its answer (computed when it starts).
#[derive(Debug, Clone, Default)]
pub struct QueryRec {
    pub id: String,
    pub query_string: String,
    pub log_group: String,
    pub status: String,
    pub created_ms: i64,
    pub rows: Vec<Vec<(String, String)>>,
    pub matched: f64,
    pub scanned: f64,
    pub bytes: f64,
}

#[derive(Default)]
pub struct Region {
    pub groups: BTreeMap<String, Group>,
    pub exports: BTreeMap<String, ExportTaskRec>,
    pub queries: BTreeMap<String, QueryRec>,
    pub query_definitions: BTreeMap<String, QueryDefinitionRec>,
}

#[derive(Default)]
pub struct Inner {
    pub regions: HashMap<(String, String), Region>,
    /// The next event sequence number (global, so keys are unique everywhere).
    pub next_seq: u64,
}

impl Inner {
    pub fn region(&mut self, account: &str, region: &str) -> &mut Region {
        self.regions
            .entry((account.to_string(), region.to_string()))
            .or_default()
    }

    pub fn region_ref(&self, account: &str, region: &str) -> Option<&Region> {
        self.regions.get(&(account.to_string(), region.to_string()))
    }
}

pub struct State {
    store: Store,
    inner: Mutex<Inner>,
}

fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

fn group_key(account: &str, region: &str, group: &str) -> String {
    format!("{account}/{region}/{group}")
}

/// Group names never hold `:`, stream names neither, so `group:` is a
/// prefix of exactly that group's streams and events.
fn group_prefix(account: &str, region: &str, group: &str) -> String {
    format!("{account}/{region}/{group}:")
}

fn stream_key(account: &str, region: &str, group: &str, stream: &str) -> String {
    format!("{account}/{region}/{group}:{stream}")
}

fn chunk_key(account: &str, region: &str, group: &str, stream: &str, chunk: u64) -> String {
    format!("{account}/{region}/{group}:{stream}:{chunk:020}")
}

/// Changes gathered under the lock, queued before the lock is released and
/// waited for after.
pub struct Txn<'a> {
    pub inner: MutexGuard<'a, Inner>,
    batch: Batch,
    store: &'a Store,
}

impl Txn<'_> {
    pub fn put_group(&mut self, account: &str, region: &str, name: &str) -> Result<(), AwsError> {
        if let Some(g) = self
            .inner
            .region_ref(account, region)
            .and_then(|r| r.groups.get(name))
        {
            self.batch
                .put_json(GROUPS, group_key(account, region, name), g)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_group(&mut self, account: &str, region: &str, name: &str) {
        self.batch.delete(GROUPS, group_key(account, region, name));
        let prefix = group_prefix(account, region, name);
        self.batch.delete_prefix(STREAMS, prefix.clone());
        self.batch.delete_prefix(EVENTS, prefix);
    }

    pub fn put_stream(
        &mut self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
    ) -> Result<(), AwsError> {
        if let Some(s) = self
            .inner
            .region_ref(account, region)
            .and_then(|r| r.groups.get(group))
            .and_then(|g| g.streams.get(stream))
        {
            self.batch
                .put_json(STREAMS, stream_key(account, region, group, stream), s)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_stream(&mut self, account: &str, region: &str, group: &str, stream: &str) {
        self.batch
            .delete(STREAMS, stream_key(account, region, group, stream));
        let mut prefix = stream_key(account, region, group, stream);
        prefix.push(':');
        self.batch.delete_prefix(EVENTS, prefix);
    }

    /// Writes (or, when it no longer holds events, deletes) one chunk from
    /// the stream's events in memory.
    pub fn write_chunk(
        &mut self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
        chunk: u64,
    ) -> Result<(), AwsError> {
        let key = chunk_key(account, region, group, stream, chunk);
        let events: Vec<&Event> = self
            .inner
            .region_ref(account, region)
            .and_then(|r| r.groups.get(group))
            .and_then(|g| g.streams.get(stream))
            .map(|s| s.events.iter().filter(|e| e.chunk == chunk).collect())
            .unwrap_or_default();
        if events.is_empty() {
            self.batch.delete(EVENTS, key);
        } else {
            self.batch
                .put_json(EVENTS, key, &events)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_export(&mut self, account: &str, region: &str, id: &str) -> Result<(), AwsError> {
        if let Some(t) = self
            .inner
            .region_ref(account, region)
            .and_then(|r| r.exports.get(id))
        {
            self.batch
                .put_json(EXPORTS, group_key(account, region, id), t)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn put_query_definition(
        &mut self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let key = group_key(account, region, id);
        match self
            .inner
            .region_ref(account, region)
            .and_then(|r| r.query_definitions.get(id))
        {
            Some(d) => {
                self.batch
                    .put_json(QUERY_DEFINITIONS, key, d)
                    .map_err(store_err)?;
            }
            None => {
                self.batch.delete(QUERY_DEFINITIONS, key);
            }
        }
        Ok(())
    }

    /// Queues the changes in order and releases the lock; the ticket waits
    /// for durability.
    pub fn submit(self) -> Result<Ticket, AwsError> {
        let Txn {
            inner,
            batch,
            store,
        } = self;
        let ticket = store.submit(batch).map_err(store_err)?;
        drop(inner);
        Ok(ticket)
    }

    pub fn commit(self) -> Result<(), AwsError> {
        self.submit()?.wait().map_err(store_err)
    }
}

/// Splits `account/region/rest` keys.
fn split_key(key: &[u8]) -> Option<(String, String, String)> {
    let s = std::str::from_utf8(key).ok()?;
    let mut it = s.splitn(3, '/');
    Some((
        it.next()?.to_string(),
        it.next()?.to_string(),
        it.next()?.to_string(),
    ))
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut inner = Inner::default();
        for (k, v) in store.scan(GROUPS, b"").map_err(store_err)? {
            let Some((account, region, _)) = split_key(&k) else {
                continue;
            };
            let g: Group = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt log group: {e}")))?;
            inner
                .region(&account, &region)
                .groups
                .insert(g.name.clone(), g);
        }
        for (k, v) in store.scan(STREAMS, b"").map_err(store_err)? {
            let Some((account, region, rest)) = split_key(&k) else {
                continue;
            };
            let Some((group, _)) = rest.split_once(':') else {
                continue;
            };
            let s: Stream = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt log stream: {e}")))?;
            if let Some(g) = inner.region(&account, &region).groups.get_mut(group) {
                g.streams.insert(s.name.clone(), s);
            }
        }
        let mut max_seq = 0;
        for (k, v) in store.scan(EVENTS, b"").map_err(store_err)? {
            let Some((account, region, rest)) = split_key(&k) else {
                continue;
            };
            let Some((group, rest)) = rest.split_once(':') else {
                continue;
            };
            let Some((stream, chunk)) = rest.rsplit_once(':') else {
                continue;
            };
            let chunk: u64 = chunk.parse().unwrap_or(0);
            let mut events: Vec<Event> = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt log events: {e}")))?;
            for e in &mut events {
                e.chunk = chunk;
                max_seq = max_seq.max(e.seq + 1);
            }
            if let Some(s) = inner
                .region(&account, &region)
                .groups
                .get_mut(group)
                .and_then(|g| g.streams.get_mut(stream))
            {
                s.stored_bytes += events.iter().map(|e| e.message.len() as i64).sum::<i64>();
                s.events.extend(events);
            }
        }
        for r in inner.regions.values_mut() {
            for g in r.groups.values_mut() {
                for s in g.streams.values_mut() {
                    s.events.sort_by_key(Event::key);
                }
            }
        }
        for (k, v) in store.scan(EXPORTS, b"").map_err(store_err)? {
            let Some((account, region, _)) = split_key(&k) else {
                continue;
            };
            let t: ExportTaskRec = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt export task: {e}")))?;
            inner
                .region(&account, &region)
                .exports
                .insert(t.id.clone(), t);
        }
        for (k, v) in store.scan(QUERY_DEFINITIONS, b"").map_err(store_err)? {
            let Some((account, region, _)) = split_key(&k) else {
                continue;
            };
            let d: QueryDefinitionRec = serde_json::from_slice(&v)
                .map_err(|e| AwsError::internal(format!("corrupt query definition: {e}")))?;
            inner
                .region(&account, &region)
                .query_definitions
                .insert(d.id.clone(), d);
        }
        inner.next_seq = max_seq;
        Ok(State {
            store,
            inner: Mutex::new(inner),
        })
    }

    pub fn begin(&self) -> Txn<'_> {
        Txn {
            inner: self.inner.lock(),
            batch: Batch::new(),
            store: &self.store,
        }
    }

    /// The state for reading only.
    pub fn read(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut inner = self.inner.lock();
        for t in [GROUPS, STREAMS, EVENTS, EXPORTS, QUERY_DEFINITIONS] {
            self.store.clear(t).map_err(store_err)?;
        }
        inner.regions.clear();
        Ok(())
    }

    /// Drops events older than their group's retention; returns how many.
    pub fn apply_retention(&self, now_ms: i64) -> Result<usize, AwsError> {
        let mut txn = self.begin();
        let mut touched: BTreeSet<(String, String, String, String, u64)> = BTreeSet::new();
        let mut dropped = 0;
        for ((account, region), r) in txn.inner.regions.iter_mut() {
            for g in r.groups.values_mut() {
                let Some(days) = g.retention_days else {
                    continue;
                };
                let cutoff = now_ms - i64::from(days) * 86_400_000;
                for s in g.streams.values_mut() {
                    // Events are ordered by timestamp: the expired ones lead.
                    let n = s.events.partition_point(|e| e.timestamp < cutoff);
                    if n == 0 {
                        continue;
                    }
                    for e in s.events.drain(..n) {
                        s.stored_bytes -= e.message.len() as i64;
                        touched.insert((
                            account.clone(),
                            region.clone(),
                            g.name.clone(),
                            s.name.clone(),
                            e.chunk,
                        ));
                    }
                    dropped += n;
                }
            }
        }
        if dropped == 0 {
            return Ok(0);
        }
        for (a, r, g, s, c) in &touched {
            txn.write_chunk(a, r, g, s, *c)?;
        }
        txn.commit()?;
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64, seq: u64) -> Event {
        Event {
            timestamp: ts,
            seq,
            ingested: ts,
            message: format!("m{seq}"),
            chunk: 0,
        }
    }

    #[test]
    fn out_of_order_batches_are_merged_by_timestamp() {
        let mut s = Stream::default();
        s.insert(vec![ev(10, 0), ev(20, 1)]);
        s.insert(vec![ev(15, 2), ev(30, 3)]);
        let order: Vec<u64> = s.events.iter().map(|e| e.seq).collect();
        assert_eq!(order, vec![0, 2, 1, 3]);
        assert_eq!(s.stored_bytes, 8);
    }

    #[test]
    fn events_survive_reload_and_retention_drops_old_ones() {
        let store = Store::ephemeral();
        let state = State::load(store.clone()).unwrap();
        {
            let mut txn = state.begin();
            let r = txn.inner.region("111122223333", "us-east-1");
            let mut g = Group {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                name: "/app/web".into(),
                retention_days: Some(1),
                ..Default::default()
            };
            let mut s = Stream {
                name: "s1".into(),
                ..Default::default()
            };
            let mut a = ev(1_000, 0);
            a.chunk = 0;
            let mut b = ev(200_000_000, 1);
            b.chunk = 1;
            s.insert(vec![a, b]);
            g.streams.insert("s1".into(), s);
            r.groups.insert("/app/web".into(), g);
            txn.put_group("111122223333", "us-east-1", "/app/web")
                .unwrap();
            txn.put_stream("111122223333", "us-east-1", "/app/web", "s1")
                .unwrap();
            txn.write_chunk("111122223333", "us-east-1", "/app/web", "s1", 0)
                .unwrap();
            txn.write_chunk("111122223333", "us-east-1", "/app/web", "s1", 1)
                .unwrap();
            txn.commit().unwrap();
        }
        let dropped = state.apply_retention(200_000_000).unwrap();
        assert_eq!(dropped, 1);
        let again = State::load(store).unwrap();
        let inner = again.inner.lock();
        let g = &inner.regions[&("111122223333".to_string(), "us-east-1".to_string())].groups["/app/web"];
        let events = &g.streams["s1"].events;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].seq, 1);
        assert_eq!(events[0].chunk, 1);
        assert_eq!(inner.next_seq, 2);
    }
}
