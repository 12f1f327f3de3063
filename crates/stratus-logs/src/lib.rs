//! Amazon CloudWatch Logs: log groups with retention, KMS keys, classes and
//! tags; streams and events with AWS's batch rules and paging tokens; filter
//! patterns; metric filters publishing to CloudWatch; subscription filters
//! (stored); Logs Insights queries; export tasks (stored).

mod errors;
#[rustfmt::skip]
mod generated;
mod insights;
mod ops;
mod paging;
mod pattern;
mod state;

use std::sync::Arc;

use stratus_core::metrics::MetricSink;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock};
use stratus_store::Store;

use crate::state::State;

pub struct Logs {
    state: Arc<State>,
    clock: Clock,
    /// Where metric filters publish (CloudWatch), once wired.
    metrics: Option<Arc<dyn MetricSink>>,
}

impl Logs {
    /// Loads the groups, streams and events stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<Logs, AwsError> {
        Ok(Logs {
            state: Arc::new(State::load(store)?),
            clock,
            metrics: None,
        })
    }

    pub fn with_metrics(mut self, sink: Arc<dyn MetricSink>) -> Logs {
        self.metrics = Some(sink);
        self
    }

    /// Deletes events older than their group's retention, on the clock.
    pub fn retention_task(&self) -> Arc<dyn Task> {
        Arc::new(RetentionSweeper(self.state.clone()))
    }

    #[allow(dead_code)]
    fn clock(&self) -> &Clock {
        &self.clock
    }
}

struct RetentionSweeper(Arc<State>);

impl Task for RetentionSweeper {
    fn name(&self) -> &str {
        "logs-retention"
    }

    fn tick(&self, now_ms: i64) {
        if let Err(e) = self.0.apply_retention(now_ms) {
            tracing::warn!(error = %e, "log retention sweep failed");
        }
    }
}

stratus_protocol::service!(Logs, "logs", |me| me.state.reset();
    fn validation_code(&self) -> Option<&'static str> {
        Some("InvalidParameterException")
    }
);
