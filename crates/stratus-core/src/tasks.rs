//! Background work that reads the injectable clock: instance state changes,
//! expiry, alarm evaluation. A task runs on a fixed period and again whenever
//! the clock is moved by hand, so tests advance time instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;

/// One piece of periodic work; `tick` gets the clock's current epoch millis.
pub trait Task: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn tick(&self, now_ms: i64);
}

/// Runs registered tasks on a tokio runtime until the runtime stops.
#[derive(Clone)]
pub struct Tasks {
    clock: Clock,
    period: Duration,
}

impl Tasks {
    pub fn new(clock: Clock, period: Duration) -> Self {
        Tasks { clock, period }
    }

    pub fn spawn(&self, task: Arc<dyn Task>) -> tokio::task::JoinHandle<()> {
        let clock = self.clock.clone();
        let period = self.period;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = clock.moved() => {}
                }
                let now = clock.now_millis();
                let t = task.clone();
                // A panicking task must not take the runner down with it.
                let res = tokio::task::spawn_blocking(move || t.tick(now)).await;
                if res.is_err() {
                    tracing::error!(task = task.name(), "background task panicked");
                }
            }
        })
    }
}
