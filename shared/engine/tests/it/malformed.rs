//! Robustness: malformed definitions are refused with a problem located by a JSON pointer, and
//! nothing (a mutated definition, a definition that validates but then misbehaves) makes the
//! engine panic.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{err, ok, Driver, INVOKE, LAMBDA};
use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::Options;
use quickstep_engine::problem::Problem;
use serde_json::{json, Value};

fn problems(def: &Value) -> Vec<Problem> {
    match StateMachine::from_json(def) {
        Ok(_) => panic!("accepted a malformed definition: {def}"),
        Err(p) => {
            assert!(!p.is_empty(), "Err with no problems for {def}");
            p
        }
    }
}

fn locations(p: &[Problem]) -> Vec<String> {
    p.iter().map(|p| p.location.clone()).collect()
}

/// True if `pointer` names a place that exists in `doc` ("" and "/" name the whole document).
fn resolves(doc: &Value, pointer: &str) -> bool {
    pointer.is_empty() || pointer == "/" || doc.pointer(pointer).is_some()
}

fn machine_with(states: Value) -> Value {
    json!({"StartAt": "A", "States": states})
}

fn ok_pass() -> Value {
    json!({"Type": "Pass", "End": true})
}

/// (what, definition, the pointer one of its problems must have)
fn cases() -> Vec<(&'static str, Value, &'static str)> {
    let task = |extra: Value| {
        let mut t = json!({"Type": "Task", "Resource": LAMBDA, "End": true});
        if let (Value::Object(t), Value::Object(e)) = (&mut t, extra) {
            t.extend(e);
        }
        machine_with(json!({"A": t}))
    };
    let pass = |extra: Value| {
        let mut t = ok_pass();
        if let (Value::Object(t), Value::Object(e)) = (&mut t, extra) {
            t.extend(e);
        }
        machine_with(json!({"A": t}))
    };
    vec![
        ("not an object (array)", json!([1, 2]), ""),
        ("not an object (string)", json!("StartAt"), ""),
        ("not an object (null)", json!(null), ""),
        ("empty object", json!({}), "/"),
        ("missing StartAt", json!({"States": {"A": ok_pass()}}), "/"),
        ("missing States", json!({"StartAt": "A"}), "/"),
        (
            "States not an object",
            json!({"StartAt": "A", "States": []}),
            "/States",
        ),
        (
            "States empty",
            json!({"StartAt": "A", "States": {}}),
            "/States",
        ),
        (
            "StartAt not a string",
            json!({"StartAt": 1, "States": {"A": ok_pass()}}),
            "/StartAt",
        ),
        (
            "StartAt to nowhere",
            json!({"StartAt": "B", "States": {"A": ok_pass()}}),
            "/StartAt",
        ),
        (
            "unknown top-level field",
            json!({"StartAt": "A", "States": {"A": ok_pass()}, "Bogus": 1}),
            "/Bogus",
        ),
        (
            "TimeoutSeconds zero",
            json!({"StartAt": "A", "States": {"A": ok_pass()}, "TimeoutSeconds": 0}),
            "/TimeoutSeconds",
        ),
        (
            "Version wrong",
            json!({"StartAt": "A", "States": {"A": ok_pass()}, "Version": "2.0"}),
            "/Version",
        ),
        (
            "state not an object",
            machine_with(json!({"A": 5})),
            "/States/A",
        ),
        (
            "state without Type",
            machine_with(json!({"A": {"End": true}})),
            "/States/A",
        ),
        (
            "unknown state type",
            machine_with(json!({"A": {"Type": "Loop", "End": true}})),
            "/States/A/Type",
        ),
        (
            "Next to nowhere",
            machine_with(json!({"A": {"Type": "Pass", "Next": "Nowhere"}})),
            "/States/A/Next",
        ),
        (
            "Next and End",
            machine_with(json!({"A": {"Type": "Pass", "Next": "A", "End": true}})),
            "/States/A",
        ),
        (
            "End false",
            machine_with(json!({"A": {"Type": "Pass", "End": false}})),
            "/States/A/End",
        ),
        (
            "neither Next nor End",
            machine_with(json!({"A": {"Type": "Pass"}})),
            "/States/A",
        ),
        (
            "unknown state field",
            pass(json!({"Seconds": 1})),
            "/States/A/Seconds",
        ),
        (
            "state name too long",
            json!({"StartAt": "x".repeat(81), "States": {"x".repeat(81): ok_pass()}}),
            Box::leak(format!("/States/{}", "x".repeat(81)).into_boxed_str()),
        ),
        (
            "empty state name",
            json!({"StartAt": "", "States": {"": ok_pass()}}),
            "/States/",
        ),
        (
            "unreachable state",
            machine_with(json!({"A": ok_pass(), "B": ok_pass()})),
            "/States/B",
        ),
        (
            "no terminal state",
            machine_with(json!({"A": {"Type": "Pass", "Next": "A"}})),
            "/States",
        ),
        (
            "InputPath unterminated bracket",
            pass(json!({"InputPath": "$.a["})),
            "/States/A/InputPath",
        ),
        (
            "OutputPath not a path",
            pass(json!({"OutputPath": "a.b"})),
            "/States/A/OutputPath",
        ),
        (
            "InputPath a number",
            pass(json!({"InputPath": 3})),
            "/States/A/InputPath",
        ),
        (
            "ResultPath into the context",
            pass(json!({"ResultPath": "$$.x"})),
            "/States/A/ResultPath",
        ),
        (
            "ResultPath with a filter",
            pass(json!({"ResultPath": "$.a[?(@.b)]"})),
            "/States/A/ResultPath",
        ),
        (
            "Parameters bad path",
            pass(json!({"Parameters": {"x.$": "$.a["}})),
            "/States/A/Parameters",
        ),
        (
            "Parameters unknown intrinsic",
            pass(json!({"Parameters": {"x.$": "States.Nope(1)"}})),
            "/States/A/Parameters",
        ),
        (
            "Parameters unclosed intrinsic",
            pass(json!({"Parameters": {"x.$": "States.Format('{}'"}})),
            "/States/A/Parameters",
        ),
        (
            "Parameters intrinsic arity",
            pass(json!({"Parameters": {"x.$": "States.MathAdd(1)"}})),
            "/States/A/Parameters",
        ),
        (
            "Parameters dynamic non-string",
            pass(json!({"Parameters": {"x.$": 5}})),
            "/States/A/Parameters",
        ),
        (
            "nested Parameters bad path",
            pass(json!({"Parameters": {"o": {"x.$": "nope"}}})),
            "/States/A/Parameters/o",
        ),
        (
            "Task without Resource",
            machine_with(json!({"A": {"Type": "Task", "End": true}})),
            "/States/A",
        ),
        (
            "Task Resource not a string",
            task(json!({"Resource": 5})),
            "/States/A/Resource",
        ),
        (
            "Task Resource not an ARN",
            task(json!({"Resource": "lambda"})),
            "/States/A/Resource",
        ),
        (
            "TimeoutSeconds zero",
            task(json!({"TimeoutSeconds": 0})),
            "/States/A/TimeoutSeconds",
        ),
        (
            "TimeoutSeconds and path",
            task(json!({"TimeoutSeconds": 1, "TimeoutSecondsPath": "$.t"})),
            "/States/A",
        ),
        (
            "HeartbeatSeconds not below timeout",
            task(json!({"TimeoutSeconds": 5, "HeartbeatSeconds": 5})),
            "/States/A/HeartbeatSeconds",
        ),
        (
            "TimeoutSecondsPath bad",
            task(json!({"TimeoutSecondsPath": "x"})),
            "/States/A/TimeoutSecondsPath",
        ),
        (
            "Retry not an array",
            task(json!({"Retry": {}})),
            "/States/A/Retry",
        ),
        (
            "Retry entry not an object",
            task(json!({"Retry": [1]})),
            "/States/A/Retry/0",
        ),
        (
            "Retry negative MaxAttempts",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]})),
            "/States/A/Retry/0/MaxAttempts",
        ),
        (
            "Retry BackoffRate 0.5",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]})),
            "/States/A/Retry/0/BackoffRate",
        ),
        (
            "Retry IntervalSeconds 0",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]})),
            "/States/A/Retry/0/IntervalSeconds",
        ),
        (
            "Retry MaxDelaySeconds 0",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}]})),
            "/States/A/Retry/0/MaxDelaySeconds",
        ),
        (
            "Retry JitterStrategy",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]})),
            "/States/A/Retry/0/JitterStrategy",
        ),
        (
            "Retry unknown field",
            task(json!({"Retry": [{"ErrorEquals": ["E"], "Next": "A"}]})),
            "/States/A/Retry/0/Next",
        ),
        (
            "Retry without ErrorEquals",
            task(json!({"Retry": [{}]})),
            "/States/A/Retry/0",
        ),
        (
            "Retry empty ErrorEquals",
            task(json!({"Retry": [{"ErrorEquals": []}]})),
            "/States/A/Retry/0/ErrorEquals",
        ),
        (
            "States.ALL not alone",
            task(json!({"Retry": [{"ErrorEquals": ["States.ALL", "E"]}]})),
            "/States/A/Retry/0/ErrorEquals",
        ),
        (
            "ErrorEquals not strings",
            task(json!({"Retry": [{"ErrorEquals": [1]}]})),
            "/States/A/Retry/0/ErrorEquals",
        ),
        (
            "Catch without Next",
            task(json!({"Catch": [{"ErrorEquals": ["States.ALL"]}]})),
            "/States/A/Catch/0",
        ),
        (
            "Catch Next to nowhere",
            task(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]})),
            "/States/A/Catch/0/Next",
        ),
        (
            "Catch bad ResultPath",
            task(
                json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A", "ResultPath": "x"}]}),
            ),
            "/States/A/Catch/0/ResultPath",
        ),
        (
            "Choice without Choices",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D"}, "D": {"Type": "Succeed"}}}),
            "/States/C",
        ),
        (
            "Choice empty Choices",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [], "Default": "D"}, "D": {"Type": "Succeed"}}}),
            "/States/C/Choices",
        ),
        (
            "Choice rule with two operators",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "D"}]}, "D": {"Type": "Succeed"}}}),
            "/States/C/Choices/0",
        ),
        (
            "Choice rule without Next",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "StringEquals": "x"}], "Default": "D"}, "D": {"Type": "Succeed"}}}),
            "/States/C/Choices/0",
        ),
        (
            "Choice rule Next to nowhere",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "StringEquals": "x", "Next": "Z"}], "Default": "D"}, "D": {"Type": "Succeed"}}}),
            "/States/C/Choices/0/Next",
        ),
        (
            "Choice Default to nowhere",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
            {"Variable": "$.a", "StringEquals": "x", "Next": "D"}], "Default": "Z"}, "D": {"Type": "Succeed"}}}),
            "/States/C/Default",
        ),
        (
            "Choice with Next",
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Next": "D", "Choices": [
            {"Variable": "$.a", "StringEquals": "x", "Next": "D"}]}, "D": {"Type": "Succeed"}}}),
            "/States/C/Next",
        ),
        (
            "Wait with two fields",
            machine_with(
                json!({"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}}),
            ),
            "/States/A",
        ),
        (
            "Wait with none",
            machine_with(json!({"A": {"Type": "Wait", "End": true}})),
            "/States/A",
        ),
        (
            "Wait negative Seconds",
            machine_with(json!({"A": {"Type": "Wait", "Seconds": -1, "End": true}})),
            "/States/A/Seconds",
        ),
        (
            "Wait bad Timestamp",
            machine_with(json!({"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": true}})),
            "/States/A/Timestamp",
        ),
        (
            "Wait bad SecondsPath",
            machine_with(json!({"A": {"Type": "Wait", "SecondsPath": "s", "End": true}})),
            "/States/A/SecondsPath",
        ),
        (
            "Fail Error and ErrorPath",
            machine_with(json!({"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}})),
            "/States/A",
        ),
        (
            "Fail Cause not a string",
            machine_with(json!({"A": {"Type": "Fail", "Cause": 5}})),
            "/States/A/Cause",
        ),
        (
            "Fail bad ErrorPath intrinsic",
            machine_with(json!({"A": {"Type": "Fail", "ErrorPath": "States.Nope()"}})),
            "/States/A/ErrorPath",
        ),
        (
            "Succeed with End",
            machine_with(json!({"A": {"Type": "Succeed", "End": true}})),
            "/States/A/End",
        ),
        (
            "Parallel empty Branches",
            machine_with(json!({"A": {"Type": "Parallel", "End": true, "Branches": []}})),
            "/States/A/Branches",
        ),
        (
            "Parallel without Branches",
            machine_with(json!({"A": {"Type": "Parallel", "End": true}})),
            "/States/A",
        ),
        (
            "Parallel branch not an object",
            machine_with(json!({"A": {"Type": "Parallel", "End": true, "Branches": [1]}})),
            "/States/A/Branches/0",
        ),
        (
            "Parallel branch missing StartAt",
            machine_with(
                json!({"A": {"Type": "Parallel", "End": true, "Branches": [{"States": {"X": ok_pass()}}]}}),
            ),
            "/States/A/Branches/0",
        ),
        (
            "Parallel branch Next outside",
            machine_with(json!({"A": {"Type": "Parallel", "Next": "B", "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "B"}}}]}, "B": ok_pass()})),
            "/States/A/Branches/0/States/X/Next",
        ),
        (
            "Parallel branch unknown field",
            machine_with(json!({"A": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": ok_pass()}, "TimeoutSeconds": 3}]}})),
            "/States/A/Branches/0/TimeoutSeconds",
        ),
        (
            "Map without ItemProcessor",
            machine_with(json!({"A": {"Type": "Map", "End": true}})),
            "/States/A",
        ),
        (
            "Map ItemProcessor not an object",
            machine_with(json!({"A": {"Type": "Map", "End": true, "ItemProcessor": []}})),
            "/States/A/ItemProcessor",
        ),
        (
            "Map processor bad state",
            machine_with(
                json!({"A": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass"}}}}}),
            ),
            "/States/A/ItemProcessor/States/I",
        ),
        (
            "Map negative MaxConcurrency",
            machine_with(
                json!({"A": {"Type": "Map", "End": true, "MaxConcurrency": -1,
            "ItemProcessor": {"StartAt": "I", "States": {"I": ok_pass()}}}}),
            ),
            "/States/A/MaxConcurrency",
        ),
        (
            "Map percentage over 100",
            machine_with(
                json!({"A": {"Type": "Map", "End": true, "ToleratedFailurePercentage": 101,
            "ItemProcessor": {"StartAt": "I", "States": {"I": ok_pass()}}}}),
            ),
            "/States/A/ToleratedFailurePercentage",
        ),
        (
            "Map bad ItemsPath",
            machine_with(json!({"A": {"Type": "Map", "End": true, "ItemsPath": "$.[",
            "ItemProcessor": {"StartAt": "I", "States": {"I": ok_pass()}}}})),
            "/States/A/ItemsPath",
        ),
        (
            "Map ItemSelector and Parameters",
            machine_with(
                json!({"A": {"Type": "Map", "End": true, "ItemSelector": {}, "Parameters": {},
            "ItemProcessor": {"StartAt": "I", "States": {"I": ok_pass()}}}}),
            ),
            "/States/A",
        ),
        (
            "Map bad mode",
            machine_with(json!({"A": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "FAST"}, "StartAt": "I", "States": {"I": ok_pass()}}}})),
            "/States/A/ItemProcessor/ProcessorConfig/Mode",
        ),
        (
            "JSONPath state in a JSONata machine",
            json!({"QueryLanguage": "JSONata", "StartAt": "A",
                   "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
            "/States/A/QueryLanguage",
        ),
        (
            "JSONPath field in a JSONata state",
            pass(json!({"QueryLanguage": "JSONata", "InputPath": "$.a"})),
            "/States/A/InputPath",
        ),
        (
            "JSONata field in a JSONPath state",
            pass(json!({"Output": "{% 1 %}"})),
            "/States/A/Output",
        ),
        (
            "bad variable name",
            pass(json!({"Assign": {"1x": 1}})),
            "/States/A/Assign/1x",
        ),
        (
            "reserved variable name",
            pass(json!({"Assign": {"states": 1}})),
            "/States/A/Assign/states",
        ),
        (
            "escaped pointer",
            json!({"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Pass", "Next": "x"}}}),
            "/States/a~1b~0c/Next",
        ),
    ]
}

#[test]
fn malformed_definitions_are_refused_with_located_problems() {
    let mut failures = Vec::new();
    for (what, def, pointer) in cases() {
        let found = problems(&def);
        let locs = locations(&found);
        if !locs.iter().any(|l| l == pointer) {
            failures.push(format!("{what}: expected {pointer:?} in {found:?}"));
        }
        for l in &locs {
            if !resolves(&def, l) {
                failures.push(format!("{what}: pointer {l:?} does not resolve"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_that_is_not_json_is_refused() {
    for text in [
        "",
        "not json",
        "{",
        "{\"StartAt\": }",
        "{\"StartAt\": \"A\", \"States\": {}} trailing",
        "\u{feff}{}",
    ] {
        let p = StateMachine::from_text(text).expect_err("refused");
        assert_eq!(p.len(), 1, "{text:?}");
        assert_eq!(p[0].code, "INVALID_JSON_DESCRIPTION", "{text:?}");
        assert_eq!(p[0].location, "", "{text:?}");
    }
}

#[test]
fn deeply_nested_text_is_an_error_not_a_crash() {
    let depth = 10_000;
    let text = format!(
        "{{\"StartAt\": \"A\", \"States\": {{\"A\": {{\"Type\": \"Pass\", \"End\": true, \"Result\": {}{}}}}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let p = StateMachine::from_text(&text).expect_err("refused");
    assert_eq!(p[0].code, "INVALID_JSON_DESCRIPTION");
}

fn deep_value(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

fn deep_object(depth: usize) -> Value {
    let mut v = json!("$.x");
    for _ in 0..depth {
        let mut m = serde_json::Map::new();
        m.insert("k".into(), v);
        v = Value::Object(m);
    }
    v
}

/// Runs the deep-value checks; called in a child process so that a stack overflow (an abort,
/// which no test can catch) is reported as a failure instead of killing the test binary.
fn deep_values_in_definitions(depth: usize) {
    let defs = [
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Result": deep_value(depth)}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": deep_object(depth)}}}),
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": INVOKE, "End": true, "Parameters": deep_value(depth)}}}),
        json!({"StartAt": "A", "Comment": deep_value(depth), "States": {"A": ok_pass()}}),
    ];
    for def in defs {
        if let Ok(m) = StateMachine::from_json(&def) {
            let mut d = Driver::new(&m).fallback(ok(deep_value(depth)));
            d.start(json!({"x": 1}), Options::default());
            d.run_bounded(20);
        }
    }
    // Deep input and task results.
    let m = StateMachine::from_json(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.r", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$.r"}, "End": true}}}))
    .expect("valid");
    let mut d = Driver::new(&m).fallback(ok(deep_value(depth)));
    d.start(json!({"deep": deep_value(depth)}), Options::default());
    d.run_bounded(20);
    assert!(d.finished.is_some());
}

#[test]
fn deep_values_child() {
    if let Ok(depth) = std::env::var("QUICKSTEP_DEEP_CHILD") {
        deep_values_in_definitions(depth.parse().expect("depth"));
    }
}

fn run_child(depth: usize) -> std::process::ExitStatus {
    let exe = std::env::current_exe().expect("test binary");
    std::process::Command::new(exe)
        .args(["--exact", "deep_values_child", "--test-threads", "1"])
        .env("QUICKSTEP_DEEP_CHILD", depth.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("child ran")
}

#[test]
fn deep_values_are_handled() {
    // Text parsing stops at serde_json's recursion limit (128), so that is as deep as any
    // definition, input or task result read from text can be; allow a wide margin. (Far deeper
    // hand-built `Value`s overflow a 2 MiB stack in serde_json's own clone and drop.)
    assert!(run_child(128).success());
    assert!(run_child(500).success());
}

#[test]
fn huge_state_counts() {
    let n = 20_000;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let state = if i + 1 == n {
            json!({"Type": "Succeed"})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        states.insert(format!("S{i}"), state);
    }
    let mut def = json!({"StartAt": "S0", "States": Value::Object(states)});
    let m = StateMachine::from_json(&def).expect("a long chain is valid");
    let mut d = Driver::new(&m);
    d.start(
        json!({}),
        Options {
            record_history: false,
            max_transitions_per_step: 50_000,
            ..Options::default()
        },
    );
    assert_eq!(d.status().name(), "SUCCEEDED");
    assert_eq!(d.snap().transitions, n);
    // One broken link among 20,000 states is found and located.
    def["States"]["S12345"]["Next"] = json!("Nowhere");
    let p = problems(&def);
    assert!(
        locations(&p).contains(&"/States/S12345/Next".to_owned()),
        "{:?}",
        &p[..p.len().min(5)]
    );
}

/// A definition using every state type and most fields.
fn rich_definition() -> Value {
    json!({
        "Comment": "everything",
        "TimeoutSeconds": 3600,
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "InputPath": "$", "Parameters": {"n.$": "$.n", "list.$": "$.list",
                "f.$": "States.Format('{}', $.n)"}, "ResultPath": "$.p", "OutputPath": "$.p", "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Fan"},
                {"And": [{"Variable": "$.n", "IsPresent": true}, {"Variable": "$.f", "StringMatches": "*"}], "Next": "Work"}
            ], "Default": "Stop"},
            "Work": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
                "Parameters": {"in.$": "$", "ctx.$": "$$.State.RetryCount"}, "ResultSelector": {"r.$": "$"},
                "ResultPath": "$.res",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2,
                    "MaxDelaySeconds": 5, "JitterStrategy": "FULL"}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Stop"}],
                "Next": "Nap"},
            "Nap": {"Type": "Wait", "SecondsPath": "$.n", "Next": "Fan"},
            "Fan": {"Type": "Parallel", "ResultSelector": {"a.$": "$[0]"}, "Next": "Each", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Task", "Resource": INVOKE, "End": true}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Wait", "Seconds": 1, "End": true}}}
            ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Stop"}]},
            "Each": {"Type": "Map", "ItemsPath": "$.a.list", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
                "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "M1", "States": {
                    "M1": {"Type": "Task", "Resource": LAMBDA, "Next": "M2"},
                    "M2": {"Type": "Pass", "End": true}}},
                "ResultPath": "$.mapped", "Next": "Done"},
            "Done": {"Type": "Succeed", "OutputPath": "$"},
            "Stop": {"Type": "Fail", "Error": "Stopped", "Cause": "because"}
        }
    })
}

/// Every JSON pointer in a document (not the root).
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        _ => {}
    }
}

fn split_parent(pointer: &str) -> (&str, String) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    (parent, last.replace("~1", "/").replace("~0", "~"))
}

/// The definition with the value at `pointer` removed (`None`) or replaced.
fn mutate(doc: &Value, pointer: &str, replacement: Option<&Value>) -> Value {
    let mut doc = doc.clone();
    let (parent, key) = split_parent(pointer);
    let target = if parent.is_empty() {
        &mut doc
    } else {
        doc.pointer_mut(parent).expect("parent")
    };
    match (target, replacement) {
        (Value::Object(m), None) => {
            m.shift_remove(&key);
        }
        (Value::Object(m), Some(r)) => {
            m.insert(key, r.clone());
        }
        (Value::Array(a), None) => {
            a.remove(key.parse::<usize>().expect("index"));
        }
        (Value::Array(a), Some(r)) => {
            a[key.parse::<usize>().expect("index")] = r.clone();
        }
        _ => unreachable!("parent of a pointer is a container"),
    }
    doc
}

fn replacements() -> Vec<Option<Value>> {
    vec![
        None,
        Some(json!(null)),
        Some(json!(0)),
        Some(json!("")),
        Some(json!([])),
        Some(json!({})),
        Some(json!("$.x")),
        Some(json!(true)),
        Some(json!(-1)),
        Some(json!(1e300)),
        Some(json!("States.ALL")),
    ]
}

/// Validates and, if valid, runs a definition for a bounded number of steps with the given
/// fallback task reply, for a few inputs; returns whether it was valid.
fn validate_and_run(def: &Value, what: &str) -> bool {
    let outcome = catch_unwind(AssertUnwindSafe(|| StateMachine::from_json(def)));
    let result = match outcome {
        Ok(r) => r,
        Err(_) => panic!("from_json panicked on {what}: {def}"),
    };
    let m = match result {
        Ok(m) => m,
        Err(problems) => {
            assert!(!problems.is_empty(), "{what}: Err without problems");
            for p in &problems {
                assert!(
                    resolves(def, &p.location),
                    "{what}: problem location {:?} does not resolve: {p}",
                    p.location
                );
            }
            return false;
        }
    };
    let inputs = [
        json!({"n": 3, "list": [1, 2, 3]}),
        json!({"n": 9, "list": [1, "x"]}),
        json!({}),
        json!([1]),
        json!("s"),
    ];
    for input in inputs {
        for fallback in [
            ok(json!({"list": [1, 2], "a": {"list": [4]}})),
            err("States.TaskFailed", "f"),
            ok(json!(null)),
        ] {
            let run = catch_unwind(AssertUnwindSafe(|| {
                let mut d = Driver::new(&m).fallback(fallback.clone());
                d.start(
                    input.clone(),
                    Options {
                        max_transitions_per_step: 50,
                        ..Options::default()
                    },
                );
                d.run_bounded(200);
                // A snapshot of a mutated machine still round-trips.
                let text = serde_json::to_string(d.snap()).expect("serialize");
                let _: quickstep_engine::execution::Snapshot =
                    serde_json::from_str(&text).expect("deserialize");
            }));
            assert!(
                run.is_ok(),
                "running panicked on {what} with input {input}: {def}"
            );
        }
    }
    true
}

#[test]
fn systematic_mutations_never_panic() {
    let base = rich_definition();
    assert!(validate_and_run(&base, "the unmutated definition"));
    let mut all = Vec::new();
    pointers(&base, "", &mut all);
    let mut valid = 0;
    let mut total = 0;
    for pointer in &all {
        for r in replacements() {
            let def = mutate(&base, pointer, r.as_ref());
            let what = format!("{pointer} := {r:?}");
            total += 1;
            if validate_and_run(&def, &what) {
                valid += 1;
            }
        }
    }
    assert!(total > 1_000, "{total}");
    // Some mutations must still validate (and were run), some must not.
    assert!(valid > 50 && valid < total, "{valid} of {total} valid");
}

#[test]
fn mutated_state_names_and_type_swaps_never_panic() {
    let base = rich_definition();
    let types = [
        "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "pass", "",
    ];
    let names: Vec<String> = base["States"]
        .as_object()
        .expect("states")
        .keys()
        .cloned()
        .collect();
    for name in &names {
        for t in types {
            let mut def = base.clone();
            def["States"][name]["Type"] = json!(t);
            validate_and_run(&def, &format!("{name} as {t}"));
        }
    }
    // Swapping any two states' bodies.
    for a in &names {
        for b in &names {
            let mut def = base.clone();
            let body = def["States"][a].clone();
            def["States"][a] = def["States"][b].clone();
            def["States"][b] = body;
            validate_and_run(&def, &format!("swap {a} {b}"));
        }
    }
}
