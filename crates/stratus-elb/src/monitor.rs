//! The background side of instance health: following each registered
//! instance's EC2 state and zone, running the checks due on the clock, and
//! ending connection draining. Terminated instances leave the load
//! balancer, as AWS deregisters them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use stratus_core::compute::{InstanceView, Instances};
use stratus_core::link::Link;
use stratus_core::tasks::Task;
use stratus_elbv2::health::{self as h, HealthChecker, INVALID_STATE, NOT_IN_USE, Outcome, Probe};

use crate::health::{in_state, parse_target, starting, zone_not_served};
use crate::state::{Inner, Key, State};

pub struct HealthTask {
    pub state: Arc<State>,
    pub instances: Link<dyn Instances>,
    pub checker: Arc<dyn HealthChecker>,
}

/// What EC2 shows of an instance decides whether it is checked at all.
enum Standing {
    Gone,
    Held(&'static str),
    OtherZone,
    Serving,
}

fn standing(v: Option<&InstanceView>, zones: &[String]) -> Standing {
    match v.map(|v| (v.state.as_str(), v)) {
        None | Some(("terminated" | "shutting-down", _)) => Standing::Gone,
        Some(("pending", _)) => Standing::Held("pending"),
        Some(("stopping" | "stopped", _)) => Standing::Held("stopped"),
        Some((_, v)) if !zones.is_empty() && !zones.contains(&v.availability_zone) => {
            Standing::OtherZone
        }
        Some(_) => Standing::Serving,
    }
}

fn wanted(inner: &Inner) -> BTreeMap<(String, String), Vec<String>> {
    let mut want: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in inner.lbs.values() {
        let ids = want
            .entry((r.account.clone(), r.region.clone()))
            .or_default();
        for m in &r.instances {
            if !ids.contains(&m.id) {
                ids.push(m.id.clone());
            }
        }
    }
    want
}

impl Task for HealthTask {
    fn name(&self) -> &str {
        "elb-instance-health"
    }

    fn tick(&self, now_ms: i64) {
        // EC2 is asked outside our lock; instances registered after this
        // snapshot are left alone until the next tick.
        let want = wanted(&self.state.read());
        let Some(ec2) = self.instances.get() else {
            return;
        };
        // Every id asked about, with what EC2 answered (None: it is gone).
        let mut views: BTreeMap<(String, String), BTreeMap<String, Option<InstanceView>>> =
            BTreeMap::new();
        for ((account, region), ids) in want {
            if ids.is_empty() {
                continue;
            }
            let mut answered: BTreeMap<String, Option<InstanceView>> =
                ids.iter().map(|id| (id.clone(), None)).collect();
            for v in ec2.describe(&account, &region, &ids) {
                answered.insert(v.id.clone(), Some(v));
            }
            views.insert((account, region), answered);
        }
        let asked = |k: &Key, id: &str| -> Option<Option<InstanceView>> {
            views.get(&(k.0.clone(), k.1.clone()))?.get(id).cloned()
        };

        let mut probes: Vec<(Probe, i32)> = Vec::new();
        let mut seen: Vec<(Key, String, i64)> = Vec::new();
        let mut txn = self.state.begin();
        let mut changed = Vec::new();
        let keys: Vec<Key> = txn.inner.lbs.keys().cloned().collect();
        for k in keys {
            let Some(r) = txn.inner.lbs.get_mut(&k) else {
                continue;
            };
            let before = r.instances.clone();
            r.instances
                .retain(|m| m.health.drain_until_ms.is_none_or(|until| until > now_ms));
            let target = parse_target(&r.health_check.target).ok();
            let (interval, zones) = (r.health_check.interval, r.zones.clone());
            let mut gone = Vec::new();
            for m in r.instances.iter_mut() {
                if m.health.drain_until_ms.is_some() {
                    continue;
                }
                // Registered after EC2 was asked: nothing known yet.
                let Some(view) = asked(&k, &m.id) else {
                    continue;
                };
                match standing(view.as_ref(), &zones) {
                    Standing::Gone => {
                        gone.push(m.id.clone());
                        continue;
                    }
                    Standing::Held(s) => {
                        if m.health.detail.as_deref() != Some(s) {
                            m.health = in_state(s);
                        }
                        continue;
                    }
                    Standing::OtherZone => {
                        if m.health.reason.as_deref() != Some(NOT_IN_USE) {
                            m.health = zone_not_served();
                        }
                        continue;
                    }
                    Standing::Serving => {
                        if matches!(m.health.reason.as_deref(), Some(INVALID_STATE | NOT_IN_USE)) {
                            m.health = starting(now_ms, interval);
                        }
                    }
                }
                if !m.health.checked() {
                    continue;
                }
                let (n, next) = h::due_checks(m.health.next_check_ms, now_ms, interval);
                if n == 0 {
                    continue;
                }
                m.health.next_check_ms = next;
                let Some(t) = &target else { continue };
                probes.push((
                    Probe {
                        target_group_arn: r.name.clone(),
                        target_type: "instance".into(),
                        target_id: m.id.clone(),
                        address: view.as_ref().and_then(|v| v.private_ip.clone()),
                        vpc_id: view.as_ref().and_then(|v| v.vpc_id.clone()),
                        instance: view,
                        port: Some(t.port),
                        protocol: t.protocol.clone(),
                        path: t.path.clone(),
                        matcher: Some("200".into()),
                        timeout_s: r.health_check.timeout,
                    },
                    n,
                ));
                seen.push((k.clone(), m.id.clone(), m.registered_ms));
            }
            r.instances.retain(|m| !gone.contains(&m.id));
            if r.instances != before {
                changed.push(k);
            }
        }
        for k in &changed {
            let _ = txn.put(k);
        }
        if let Err(e) = txn.commit() {
            tracing::warn!(error = %e, "could not store instance health");
        }
        if probes.is_empty() {
            return;
        }

        let (only, counts): (Vec<Probe>, Vec<i32>) = probes.into_iter().unzip();
        let outcomes: Vec<Outcome> = self.checker.check_all(&only);
        let mut txn = self.state.begin();
        let mut changed = BTreeSet::new();
        for (((k, id, registered), outcome), n) in seen.iter().zip(&outcomes).zip(counts) {
            let Some(r) = txn.inner.lbs.get_mut(k) else {
                continue;
            };
            let (healthy, unhealthy) = (r.health_check.healthy, r.health_check.unhealthy);
            let Some(m) = r
                .instances
                .iter_mut()
                .find(|m| &m.id == id && m.registered_ms == *registered)
            else {
                continue;
            };
            // Results repeat: more than both thresholds adds nothing.
            let n = n.min(healthy.max(unhealthy));
            if h::apply(&mut m.health, outcome, n, healthy, unhealthy) {
                changed.insert(k.clone());
            }
        }
        for k in &changed {
            let _ = txn.put(k);
        }
        if let Err(e) = txn.commit() {
            tracing::warn!(error = %e, "could not store instance health");
        }
    }
}
