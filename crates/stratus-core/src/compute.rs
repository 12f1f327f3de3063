//! EC2 instances and subnets as other services see them: Auto Scaling
//! launches and terminates instances, load balancers place themselves in
//! subnets and check their targets, CloudWatch alarms stop or reboot
//! instances. EC2 implements `Instances`; nobody else reads its state.

use crate::error::AwsError;

/// A launch template named by id or by name, at a version (`$Latest`,
/// `$Default` or a number; none means `$Default`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// A template as resolved at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedTemplate {
    pub id: String,
    pub name: String,
    /// The number the requested version resolved to.
    pub version_number: i64,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
}

/// One instance to launch, as Auto Scaling asks for it. Fields left empty
/// come from the launch template when one is given.
#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    pub launch_template: Option<TemplateRef>,
    /// Overrides the template's instance type (mixed instances policies).
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    pub key_name: Option<String>,
    pub security_group_ids: Vec<String>,
    /// Base64, as RunInstances takes it.
    pub user_data: Option<String>,
    /// An instance profile name or ARN.
    pub iam_instance_profile: Option<String>,
    pub subnet_id: Option<String>,
    pub associate_public_ip: Option<bool>,
    pub monitoring: Option<bool>,
    pub tags: Vec<(String, String)>,
}

/// What an instance looks like to another service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceView {
    pub id: String,
    /// EC2's state name: pending, running, stopping, stopped, shutting-down, terminated.
    pub state: String,
    pub instance_type: String,
    pub image_id: String,
    pub availability_zone: String,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub private_ip: Option<String>,
    pub launch_time_ms: i64,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubnetView {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr: String,
}

/// An address another service serves at inside a VPC, as an RDS instance's
/// endpoint is on AWS: EC2 keeps it as a requester-managed interface in
/// the subnet, in the given security groups; where instances run, the VPC's
/// resolver answers `names` with its address, and connections to its
/// `ports` (filtered by its groups) reach the same ports of this machine's
/// loopback, where the service listens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceAddress {
    /// Unique within the service (an RDS instance's resource id).
    pub owner: String,
    pub description: String,
    pub subnet_id: String,
    pub groups: Vec<String>,
    pub names: Vec<String>,
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAction {
    Stop,
    Terminate,
    Reboot,
    Recover,
}

pub trait Instances: Send + Sync + 'static {
    /// Launches one instance with RunInstances' validation and errors.
    fn launch(
        &self,
        account: &str,
        region: &str,
        spec: &LaunchSpec,
    ) -> Result<InstanceView, AwsError>;

    /// Stops, terminates, reboots or recovers instances; unknown ids fail
    /// with EC2's `InvalidInstanceID.NotFound`.
    fn act(
        &self,
        account: &str,
        region: &str,
        ids: &[String],
        action: InstanceAction,
    ) -> Result<(), AwsError>;

    /// The instances that exist (terminated ones while EC2 still shows
    /// them); unknown ids are left out. An empty `ids` means all of them.
    fn describe(&self, account: &str, region: &str, ids: &[String]) -> Vec<InstanceView>;

    /// The subnets that exist among `ids`; unknown ids are left out.
    fn subnets(&self, account: &str, region: &str, ids: &[String]) -> Vec<SubnetView>;

    /// The default VPC's default subnets (one per zone), where services
    /// place resources given no subnets (RDS's `default` subnet group) or
    /// only zones (Classic load balancers); empty when the region has no
    /// default VPC.
    fn default_subnets(&self, account: &str, region: &str) -> Vec<SubnetView> {
        let _ = (account, region);
        Vec::new()
    }

    /// The security groups that exist among `ids`, with their VPC ids.
    fn security_groups(&self, account: &str, region: &str, ids: &[String])
    -> Vec<(String, String)>;

    /// The IPv4 blocks of a VPC, the primary first, or None when the VPC
    /// does not exist. An implementation that cannot tell answers with no
    /// blocks, and callers then skip their address checks.
    fn vpc_cidrs(&self, account: &str, region: &str, vpc_id: &str) -> Option<Vec<String>> {
        let _ = (account, region, vpc_id);
        Some(Vec::new())
    }

    /// The id of a VPC's `default` security group, which load balancers
    /// created without groups get; None when unknown.
    fn default_security_group(&self, account: &str, region: &str, vpc_id: &str) -> Option<String> {
        let _ = (account, region, vpc_id);
        None
    }

    /// A security group's name, or None when it does not exist.
    fn security_group_name(&self, account: &str, region: &str, id: &str) -> Option<String> {
        let _ = (account, region, id);
        None
    }

    /// Resolves a launch template version with EC2's not-found errors.
    fn template(
        &self,
        account: &str,
        region: &str,
        template: &TemplateRef,
    ) -> Result<ResolvedTemplate, AwsError>;

    /// Makes `service`'s addresses in a region exactly `want`, by owner:
    /// creates the missing ones, updates those that changed and releases
    /// those no longer wanted. Returns (owner, private address) of each
    /// address that exists afterwards.
    fn service_addresses(
        &self,
        account: &str,
        region: &str,
        service: &str,
        want: &[ServiceAddress],
    ) -> Vec<(String, String)> {
        let _ = (account, region, service, want);
        Vec::new()
    }

    /// The (account, region) pairs where `service` has addresses.
    fn service_regions(&self, service: &str) -> Vec<(String, String)> {
        let _ = service;
        Vec::new()
    }
}
