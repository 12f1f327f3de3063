//! Counters of real traffic per minute, per load balancer and per target
//! group, which the metrics task publishes once the minute is over
//! (RequestCount, HTTPCode_Target_*, HTTPCode_ELB_*, TargetResponseTime).

use std::collections::BTreeMap;

use parking_lot::Mutex;
use stratus_core::metrics::{Sample, sample};

const MINUTE_MS: i64 = 60_000;
/// Response times kept per minute and key; later ones only count.
const MAX_TIMES: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    minute: i64,
    account: String,
    region: String,
    /// `app/NAME/ID`.
    lb: String,
    /// `targetgroup/NAME/ID` for the per-group series.
    tg: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct Counts {
    requests: u64,
    /// 2XX, 3XX, 4XX, 5XX answered by targets.
    target: [u64; 4],
    /// Codes the load balancer answered itself.
    elb_3xx: u64,
    elb_4xx: u64,
    elb_5xx: u64,
    elb_500: u64,
    elb_502: u64,
    elb_503: u64,
    elb_504: u64,
    fixed: u64,
    redirects: u64,
    /// Seconds from sending the request to the response head.
    times: Vec<f64>,
}

impl Counts {
    fn count_elb(&mut self, status: u16) {
        match status {
            300..=399 => self.elb_3xx += 1,
            400..=499 => self.elb_4xx += 1,
            500..=599 => {
                self.elb_5xx += 1;
                match status {
                    500 => self.elb_500 += 1,
                    502 => self.elb_502 += 1,
                    503 => self.elb_503 += 1,
                    504 => self.elb_504 += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Who answered a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// A target, with its status and response time in seconds.
    Target(u16, f64),
    /// The load balancer's own errors.
    Elb(u16),
    /// A fixed-response action.
    Fixed(u16),
    /// A redirect action.
    Redirect(u16),
}

#[derive(Default)]
pub struct Traffic {
    counts: Mutex<BTreeMap<Key, Counts>>,
}

impl Traffic {
    /// Counts one request to the load balancer `lb` (and the group `tg`
    /// when it was forwarded), both as metric dimension values.
    pub fn record(
        &self,
        now_ms: i64,
        account: &str,
        region: &str,
        lb: &str,
        tg: Option<&str>,
        answer: Answer,
    ) {
        let minute = now_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        let mut all = self.counts.lock();
        let keys = std::iter::once(None).chain(tg.map(Some));
        for tg in keys {
            let key = Key {
                minute,
                account: account.to_string(),
                region: region.to_string(),
                lb: lb.to_string(),
                tg: tg.map(str::to_string),
            };
            let c = all.entry(key).or_default();
            c.requests += 1;
            match answer {
                Answer::Target(status, secs) => {
                    if (200..600).contains(&status) {
                        c.target[usize::from(status / 100 - 2)] += 1;
                    }
                    if c.times.len() < MAX_TIMES {
                        c.times.push(secs);
                    }
                }
                Answer::Elb(status) | Answer::Fixed(status) | Answer::Redirect(status) => {
                    match answer {
                        Answer::Fixed(_) => c.fixed += 1,
                        Answer::Redirect(_) => c.redirects += 1,
                        _ => {}
                    }
                    c.count_elb(status);
                }
            }
        }
    }

    /// The samples of every minute that ended by `now_ms`, per account and
    /// region; they are forgotten once taken.
    pub fn take_finished(&self, now_ms: i64) -> Vec<(String, String, Vec<Sample>)> {
        let current = now_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        let done: Vec<(Key, Counts)> = {
            let mut all = self.counts.lock();
            let later = all.split_off(&Key {
                minute: current,
                account: String::new(),
                region: String::new(),
                lb: String::new(),
                tg: None,
            });
            std::mem::replace(&mut *all, later).into_iter().collect()
        };
        let mut out: BTreeMap<(String, String), Vec<Sample>> = BTreeMap::new();
        for (k, c) in done {
            out.entry((k.account.clone(), k.region.clone()))
                .or_default()
                .extend(samples(&k, &c));
        }
        out.into_iter().map(|((a, r), s)| (a, r, s)).collect()
    }

    pub fn reset(&self) {
        self.counts.lock().clear();
    }
}

fn samples(k: &Key, c: &Counts) -> Vec<Sample> {
    const NS: &str = "AWS/ApplicationELB";
    let mut dims = vec![("LoadBalancer", k.lb.as_str())];
    if let Some(tg) = &k.tg {
        dims.insert(0, ("TargetGroup", tg.as_str()));
    }
    let mut out = Vec::new();
    let mut count = |name: &str, v: u64| {
        if v > 0 {
            out.push(sample(NS, name, &dims, k.minute, v as f64, "Count"));
        }
    };
    count("RequestCount", c.requests);
    for (i, n) in c.target.iter().enumerate() {
        count(&format!("HTTPCode_Target_{}XX_Count", i + 2), *n);
    }
    // The load balancer's own codes exist only per load balancer.
    if k.tg.is_none() {
        count("HTTPCode_ELB_3XX_Count", c.elb_3xx);
        count("HTTPCode_ELB_4XX_Count", c.elb_4xx);
        count("HTTPCode_ELB_5XX_Count", c.elb_5xx);
        count("HTTPCode_ELB_500_Count", c.elb_500);
        count("HTTPCode_ELB_502_Count", c.elb_502);
        count("HTTPCode_ELB_503_Count", c.elb_503);
        count("HTTPCode_ELB_504_Count", c.elb_504);
        count("HTTP_Fixed_Response_Count", c.fixed);
        count("HTTP_Redirect_Count", c.redirects);
    }
    for t in &c.times {
        out.push(sample(
            NS,
            "TargetResponseTime",
            &dims,
            k.minute,
            *t,
            "Seconds",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(s: &'a [Sample], name: &str, with_tg: bool) -> Vec<&'a Sample> {
        s.iter()
            .filter(|x| x.metric_name == name && (x.dimensions.len() == 2) == with_tg)
            .collect()
    }

    #[test]
    fn minutes_are_published_once_they_end_per_lb_and_group() {
        let t = Traffic::default();
        let lb = "app/web/1";
        t.record(
            60_000,
            "a",
            "r",
            lb,
            Some("targetgroup/tg/2"),
            Answer::Target(200, 0.5),
        );
        t.record(
            61_000,
            "a",
            "r",
            lb,
            Some("targetgroup/tg/2"),
            Answer::Target(404, 0.1),
        );
        t.record(62_000, "a", "r", lb, None, Answer::Elb(503));
        t.record(63_000, "a", "r", lb, None, Answer::Redirect(301));
        t.record(125_000, "a", "r", lb, None, Answer::Elb(200));
        assert!(t.take_finished(119_999).is_empty());
        let taken = t.take_finished(120_000);
        assert_eq!(taken.len(), 1);
        let s = &taken[0].2;
        assert_eq!(find(s, "RequestCount", false)[0].value, 4.0);
        assert_eq!(find(s, "HTTPCode_ELB_3XX_Count", false)[0].value, 1.0);
        assert_eq!(find(s, "HTTP_Redirect_Count", false)[0].value, 1.0);
        assert_eq!(find(s, "RequestCount", true)[0].value, 2.0);
        assert_eq!(find(s, "HTTPCode_Target_2XX_Count", true)[0].value, 1.0);
        assert_eq!(find(s, "HTTPCode_Target_4XX_Count", false)[0].value, 1.0);
        assert_eq!(find(s, "HTTPCode_ELB_503_Count", false)[0].value, 1.0);
        assert_eq!(find(s, "HTTPCode_ELB_5XX_Count", false)[0].value, 1.0);
        assert!(find(s, "HTTPCode_ELB_5XX_Count", true).is_empty());
        assert_eq!(find(s, "TargetResponseTime", true).len(), 2);
        assert!(s.iter().all(|x| x.timestamp_ms == 60_000));
        assert_eq!(
            find(s, "RequestCount", true)[0].dimensions[0],
            ("TargetGroup".to_string(), "targetgroup/tg/2".to_string())
        );
        // Taken once; the running minute waits.
        assert!(t.take_finished(120_000).is_empty());
        assert_eq!(t.take_finished(180_000).len(), 1);
    }
}
