//! An in-memory stand-in for EC2's instances, for the reconciler's tests.

use parking_lot::Mutex;
use stratus_core::AwsError;
use stratus_core::compute::{
    InstanceAction, InstanceView, Instances, LaunchSpec, ResolvedTemplate, SubnetView, TemplateRef,
};

#[derive(Default)]
pub struct FakeEc2 {
    pub instances: Mutex<Vec<InstanceView>>,
    pub launches: Mutex<Vec<LaunchSpec>>,
    pub subnets: Vec<SubnetView>,
    pub fail_launch: Mutex<Option<String>>,
}

impl FakeEc2 {
    pub fn with_subnets(list: &[(&str, &str)]) -> FakeEc2 {
        FakeEc2 {
            subnets: list
                .iter()
                .map(|(id, az)| SubnetView {
                    id: id.to_string(),
                    vpc_id: "vpc-1".into(),
                    availability_zone: az.to_string(),
                    cidr: "10.0.0.0/24".into(),
                })
                .collect(),
            ..Default::default()
        }
    }

    /// Moves every pending instance to running and shutting-down ones to
    /// terminated, as EC2's clock would.
    pub fn settle(&self) {
        for i in self.instances.lock().iter_mut() {
            match i.state.as_str() {
                "pending" => i.state = "running".into(),
                "shutting-down" => i.state = "terminated".into(),
                _ => {}
            }
        }
    }

    pub fn state(&self, id: &str) -> String {
        self.instances
            .lock()
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.state.clone())
            .unwrap_or_default()
    }
}

impl Instances for FakeEc2 {
    fn launch(&self, _: &str, _: &str, spec: &LaunchSpec) -> Result<InstanceView, AwsError> {
        if let Some(msg) = self.fail_launch.lock().clone() {
            return Err(AwsError::bad_request("InsufficientInstanceCapacity", msg));
        }
        self.launches.lock().push(spec.clone());
        let mut list = self.instances.lock();
        let az = self
            .subnets
            .iter()
            .find(|s| Some(&s.id) == spec.subnet_id.as_ref())
            .map(|s| s.availability_zone.clone())
            .unwrap_or_else(|| "us-east-1a".into());
        let v = InstanceView {
            id: format!("i-{:017x}", list.len() + 1),
            state: "pending".into(),
            instance_type: spec
                .instance_type
                .clone()
                .unwrap_or_else(|| "t3.micro".into()),
            image_id: spec.image_id.clone().unwrap_or_else(|| "ami-1".into()),
            availability_zone: az,
            subnet_id: spec.subnet_id.clone(),
            tags: spec.tags.clone(),
            ..Default::default()
        };
        list.push(v.clone());
        Ok(v)
    }

    fn act(
        &self,
        _: &str,
        _: &str,
        ids: &[String],
        action: InstanceAction,
    ) -> Result<(), AwsError> {
        for i in self.instances.lock().iter_mut() {
            if ids.contains(&i.id) && action == InstanceAction::Terminate && i.state != "terminated"
            {
                i.state = "shutting-down".into();
            }
        }
        Ok(())
    }

    fn describe(&self, _: &str, _: &str, ids: &[String]) -> Vec<InstanceView> {
        self.instances
            .lock()
            .iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .cloned()
            .collect()
    }

    fn subnets(&self, _: &str, _: &str, ids: &[String]) -> Vec<SubnetView> {
        self.subnets
            .iter()
            .filter(|s| ids.contains(&s.id))
            .cloned()
            .collect()
    }

    fn security_groups(&self, _: &str, _: &str, _: &[String]) -> Vec<(String, String)> {
        Vec::new()
    }

    fn template(&self, _: &str, _: &str, t: &TemplateRef) -> Result<ResolvedTemplate, AwsError> {
        Ok(ResolvedTemplate {
            id: t.id.clone().unwrap_or_else(|| "lt-1".into()),
            name: t.name.clone().unwrap_or_else(|| "web".into()),
            version_number: 1,
            image_id: Some("ami-1".into()),
            instance_type: Some("t3.micro".into()),
        })
    }
}
