//! `quickstep cost` on the built binary: what it counts is checked against what the same
//! workflow does under `quickstep run`, and its dollars against its own counts.
use crate::common;

use common::{quickstep, stdout_json, temp_file};
use serde_json::Value;

fn order_args<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        command,
        "shared/cli/examples/order/order.asl.json",
        "--input",
        "shared/cli/examples/order/input.json",
        "--mock-config",
        "shared/cli/examples/order/mocks.json",
        "--test-case",
        "HappyPath",
    ];
    args.extend(extra);
    args
}

fn cost(args: &[&str]) -> Value {
    let out = quickstep(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The total is the sum of its lines.
fn assert_adds_up(priced: &Value) {
    let lines = priced["lines"].as_object().unwrap();
    let sum: f64 = lines.values().map(|v| v.as_f64().unwrap()).sum();
    assert!(close(sum, priced["total"].as_f64().unwrap()), "{priced}");
}

#[test]
fn the_example_is_costed_as_it_runs() {
    let report = cost(&order_args("cost", &["--json"]));
    let asynchronous = &report["async"];
    let usage = &asynchronous["usage"];
    assert_eq!(usage["status"], "SUCCEEDED");
    assert_adds_up(asynchronous);

    // Standard's transitions are the states `quickstep run` enters, plus the task retries.
    let run = stdout_json(&quickstep(&order_args("run", &["--clock", "virtual"])));
    assert_eq!(run["status"], "SUCCEEDED");
    let kinds: Vec<&str> = run["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let count = |f: &dyn Fn(&str) -> bool| kinds.iter().filter(|k| f(k)).count() as u64;
    let entered = count(&|k| k.ends_with("StateEntered"));
    let scheduled = count(&|k| k.ends_with("Scheduled"));
    let task_states = count(&|k| k == "TaskStateEntered");
    assert_eq!(usage["task_calls"].as_u64().unwrap(), scheduled);
    let transitions = entered + scheduled - task_states;
    assert_eq!(
        report["standard"]["transitions"].as_u64().unwrap(),
        transitions
    );
    assert!(close(
        report["standard"]["total"].as_f64().unwrap(),
        transitions as f64 * 25.0
    ));

    // The one-hour Wait: SQS delays messages 15 minutes at most, so the worker runs at least
    // four times; each message is sent, received and deleted.
    let invocations = usage["lambda_invocations"].as_u64().unwrap();
    assert!(invocations >= 5, "{usage}");
    assert_eq!(
        usage["sqs_requests"].as_u64().unwrap(),
        3 * (invocations - 1)
    );
    let dynamodb = &usage["dynamodb"];
    assert!(
        dynamodb["write_units"].as_u64().unwrap() >= dynamodb["requests"].as_u64().unwrap() / 2
    );
    assert!(close(
        asynchronous["lines"]["lambda_requests"].as_f64().unwrap(),
        invocations as f64 * 0.20
    ));

    // An hour is longer than the API function's 29 seconds and Express's 5 minutes.
    assert_eq!(report["sync"]["total"], Value::Null);
    assert!(report["sync"]["unavailable"]
        .as_str()
        .unwrap()
        .contains("within 29 s"));
    assert_eq!(report["express"]["total"], Value::Null);
    assert!(report["express"]["unavailable"]
        .as_str()
        .unwrap()
        .contains("5 minutes"));
}

#[test]
fn a_short_workflow_compares_with_express() {
    let definition = temp_file(
        "cost-short.asl.json",
        r#"{"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}}"#,
    );
    let report = cost(&[
        "cost",
        definition.as_str(),
        "--input-json",
        r#"{"a": 1}"#,
        "--json",
    ]);
    let sync = &report["sync"];
    assert_eq!(sync["usage"]["status"], "SUCCEEDED");
    assert_eq!(sync["usage"]["task_calls"], 1);
    assert_eq!(sync["usage"]["lambda_invocations"], 1);
    // Not stored: one read, of the state machine (a function that starts an execution less
    // often than every two seconds reads it every time).
    assert_eq!(sync["usage"]["dynamodb"]["write_units"], 0);
    assert_eq!(sync["usage"]["dynamodb"]["read_units"], 1);
    assert_eq!(sync["usage"]["sqs_requests"], 0);
    assert_adds_up(sync);
    assert_eq!(report["async"]["usage"]["status"], "SUCCEEDED");
    assert!(report["async"]["total"].as_f64().unwrap() > sync["total"].as_f64().unwrap());
    // Express: $1.00 a request and 100 ms at 64 MB.
    let express = report["express"]["total"].as_f64().unwrap();
    assert!(
        close(express, 1.0 + 0.1 / 16.0 * 0.000_016_67 * 1e6),
        "{express}"
    );
    assert_eq!(report["standard"]["transitions"], 2);

    // Behind API Gateway's HTTP API, each execution adds a request at $1.00 a million.
    let http = cost(&[
        "cost",
        definition.as_str(),
        "--input-json",
        r#"{"a": 1}"#,
        "--front",
        "http-api",
        "--json",
    ]);
    assert!(close(http["sync"]["lines"]["front"].as_f64().unwrap(), 1.0));
    assert!(close(sync["lines"]["front"].as_f64().unwrap(), 0.0));

    // Slower tasks bill the functions waiting for them.
    let slow = cost(&["cost", definition.as_str(), "--task-ms", "1000", "--json"]);
    assert!(
        slow["sync"]["usage"]["lambda_ms"].as_u64().unwrap() >= 1000,
        "{slow}"
    );
}

#[test]
fn the_table_names_every_line_and_step_functions() {
    let out = quickstep(&order_args("cost", &[]));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "front door",
        "Lambda requests",
        "Lambda duration",
        "SQS",
        "DynamoDB reads",
        "DynamoDB writes",
        "EventBridge",
        "total",
        "Step Functions Express: -",
        "Step Functions Standard: $",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}

#[test]
fn bad_definitions_and_callback_workflows_are_reported() {
    let definition = temp_file(
        "cost-bad.asl.json",
        r#"{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "nope", "End": true}}}"#,
    );
    let out = quickstep(&["cost", definition.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/States/X/Resource"), "{err}");

    // A callback workflow runs only asynchronously (StartSyncExecution refuses it).
    let callback = temp_file(
        "cost-callback.asl.json",
        r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                           "MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}}"#,
    );
    let report = cost(&["cost", callback.as_str(), "--json"]);
    assert_eq!(report["sync"]["total"], Value::Null);
    assert!(report["sync"]["unavailable"].is_string(), "{report}");
    assert_eq!(report["async"]["usage"]["status"], "SUCCEEDED");
}

/// An execution's write cost grows with its stored steps, not with their square: each stored
/// step writes its own history events, not the whole history again.
#[test]
fn write_units_grow_linearly_with_stored_steps() {
    let writes = |times: u32| {
        let input = format!(r#"{{"times": {times}, "order": "A-1001"}}"#);
        let report = cost(&[
            "cost",
            "shared/cli/examples/loop/loop.asl.json",
            "--input-json",
            &input,
            "--mock-config",
            "shared/cli/examples/loop/mocks.json",
            "--test-case",
            "Working",
            "--json",
        ]);
        let usage = &report["async"]["usage"];
        assert_eq!(usage["status"], "SUCCEEDED", "{report}");
        (
            usage["dynamodb"]["write_units"].as_u64().unwrap(),
            usage["lambda_invocations"].as_u64().unwrap(),
        )
    };
    let (w10, steps10) = writes(10);
    let (w20, steps20) = writes(20);
    let (w40, steps40) = writes(40);
    // Twice the rounds, twice the stored steps...
    assert_eq!(steps40 - steps20, 2 * (steps20 - steps10));
    // ...and twice the writes (a whole-history rewrite would be four times).
    assert_eq!(w40 - w20, 2 * (w20 - w10), "{w10} {w20} {w40}");
}

#[test]
fn a_start_run_inline_stores_a_short_execution_once() {
    let args = |inline: &'static str| {
        vec![
            "cost",
            "shared/cli/examples/five-states/five-states.asl.json",
            "--input",
            "shared/cli/examples/five-states/input.json",
            "--start-inline-ms",
            inline,
            "--json",
        ]
    };
    let queued = cost(&args("0"));
    let inline = cost(&args("1000"));
    let (q, i) = (&queued["async"]["usage"], &inline["async"]["usage"]);
    assert_eq!(i["status"], "SUCCEEDED");
    assert_eq!(i["task_calls"], q["task_calls"]);
    // The API function's invocation alone: no worker, no step message.
    assert_eq!(q["lambda_invocations"], 2);
    assert_eq!(i["lambda_invocations"], 1);
    assert_eq!(q["sqs_requests"], 3);
    assert_eq!(i["sqs_requests"], 0);
    // One create instead of a create and a write: half the write units. Deflated with the
    // store's dictionary, the record with its whole history is one kilobyte, so the create
    // is one unit and its listing entry another. The worker's read of the record gives way
    // to the start's read of whether its name is taken.
    let units = |u: &Value, what: &str| u["dynamodb"][what].as_u64().unwrap();
    assert_eq!(units(q, "write_units"), 4);
    assert_eq!(units(i, "write_units"), 2);
    assert_eq!(i["dynamodb"]["requests"], 3);
    assert_eq!(units(i, "read_units"), units(q, "read_units"));
    assert_adds_up(&inline["async"]);
    assert!(
        inline["async"]["total"].as_f64().unwrap()
            < queued["async"]["total"].as_f64().unwrap() / 2.0,
        "{inline}"
    );
    // A start that reaches a long Wait stores the record there: the worker goes on.
    let order = cost(&order_args(
        "cost",
        &["--start-inline-ms", "1000", "--json"],
    ));
    assert_eq!(order["async"]["usage"]["status"], "SUCCEEDED");
    assert!(
        order["async"]["usage"]["lambda_invocations"]
            .as_u64()
            .unwrap()
            >= 5
    );

    // A start with no call to make runs nothing more inline, so it reads nothing more.
    let passes = temp_file(
        "cost-passes.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "End": true}}}"#,
    );
    let plain = |inline: &str| {
        cost(&[
            "cost",
            passes.as_str(),
            "--start-inline-ms",
            inline,
            "--json",
        ])["async"]["usage"]["dynamodb"]
            .clone()
    };
    assert_eq!(plain("1000"), plain("0"));

    let refused = quickstep(&[
        "cost",
        "shared/cli/examples/five-states/five-states.asl.json",
        "--start-inline-ms",
        "-5",
    ]);
    assert_eq!(refused.status.code(), Some(2));
}
