//! The background side of target health: which targets are checked at all
//! (their group receives traffic, their instance exists and is not stopped),
//! the checks due on the clock, and draining that ends after the group's
//! deregistration delay.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use stratus_core::compute::{InstanceView, Instances};
use stratus_core::link::Link;
use stratus_core::tasks::Task;

use crate::health::{self, HealthChecker, Probe, TargetHealthRec};
use crate::state::{Inner, State, TargetGroupRec, TargetRec};

/// The deregistration delay of a group, in millis.
pub fn drain_ms(tg: &TargetGroupRec) -> i64 {
    tg.attribute("deregistration_delay.timeout_seconds")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(300)
        * 1000
}

/// The health a target starts with when it is registered, or when its group
/// starts receiving traffic.
pub fn starting_health(tg: &TargetGroupRec, in_use: bool, now_ms: i64) -> TargetHealthRec {
    if !in_use {
        TargetHealthRec::unused(health::NOT_IN_USE, None)
    } else if !tg.health_check.enabled {
        TargetHealthRec::unavailable()
    } else {
        TargetHealthRec::initial(now_ms, tg.health_check.interval)
    }
}

/// Moves targets between `unused` (group not used by any listener or rule)
/// and being checked, after listeners, rules or load balancers change.
/// Returns the groups whose targets changed.
pub fn refresh_usage(inner: &mut Inner, now_ms: i64) -> Vec<String> {
    let used: BTreeSet<String> = inner
        .groups_in_use()
        .keys()
        .map(|s| s.to_string())
        .collect();
    let mut changed = Vec::new();
    for tg in inner.tgs.values_mut() {
        let in_use = used.contains(&tg.arn);
        let before = tg.targets.clone();
        let start = starting_health(tg, in_use, now_ms);
        tg.targets
            .retain(|t| in_use || t.health.state != health::DRAINING);
        for t in tg.targets.iter_mut() {
            let not_in_use = t.health.reason.as_deref() == Some(health::NOT_IN_USE);
            if in_use && not_in_use {
                t.health = start.clone();
            } else if !in_use && !not_in_use {
                t.health = TargetHealthRec::unused(health::NOT_IN_USE, None);
            }
        }
        if tg.targets != before {
            changed.push(tg.arn.clone());
        }
    }
    changed
}

/// Re-applies the group's health check settings after ModifyTargetGroup:
/// enabling or disabling checks restarts them.
pub fn restart_checks(tg: &mut TargetGroupRec, in_use: bool, now_ms: i64) {
    let start = starting_health(tg, in_use, now_ms);
    for t in tg.targets.iter_mut() {
        let checked = t.health.checked() || t.health.state == health::UNAVAILABLE;
        if checked {
            t.health = start.clone();
        }
    }
}

pub struct HealthTask {
    pub state: Arc<State>,
    pub instances: Link<dyn Instances>,
    pub checker: Arc<dyn HealthChecker>,
}

/// One target as the task saw it, to find it again after the checks.
struct Seen {
    tg: String,
    id: String,
    port: Option<i32>,
    registered_ms: i64,
}

fn health_port(configured: Option<&str>, group_port: Option<i32>, t: &TargetRec) -> Option<i32> {
    match configured {
        Some("traffic-port") | None => t.port.or(group_port),
        Some(p) => p.parse().ok(),
    }
}

impl HealthTask {
    fn instances_of(&self, inner: &Inner) -> BTreeMap<(String, String), Vec<String>> {
        let mut want: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for tg in inner.tgs.values().filter(|t| t.target_type == "instance") {
            let ids = want
                .entry((tg.account.clone(), tg.region.clone()))
                .or_default();
            for t in &tg.targets {
                if !ids.contains(&t.id) {
                    ids.push(t.id.clone());
                }
            }
        }
        want
    }
}

impl Task for HealthTask {
    fn name(&self) -> &str {
        "elbv2-target-health"
    }

    fn tick(&self, now_ms: i64) {
        // What EC2 says about every instance target, asked outside our lock.
        let want = self.instances_of(&self.state.read());
        // Targets registered after this snapshot were not asked about: their
        // absence from EC2's answer says nothing about them.
        let asked: BTreeSet<(String, String, String)> = want
            .iter()
            .flat_map(|((a, r), ids)| ids.iter().map(|id| (a.clone(), r.clone(), id.clone())))
            .collect();
        let mut views: BTreeMap<(String, String), BTreeMap<String, InstanceView>> = BTreeMap::new();
        if let Some(ec2) = self.instances.get() {
            for ((account, region), ids) in want {
                if ids.is_empty() {
                    continue;
                }
                let found = ec2
                    .describe(&account, &region, &ids)
                    .into_iter()
                    .map(|v| (v.id.clone(), v))
                    .collect();
                views.insert((account, region), found);
            }
        }

        // Instance states and draining first; then the checks that are due.
        let mut probes = Vec::new();
        let mut seen = Vec::new();
        let mut txn = self.state.begin();
        let used: BTreeSet<String> = txn
            .inner
            .groups_in_use()
            .keys()
            .map(|s| s.to_string())
            .collect();
        let mut changed = Vec::new();
        for tg in txn.inner.tgs.values_mut() {
            let before = tg.targets.clone();
            let in_use = used.contains(&tg.arn);
            let drain = drain_ms(tg);
            tg.targets
                .retain(|t| t.health.drain_until_ms.is_none_or(|until| until > now_ms));
            let instances = views.get(&(tg.account.clone(), tg.region.clone()));
            let start = starting_health(tg, in_use, now_ms);
            let hc = tg.health_check.clone();
            let (group_arn, group_type, group_port, group_vpc) = (
                tg.arn.clone(),
                tg.target_type.clone(),
                tg.port,
                tg.vpc_id.clone(),
            );
            for t in tg.targets.iter_mut() {
                let was_asked =
                    asked.contains(&(tg.account.clone(), tg.region.clone(), t.id.clone()));
                if group_type == "instance"
                    && t.health.state != health::DRAINING
                    && was_asked
                    && let Some(instances) = instances
                {
                    match instances.get(&t.id).map(|v| v.state.as_str()) {
                        None | Some("terminated") | Some("shutting-down") => {
                            // EC2 deregisters terminated instances itself.
                            t.health = if in_use {
                                TargetHealthRec::draining(now_ms + drain, true)
                            } else {
                                TargetHealthRec::draining(now_ms, true)
                            };
                            continue;
                        }
                        Some("stopped") if in_use => {
                            if t.health.reason.as_deref() != Some(health::INVALID_STATE) {
                                t.health =
                                    TargetHealthRec::unused(health::INVALID_STATE, Some("stopped"));
                            }
                            continue;
                        }
                        Some(_) if t.health.reason.as_deref() == Some(health::INVALID_STATE) => {
                            t.health = start.clone();
                        }
                        _ => {}
                    }
                }
                if !t.health.checked() {
                    continue;
                }
                let (n, next) = health::due_checks(t.health.next_check_ms, now_ms, hc.interval);
                if n == 0 {
                    continue;
                }
                t.health.next_check_ms = next;
                let instance = instances.and_then(|m| m.get(&t.id)).cloned();
                let address = match group_type.as_str() {
                    "ip" => Some(t.id.clone()),
                    _ => instance.as_ref().and_then(|i| i.private_ip.clone()),
                };
                probes.push((
                    Probe {
                        target_group_arn: group_arn.clone(),
                        target_type: group_type.clone(),
                        target_id: t.id.clone(),
                        instance,
                        address,
                        vpc_id: group_vpc.clone(),
                        port: health_port(hc.port.as_deref(), group_port, t),
                        protocol: hc.protocol.clone().unwrap_or_default(),
                        path: hc.path.clone(),
                        matcher: hc.http_code.clone().or(hc.grpc_code.clone()),
                        timeout_s: hc.timeout,
                    },
                    n,
                ));
                seen.push(Seen {
                    tg: group_arn.clone(),
                    id: t.id.clone(),
                    port: t.port,
                    registered_ms: t.registered_ms,
                });
            }
            if tg.targets != before {
                changed.push(tg.arn.clone());
            }
        }
        for arn in &changed {
            let _ = txn.put_tg(arn);
        }
        if let Err(e) = txn.commit() {
            tracing::warn!(error = %e, "could not store target health");
        }
        if probes.is_empty() {
            return;
        }

        let (only, counts): (Vec<Probe>, Vec<i32>) = probes.into_iter().unzip();
        let outcomes = self.checker.check_all(&only);

        let mut txn = self.state.begin();
        let mut changed = BTreeSet::new();
        for ((s, outcome), n) in seen.iter().zip(outcomes.iter()).zip(counts) {
            let Some(tg) = txn.inner.tgs.get_mut(&s.tg) else {
                continue;
            };
            let (healthy, unhealthy) = (tg.health_check.healthy, tg.health_check.unhealthy);
            let Some(t) = tg
                .targets
                .iter_mut()
                .find(|t| t.id == s.id && t.port == s.port && t.registered_ms == s.registered_ms)
            else {
                continue;
            };
            // Results repeat: more than both thresholds adds nothing.
            let n = n.min(healthy.max(unhealthy));
            let was_healthy = t.health.state == health::HEALTHY;
            if health::apply(&mut t.health, outcome, n, healthy, unhealthy) {
                if !was_healthy && t.health.state == health::HEALTHY {
                    t.health.healthy_since_ms = Some(now_ms);
                }
                changed.insert(s.tg.clone());
            }
        }
        for arn in &changed {
            let _ = txn.put_tg(arn);
        }
        if let Err(e) = txn.commit() {
            tracing::warn!(error = %e, "could not store target health");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parking_lot::Mutex;
    use stratus_core::compute::{
        InstanceAction, InstanceView, Instances, LaunchSpec, ResolvedTemplate, SubnetView,
        TemplateRef,
    };
    use stratus_core::{AwsError, Clock, RequestContext};
    use stratus_store::Store;

    use crate::Elbv2;
    use crate::generated::*;
    use crate::ops;

    /// EC2 reduced to what load balancers read: two subnets, one group,
    /// instances whose state a test sets.
    #[derive(Default)]
    struct FakeEc2 {
        states: Mutex<Vec<(String, String)>>,
    }

    impl FakeEc2 {
        fn set(&self, id: &str, state: &str) {
            let mut s = self.states.lock();
            s.retain(|(i, _)| i != id);
            s.push((id.into(), state.into()));
        }
    }

    impl Instances for FakeEc2 {
        fn launch(&self, _: &str, _: &str, _: &LaunchSpec) -> Result<InstanceView, AwsError> {
            Err(AwsError::internal("not here"))
        }
        fn act(&self, _: &str, _: &str, _: &[String], _: InstanceAction) -> Result<(), AwsError> {
            Ok(())
        }
        fn describe(&self, _: &str, _: &str, ids: &[String]) -> Vec<InstanceView> {
            self.states
                .lock()
                .iter()
                .filter(|(i, _)| ids.is_empty() || ids.contains(i))
                .map(|(i, s)| InstanceView {
                    id: i.clone(),
                    state: s.clone(),
                    vpc_id: Some("vpc-1".into()),
                    private_ip: Some("10.0.1.5".into()),
                    ..Default::default()
                })
                .collect()
        }
        fn subnets(&self, _: &str, _: &str, ids: &[String]) -> Vec<SubnetView> {
            ids.iter()
                .filter_map(|id| {
                    let az = match id.as_str() {
                        "subnet-a" => "us-east-1a",
                        "subnet-b" => "us-east-1b",
                        _ => return None,
                    };
                    Some(SubnetView {
                        id: id.clone(),
                        vpc_id: "vpc-1".into(),
                        availability_zone: az.into(),
                        cidr: "10.0.1.0/24".into(),
                    })
                })
                .collect()
        }
        fn security_groups(&self, _: &str, _: &str, ids: &[String]) -> Vec<(String, String)> {
            ids.iter().map(|i| (i.clone(), "vpc-1".into())).collect()
        }
        fn vpc_cidrs(&self, _: &str, _: &str, vpc: &str) -> Option<Vec<String>> {
            (vpc == "vpc-1").then(|| vec!["10.0.0.0/16".into()])
        }
        fn template(
            &self,
            _: &str,
            _: &str,
            _: &TemplateRef,
        ) -> Result<ResolvedTemplate, AwsError> {
            Err(AwsError::internal("not here"))
        }
    }

    fn state_of(me: &Elbv2, tg: &str, id: &str) -> (String, Option<String>) {
        let inner = me.state.read();
        let t = inner.tgs[tg].targets.iter().find(|t| t.id == id).unwrap();
        (t.health.state.clone(), t.health.reason.clone())
    }

    #[test]
    fn the_task_checks_on_the_clock_and_follows_instance_states() {
        let clock = Clock::new();
        let ec2 = Arc::new(FakeEc2::default());
        ec2.set("i-0000000000000000a", "running");
        let me = Elbv2::new(Store::ephemeral(), clock.clone())
            .unwrap()
            .with_instances(ec2.clone());
        let task = me.health_task();
        let ctx = RequestContext::on_behalf("elbv2", "Test", "123456789012", "us-east-1", &clock);
        let lb = ops::load_balancers::create_load_balancer(
            &me,
            &ctx,
            CreateLoadBalancerInput {
                name: "web".into(),
                subnets: Some(vec!["subnet-a".into(), "subnet-b".into()]),
                ..Default::default()
            },
        )
        .unwrap()
        .load_balancers
        .unwrap()
        .remove(0)
        .load_balancer_arn
        .unwrap();
        let tg = ops::target_groups::create_target_group(
            &me,
            &ctx,
            CreateTargetGroupInput {
                name: "web".into(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                vpc_id: Some("vpc-1".into()),
                health_check_interval_seconds: Some(10),
                healthy_threshold_count: Some(2),
                unhealthy_threshold_count: Some(3),
                ..Default::default()
            },
        )
        .unwrap()
        .target_groups
        .unwrap()
        .remove(0)
        .target_group_arn
        .unwrap();
        let id = "i-0000000000000000a";
        ops::targets::register(
            &me,
            "123456789012",
            "us-east-1",
            clock.now_millis(),
            &tg,
            vec![TargetDescription {
                id: id.into(),
                ..Default::default()
            }],
        )
        .unwrap();
        assert_eq!(
            state_of(&me, &tg, id),
            ("unused".into(), Some("Target.NotInUse".into()))
        );
        ops::listeners::create_listener(
            &me,
            &ctx,
            CreateListenerInput {
                load_balancer_arn: lb,
                protocol: Some("HTTP".into()),
                port: Some(80),
                default_actions: vec![Action {
                    r#type: "forward".into(),
                    target_group_arn: Some(tg.clone()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .unwrap();
        let step = |secs: i64| {
            clock.advance_millis(secs * 1000);
            task.tick(clock.now_millis());
        };
        step(1);
        assert_eq!(
            state_of(&me, &tg, id).1.as_deref(),
            Some("Elb.RegistrationInProgress")
        );
        step(10);
        assert_eq!(
            state_of(&me, &tg, id).1.as_deref(),
            Some("Elb.InitialHealthChecking")
        );
        step(10);
        assert_eq!(state_of(&me, &tg, id), ("healthy".into(), None));

        // A stopping instance stops answering: unhealthy after three misses.
        ec2.set(id, "stopping");
        step(20);
        assert_eq!(state_of(&me, &tg, id).0, "healthy");
        step(10);
        assert_eq!(
            state_of(&me, &tg, id),
            ("unhealthy".into(), Some("Target.Timeout".into()))
        );
        ec2.set(id, "stopped");
        step(1);
        assert_eq!(
            state_of(&me, &tg, id),
            ("unused".into(), Some("Target.InvalidState".into()))
        );
        ec2.set(id, "running");
        step(1);
        assert_eq!(
            state_of(&me, &tg, id).1.as_deref(),
            Some("Elb.RegistrationInProgress")
        );
        step(30);
        assert_eq!(state_of(&me, &tg, id).0, "healthy");

        // Terminated: draining, shown only when asked for, then gone.
        ec2.set(id, "terminated");
        step(1);
        assert_eq!(state_of(&me, &tg, id).0, "draining");
        step(301);
        assert!(me.state.read().tgs[&tg].targets.is_empty());

        let dns = me
            .state
            .read()
            .lbs
            .values()
            .next()
            .unwrap()
            .dns_name
            .clone();
        let routing = me.routing_for_host(&dns.to_uppercase()).unwrap();
        assert_eq!(routing.listeners.len(), 1);
        assert_eq!(routing.listeners[0].0.port, Some(80));
        assert!(routing.target_groups.contains_key(&tg));
        assert!(me.routing_for_host("nowhere.elb.localhost").is_none());
    }

    #[test]
    fn auto_scaling_registers_and_reads_health_through_target_groups() {
        use stratus_core::balancing::TargetGroups;

        let clock = Clock::new();
        let ec2 = Arc::new(FakeEc2::default());
        ec2.set("i-0000000000000000b", "pending");
        let me = Elbv2::new(Store::ephemeral(), clock.clone())
            .unwrap()
            .with_instances(ec2.clone());
        let ctx = RequestContext::on_behalf("elbv2", "Test", "123456789012", "us-east-1", &clock);
        let tg = ops::target_groups::create_target_group(
            &me,
            &ctx,
            CreateTargetGroupInput {
                name: "asg".into(),
                protocol: Some("HTTP".into()),
                port: Some(8080),
                vpc_id: Some("vpc-1".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .target_groups
        .unwrap()
        .remove(0)
        .target_group_arn
        .unwrap();
        let (acct, region) = ("123456789012", "us-east-1");
        assert!(me.exists(acct, region, &tg));
        assert!(!me.exists("210987654321", region, &tg));
        let ids = vec!["i-0000000000000000b".to_string()];
        me.register(acct, region, &tg, &ids).unwrap();
        assert_eq!(
            me.health(acct, region, &tg, &ids[0]).as_deref(),
            Some("unused")
        );
        assert_eq!(me.health(acct, region, &tg, "i-0000000000000000c"), None);
        let e = me
            .register(acct, region, &tg, &["i-0000000000000000c".to_string()])
            .unwrap_err();
        assert_eq!(e.code, "InvalidTargetException");
        me.deregister(acct, region, &tg, &ids).unwrap();
        // Not receiving traffic: the instance leaves at once; again is fine.
        assert_eq!(me.health(acct, region, &tg, &ids[0]), None);
        me.deregister(acct, region, &tg, &ids).unwrap();
    }
}
