//! Amazon CloudWatch Logs: log groups with retention, KMS keys, classes and
//! tags; streams and events with AWS's batch rules and paging tokens; filter
//! patterns; metric filters publishing to CloudWatch; subscription filters
//! (stored); Logs Insights queries; export tasks written to S3.

mod errors;
mod exporter;
#[rustfmt::skip]
mod generated;
mod insights;
mod ops;
mod paging;
mod pattern;
mod resources;
mod state;

use std::sync::Arc;

use stratus_core::delivery::ObjectSink;
use stratus_core::metrics::MetricSink;
use stratus_core::tasks::Task;
use stratus_core::{AwsError, Clock, RequestContext};
use stratus_store::Store;

use crate::state::State;

pub struct Logs {
    state: Arc<State>,
    clock: Clock,
    /// Where metric filters publish (CloudWatch), once wired.
    metrics: Option<Arc<dyn MetricSink>>,
    /// Where export tasks write (S3), once wired.
    objects: Option<Arc<dyn ObjectSink>>,
}

impl Logs {
    /// Loads the groups, streams and events stored before a restart.
    pub fn new(store: Store, clock: Clock) -> Result<Logs, AwsError> {
        Ok(Logs {
            state: Arc::new(State::load(store)?),
            clock,
            metrics: None,
            objects: None,
        })
    }

    pub fn with_metrics(mut self, sink: Arc<dyn MetricSink>) -> Logs {
        self.metrics = Some(sink);
        self
    }

    pub fn with_objects(mut self, sink: Arc<dyn ObjectSink>) -> Logs {
        self.objects = Some(sink);
        self
    }

    /// Deletes events older than their group's retention and carries out
    /// pending export tasks, on the clock.
    pub fn retention_task(&self) -> Arc<dyn Task> {
        Arc::new(RetentionSweeper(self.state.clone(), self.objects.clone()))
    }

    /// Appends events on another service's behalf (VPC flow logs, Lambda),
    /// creating the group and stream when missing. AWS's batch rules apply
    /// and metric filters see the events.
    pub fn ingest(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
        events: Vec<(i64, String)>,
    ) -> Result<(), AwsError> {
        let ctx = RequestContext::on_behalf("logs", "PutLogEvents", account, region, &self.clock);
        let exists = |r: Result<(), AwsError>| match r {
            Err(e) if e.code != "ResourceAlreadyExistsException" => Err(e),
            _ => Ok(()),
        };
        exists(ops::groups::create_log_group(
            self,
            &ctx,
            generated::CreateLogGroupRequest {
                log_group_name: group.to_string(),
                ..Default::default()
            },
        ))?;
        exists(ops::streams::create_log_stream(
            self,
            &ctx,
            generated::CreateLogStreamRequest {
                log_group_name: group.to_string(),
                log_stream_name: stream.to_string(),
            },
        ))?;
        if events.is_empty() {
            return Ok(());
        }
        ops::events::put_log_events(
            self,
            &ctx,
            generated::PutLogEventsRequest {
                log_group_name: group.to_string(),
                log_stream_name: stream.to_string(),
                log_events: events
                    .into_iter()
                    .map(|(timestamp, message)| generated::InputLogEvent { timestamp, message })
                    .collect(),
                ..Default::default()
            },
        )
        .map(|_| ())
    }
}

struct RetentionSweeper(Arc<State>, Option<Arc<dyn ObjectSink>>);

impl Task for RetentionSweeper {
    fn name(&self) -> &str {
        "logs-retention"
    }

    fn tick(&self, now_ms: i64) {
        if let Err(e) = self.0.apply_retention(now_ms) {
            tracing::warn!(error = %e, "log retention sweep failed");
        }
        if let Some(objects) = &self.1 {
            exporter::run_pending(&self.0, objects, now_ms);
        }
    }
}

stratus_protocol::service!(Logs, "logs", |me| me.state.reset();
    fn validation_code(&self) -> Option<&'static str> {
        Some("InvalidParameterException")
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
);

#[cfg(test)]
mod tests {
    use parking_lot::Mutex;
    use stratus_core::metrics::Sample;

    use super::*;
    use crate::generated::*;

    #[derive(Default)]
    struct Sink(Mutex<Vec<(String, String, Sample)>>);

    impl MetricSink for Sink {
        fn put(&self, account: &str, region: &str, samples: Vec<Sample>) {
            let mut seen = self.0.lock();
            for s in samples {
                seen.push((account.to_string(), region.to_string(), s));
            }
        }
    }

    #[test]
    fn metric_filters_publish_through_the_sink() {
        let sink = Arc::new(Sink::default());
        let clock = Clock::new();
        let logs = Logs::new(Store::ephemeral(), clock.clone())
            .unwrap()
            .with_metrics(sink.clone());
        let ctx = RequestContext::on_behalf("logs", "x", "111122223333", "eu-west-1", &clock);
        logs.ingest("111122223333", "eu-west-1", "/web", "i-1", Vec::new())
            .unwrap();
        ops::metric_filters::put_metric_filter(
            &logs,
            &ctx,
            PutMetricFilterRequest {
                log_group_name: "/web".into(),
                filter_name: "status".into(),
                filter_pattern: "[ip, method, path, status = 5*, ms]".into(),
                metric_transformations: vec![MetricTransformation {
                    metric_name: "Latency".into(),
                    metric_namespace: "Web".into(),
                    metric_value: "$ms".into(),
                    dimensions: Some([("Path".to_string(), "$path".to_string())].into()),
                    unit: Some("Milliseconds".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .unwrap();
        let now = clock.now_millis();
        logs.ingest(
            "111122223333",
            "eu-west-1",
            "/web",
            "i-1",
            vec![
                (now - 2, "1.1.1.1 GET /a 200 12".into()),
                (now - 1, "1.1.1.1 GET /b 503 250".into()),
            ],
        )
        .unwrap();
        let seen = sink.0.lock();
        assert_eq!(seen.len(), 1);
        let (account, region, s) = &seen[0];
        assert_eq!(
            (account.as_str(), region.as_str()),
            ("111122223333", "eu-west-1")
        );
        assert_eq!(s.namespace, "Web");
        assert_eq!(s.metric_name, "Latency");
        assert_eq!(s.value, 250.0);
        assert_eq!(s.timestamp_ms, now - 1);
        assert_eq!(s.unit, "Milliseconds");
        assert_eq!(s.dimensions, vec![("Path".to_string(), "/b".to_string())]);
    }
}
