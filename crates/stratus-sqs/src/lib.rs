//! Amazon SQS: standard and FIFO queues, visibility and delays, long polling,
//! dead-letter queues and message moves, all timed by the shared clock.

mod attributes;
mod digest;
mod errors;
#[rustfmt::skip]
mod generated;
mod message;
mod metrics;
mod moves;
mod ops;
mod queue;
mod receipt;
mod resources;
mod state;
mod url;

use std::sync::Arc;

use stratus_core::AwsError;
use stratus_core::metrics::MetricSink;
use stratus_core::tasks::Task;
use stratus_store::Store;

use crate::state::State;

/// The SQS service over its queues.
pub struct Sqs {
    state: Arc<State>,
    /// Decides, while policies are enforced, whether a queue's policy lets
    /// another service deliver to it.
    authorizer: Option<Arc<dyn stratus_core::Authorizer>>,
}

impl Sqs {
    /// Runs work that may wait for a group commit without holding up the
    /// runtime's other tasks; in memory nothing ever waits.
    fn blocking<R>(&self, f: impl FnOnce() -> R) -> R {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let multi =
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if multi && self.state.is_persistent() {
            tokio::task::block_in_place(f)
        } else {
            f()
        }
    }

    /// Publishes each queue's AWS/SQS metrics to `sink` every minute of the clock.
    pub fn metrics_task(&self, sink: Arc<dyn MetricSink>) -> Arc<dyn Task> {
        Arc::new(metrics::MetricsTask {
            state: self.state.clone(),
            sink,
            minutes: Default::default(),
        })
    }

    /// Carries running message move tasks forward on the clock.
    pub fn moves_task(&self) -> Arc<dyn Task> {
        Arc::new(ops::MoveProgress {
            state: self.state.clone(),
        })
    }

    /// Loads every queue and message stored before a restart.
    pub fn new(store: Store) -> Result<Sqs, AwsError> {
        Ok(Sqs {
            state: Arc::new(State::load(store)?),
            authorizer: None,
        })
    }

    /// Deliveries from other services (SNS, S3) then obey queue policies
    /// whenever `authorizer` enforces them.
    pub fn with_authorizer(mut self, authorizer: Arc<dyn stratus_core::Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }
}

// SQS answers unknown attribute names with `InvalidAttributeName`, and
// receives accept any name in the deprecated `AttributeNames`.
stratus_protocol::service!(Sqs, "sqs", |me| me.state.reset();
    fn checks_enums_itself(&self) -> bool {
        true
    }

    fn resource_arns(
        &self,
        caller: &stratus_core::Identity,
        region: &str,
        operation: &str,
        input: &stratus_protocol::Value,
    ) -> Vec<String> {
        resources::for_operation(caller, region, operation, input)
    }

    /// Queue policies (the `Policy` attribute).
    fn resource_policies(&self, resources: &[String]) -> Vec<String> {
        self.queue_policies(resources)
    }
);

impl Sqs {
    /// The `Policy` attribute of each existing queue among `arns`.
    pub fn queue_policies(&self, arns: &[String]) -> Vec<String> {
        let inner = self.state.read();
        arns.iter()
            .filter_map(|arn| url::parse_arn(arn))
            .filter_map(|(region, account, name)| {
                let q = inner.queues.get(&queue::key(&account, &region, &name))?;
                q.attr("Policy").map(str::to_string)
            })
            .collect()
    }
}
