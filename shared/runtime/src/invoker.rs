//! The task invoker port: runs a Task state's resource with its effective parameters.

use std::future::Future;
use std::pin::Pin;

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_engine::validate::ResourceKind;
use serde_json::Value;

/// A task's outcome: its raw result, or the failure the workflow sees.
pub type TaskOutcome = Result<Value, Failure>;

/// How an invoker answers: at once (mocks), or later (real calls).
pub enum Invocation {
    Ready(TaskOutcome),
    Pending(Pin<Box<dyn Future<Output = TaskOutcome> + Send + 'static>>),
}

/// Runs tasks. Implementations map their own errors to [`Failure`]s with AWS's error names;
/// nothing else crosses this port.
pub trait TaskInvoker: Send + Sync {
    fn invoke(&self, request: &TaskRequest) -> Invocation;

    /// Whether this invoker can run a Task's resource of this kind, as the definition's check
    /// recognized it (for a callback task, what it calls: [`ResourceKind::called`]); a service
    /// refuses to store a state machine with a Task it could never run. Mocks serve anything.
    fn supports(&self, _kind: &ResourceKind) -> bool {
        true
    }

    /// Whether this invoker's outcome for the `.waitForTaskToken` task `request` is already
    /// its answer (a mock's, as Step Functions Local answers mocked callback tasks at once),
    /// rather than the resource's reply before the wait for the token.
    fn answers_callbacks(&self, _request: &TaskRequest) -> bool {
        false
    }
}
