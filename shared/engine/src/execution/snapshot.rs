//! The serializable state of one execution: everything needed to continue it in another process.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::history::HistoryEvent;
use crate::definition::{BranchId, StateId};
use crate::failure::Failure;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Identifies a thread of control: the top level, a Parallel branch or a Map iteration.
pub type ThreadId = u64;

/// The snapshot format version; a snapshot of another version is refused, not misread.
pub const FORMAT_VERSION: u32 = 1;

/// The snapshot format marker: serializes as [`FORMAT_VERSION`] and refuses any other number,
/// so a snapshot written by an incompatible release is rejected rather than misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Format;

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(FORMAT_VERSION)
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if version == FORMAT_VERSION {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(format!(
                "snapshot format {version} is not supported (this release reads format {FORMAT_VERSION})"
            )))
        }
    }
}

/// Who and what an execution is: the fields of the context object's `Execution` and
/// `StateMachine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub input: Arc<Value>,
    pub start_time: Millis,
    /// An Express execution: its ARN reads `...:express:...` and it cannot be redriven, so the
    /// context object has no `RedriveCount`.
    #[serde(default)]
    pub express: bool,
    /// A context object given whole by the caller (TestState's `context`): `$$` is this
    /// instead of the one built from the fields above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Arc<Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Running,
    Succeeded { output: Value },
    Failed { failure: Failure },
    TimedOut { failure: Failure },
    Aborted { failure: Failure },
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded { .. } => "SUCCEEDED",
            Self::Failed { .. } => "FAILED",
            Self::TimedOut { .. } => "TIMED_OUT",
            Self::Aborted { .. } => "ABORTED",
        }
    }

    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Running)
    }
}

/// Options fixed when an execution starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Record history events (the context's `#N` event ids are counted either way).
    pub record_history: bool,
    /// The most state transitions one `step` performs before it yields (so no call runs
    /// unbounded, whatever the definition loops through).
    pub max_transitions_per_step: u32,
    /// The largest input or output a state may pass on, in bytes (AWS: 256 KiB).
    pub payload_limit_bytes: usize,
    /// A deployment's cap on how long any execution may run, in seconds: the execution ends
    /// TIMED_OUT (`States.Timeout`) at the earlier of this and the definition's `TimeoutSeconds`.
    #[serde(default)]
    pub max_execution_seconds: Option<u64>,
    /// Task tokens (`$$.Task.Token`) that name their execution, so that a service answering
    /// `SendTaskSuccess` with nothing but the token can find it (see [`super::token`]).
    #[serde(default)]
    pub task_tokens_name_execution: bool,
    /// The most history events an execution may have (Step Functions: 25,000): past it the
    /// execution fails with `States.Runtime`, so a workflow that loops forever ends instead of
    /// growing without bound. Counted whether or not history is recorded.
    #[serde(default)]
    pub max_history_events: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            record_history: true,
            max_transitions_per_step: 10_000,
            payload_limit_bytes: 256 * 1024,
            max_execution_seconds: None,
            task_tokens_name_execution: false,
            max_history_events: None,
        }
    }
}

/// One execution's complete state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: Format,
    /// Incremented by every `step`: the store's optimistic-concurrency token.
    pub version: u64,
    pub execution: ExecutionInfo,
    pub options: Options,
    pub status: Status,
    /// Live threads. A `BTreeMap` so a snapshot serializes the same way every time; boxed, so
    /// that the map's nodes (eleven slots each) stay small and a thread moves in and out of it
    /// as a pointer.
    pub(crate) threads: BTreeMap<ThreadId, Box<Thread>>,
    pub(crate) ready: VecDeque<ThreadId>,
    /// Outstanding tasks and timers, by id, with the thread they wake.
    pub(crate) waits: BTreeMap<u64, Waiter>,
    pub(crate) next_id: u64,
    /// The id of the last history event (recorded or not).
    pub(crate) event_id: u64,
    pub history: Vec<HistoryEvent>,
    /// State of the deterministic random generator (`States.UUID`, jitter).
    pub(crate) rng: u64,
    pub(crate) stop_time: Option<Millis>,
    /// States entered so far.
    pub transitions: u64,
    /// Workflow variable scopes: the top level is scope 0; each Parallel branch and Map
    /// iteration has its own, whose parent is the scope it was started from.
    #[serde(default)]
    pub(crate) scopes: BTreeMap<u64, VariableScope>,
    /// What the inspected state did with its data, for an execution started with
    /// [`super::start_inspected`] (TestState); never stored.
    #[serde(skip)]
    pub inspection: Option<Box<super::Inspection>>,
    /// Where a redrive starts, once the execution ended FAILED, TIMED_OUT or ABORTED: the
    /// top-level state it ended in, and that state's input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) redrive_from: Option<RedrivePoint>,
    /// How often the execution was redriven.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redrive_count: u32,
    /// When it was last redriven.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_time: Option<Millis>,
}

/// The top-level state an unsuccessful execution ended in, and its input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RedrivePoint {
    pub state: StateId,
    pub input: Value,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One scope of workflow variables.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct VariableScope {
    pub parent: Option<u64>,
    pub vars: serde_json::Map<String, Value>,
}

impl Snapshot {
    pub(crate) fn new(execution: ExecutionInfo, options: Options, seed: u64) -> Self {
        Self {
            format: Format,
            version: 0,
            execution,
            options,
            status: Status::Running,
            threads: BTreeMap::new(),
            ready: VecDeque::new(),
            waits: BTreeMap::new(),
            next_id: 0,
            event_id: 0,
            history: Vec::new(),
            rng: seed,
            stop_time: None,
            transitions: 0,
            // The top-level scope (0) is created by its first assignment.
            scopes: BTreeMap::new(),
            inspection: None,
            redrive_from: None,
            redrive_count: 0,
            redrive_time: None,
        }
    }

    /// Whether RedriveExecution can restart it: it ended unsuccessfully in a state.
    pub fn redrivable(&self) -> bool {
        matches!(
            self.status,
            Status::Failed { .. } | Status::TimedOut { .. } | Status::Aborted { .. }
        ) && self.redrive_from.is_some()
    }

    /// The variables assigned at the top level.
    pub fn variables(&self) -> serde_json::Map<String, Value> {
        self.scopes
            .get(&0)
            .map(|scope| scope.vars.clone())
            .unwrap_or_default()
    }

    /// The history's limit, if the history has room for no event but the execution's ending
    /// (nor, then, for a redrive's).
    #[inline]
    pub fn history_limit_reached(&self) -> Option<u64> {
        self.options
            .max_history_events
            .filter(|&max| self.event_id + 1 >= max)
    }

    /// How many history events the execution has had: the id of the last one (also when
    /// history is not recorded, or was taken out of the snapshot to be stored apart).
    pub fn events(&self) -> u64 {
        self.event_id
    }

    /// When the execution ended, if it has.
    pub fn stop_time(&self) -> Option<Millis> {
        self.stop_time
    }

    /// The ids of the timers the execution waits on, with when each is due, earliest first.
    pub fn pending_timers(&self) -> usize {
        self.waits.len()
    }

    /// Whether the execution still waits on the task or timer `id` (one it asked for with
    /// [`super::Effect::Invoke`] or [`super::Effect::StartTimer`]); a task that timed out, a
    /// restarted heartbeat's old timer and everything of an ended execution are not awaited.
    pub fn awaits(&self, id: u64) -> bool {
        self.waits.contains_key(&id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Waiter {
    Task(ThreadId),
    TaskTimeout(ThreadId),
    HeartbeatTimeout(ThreadId),
    Timer(ThreadId),
    ExecutionTimeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ParentLink {
    pub thread: ThreadId,
    pub slot: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Thread {
    pub parent: Option<ParentLink>,
    pub branch: BranchId,
    pub state: StateId,
    /// The state's raw input.
    pub input: Value,
    pub entered_event_id: u64,
    pub entered_time: Millis,
    /// Retries used so far, per retrier of the current state.
    pub retries: Vec<u32>,
    /// Retries so far in the current state (`$$.State.RetryCount`).
    pub retry_count: u32,
    /// The thread's variable scope.
    #[serde(default)]
    pub scope: u64,
    pub phase: Phase,
    /// What is known of `input` against the payload limit: it is a state's output that was
    /// measured, or the execution's measured input. Not stored: a thread read back from a
    /// store is measured again.
    #[serde(skip)]
    pub input_measured: Measured,
}

/// What is known of a value against the payload limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Measured {
    /// Nothing: it was not measured.
    #[default]
    No,
    /// It is within the limit.
    Fits,
    /// It is within the limit, and the payload walk's estimate of its text is this many bytes
    /// (at most a sixth of the limit: see [`super::dataflow::measure`]). A value made of it
    /// and of other measured parts can be bounded without walking it again.
    Estimate(usize),
}

impl Measured {
    /// What is known of `value`, or, where nothing is, its measure against `limit`: `None` if
    /// it is over.
    #[inline]
    pub(crate) fn or_measure(self, value: &Value, limit: usize) -> Option<Measured> {
        match self {
            Measured::No => super::dataflow::measure(value, limit),
            known => Some(known),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// About to enter `state`.
    Enter,
    /// Entered; run (or re-run after a retry wait) the state's work.
    Execute,
    /// The state's work produced this raw result; finish the state with it.
    Complete(Value),
    /// The state's work failed; retry, catch or fail.
    Failed(Failure),
    AwaitTask {
        task: u64,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
        /// The task's heartbeat interval, for restarting `heartbeat` on a heartbeat.
        #[serde(default)]
        heartbeat_seconds: Option<u64>,
    },
    /// A Wait state's timer; the value is its output.
    AwaitWait {
        timer: u64,
        output: Value,
    },
    AwaitRetry {
        timer: u64,
    },
    AwaitChildren(Box<Fanout>),
}

impl Phase {
    /// Moves the thread to phase `next`. Entering and exiting every state switches between
    /// the phases that hold no data, which then need no drop.
    #[inline]
    pub(crate) fn set(&mut self, next: Phase) {
        if matches!(self, Phase::Enter | Phase::Execute) {
            std::mem::forget(std::mem::replace(self, next));
        } else {
            *self = next;
        }
    }
}

/// A Parallel or Map state's children.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Fanout {
    pub is_map: bool,
    /// Children running now.
    pub running: usize,
    /// Map only: `ProcessorConfig.Mode` is `DISTRIBUTED` (Map Run events, no iteration events).
    pub distributed: bool,
    pub results: Vec<Value>,
    pub pending: usize,
    /// Map only: the item inputs not yet started, in order, and the next index.
    pub queued: VecDeque<Value>,
    pub next_index: usize,
    pub max_concurrency: usize,
    pub failures: u64,
    /// The most failures tolerated (Map), `u64::MAX` for any number.
    pub tolerated: Option<u64>,
    pub total: usize,
}
