//! Elastic Load Balancing v2: application, network and gateway load
//! balancers, target groups and their targets' health, listeners and rules
//! (the control plane). EC2 is reached only through
//! `stratus_core::compute::Instances`; target health comes from a
//! [`health::HealthChecker`] that a data plane can replace with real checks.

mod actions;
mod attributes;
mod balancing;
mod conditions;
pub mod dataplane;
mod errors;
#[rustfmt::skip]
mod generated;
pub mod health;
mod metrics;
mod monitor;
pub mod names;
pub(crate) mod ops;
mod policies;
mod resources;
pub mod routing;
pub mod state;

use std::sync::Arc;

use stratus_core::compute::Instances;
use stratus_core::delivery::ObjectSink;
use stratus_core::link::Link;
use stratus_core::metrics::MetricSink;
use stratus_core::network::Network;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::dataplane::DataPlane;
use crate::dataplane::access_log::{AccessLogs, DeliveryTask};
use crate::dataplane::traffic::Traffic;
use crate::health::{HealthChecker, InstanceStateChecker};
/// Offset paging with ELB's markers, shared with Classic ELB.
pub use crate::ops::common::page;
use crate::state::State;

/// How long a new load balancer stays `provisioning`.
pub const PROVISIONING_MS: i64 = 3_000;

pub struct Elbv2 {
    state: Arc<State>,
    clock: Clock,
    instances: Link<dyn Instances>,
    checker: Arc<dyn HealthChecker>,
    traffic: Arc<Traffic>,
    access_logs: Arc<AccessLogs>,
    /// S3, where access logs go.
    objects: Link<dyn ObjectSink>,
}

impl Elbv2 {
    /// Loads the resources stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<Elbv2, AwsError> {
        Ok(Elbv2 {
            state: Arc::new(State::load(store)?),
            clock,
            instances: Link::empty(),
            checker: Arc::new(InstanceStateChecker),
            traffic: Arc::default(),
            access_logs: Arc::default(),
            objects: Link::empty(),
        })
    }

    /// The buckets access logs are written to.
    pub fn set_objects(&self, objects: Arc<dyn ObjectSink>) {
        self.objects.set(objects);
    }

    /// Writes every access log line not yet delivered, for a Stratus that
    /// stops: from blocking work, as S3 requires.
    pub fn flush_access_logs(&self) {
        if let Some(objects) = self.objects.get() {
            self.access_logs
                .deliver(objects.as_ref(), self.clock.now_millis(), true);
        }
    }

    /// Writes the access logs of each five minutes of the clock that ended.
    pub fn access_log_task(&self) -> Arc<dyn Task> {
        Arc::new(DeliveryTask {
            logs: self.access_logs.clone(),
            objects: self.objects.clone(),
        })
    }

    /// EC2's instances, subnets and security groups.
    pub fn with_instances(self, instances: Arc<dyn Instances>) -> Self {
        self.instances.set(instances);
        self
    }

    /// Replaces the checker that decides single health checks (today's
    /// follows the instance state).
    pub fn with_health_checker(mut self, checker: Arc<dyn HealthChecker>) -> Self {
        self.checker = checker;
        self
    }

    /// Runs due health checks and ends finished deregistrations.
    pub fn health_task(&self) -> Arc<dyn Task> {
        Arc::new(monitor::HealthTask {
            state: self.state.clone(),
            instances: self.instances.clone(),
            checker: self.checker.clone(),
        })
    }

    /// Publishes each target group's healthy and unhealthy host counts,
    /// and the traffic the data plane counted, to `sink` every minute of
    /// the clock.
    pub fn metrics_task(&self, sink: Arc<dyn MetricSink>) -> Arc<dyn Task> {
        Arc::new(metrics::MetricsTask {
            state: self.state.clone(),
            sink,
            minutes: Default::default(),
            traffic: self.traffic.clone(),
        })
    }

    /// The data plane of the application load balancers, reaching targets
    /// through `network`.
    pub fn data_plane(&self, network: Arc<dyn Network>) -> Arc<DataPlane> {
        Arc::new(DataPlane::new(
            self.state.clone(),
            self.instances.clone(),
            self.clock.clone(),
            network,
            self.traffic.clone(),
            self.access_logs.clone(),
        ))
    }

    fn ec2(&self) -> Result<&Arc<dyn Instances>, AwsError> {
        self.instances
            .get()
            .ok_or_else(|| AwsError::internal("EC2 is not available to Elastic Load Balancing"))
    }
}

stratus_protocol::service!(Elbv2, "elbv2", |me| me.state.reset();
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
