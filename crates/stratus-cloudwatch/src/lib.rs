//! Amazon CloudWatch: metrics kept as raw samples with statistics computed
//! on read, metric math, metric and composite alarms evaluated on the clock
//! with their actions (SNS, Auto Scaling policies, EC2 instance actions),
//! alarm history, dashboards and metric streams.
//!
//! Other services reach it through `stratus_core::metrics`: `MetricSink`
//! (AWS/* metrics they publish) and `Alarms` (alarms Auto Scaling owns).

mod actions;
mod evaluate;
#[rustfmt::skip]
mod generated;
mod math;
mod ops;
mod query;
mod records;
mod resources;
mod rule;
mod series;
mod state;
mod stats;
mod watch;

use std::sync::{Arc, OnceLock};

use stratus_core::compute::Instances;
use stratus_core::delivery::TopicSink;
use stratus_core::metrics::{AlarmSpec, Alarms, MetricSink, Sample, ScalingPolicies};
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock, Link};
use stratus_store::Store;

use crate::state::State;

/// What handlers and the alarm task share.
pub(crate) struct Core {
    pub state: State,
    pub clock: Clock,
    pub topics: OnceLock<Arc<dyn TopicSink>>,
    pub instances: OnceLock<Arc<dyn Instances>>,
    pub policies: OnceLock<Link<dyn ScalingPolicies>>,
}

pub struct CloudWatch {
    core: Arc<Core>,
}

impl CloudWatch {
    /// Loads the metrics, alarms and dashboards stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<CloudWatch, AwsError> {
        Ok(CloudWatch {
            core: Arc::new(Core {
                state: State::load(store)?,
                clock,
                topics: OnceLock::new(),
                instances: OnceLock::new(),
                policies: OnceLock::new(),
            }),
        })
    }

    /// Where `arn:aws:sns:...` alarm actions publish.
    pub fn with_topics(self, topics: Arc<dyn TopicSink>) -> Self {
        let _ = self.core.topics.set(topics);
        self
    }

    /// What `arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover` acts on.
    pub fn with_instances(self, instances: Arc<dyn Instances>) -> Self {
        let _ = self.core.instances.set(instances);
        self
    }

    /// What `arn:aws:autoscaling:...:scalingPolicy:...` actions run.
    pub fn with_policies(self, policies: Link<dyn ScalingPolicies>) -> Self {
        let _ = self.core.policies.set(policies);
        self
    }

    /// Evaluates alarms on the clock, runs their actions, and keeps the
    /// stored samples compact.
    pub fn alarm_task(&self) -> Arc<dyn Task> {
        Arc::new(watch::AlarmTask {
            core: self.core.clone(),
            last_maintain: std::sync::atomic::AtomicI64::new(0),
        })
    }
}

impl MetricSink for CloudWatch {
    fn put(&self, account: &str, region: &str, samples: Vec<Sample>) {
        let now = self.core.clock.now_millis();
        let points = samples
            .into_iter()
            .map(|s| {
                let key = series::MetricKey::new(&s.namespace, &s.metric_name, s.dimensions);
                let unit = series::unit_index(&s.unit).unwrap_or(0);
                (key, series::Point::single(s.timestamp_ms, s.value, unit))
            })
            .collect();
        if let Err(e) = self.core.state.put_samples(account, region, points, now) {
            tracing::warn!(error = %e, "could not store published metric samples");
        }
    }
}

impl Alarms for CloudWatch {
    fn put_alarm(&self, account: &str, region: &str, spec: AlarmSpec) -> Result<String, AwsError> {
        ops::alarms::put_owned(&self.core, account, region, spec)
    }

    fn delete_alarms(&self, account: &str, region: &str, names: &[String]) {
        if let Err(e) = ops::alarms::delete_named(&self.core, account, region, names) {
            tracing::warn!(error = %e, "could not delete alarms");
        }
    }
}

stratus_protocol::service!(CloudWatch, "cloudwatch", |me| me.core.state.reset();
    fn resource_arns(
        &self,
        caller: &stratus_core::Identity,
        region: &str,
        operation: &str,
        input: &stratus_protocol::Value,
    ) -> Vec<String> {
        resources::for_operation(caller, region, operation, input)
    }
);
