//! The AWS/EC2 metrics every running instance reports each minute, per
//! instance and per Auto Scaling group, as CloudWatch's basic metrics.
//!
//! An instance's CPU is what its processes used when the instance runtime
//! runs it, else a flat low value; unless the instance carries the tag `stratus:cpu-utilization` (a percent),
//! which stands in for a workload: tests and learners drive alarms and
//! scaling with it.

use std::sync::Arc;

use stratus_core::metrics::{MetricSink, Minutes, Sample};
use stratus_core::tasks::Task;

use crate::Ec2;
use crate::compute::InstanceRec;

/// The tag whose value an instance reports as its CPUUtilization.
pub const CPU_TAG: &str = "stratus:cpu-utilization";
const IDLE_CPU: f64 = 0.5;

/// The tag's load when set, else what the instance's processes used when
/// the runtime runs it, else the idle value.
fn cpu(i: &InstanceRec, measured: Option<f64>) -> f64 {
    i.tags
        .get(CPU_TAG)
        .and_then(|v| v.trim().trim_end_matches('%').parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(0.0, 100.0))
        .or(measured)
        .unwrap_or(IDLE_CPU)
}

/// One minute's samples of one running instance, under each dimension
/// CloudWatch aggregates it by.
fn samples(i: &InstanceRec, measured: Option<f64>, at_ms: i64) -> Vec<Sample> {
    let cpu = cpu(i, measured);
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
    minutes: Minutes,
}

impl Task for Publisher {
    fn name(&self) -> &str {
        "ec2-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let Some(due) = self.minutes.due(now_ms) else {
            return;
        };
        let due: Vec<i64> = due.collect();
        for (account, region) in self.ec2.regions.keys() {
            let r = self.ec2.regions.get(&account, &region);
            let batch: Vec<Sample> = {
                let s = r.lock();
                let runtime = self.ec2.runtime.get();
                s.instances
                    .values()
                    .filter(|i| i.state == "running")
                    .flat_map(|i| {
                        let measured =
                            runtime.and_then(|r| r.cpu_percent(&account, &region, &i.id));
                        due.iter().flat_map(move |&at| samples(i, measured, at))
                    })
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
            minutes: Minutes::default(),
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
        let s = samples(&instance(&[]), None, 60_000);
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
        let s = samples(&i, None, 0);
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
        assert_eq!(cpu(&instance(&[(CPU_TAG, "lots")]), None), IDLE_CPU);
        assert_eq!(cpu(&instance(&[(CPU_TAG, "250")]), None), 100.0);
        assert_eq!(cpu(&instance(&[(CPU_TAG, "42.5%")]), Some(3.0)), 42.5);
        // Without the tag, what the processes used; without a runtime, idle.
        assert_eq!(cpu(&instance(&[]), Some(63.0)), 63.0);
        assert_eq!(cpu(&instance(&[(CPU_TAG, "lots")]), Some(7.0)), 7.0);
    }
}
