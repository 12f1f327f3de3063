//! Consumed capacity as DynamoDB computes it (reads in 4 KB units, halved
//! when eventually consistent; writes in 1 KB units, with a write to each
//! index whose entry the change adds, removes or alters), and the item
//! collection metrics of tables with local secondary indexes.

use std::collections::BTreeMap;

use crate::attr::{Item, item_size};
use crate::generated::{AttributeValue, Capacity, ConsumedCapacity, ItemCollectionMetrics};
use crate::ops::items::index_projection;
use crate::state::{IndexMeta, ItemKey, TableMeta};

/// Write units: one per KB, rounded up, at least one.
pub fn write_units(size: usize) -> f64 {
    (size.div_ceil(1024)).max(1) as f64
}

/// Read units: one per 4 KB strongly consistent, half that eventually.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let u = size.div_ceil(4096).max(1) as f64;
    if consistent { u } else { u / 2.0 }
}

/// Units consumed by one request on one table, split by where they went.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Units {
    pub table: f64,
    pub global: BTreeMap<String, f64>,
    pub local: BTreeMap<String, f64>,
}

impl Units {
    pub fn on_table(units: f64) -> Units {
        Units {
            table: units,
            ..Default::default()
        }
    }

    /// Reads charged to the index they were served from, else to the table.
    pub fn read(idx: Option<&IndexMeta>, units: f64) -> Units {
        let mut u = Units::default();
        match idx {
            Some(i) if i.global => {
                u.global.insert(i.name.clone(), units);
            }
            Some(i) => {
                u.local.insert(i.name.clone(), units);
            }
            None => u.table = units,
        }
        u
    }

    /// A write of `new` over `old` (either absent): the table pays for the
    /// larger of the two; each index pays for the entries it deletes and
    /// puts, nothing when its entry stays the same.
    pub fn write(meta: &TableMeta, old: Option<&Item>, new: Option<&Item>) -> Units {
        let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
        let mut u = Units::on_table(write_units(size));
        // An index being deleted takes no more writes.
        for idx in meta.indexes.iter().filter(|i| i.deleted_ms == 0) {
            let entry = |i: Option<&Item>| {
                i.filter(|i| in_index(idx, i))
                    .map(|i| index_projection(meta, idx, i))
            };
            let (before, after) = (entry(old), entry(new));
            let key = |e: &Item| {
                (
                    e.get(&idx.hash.name).cloned(),
                    idx.range.as_ref().and_then(|r| e.get(&r.name).cloned()),
                )
            };
            let units = match (&before, &after) {
                (None, None) => 0.0,
                (Some(b), None) => write_units(item_size(b)),
                (None, Some(a)) => write_units(item_size(a)),
                (Some(b), Some(a)) if key(b) != key(a) => {
                    write_units(item_size(b)) + write_units(item_size(a))
                }
                (Some(b), Some(a)) if b == a => 0.0,
                (Some(_), Some(a)) => write_units(item_size(a)),
            };
            if units > 0.0 {
                let map = if idx.global {
                    &mut u.global
                } else {
                    &mut u.local
                };
                map.insert(idx.name.clone(), units);
            }
        }
        u
    }

    pub fn add(&mut self, other: &Units) {
        self.table += other.table;
        for (k, v) in &other.global {
            *self.global.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.local {
            *self.local.entry(k.clone()).or_default() += v;
        }
    }

    /// Transactions cost twice: a prepare and a commit.
    pub fn doubled(mut self) -> Units {
        self.table *= 2.0;
        self.global.values_mut().for_each(|v| *v *= 2.0);
        self.local.values_mut().for_each(|v| *v *= 2.0);
        self
    }

    pub fn total(&self) -> f64 {
        self.table + self.global.values().sum::<f64>() + self.local.values().sum::<f64>()
    }

    /// The ConsumedCapacity a request asked for: `TOTAL` gives the sum,
    /// `INDEXES` adds the table's and each index's share; `NONE` nothing.
    pub fn report(&self, table: &str, mode: Option<&str>) -> Option<ConsumedCapacity> {
        let mode = mode.filter(|m| *m == "TOTAL" || *m == "INDEXES")?;
        let mut c = ConsumedCapacity {
            table_name: Some(table.to_string()),
            capacity_units: Some(self.total()),
            ..Default::default()
        };
        if mode == "INDEXES" {
            let cap = |units: f64| Capacity {
                capacity_units: Some(units),
                ..Default::default()
            };
            let map = |m: &BTreeMap<String, f64>| {
                (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), cap(*v))).collect())
            };
            c.table = Some(cap(self.table));
            c.global_secondary_indexes = map(&self.global);
            c.local_secondary_indexes = map(&self.local);
        }
        Some(c)
    }
}

/// Whether an item has an entry in the index: it carries the index's keys.
pub fn in_index(idx: &IndexMeta, item: &Item) -> bool {
    item.contains_key(&idx.hash.name)
        && idx
            .range
            .as_ref()
            .is_none_or(|r| item.contains_key(&r.name))
}

/// Bytes of one item collection (the items sharing a partition key, with
/// their local index entries), for ReturnItemCollectionMetrics.
pub fn collection_bytes<'a>(meta: &TableMeta, items: impl Iterator<Item = &'a Item>) -> usize {
    let locals: Vec<&IndexMeta> = meta.indexes.iter().filter(|i| !i.global).collect();
    items
        .map(|i| {
            item_size(i)
                + locals
                    .iter()
                    .filter(|l| in_index(l, i))
                    // Each index entry also costs 100 bytes of overhead.
                    .map(|l| item_size(&index_projection(meta, l, i)) + 100)
                    .sum::<usize>()
        })
        .sum()
}

/// ItemCollectionMetrics for the collection of `key`, when the table has
/// local secondary indexes and the request asked for `SIZE`.
pub fn collection_metrics(
    meta: &TableMeta,
    key: &ItemKey,
    bytes: usize,
    mode: Option<&str>,
) -> Option<ItemCollectionMetrics> {
    if mode != Some("SIZE") || meta.indexes.iter().all(|i| i.global) {
        return None;
    }
    let gb = bytes as f64 / (1u64 << 30) as f64;
    let low = gb.floor();
    let mut k: BTreeMap<String, AttributeValue> = BTreeMap::new();
    k.insert(meta.hash.name.clone(), key.0.to_attr().to_wire());
    Some(ItemCollectionMetrics {
        item_collection_key: Some(k),
        size_estimate_range_gb: Some(vec![low, low + 1.0]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Attr;
    use crate::state::KeyDef;

    fn meta() -> TableMeta {
        let key = |n: &str| KeyDef {
            name: n.into(),
            typ: "S".into(),
        };
        TableMeta {
            name: "t".into(),
            hash: key("pk"),
            range: Some(key("sk")),
            indexes: vec![IndexMeta {
                name: "g".into(),
                hash: key("gk"),
                range: None,
                projection: "KEYS_ONLY".into(),
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

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Attr::S(v.to_string())))
            .collect()
    }

    #[test]
    fn reads_round_up_to_4kb_and_halve_when_eventual() {
        assert_eq!(read_units(1, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(0, false), 0.5);
    }

    #[test]
    fn writes_round_up_to_1kb() {
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
    }

    #[test]
    fn index_writes_follow_the_entry() {
        let m = meta();
        let plain = item(&[("pk", "a"), ("sk", "1")]);
        let indexed = item(&[("pk", "a"), ("sk", "1"), ("gk", "x")]);
        let moved = item(&[("pk", "a"), ("sk", "1"), ("gk", "y")]);
        let extra = item(&[("pk", "a"), ("sk", "1"), ("gk", "x"), ("other", "z")]);
        // Not in the index before or after: nothing.
        assert!(Units::write(&m, None, Some(&plain)).global.is_empty());
        // Added to the index: one put.
        assert_eq!(
            Units::write(&m, Some(&plain), Some(&indexed)).global["g"],
            1.0
        );
        // Index key changed: a delete and a put.
        assert_eq!(
            Units::write(&m, Some(&indexed), Some(&moved)).global["g"],
            2.0
        );
        // An attribute the index does not project: nothing.
        assert!(
            Units::write(&m, Some(&indexed), Some(&extra))
                .global
                .is_empty()
        );
        // Removed from the table: one delete.
        let u = Units::write(&m, Some(&indexed), None);
        assert_eq!((u.table, u.global["g"], u.total()), (1.0, 1.0, 2.0));
    }

    #[test]
    fn indexes_mode_splits_the_total() {
        let m = meta();
        let u = Units::write(
            &m,
            None,
            Some(&item(&[("pk", "a"), ("sk", "1"), ("gk", "x")])),
        );
        let c = u.report("t", Some("INDEXES")).unwrap();
        assert_eq!(c.capacity_units, Some(2.0));
        assert_eq!(c.table.unwrap().capacity_units, Some(1.0));
        assert_eq!(
            c.global_secondary_indexes.unwrap()["g"].capacity_units,
            Some(1.0)
        );
        assert!(c.local_secondary_indexes.is_none());
        let t = u.report("t", Some("TOTAL")).unwrap();
        assert!(t.table.is_none() && t.global_secondary_indexes.is_none());
        assert!(u.report("t", Some("NONE")).is_none() && u.report("t", None).is_none());
    }

    #[test]
    fn collection_sizes_are_reported_in_gigabyte_ranges() {
        let mut m = meta();
        let key = (crate::attr::KeyVal::S("a".into()), None);
        assert!(
            collection_metrics(&m, &key, 10, Some("SIZE")).is_none(),
            "no LSI"
        );
        m.indexes[0].global = false;
        let c = collection_metrics(&m, &key, 10, Some("SIZE")).unwrap();
        assert_eq!(c.size_estimate_range_gb, Some(vec![0.0, 1.0]));
        assert!(collection_metrics(&m, &key, 10, Some("NONE")).is_none());
    }
}
