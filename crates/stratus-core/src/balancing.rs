//! Target groups as Auto Scaling uses them: a group registers the instances
//! it launches and, with the ELB health check type, replaces the ones the
//! load balancer reports unhealthy. ELBv2 implements `TargetGroups`.

use crate::error::AwsError;

pub trait TargetGroups: Send + Sync + 'static {
    /// Whether the target group named by ARN exists.
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
