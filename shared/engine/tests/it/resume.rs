//! The design guarantee: an execution can stop after any step, be stored as JSON, and continue
//! elsewhere with exactly the same result and history as if it had never stopped.

use crate::common;

use common::{after, err, machine, ok, Driver, Reply, INVOKE, LAMBDA};
use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{Options, Snapshot};
use serde_json::{json, Value};

struct Workflow {
    name: &'static str,
    def: Value,
    input: Value,
    script: Vec<(&'static str, Vec<Reply>)>,
    options: Options,
}

fn wf(
    name: &'static str,
    def: Value,
    input: Value,
    script: Vec<(&'static str, Vec<Reply>)>,
) -> Workflow {
    Workflow {
        name,
        def,
        input,
        script,
        options: Options::default(),
    }
}

fn workflows() -> Vec<Workflow> {
    let list = vec![
        wf(
            "map-max-concurrency",
            json!({"StartAt": "M", "States": {"M": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": true,
                "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "Work", "States": {
                    "Work": {"Type": "Task", "Resource": LAMBDA, "End": true,
                        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}]}}}}}}),
            json!({"items": [10, 20, 30, 40, 50]}),
            vec![(
                "Work",
                vec![
                    ok(json!("a")),
                    err("Flaky", "x"),
                    after(1500, ok(json!("c"))),
                    ok(json!("b")),
                    ok(json!("d")),
                    after(300, ok(json!("e"))),
                ],
            )],
        ),
        wf(
            "nested-parallel",
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "Done", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": INVOKE, "End": true}}},
                {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LAMBDA, "Next": "BW"},
                        "BW": {"Type": "Wait", "Seconds": 3, "End": true}}},
                    {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": {"c": 1}, "End": true}}}
                ]}}}
            ]}, "Done": {"Type": "Succeed"}}}),
            json!({"x": 1}),
            vec![
                ("A", vec![after(5000, ok(json!({"a": true})))]),
                ("B", vec![ok(json!("b"))]),
            ],
        ),
        wf(
            "retry-backoff",
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": true,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 1.5, "MaxAttempts": 4}]}}}),
            json!({}),
            vec![(
                "T",
                vec![
                    err("E1", "c1"),
                    err("E2", "c2"),
                    err("E3", "c3"),
                    ok(json!({"done": 1})),
                ],
            )],
        ),
        wf(
            "catch",
            json!({"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": INVOKE, "Next": "Good",
                    "Catch": [{"ErrorEquals": ["Custom"], "ResultPath": "$.err", "Next": "Handle"}]},
                "Handle": {"Type": "Pass", "Parameters": {"handled.$": "$.err.Error"}, "Next": "Good"},
                "Good": {"Type": "Succeed"}}}),
            json!({"in": 1}),
            vec![("T", vec![err("Custom", "boom")])],
        ),
        wf(
            "waits",
            json!({"StartAt": "W1", "States": {
                "W1": {"Type": "Wait", "Seconds": 5, "Next": "W2"},
                "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"},
                "W3": {"Type": "Wait", "Timestamp": "2024-01-01T01:00:00Z", "Next": "W4"},
                "W4": {"Type": "Wait", "TimestampPath": "$.ts", "End": true}}}),
            json!({"s": 7, "ts": "2024-01-01T02:00:00.250Z"}),
            vec![],
        ),
        wf(
            "choice-loop",
            json!({"StartAt": "Init", "States": {
                "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.n", "Next": "Check"},
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.n", "NumericGreaterThanEquals": 6, "Next": "Done"}], "Default": "Work"},
                "Work": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.last", "Next": "Inc"},
                "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "last.$": "$.last"}, "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
                "Done": {"Type": "Succeed"}}}),
            json!({}),
            vec![("Work", (0..6).map(|i| ok(json!({"round": i}))).collect())],
        ),
        wf(
            "fail-then-succeed-jitter",
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "Next": "U",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 3, "MaxAttempts": 5,
                           "JitterStrategy": "FULL", "MaxDelaySeconds": 10}]},
                "U": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()", "r.$": "$"}, "End": true}}}),
            json!({}),
            vec![(
                "T",
                vec![
                    err("A", ""),
                    err("B", ""),
                    err("C", ""),
                    err("D", ""),
                    ok(json!(4)),
                ],
            )],
        ),
        wf(
            "task-timeout-retry",
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": INVOKE, "TimeoutSeconds": 5, "End": true,
                "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2}]}}}),
            json!({}),
            vec![(
                "T",
                vec![
                    after(9000, ok(json!("late"))),
                    after(2000, ok(json!("on time"))),
                ],
            )],
        ),
        wf(
            "map-tolerated",
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ToleratedFailureCount": 1, "MaxConcurrency": 3, "ResultPath": "$.out", "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}}}}),
            json!({"items": [1, 2, 3, 4]}),
            vec![(
                "I",
                vec![
                    ok(json!(1)),
                    err("Bad", "b"),
                    after(100, ok(json!(3))),
                    ok(json!(4)),
                ],
            )],
        ),
        wf(
            "map-exceeds-tolerance",
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ToleratedFailureCount": 0,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}}}}),
            json!([1, 2, 3]),
            vec![(
                "I",
                vec![
                    after(50, ok(json!(1))),
                    err("Bad", "b"),
                    after(10, ok(json!(3))),
                ],
            )],
        ),
        wf(
            "parallel-failure-cancels",
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "Branches": [
                    {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
                    {"StartAt": "Boom", "States": {"Boom": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]},
                "Caught": {"Type": "Pass", "End": true}}}),
            json!({}),
            vec![
                ("Slow", vec![after(10_000, ok(json!("late")))]),
                ("Boom", vec![after(10, err("Kaput", "k"))]),
            ],
        ),
        wf(
            "execution-timeout",
            json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 4, "Next": "T"},
                "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}}),
            json!({}),
            vec![("T", vec![after(60_000, ok(json!(1)))])],
        ),
        wf(
            "fail-state",
            json!({"StartAt": "P", "States": {
                "P": {"Type": "Pass", "Result": {"e": "MyErr", "c": "why"}, "Next": "F"},
                "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}}),
            json!({}),
            vec![],
        ),
    ];
    list
}

/// A Pass/Choice loop that must yield several times (engine bug: it never resumes).
fn yielding_workflow() -> Workflow {
    let mut looping = wf(
        "yielding-loop",
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Result": {"n": 0}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThanEquals": 15, "Next": "Done"}], "Default": "Inc"},
            "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}}}),
        json!({}),
        vec![],
    );
    looping.options.max_transitions_per_step = 4;
    looping
}

/// What an execution ended with, and everything it asked of the driver.
#[derive(Debug, PartialEq)]
struct Outcome {
    snapshot: Value,
    status: Value,
    history: Value,
    invoked: Vec<(i64, Value)>,
    timers: Vec<(u64, i64)>,
    sent: Vec<(i64, Value)>,
    steps: usize,
}

/// Serializes a snapshot, drops it, restores it; returns the restored snapshot, and whether
/// re-serializing it gave the very same text.
fn round_trip(snapshot: Snapshot) -> (Snapshot, bool) {
    let text = serde_json::to_string(&snapshot).expect("serialize");
    drop(snapshot);
    let restored: Snapshot = serde_json::from_str(&text).expect("deserialize");
    let again = serde_json::to_string(&restored).expect("serialize again");
    let same_value = serde_json::from_str::<Value>(&text).expect("parse")
        == serde_json::from_str::<Value>(&again).expect("parse");
    assert!(same_value, "restored snapshot serializes to another value");
    (restored, text == again)
}

/// Runs a workflow, round-tripping the snapshot after step call number `cut`.
fn run(m: &StateMachine, w: &Workflow, cut: Option<usize>) -> (Outcome, bool) {
    let mut d = Driver::new(m);
    for (state, replies) in &w.script {
        d = d.script(state, replies.clone());
    }
    d.start(w.input.clone(), w.options);
    let mut identical = true;
    loop {
        if Some(d.steps) == cut {
            let snap = d.snapshot.take().expect("started");
            let (restored, same) = round_trip(snap);
            identical &= same;
            d.snapshot = Some(restored);
        }
        if d.steps > 100_000 || !d.step_once() {
            break;
        }
    }
    let snap = d.snap();
    let outcome = Outcome {
        snapshot: serde_json::to_value(snap).expect("value"),
        status: serde_json::to_value(&snap.status).expect("value"),
        history: serde_json::to_value(&snap.history).expect("value"),
        invoked: d
            .invoked
            .iter()
            .map(|(t, r)| (*t, serde_json::to_value(r).expect("value")))
            .collect(),
        timers: d.timers.clone(),
        sent: d
            .sent
            .iter()
            .map(|(t, e)| (*t, serde_json::to_value(e).expect("value")))
            .collect(),
        steps: d.steps,
    };
    (outcome, identical)
}

#[test]
fn every_cut_point_gives_the_uninterrupted_result() {
    let all = workflows();
    assert!(all.len() >= 10);
    for w in &all {
        let m = machine(&w.def);
        let (base, _) = run(&m, w, None);
        assert!(
            base.status["status"] != "RUNNING",
            "{}: did not finish: {:?}",
            w.name,
            base.status
        );
        assert!(base.steps > 1 || w.name == "fail-state", "{}", w.name);
        for k in 1..=base.steps {
            let (cut, _) = run(&m, w, Some(k));
            assert_eq!(cut.status, base.status, "{}: status after cut {k}", w.name);
            assert_eq!(
                cut.history, base.history,
                "{}: history after cut {k}",
                w.name
            );
            assert_eq!(cut, base, "{}: outcome after cut {k}", w.name);
        }
    }
}

#[test]
fn workflows_end_as_aws_would() {
    let expect = [
        ("map-max-concurrency", "SUCCEEDED"),
        ("nested-parallel", "SUCCEEDED"),
        ("retry-backoff", "SUCCEEDED"),
        ("catch", "SUCCEEDED"),
        ("waits", "SUCCEEDED"),
        ("choice-loop", "SUCCEEDED"),
        ("fail-then-succeed-jitter", "SUCCEEDED"),
        ("task-timeout-retry", "SUCCEEDED"),
        ("map-tolerated", "SUCCEEDED"),
        ("map-exceeds-tolerance", "FAILED"),
        ("parallel-failure-cancels", "SUCCEEDED"),
        ("execution-timeout", "TIMED_OUT"),
        ("fail-state", "FAILED"),
    ];
    let all = workflows();
    assert_eq!(all.len(), expect.len());
    for (w, (name, status)) in all.iter().zip(expect) {
        assert_eq!(w.name, name);
        let m = machine(&w.def);
        let (o, _) = run(&m, w, None);
        assert_eq!(o.status["status"], status, "{name}: {:?}", o.status);
    }
    // Spot checks of outputs.
    let get = |name: &str| {
        let w = all.iter().find(|w| w.name == name).expect("workflow");
        let m = machine(&w.def);
        run(&m, w, None).0
    };
    assert_eq!(
        get("map-max-concurrency").status["output"],
        json!(["a", "b", "c", "d", "e"])
    );
    assert_eq!(
        get("nested-parallel").status["output"],
        json!([{"a": true}, ["b", {"c": 1}]])
    );
    assert_eq!(get("catch").status["output"], json!({"handled": "Custom"}));
    assert_eq!(get("choice-loop").status["output"]["n"], json!(6));
    assert_eq!(
        get("map-tolerated").status["output"]["out"],
        json!([1, {"Error": "Bad", "Cause": "b"}, 3, 4])
    );
    assert_eq!(
        get("fail-state").status["failure"],
        json!({"Error": "MyErr", "Cause": "why"})
    );
}

fn check_every_cut(w: &Workflow) {
    let m = machine(&w.def);
    let (base, _) = run(&m, w, None);
    assert!(
        base.status["status"] != "RUNNING",
        "{}: did not finish: {:?}",
        w.name,
        base.status
    );
    for k in 1..=base.steps {
        let (cut, _) = run(&m, w, Some(k));
        assert_eq!(cut, base, "{}: outcome after cut {k}", w.name);
    }
}

#[test]

fn a_yielding_loop_survives_every_cut() {
    let w = yielding_workflow();
    check_every_cut(&w);
    let m = machine(&w.def);
    let (o, _) = run(&m, &w, None);
    assert_eq!(o.status["output"], json!({"n": 15}));
}

#[test]

fn restored_snapshots_reserialize_to_identical_json() {
    for w in &workflows() {
        let m = machine(&w.def);
        let (base, _) = run(&m, w, None);
        for k in 1..=base.steps {
            let (_, identical) = run(&m, w, Some(k));
            assert!(identical, "{}: cut {k} re-serialized differently", w.name);
        }
    }
}

#[test]
fn restored_snapshots_reserialize_identically_without_fanout() {
    // With at most one thread alive, the text must be byte-for-byte the same.
    for w in workflows().iter().filter(|w| {
        [
            "retry-backoff",
            "catch",
            "waits",
            "choice-loop",
            "fail-then-succeed-jitter",
            "task-timeout-retry",
            "execution-timeout",
        ]
        .contains(&w.name)
    }) {
        let m = machine(&w.def);
        let (base, _) = run(&m, w, None);
        for k in 1..=base.steps {
            let (_, identical) = run(&m, w, Some(k));
            assert!(identical, "{}: cut {k} re-serialized differently", w.name);
        }
    }
}

#[test]
fn a_snapshot_survives_many_round_trips_in_a_row() {
    for w in &workflows() {
        let m = machine(&w.def);
        let (base, _) = run(&m, w, None);
        let mut d = Driver::new(&m);
        for (state, replies) in &w.script {
            d = d.script(state, replies.clone());
        }
        d.start(w.input.clone(), w.options);
        loop {
            let snap = d.snapshot.take().expect("started");
            d.snapshot = Some(round_trip(snap).0);
            if !d.step_once() {
                break;
            }
        }
        assert_eq!(
            serde_json::to_value(d.snap()).expect("value"),
            base.snapshot,
            "{}",
            w.name
        );
    }
}
