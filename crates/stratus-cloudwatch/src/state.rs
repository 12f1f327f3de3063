//! Everything CloudWatch keeps, in memory and written through to the store.
//!
//! Samples take the hot path: one PutMetricData request writes one chunk per
//! metric it touches (a key of its own, so nothing is read back), and the
//! background task later merges small chunks and drops expired ones. With
//! an ephemeral store the samples are not copied into it at all.
//! Alarms, dashboards, streams and history go through `ConfigTxn`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard, RwLock};
use serde::{Deserialize, Serialize};
use stratus_core::AwsError;
use stratus_store::{Batch, Store, Ticket};

use crate::records::{Alarm, Dashboard, HistoryItem, MetricStream};
use crate::series::{self, Chunk, MetricKey, Point, RegionMetrics, Series};

const METRICS: &str = "cloudwatch.metrics";
const SAMPLES: &str = "cloudwatch.samples";
const ALARMS: &str = "cloudwatch.alarms";
const DASHBOARDS: &str = "cloudwatch.dashboards";
const STREAMS: &str = "cloudwatch.streams";
const HISTORY: &str = "cloudwatch.history";
const TABLES: &[&str] = &[METRICS, SAMPLES, ALARMS, DASHBOARDS, STREAMS, HISTORY];

/// CloudWatch keeps data for 15 months.
pub const RETENTION_MS: i64 = 455 * 86_400_000;
/// Alarm history is kept for 30 days.
pub const HISTORY_MS: i64 = 30 * 86_400_000;
/// Chunks smaller than this are merged once a metric has many of them.
const SMALL_CHUNK: u32 = 4096;
const MERGE_AFTER: usize = 32;

pub fn store_err(e: stratus_store::StoreError) -> AwsError {
    AwsError::internal(e.to_string())
}

pub type Scope = (String, String);
pub type AlarmKey = (String, String, String);

#[derive(Default)]
pub struct Metrics {
    pub regions: HashMap<Scope, RegionMetrics>,
    next_id: u64,
}

impl Metrics {
    pub fn region(&self, account: &str, region: &str) -> Option<&RegionMetrics> {
        self.regions.get(&(account.to_string(), region.to_string()))
    }
}

#[derive(Default)]
pub struct Config {
    pub alarms: BTreeMap<AlarmKey, Alarm>,
    /// Dashboards are global: keyed by account and name.
    pub dashboards: BTreeMap<(String, String), Dashboard>,
    pub streams: BTreeMap<AlarmKey, MetricStream>,
    pub history: BTreeMap<Scope, Vec<HistoryItem>>,
}

#[derive(Serialize, Deserialize)]
struct MetricDef {
    account: String,
    region: String,
    namespace: String,
    name: String,
    dims: Vec<(String, String)>,
}

pub struct State {
    store: Store,
    pub metrics: RwLock<Metrics>,
    config: Mutex<Config>,
    seq: AtomicU64,
}

fn scoped(account: &str, region: &str, rest: &str) -> Vec<u8> {
    format!("{account}/{region}/{rest}").into_bytes()
}

fn chunk_key(account: &str, region: &str, id: u64, seq: u64) -> Vec<u8> {
    scoped(account, region, &format!("{id:016x}/{seq:016x}"))
}

/// Changes to alarms, dashboards, streams and history, committed together.
pub struct ConfigTxn<'a> {
    pub inner: MutexGuard<'a, Config>,
    batch: Batch,
    state: &'a State,
}

impl ConfigTxn<'_> {
    pub fn put_alarm(&mut self, key: &AlarmKey) -> Result<(), AwsError> {
        if let Some(a) = self.inner.alarms.get(key) {
            self.batch
                .put_json(ALARMS, scoped(&key.0, &key.1, &key.2), a)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_alarm(&mut self, key: &AlarmKey) {
        self.inner.alarms.remove(key);
        self.batch.delete(ALARMS, scoped(&key.0, &key.1, &key.2));
    }

    pub fn put_dashboard(&mut self, d: Dashboard) -> Result<(), AwsError> {
        self.batch
            .put_json(DASHBOARDS, scoped(&d.account, "", &d.name), &d)
            .map_err(store_err)?;
        self.inner
            .dashboards
            .insert((d.account.clone(), d.name.clone()), d);
        Ok(())
    }

    pub fn delete_dashboard(&mut self, account: &str, name: &str) {
        self.inner
            .dashboards
            .remove(&(account.to_string(), name.to_string()));
        self.batch.delete(DASHBOARDS, scoped(account, "", name));
    }

    pub fn put_stream(&mut self, key: &AlarmKey) -> Result<(), AwsError> {
        if let Some(s) = self.inner.streams.get(key) {
            self.batch
                .put_json(STREAMS, scoped(&key.0, &key.1, &key.2), s)
                .map_err(store_err)?;
        }
        Ok(())
    }

    pub fn delete_stream(&mut self, key: &AlarmKey) {
        self.inner.streams.remove(key);
        self.batch.delete(STREAMS, scoped(&key.0, &key.1, &key.2));
    }

    pub fn add_history(&mut self, mut item: HistoryItem) -> Result<(), AwsError> {
        item.seq = self.state.seq.fetch_add(1, Ordering::Relaxed);
        let key = scoped(
            &item.account,
            &item.region,
            &format!("{:016x}{:016x}", item.ts, item.seq),
        );
        self.batch
            .put_json(HISTORY, key, &item)
            .map_err(store_err)?;
        let list = self
            .inner
            .history
            .entry((item.account.clone(), item.region.clone()))
            .or_default();
        let at = list.partition_point(|h| (h.ts, h.seq) <= (item.ts, item.seq));
        list.insert(at, item);
        Ok(())
    }

    /// Drops history older than `cutoff`.
    pub fn expire_history(&mut self, cutoff: i64) {
        let mut gone = Vec::new();
        for list in self.inner.history.values_mut() {
            let n = list.partition_point(|h| h.ts < cutoff);
            gone.extend(list.drain(..n));
        }
        for h in gone {
            self.batch.delete(
                HISTORY,
                scoped(
                    &h.account,
                    &h.region,
                    &format!("{:016x}{:016x}", h.ts, h.seq),
                ),
            );
        }
    }

    /// Queues the changes; the ticket waits for durability after the lock goes.
    pub fn submit(self) -> Result<Ticket, AwsError> {
        let ConfigTxn {
            inner,
            batch,
            state,
        } = self;
        let t = state.store.submit(batch).map_err(store_err)?;
        drop(inner);
        Ok(t)
    }

    pub fn commit(self) -> Result<(), AwsError> {
        self.submit()?.wait().map_err(store_err)
    }
}

impl State {
    pub fn load(store: Store) -> Result<State, AwsError> {
        let mut config = Config::default();
        for a in store.scan_json::<Alarm>(ALARMS, b"").map_err(store_err)? {
            config
                .alarms
                .insert((a.account.clone(), a.region.clone(), a.name.clone()), a);
        }
        for d in store
            .scan_json::<Dashboard>(DASHBOARDS, b"")
            .map_err(store_err)?
        {
            config
                .dashboards
                .insert((d.account.clone(), d.name.clone()), d);
        }
        for s in store
            .scan_json::<MetricStream>(STREAMS, b"")
            .map_err(store_err)?
        {
            config
                .streams
                .insert((s.account.clone(), s.region.clone(), s.name.clone()), s);
        }
        let mut seq = 0;
        for h in store
            .scan_json::<HistoryItem>(HISTORY, b"")
            .map_err(store_err)?
        {
            seq = seq.max(h.seq + 1);
            config
                .history
                .entry((h.account.clone(), h.region.clone()))
                .or_default()
                .push(h);
        }
        for list in config.history.values_mut() {
            list.sort_by_key(|h| (h.ts, h.seq));
        }

        let mut metrics = Metrics::default();
        let mut by_id: HashMap<u64, (Scope, MetricKey)> = HashMap::new();
        for (k, v) in store.scan(METRICS, b"").map_err(store_err)? {
            let Ok(def) = serde_json::from_slice::<MetricDef>(&v) else {
                continue;
            };
            let Some(id) = std::str::from_utf8(&k)
                .ok()
                .and_then(|k| k.rsplit('/').next())
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            else {
                continue;
            };
            metrics.next_id = metrics.next_id.max(id + 1);
            let key = MetricKey::new(&def.namespace, &def.name, def.dims);
            let scope = (def.account, def.region);
            metrics
                .regions
                .entry(scope.clone())
                .or_default()
                .series
                .insert(key.clone(), Series::new(id));
            by_id.insert(id, (scope, key));
        }
        let mut loaded: HashMap<u64, Vec<Point>> = HashMap::new();
        for (k, v) in store.scan(SAMPLES, b"").map_err(store_err)? {
            let Some((id, cseq)) = std::str::from_utf8(&k).ok().and_then(|k| {
                let mut it = k.rsplit('/');
                let cseq = u64::from_str_radix(it.next()?, 16).ok()?;
                let id = u64::from_str_radix(it.next()?, 16).ok()?;
                Some((id, cseq))
            }) else {
                continue;
            };
            seq = seq.max(cseq + 1);
            let Some((scope, key)) = by_id.get(&id) else {
                continue;
            };
            let Some(points) = series::decode(&v) else {
                tracing::warn!("skipping a corrupt CloudWatch sample chunk");
                continue;
            };
            let Some(s) = metrics
                .regions
                .get_mut(scope)
                .and_then(|r| r.series.get_mut(key))
            else {
                continue;
            };
            s.chunks.push(Chunk {
                seq: cseq,
                points: points.len() as u32,
                max_ts: points.iter().map(|p| p.ts).max().unwrap_or(0),
            });
            loaded.entry(id).or_default().extend(points);
        }
        for r in metrics.regions.values_mut() {
            for s in r.series.values_mut() {
                s.load(loaded.remove(&s.id).unwrap_or_default());
                s.last_put_ms = s.last_ts().unwrap_or(0);
            }
        }
        Ok(State {
            store,
            metrics: RwLock::new(metrics),
            config: Mutex::new(config),
            seq: AtomicU64::new(seq),
        })
    }

    pub fn begin(&self) -> ConfigTxn<'_> {
        ConfigTxn {
            inner: self.config.lock(),
            batch: Batch::new(),
            state: self,
        }
    }

    /// Adds samples of one account and region and writes them through.
    pub fn put_samples(
        &self,
        account: &str,
        region: &str,
        samples: Vec<(MetricKey, Point)>,
        now_ms: i64,
    ) -> Result<(), AwsError> {
        if samples.is_empty() {
            return Ok(());
        }
        let persist = self.store.is_persistent();
        let mut batch = Batch::new();
        let ticket = {
            let mut m = self.metrics.write();
            let Metrics { regions, next_id } = &mut *m;
            let r = regions
                .entry((account.to_string(), region.to_string()))
                .or_default();
            let mut touched: HashMap<u64, (MetricKey, Vec<Point>)> = HashMap::new();
            for (key, point) in samples {
                let s = match r.series.get_mut(&key) {
                    Some(s) => s,
                    None => {
                        let id = *next_id;
                        *next_id += 1;
                        if persist {
                            let def = MetricDef {
                                account: account.to_string(),
                                region: region.to_string(),
                                namespace: key.namespace.clone(),
                                name: key.name.clone(),
                                dims: key.dims.clone(),
                            };
                            batch
                                .put_json(
                                    METRICS,
                                    scoped(account, region, &format!("{id:016x}")),
                                    &def,
                                )
                                .map_err(store_err)?;
                        }
                        r.series.entry(key.clone()).or_insert(Series::new(id))
                    }
                };
                s.last_put_ms = s.last_put_ms.max(now_ms);
                if persist {
                    touched
                        .entry(s.id)
                        .or_insert_with(|| (key.clone(), Vec::new()))
                        .1
                        .push(point.clone());
                }
                s.insert(point);
            }
            for (id, (key, points)) in touched {
                let seq = self.seq.fetch_add(1, Ordering::Relaxed);
                let mut buf = Vec::with_capacity(points.len() * 48);
                series::encode(&points, &mut buf);
                batch.put(SAMPLES, chunk_key(account, region, id, seq), buf);
                if let Some(s) = r.series.get_mut(&key) {
                    s.chunks.push(Chunk {
                        seq,
                        points: points.len() as u32,
                        max_ts: points.iter().map(|p| p.ts).max().unwrap_or(0),
                    });
                }
            }
            self.store.submit(batch).map_err(store_err)?
        };
        ticket.wait().map_err(store_err)
    }

    /// Drops expired samples and merges small chunks; run by the background task.
    pub fn maintain(&self, now_ms: i64) -> Result<(), AwsError> {
        let cutoff = now_ms - RETENTION_MS;
        // Which chunks to merge, chosen under the lock and read without it.
        let mut merges: Vec<(Scope, MetricKey, Vec<Chunk>)> = Vec::new();
        let mut batch = Batch::new();
        {
            let mut m = self.metrics.write();
            for (scope, r) in m.regions.iter_mut() {
                for (key, s) in r.series.iter_mut() {
                    if s.first_ts().is_some_and(|t| t < cutoff) {
                        for c in s.expire(cutoff) {
                            batch.delete(SAMPLES, chunk_key(&scope.0, &scope.1, s.id, c.seq));
                        }
                    }
                    let small: Vec<Chunk> = s
                        .chunks
                        .iter()
                        .copied()
                        .filter(|c| c.points < SMALL_CHUNK)
                        .collect();
                    if small.len() >= MERGE_AFTER {
                        merges.push((scope.clone(), key.clone(), small));
                    }
                }
            }
        }
        self.store.commit(batch).map_err(store_err)?;
        for (scope, key, chunks) in merges {
            let id = {
                let m = self.metrics.read();
                match m.regions.get(&scope).and_then(|r| r.series.get(&key)) {
                    Some(s) => s.id,
                    None => continue,
                }
            };
            let mut buf = Vec::new();
            for c in &chunks {
                if let Some(b) = self
                    .store
                    .get(SAMPLES, &chunk_key(&scope.0, &scope.1, id, c.seq))
                    .map_err(store_err)?
                {
                    buf.extend_from_slice(&b);
                }
            }
            let ticket = {
                let mut m = self.metrics.write();
                let Some(s) = m
                    .regions
                    .get_mut(&scope)
                    .and_then(|r| r.series.get_mut(&key))
                else {
                    continue;
                };
                if s.id != id || !chunks.iter().all(|c| s.chunks.contains(c)) {
                    continue;
                }
                let seq = self.seq.fetch_add(1, Ordering::Relaxed);
                let mut b = Batch::new();
                b.put(SAMPLES, chunk_key(&scope.0, &scope.1, id, seq), buf);
                for c in &chunks {
                    b.delete(SAMPLES, chunk_key(&scope.0, &scope.1, id, c.seq));
                }
                s.chunks.retain(|c| !chunks.contains(c));
                s.chunks.push(Chunk {
                    seq,
                    points: chunks.iter().map(|c| c.points).sum(),
                    max_ts: chunks.iter().map(|c| c.max_ts).max().unwrap_or(0),
                });
                self.store.submit(b).map_err(store_err)?
            };
            ticket.wait().map_err(store_err)?;
        }
        Ok(())
    }

    pub fn reset(&self) -> Result<(), AwsError> {
        let mut cfg = self.config.lock();
        let mut m = self.metrics.write();
        for t in TABLES {
            self.store.clear(t).map_err(store_err)?;
        }
        *cfg = Config::default();
        m.regions.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A memory engine the state treats as persistent, so samples are written.
    fn store() -> Store {
        Store::with_engine(
            Arc::new(stratus_store::MemoryEngine::default()),
            Some(std::env::temp_dir()),
        )
    }

    fn key() -> MetricKey {
        MetricKey::new("NS", "m", vec![("A".into(), "1".into())])
    }

    #[test]
    fn samples_reload_after_small_chunks_merge() {
        let store = store();
        let s = State::load(store.clone()).unwrap();
        for i in 0..40 {
            let p = Point::single(1_000 + i, i as f64, 0);
            s.put_samples("a", "r", vec![(key(), p)], 5_000).unwrap();
        }
        assert_eq!(store.scan(SAMPLES, b"").unwrap().len(), 40);
        s.maintain(10_000).unwrap();
        assert_eq!(store.scan(SAMPLES, b"").unwrap().len(), 1);
        s.put_samples("a", "r", vec![(key(), Point::single(999, 7.0, 0))], 5_000)
            .unwrap();

        let again = State::load(store).unwrap();
        let m = again.metrics.read();
        let series = &m.region("a", "r").unwrap().series[&key()];
        assert_eq!(series.len(), 41);
        let all: Vec<&Point> = series.range(i64::MIN, i64::MAX).collect();
        assert_eq!(all[0].sum, 7.0);
        assert!(all.windows(2).all(|w| w[0].ts <= w[1].ts));
        assert_eq!(series.chunks.iter().map(|c| c.points).sum::<u32>(), 41);
    }

    #[test]
    fn expired_samples_and_their_chunks_go() {
        let store = store();
        let s = State::load(store.clone()).unwrap();
        s.put_samples("a", "r", vec![(key(), Point::single(0, 1.0, 0))], 0)
            .unwrap();
        s.put_samples(
            "a",
            "r",
            vec![(key(), Point::single(RETENTION_MS, 2.0, 0))],
            0,
        )
        .unwrap();
        s.maintain(RETENTION_MS + 1).unwrap();
        assert_eq!(store.scan(SAMPLES, b"").unwrap().len(), 1);
        let again = State::load(store).unwrap();
        assert_eq!(
            again.metrics.read().region("a", "r").unwrap().series[&key()].len(),
            1
        );
    }
}
