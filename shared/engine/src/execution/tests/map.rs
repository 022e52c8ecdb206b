//! The interpreter's behaviour: map.

use super::*;

fn map_def(extra: Value) -> Value {
    let mut m = json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}});
    if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
        m.extend(extra);
    }
    single(m)
}

#[test]
fn map_items_path_and_item_selector_with_context() {
    let def = map_def(json!({"ItemsPath": "$.list",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"}}));
    let mut d = Driver::new(&def).script("I", (0..3).map(|i| ok(json!(i * 10))));
    d.start(json!({"list": ["a", "b", "c"], "tag": "T"}));
    d.run();
    assert_eq!(d.output(), json!([0, 10, 20]));
    let inputs: Vec<Value> = d.invoked.iter().map(|(_, r)| r.input.clone()).collect();
    assert_eq!(
        inputs,
        [
            json!({"index": 0, "value": "a", "tag": "T"}),
            json!({"index": 1, "value": "b", "tag": "T"}),
            json!({"index": 2, "value": "c", "tag": "T"}),
        ]
    );
    assert_eq!(d.max_outstanding, 3);
}

#[test]
fn map_max_concurrency_one_runs_items_one_at_a_time() {
    let def = map_def(json!({"MaxConcurrency": 1}));
    let mut d = Driver::new(&def).script("I", (0..5).map(|i| after(100, ok(json!(i)))));
    d.start(json!([1, 2, 3, 4, 5]));
    d.run();
    assert_eq!(d.output(), json!([0, 1, 2, 3, 4]));
    assert_eq!(d.max_outstanding, 1);
    let times: Vec<Millis> = d.invoked.iter().map(|(t, _)| t - T0).collect();
    assert_eq!(times, [0, 100, 200, 300, 400]);
}

#[test]
fn map_results_keep_item_order_whatever_the_completion_order() {
    let def = map_def(json!({"MaxConcurrency": 2}));
    let mut d = Driver::new(&def).script(
        "I",
        [
            after(500, ok(json!("a"))),
            after(100, ok(json!("b"))),
            after(100, ok(json!("c"))),
            ok(json!("d")),
        ],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(d.output(), json!(["a", "b", "c", "d"]));
    assert_eq!(d.max_outstanding, 2);
}

#[test]
fn map_tolerated_failure_count() {
    // Within the tolerance: the failures' error objects take their places.
    let def = map_def(json!({"ToleratedFailureCount": 2}));
    let mut d = Driver::new(&def).script(
        "I",
        [
            ok(json!(1)),
            err("Bad", "b"),
            ok(json!(3)),
            err("Worse", "w"),
        ],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.output(),
        json!([1, {"Error": "Bad", "Cause": "b"}, 3, {"Error": "Worse", "Cause": "w"}])
    );
    // Exceeded.
    let def = map_def(json!({"ToleratedFailureCount": 1, "MaxConcurrency": 1}));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), ok(json!(2)), err("Bad", ""), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.failure().error_name(),
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD
    );
    assert_eq!(
        d.invoked.len(),
        3,
        "no item starts after the threshold is exceeded"
    );
    assert!(d.kinds().contains(&"MapStateFailed"));
}

#[test]
fn map_tolerated_failure_percentage() {
    let def = map_def(json!({"ToleratedFailurePercentage": 50}));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), err("Bad", ""), ok(json!(3)), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), err("Bad", ""), err("Bad", ""), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.failure().error_name(),
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD
    );
}

#[test]
fn map_without_tolerance_fails_with_the_item_error() {
    let def = map_def(json!({}));
    let mut d = Driver::new(&def).script("I", [ok(json!(1)), err("Bad", "b"), Reply::Hold]);
    d.start(json!([1, 2, 3]));
    d.run();
    assert_eq!(d.failure(), Failure::new("Bad", "b"));
}

#[test]
fn map_over_an_empty_array() {
    let def = map_def(json!({"ItemsPath": "$.none", "ResultPath": "$.out"}));
    let mut d = Driver::new(&def);
    d.start(json!({"none": []}));
    d.run();
    assert_eq!(d.output(), json!({"none": [], "out": []}));
    assert!(d.invoked.is_empty());
    let kinds = d.kinds();
    assert!(kinds.contains(&"MapStateSucceeded"), "{kinds:?}");
}

#[test]
fn map_input_must_be_an_array() {
    let d = run_pure(&map_def(json!({})), json!({"not": "array"}));
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}
