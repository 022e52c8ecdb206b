//! Golden tests of the built `quickstep` binary.
use crate::common;

use common::{quickstep, repo, stdout_json, temp_file};

use std::process::Command;

use serde_json::{json, Value};

const EXAMPLE: [&str; 8] = [
    "run",
    "shared/cli/examples/order/order.asl.json",
    "--input",
    "shared/cli/examples/order/input.json",
    "--mock-config",
    "shared/cli/examples/order/mocks.json",
    "--test-case",
    "HappyPath",
];

#[test]
fn the_example_runs_and_prints_its_result() {
    let mut args = EXAMPLE.to_vec();
    args.extend(["--clock", "virtual"]);
    let out = quickstep(&args);
    assert_eq!(out.status.code(), Some(0));
    let report = stdout_json(&out);
    assert_eq!(report["status"], "SUCCEEDED");
    assert_eq!(
        report["output"],
        json!({"orderId": "A-1001", "status": "ACCEPTED", "charged": 45, "lines": 2})
    );
    let events = report["events"].as_array().unwrap();
    assert_eq!(
        events.first().unwrap(),
        &json!({"type": "ExecutionStarted"})
    );
    assert_eq!(
        events.last().unwrap(),
        &json!({"type": "ExecutionSucceeded"})
    );
    assert!(events.contains(&json!({"type": "WaitStateEntered", "name": "AwaitPickup"})));
    // The first charge attempt fails and is retried.
    let failed = events
        .iter()
        .filter(|e| e["type"] == "LambdaFunctionFailed")
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn a_caught_error_routes_to_the_fail_state() {
    let mut args = EXAMPLE.to_vec();
    args[7] = "Declined";
    args.extend(["--clock", "virtual"]);
    let report = stdout_json(&quickstep(&args));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "Order.Rejected");
}

#[test]
fn an_invalid_definition_reports_every_problem_and_still_exits_zero() {
    let def = temp_file(
        "invalid.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Wait", "End": true}}}"#,
    );
    let out = quickstep(&["run", def.as_str()]);
    assert_eq!(out.status.code(), Some(0));
    let report = stdout_json(&out);
    assert_eq!(report["status"], "INVALID_DEFINITION");
    let problems = report["problems"].as_array().unwrap();
    let locations: Vec<&str> = problems
        .iter()
        .map(|p| p["location"].as_str().unwrap())
        .collect();
    assert!(locations.contains(&"/States/A/Next"), "{locations:?}");
    assert!(locations.contains(&"/States/C"), "{locations:?}");
}

#[test]
fn validate_prints_one_problem_a_line_and_exits_one() {
    let def = temp_file(
        "invalid2.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Bogus": 1, "Next": "Nowhere"}}}"#,
    );
    let out = quickstep(&["validate", def.as_str()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("at /States/A/Bogus")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("MISSING_TRANSITION_TARGET") && l.ends_with("at /States/A/Next")),
        "{text}"
    );
    let ok = quickstep(&["validate", "shared/cli/examples/order/order.asl.json"]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn usage_errors_exit_two_with_a_message() {
    let missing = quickstep(&["run", "no/such/file.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.json"));
    let bad_input = quickstep(&[
        "run",
        "shared/cli/examples/order/order.asl.json",
        "--input-json",
        "{nope",
    ]);
    assert_eq!(bad_input.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_input.stderr).contains("--input-json is not valid JSON"));
    let unknown_flag = quickstep(&["run", "--nope"]);
    assert_eq!(unknown_flag.status.code(), Some(2));
}

#[test]
fn a_bad_mock_file_names_the_place() {
    let mocks = temp_file(
        "mocks.json",
        r#"{"StateMachines": {"order": {"TestCases": {"T": {"Charge": "Missing"}}}}, "MockedResponses": {}}"#,
    );
    let out = quickstep(&[
        "run",
        "shared/cli/examples/order/order.asl.json",
        "--mock-config",
        mocks.as_str(),
        "--test-case",
        "T",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/StateMachines/order/TestCases/T/Charge"),
        "{err}"
    );
}

#[test]
fn an_unmocked_task_fails_saying_how_to_mock_it() {
    let out = quickstep(&[
        "run",
        "shared/cli/examples/order/order.asl.json",
        "--input",
        "shared/cli/examples/order/input.json",
    ]);
    let report = stdout_json(&out);
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "States.Runtime");
    assert!(report["cause"].as_str().unwrap().contains("--mock-config"));
}

#[test]
fn the_virtual_clock_skips_an_hour_long_wait_and_moves_context_times() {
    let def = temp_file(
        "wait.json",
        r#"{"StartAt": "Before", "States": {
            "Before": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "ResultPath": "$.before", "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"before.$": "$.before.t", "after.$": "$$.State.EnteredTime"}, "End": true}}}"#,
    );
    let report = stdout_json(&quickstep(&["run", def.as_str(), "--clock", "virtual"]));
    assert_eq!(report["status"], "SUCCEEDED");
    let parse = |v: &Value| chrono_like_seconds(v.as_str().unwrap());
    let before = parse(&report["output"]["before"]);
    let after = parse(&report["output"]["after"]);
    assert_eq!(after - before, 3600, "{report}");
}

/// Seconds since midnight plus days, enough to difference two RFC 3339 times an hour apart.
fn chrono_like_seconds(t: &str) -> i64 {
    let day: i64 = t[8..10].parse().unwrap();
    let h: i64 = t[11..13].parse().unwrap();
    let m: i64 = t[14..16].parse().unwrap();
    let s: i64 = t[17..19].parse().unwrap();
    ((day * 24 + h) * 60 + m) * 60 + s
}

#[test]
fn input_from_standard_input() {
    use std::io::Write;
    let def = temp_file(
        "echo.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_quickstep"))
        .args(["run", def.as_str(), "--input", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"hello": [1, 2]}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout_json(&out)["output"], json!({"hello": [1, 2]}));
}

#[test]
fn bench_prints_throughput() {
    let out = quickstep(&[
        "bench",
        "shared/cli/examples/order/order.asl.json",
        "--input",
        "shared/cli/examples/order/input.json",
        "--mock-config",
        "shared/cli/examples/order/mocks.json",
        "--test-case",
        "HappyPath",
        "--seconds",
        "0.05",
    ]);
    let report = bench_report(&out);
    assert!(report["executions"].as_u64().unwrap() > 0);
    assert_eq!(report["status"], "SUCCEEDED");
    // Validate, CheckStock, Reserve twice, Charge, AwaitPickup, Accepted.
    assert_eq!(report["transitions_per_execution"], 7.0);
    // The memory a running execution holds (parked at its first task), beside its input.
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("shared/cli/examples/order/input.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["data_bytes"], json!(input.to_string().len()));
    assert!(report["memory_executions_held"].as_u64().unwrap() > 0);
    assert_eq!(
        report["memory_executions_running"],
        report["memory_executions_held"]
    );
    let memory = report["memory_per_execution_bytes"].as_f64().unwrap();
    assert!(memory > input.to_string().len() as f64, "{report}");
    assert!(report.get("floor_ratio").is_none());
}

/// What `quickstep bench` printed, once it is known to have succeeded.
fn bench_report(out: &std::process::Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stdout_json(out)
}

#[test]
fn bench_floor_prints_the_engine_beside_hand_written_serde_json() {
    let state = |next: &str| {
        json!({"Type": "Pass", "Next": next,
        "Parameters": {"a.$": "$.a", "n.$": "States.MathAdd($.n, 1)"}})
    };
    let def = temp_file(
        "w1-chain.asl.json",
        &json!({"StartAt": "P0", "States": {"P0": state("P1"), "P1": state("P2"),
            "P2": {"Type": "Pass", "End": true,
                   "Parameters": {"a.$": "$.a", "n.$": "States.MathAdd($.n, 1)"}}}})
        .to_string(),
    );
    let input = temp_file("w1-chain.input.json", r#"{"a": "x", "n": 0}"#);
    let args = [
        "bench",
        def.as_str(),
        "--input",
        input.as_str(),
        "--seconds",
        "0.05",
        "--floor",
    ];
    let report = bench_report(&quickstep(&args));
    assert_eq!(report["transitions_per_execution"], 3.0);
    let engine = report["transitions_per_sec"].as_f64().unwrap();
    let floor = report["floor_transitions_per_sec"].as_f64().unwrap();
    assert!(floor > 0.0 && engine > 0.0, "{report}");
    // Whole executions of the floor, three transitions each.
    let made = report["floor_transitions"].as_u64().unwrap();
    assert!(made > 0 && made.is_multiple_of(3), "{report}");
    let ratio = report["floor_ratio"].as_f64().unwrap();
    assert!(
        (ratio - floor / engine).abs() < 1e-9 * ratio.max(1.0),
        "{report}"
    );
    // The floor times W1's work, which needs W1's input.
    let other = temp_file("not-w1.input.json", r#"{"b": 1}"#);
    let mut args = args;
    args[3] = other.as_str();
    let out = quickstep(&args);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--floor times W1's work"), "{stderr}");
    // A duration that is none is a usage error, not a panic.
    args[3] = input.as_str();
    args[5] = "inf";
    let out = quickstep(&args);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--seconds inf is not a duration"),
        "{stderr}"
    );
}

#[test]
fn the_jsonata_w5_gives_the_same_output_as_the_jsonpath_w5() {
    let workloads = repo().join("../shared/bench/workloads");
    assert!(
        workloads.is_dir(),
        "the benchmark workloads are expected beside the checkout at {}",
        workloads.display()
    );
    let input = workloads.join("w5-small-realistic.input.json");
    let input = input.to_str().unwrap();
    let jsonpath = workloads.join("w5-small-realistic.asl.json");
    let a = stdout_json(&quickstep(&[
        "run",
        jsonpath.to_str().unwrap(),
        "--input",
        input,
    ]));
    let b = stdout_json(&quickstep(&[
        "run",
        "shared/cli/examples/bench/w5-small-realistic-jsonata.asl.json",
        "--input",
        input,
    ]));
    assert_eq!(a["status"], "SUCCEEDED");
    assert_eq!(a["output"], b["output"]);
    let types = |r: &Value| -> Vec<Value> { r["events"].as_array().unwrap().clone() };
    assert_eq!(types(&a), types(&b));
}

#[test]
fn simulate_runs_generated_machines_and_the_workloads_beside_the_checkout() {
    let out = quickstep(&[
        "simulate",
        "--schedules",
        "30",
        "--seed",
        "3",
        "--workloads",
        "../shared/bench/workloads",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("workloads: "), "{text}");
    assert!(text.contains("w3-map-1000"), "{text}");
    // The one that calls a local module is left out, saying why.
    assert!(text.contains("left out w2-choice-loop-task"), "{text}");
    assert!(text.contains("faults injected:"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("simulation: 30 schedules, 0 violations")
    );
    // One kind alone, replayed; with a trace of its conditional writes. (The workloads end
    // in the request that starts them, so a replay of them alone writes nothing more.)
    let out = quickstep(&[
        "simulate",
        "--replay",
        "5",
        "--bench",
        "--workloads",
        "../shared/bench/workloads",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("schedule 5: 3 executions"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("simulation: 1 schedules, 0 violations")
    );
    let out = quickstep(&["simulate", "--replay", "5", "--calm", "--trace"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("put :sim-0:run-0 if v1"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("simulation: 1 schedules, 0 violations")
    );
    // --bench needs workloads; a missing directory is named.
    let out = quickstep(&["simulate", "--bench"]);
    assert_eq!(out.status.code(), Some(2));
    let out = quickstep(&["simulate", "--workloads", "no/such/dir"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no/such/dir"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn trace_prints_a_line_per_state_as_the_run_goes() {
    let mut args = EXAMPLE.to_vec();
    args.extend(["--clock", "virtual", "--trace"]);
    let out = quickstep(&args);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout_json(&out)["status"],
        "SUCCEEDED",
        "stdout keeps the report"
    );
    let trace = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = trace.lines().collect();
    assert!(
        !trace.contains('\u{1b}'),
        "no colour when stderr is not a terminal: {trace}"
    );
    let first = |needle: &str| lines.iter().position(|l| l.contains(needle));
    let failed =
        first("Payments.Unavailable: upstream timeout").expect("the first charge's failure");
    assert!(lines[failed].contains("Charge") && lines[failed].contains("failed"));
    let charged =
        first("  Charge ").map(|_| lines.iter().rposition(|l| l.contains("  Charge ")).unwrap());
    assert!(
        charged.unwrap() > failed && lines[charged.unwrap()].contains("+2.000 s"),
        "{trace}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.contains("(execution)") && last.contains("SUCCEEDED") && last.contains("+3602.000 s"),
        "{last}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("  Reserve ")).count(),
        2,
        "once per item"
    );
}
