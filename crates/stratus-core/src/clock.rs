//! The one clock every service reads. Tests move it forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Wall-clock time plus an offset that only test mode can grow.
#[derive(Clone, Default)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Default)]
struct ClockInner {
    offset_ms: AtomicI64,
    moved: Notify,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch, as the services see it.
    pub fn now_millis(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        real + self.inner.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves the clock forward and wakes every task waiting on it.
    pub fn advance_millis(&self, ms: i64) {
        self.inner.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
        self.inner.moved.notify_waiters();
    }

    pub fn offset_millis(&self) -> i64 {
        self.inner.offset_ms.load(Ordering::Relaxed)
    }

    /// Resolves when the clock is moved by hand.
    pub async fn moved(&self) {
        self.inner.moved.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let c = Clock::new();
        let before = c.now_millis();
        c.advance_millis(3_600_000);
        let after = c.now_millis();
        assert!(after - before >= 3_600_000);
        assert!(after - before < 3_700_000);
    }

    #[test]
    fn negative_advance_is_ignored() {
        let c = Clock::new();
        c.advance_millis(-5000);
        assert_eq!(c.offset_millis(), 0);
    }
}
