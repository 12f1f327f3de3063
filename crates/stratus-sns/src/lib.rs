//! Amazon SNS: topics (standard and FIFO), subscriptions with filter
//! policies, and fan-out to SQS queues (through a narrow queue interface)
//! and to loopback http endpoints.

mod envelope;
mod errors;
mod filter;
#[rustfmt::skip]
mod generated;
mod http;
mod ops;
mod outbox;
mod platform;
mod resources;
mod signing;
mod state;

use std::sync::Arc;

use stratus_core::AwsError;
use stratus_core::delivery::QueueSink;
use stratus_protocol::HttpHandler;
use stratus_store::Store;

use crate::outbox::{Outbox, OutboxHandler};
use crate::platform::Platforms;
use crate::signing::{CertHandler, Keys};
use crate::state::State;

pub struct Sns {
    state: State,
    /// Where sqs subscriptions deliver.
    queues: Arc<dyn QueueSink>,
    /// Email and SMS sent, for users to read.
    outbox: Arc<Outbox>,
    /// The key notifications are signed with.
    keys: Arc<Keys>,
    /// Mobile push applications and endpoints.
    platforms: Platforms,
    /// Decides, while policies are enforced, whether a topic's policy lets
    /// another service publish to it.
    authorizer: Option<Arc<dyn stratus_core::Authorizer>>,
}

impl Sns {
    /// Loads the topics and subscriptions stored before a restart.
    pub fn new(store: Store, queues: Arc<dyn QueueSink>) -> Result<Sns, AwsError> {
        Ok(Sns {
            state: State::load(store.clone())?,
            queues,
            outbox: Arc::new(Outbox::load(store.clone())?),
            keys: Arc::new(Keys::load(store.clone())?),
            platforms: Platforms::load(store)?,
            authorizer: None,
        })
    }

    /// Publishes from other services (S3) then obey topic policies whenever
    /// `authorizer` enforces them.
    pub fn with_authorizer(mut self, authorizer: Arc<dyn stratus_core::Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Serves the outbox (`GET /_stratus/sns/outbox`).
    pub fn outbox_handler(&self) -> Arc<dyn HttpHandler> {
        Arc::new(OutboxHandler(self.outbox.clone()))
    }

    /// Serves the signing certificate at the notifications' `SigningCertURL`.
    pub fn certificate_handler(&self) -> Arc<dyn HttpHandler> {
        Arc::new(CertHandler(self.keys.clone()))
    }

    /// The wire code of an error raised by shape name, for batch results.
    fn query_code(&self, code: &str) -> String {
        stratus_protocol::model::load("sns")
            .and_then(|m| m.query_code(code))
            .unwrap_or_else(|| code.to_string())
    }
}

stratus_protocol::service!(Sns, "sns", |me| {
    me.state.reset()?;
    me.platforms.reset()
};
    fn resource_arns(
        &self,
        caller: &stratus_core::Identity,
        region: &str,
        operation: &str,
        input: &stratus_protocol::Value,
    ) -> Vec<String> {
        resources::for_operation(caller, region, operation, input)
    }

    /// Topic policies (the `Policy` attribute, AWS's default when unset).
    fn resource_policies(&self, resources: &[String]) -> Vec<String> {
        self.topic_policies(resources)
    }
);

impl Sns {
    /// The access policy of each existing topic among `arns`.
    pub fn topic_policies(&self, arns: &[String]) -> Vec<String> {
        // Reading under the transaction's lock, which commits nothing.
        let txn = self.state.begin();
        arns.iter()
            .filter_map(|arn| txn.inner.topics.get(arn))
            .map(ops::topic_policy)
            .collect()
    }
}
