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
            let mut seen = clock.moves();
            loop {
                // A move made during the last tick runs the next one at once.
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = clock.moved_since(seen) => {}
                }
                seen = clock.moves();
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    struct Seen(AtomicI64);

    impl Task for Seen {
        fn name(&self) -> &str {
            "seen"
        }
        fn tick(&self, now_ms: i64) {
            self.0.store(now_ms, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn moving_the_clock_runs_tasks_at_once() {
        let clock = Clock::new();
        // A period long enough that only the clock move can cause the tick.
        let tasks = Tasks::new(clock.clone(), Duration::from_secs(3600));
        let seen = Arc::new(Seen(AtomicI64::new(0)));
        let h = tasks.spawn(seen.clone());
        tokio::task::yield_now().await;
        let target = clock.now_millis() + 86_400_000;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while seen.0.load(Ordering::SeqCst) < target && tokio::time::Instant::now() < deadline {
            clock.advance_millis(86_400_000);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            seen.0.load(Ordering::SeqCst) >= target,
            "the task never saw the moved clock"
        );
        h.abort();
    }

    /// Moves the clock while its first tick runs.
    struct Slow {
        clock: Clock,
        ticks: AtomicI64,
    }

    impl Task for Slow {
        fn name(&self) -> &str {
            "slow"
        }
        fn tick(&self, _now_ms: i64) {
            if self.ticks.fetch_add(1, Ordering::SeqCst) == 0 {
                self.clock.advance_millis(1000);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    #[tokio::test]
    async fn a_move_during_a_tick_runs_another_at_once() {
        let clock = Clock::new();
        let tasks = Tasks::new(clock.clone(), Duration::from_secs(3600));
        let slow = Arc::new(Slow {
            clock: clock.clone(),
            ticks: AtomicI64::new(0),
        });
        let h = tasks.spawn(slow.clone());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while slow.ticks.load(Ordering::SeqCst) < 1 && tokio::time::Instant::now() < deadline {
            clock.advance_millis(1000);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // From here only the tick's own move can bring the second tick.
        while slow.ticks.load(Ordering::SeqCst) < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(slow.ticks.load(Ordering::SeqCst), 2);
        h.abort();
    }
}
