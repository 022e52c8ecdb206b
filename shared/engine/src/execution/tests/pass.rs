//! The interpreter's behaviour: pass and input/output processing.

use super::*;

#[test]
fn pass_input_and_output_processing() {
    let input = json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}});
    let cases: Vec<(&str, Value, Value)> = vec![
        ("no fields", json!({}), input.clone()),
        ("Result", json!({"Result": {"r": true}}), json!({"r": true})),
        (
            "Result into ResultPath",
            json!({"Result": "x", "ResultPath": "$.sub.r"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20], "r": "x"}}),
        ),
        (
            "Result with ResultPath creating objects",
            json!({"Result": 5, "ResultPath": "$.new.deep"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}, "new": {"deep": 5}}),
        ),
        (
            "ResultPath null keeps the input",
            json!({"Result": "ignored", "ResultPath": null}),
            input.clone(),
        ),
        (
            "ResultPath $ replaces",
            json!({"Result": [1], "ResultPath": "$"}),
            json!([1]),
        ),
        (
            "InputPath",
            json!({"InputPath": "$.sub"}),
            json!({"b": 2, "c": [10, 20]}),
        ),
        (
            "InputPath index",
            json!({"InputPath": "$.sub.c[1]"}),
            json!(20),
        ),
        (
            "InputPath then Parameters",
            json!({"InputPath": "$.sub", "Parameters": {"bee.$": "$.b", "lit": "$.b"}}),
            json!({"bee": 2, "lit": "$.b"}),
        ),
        (
            "Parameters, ResultPath merges into the raw input",
            json!({"InputPath": "$.sub", "Parameters": {"x.$": "$.b"}, "ResultPath": "$.p"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}, "p": {"x": 2}}),
        ),
        ("OutputPath", json!({"OutputPath": "$.sub.b"}), json!(2)),
        (
            "OutputPath after ResultPath",
            json!({"Result": {"k": "v"}, "ResultPath": "$.res", "OutputPath": "$.res"}),
            json!({"k": "v"}),
        ),
        ("OutputPath null", json!({"OutputPath": null}), json!({})),
        ("InputPath null", json!({"InputPath": null}), json!({})),
        (
            "Result wins over Parameters",
            json!({"Result": 1, "Parameters": {"x": 2}}),
            json!(1),
        ),
        (
            "context paths",
            json!({"Parameters": {
                "name.$": "$$.State.Name",
                "entered.$": "$$.State.EnteredTime",
                "exec.$": "$$.Execution.Name",
                "id.$": "$$.Execution.Id",
                "start.$": "$$.Execution.StartTime",
                "machine.$": "$$.StateMachine.Name",
                "orig.$": "$$.Execution.Input.sub.b",
                "whole.$": "$$.Execution.Input.a"}}),
            json!({
                "name": "S",
                "entered": T0_TEXT,
                "exec": "run",
                "id": "arn:aws:states:us-east-1:123456789012:execution:machine:run",
                "start": T0_TEXT,
                "machine": "machine",
                "orig": 2,
                "whole": 1}),
        ),
        (
            "intrinsics in Parameters",
            json!({"Parameters": {"f.$": "States.Format('{}-{}', $.a, $.sub.b)", "n.$": "States.ArrayLength($.sub.c)"}}),
            json!({"f": "1-2", "n": 2}),
        ),
        (
            "nested Parameters templates",
            json!({"Parameters": {"outer": {"inner.$": "$.a", "list": [{"x.$": "$.sub.b"}]}}}),
            json!({"outer": {"inner": 1, "list": [{"x": 2}]}}),
        ),
    ];
    for (what, fields, expected) in cases {
        let mut state = fields;
        state["Type"] = json!("Pass");
        state["End"] = json!(true);
        let d = run_pure(&single(state), input.clone());
        assert_eq!(d.output(), expected, "{what}");
    }
}

#[test]
fn pass_path_errors_are_runtime_failures_with_aws_causes() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}});
    let d = run_pure(&def, json!({"a": 1}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    // ExecutionStarted #1, A entered #2, A exited #3, B entered #4.
    assert_eq!(
        f.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'B' (entered at the event id #4). \
             Invalid path '$.missing' : No results for path: $['missing']"
        )
    );
    assert_eq!(d.kinds().last(), Some(&"ExecutionFailed"));
}

#[test]
fn runtime_cause_prefixes_for_several_failures() {
    let prefix = "An error occurred while executing the state 'S' (entered at the event id #2). ";
    let cases = [
        json!({"Type": "Pass", "Parameters": {"x.$": "$.nope"}, "End": true}),
        json!({"Type": "Pass", "OutputPath": "$.nope", "End": true}),
        json!({"Type": "Wait", "SecondsPath": "$.nope", "End": true}),
        json!({"Type": "Fail", "ErrorPath": "$.nope"}),
        json!({"Type": "Map", "ItemsPath": "$.a", "End": true,
               "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ];
    let choice = |extra: Value| {
        let mut c = json!({"Type": "Choice", "Default": "D",
            "Choices": [{"Variable": "$.nope", "StringEquals": "x", "Next": "D"}]});
        if let (Value::Object(c), Value::Object(extra)) = (&mut c, extra) {
            c.extend(extra);
        }
        json!({"StartAt": "S", "States": {"S": c, "D": {"Type": "Succeed"}}})
    };
    let defs = cases
        .into_iter()
        .map(single)
        .chain([choice(json!({"InputPath": "$.nope"})), choice(json!({}))]);
    for state in defs {
        let d = run_pure(&state, json!({"a": 1}));
        let f = d.failure();
        assert_eq!(f.error_name(), names::RUNTIME, "{state}");
        let cause = f.cause.unwrap_or_default();
        assert!(cause.starts_with(prefix), "{state}: {cause}");
    }
}

#[test]
fn result_path_that_cannot_apply_fails_with_result_path_match_failure() {
    let d = run_pure(
        &single(json!({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true})),
        json!({"a": "string"}),
    );
    let f = d.failure();
    assert_eq!(f.error_name(), names::RESULT_PATH_MATCH_FAILURE);
    assert!(f
        .cause
        .unwrap_or_default()
        .starts_with("Unable to apply ReferencePath $.a.b to input"));
}
