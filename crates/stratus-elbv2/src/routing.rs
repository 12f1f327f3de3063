//! What a data plane reads to carry a request: the load balancer a host
//! name belongs to, its listeners with their rules in priority order, and
//! the groups they forward to with their targets' health. Copies, so the
//! data plane never holds the control plane's lock while it proxies.

use std::collections::BTreeMap;

use crate::Elbv2;
use crate::state::{Inner, ListenerRec, LoadBalancerRec, RuleRec, TargetGroupRec};

#[derive(Debug, Clone)]
pub struct Routing {
    pub load_balancer: LoadBalancerRec,
    /// Each listener with its rules, lowest priority number first (the
    /// default actions are the listener's own).
    pub listeners: Vec<(ListenerRec, Vec<RuleRec>)>,
    /// Every group a listener or rule of the load balancer forwards to.
    pub target_groups: BTreeMap<String, TargetGroupRec>,
}

impl Elbv2 {
    /// The routing of the load balancer whose DNS name is `host` (any case,
    /// without a port).
    pub fn routing_for_host(&self, host: &str) -> Option<Routing> {
        for_host(&self.state.read(), host)
    }
}

pub fn for_host(inner: &Inner, host: &str) -> Option<Routing> {
    let lb = inner
        .lbs
        .values()
        .find(|l| l.dns_name.eq_ignore_ascii_case(host))?;
    Some(of(inner, lb))
}

/// Whether `host` is the DNS name of an application load balancer.
pub fn is_alb_host(inner: &Inner, host: &str) -> bool {
    inner
        .lbs
        .values()
        .any(|l| l.kind == "application" && l.dns_name.eq_ignore_ascii_case(host))
}

/// The application load balancer that answers on its own `port`: the one
/// `host` names if it has a listener there, else the oldest one that has.
pub fn for_port(inner: &Inner, port: u16, host: &str) -> Option<Routing> {
    let mut owners: Vec<&LoadBalancerRec> = inner
        .listeners
        .values()
        .filter(|l| l.port == Some(i32::from(port)))
        .filter_map(|l| inner.lbs.get(&l.lb_arn))
        .filter(|lb| lb.kind == "application")
        .collect();
    owners.sort_by_key(|lb| (!lb.dns_name.eq_ignore_ascii_case(host), lb.created_ms));
    owners.first().map(|lb| of(inner, lb))
}

/// The ports of every HTTP listener of an application load balancer.
pub fn http_ports(inner: &Inner) -> Vec<u16> {
    let mut v: Vec<u16> = inner
        .listeners
        .values()
        .filter(|l| l.protocol.as_deref() == Some("HTTP"))
        .filter(|l| {
            inner
                .lbs
                .get(&l.lb_arn)
                .is_some_and(|lb| lb.kind == "application")
        })
        .filter_map(|l| l.port.and_then(|p| u16::try_from(p).ok()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn of(inner: &Inner, lb: &LoadBalancerRec) -> Routing {
    let lb = lb.clone();
    let mut listeners: Vec<(ListenerRec, Vec<RuleRec>)> = inner
        .listeners
        .values()
        .filter(|l| l.lb_arn == lb.arn)
        .map(|l| {
            let mut rules: Vec<RuleRec> = inner
                .rules
                .values()
                .filter(|r| r.listener_arn == l.arn)
                .cloned()
                .collect();
            rules.sort_by_key(|r| r.priority);
            (l.clone(), rules)
        })
        .collect();
    listeners.sort_by_key(|(l, _)| l.port);
    let mut target_groups = BTreeMap::new();
    for (l, rules) in &listeners {
        let actions = l
            .default_actions
            .iter()
            .chain(rules.iter().flat_map(|r| r.actions.iter()));
        for a in actions {
            for tg in a.target_groups() {
                if let Some(g) = inner.tgs.get(tg) {
                    target_groups.insert(tg.to_string(), g.clone());
                }
            }
        }
    }
    Routing {
        load_balancer: lb,
        listeners,
        target_groups,
    }
}
