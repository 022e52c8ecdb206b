//! Nested executions: the Task resource `arn:aws:states:::states:startExecution` starts an
//! asynchronous execution of a state machine of this deployment, as Step Functions' optimized
//! integration starts one of another state machine, and answers with StartExecution's response.
//!
//! The service runs this resource itself (it owns the store and the step queue); every other
//! resource goes to the deployment's [`TaskInvoker`]. `.waitForTaskToken` works as for any
//! resource (see [`crate::callback`]): the parent passes `$$.Task.Token` in the child's input
//! and waits until someone answers it. The `.sync` and `.sync:2` variants (wait for the child
//! to end) are not offered, as Express offers none, so a definition using them is refused when
//! it is stored.
//!
//! At least once: a step redelivered after a crash asks to start the same child again. A child
//! without a `Name` is therefore named after its parent execution and the task attempt, so the
//! repeated start returns the first child instead of starting a second.

use std::sync::Arc;

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::{names, Failure};
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::invoker::{Invocation, TaskInvoker, TaskOutcome};
use quickstep_runtime::mock::MockInvoker;
use serde_json::{json, Value};

use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::valid_execution_name;
use crate::resources::{runs, START_EXECUTION};
use crate::service::Service;

/// The invoker an execution's tasks go to: nested starts to the service, the rest to the
/// deployment's invoker.
pub(crate) struct Tasks<S, Q, P> {
    service: Service<S, Q, P>,
    /// The execution whose tasks these are (it names unnamed children).
    parent_arn: String,
    /// How deep the parent is in a chain of starts.
    depth: u32,
    /// The parent's test case, when it was started on one (`quickstep serve --mock-config`).
    mocks: Option<Arc<MockInvoker>>,
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// The task invoker for the execution `parent_arn`.
    pub(crate) fn tasks_of(&self, parent_arn: &str, depth: u32) -> Arc<dyn TaskInvoker> {
        Arc::new(Tasks {
            service: self.clone(),
            parent_arn: parent_arn.to_owned(),
            depth,
            mocks: self.test_cases.as_ref().and_then(|t| t.of(parent_arn)),
        })
    }

    /// Starts the child execution `parameters` (StartExecution's request) asks for.
    async fn start_child(&self, parameters: &Value, default_name: &str, depth: u32) -> TaskOutcome {
        // From the service's ids, not a random source of its own: a simulation replays it.
        let request_id = self.ids.execution_name();
        let request_id = request_id.as_str();
        let request = ChildRequest::of(parameters, &self.config.state_machine_arn(""), request_id)?;
        if depth > self.config.max_nesting_depth {
            return Err(sfn_error(
                "ExecutionLimitExceeded",
                &format!(
                    "Execution Limit Exceeded: executions may nest at most {} deep \
                     (a workflow that starts itself ends here)",
                    self.config.max_nesting_depth
                ),
                request_id,
            ));
        }
        let name = request.name.unwrap_or_else(|| default_name.to_owned());
        match self
            .start_async_at(&request.machine, Some(&name), request.input, depth)
            .await
        {
            Ok(started) => Ok(json!({
                "ExecutionArn": started.execution_arn,
                "SdkHttpMetadata": {"HttpStatusCode": 200},
                "SdkResponseMetadata": {"RequestId": request_id},
                "StartDate": started.start_date,
            })),
            Err(ServiceError::NotFound(_)) => Err(sfn_error(
                "StateMachineDoesNotExist",
                &format!("State Machine Does Not Exist: '{}'", request.arn),
                request_id,
            )),
            Err(ServiceError::PayloadTooLarge(message) | ServiceError::BadRequest(message)) => {
                Err(sfn_error("InvalidExecutionInput", &message, request_id))
            }
            Err(e) => Err(sfn_error("ServiceException", &e.to_string(), request_id)),
        }
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> TaskInvoker for Tasks<S, Q, P> {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        if let Some(mocks) = self.mocks.as_ref().filter(|m| m.mocks(&request.state_name)) {
            return mocks.invoke(request);
        }
        if request.resource != START_EXECUTION {
            return self.service.invoker.invoke(request);
        }
        let service = self.service.clone();
        let parameters = request.input.clone();
        let default_name = child_name(&self.parent_arn, request);
        let depth = self.depth.saturating_add(1);
        Invocation::Pending(Box::pin(async move {
            service.start_child(&parameters, &default_name, depth).await
        }))
    }

    fn supports(&self, kind: &ResourceKind) -> bool {
        runs(kind) || self.service.invoker.supports(kind)
    }

    fn answers_callbacks(&self, request: &TaskRequest) -> bool {
        match self.mocks.as_ref().filter(|m| m.mocks(&request.state_name)) {
            Some(mocks) => mocks.answers_callbacks(request),
            // As `invoke`: the service's invoker answers what no test case mocks.
            None => {
                request.resource != START_EXECUTION
                    && self.service.invoker.answers_callbacks(request)
            }
        }
    }
}

/// StartExecution's request, checked.
struct ChildRequest {
    arn: String,
    machine: String,
    name: Option<String>,
    input: Value,
}

impl ChildRequest {
    /// Reads the parameters; `prefix` is this deployment's state machine ARN without a name.
    fn of(parameters: &Value, prefix: &str, request_id: &str) -> Result<Self, Failure> {
        let arn = match parameters.get("StateMachineArn") {
            Some(Value::String(arn)) => arn.clone(),
            _ => return Err(Failure::new(
                names::RUNTIME,
                "The parameters of states:startExecution must include 'StateMachineArn', a string",
            )),
        };
        // A state machine of this deployment: its ARN is the prefix and a name (a version or
        // alias suffix, `:1` or `:prod`, is not supported and names no state machine).
        let Some(machine) = arn.strip_prefix(prefix).filter(|n| !n.is_empty()) else {
            return Err(
                if arn.starts_with("arn:") && arn.contains(":stateMachine:") {
                    sfn_error(
                        "StateMachineDoesNotExist",
                        &format!("State Machine Does Not Exist: '{arn}'"),
                        request_id,
                    )
                } else {
                    sfn_error("InvalidArn", &format!("Invalid Arn: '{arn}'"), request_id)
                },
            );
        };
        let name = match parameters.get("Name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if valid_execution_name(name) => Some(name.clone()),
            Some(other) => {
                return Err(sfn_error(
                    "InvalidName",
                    &format!("Invalid Name: '{}'", text_of(other)),
                    request_id,
                ))
            }
        };
        // StartExecution takes the input as JSON text; the integration also accepts JSON.
        let input = match parameters.get("Input") {
            None | Some(Value::Null) => json!({}),
            Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
                sfn_error(
                    "InvalidExecutionInput",
                    &format!("Invalid State Machine Execution Input: '{e}'"),
                    request_id,
                )
            })?,
            Some(other) => other.clone(),
        };
        Ok(Self {
            machine: machine.to_owned(),
            arn,
            name,
            input,
        })
    }
}

fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// A StartExecution error as Step Functions reports it to the workflow: the exception's name
/// under `StepFunctions.`, and a cause in the shape the service's Java client gives it.
fn sfn_error(code: &str, message: &str, request_id: &str) -> Failure {
    Failure::new(
        format!("StepFunctions.{code}Exception"),
        format!(
            "{message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
        ),
    )
}

/// A child's name when the Task gives none: derived from the parent execution and the task
/// attempt, so a repeated start of the same attempt names the same child. UUID-shaped, as AWS
/// names unnamed executions.
fn child_name(parent_arn: &str, request: &TaskRequest) -> String {
    let seed = format!("{parent_arn}\n{}\n{}", request.task, request.retry_count);
    let hex = quickstep_engine::digest::hex_digest("SHA-256", seed.as_bytes()).unwrap_or_default();
    let bytes = u128::from_str_radix(hex.get(..32).unwrap_or("0"), 16).unwrap_or(0);
    uuid::Builder::from_random_bytes(bytes.to_be_bytes())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::START_EXECUTION;

    const PREFIX: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:";

    #[test]
    fn the_request_is_read_as_start_execution_reads_it() {
        let r = ChildRequest::of(
            &json!({"StateMachineArn": format!("{PREFIX}Child"), "Input": "{\"a\":1}", "Name": "n-1"}),
            PREFIX,
            "req-1",
        )
        .unwrap();
        assert_eq!(
            (r.machine.as_str(), r.name.as_deref()),
            ("Child", Some("n-1"))
        );
        assert_eq!(r.input, json!({"a": 1}));
        let r = ChildRequest::of(
            &json!({"StateMachineArn": format!("{PREFIX}Child"), "Input": {"b": [2]}}),
            PREFIX,
            "req-1",
        )
        .unwrap();
        assert_eq!((r.name, r.input), (None, json!({"b": [2]})));
        let r = ChildRequest::of(
            &json!({"StateMachineArn": format!("{PREFIX}Child")}),
            PREFIX,
            "req-1",
        )
        .unwrap();
        assert_eq!(r.input, json!({}));
    }

    #[test]
    fn bad_requests_fail_with_step_functions_error_names() {
        let cases = [
            (json!({}), names::RUNTIME),
            (
                json!({"StateMachineArn": "nope"}),
                "StepFunctions.InvalidArnException",
            ),
            (
                json!({"StateMachineArn": "arn:aws:states:eu-west-1:999999999999:stateMachine:X"}),
                "StepFunctions.StateMachineDoesNotExistException",
            ),
            (
                json!({"StateMachineArn": format!("{PREFIX}X"), "Name": "has space"}),
                "StepFunctions.InvalidNameException",
            ),
            (
                json!({"StateMachineArn": format!("{PREFIX}X"), "Name": "x".repeat(81)}),
                "StepFunctions.InvalidNameException",
            ),
            (
                json!({"StateMachineArn": format!("{PREFIX}X"), "Input": "{not json"}),
                "StepFunctions.InvalidExecutionInputException",
            ),
        ];
        for (parameters, error) in cases {
            let Err(failure) = ChildRequest::of(&parameters, PREFIX, "req-1") else {
                panic!("{parameters} must be refused");
            };
            assert_eq!(failure.error_name(), error, "{parameters}");
            if error.starts_with("StepFunctions.") {
                assert!(
                    failure
                        .cause
                        .as_deref()
                        .is_some_and(|c| c.contains("Request ID: req-1;")),
                    "the request id the service's ids gave: {failure:?}"
                );
            }
        }
    }

    #[test]
    fn an_unnamed_child_is_named_by_its_parent_and_attempt() {
        let request = |task, retry_count| TaskRequest {
            retry_count,
            ..TaskRequest::new(task, "Start", START_EXECUTION, json!({}))
        };
        let a = child_name("arn:p1", &request(3, 0));
        assert_eq!(a, child_name("arn:p1", &request(3, 0)));
        assert_ne!(a, child_name("arn:p2", &request(3, 0)));
        assert_ne!(a, child_name("arn:p1", &request(4, 0)));
        assert_ne!(a, child_name("arn:p1", &request(3, 1)));
        assert!(
            valid_execution_name(&a) && uuid::Uuid::parse_str(&a).is_ok(),
            "{a}"
        );
    }
}
