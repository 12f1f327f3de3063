//! Metrics as stored: one series per namespace, name and dimension set,
//! holding raw samples in time order. Statistics are computed on read, so
//! any period and any percentile can be asked of the same samples.

use std::collections::BTreeMap;

/// CloudWatch's unit names; a sample keeps the index of its unit.
pub const UNITS: &[&str] = &[
    "None",
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
];

pub fn unit_index(name: &str) -> Option<u8> {
    UNITS.iter().position(|u| *u == name).map(|i| i as u8)
}

pub fn unit_name(i: u8) -> &'static str {
    UNITS.get(i as usize).copied().unwrap_or("None")
}

/// What identifies a metric.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    /// Sorted by name: the same set in any order is the same metric.
    pub dims: Vec<(String, String)>,
}

impl MetricKey {
    pub fn new(namespace: &str, name: &str, mut dims: Vec<(String, String)>) -> MetricKey {
        dims.sort();
        MetricKey {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dims,
        }
    }
}

/// A sample was a statistic set: it has no distribution for percentiles.
pub const FLAG_STAT_SET: u8 = 1;
/// Stored at one-second resolution.
pub const FLAG_HIGH_RES: u8 = 2;

/// One PutMetricData datum (or one sample another service published).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub ts: i64,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub unit: u8,
    pub flags: u8,
    /// Values with their counts, for datums given as arrays.
    pub values: Option<Box<[(f64, f64)]>>,
}

impl Point {
    pub fn single(ts: i64, value: f64, unit: u8) -> Point {
        Point {
            ts,
            count: 1.0,
            sum: value,
            min: value,
            max: value,
            unit,
            flags: 0,
            values: None,
        }
    }

    /// The values and their weights, when the sample kept them.
    pub fn distribution(&self) -> Option<Vec<(f64, f64)>> {
        if let Some(v) = &self.values {
            return Some(v.to_vec());
        }
        if self.flags & FLAG_STAT_SET != 0 {
            // A statistic set has a distribution only when it is one value.
            return (self.count == 1.0 || self.min == self.max)
                .then(|| vec![(self.min, self.count)]);
        }
        Some(vec![(self.sum, 1.0)])
    }
}

/// A stored chunk of samples: one request's samples for one metric, or
/// several such merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chunk {
    pub seq: u64,
    pub points: u32,
    pub max_ts: i64,
}

/// Samples are kept in time-ordered blocks, so a sample that arrives out of
/// order (backfill, clients batching several hosts) costs a block's worth
/// of moving, never the whole series'.
const BLOCK: usize = 512;

#[derive(Debug, Clone, Default)]
pub struct Series {
    pub id: u64,
    /// Each block sorted; every sample of a block is no later than any of
    /// the next block.
    blocks: Vec<Vec<Point>>,
    /// When data last arrived (clock time), for `RecentlyActive`.
    pub last_put_ms: i64,
    pub chunks: Vec<Chunk>,
}

impl Series {
    pub fn new(id: u64) -> Series {
        Series {
            id,
            ..Series::default()
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }

    pub fn first_ts(&self) -> Option<i64> {
        self.blocks.first().and_then(|b| b.first()).map(|p| p.ts)
    }

    pub fn last_ts(&self) -> Option<i64> {
        self.blocks.last().and_then(|b| b.last()).map(|p| p.ts)
    }

    /// Keeps time order; samples mostly arrive in order, so this appends.
    pub fn insert(&mut self, p: Point) {
        // The first block whose newest sample is later than this one.
        let i = self
            .blocks
            .partition_point(|b| b.last().is_some_and(|l| l.ts <= p.ts));
        let i = if i == self.blocks.len() {
            if self.blocks.last().is_none_or(|b| b.len() >= BLOCK) {
                self.blocks.push(Vec::with_capacity(BLOCK));
            }
            self.blocks.len() - 1
        } else {
            i
        };
        let block = &mut self.blocks[i];
        let at = block.partition_point(|q| q.ts <= p.ts);
        block.insert(at, p);
        if block.len() > 2 * BLOCK {
            let tail = block.split_off(BLOCK);
            self.blocks.insert(i + 1, tail);
        }
    }

    /// Adds samples in any order (loading); sorts once.
    pub fn load(&mut self, mut points: Vec<Point>) {
        for b in self.blocks.drain(..) {
            points.extend(b);
        }
        points.sort_by_key(|p| p.ts);
        let mut rest = points.into_iter().peekable();
        while rest.peek().is_some() {
            self.blocks.push(rest.by_ref().take(BLOCK).collect());
        }
    }

    /// Samples with `start <= ts < end`, in time order.
    pub fn range(&self, start: i64, end: i64) -> impl Iterator<Item = &Point> {
        let first = self
            .blocks
            .partition_point(|b| b.last().is_some_and(|l| l.ts < start));
        self.blocks[first..]
            .iter()
            .flat_map(|b| b.iter())
            .skip_while(move |p| p.ts < start)
            .take_while(move |p| p.ts < end)
    }

    /// Drops samples older than `cutoff`; returns the chunks wholly older.
    pub fn expire(&mut self, cutoff: i64) -> Vec<Chunk> {
        while let Some(b) = self.blocks.first_mut() {
            let n = b.partition_point(|p| p.ts < cutoff);
            if n == b.len() {
                self.blocks.remove(0);
            } else {
                b.drain(..n);
                break;
            }
        }
        let (old, keep): (Vec<Chunk>, Vec<Chunk>) =
            self.chunks.iter().partition(|c| c.max_ts < cutoff);
        self.chunks = keep;
        old
    }
}

/// The binary form of samples in the store: fixed fields, then the value
/// and count pairs. Chunks concatenate, so merging needs no decoding.
pub fn encode(points: &[Point], out: &mut Vec<u8>) {
    for p in points {
        out.extend_from_slice(&p.ts.to_le_bytes());
        for f in [p.count, p.sum, p.min, p.max] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.push(p.unit);
        out.push(p.flags);
        let vals = p.values.as_deref().unwrap_or(&[]);
        out.extend_from_slice(&(vals.len() as u32).to_le_bytes());
        for (v, c) in vals {
            out.extend_from_slice(&v.to_le_bytes());
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
}

pub fn decode(mut b: &[u8]) -> Option<Vec<Point>> {
    fn take<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
        let (h, t) = b.split_at_checked(N)?;
        *b = t;
        h.try_into().ok()
    }
    let f = |b: &mut &[u8]| take::<8>(b).map(f64::from_le_bytes);
    let mut out = Vec::new();
    while !b.is_empty() {
        let ts = i64::from_le_bytes(take::<8>(&mut b)?);
        let count = f(&mut b)?;
        let sum = f(&mut b)?;
        let min = f(&mut b)?;
        let max = f(&mut b)?;
        let [unit] = take::<1>(&mut b)?;
        let [flags] = take::<1>(&mut b)?;
        let n = u32::from_le_bytes(take::<4>(&mut b)?) as usize;
        let values = if n == 0 {
            None
        } else {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((f(&mut b)?, f(&mut b)?));
            }
            Some(v.into_boxed_slice())
        };
        out.push(Point {
            ts,
            count,
            sum,
            min,
            max,
            unit,
            flags,
            values,
        });
    }
    Some(out)
}

/// Dimension filters as ListMetrics takes them: a name alone matches any value.
pub fn dims_match(dims: &[(String, String)], filters: &[(String, Option<String>)]) -> bool {
    filters.iter().all(|(n, v)| {
        dims.iter()
            .any(|(dn, dv)| dn == n && v.as_ref().is_none_or(|v| v == dv))
    })
}

/// The series of one account and region.
#[derive(Default)]
pub struct RegionMetrics {
    pub series: BTreeMap<MetricKey, Series>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_stay_in_time_order() {
        let mut s = Series::default();
        for ts in [10, 30, 20, 5, 30] {
            s.insert(Point::single(ts, ts as f64, 0));
        }
        let ts: Vec<i64> = s.range(i64::MIN, i64::MAX).map(|p| p.ts).collect();
        assert_eq!(ts, vec![5, 10, 20, 30, 30]);
        assert_eq!(s.range(10, 30).count(), 2);
        assert_eq!(s.range(31, 40).count(), 0);
    }

    #[test]
    fn out_of_order_samples_across_blocks() {
        let mut s = Series::default();
        // A scrambled order over many blocks.
        let n = 10 * BLOCK as i64;
        for i in 0..n {
            s.insert(Point::single((i * 7919) % n, 0.0, 0));
        }
        assert_eq!(s.len(), n as usize);
        let ts: Vec<i64> = s.range(i64::MIN, i64::MAX).map(|p| p.ts).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(s.range(100, 200).count(), 100);
        assert!(s.blocks.iter().all(|b| b.len() <= 2 * BLOCK));
        s.expire(5000);
        assert_eq!((s.len(), s.first_ts()), (n as usize - 5000, Some(5000)));
        let mut l = Series::default();
        l.load((0..5000).rev().map(|t| Point::single(t, 0.0, 0)).collect());
        assert_eq!(
            (l.first_ts(), l.last_ts(), l.len()),
            (Some(0), Some(4999), 5000)
        );
    }

    #[test]
    fn encoding_round_trips_and_concatenates() {
        let a = vec![Point::single(1, 2.5, 14)];
        let b = vec![Point {
            values: Some(vec![(1.0, 2.0), (3.0, 1.0)].into_boxed_slice()),
            count: 3.0,
            sum: 5.0,
            min: 1.0,
            max: 3.0,
            ..Point::single(2, 0.0, 15)
        }];
        let mut buf = Vec::new();
        encode(&a, &mut buf);
        encode(&b, &mut buf);
        let back = decode(&buf).unwrap();
        assert_eq!(back, [a, b].concat());
        assert!(decode(&buf[..buf.len() - 1]).is_none());
    }

    #[test]
    fn dimension_filters_match_by_name_or_value() {
        let d = vec![("A".to_string(), "1".to_string())];
        assert!(dims_match(&d, &[("A".into(), None)]));
        assert!(dims_match(&d, &[("A".into(), Some("1".into()))]));
        assert!(!dims_match(&d, &[("A".into(), Some("2".into()))]));
        assert!(!dims_match(&d, &[("B".into(), None)]));
    }
}
