//! EC2 as other services reach it (`stratus_core::compute::Instances`):
//! Auto Scaling launches through RunInstances' own path, so its instances
//! get the same validation, errors and defaults as a user's.

use stratus_core::compute::{
    InstanceAction, InstanceView, Instances, LaunchSpec, ResolvedTemplate, ServiceAddress,
    SubnetView, TemplateRef,
};
use stratus_core::{AwsError, RequestContext};

use super::launch::convert;
use crate::Ec2;
use crate::compute::InstanceRec;
use crate::generated::*;
use crate::state::SubnetRec;

fn subnet_view(n: &SubnetRec) -> SubnetView {
    SubnetView {
        id: n.id.clone(),
        vpc_id: n.vpc.clone(),
        availability_zone: n.az.clone(),
        cidr: n.cidr.clone(),
    }
}

fn view(i: &InstanceRec, private_ip: Option<String>) -> InstanceView {
    InstanceView {
        id: i.id.clone(),
        state: i.state.clone(),
        instance_type: i.instance_type.clone(),
        image_id: i.image.clone(),
        availability_zone: i.az.clone(),
        subnet_id: (!i.subnet.is_empty()).then(|| i.subnet.clone()),
        vpc_id: (!i.vpc.is_empty()).then(|| i.vpc.clone()),
        private_ip,
        launch_time_ms: i.launch_ms,
        tags: i.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

impl Ec2 {
    fn ctx_for(&self, operation: &str, account: &str, region: &str) -> RequestContext {
        RequestContext::on_behalf("ec2", operation, account, region, &self.clock)
    }

    /// The RunInstances request a launch spec stands for. A template whose
    /// version names network interfaces gets the subnet on the first one,
    /// as Auto Scaling places it, since RunInstances refuses both at once.
    fn launch_request(
        &self,
        account: &str,
        region: &str,
        spec: &LaunchSpec,
    ) -> Result<RunInstancesRequest, AwsError> {
        let mut i = RunInstancesRequest {
            min_count: 1,
            max_count: 1,
            image_id: spec.image_id.clone(),
            instance_type: spec.instance_type.clone(),
            key_name: spec.key_name.clone(),
            user_data: spec.user_data.clone(),
            ..Default::default()
        };
        if let Some(p) = &spec.iam_instance_profile {
            let by_arn = p.starts_with("arn:");
            i.iam_instance_profile = Some(IamInstanceProfileSpecification {
                arn: by_arn.then(|| p.clone()),
                name: (!by_arn).then(|| p.clone()),
            });
        }
        if let Some(m) = spec.monitoring {
            i.monitoring = Some(RunInstancesMonitoringEnabled {
                enabled: m,
                ..Default::default()
            });
        }
        let groups = (!spec.security_group_ids.is_empty()).then(|| spec.security_group_ids.clone());
        let mut template_nics = None;
        if let Some(t) = &spec.launch_template {
            let region_state = self.regions.get(account, region);
            let s = region_state.lock();
            let data = super::templates::resolve_launch_template(
                &s,
                t.id.as_deref(),
                t.name.as_deref(),
                t.version.as_deref(),
            )?;
            template_nics = data.network_interfaces;
            i.launch_template = Some(LaunchTemplateSpecification {
                launch_template_id: t.id.clone(),
                launch_template_name: t.name.clone(),
                version: t.version.clone(),
            });
        }
        if let Some(nics) = template_nics {
            let mut nics: Vec<InstanceNetworkInterfaceSpecification> = convert(nics)?;
            if let Some(first) = nics.iter_mut().find(|n| n.device_index.unwrap_or(0) == 0) {
                first.subnet_id = spec.subnet_id.clone().or(first.subnet_id.take());
                first.groups = groups.or(first.groups.take());
                if spec.associate_public_ip.is_some() {
                    first.associate_public_ip_address = spec.associate_public_ip;
                }
            }
            i.network_interfaces = Some(nics);
        } else if spec.associate_public_ip.is_some() {
            i.network_interfaces = Some(vec![InstanceNetworkInterfaceSpecification {
                device_index: Some(0),
                subnet_id: spec.subnet_id.clone(),
                groups,
                associate_public_ip_address: spec.associate_public_ip,
                ..Default::default()
            }]);
        } else {
            i.subnet_id = spec.subnet_id.clone();
            i.security_group_ids = groups;
        }
        if !spec.tags.is_empty() {
            let tags = spec
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect::<Vec<_>>();
            i.tag_specifications = Some(vec![TagSpecification {
                resource_type: Some("instance".into()),
                tags: Some(tags),
            }]);
        }
        Ok(i)
    }
}

impl Instances for Ec2 {
    fn launch(
        &self,
        account: &str,
        region: &str,
        spec: &LaunchSpec,
    ) -> Result<InstanceView, AwsError> {
        let ctx = self.ctx_for("RunInstances", account, region);
        // Services tag what they launch with reserved `aws:` keys (Auto
        // Scaling's aws:autoscaling:groupName) that RunInstances refuses
        // from users: those are set once the instance exists.
        let (reserved, user): (Vec<_>, Vec<_>) = spec
            .tags
            .iter()
            .cloned()
            .partition(|(k, _)| k.starts_with("aws:"));
        let spec = LaunchSpec {
            tags: user,
            ..spec.clone()
        };
        let request = self.launch_request(account, region, &spec)?;
        let reservation = super::instances::run(self, &ctx, request)?;
        let id = reservation
            .instances
            .and_then(|v| v.into_iter().next())
            .and_then(|i| i.instance_id)
            .ok_or_else(|| AwsError::internal("RunInstances returned no instance"))?;
        if !reserved.is_empty() {
            let r = self.regions.get(account, region);
            let mut s = r.lock();
            if let Some(tags) = s.tags_mut(&id) {
                tags.extend(reserved);
            }
            self.regions.save(account, region, &s)?;
        }
        self.describe(account, region, std::slice::from_ref(&id))
            .pop()
            .ok_or_else(|| AwsError::internal("launched instance vanished"))
    }

    fn act(
        &self,
        account: &str,
        region: &str,
        ids: &[String],
        action: InstanceAction,
    ) -> Result<(), AwsError> {
        let instance_ids = ids.to_vec();
        match action {
            InstanceAction::Stop => {
                let ctx = self.ctx_for("StopInstances", account, region);
                let i = StopInstancesRequest {
                    instance_ids,
                    ..Default::default()
                };
                super::instances::stop(self, &ctx, i).map(drop)
            }
            InstanceAction::Terminate => {
                let ctx = self.ctx_for("TerminateInstances", account, region);
                let i = TerminateInstancesRequest {
                    instance_ids,
                    ..Default::default()
                };
                super::instances::terminate(self, &ctx, i).map(drop)
            }
            // Recovery moves an impaired instance to new hardware; with no
            // hardware to fail, a reboot is what the instance sees.
            InstanceAction::Reboot | InstanceAction::Recover => {
                let ctx = self.ctx_for("RebootInstances", account, region);
                let i = RebootInstancesRequest {
                    instance_ids,
                    ..Default::default()
                };
                super::instances::reboot(self, &ctx, i)
            }
        }
    }

    fn describe(&self, account: &str, region: &str, ids: &[String]) -> Vec<InstanceView> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        s.instances
            .values()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .map(|i| {
                let ip = s.instance_eni(&i.id, 0).map(|e| e.private_ip.clone());
                view(i, ip)
            })
            .collect()
    }

    fn subnets(&self, account: &str, region: &str, ids: &[String]) -> Vec<SubnetView> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        ids.iter()
            .filter_map(|id| s.subnets.get(id))
            .map(subnet_view)
            .collect()
    }

    fn default_subnets(&self, account: &str, region: &str) -> Vec<SubnetView> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        s.subnets
            .values()
            .filter(|n| n.default_for_az && s.vpcs.get(&n.vpc).is_some_and(|v| v.is_default))
            .map(subnet_view)
            .collect()
    }

    fn security_groups(
        &self,
        account: &str,
        region: &str,
        ids: &[String],
    ) -> Vec<(String, String)> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        ids.iter()
            .filter_map(|id| s.sgs.get(id))
            .map(|g| (g.id.clone(), g.vpc.clone()))
            .collect()
    }

    fn security_group_name(&self, account: &str, region: &str, id: &str) -> Option<String> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        s.sgs.get(id).map(|g| g.name.clone())
    }

    fn default_security_group(&self, account: &str, region: &str, vpc_id: &str) -> Option<String> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        s.sgs
            .values()
            .find(|g| g.vpc == vpc_id && g.name == "default")
            .map(|g| g.id.clone())
    }

    fn vpc_cidrs(&self, account: &str, region: &str, vpc_id: &str) -> Option<Vec<String>> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        s.vpcs
            .get(vpc_id)
            .map(|v| v.cidrs().into_iter().map(str::to_string).collect())
    }

    fn template(
        &self,
        account: &str,
        region: &str,
        t: &TemplateRef,
    ) -> Result<ResolvedTemplate, AwsError> {
        let r = self.regions.get(account, region);
        let s = r.lock();
        super::templates::resolve_ref(&s, t)
    }

    fn service_addresses(
        &self,
        account: &str,
        region: &str,
        service: &str,
        want: &[ServiceAddress],
    ) -> Vec<(String, String)> {
        let r = self.regions.get(account, region);
        let mut s = r.lock();
        let now = self.clock.now_millis();
        if super::service_addresses::reconcile(&mut s, service, want, now)
            && let Err(e) = self.regions.save(account, region, &s)
        {
            tracing::error!(error = %e.message, "service addresses not saved");
        }
        super::service_addresses::addresses(&s, service)
    }

    fn service_regions(&self, service: &str) -> Vec<(String, String)> {
        self.regions
            .keys()
            .into_iter()
            .filter(|(account, region)| {
                let r = self.regions.get(account, region);
                let s = r.lock();
                !super::service_addresses::addresses(&s, service).is_empty()
            })
            .collect()
    }
}
