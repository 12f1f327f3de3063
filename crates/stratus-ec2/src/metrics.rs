//! The AWS/EC2 metrics every running instance reports each minute, per
//! instance and per Auto Scaling group, as CloudWatch's basic metrics.
//!
//! Nothing runs inside an instance yet, so its CPU is a flat low value,
//! unless the instance carries the tag `stratus:cpu-utilization` (a percent),
//! which stands in for a workload: tests and learners drive alarms and
//! scaling with it.

use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::metrics::{MetricSink, Sample};
use stratus_core::tasks::Task;

use crate::Ec2;
use crate::compute::InstanceRec;

/// The tag whose value an instance reports as its CPUUtilization.
pub const CPU_TAG: &str = "stratus:cpu-utilization";
const MINUTE_MS: i64 = 60_000;
/// After a long pause (or a large clock jump) only the last hour is filled in.
const MAX_BACKFILL_MINUTES: i64 = 60;
const IDLE_CPU: f64 = 0.5;

fn cpu(i: &InstanceRec) -> f64 {
    i.tags
        .get(CPU_TAG)
        .and_then(|v| v.trim().trim_end_matches('%').parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .map_or(IDLE_CPU, |v| v.clamp(0.0, 100.0))
}

/// One minute's samples of one running instance, under each dimension
/// CloudWatch aggregates it by.
fn samples(i: &InstanceRec, at_ms: i64) -> Vec<Sample> {
    let cpu = cpu(i);
    // Idle traffic scales loosely with load so the network metrics move too.
    let bytes = 1_000.0 + cpu * 1_000.0;
    let metrics = [
        ("CPUUtilization", cpu, "Percent"),
        ("NetworkIn", bytes, "Bytes"),
        ("NetworkOut", bytes, "Bytes"),
        ("NetworkPacketsIn", (bytes / 100.0).round(), "Count"),
        ("NetworkPacketsOut", (bytes / 100.0).round(), "Count"),
        ("StatusCheckFailed", 0.0, "Count"),
        ("StatusCheckFailed_Instance", 0.0, "Count"),
        ("StatusCheckFailed_System", 0.0, "Count"),
    ];
    let mut dims = vec![("InstanceId".to_string(), i.id.clone())];
    if let Some(group) = i.tags.get("aws:autoscaling:groupName") {
        dims.push(("AutoScalingGroupName".to_string(), group.clone()));
    }
    let mut out = Vec::with_capacity(metrics.len() * dims.len());
    for (name, value, unit) in metrics {
        for dim in &dims {
            out.push(Sample {
                namespace: "AWS/EC2".into(),
                metric_name: name.into(),
                dimensions: vec![dim.clone()],
                timestamp_ms: at_ms,
                value,
                unit: unit.into(),
            });
        }
    }
    out
}

struct Publisher {
    ec2: Arc<Ec2>,
    sink: Arc<dyn MetricSink>,
    /// The last whole minute published.
    last_minute: Mutex<Option<i64>>,
}

impl Task for Publisher {
    fn name(&self) -> &str {
        "ec2-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let minute = now_ms.div_euclid(MINUTE_MS);
        let first = {
            let mut last = self.last_minute.lock();
            let first = match *last {
                Some(l) if l >= minute => return,
                Some(l) => (l + 1).max(minute - MAX_BACKFILL_MINUTES + 1),
                None => minute,
            };
            *last = Some(minute);
            first
        };
        for (account, region) in self.ec2.regions.keys() {
            let r = self.ec2.regions.get(&account, &region);
            let batch: Vec<Sample> = {
                let s = r.lock();
                s.instances
                    .values()
                    .filter(|i| i.state == "running")
                    .flat_map(|i| (first..=minute).flat_map(move |m| samples(i, m * MINUTE_MS)))
                    .collect()
            };
            if !batch.is_empty() {
                self.sink.put(&account, &region, batch);
            }
        }
    }
}

impl Ec2 {
    /// Publishes the instances' metrics to `sink` each minute of the clock.
    pub fn metrics_task(self: &Arc<Self>, sink: Arc<dyn MetricSink>) -> Arc<dyn Task> {
        Arc::new(Publisher {
            ec2: self.clone(),
            sink,
            last_minute: Mutex::new(None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(tags: &[(&str, &str)]) -> InstanceRec {
        InstanceRec {
            id: "i-0123".into(),
            state: "running".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_idle_instance_reports_low_cpu_per_instance_only() {
        let s = samples(&instance(&[]), 60_000);
        let cpu: Vec<_> = s
            .iter()
            .filter(|x| x.metric_name == "CPUUtilization")
            .collect();
        assert_eq!(cpu.len(), 1);
        assert_eq!(cpu[0].value, IDLE_CPU);
        assert_eq!(
            cpu[0].dimensions,
            vec![("InstanceId".into(), "i-0123".into())]
        );
        assert_eq!(cpu[0].unit, "Percent");
    }

    #[test]
    fn the_cpu_tag_sets_the_load_and_groups_get_their_own_dimension() {
        let i = instance(&[(CPU_TAG, "85"), ("aws:autoscaling:groupName", "web")]);
        let s = samples(&i, 0);
        let cpu: Vec<_> = s
            .iter()
            .filter(|x| x.metric_name == "CPUUtilization")
            .collect();
        assert_eq!(cpu.len(), 2);
        assert!(cpu.iter().all(|x| x.value == 85.0));
        assert!(
            cpu.iter()
                .any(|x| x.dimensions[0].0 == "AutoScalingGroupName")
        );
    }

    #[test]
    fn odd_tag_values_fall_back_or_clamp() {
        assert_eq!(cpu(&instance(&[(CPU_TAG, "lots")])), IDLE_CPU);
        assert_eq!(cpu(&instance(&[(CPU_TAG, "250")])), 100.0);
        assert_eq!(cpu(&instance(&[(CPU_TAG, "42.5%")])), 42.5);
    }
}
