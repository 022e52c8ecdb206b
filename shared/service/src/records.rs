//! What the service stores and sends: state machine revisions, execution records, step
//! messages and status-change events.

use quickstep::execution::{Effect, Millis, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// Which step message carries out each pending task call, by task id (see
    /// [`crate::worker`]): only that message's steps call it, so an answer or a heartbeat that
    /// rewrites the record never has a call that is already running made again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dispatch: BTreeMap<u64, Dispatch>,
    /// The claim of the commit that wrote this version: its message (and no other of the same
    /// version, such as one a writer that lost a race sent) fires timers and resumes.
    #[serde(default)]
    pub claim: u64,
}

/// Who carries out a pending task call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The claim of the step message that calls it ([`StepMessage::claim`]; 0: none yet).
    pub owner: u64,
    /// How many steps called it and ran out of time before it answered.
    pub abandoned: u32,
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
    /// How often the message was sent again because it arrived before the write of its version
    /// could be read (SQS may deliver a message before the write that follows its send).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub early: u32,
    /// The claim of the commit that sent it: the pending calls whose [`Dispatch::owner`] is
    /// this are the message's to make. Unique per commit attempt, since two writers racing
    /// from the same version write the same version number.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub claim: u64,
}

impl StepMessage {
    /// The message that continues `execution_arn` from `version`.
    pub fn new(execution_arn: &str, version: u64) -> Self {
        Self {
            execution_arn: execution_arn.to_owned(),
            version,
            early: 0,
            claim: 0,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero_u64(n: &u64) -> bool {
    *n == 0
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
