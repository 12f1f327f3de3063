//! Amazon RDS: DB instances backed by real database servers (PostgreSQL,
//! and MariaDB for the `mysql` and `mariadb` engines) when they are
//! installed, DB subnet groups over EC2's subnets, parameter groups,
//! snapshots that copy the data, and events. Status changes follow the
//! clock in a background task ([`lifecycle`]); the servers themselves are
//! children a [`supervisor::Supervisor`] starts, watches and stops. Aurora
//! clusters group instances (a writer and its read replicas) behind
//! endpoints that [`forwarder`]s carry to them.

pub mod catalogue;
pub mod engine;
mod forwarder;
#[rustfmt::skip]
mod generated;
mod lifecycle;
mod metrics;
mod names;
pub(crate) mod ops;
mod resources;
mod server_params;
pub mod state;
pub mod supervisor;
mod validate;
mod vpc_addresses;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::compute::Instances;
use stratus_core::link::Link;
use stratus_core::metrics::MetricSink;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::engine::Engines;
use crate::state::State;
use crate::supervisor::Supervisor;

pub struct Rds {
    state: Arc<State>,
    clock: Clock,
    instances: Link<dyn Instances>,
    engines: Engines,
    supervisor: Arc<Supervisor>,
    /// Tickets of the server steps under way, by instance or snapshot key
    /// and the status they serve.
    inflight: Arc<Mutex<HashMap<String, u64>>>,
    /// Why an instance's server failed, shown in DescribeDBInstances.
    failures: Arc<Mutex<HashMap<String, String>>>,
    /// The Aurora clusters' endpoints.
    endpoints: Arc<forwarder::Endpoints>,
}

impl Rds {
    /// Loads the resources stored before a restart. `engines` says which
    /// database servers may run; their files live under the store's
    /// `files/rds`, or a temporary directory for ephemeral state.
    pub fn new(store: Store, clock: Clock, engines: Engines) -> Result<Rds, AwsError> {
        let (root, temporary) = match store.files_dir("rds") {
            Some(d) => (d, false),
            None => (
                std::env::temp_dir().join(format!(
                    "stratus-rds-{}-{}",
                    std::process::id(),
                    stratus_core::ids::hex(8)
                )),
                true,
            ),
        };
        tracing::info!(engines = %engines.summary(), "RDS database servers");
        let state = State::load(store)?;
        let supervisor = Supervisor::new(root, temporary);
        // Servers a crashed run left behind hold ports and data: stop them
        // before the lifecycle starts the instances' servers again.
        for rec in state.read().instances.values() {
            if let Ok(engine) = lifecycle::engine_for(&engines, rec) {
                let dir = supervisor.instance_dir(&rec.resource_id);
                engine.stop_orphan(&engine::Layout {
                    dir: dir.join("standby"),
                });
                engine.stop_orphan(&engine::Layout { dir });
            }
        }
        Ok(Rds {
            state: Arc::new(state),
            clock,
            instances: Link::empty(),
            engines,
            supervisor: Arc::new(supervisor),
            inflight: Default::default(),
            failures: Default::default(),
            endpoints: Default::default(),
        })
    }

    /// EC2's subnets and security groups.
    pub fn with_instances(self, instances: Arc<dyn Instances>) -> Self {
        self.instances.set(instances);
        self
    }

    /// Moves instances along their statuses and keeps their servers
    /// running; restarts, after a restart of Stratus, the servers of
    /// instances that were running.
    pub fn lifecycle_task(&self) -> Arc<dyn Task> {
        let task = Arc::new(lifecycle::Lifecycle {
            state: self.state.clone(),
            engines: self.engines.clone(),
            supervisor: self.supervisor.clone(),
            inflight: self.inflight.clone(),
            failures: self.failures.clone(),
            standby_retry: Default::default(),
            endpoints: self.endpoints.clone(),
            ec2: self.instances.clone(),
            addresses: Default::default(),
        });
        // A finished step moves its instance on at once.
        let weak = Arc::downgrade(&task);
        let clock = self.clock.clone();
        self.supervisor.on_done(Arc::new(move || {
            if let Some(t) = weak.upgrade() {
                t.tick(clock.now_millis());
            }
        }));
        task
    }

    /// Publishes each instance's AWS/RDS metrics to `sink` every minute of
    /// the clock.
    pub fn metrics_task(&self, sink: Arc<dyn MetricSink>) -> Arc<dyn Task> {
        Arc::new(metrics::MetricsTask {
            state: self.state.clone(),
            engines: self.engines.clone(),
            supervisor: self.supervisor.clone(),
            sink,
            minutes: Default::default(),
            cpu: Default::default(),
        })
    }

    /// Stops every database server; Stratus is exiting.
    pub fn shutdown(&self) {
        self.supervisor.shutdown();
        // A tick under way may still open a cluster's endpoints: the
        // endpoints close for good, after it.
        self.endpoints.shut();
        drop(self.state.read());
        self.endpoints.close_all();
    }

    /// Where an instance's files live (for tests and diagnostics).
    pub fn instance_dir(&self, resource_id: &str) -> PathBuf {
        self.supervisor.instance_dir(resource_id)
    }

    fn ec2(&self) -> Result<&Arc<dyn Instances>, AwsError> {
        self.instances
            .get()
            .ok_or_else(|| AwsError::internal("EC2 is not available to RDS"))
    }

    fn reset_all(&self) -> Result<(), AwsError> {
        self.supervisor.reset();
        self.inflight.lock().clear();
        self.failures.lock().clear();
        let reset = self.state.reset();
        // After the state: a tick that held it may have opened endpoints
        // of the clusters just dropped.
        self.endpoints.close_all();
        reset
    }
}

stratus_protocol::service!(Rds, "rds", |me| me.reset_all();
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
