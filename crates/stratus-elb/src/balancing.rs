//! Classic load balancers as Auto Scaling reaches them (its
//! `LoadBalancerNames`): the core `TargetGroups` interface, with the load
//! balancer's name where ELBv2 takes a target group ARN.

use stratus_core::balancing::TargetGroups;
use stratus_core::{AwsError, RequestContext};

use crate::Elb;
use crate::health::as_target_state;
use crate::ops::instances::{deregister, register};
use crate::state::key;

impl Elb {
    fn acting_for(&self, account: &str, region: &str, op: &str) -> RequestContext {
        RequestContext::on_behalf("elb", op, account, region, &self.clock)
    }
}

impl TargetGroups for Elb {
    fn exists(&self, account: &str, region: &str, name: &str) -> bool {
        self.state
            .read()
            .lbs
            .contains_key(&key(account, region, name))
    }

    fn register(
        &self,
        account: &str,
        region: &str,
        name: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        let ctx = self.acting_for(account, region, "RegisterInstancesWithLoadBalancer");
        register(self, &ctx, name, instance_ids).map(|_| ())
    }

    fn deregister(
        &self,
        account: &str,
        region: &str,
        name: &str,
        instance_ids: &[String],
    ) -> Result<(), AwsError> {
        if !self.exists(account, region, name) {
            return Ok(());
        }
        let ctx = self.acting_for(account, region, "DeregisterInstancesFromLoadBalancer");
        deregister(self, &ctx, name, instance_ids, false).map(|_| ())
    }

    fn health(&self, account: &str, region: &str, name: &str, instance_id: &str) -> Option<String> {
        let inner = self.state.read();
        let r = inner.lbs.get(&key(account, region, name))?;
        r.member(instance_id)
            .map(|m| as_target_state(&m.health).to_string())
    }
}

impl stratus_core::network::BalancerGroups for Elb {
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
