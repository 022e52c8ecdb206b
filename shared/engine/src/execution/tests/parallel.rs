//! The interpreter's behaviour: parallel.

use super::*;

#[test]
fn parallel_results_are_in_branch_order() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "ResultSelector": {"first.$": "$[0]", "all.$": "$"},
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}]}}});
    let mut d = Driver::new(&def)
        .script("A", [after(3_000, ok(json!("a")))])
        .script("B", [after(1_000, ok(json!("b")))]);
    d.start(json!({"c": 1}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"first": "a", "all": ["a", "b", {"c": 1}]})
    );
    assert_eq!(d.max_outstanding, 2);
    let kinds = d.kinds();
    assert_eq!(kinds[1], "ParallelStateEntered");
    assert_eq!(kinds[2], "ParallelStateStarted");
    assert!(kinds.contains(&"ParallelStateSucceeded"));
}

#[test]
fn a_failing_branch_fails_the_parallel_and_cancels_its_siblings() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done",
            "Catch": [{"ErrorEquals": ["Kaput"], "ResultPath": "$.err", "Next": "Nap"}],
            "Branches": [
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": LAMBDA, "Next": "Slow2"},
                    "Slow2": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
                {"StartAt": "Waits", "States": {"Waits": {"Type": "Wait", "Seconds": 4, "Next": "After"},
                    "After": {"Type": "Pass", "End": true}}},
                {"StartAt": "Boom", "States": {"Boom": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]},
        "Nap": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def)
        .script("Slow", [after(10_000, ok(json!("late")))])
        .script("Slow2", [ok(json!("never"))])
        .script("Boom", [after(1_000, err("Kaput", "k"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!({"err": {"Error": "Kaput", "Cause": "k"}}));
    let kinds = d.kinds();
    assert!(kinds.contains(&"ParallelStateFailed"), "{kinds:?}");
    // The slow branch's late result and the waiting branch's timer change nothing.
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "LambdaFunctionSucceeded")
            .count(),
        0,
        "{kinds:?}"
    );
    let names: Vec<&str> = d
        .snap()
        .history
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert!(!names.contains(&"Slow2"), "{names:?}");
    assert!(!names.contains(&"After"), "{names:?}");
    assert_eq!(d.invoked.len(), 2);
}

#[test]
fn an_uncaught_branch_failure_fails_the_execution_with_the_branch_error() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Mine", "Cause": "because"}}},
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}});
    let mut d = Driver::new(&def).script("T", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure(), Failure::new("Mine", "because"));
}
