//! Amazon SQS: standard and FIFO queues, visibility and delays, long polling,
//! dead-letter queues and message moves, all timed by the shared clock.

mod attributes;
mod digest;
mod errors;
#[rustfmt::skip]
mod generated;
mod message;
mod moves;
mod ops;
mod queue;
mod receipt;
mod state;
mod url;

use stratus_core::AwsError;
use stratus_store::Store;

use crate::state::State;

/// The SQS service over its queues.
pub struct Sqs {
    state: State,
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

    /// Loads every queue and message stored before a restart.
    pub fn new(store: Store) -> Result<Sqs, AwsError> {
        Ok(Sqs {
            state: State::load(store)?,
        })
    }
}

// SQS answers unknown attribute names with `InvalidAttributeName`, and
// receives accept any name in the deprecated `AttributeNames`.
stratus_protocol::service!(Sqs, "sqs", |me| me.state.reset(); fn checks_enums_itself(&self) -> bool { true });
