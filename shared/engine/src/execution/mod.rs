//! The interpreter: a pure, deterministic step function over an execution [`Snapshot`].
//!
//! `step(machine, snapshot, event, now)` applies one [`Event`] (the start, a task's outcome, a
//! timer) and runs every thread of control as far as it can go without waiting, returning the
//! [`Effect`]s a driver must carry out: invoke a task, wake the execution at a time, or report
//! that it ended. It never sleeps, reads a clock or a random generator, or does I/O, so an
//! execution can stop after any step, be stored, and continue in another process.
//!
//! ```
//! use quickstep_engine::definition::StateMachine;
//! use quickstep_engine::execution::{self, Effect, Event, ExecutionInfo, Options};
//! use serde_json::json;
//!
//! let machine = StateMachine::from_json(&json!({
//!     "StartAt": "Hello",
//!     "States": {"Hello": {"Type": "Pass", "Result": "world", "ResultPath": "$.hello", "End": true}}
//! })).unwrap();
//! let info = ExecutionInfo::local("demo", "run-1", json!({"a": 1}), 0);
//! let (snapshot, effects) = execution::start(&machine, info, Options::default(), 42, 0);
//! assert!(matches!(effects.last(), Some(Effect::Finished)));
//! assert_eq!(snapshot.status.name(), "SUCCEEDED");
//! ```

mod context;
mod dataflow;
mod fanout;
mod history;
mod inspection;
mod jsonata_eval;
mod record;
mod snapshot;
mod states;
mod stepper;
mod task;
pub mod token;
mod variables;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use history::HistoryEvent;
pub use inspection::{start_inspected, FanoutMock, Inspection};
pub use snapshot::{ExecutionInfo, Millis, Options, Snapshot, Status, FORMAT_VERSION};

use crate::definition::StateMachine;
use crate::failure::Failure;

/// Something that happened to an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A task effect succeeded with this raw result.
    TaskSucceeded { task: u64, output: Value },
    /// A task effect failed.
    TaskFailed { task: u64, failure: Failure },
    /// A timer asked for with [`Effect::StartTimer`] is due.
    TimerFired { timer: u64 },
    /// `SendTaskHeartbeat` for a task that waits for its token: its `HeartbeatSeconds` start
    /// again (a new [`Effect::StartTimer`]; the old timer is void).
    TaskHeartbeat { task: u64 },
    /// Continue after [`Effect::Yield`].
    Resume,
    /// Stop the execution (`ABORTED`), as `StopExecution` does.
    Stop { failure: Failure },
    /// End the execution `FAILED` from outside the workflow: its driver can no longer carry it
    /// on (a step that kept failing, a record over the store's limit). Recorded as
    /// `ExecutionFailed`, so the history, the snapshot and the status always agree.
    Fail { failure: Failure },
    /// End the execution `TIMED_OUT` from outside the workflow: its driver ran out of time (a
    /// synchronous execution at its invocation's deadline). Recorded as `ExecutionTimedOut`.
    TimeOut { failure: Failure },
}

/// A task for the driver to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub task: u64,
    pub state_name: String,
    pub resource: String,
    /// The effective parameters.
    pub input: Value,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    pub credentials: Option<Value>,
    pub retry_count: u32,
    /// For `.waitForTaskToken` tasks: the token the outside world answers with.
    pub task_token: Option<String>,
}

impl TaskRequest {
    /// A request for `resource` with `input` from state `state_name`: a first attempt, with no
    /// timeout, heartbeat, credentials or task token (what tests and tools usually need).
    pub fn new(task: u64, state_name: &str, resource: &str, input: Value) -> Self {
        Self {
            task,
            state_name: state_name.to_owned(),
            resource: resource.to_owned(),
            input,
            timeout_seconds: None,
            heartbeat_seconds: None,
            credentials: None,
            retry_count: 0,
            task_token: None,
        }
    }
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// Run a task and report its outcome with [`Event::TaskSucceeded`] or [`Event::TaskFailed`].
    Invoke(Box<TaskRequest>),
    /// Send [`Event::TimerFired`] at (or after) `at`.
    StartTimer { timer: u64, at: Millis },
    /// The step stopped early to stay bounded; send [`Event::Resume`].
    Yield,
    /// The execution ended; its status is in the snapshot.
    Finished,
}

impl ExecutionInfo {
    /// Execution details for a local run, with ARNs shaped like AWS's.
    pub fn local(state_machine_name: &str, name: &str, input: Value, start_time: Millis) -> Self {
        const REGION_ACCOUNT: &str = "us-east-1:123456789012";
        Self {
            execution_arn: format!(
                "arn:aws:states:{REGION_ACCOUNT}:execution:{state_machine_name}:{name}"
            ),
            name: name.to_owned(),
            state_machine_arn: format!(
                "arn:aws:states:{REGION_ACCOUNT}:stateMachine:{state_machine_name}"
            ),
            state_machine_name: state_machine_name.to_owned(),
            role_arn: "arn:aws:iam::123456789012:role/quickstep".to_owned(),
            input: std::sync::Arc::new(input),
            start_time,
            express: false,
            context: None,
        }
    }

    /// Execution details for a local Express execution: AWS names those
    /// `arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:ID`.
    pub fn local_express(
        state_machine_name: &str,
        name: &str,
        id: &str,
        input: Value,
        start_time: Millis,
    ) -> Self {
        let mut info = Self::local(state_machine_name, name, input, start_time);
        info.execution_arn = info.execution_arn.replace(":execution:", ":express:") + ":" + id;
        info.express = true;
        info
    }
}

/// Starts an execution: records `ExecutionStarted` and runs as far as possible.
/// `seed` initialises the execution's deterministic random generator.
pub fn start(
    machine: &StateMachine,
    execution: ExecutionInfo,
    options: Options,
    seed: u64,
    now: Millis,
) -> (Snapshot, Vec<Effect>) {
    let mut snapshot = Snapshot::new(execution, options, seed);
    let effects = stepper::Stepper::new(machine, &mut snapshot, now).start();
    (snapshot, effects)
}

/// Applies one event and runs as far as possible.
pub fn step(
    machine: &StateMachine,
    mut snapshot: Snapshot,
    event: Event,
    now: Millis,
) -> (Snapshot, Vec<Effect>) {
    let effects = step_in_place(machine, &mut snapshot, event, now);
    (snapshot, effects)
}

/// Starts an execution that ended FAILED, TIMED_OUT or ABORTED again from the top-level state
/// it ended in (see [`Snapshot::redrivable`]); says why not if it cannot be.
pub fn redrive(
    machine: &StateMachine,
    snapshot: &mut Snapshot,
    now: Millis,
) -> Result<Vec<Effect>, String> {
    stepper::Stepper::new(machine, snapshot, now).redrive()
}

/// [`step`] without moving the snapshot.
pub fn step_in_place(
    machine: &StateMachine,
    snapshot: &mut Snapshot,
    event: Event,
    now: Millis,
) -> Vec<Effect> {
    stepper::Stepper::new(machine, snapshot, now).handle(event)
}

#[cfg(test)]
mod tests;
