//! The event bus: what was published, and when.

use quickstep_engine::execution::Millis;
use quickstep_service::records::StatusChange;

/// EventBridge's limit on one PutEvents entry.
pub const ENTRY_LIMIT_BYTES: usize = 256 * 1024;

#[derive(Debug, Default)]
pub struct Bus {
    pub events: Vec<(Millis, StatusChange)>,
}
