//! Amazon EC2 Auto Scaling: launch configurations, groups kept at their
//! desired capacity by a reconciler on the clock (launching and terminating
//! EC2 instances through `compute::Instances`, registering them in target
//! groups), scaling policies run by CloudWatch alarms, scheduled actions,
//! lifecycle hooks, notifications to SNS, warm pools and instance refresh.

mod cron;
mod effects;
mod errors;
#[cfg(test)]
mod fake;
#[rustfmt::skip]
mod generated;
mod notify;
mod ops;
mod policy_exec;
mod reconcile;
mod resources;
mod scaling;
mod state;
mod termination;
mod wire;

use std::sync::Arc;

use stratus_core::balancing::TargetGroups;
use stratus_core::compute::Instances;
use stratus_core::delivery::{QueueSink, TopicSink};
use stratus_core::link::Link;
use stratus_core::metrics::{AlarmTrigger, Alarms, ScalingPolicies};
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::state::State;

pub struct AutoScaling {
    state: State,
    clock: Clock,
    instances: Option<Arc<dyn Instances>>,
    target_groups: Link<dyn TargetGroups>,
    alarms: Link<dyn Alarms>,
    topics: Option<Arc<dyn TopicSink>>,
    queues: Option<Arc<dyn QueueSink>>,
}

impl AutoScaling {
    /// Loads the groups and everything else stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<AutoScaling, AwsError> {
        Ok(AutoScaling {
            state: State::load(store)?,
            clock,
            instances: None,
            target_groups: Link::empty(),
            alarms: Link::empty(),
            topics: None,
            queues: None,
        })
    }

    /// Where groups launch, describe and terminate instances (EC2).
    pub fn with_instances(mut self, instances: Arc<dyn Instances>) -> Self {
        self.instances = Some(instances);
        self
    }

    /// Target groups instances are registered in (ELBv2, possibly wired later).
    pub fn with_target_groups(mut self, link: Link<dyn TargetGroups>) -> Self {
        self.target_groups = link;
        self
    }

    /// Where target tracking policies create their alarms (CloudWatch).
    pub fn with_alarms(mut self, link: Link<dyn Alarms>) -> Self {
        self.alarms = link;
        self
    }

    /// Where notifications and lifecycle hook messages to topics go (SNS).
    pub fn with_topics(mut self, topics: Arc<dyn TopicSink>) -> Self {
        self.topics = Some(topics);
        self
    }

    /// Where lifecycle hook messages to queues go (SQS).
    pub fn with_queues(mut self, queues: Arc<dyn QueueSink>) -> Self {
        self.queues = Some(queues);
        self
    }

    /// The background work that keeps groups at their desired capacity and
    /// runs scheduled actions and hook timeouts.
    pub fn reconciler_task(self: &Arc<Self>) -> Arc<dyn Task> {
        Arc::new(reconcile::Reconciler(self.clone()))
    }
}

impl ScalingPolicies for AutoScaling {
    fn execute(
        &self,
        account: &str,
        region: &str,
        policy_arn: &str,
        trigger: &AlarmTrigger,
    ) -> Result<(), AwsError> {
        policy_exec::from_alarm(self, account, region, policy_arn, trigger)
    }

    fn exists(&self, account: &str, region: &str, policy_arn: &str) -> bool {
        self.state
            .read(account, region, |r| r.policy_by_arn(policy_arn).is_some())
    }
}

stratus_protocol::service!(AutoScaling, "autoscaling", |me| me.state.reset();
    fn resource_arns(
        &self,
        caller: &stratus_core::Identity,
        region: &str,
        operation: &str,
        input: &stratus_protocol::Value,
    ) -> Vec<String> {
        let account = caller.account_id.as_str();
        resources::for_operation(caller, region, operation, input, |kind, name| {
            self.state.read(account, region, |r| match kind {
                "autoScalingGroup" => r.groups.get(name).map(|g| g.arn.clone()),
                _ => r.launch_configs.get(name).map(|l| l.arn.clone()),
            })
        })
    }
);
