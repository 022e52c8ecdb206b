//! Redriving an execution that ended FAILED, TIMED_OUT or ABORTED: it starts again in the
//! top-level state it ended in, with that state's input and the variables it had.
use std::sync::Arc;

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{self, Effect, Event, ExecutionInfo, Options, Snapshot, Status};
use quickstep_engine::failure::Failure;
use serde_json::{json, Value};

const T0: i64 = 1_704_067_200_000;

/// The default options with a payload limit of `bytes`.
fn limited(bytes: usize) -> Options {
    Options {
        payload_limit_bytes: bytes,
        ..Options::default()
    }
}

fn machine() -> StateMachine {
    StateMachine::from_json(&json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Assign": {"order": "{% $states.input.order %}"}, "Output": {"n": 1}, "Next": "Charge"},
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "charge", "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}",
                "Next": "Done"
            },
            "Done": {"Type": "Pass", "Output": {"order": "{% $order %}", "charged": "{% $states.input %}"}, "End": true}
        }
    }))
    .unwrap()
}

fn start(machine: &StateMachine) -> (Snapshot, Vec<Effect>) {
    start_with(machine, json!({"order": 7}), Options::default())
}

fn start_with(machine: &StateMachine, input: Value, options: Options) -> (Snapshot, Vec<Effect>) {
    start_as(machine, input, options, false)
}

fn start_as(
    machine: &StateMachine,
    input: Value,
    options: Options,
    express: bool,
) -> (Snapshot, Vec<Effect>) {
    let info = ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        state_machine_name: "m".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        input: Arc::new(input),
        start_time: T0,
        express,
        context: None,
    };
    execution::start(machine, info, options, 1, T0)
}

/// The one task call among `effects`: its id and input.
fn invoked(effects: &[Effect]) -> (u64, Value) {
    let calls: Vec<(u64, Value)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Invoke(r) => Some((r.task, r.input.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "{effects:?}");
    calls[0].clone()
}

#[test]
fn a_failed_execution_is_redriven_from_the_state_that_failed() {
    let machine = machine();
    let (mut snap, effects) = start(&machine);
    let (task, input) = invoked(&effects);
    let failure = Failure::new("Payments.Down", "try later");
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::TaskFailed { task, failure },
        T0 + 10,
    );
    assert_eq!(snap.status.name(), "FAILED");
    assert!(snap.redrivable());

    let effects = execution::redrive(&machine, &mut snap, T0 + 1000).unwrap();
    assert_eq!(snap.status, Status::Running);
    assert_eq!(snap.redrive_count, 1);
    // The same state, with the same input, is called again.
    let (again, again_input) = invoked(&effects);
    assert_ne!(again, task);
    assert_eq!(again_input, input);
    let output = json!({"StatusCode": 200, "Payload": {"paid": true}});
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::TaskSucceeded {
            task: again,
            output,
        },
        T0 + 1100,
    );
    // The variables assigned before the failure are still there.
    assert_eq!(
        snap.status,
        Status::Succeeded {
            output: json!({"order": 7, "charged": {"paid": true}})
        }
    );
    let kinds: Vec<&str> = snap.history.iter().map(|e| e.kind.as_str()).collect();
    let failed = kinds.iter().position(|k| *k == "ExecutionFailed").unwrap();
    assert_eq!(kinds[failed + 1], "ExecutionRedriven");
    assert_eq!(kinds[failed + 2], "TaskStateEntered");
    assert_eq!(kinds.last(), Some(&"ExecutionSucceeded"));
    // A succeeded execution cannot be redriven.
    assert!(!snap.redrivable());
    assert_eq!(
        execution::redrive(&machine, &mut snap, T0 + 2000).unwrap_err(),
        "the execution succeeded"
    );
}

#[test]
fn a_stopped_execution_is_redriven_from_the_state_it_was_in() {
    let machine = machine();
    let (mut snap, effects) = start(&machine);
    let (_, input) = invoked(&effects);
    assert_eq!(
        execution::redrive(&machine, &mut snap, T0).unwrap_err(),
        "the execution is still running"
    );
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::Stop {
            failure: Failure::bare("Stopped"),
        },
        T0 + 5,
    );
    assert_eq!(snap.status.name(), "ABORTED");
    let effects = execution::redrive(&machine, &mut snap, T0 + 10).unwrap();
    assert_eq!(invoked(&effects).1, input);
    // Redriven twice: the count goes on.
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::Stop {
            failure: Failure::bare("Stopped"),
        },
        T0 + 20,
    );
    execution::redrive(&machine, &mut snap, T0 + 30).unwrap();
    assert_eq!(snap.redrive_count, 2);
    // It survives a store: the redrive point is part of the snapshot.
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::Stop {
            failure: Failure::bare("Stopped"),
        },
        T0 + 40,
    );
    let stored: Snapshot = serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();
    assert!(stored.redrivable());
    assert_eq!(stored.redrive_count, 2);
}

/// A JSONPath Task that merges its result into its input at `$.r`, and catches every error
/// into `$.a.b` (which its input's string `a` cannot hold).
fn merging_task() -> StateMachine {
    StateMachine::from_json(&json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "ResultPath": "$.r",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.a.b", "Next": "Handled"}],
                "End": true
            },
            "Handled": {"Type": "Succeed"}
        }
    }))
    .unwrap()
}

/// Answers the execution's one outstanding task call with `answer` (`Ok`: the call's output,
/// `Err`: its failure), expects the execution then FAILED, redrives it, and gives the failure
/// and the input the redriven state calls its task with.
fn answer_fail_and_redrive(
    machine: &StateMachine,
    snap: &mut Snapshot,
    task: u64,
    answer: Result<Value, Failure>,
) -> (Failure, Value) {
    let event = match answer {
        Ok(output) => Event::TaskSucceeded { task, output },
        Err(failure) => Event::TaskFailed { task, failure },
    };
    execution::step_in_place(machine, snap, event, T0 + 10);
    let Status::Failed { failure } = &snap.status else {
        panic!("{:?}", snap.status)
    };
    let failure = failure.clone();
    let effects = execution::redrive(machine, snap, T0 + 1000).unwrap();
    (failure, invoked(&effects).1)
}

#[test]
fn a_task_whose_output_is_over_the_limit_is_redriven_with_its_input() {
    // The result fits, the input with the result merged in does not: the state fails after
    // its result took the input's place, and a redrive must still call it with the input.
    let machine = merging_task();
    let options = limited(200);
    let input = json!({"a": "x".repeat(100)});
    // As the service starts them: quickstep redrives its Express executions too.
    let (mut snap, effects) = start_as(&machine, input.clone(), options, true);
    let (task, called_with) = invoked(&effects);
    assert_eq!(called_with, input);
    let (failure, again) =
        answer_fail_and_redrive(&machine, &mut snap, task, Ok(json!("y".repeat(100))));
    assert_eq!(failure.error_name(), "States.DataLimitExceeded");
    assert_eq!(again, input);
}

#[test]
fn a_task_whose_catcher_fails_is_redriven_with_its_input() {
    // The catcher's ResultPath cannot be applied to the input: the execution fails
    // States.ResultPathMatchFailure in T, whose input a redrive calls it with again.
    let machine = merging_task();
    let input = json!({"a": "x"});
    let (mut snap, effects) = start_with(&machine, input.clone(), Options::default());
    let (task, _) = invoked(&effects);
    let failure = Failure::new("Payments.Down", "try later");
    let (failure, again) = answer_fail_and_redrive(&machine, &mut snap, task, Err(failure));
    assert_eq!(failure.error_name(), "States.ResultPathMatchFailure");
    assert_eq!(again, input);
}

/// The inputs the states named `name` were entered with, in order, from the history.
fn entered_with(snap: &Snapshot, name: &str) -> Vec<Value> {
    snap.history
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered") && e.name.as_deref() == Some(name))
        .map(|e| {
            let details = e.details.as_ref().unwrap();
            let text = details["stateEnteredEventDetails"]["input"]
                .as_str()
                .unwrap();
            serde_json::from_str(text).unwrap()
        })
        .collect()
}

/// Starts `definition` on `input` (within `limit` bytes), expects it to fail with `error`,
/// redrives it, and expects the state `name` entered with `input` both times and the redrive
/// to fail the same way: the states here fail whatever they are given again.
fn fails_and_is_redriven_with_its_input(
    definition: Value,
    input: Value,
    limit: usize,
    error: &str,
    name: &str,
) {
    let machine = StateMachine::from_json(&definition).unwrap();
    let options = limited(limit);
    let (mut snap, _) = start_with(&machine, input.clone(), options);
    let Status::Failed { failure } = &snap.status else {
        panic!("{definition}: {:?}", snap.status)
    };
    assert_eq!(failure.error_name(), error, "{definition}");
    execution::redrive(&machine, &mut snap, T0 + 1000).unwrap();
    let Status::Failed { failure } = &snap.status else {
        panic!("{definition}: redriven, {:?}", snap.status)
    };
    assert_eq!(failure.error_name(), error, "{definition}");
    assert_eq!(
        entered_with(&snap, name),
        vec![input.clone(), input],
        "{definition}"
    );
}

#[test]
fn top_level_states_that_take_their_input_are_redriven_with_it() {
    let big = json!({"a": "x".repeat(150)});
    // A Pass whose result, merged in, makes its output too large: with no input it would fit.
    fails_and_is_redriven_with_its_input(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "y".repeat(100),
            "ResultPath": "$.r", "End": true}}}),
        big.clone(),
        200,
        "States.DataLimitExceeded",
        "P",
    );
    let input = json!({"a": 1, "secs": "soon"});
    for state in [
        // A Pass passing its input on, a Choice and a Succeed whose OutputPath finds nothing.
        json!({"Type": "Pass", "OutputPath": "$.missing", "Next": "E"}),
        json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "E"}],
               "OutputPath": "$.missing"}),
        json!({"Type": "Succeed", "OutputPath": "$.missing"}),
        // A Wait whose SecondsPath is not a number.
        json!({"Type": "Wait", "SecondsPath": "$.secs", "Next": "E"}),
    ] {
        let mut states = json!({"S": state, "E": {"Type": "Succeed"}});
        if state["Type"] == "Succeed" {
            states.as_object_mut().unwrap().remove("E");
        }
        fails_and_is_redriven_with_its_input(
            json!({"StartAt": "S", "States": states}),
            input.clone(),
            262_144,
            "States.Runtime",
            "S",
        );
    }
    // JSONata: a Pass and a Choice whose Output fails.
    for state in [
        json!({"Type": "Pass", "Output": "{% $error('no') %}", "Next": "E"}),
        json!({"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "E"}],
               "Output": "{% $error('no') %}"}),
    ] {
        fails_and_is_redriven_with_its_input(
            json!({"QueryLanguage": "JSONata", "StartAt": "S",
                   "States": {"S": state, "E": {"Type": "Succeed"}}}),
            input.clone(),
            262_144,
            "States.QueryEvaluationError",
            "S",
        );
    }
}

#[test]
fn an_execution_stopped_in_a_wait_is_redriven_with_the_waits_input() {
    let machine = StateMachine::from_json(&json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": true}}}))
    .unwrap();
    let input = json!({"order": 7});
    let (mut snap, _) = start_with(&machine, input.clone(), Options::default());
    execution::step_in_place(
        &machine,
        &mut snap,
        Event::Stop {
            failure: Failure::bare("Stopped"),
        },
        T0 + 5,
    );
    assert_eq!(snap.status.name(), "ABORTED");
    execution::redrive(&machine, &mut snap, T0 + 10).unwrap();
    assert_eq!(entered_with(&snap, "W"), vec![input.clone(), input]);
}

#[test]
fn outputs_made_by_a_catcher_or_a_jsonata_choice_are_measured_and_redriven_with_the_input() {
    // A JSONata Choice whose Output doubles its input's text past the limit fails there.
    fails_and_is_redriven_with_its_input(
        json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "P",
                  "Output": "{% {'a': $states.input.s & $states.input.s} %}"}]},
            "P": {"Type": "Pass", "End": true}}}),
        json!({"s": "x".repeat(150)}),
        200,
        "States.DataLimitExceeded",
        "C",
    );
    // A catcher that merges a long error into the input: the Task fails with the limit, and
    // a redrive calls it with its input.
    let machine = StateMachine::from_json(&json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}],
              "End": true},
        "H": {"Type": "Succeed"}}}))
    .unwrap();
    let input = json!({"a": "x".repeat(150)});
    let options = limited(300);
    let (mut snap, effects) = start_with(&machine, input.clone(), options);
    let (task, _) = invoked(&effects);
    let failure = Failure::new("Payments.Down", "y".repeat(150));
    let (failure, again) = answer_fail_and_redrive(&machine, &mut snap, task, Err(failure));
    assert_eq!(failure.error_name(), "States.DataLimitExceeded");
    assert!(
        failure.cause.as_deref().unwrap_or_default().contains("'T'"),
        "{failure:?}"
    );
    assert_eq!(again, input);
}
