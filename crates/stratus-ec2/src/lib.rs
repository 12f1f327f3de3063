//! EC2 and VPC: each region's network with AWS's defaults (default VPC,
//! subnets, gateway, route table, security group), the resources users add,
//! their dependencies, filters and tags.

mod cidr;
mod filters;
#[rustfmt::skip]
mod generated;
mod ops;
mod state;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::{HandlerFuture, Service, Value};
use stratus_store::Store;

use crate::state::Regions;

pub struct Ec2 {
    regions: Regions,
}

impl Ec2 {
    pub fn new(store: Store) -> Result<Ec2, AwsError> {
        Ok(Ec2 {
            regions: Regions::load(store)?,
        })
    }
}

impl Service for Ec2 {
    fn name(&self) -> &'static str {
        "ec2"
    }

    fn operations(&self) -> &'static [&'static str] {
        generated::OPERATIONS
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> HandlerFuture<'a> {
        generated::dispatch(self, ctx, operation, input)
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.regions.reset()
    }
}
