//! Which group and which target get a request: weighted groups (with
//! group-level stickiness), the targets that may take traffic (healthy
//! ones, or all registered ones when none is: AWS fails open), round robin
//! or least outstanding requests, and target stickiness by cookie.

use std::collections::HashMap;

use http::HeaderMap;
use parking_lot::Mutex;

use super::headers::{cookie, token};
use crate::health;
use crate::state::{ForwardRec, TargetGroupRec, TargetRec};

pub const LB_COOKIE: &str = "AWSALB";
pub const APP_COOKIE: &str = "AWSALBAPP-0";
pub const GROUP_COOKIE: &str = "AWSALBTG";

/// The stickiness of a group, as its attributes say it.
#[derive(Debug, Clone, PartialEq)]
pub enum Sticky {
    None,
    /// `lb_cookie` with its duration in seconds.
    Lb(i64),
    /// `app_cookie`: the application's cookie name and the duration.
    App(String, i64),
}

pub fn stickiness(tg: &TargetGroupRec) -> Sticky {
    if tg.attribute("stickiness.enabled") != Some("true") {
        return Sticky::None;
    }
    let secs = |k: &str| {
        tg.attribute(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(86_400)
    };
    match tg.attribute("stickiness.type") {
        Some("app_cookie") => Sticky::App(
            tg.attribute("stickiness.app_cookie.cookie_name")
                .unwrap_or("")
                .to_string(),
            secs("stickiness.app_cookie.duration_seconds"),
        ),
        Some("lb_cookie") => Sticky::Lb(secs("stickiness.lb_cookie.duration_seconds")),
        _ => Sticky::None,
    }
}

pub fn target_token(tg: &TargetGroupRec, t: &TargetRec) -> String {
    let port = t.port.map(|p| p.to_string()).unwrap_or_default();
    token(&[&tg.arn, &t.id, &port])
}

/// The targets that may take a new request: healthy ones (or all checked
/// ones while health checks are off); when none is, every registered
/// target that is not draining or out of use.
pub fn candidates(tg: &TargetGroupRec) -> Vec<&TargetRec> {
    let live: Vec<&TargetRec> = tg
        .targets
        .iter()
        .filter(|t| !matches!(t.health.state.as_str(), health::DRAINING | health::UNUSED))
        .collect();
    let healthy: Vec<&TargetRec> = live
        .iter()
        .copied()
        .filter(|t| {
            matches!(
                t.health.state.as_str(),
                health::HEALTHY | health::UNAVAILABLE
            )
        })
        .collect();
    if healthy.is_empty() { live } else { healthy }
}

/// The target a stickiness cookie of the request names, if it may still
/// take traffic.
pub fn sticky_target<'a>(
    tg: &TargetGroupRec,
    cands: &[&'a TargetRec],
    headers: &HeaderMap,
) -> Option<&'a TargetRec> {
    let value = match stickiness(tg) {
        Sticky::None => return None,
        Sticky::Lb(_) => {
            cookie(headers, LB_COOKIE).or_else(|| cookie(headers, &format!("{LB_COOKIE}CORS")))
        }
        Sticky::App(..) => {
            cookie(headers, APP_COOKIE).or_else(|| cookie(headers, &format!("{APP_COOKIE}CORS")))
        }
    }?;
    cands.iter().copied().find(|t| target_token(tg, t) == value)
}

/// Each candidate's share of new requests while some are in slow start
/// (their share grows linearly from near zero over the group's
/// `slow_start.duration_seconds`), or None when none is. A target is not in
/// slow start while no other healthy target is outside it.
pub fn slow_start_shares(
    tg: &TargetGroupRec,
    cands: &[&TargetRec],
    now_ms: i64,
) -> Option<Vec<f64>> {
    let secs: i64 = tg
        .attribute("slow_start.duration_seconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if secs <= 0 {
        return None;
    }
    let span = (secs * 1000) as f64;
    let shares: Vec<f64> = cands
        .iter()
        .map(|t| match t.health.healthy_since_ms {
            Some(since) if t.health.state == health::HEALTHY && now_ms - since < secs * 1000 => {
                ((now_ms - since) as f64 / span).max(0.01)
            }
            _ => 1.0,
        })
        .collect();
    let starting = shares.iter().filter(|s| **s < 1.0).count();
    (starting > 0 && starting < shares.len()).then_some(shares)
}

/// An index by share for the `turn`th request: a low-discrepancy walk, so
/// consecutive requests spread over the shares in proportion.
fn by_share(shares: &[f64], turn: usize) -> usize {
    let total: f64 = shares.iter().sum();
    let mut at = ((turn as f64) * 0.618_033_988_749_895).fract() * total;
    for (i, s) in shares.iter().enumerate() {
        if at < *s {
            return i;
        }
        at -= s;
    }
    shares.len() - 1
}

type TargetKey = (String, String, Option<i32>);

/// Cursors and in-flight counts shared by every request.
#[derive(Default)]
pub struct Picker {
    cursors: Mutex<HashMap<String, usize>>,
    outstanding: Mutex<HashMap<TargetKey, usize>>,
}

/// Counts one request in flight to a target until dropped.
pub struct InFlight<'a> {
    picker: &'a Picker,
    key: TargetKey,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut o = self.picker.outstanding.lock();
        if let Some(n) = o.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                o.remove(&self.key);
            }
        }
    }
}

impl Picker {
    fn next(&self, key: &str) -> usize {
        let mut c = self.cursors.lock();
        let n = c.entry(key.to_string()).or_default();
        let v = *n;
        *n = n.wrapping_add(1);
        v
    }

    /// One of `cands` by the group's algorithm, at `now_ms` (for slow start).
    pub fn pick<'a>(
        &self,
        tg: &TargetGroupRec,
        cands: &[&'a TargetRec],
        now_ms: i64,
    ) -> Option<&'a TargetRec> {
        if cands.is_empty() {
            return None;
        }
        let turn = self.next(&tg.arn);
        if let Some(shares) = slow_start_shares(tg, cands, now_ms) {
            return Some(cands[by_share(&shares, turn)]);
        }
        if tg.attribute("load_balancing.algorithm.type") == Some("least_outstanding_requests") {
            let o = self.outstanding.lock();
            let load = |t: &TargetRec| {
                o.get(&(tg.arn.clone(), t.id.clone(), t.port))
                    .copied()
                    .unwrap_or(0)
            };
            let least = cands.iter().map(|t| load(t)).min().unwrap_or(0);
            let tied: Vec<&'a TargetRec> =
                cands.iter().copied().filter(|t| load(t) == least).collect();
            return Some(tied[turn % tied.len()]);
        }
        Some(cands[turn % cands.len()])
    }

    pub fn begin(&self, tg: &TargetGroupRec, t: &TargetRec) -> InFlight<'_> {
        let key = (tg.arn.clone(), t.id.clone(), t.port);
        *self.outstanding.lock().entry(key.clone()).or_default() += 1;
        InFlight { picker: self, key }
    }

    /// The group of a forward action: the one the group cookie names when
    /// group stickiness is on, else by weight (each weight's share of
    /// consecutive requests, in turn).
    pub fn pick_group<'a>(&self, f: &'a ForwardRec, headers: &HeaderMap) -> Option<&'a str> {
        let weighted: Vec<(&str, u64)> = f
            .groups
            .iter()
            .map(|g| {
                let w = if f.groups.len() == 1 {
                    1
                } else {
                    g.weight.unwrap_or(1).max(0) as u64
                };
                (g.arn.as_str(), w)
            })
            .filter(|(_, w)| *w > 0)
            .collect();
        if f.stickiness.is_some_and(|(on, _)| on)
            && let Some(v) = cookie(headers, GROUP_COOKIE)
                .or_else(|| cookie(headers, &format!("{GROUP_COOKIE}CORS")))
            && let Some((arn, _)) = weighted.iter().find(|(arn, _)| token(&[arn]) == v)
        {
            return Some(arn);
        }
        let total: u64 = weighted.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        if let [(arn, _)] = weighted.as_slice() {
            return Some(arn);
        }
        // Not the groups' own cursors, which their targets turn.
        let key = format!(
            "forward:{}",
            weighted
                .iter()
                .map(|(a, _)| *a)
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut at = self.next(&key) as u64 % total;
        for (arn, w) in &weighted {
            if at < *w {
                return Some(arn);
            }
            at -= w;
        }
        None
    }

    pub fn reset(&self) {
        self.cursors.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::TargetHealthRec;
    use crate::state::TargetWeight;

    fn target(id: &str, state: &str) -> TargetRec {
        TargetRec {
            id: id.into(),
            port: Some(80),
            health: TargetHealthRec {
                state: state.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn group(targets: Vec<TargetRec>) -> TargetGroupRec {
        TargetGroupRec {
            arn: "tg".into(),
            targets,
            ..Default::default()
        }
    }

    fn ids(v: &[&TargetRec]) -> Vec<String> {
        v.iter().map(|t| t.id.clone()).collect()
    }

    #[test]
    fn healthy_targets_first_then_fail_open_never_draining() {
        let tg = group(vec![
            target("a", "healthy"),
            target("b", "unhealthy"),
            target("c", "draining"),
        ]);
        assert_eq!(ids(&candidates(&tg)), ["a"]);
        let tg = group(vec![
            target("b", "unhealthy"),
            target("c", "draining"),
            target("d", "initial"),
        ]);
        assert_eq!(ids(&candidates(&tg)), ["b", "d"]);
        assert!(candidates(&group(vec![target("c", "draining")])).is_empty());
    }

    #[test]
    fn round_robin_and_least_outstanding() {
        let p = Picker::default();
        let mut tg = group(vec![target("a", "healthy"), target("b", "healthy")]);
        let c = candidates(&tg);
        let seq: Vec<String> = (0..4)
            .map(|_| p.pick(&tg, &c, 0).unwrap().id.clone())
            .collect();
        assert_eq!(seq, ["a", "b", "a", "b"]);
        tg.attributes.insert(
            "load_balancing.algorithm.type".into(),
            "least_outstanding_requests".into(),
        );
        let c = candidates(&tg);
        let busy = p.begin(&tg, c[0]);
        for _ in 0..3 {
            assert_eq!(p.pick(&tg, &c, 0).unwrap().id, "b");
        }
        drop(busy);
        let both: Vec<String> = (0..2)
            .map(|_| p.pick(&tg, &c, 0).unwrap().id.clone())
            .collect();
        assert!(both.contains(&"a".to_string()) && both.contains(&"b".to_string()));
    }

    #[test]
    fn slow_start_grows_a_new_targets_share() {
        let p = Picker::default();
        let mut tg = group(vec![target("old", "healthy"), target("new", "healthy")]);
        tg.attributes
            .insert("slow_start.duration_seconds".into(), "100".into());
        tg.targets[1].health.healthy_since_ms = Some(0);
        let c = candidates(&tg);
        let share = |now: i64| {
            (0..1000)
                .filter(|_| p.pick(&tg, &c, now).unwrap().id == "new")
                .count()
        };
        // A quarter through: 0.25 / 1.25 of the requests.
        let early = share(25_000);
        assert!((170..=230).contains(&early), "{early}");
        // Over: round robin again.
        assert_eq!(share(100_000), 500);
        // Alone, a starting target takes everything.
        let alone = group(vec![tg.targets[1].clone()]);
        assert!(slow_start_shares(&alone, &candidates(&alone), 25_000).is_none());
    }

    #[test]
    fn lb_cookies_stick_to_a_live_target() {
        let mut tg = group(vec![target("a", "healthy"), target("b", "healthy")]);
        tg.attributes
            .insert("stickiness.enabled".into(), "true".into());
        tg.attributes
            .insert("stickiness.type".into(), "lb_cookie".into());
        assert_eq!(stickiness(&tg), Sticky::Lb(86_400));
        let b = target_token(&tg, &tg.targets[1]);
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, format!("AWSALB={b}").parse().unwrap());
        let c = candidates(&tg);
        assert_eq!(sticky_target(&tg, &c, &h).unwrap().id, "b");
        tg.targets[1].health.state = "draining".into();
        let c = candidates(&tg);
        assert!(sticky_target(&tg, &c, &h).is_none());
    }

    #[test]
    fn weights_share_requests_and_group_cookies_stick() {
        let p = Picker::default();
        let mut f = ForwardRec {
            groups: vec![
                TargetWeight {
                    arn: "one".into(),
                    weight: Some(3),
                },
                TargetWeight {
                    arn: "two".into(),
                    weight: Some(1),
                },
                TargetWeight {
                    arn: "off".into(),
                    weight: Some(0),
                },
            ],
            stickiness: None,
        };
        let h = HeaderMap::new();
        let picks: Vec<&str> = (0..8).map(|_| p.pick_group(&f, &h).unwrap()).collect();
        assert_eq!(picks.iter().filter(|a| **a == "one").count(), 6);
        assert_eq!(picks.iter().filter(|a| **a == "two").count(), 2);
        f.stickiness = Some((true, Some(60)));
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            format!("AWSALBTG={}", token(&["two"])).parse().unwrap(),
        );
        for _ in 0..4 {
            assert_eq!(p.pick_group(&f, &h), Some("two"));
        }
    }
}
