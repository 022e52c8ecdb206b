//! Execution history as AWS records it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::snapshot::Millis;

/// One history event: `ExecutionStarted`, `PassStateEntered`, `TaskScheduled`, ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub id: u64,
    #[serde(rename = "previousEventId")]
    pub previous_event_id: u64,
    pub timestamp: Millis,
    #[serde(rename = "type")]
    pub kind: String,
    /// The state name on `...StateEntered`/`...StateExited` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The event's details object as AWS names it (`stateEnteredEventDetails`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}
