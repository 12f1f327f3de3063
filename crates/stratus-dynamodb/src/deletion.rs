//! The end of DELETING phases: a deleted table, or a deleted global index,
//! is removed once its phase has ended on the clock. Lookups treat it as
//! gone from that moment; this task makes the removal durable.

use std::sync::Arc;

use stratus_core::tasks::Task;

use crate::state::Tables;

/// Ends DELETING phases on the clock: tables and global indexes whose
/// deletion has ended are removed, in the store as in memory.
pub struct Reaper {
    pub tables: Arc<Tables>,
}

impl Task for Reaper {
    fn name(&self) -> &str {
        "dynamodb-deletions"
    }

    fn tick(&self, now_ms: i64) {
        self.tables.reap(now_ms);
    }
}
