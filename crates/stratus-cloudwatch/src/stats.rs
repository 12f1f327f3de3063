//! Statistics over raw samples: the five basic ones, and the extended ones
//! (percentiles, trimmed and winsorized means, trimmed counts and sums,
//! percentile ranks, IQM) computed from the samples' distributions.

use crate::series::Point;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A share of the samples, in percent.
    Percent(f64),
    /// A value.
    Value(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    Percentile(f64),
    /// TM, WM, TC, TS over (lower, upper]; either bound may be open.
    Trimmed(Trim, Option<Bound>, Option<Bound>),
    PercentileRank(Option<f64>, Option<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trim {
    Mean,
    Winsorized,
    Count,
    Sum,
}

impl Stat {
    pub fn basic(name: &str) -> Option<Stat> {
        Some(match name {
            "SampleCount" => Stat::SampleCount,
            "Average" => Stat::Average,
            "Sum" => Stat::Sum,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            _ => return None,
        })
    }

    /// Any statistic GetMetricData takes: `Average`, `p99`, `p99.9`,
    /// `tm90`, `TM(10%:90%)`, `WM(:95%)`, `TC(100:)`, `PR(:300)`, `IQM`.
    pub fn parse(s: &str) -> Option<Stat> {
        if let Some(b) = Stat::basic(s) {
            return Some(b);
        }
        if s.eq_ignore_ascii_case("iqm") {
            return Some(Stat::Trimmed(
                Trim::Mean,
                Some(Bound::Percent(25.0)),
                Some(Bound::Percent(75.0)),
            ));
        }
        let lower = s.to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix('p').filter(|n| !n.contains('(')) {
            let p = pct(n)?;
            return Some(Stat::Percentile(p));
        }
        let (kind, rest) = lower.split_at_checked(2)?;
        let trim = match kind {
            "tm" => Some(Trim::Mean),
            "wm" => Some(Trim::Winsorized),
            "tc" => Some(Trim::Count),
            "ts" => Some(Trim::Sum),
            "pr" => None,
            _ => return None,
        };
        if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            let (a, b) = inner.split_once(':')?;
            let bound = |t: &str| -> Option<Option<Bound>> {
                let t = t.trim();
                if t.is_empty() {
                    return Some(None);
                }
                Some(Some(match t.strip_suffix('%') {
                    Some(p) => Bound::Percent(pct(p)?),
                    None => Bound::Value(t.parse().ok().filter(|v: &f64| v.is_finite())?),
                }))
            };
            let (lo, hi) = (bound(a)?, bound(b)?);
            if lo.is_none() && hi.is_none() {
                return None;
            }
            return Some(match trim {
                Some(t) => Stat::Trimmed(t, lo, hi),
                None => {
                    let v = |b: Option<Bound>| match b {
                        Some(Bound::Value(v)) => Some(Some(v)),
                        None => Some(None),
                        Some(Bound::Percent(_)) => None,
                    };
                    Stat::PercentileRank(v(lo)?, v(hi)?)
                }
            });
        }
        // tm90 is TM(:90%): the lowest 90 percent.
        let t = trim?;
        Some(Stat::Trimmed(t, None, Some(Bound::Percent(pct(rest)?))))
    }

    pub fn is_basic(&self) -> bool {
        matches!(
            self,
            Stat::SampleCount | Stat::Average | Stat::Sum | Stat::Minimum | Stat::Maximum
        )
    }
}

fn pct(s: &str) -> Option<f64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    // At most two decimals, as CloudWatch accepts them.
    if s.split_once('.')
        .is_some_and(|(_, f)| f.len() > 2 || f.is_empty())
    {
        return None;
    }
    s.parse().ok().filter(|p| (0.0..=100.0).contains(p))
}

/// The samples of one period, folded.
#[derive(Debug, Clone)]
pub struct Agg {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Values and weights, unsorted; `None` once a statistic set came in.
    dist: Option<Vec<(f64, f64)>>,
    any: bool,
}

impl Default for Agg {
    fn default() -> Agg {
        Agg::new()
    }
}

impl Agg {
    pub fn new() -> Agg {
        Agg {
            count: 0.0,
            sum: 0.0,
            min: 0.0,
            max: 0.0,
            dist: Some(Vec::new()),
            any: false,
        }
    }

    pub fn of<'a>(points: impl IntoIterator<Item = &'a Point>) -> Agg {
        let mut a = Agg::new();
        for p in points {
            a.add(p);
        }
        a
    }

    pub fn add(&mut self, p: &Point) {
        if self.any {
            self.min = self.min.min(p.min);
            self.max = self.max.max(p.max);
        } else {
            self.min = p.min;
            self.max = p.max;
            self.any = true;
        }
        self.count += p.count;
        self.sum += p.sum;
        match (self.dist.as_mut(), p.distribution()) {
            (Some(d), Some(more)) => d.extend(more),
            _ => self.dist = None,
        }
    }

    pub fn get(&self, stat: &Stat) -> Option<f64> {
        if !self.any {
            return None;
        }
        match stat {
            Stat::SampleCount => Some(self.count),
            Stat::Sum => Some(self.sum),
            Stat::Minimum => Some(self.min),
            Stat::Maximum => Some(self.max),
            Stat::Average => (self.count > 0.0).then(|| self.sum / self.count),
            Stat::Percentile(p) => {
                let d = sorted(self.dist.as_ref()?);
                percentile(&d, *p)
            }
            Stat::Trimmed(t, lo, hi) => {
                let d = sorted(self.dist.as_ref()?);
                trimmed(&d, *t, *lo, *hi)
            }
            Stat::PercentileRank(lo, hi) => {
                let d = self.dist.as_ref()?;
                let n: f64 = d.iter().map(|(_, c)| c).sum();
                if n <= 0.0 {
                    return None;
                }
                let k: f64 = d
                    .iter()
                    .filter(|(v, _)| lo.is_none_or(|l| *v > l) && hi.is_none_or(|h| *v <= h))
                    .map(|(_, c)| c)
                    .sum();
                Some(100.0 * k / n)
            }
        }
    }
}

fn sorted(d: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = d.iter().copied().filter(|(_, c)| *c > 0.0).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// Nearest rank over weighted values.
pub fn percentile(d: &[(f64, f64)], p: f64) -> Option<f64> {
    let n: f64 = d.iter().map(|(_, c)| c).sum();
    if n <= 0.0 {
        return None;
    }
    let rank = (p / 100.0 * n).ceil().max(1.0);
    let mut cum = 0.0;
    for (v, c) in d {
        cum += c;
        if cum >= rank {
            return Some(*v);
        }
    }
    d.last().map(|(v, _)| *v)
}

/// The value at a position (0..n) of the weighted, sorted values.
fn value_at(d: &[(f64, f64)], pos: f64) -> f64 {
    let mut cum = 0.0;
    for (v, c) in d {
        cum += c;
        if pos < cum {
            return *v;
        }
    }
    d.last().map(|(v, _)| *v).unwrap_or(0.0)
}

fn trimmed(d: &[(f64, f64)], t: Trim, lo: Option<Bound>, hi: Option<Bound>) -> Option<f64> {
    let n: f64 = d.iter().map(|(_, c)| c).sum();
    if n <= 0.0 {
        return None;
    }
    // Positions [a, b) of the sorted values that are kept.
    // Value bounds keep values above the lower and up to the upper one.
    let pos = |b: Option<Bound>, open: f64| -> f64 {
        match b {
            None => open,
            Some(Bound::Percent(p)) => p / 100.0 * n,
            Some(Bound::Value(x)) => d.iter().take_while(|(v, _)| *v <= x).map(|(_, c)| c).sum(),
        }
    };
    let a = pos(lo, 0.0);
    let b = pos(hi, n);
    let (mut w, mut s, mut cum) = (0.0f64, 0.0f64, 0.0f64);
    for (v, c) in d {
        let (from, to) = (cum.max(a), (cum + c).min(b));
        if to > from {
            w += to - from;
            s += v * (to - from);
        }
        cum += c;
    }
    match t {
        Trim::Count => Some(w),
        Trim::Sum => Some(s),
        Trim::Mean => (w > 0.0).then(|| s / w),
        Trim::Winsorized => {
            if b <= a {
                return None;
            }
            let low = value_at(d, a);
            let high = value_at(d, (b - 1e-9).max(a));
            Some((s + a * low + (n - b) * high) / n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(vals: &[f64]) -> Agg {
        let pts: Vec<Point> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| Point::single(i as i64, *v, 0))
            .collect();
        Agg::of(&pts)
    }

    #[test]
    fn basic_statistics() {
        let a = agg(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(a.get(&Stat::SampleCount), Some(10.0));
        assert_eq!(a.get(&Stat::Sum), Some(45.0));
        assert_eq!(a.get(&Stat::Average), Some(4.5));
        assert_eq!(a.get(&Stat::Minimum), Some(0.0));
        assert_eq!(a.get(&Stat::Maximum), Some(9.0));
        assert_eq!(Agg::new().get(&Stat::Sum), None);
        // A fresh fold, however made, still collects the distribution.
        let mut d = Agg::default();
        d.add(&Point::single(0, 3.0, 0));
        assert_eq!(d.get(&Stat::Percentile(50.0)), Some(3.0));
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let vals: Vec<f64> = (1..=100).map(f64::from).collect();
        let a = agg(&vals);
        assert_eq!(a.get(&Stat::parse("p50").unwrap()), Some(50.0));
        assert_eq!(a.get(&Stat::parse("p90").unwrap()), Some(90.0));
        assert_eq!(a.get(&Stat::parse("p99.5").unwrap()), Some(100.0));
        assert_eq!(a.get(&Stat::parse("p0").unwrap()), Some(1.0));
        assert_eq!(a.get(&Stat::parse("p100").unwrap()), Some(100.0));
    }

    #[test]
    fn weighted_values_count_as_repeats() {
        let p = Point {
            values: Some(vec![(10.0, 3.0), (1.0, 1.0)].into_boxed_slice()),
            count: 4.0,
            sum: 31.0,
            min: 1.0,
            max: 10.0,
            ..Point::single(0, 0.0, 0)
        };
        let a = Agg::of([&p]);
        assert_eq!(a.get(&Stat::Percentile(25.0)), Some(1.0));
        assert_eq!(a.get(&Stat::Percentile(50.0)), Some(10.0));
        assert_eq!(a.get(&Stat::Average), Some(7.75));
    }

    #[test]
    fn statistic_sets_have_no_percentiles() {
        let p = Point {
            count: 2.0,
            sum: 4.0,
            min: 1.0,
            max: 3.0,
            flags: crate::series::FLAG_STAT_SET,
            ..Point::single(0, 0.0, 0)
        };
        let a = Agg::of([&p]);
        assert_eq!(a.get(&Stat::Average), Some(2.0));
        assert_eq!(a.get(&Stat::Percentile(50.0)), None);
    }

    #[test]
    fn trimmed_and_winsorized_means() {
        let vals: Vec<f64> = (1..=10).map(f64::from).collect();
        let a = agg(&vals);
        // The lowest 90 percent: 1..=9.
        assert_eq!(a.get(&Stat::parse("tm90").unwrap()), Some(5.0));
        assert_eq!(a.get(&Stat::parse("TM(10%:90%)").unwrap()), Some(5.5));
        assert_eq!(a.get(&Stat::parse("TC(10%:90%)").unwrap()), Some(8.0));
        assert_eq!(a.get(&Stat::parse("TS(10%:90%)").unwrap()), Some(44.0));
        assert_eq!(a.get(&Stat::parse("IQM").unwrap()), Some(5.5));
        // 1 becomes 2 and 10 becomes 9.
        assert_eq!(a.get(&Stat::parse("WM(10%:90%)").unwrap()), Some(5.5));
        assert_eq!(a.get(&Stat::parse("TM(2:5)").unwrap()), Some(4.0));
        assert_eq!(a.get(&Stat::parse("PR(:5)").unwrap()), Some(50.0));
        assert_eq!(a.get(&Stat::parse("PR(8:)").unwrap()), Some(20.0));
    }

    #[test]
    fn statistic_names() {
        assert_eq!(Stat::parse("Average"), Some(Stat::Average));
        assert_eq!(Stat::parse("p99.99"), Some(Stat::Percentile(99.99)));
        assert!(Stat::parse("p101").is_none());
        assert!(Stat::parse("p99.999").is_none());
        assert!(Stat::parse("average").is_none());
        assert!(Stat::parse("TM(:)").is_none());
        assert!(Stat::parse("PR(10%:)").is_none());
    }
}
