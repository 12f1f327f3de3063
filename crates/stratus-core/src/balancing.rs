//! Target groups as Auto Scaling uses them: a group registers the instances
//! it launches and, with the ELB health check type, replaces the ones the
//! load balancer reports unhealthy. ELBv2 implements `TargetGroups` for its
//! target groups (named by ARN) and Classic ELB for its load balancers
//! (named by name); [`ByIdentifier`] puts the two behind one handle.

use crate::error::AwsError;

pub trait TargetGroups: Send + Sync + 'static {
    /// Whether the target group (or Classic load balancer) named exists.
    fn exists(&self, account: &str, region: &str, arn: &str) -> bool;

    /// Registers instances on the group's port.
    fn register(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError>;

    /// Deregisters instances (they drain as for DeregisterTargets).
    fn deregister(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError>;

    /// The target's health state as DescribeTargetHealth shows it
    /// (`initial`, `healthy`, `unhealthy`, `unused`, `draining`), or None
    /// when the instance is not registered.
    fn health(&self, account: &str, region: &str, arn: &str, instance_id: &str) -> Option<String>;
}

/// Auto Scaling's load balancers in one: ELBv2 target groups named by ARN,
/// Classic load balancers by name.
pub struct ByIdentifier {
    pub target_groups: std::sync::Arc<dyn TargetGroups>,
    pub load_balancers: std::sync::Arc<dyn TargetGroups>,
}

impl ByIdentifier {
    fn pick(&self, id: &str) -> &dyn TargetGroups {
        if id.starts_with("arn:") {
            &*self.target_groups
        } else {
            &*self.load_balancers
        }
    }
}

impl TargetGroups for ByIdentifier {
    fn exists(&self, account: &str, region: &str, id: &str) -> bool {
        self.pick(id).exists(account, region, id)
    }

    fn register(
        &self,
        account: &str,
        region: &str,
        id: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        self.pick(id).register(account, region, id, instance_ids)
    }

    fn deregister(
        &self,
        account: &str,
        region: &str,
        id: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        self.pick(id).deregister(account, region, id, instance_ids)
    }

    fn health(&self, account: &str, region: &str, id: &str, instance_id: &str) -> Option<String> {
        self.pick(id).health(account, region, id, instance_id)
    }
}
