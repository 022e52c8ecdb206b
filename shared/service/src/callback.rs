//! The callback pattern on asynchronous executions: a Task whose resource ends in
//! `.waitForTaskToken` calls its resource (request–response, with `$$.Task.Token` in its
//! parameters), then waits until someone answers with the token: `SendTaskSuccess`,
//! `SendTaskFailure`, or `SendTaskHeartbeat` to keep its `HeartbeatSeconds` from running out.
//!
//! Step Functions Express offers no callbacks; quickstep's asynchronous executions do, since
//! each waits in its stored record, not in a running process. A synchronous execution cannot
//! wait, so one of a state machine with callback tasks is refused (see [`Service::start_sync`]).
//!
//! Tokens name their execution ([`quickstep_engine::execution::token`]), so an answer costs one read
//! and one conditional write of that execution's record, plus the step message if the
//! execution has more to do, as a worker step does. The errors are Step Functions': a token
//! this deployment did not make, or of an execution it no longer keeps, is `InvalidToken`; one
//! whose task no longer waits (answered, timed out, caught, or the execution ended) is
//! `TaskTimedOut`; an output that is not JSON is `InvalidOutput`.

use quickstep_engine::execution::{token, Event};
use quickstep_engine::failure::Failure;
use serde_json::Value;

use crate::commit::{apply, Action, Applied, Committed};
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;

/// Step Functions' limits on `SendTask*` fields.
const MAX_TOKEN_CHARS: usize = 2048;
const MAX_ERROR_CHARS: usize = 256;
const MAX_CAUSE_CHARS: usize = 32_768;

/// An answer to a task that waits for its token.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskAnswer {
    /// `SendTaskSuccess`: the task's result.
    Success(Value),
    /// `SendTaskFailure`: the task's error and cause.
    Failure(Failure),
    /// `SendTaskHeartbeat`: the task is still being worked on.
    Heartbeat,
}

/// Which `SendTask*` request a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAnswerKind {
    Success,
    Failure,
    Heartbeat,
}

/// A `SendTask*` request: its token and answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequestBody {
    pub token: String,
    pub answer: TaskAnswer,
}

impl TaskRequestBody {
    /// Reads the JSON body of `SendTaskSuccess` (`{"taskToken", "output"}`, the output a string
    /// of JSON, as in the Step Functions API), `SendTaskFailure` (`{"taskToken", "error",
    /// "cause"}`) or `SendTaskHeartbeat` (`{"taskToken"}`), by `kind`.
    pub fn read(
        kind: TaskAnswerKind,
        body: &Value,
        payload_limit: usize,
    ) -> Result<Self, ServiceError> {
        let text = |field: &str, max: usize| -> Result<Option<String>, ServiceError> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
                Some(Value::String(_)) => Err(ServiceError::BadRequest(format!(
                    "'{field}' must be at most {max} characters"
                ))),
                Some(_) => Err(ServiceError::BadRequest(format!(
                    "'{field}' must be a string"
                ))),
            }
        };
        let token = text("taskToken", MAX_TOKEN_CHARS)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ServiceError::BadRequest("'taskToken' is required".into()))?;
        let answer = match kind {
            TaskAnswerKind::Success => {
                let output = match body.get("output") {
                    Some(Value::String(s)) => s,
                    Some(_) => {
                        return Err(ServiceError::BadRequest(
                            "'output' must be a string holding the task's JSON output".into(),
                        ))
                    }
                    None => return Err(ServiceError::BadRequest("'output' is required".into())),
                };
                if output.len() > payload_limit {
                    return Err(ServiceError::PayloadTooLarge(format!(
                        "the output is {} bytes, more than the limit of {payload_limit}",
                        output.len()
                    )));
                }
                let value = serde_json::from_str(output).map_err(|e| ServiceError::Refused {
                    name: "InvalidOutput",
                    message: format!("Invalid Output: the output is not valid JSON: {e}"),
                })?;
                TaskAnswer::Success(value)
            }
            TaskAnswerKind::Failure => TaskAnswer::Failure(Failure {
                error: text("error", MAX_ERROR_CHARS)?,
                cause: text("cause", MAX_CAUSE_CHARS)?,
            }),
            TaskAnswerKind::Heartbeat => TaskAnswer::Heartbeat,
        };
        Ok(Self { token, answer })
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Answers the task that waits for `token`, and lets its execution go on.
    pub async fn answer_task(&self, token: &str, answer: TaskAnswer) -> Result<(), ServiceError> {
        let invalid = || ServiceError::Refused {
            name: "InvalidToken",
            message: "Invalid Token: the token was not made by this quickstep deployment, or \
                      its execution is no longer kept"
                .into(),
        };
        let timed_out = || ServiceError::Refused {
            name: "TaskTimedOut",
            message: "Task Timed Out: 'Provided task does not exist anymore'".into(),
        };
        let arn = token::execution_of(token).ok_or_else(invalid)?;
        let Some(mut record) = self.store.get_execution(&arn).await? else {
            return Err(invalid());
        };
        let event = match answer {
            TaskAnswer::Success(output) => Event::TaskSucceeded { task: 0, output },
            TaskAnswer::Failure(failure) => Event::TaskFailed { task: 0, failure },
            TaskAnswer::Heartbeat => Event::TaskHeartbeat { task: 0 },
        };
        let action = Action::Answer {
            token: token.to_owned(),
            event,
        };
        let machine = self
            .machine(&record.state_machine_name, record.revision)
            .await?;
        let expected = record.version();
        let now = self.clock.now();
        if apply(
            &machine,
            &mut record,
            &action,
            now,
            self.config.max_task_dispatches,
        ) == Applied::No
        {
            return Err(timed_out());
        }
        match self.commit(&machine, record, expected, &[action]).await? {
            Committed::Written { .. } => Ok(()),
            // Another writer settled the task first (a timeout, the same answer sent twice).
            Committed::Superseded | Committed::Ended => Err(timed_out()),
        }
    }
}
