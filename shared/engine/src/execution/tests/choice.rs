//! The interpreter's behaviour: choice.

use super::*;

fn choice_machine() -> Value {
    json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.n", "IsPresent": true}, "Next": "NoNumber"},
            {"Variable": "$.n", "NumericLessThan": 0, "Next": "Neg"},
            {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 0},
                     {"Variable": "$.n", "NumericLessThanEquals": 10}], "Next": "Small"},
            {"Variable": "$.s", "StringMatches": "he*o", "Next": "Greeting"}
        ], "Default": "Other"},
        "Neg": {"Type": "Pass", "Result": "neg", "End": true},
        "Small": {"Type": "Pass", "Result": "small", "End": true},
        "Greeting": {"Type": "Pass", "Result": "greeting", "End": true},
        "NoNumber": {"Type": "Pass", "Result": "no number", "End": true},
        "Other": {"Type": "Pass", "Result": "other", "End": true}}})
}

#[test]
fn choice_routes_to_the_first_matching_rule_or_default() {
    let cases = [
        (json!({"n": -3}), "neg"),
        (json!({"n": 0}), "small"),
        (json!({"n": 10}), "small"),
        (json!({"n": 11, "s": "hello"}), "greeting"),
        (json!({"n": 11, "s": "help"}), "other"),
        (json!({"s": "x"}), "no number"),
        (json!({"n": 11, "s": 5}), "other"),
    ];
    for (input, expected) in cases {
        let d = run_pure(&choice_machine(), input.clone());
        assert_eq!(d.output(), json!(expected), "{input}");
        assert_eq!(
            &d.kinds()[..3],
            [
                "ExecutionStarted",
                "ChoiceStateEntered",
                "ChoiceStateExited"
            ]
        );
    }
}

#[test]
fn choice_on_a_missing_variable_is_a_runtime_error() {
    let d = run_pure(&choice_machine(), json!({"n": 11}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert_eq!(
        f.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'C' (entered at the event id #2). \
             Invalid path '$.s': The choice state's condition path references an invalid value."
        )
    );
}

#[test]
fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let d = run_pure(&def, json!({"n": 2}));
    assert_eq!(d.failure().error_name(), names::NO_CHOICE_MATCHED);
    let d = run_pure(&def, json!({"n": 1}));
    assert_eq!(d.output(), json!({"n": 1}));
}

#[test]
fn choice_output_path_applies_to_the_chosen_branch_input() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v",
              "Choices": [{"Variable": "$.v", "IsNumeric": true, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let d = run_pure(&def, json!({"in": {"v": 3}}));
    assert_eq!(d.output(), json!(3));
}
