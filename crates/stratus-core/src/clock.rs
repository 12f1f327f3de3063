//! The one clock every service reads. Tests move it forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Wall-clock time plus an offset that only test mode can grow; test mode
/// may also hold it still, so only advances move it.
#[derive(Clone, Default)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Default)]
struct ClockInner {
    offset_ms: AtomicI64,
    /// The wall-clock time it was held at, or 0 while it runs.
    held_at_ms: AtomicI64,
    /// How many times it was moved or held by hand.
    moves: AtomicU64,
    moved: Notify,
}

fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch, as the services see it.
    pub fn now_millis(&self) -> i64 {
        let held = self.inner.held_at_ms.load(Ordering::Relaxed);
        let real = if held != 0 { held } else { wall_millis() };
        real + self.inner.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves the clock forward and wakes every task waiting on it.
    pub fn advance_millis(&self, ms: i64) {
        self.inner.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
        self.wake();
    }

    /// Holds the clock still (`true`) or lets it run again. Steps that must
    /// land inside a phase of a few hundred milliseconds hold it; let run,
    /// it catches up with wall-clock time, so it never goes back.
    pub fn hold(&self, held: bool) {
        if held {
            let _ = self.inner.held_at_ms.compare_exchange(
                0,
                wall_millis(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else {
            self.inner.held_at_ms.store(0, Ordering::Relaxed);
        }
        self.wake();
    }

    fn wake(&self) {
        self.inner.moves.fetch_add(1, Ordering::SeqCst);
        self.inner.moved.notify_waiters();
    }

    /// How many times the clock has been moved or held by hand.
    pub fn moves(&self) -> u64 {
        self.inner.moves.load(Ordering::SeqCst)
    }

    /// Resolves once the clock has been moved by hand more than `seen`
    /// times: at once if it already has, so a move made while the caller
    /// was busy is not missed.
    pub async fn moved_since(&self, seen: u64) {
        let notified = self.inner.moved.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.moves() != seen {
            return;
        }
        notified.await
    }

    pub fn is_held(&self) -> bool {
        self.inner.held_at_ms.load(Ordering::Relaxed) != 0
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
    fn a_held_clock_moves_only_when_advanced_and_catches_up_when_let_run() {
        let c = Clock::new();
        c.hold(true);
        let held = c.now_millis();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(c.now_millis(), held);
        c.advance_millis(1000);
        assert_eq!(c.now_millis(), held + 1000);
        c.hold(true);
        assert_eq!(
            c.now_millis(),
            held + 1000,
            "holding again keeps the first instant"
        );
        c.hold(false);
        assert!(!c.is_held());
        assert!(c.now_millis() >= held + 1020);
    }

    #[test]
    fn negative_advance_is_ignored() {
        let c = Clock::new();
        c.advance_millis(-5000);
        assert_eq!(c.offset_millis(), 0);
    }
}
