//! AWS/SQS metrics each minute, per queue (dimension QueueName): the
//! approximate counts as GetQueueAttributes shows them, the age of the
//! oldest message, and what was sent, received and deleted since the last
//! minute.

use std::sync::Arc;

use stratus_core::metrics::{Batches, MetricSink, Minutes, Sample, sample};
use stratus_core::tasks::Task;

use crate::queue::{Activity, Queue};
use crate::state::State;

const NS: &str = "AWS/SQS";

/// The queue's counts as they are at `now_ms`, stamped `at_ms` (the
/// minute they stand for; minutes missed are filled with today's counts).
fn gauges(q: &Queue, now_ms: i64, at_ms: i64, out: &mut Vec<Sample>) {
    let dims = [("QueueName", q.rec.name.as_str())];
    let (visible, in_flight, delayed) = q.counts(now_ms);
    let oldest = q.messages.values().map(|m| m.sent_ms).min();
    let age_s = oldest.map_or(0.0, |t| ((now_ms - t).max(0) / 1000) as f64);
    for (name, value, unit) in [
        (
            "ApproximateNumberOfMessagesVisible",
            visible as f64,
            "Count",
        ),
        (
            "ApproximateNumberOfMessagesNotVisible",
            in_flight as f64,
            "Count",
        ),
        (
            "ApproximateNumberOfMessagesDelayed",
            delayed as f64,
            "Count",
        ),
        ("ApproximateAgeOfOldestMessage", age_s, "Seconds"),
    ] {
        out.push(sample(NS, name, &dims, at_ms, value, unit));
    }
}

fn counters(name: &str, a: &Activity, at_ms: i64, out: &mut Vec<Sample>) {
    let dims = [("QueueName", name)];
    for (metric, value, unit) in [
        ("NumberOfMessagesSent", a.sent as f64, "Count"),
        ("NumberOfMessagesReceived", a.received as f64, "Count"),
        ("NumberOfMessagesDeleted", a.deleted as f64, "Count"),
        ("NumberOfEmptyReceives", a.empty_receives as f64, "Count"),
    ] {
        out.push(sample(NS, metric, &dims, at_ms, value, unit));
    }
    if a.sent > 0 {
        let avg = a.sent_bytes as f64 / a.sent as f64;
        out.push(sample(NS, "SentMessageSize", &dims, at_ms, avg, "Bytes"));
    }
}

pub struct MetricsTask {
    pub state: Arc<State>,
    pub sink: Arc<dyn MetricSink>,
    pub minutes: Minutes,
}

impl Task for MetricsTask {
    fn name(&self) -> &str {
        "sqs-metrics"
    }

    fn tick(&self, now_ms: i64) {
        let Some(due) = self.minutes.due(now_ms) else {
            return;
        };
        let due: Vec<i64> = due.collect();
        let Some(&last) = due.last() else {
            return;
        };
        let mut all = Batches::default();
        {
            let mut inner = self.state.read();
            for q in inner.queues.values_mut() {
                let mut out = Vec::new();
                for &at in &due {
                    gauges(q, now_ms, at, &mut out);
                }
                // What happened since the last publication lands in the newest minute.
                let activity = std::mem::take(&mut q.activity);
                counters(&q.rec.name, &activity, last, &mut out);
                all.add(&q.rec.account, &q.rec.region, out);
            }
        }
        all.send(self.sink.as_ref());
    }
}
