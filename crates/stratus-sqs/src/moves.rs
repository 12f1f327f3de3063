//! Message move tasks: redriving a dead-letter queue back to its sources.

/// A move task as ListMessageMoveTasks reports it.
#[derive(Debug, Clone)]
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
