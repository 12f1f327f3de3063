//! The per-minute metrics a load balancer reports without traffic:
//! HealthyHostCount and UnHealthyHostCount of each target group, per load
//! balancer that forwards to it (AWS/ApplicationELB, AWS/NetworkELB,
//! AWS/GatewayELB); then the traffic the data plane counted in each minute
//! that ended (RequestCount, TargetResponseTime ...), which AWS reports
//! only while requests flow.

use std::sync::Arc;

use stratus_core::metrics::{Batches, MetricSink, Minutes, sample};
use stratus_core::tasks::Task;

use crate::dataplane::traffic::Traffic;
use crate::health;
use crate::state::{Inner, State};

/// The dimension value of a load balancer or target group: its ARN after
/// the resource kind (`app/web/50dc6c495c0c9188`, `targetgroup/web/73e2d6bc24d8a067`).
pub(crate) fn dimension(arn: &str, kind: &str) -> Option<String> {
    arn.split_once(&format!(":{kind}/"))
        .map(|(_, rest)| match kind {
            "targetgroup" => format!("targetgroup/{rest}"),
            _ => rest.to_string(),
        })
}

fn namespace(lb_kind: &str) -> &'static str {
    match lb_kind {
        "network" => "AWS/NetworkELB",
        "gateway" => "AWS/GatewayELB",
        _ => "AWS/ApplicationELB",
    }
}

/// Adds this minute's samples to `out`.
fn samples(inner: &Inner, at_ms: i64, out: &mut Batches) {
    for (tg_arn, lbs) in inner.groups_in_use() {
        let Some(tg) = inner.tgs.get(tg_arn) else {
            continue;
        };
        let count = |state: &str| {
            tg.targets
                .iter()
                .filter(|t| t.health.state == state)
                .count()
        };
        let (healthy, unhealthy) = (count(health::HEALTHY), count(health::UNHEALTHY));
        let Some(tg_dim) = dimension(tg_arn, "targetgroup") else {
            continue;
        };
        for lb_arn in lbs {
            let (Some(lb), Some(lb_dim)) =
                (inner.lbs.get(lb_arn), dimension(lb_arn, "loadbalancer"))
            else {
                continue;
            };
            let dims = [
                ("TargetGroup", tg_dim.as_str()),
                ("LoadBalancer", lb_dim.as_str()),
            ];
            let ns = namespace(&lb.kind);
            let healthy = sample(
                ns,
                "HealthyHostCount",
                &dims,
                at_ms,
                healthy as f64,
                "Count",
            );
            let unhealthy = sample(
                ns,
                "UnHealthyHostCount",
                &dims,
                at_ms,
                unhealthy as f64,
                "Count",
            );
            out.add(&tg.account, &tg.region, [healthy, unhealthy]);
        }
    }
}

pub struct MetricsTask {
    pub state: Arc<State>,
    pub sink: Arc<dyn MetricSink>,
    pub minutes: Minutes,
    pub traffic: Arc<Traffic>,
}

impl Task for MetricsTask {
    fn name(&self) -> &str {
        "elbv2-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let Some(due) = self.minutes.due(now_ms) else {
            return;
        };
        let mut all = Batches::default();
        {
            let inner = self.state.read();
            for at in due {
                samples(&inner, at, &mut all);
            }
        }
        all.send(self.sink.as_ref());
        for (account, region, samples) in self.traffic.take_finished(now_ms) {
            self.sink.put(&account, &region, samples);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_the_arn_after_the_kind() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188";
        let tg =
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/73e2d6bc24d8a067";
        assert_eq!(
            dimension(lb, "loadbalancer").as_deref(),
            Some("app/web/50dc6c495c0c9188")
        );
        assert_eq!(
            dimension(tg, "targetgroup").as_deref(),
            Some("targetgroup/web/73e2d6bc24d8a067")
        );
        assert_eq!(dimension("nonsense", "targetgroup"), None);
        assert_eq!(namespace("network"), "AWS/NetworkELB");
    }
}
