//! TestState: one state run in isolation, as Step Functions' TestState runs it.
//!
//! The state (given alone, or as `stateName` of a whole state machine) runs as the first state
//! of a small state machine of its own, in which every state it can go to (`Next`, a Choice's
//! rules and `Default`, a Catcher's `Next`) is a `Succeed` state, on the real engine: its data
//! processing, errors and Catch are the engine's own. What it did is read back from the
//! history and from the engine's inspection of the state ([`quickstep_engine::execution::Inspection`]).
//! Two things are not run but decided, as TestState decides them: a failure that a Retrier
//! matches with attempts left ends `RETRIABLE` (so the Retrier is taken out of the run), and a
//! Wait state does not wait (it runs as a Pass state with the same paths). A Map or Parallel
//! state runs only mocked ([`mocks`]): the engine evaluates its input and items as usual, then
//! ends it with the mocked result or error instead of running its iterations or branches.

use std::sync::Arc;

use quickstep_engine::definition::{error_matches, StateKind, StateMachine};
use quickstep_engine::execution::{
    start_inspected, ExecutionInfo, FanoutMock, HistoryEvent, Inspection, Options, TaskRequest,
};
use quickstep_engine::failure::Failure;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::driver::LocalDriver;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use serde_json::{json, Map, Value};

use super::fault::Fault;
use super::request::{optional_text, required_text};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;
use mocks::{Mock, FANOUT};

mod context;
mod mocks;

/// The name a state given alone runs under.
const DEFAULT_NAME: &str = "TestState";
/// Bounds on the run: what is read back ends when the next state is entered, so a state that
/// goes back to itself (or an `End` state's end) is past it within a few transitions.
const MAX_STEPS: u64 = 20;
const MAX_TRANSITIONS_PER_STEP: u32 = 10;
const MAX_HISTORY_EVENTS: u64 = 200;
/// The state types TestState runs here.
const RUNNABLE: &[&str] = &[
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Map", "Parallel",
];

/// What the test's Task calls answer with: the request's mock, or the service's own invoker.
enum Answer {
    Result(Value),
    Error(Failure),
    Real(Arc<dyn TaskInvoker>),
}

impl TaskInvoker for Answer {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        match self {
            Self::Result(value) => Invocation::Ready(Ok(value.clone())),
            Self::Error(failure) => Invocation::Ready(Err(failure.clone())),
            Self::Real(invoker) => invoker.invoke(request),
        }
    }
}

/// The state under test, and the small machine it runs in.
struct Setup {
    name: String,
    state: Value,
    language: Option<Value>,
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(super) async fn test_state(&self, request: &Value) -> Result<Value, Fault> {
        let setup = setup(request)?;
        let level = inspection_level(request)?;
        let input = json_field(request, "input")?.unwrap_or_else(|| json!({}));
        let variables = match json_field(request, "variables")? {
            None => Map::new(),
            Some(Value::Object(vars)) => vars,
            Some(_) => return Err(Fault::validation("'variables' must be a JSON object")),
        };
        let kind = setup
            .state
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mock = mocks::mock(request)?;
        mocks::check(kind, &setup.state, mock.as_ref(), request)?;
        let given_context = context::context(request, mock.is_some(), &setup.state)?;
        let retry_count = u32::try_from(mocks::configured_count(request, "retrierRetryCount")?)
            .unwrap_or(u32::MAX);
        let iteration_failures = mocks::configured_count(request, "mapIterationFailureCount")?;
        let fanout = FANOUT.contains(&kind);
        let mut inspection = Inspection::of(&setup.name);
        let answer = match &mock {
            Some(mock) if fanout => {
                inspection.fanout_mock = Some(FanoutMock {
                    outcome: mock.outcome(),
                    iteration_failures,
                });
                Answer::Real(Arc::clone(&self.invoker))
            }
            Some(Mock::Result(value)) => Answer::Result(value.clone()),
            Some(Mock::Error(failure)) => Answer::Error(failure.clone()),
            None => Answer::Real(Arc::clone(&self.invoker)),
        };
        let mocked = mock.is_some();

        // The state as written (for its Retriers and Catchers) and as it runs.
        let written = machine_of(&setup, &setup.state)?;
        let runs = machine_of(&setup, &runnable(&setup.state, mocked))?;
        let started = self.clock.now();
        let mut info = ExecutionInfo::local("TestState", "test", input.clone(), started);
        info.context = given_context.map(Arc::new);
        let (snapshot, effects) = start_inspected(
            &runs,
            info,
            Options {
                max_transitions_per_step: MAX_TRANSITIONS_PER_STEP,
                max_history_events: Some(MAX_HISTORY_EVENTS),
                ..Options::default()
            },
            self.ids.seed(),
            started,
            inspection,
            variables,
        );
        let driver = LocalDriver::new(Arc::new(runs), Arc::new(answer), Clock::virtual_at(started))
            .with_max_steps(MAX_STEPS);
        let run = driver.run_started(snapshot, effects).await;
        let mut outcome = Outcome::read(&run.snapshot.history, &setup.name);
        let inspection = run.snapshot.inspection.as_deref();
        // The engine's record of the state's error, where one event does not carry it (a
        // Map or Parallel state's failure is in no event of its own).
        if let Some(failure) = inspection.and_then(|i| i.failure.as_ref()) {
            outcome.failure = Some((
                failure.error.clone().unwrap_or_default(),
                failure.cause.clone(),
            ));
        }

        let state = &written.top().states[written.top().start_at];
        let (retriers, catchers) = match &state.kind {
            StateKind::Task(t) => (t.retry.as_slice(), t.catch.as_slice()),
            StateKind::Parallel(p) => (p.retry.as_slice(), p.catch.as_slice()),
            StateKind::Map(m) => (m.retry.as_slice(), m.catch.as_slice()),
            _ => (&[][..], &[][..]),
        };
        let mut body = json!({});
        let mut error_details = json!({});
        match &outcome.failure {
            Some((error, cause)) => {
                body["error"] = json!(error);
                if let Some(cause) = cause {
                    body["cause"] = json!(cause);
                }
                let retrier = retriers
                    .iter()
                    .position(|r| error_matches(&r.error_equals, error));
                match retrier.map(|i| (i, &retriers[i])) {
                    Some((index, r)) if retry_count < r.max_attempts => {
                        body["status"] = json!("RETRIABLE");
                        error_details["retryIndex"] = json!(index);
                        #[allow(clippy::cast_precision_loss)]
                        let seconds = r.delay_ms(retry_count, 0.0) as f64 / 1000.0;
                        error_details["retryBackoffIntervalSeconds"] = json!(seconds);
                    }
                    _ => match &outcome.next {
                        Some((next, next_input)) => {
                            body["status"] = json!("CAUGHT_ERROR");
                            body["nextState"] = json!(next);
                            body["output"] = json!(next_input);
                            if let Some(index) = catchers
                                .iter()
                                .position(|c| error_matches(&c.error_equals, error))
                            {
                                error_details["catchIndex"] = json!(index);
                            }
                        }
                        None => body["status"] = json!("FAILED"),
                    },
                }
            }
            None => {
                body["status"] = json!("SUCCEEDED");
                if let Some(output) = &outcome.output {
                    body["output"] = json!(output);
                }
                if let Some((next, _)) = &outcome.next {
                    body["nextState"] = json!(next);
                }
            }
        }
        if level != "INFO" {
            let mut data = json!({"input": input.to_string()});
            if let Some(inspection) = inspection {
                inspection_data(&mut data, inspection, fanout);
            }
            data["variables"] = json!(Value::Object(run.snapshot.variables()).to_string());
            if error_details.as_object().is_some_and(|d| !d.is_empty()) {
                data["errorDetails"] = error_details;
            }
            body["inspectionData"] = data;
        }
        Ok(body)
    }
}

/// The inspection's data as TestState's `inspectionData` has it: each stage's data as a string
/// of JSON, a Map state's limits as numbers. A Map or Parallel state shows no `result` (it is
/// the mock).
fn inspection_data(data: &mut Value, inspection: &Inspection, fanout: bool) {
    let result = if fanout { &None } else { &inspection.result };
    for (field, value) in [
        ("afterInputPath", &inspection.after_input_path),
        ("afterParameters", &inspection.after_parameters),
        ("afterArguments", &inspection.after_arguments),
        ("afterItemsPath", &inspection.after_items_path),
        ("afterItemSelector", &inspection.after_item_selector),
        ("afterItemBatcher", &inspection.after_item_batcher),
        ("result", result),
        ("afterResultSelector", &inspection.after_result_selector),
        ("afterResultPath", &inspection.after_result_path),
    ] {
        if let Some(value) = value {
            data[field] = json!(value.to_string());
        }
    }
    if let Some(n) = inspection.max_concurrency {
        data["maxConcurrency"] = json!(n);
    }
    if let Some(n) = inspection.tolerated_failure_count {
        data["toleratedFailureCount"] = json!(n);
    }
    if let Some(p) = inspection.tolerated_failure_percentage {
        data["toleratedFailurePercentage"] = json!(p);
    }
}

/// What the run's history says the state did.
#[derive(Debug, Default)]
struct Outcome {
    /// The state's output, if it exited.
    output: Option<String>,
    /// The first failure, with its cause.
    failure: Option<(String, Option<String>)>,
    /// The state entered next, with its input.
    next: Option<(String, String)>,
}

impl Outcome {
    fn read(history: &[HistoryEvent], name: &str) -> Self {
        let mut outcome = Self::default();
        let mut entered = false;
        for event in history {
            let details = event.details.as_ref();
            let detail = |object: &str, field: &str| {
                details
                    .and_then(|d| d.get(object))
                    .and_then(|d| d.get(field))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let kind = event.kind.as_str();
            if kind.ends_with("StateEntered") {
                let state = event.name.as_deref().unwrap_or_default();
                if entered {
                    let input = detail("stateEnteredEventDetails", "input").unwrap_or_default();
                    outcome.next = Some((state.to_owned(), input));
                    break;
                }
                entered = state == name;
            } else if kind.ends_with("StateExited") && event.name.as_deref() == Some(name) {
                outcome.output = detail("stateExitedEventDetails", "output");
            } else if outcome.failure.is_none() && kind.ends_with("Failed") {
                // `taskFailedEventDetails`, `executionFailedEventDetails`, …: the one object.
                let failed = details
                    .and_then(Value::as_object)
                    .and_then(|d| d.values().next());
                let text = |field: &str| {
                    failed
                        .and_then(|f| f.get(field))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                if let Some(error) = text("error") {
                    outcome.failure = Some((error, text("cause")));
                }
            }
        }
        outcome
    }
}

/// The state under test, from `definition` (a state, or a state machine with `stateName`).
fn setup(request: &Value) -> Result<Setup, Fault> {
    let text = required_text(request, "definition")?;
    let definition: Value = serde_json::from_str(text).map_err(|e| {
        Fault::client(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {e} at /'"),
        )
    })?;
    let asked = optional_text(request, "stateName")?;
    let (name, state, language) = match definition.get("States") {
        Some(Value::Object(states)) => {
            let name = asked.ok_or_else(|| {
                Fault::validation("'stateName' is required when the definition is a state machine")
            })?;
            let state = states
                .get(&name)
                .cloned()
                .ok_or_else(|| Fault::validation("State not found in definition"))?;
            (name, state, definition.get("QueryLanguage").cloned())
        }
        _ => (
            asked.unwrap_or_else(|| DEFAULT_NAME.to_owned()),
            definition,
            None,
        ),
    };
    let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
    if !RUNNABLE.contains(&kind) {
        return Err(Fault::validation(format!(
            "quickstep's TestState runs {} states; '{name}' is {}",
            RUNNABLE.join(", "),
            if kind.is_empty() {
                "not a state (no Type)".to_owned()
            } else {
                format!("a {kind} state")
            }
        )));
    }
    Ok(Setup {
        name,
        state,
        language,
    })
}

/// The state as it runs: no Retriers (their decision is made without running them), a Wait
/// that does not wait, and a mocked callback Task answered by its mock.
fn runnable(state: &Value, mocked: bool) -> Value {
    let mut state = state.clone();
    let Some(fields) = state.as_object_mut() else {
        return state;
    };
    fields.remove("Retry");
    if fields.get("Type").and_then(Value::as_str) == Some("Wait") {
        fields.insert("Type".into(), json!("Pass"));
        for field in ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"] {
            fields.remove(field);
        }
    }
    if mocked {
        if let Some(Value::String(resource)) = fields.get_mut("Resource") {
            if let Some(called) = resource.strip_suffix(".waitForTaskToken") {
                *resource = called.to_owned();
            }
        }
        for field in [
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
        ] {
            fields.remove(field);
        }
    }
    state
}

/// A state machine of the state and a `Succeed` state for each state it can go to.
fn machine_of(setup: &Setup, state: &Value) -> Result<StateMachine, Fault> {
    let mut states = Map::new();
    for target in targets(state) {
        if target != setup.name {
            states.insert(target, json!({"Type": "Succeed"}));
        }
    }
    states.insert(setup.name.clone(), state.clone());
    let mut machine = json!({"StartAt": setup.name, "States": states});
    if let Some(language) = &setup.language {
        machine["QueryLanguage"] = language.clone();
    }
    StateMachine::from_json(&machine).map_err(|problems| Fault::invalid_definition(&problems))
}

/// Every state name the state can go to.
fn targets(state: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |value: Option<&Value>| {
        if let Some(Value::String(name)) = value {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = state.get(list) {
            for item in items {
                add(item.get("Next"));
            }
        }
    }
    names
}

/// `inspectionLevel`: `INFO` (the default), `DEBUG` or `TRACE`.
fn inspection_level(request: &Value) -> Result<String, Fault> {
    match optional_text(request, "inspectionLevel")?.as_deref() {
        None => Ok("INFO".to_owned()),
        Some(level @ ("INFO" | "DEBUG" | "TRACE")) => Ok(level.to_owned()),
        Some(other) => Err(Fault::validation(format!(
            "1 validation error detected: Value '{other}' at 'inspectionLevel' failed to satisfy \
             constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
        ))),
    }
}

/// A field that holds a string of JSON (`input`, `variables`).
fn json_field(request: &Value, field: &str) -> Result<Option<Value>, Fault> {
    match optional_text(request, field)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Fault::client(
                "InvalidExecutionInput",
                format!("Invalid '{field}': it is not JSON: {e}"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_every_next() {
        let state = json!({"Type": "Choice", "Choices": [{"Next": "A"}, {"Next": "B"}, {"Next": "A"}],
            "Default": "C"});
        assert_eq!(targets(&state), ["C", "A", "B"]);
        let task = json!({"Type": "Task", "Next": "N", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]});
        assert_eq!(targets(&task), ["N", "H"]);
    }

    #[test]
    fn a_wait_runs_as_a_pass_and_retriers_are_left_out() {
        let wait = runnable(&json!({"Type": "Wait", "Seconds": 5, "Next": "N"}), false);
        assert_eq!(wait, json!({"Type": "Pass", "Next": "N"}));
        let task = runnable(
            &json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Retry": [], "TimeoutSeconds": 5, "End": true}),
            true,
        );
        assert_eq!(
            task,
            json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true})
        );
    }
}
