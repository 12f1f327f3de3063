//! EC2 and VPC: each region's network with AWS's defaults (default VPC,
//! subnets, gateway, route table, security group), the resources users add,
//! their dependencies, filters and tags.

mod cidr;
mod compute;
mod filters;
#[rustfmt::skip]
mod generated;
mod images;
mod instance_types;
mod keys;
mod metrics;
mod ops;
mod resources;
pub mod runtime;
mod state;

use std::path::Path;

use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::state::Regions;

pub use crate::instance_types::{TypeInfo, instance_type};
pub use crate::metrics::CPU_TAG;
pub use crate::ops::images::{COPY_IMAGE_MS, image_for_launch};
pub use crate::ops::templates::resolve_launch_template;
pub use crate::state::{BlockDeviceRec, ImageRec};

pub struct Ec2 {
    regions: Regions,
    /// The public images every region has (built in, and the user's).
    catalogue: Vec<images::ImageDef>,
    /// Drives lifecycles (pending -> running, pending -> available, ...).
    clock: Clock,
    /// Runs instances for real, when the server was started with a runtime.
    runtime: std::sync::OnceLock<std::sync::Arc<runtime::Runtime>>,
    /// Role credentials of instance profiles, for the metadata service.
    roles: Option<std::sync::Arc<dyn stratus_core::InstanceRoles>>,
    /// Load balancers' security groups, which instance firewalls admit.
    balancers: parking_lot::Mutex<Vec<std::sync::Arc<dyn stratus_core::network::BalancerGroups>>>,
}

impl Ec2 {
    /// `images`: a JSON file of images to add to the public catalogue
    /// (`serve --ec2-images`); a file that cannot be read or is invalid is an
    /// error naming it.
    pub fn new(store: Store, clock: Clock, images: Option<&Path>) -> Result<Ec2, AwsError> {
        let mut catalogue = images::builtin();
        if let Some(path) = images {
            catalogue.extend(images::load_file(path).map_err(AwsError::internal)?);
        }
        Ok(Ec2 {
            regions: Regions::load(store, clock.clone())?,
            catalogue,
            clock,
            runtime: std::sync::OnceLock::new(),
            roles: None,
            balancers: parking_lot::Mutex::new(Vec::new()),
        })
    }

    /// Where the metadata service gets instance profile credentials.
    pub fn with_instance_roles(
        mut self,
        roles: std::sync::Arc<dyn stratus_core::InstanceRoles>,
    ) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Adds a source of load balancers' security groups (ELBv2, Classic
    /// ELB), wired by the App once those services exist.
    pub fn add_balancers(&self, b: std::sync::Arc<dyn stratus_core::network::BalancerGroups>) {
        self.balancers.lock().push(b);
    }

    /// The security groups load balancers use in an account and region.
    pub fn balancer_groups(&self, account: &str, region: &str) -> Vec<String> {
        let sources: Vec<_> = self.balancers.lock().clone();
        sources
            .iter()
            .flat_map(|b| b.balancer_groups(account, region))
            .collect()
    }

    /// Milliseconds since the epoch on the service clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }
}

stratus_protocol::service!(Ec2, "ec2", |me| me.regions.reset();
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
