//! Classic Elastic Load Balancing (API 2012-06-01): load balancers with
//! their listeners, policies and attributes, and the instances registered
//! with them, whose health comes from the same [`HealthChecker`] ELBv2 uses
//! (today the instance state; a data plane can plug in real checks).

mod balancing;
mod errors;
#[rustfmt::skip]
mod generated;
mod health;
mod monitor;
pub(crate) mod ops;
mod policies;
mod state;

use std::sync::Arc;

use stratus_core::compute::Instances;
use stratus_core::link::Link;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock};
use stratus_elbv2::health::{HealthChecker, InstanceStateChecker};
use stratus_store::Store;

use crate::state::State;

pub struct Elb {
    state: Arc<State>,
    clock: Clock,
    instances: Link<dyn Instances>,
    checker: Arc<dyn HealthChecker>,
}

impl Elb {
    /// Loads the load balancers stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<Elb, AwsError> {
        Ok(Elb {
            state: Arc::new(State::load(store)?),
            clock,
            instances: Link::empty(),
            checker: Arc::new(InstanceStateChecker),
        })
    }

    /// EC2's instances, subnets and security groups.
    pub fn with_instances(self, instances: Arc<dyn Instances>) -> Self {
        self.instances.set(instances);
        self
    }

    /// Replaces the checker that decides single health checks.
    pub fn with_health_checker(mut self, checker: Arc<dyn HealthChecker>) -> Self {
        self.checker = checker;
        self
    }

    /// Runs due health checks and follows the registered instances' states.
    pub fn health_task(&self) -> Arc<dyn Task> {
        Arc::new(monitor::HealthTask {
            state: self.state.clone(),
            instances: self.instances.clone(),
            checker: self.checker.clone(),
        })
    }

    fn ec2(&self) -> Result<&Arc<dyn Instances>, AwsError> {
        self.instances
            .get()
            .ok_or_else(|| AwsError::internal("EC2 is not available to Elastic Load Balancing"))
    }
}

stratus_protocol::service!(Elb, "elb", |me| me.state.reset());
