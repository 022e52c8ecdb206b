//! The interpreter's behaviour: fail and Succeed.

use super::*;

#[test]
fn fail_state_error_and_cause() {
    let cases = [
        (json!({"Error": "E", "Cause": "C"}), Failure::new("E", "C")),
        (json!({"Error": "E"}), Failure::bare("E")),
        (
            json!({}),
            Failure {
                error: None,
                cause: None,
            },
        ),
        (
            json!({"ErrorPath": "$.e", "CausePath": "$.c"}),
            Failure::new("from input", "also from input"),
        ),
        (
            json!({"ErrorPath": "$$.State.Name", "CausePath": "States.Format('n={}', $.n)"}),
            Failure::new("S", "n=3"),
        ),
    ];
    for (fields, expected) in cases {
        let mut fail = fields.clone();
        fail["Type"] = json!("Fail");
        let d = run_pure(
            &single(fail),
            json!({"e": "from input", "c": "also from input", "n": 3}),
        );
        assert_eq!(d.failure(), expected, "{fields}");
        assert_eq!(
            d.kinds(),
            ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"],
            "{fields}"
        );
    }
}

#[test]
fn fail_error_path_must_name_a_string() {
    let def = single(json!({"Type": "Fail", "ErrorPath": "$.e"}));
    let d = run_pure(&def, json!({"e": 5}));
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn succeed_passes_its_input_through_paths() {
    let def = single(json!({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}));
    let d = run_pure(&def, json!({"a": {"b": [1]}}));
    assert_eq!(d.output(), json!([1]));
    assert_eq!(
        d.kinds(),
        [
            "ExecutionStarted",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
}
