//! EC2 and VPC: each region's network with AWS's defaults (default VPC,
//! subnets, gateway, route table, security group), the resources users add,
//! their dependencies, filters and tags.

mod cidr;
mod filters;
#[rustfmt::skip]
mod generated;
mod instance_types;
mod keys;
mod ops;
mod state;

use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::state::Regions;

pub use crate::instance_types::{TypeInfo, instance_type};

pub struct Ec2 {
    regions: Regions,
    /// Drives lifecycles (pending -> running, pending -> available, ...).
    clock: Clock,
}

impl Ec2 {
    pub fn new(store: Store, clock: Clock) -> Result<Ec2, AwsError> {
        Ok(Ec2 {
            regions: Regions::load(store)?,
            clock,
        })
    }

    /// Milliseconds since the epoch on the service clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }
}

stratus_protocol::service!(Ec2, "ec2", |me| me.regions.reset());
