//! What the service stores and sends: state machine revisions, execution records, step
//! messages and status-change events.

use quickstep::execution::{Effect, Millis, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One immutable revision of a state machine's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineRecord {
    pub name: String,
    pub arn: String,
    pub revision: u64,
    pub definition: Value,
    pub created: Millis,
}

/// An execution: its identity, its outcome once ended, and (asynchronous executions) the
/// snapshot and the effects still to carry out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionRecord {
    pub arn: String,
    pub name: String,
    pub state_machine_name: String,
    pub state_machine_arn: String,
    pub revision: u64,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// The FAILED/TIMED_OUT/ABORTED event has been published (so a retried step does not
    /// publish it twice, and a crash before publishing does not lose it).
    #[serde(default)]
    pub status_event_sent: bool,
    pub snapshot: Snapshot,
    /// Effects the engine asked for that have not been carried out yet.
    pub pending: Vec<Effect>,
    /// Tasks whose resource was called and that wait for their token (`.waitForTaskToken`).
    #[serde(default)]
    pub callbacks: Vec<Callback>,
}

/// A task that waits for `SendTaskSuccess` or `SendTaskFailure` with its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub task: u64,
    pub token: String,
}

impl ExecutionRecord {
    /// The optimistic-concurrency token: the snapshot's version.
    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    pub fn is_terminal(&self) -> bool {
        self.status != "RUNNING"
    }
}

/// A message on the step queue: continue execution `execution_arn` from snapshot `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMessage {
    pub execution_arn: String,
    pub version: u64,
}

/// The detail of an `Execution Status Change` event, with the fields AWS's Step Functions
/// status-change event has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: String,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl StatusChange {
    pub fn of(record: &ExecutionRecord) -> Self {
        Self {
            execution_arn: record.arn.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            name: record.name.clone(),
            status: record.status.clone(),
            start_date: record.start_date,
            stop_date: record.stop_date,
            input: record.input.to_string(),
            output: record.output.as_ref().map(Value::to_string),
            error: record.error.clone(),
            cause: record.cause.clone(),
        }
    }
}

/// The event source and detail type of failure events.
pub const EVENT_SOURCE: &str = "quickstep";
pub const EVENT_DETAIL_TYPE: &str = "Execution Status Change";
