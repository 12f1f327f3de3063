//! The AWS/EC2 metrics every running instance reports each minute, per
//! instance and per Auto Scaling group, as CloudWatch's basic metrics.
//!
//! When the instance runtime runs an instance, its metrics come from what
//! it did: CPU from its control group, network from its interface's
//! counters (bytes and packets since the last sample, as AWS reports them
//! per period), status checks from whether its process tree still runs.
//! Otherwise the CPU is a flat low value and the traffic nominal. The tag
//! `stratus:cpu-utilization` (a percent) overrides the CPU either way and
//! stands in for a workload: tests and learners drive alarms and scaling
//! with it.

use std::sync::Arc;

use stratus_core::metrics::{MetricSink, Minutes, Sample};
use stratus_core::tasks::Task;

use crate::Ec2;
use crate::compute::InstanceRec;

/// The tag whose value an instance reports as its CPUUtilization.
pub const CPU_TAG: &str = "stratus:cpu-utilization";
const IDLE_CPU: f64 = 0.5;

/// What the runtime measured of one instance since its last sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub cpu: Option<f64>,
    pub traffic: Option<Traffic>,
    /// Its process tree died (StatusCheckFailed_Instance).
    pub instance_failed: bool,
    /// The runtime could not run it (StatusCheckFailed_System).
    pub system_failed: bool,
}

/// Traffic of an instance's interface between two samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub packets_in: u64,
    pub packets_out: u64,
}

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
/// CloudWatch aggregates it by. `traffic` is what the minute carries: the
/// measured traffic goes to the latest of several minutes due at once.
fn samples(
    i: &InstanceRec,
    activity: Option<&Activity>,
    traffic: Option<Traffic>,
    at_ms: i64,
) -> Vec<Sample> {
    let cpu = cpu(i, activity.and_then(|a| a.cpu));
    let (bytes_in, bytes_out, packets_in, packets_out) = match traffic {
        Some(t) => (
            t.bytes_in as f64,
            t.bytes_out as f64,
            t.packets_in as f64,
            t.packets_out as f64,
        ),
        None => {
            // Nominal traffic, loosely scaled with the load, for instances
            // nothing runs for.
            let bytes = 1_000.0 + cpu * 1_000.0;
            let packets = (bytes / 100.0).round();
            (bytes, bytes, packets, packets)
        }
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let instance_failed = activity.is_some_and(|a| a.instance_failed);
    let system_failed = activity.is_some_and(|a| a.system_failed);
    let metrics = [
        ("CPUUtilization", cpu, "Percent"),
        ("NetworkIn", bytes_in, "Bytes"),
        ("NetworkOut", bytes_out, "Bytes"),
        ("NetworkPacketsIn", packets_in, "Count"),
        ("NetworkPacketsOut", packets_out, "Count"),
        (
            "StatusCheckFailed",
            flag(instance_failed || system_failed),
            "Count",
        ),
        ("StatusCheckFailed_Instance", flag(instance_failed), "Count"),
        ("StatusCheckFailed_System", flag(system_failed), "Count"),
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
                        let activity = runtime.and_then(|r| r.activity(&account, &region, &i.id));
                        let last = due.last().copied();
                        due.iter().flat_map(move |&at| {
                            // Measured traffic happened once: the latest
                            // minute carries it, earlier ones carry none.
                            let traffic = activity.as_ref().and_then(|a| a.traffic).map(|t| {
                                if Some(at) == last {
                                    t
                                } else {
                                    Traffic::default()
                                }
                            });
                            samples(i, activity.as_ref(), traffic, at)
                        })
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
        let s = samples(&instance(&[]), None, None, 60_000);
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
        let s = samples(&i, None, None, 0);
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
    fn measured_traffic_and_failed_checks_are_published_as_measured() {
        let activity = Activity {
            cpu: Some(12.0),
            traffic: Some(Traffic {
                bytes_in: 4_096,
                bytes_out: 512,
                packets_in: 9,
                packets_out: 3,
            }),
            instance_failed: true,
            system_failed: false,
        };
        let s = samples(&instance(&[]), Some(&activity), activity.traffic, 0);
        let value = |name: &str| {
            s.iter()
                .find(|x| x.metric_name == name)
                .map(|x| (x.value, x.unit.clone()))
                .unwrap()
        };
        assert_eq!(value("CPUUtilization"), (12.0, "Percent".into()));
        assert_eq!(value("NetworkIn"), (4_096.0, "Bytes".into()));
        assert_eq!(value("NetworkOut"), (512.0, "Bytes".into()));
        assert_eq!(value("NetworkPacketsIn"), (9.0, "Count".into()));
        assert_eq!(value("NetworkPacketsOut"), (3.0, "Count".into()));
        assert_eq!(value("StatusCheckFailed").0, 1.0);
        assert_eq!(value("StatusCheckFailed_Instance").0, 1.0);
        assert_eq!(value("StatusCheckFailed_System").0, 0.0);
        // Nothing measured: the checks pass.
        let s = samples(&instance(&[]), None, None, 0);
        assert!(
            s.iter()
                .filter(|x| x.metric_name.starts_with("StatusCheckFailed"))
                .all(|x| x.value == 0.0)
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
