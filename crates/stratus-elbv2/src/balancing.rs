//! Target groups as Auto Scaling reaches them: registering the instances it
//! launches and reading the health the load balancer reports.

use stratus_core::AwsError;
use stratus_core::balancing::TargetGroups;

use crate::Elbv2;
use crate::generated::TargetDescription;
use crate::ops::targets::{deregister, register};

fn described(ids: &[String]) -> Vec<TargetDescription> {
    ids.iter()
        .map(|id| TargetDescription {
            id: id.clone(),
            ..Default::default()
        })
        .collect()
}

impl TargetGroups for Elbv2 {
    fn exists(&self, account: &str, region: &str, arn: &str) -> bool {
        self.state
            .read()
            .tgs
            .get(arn)
            .is_some_and(|t| t.account == account && t.region == region)
    }

    fn register(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        let now = self.clock.now_millis();
        register(self, account, region, now, arn, described(instance_ids))
    }

    fn deregister(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        let now = self.clock.now_millis();
        // Instances that already left the group are not an error here.
        let registered: Vec<String> = {
            let inner = self.state.read();
            let Some(tg) = inner.tgs.get(arn) else {
                return Ok(());
            };
            instance_ids
                .iter()
                .filter(|id| tg.targets.iter().any(|t| &t.id == *id && !t.health.hidden))
                .cloned()
                .collect()
        };
        if registered.is_empty() {
            return Ok(());
        }
        deregister(self, account, region, now, arn, described(&registered))
    }

    fn health(&self, account: &str, region: &str, arn: &str, instance_id: &str) -> Option<String> {
        let inner = self.state.read();
        let tg = inner
            .tgs
            .get(arn)
            .filter(|t| t.account == account && t.region == region)?;
        tg.targets
            .iter()
            .find(|t| t.id == instance_id)
            .map(|t| t.health.state.clone())
    }
}

impl stratus_core::network::BalancerGroups for Elbv2 {
    fn balancer_groups(&self, account: &str, region: &str) -> Vec<String> {
        self.state
            .read()
            .lbs
            .values()
            .filter(|lb| lb.account == account && lb.region == region)
            .flat_map(|lb| lb.security_groups.iter().cloned())
            .collect()
    }
}
