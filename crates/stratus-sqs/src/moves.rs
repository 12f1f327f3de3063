//! Message move tasks: redriving a dead-letter queue back to its sources.

use serde::{Deserialize, Serialize};

pub const RUNNING: &str = "RUNNING";
pub const COMPLETED: &str = "COMPLETED";
pub const CANCELLED: &str = "CANCELLED";
pub const FAILED: &str = "FAILED";

/// AWS's reason when a message came to the dead-letter queue some other way
/// than a redrive and no destination was named.
pub const NO_SOURCE: &str = "CouldNotDetermineMessageSource";

/// A move task as ListMessageMoveTasks reports it; stored, so a running
/// task carries on after a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveTask {
    pub handle: String,
    pub status: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub rate: Option<i32>,
    pub moved: i64,
    pub to_move: i64,
    pub failure_reason: Option<String>,
    pub started_ms: i64,
}

impl MoveTask {
    /// How many messages the task may have moved by `now_ms`: with a rate,
    /// that many each second from the start (the first second's at once);
    /// without one, everything at once.
    pub fn allowance(&self, now_ms: i64) -> i64 {
        match self.rate {
            None => self.to_move,
            Some(r) => {
                let seconds = (now_ms - self.started_ms).max(0) / 1000 + 1;
                (r as i64).saturating_mul(seconds).min(self.to_move)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(rate: Option<i32>) -> MoveTask {
        MoveTask {
            handle: "h".into(),
            status: RUNNING.into(),
            source_arn: "arn".into(),
            destination_arn: None,
            rate,
            moved: 0,
            to_move: 10,
            failure_reason: None,
            started_ms: 1_000,
        }
    }

    #[test]
    fn a_rate_spreads_the_move_over_seconds() {
        let t = task(Some(3));
        assert_eq!(t.allowance(1_000), 3);
        assert_eq!(t.allowance(1_999), 3);
        assert_eq!(t.allowance(2_000), 6);
        assert_eq!(t.allowance(60_000), 10);
        assert_eq!(task(None).allowance(1_000), 10);
    }
}
