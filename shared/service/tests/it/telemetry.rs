//! Execution logs and metrics through the telemetry port: Step Functions' log shape at each
//! level, written once per event however often a step is delivered, and the metrics of starts
//! and ends, for asynchronous and synchronous executions.
use crate::sfn;

use std::sync::Arc;

use sfn::{ok, service_with, TestService};

use quickstep_runtime::mock::MockInvoker;
use quickstep_service::memory::MemoryTelemetry;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

fn service() -> (TestService, Arc<MemoryTelemetry>) {
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {"T": {"Charge": "Flaky"}}}},
        "MockedResponses": {"Flaky": {
            "0": {"Throw": {"Error": "Payments.Down", "Cause": "try later"}},
            "1-9": {"Return": {"paid": true}}}}
    });
    let telemetry = Arc::new(MemoryTelemetry::default());
    let service = service_with(MockInvoker::from_config(&mocks, "orders", "T").unwrap())
        .with_telemetry(Arc::clone(&telemetry) as Arc<_>);
    (service, telemetry)
}

fn definition() -> String {
    json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["Payments.Down"], "IntervalSeconds": 2}], "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "End": true}}})
    .to_string()
}

/// The lines written: (execution log events, metric documents).
fn written(telemetry: &MemoryTelemetry) -> (Vec<Value>, Vec<Value>) {
    let parsed: Vec<Value> = telemetry
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    parsed.into_iter().partition(|v| v.get("_aws").is_none())
}

/// Delivers every queued step message twice, as SQS may.
async fn drain_twice(service: &TestService) {
    while let Some(queued) = service.queue.pop() {
        service
            .clock
            .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
        service.step(&queued.message).await.unwrap();
        service.step(&queued.message).await.unwrap();
    }
}

#[tokio::test]
async fn an_asynchronous_execution_is_logged_as_step_functions_logs_it_once_per_event() {
    let (service, telemetry) = service();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "orders", "definition": definition(), "roleArn": ROLE,
               "loggingConfiguration": {"level": "ALL", "includeExecutionData": true,
                   "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:1:log-group:g:*"}}]}}),
    )
    .await;
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
               "name": "o-1", "input": "{\"n\": 1}"}),
    )
    .await;
    drain_twice(&service).await;
    let arn = started["executionArn"].as_str().unwrap();
    let history = ok(
        &service,
        "GetExecutionHistory",
        json!({"executionArn": arn}),
    )
    .await;
    let events = history["events"].as_array().unwrap();
    let (logs, metrics) = written(&telemetry);
    // Every history event once, in order, in the log's shape.
    let ids: Vec<&str> = logs.iter().map(|l| l["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=events.len()).map(|i| i.to_string()).collect();
    assert_eq!(
        ids, expected,
        "each event logged once, though every step came twice"
    );
    for (log, event) in logs.iter().zip(events) {
        assert_eq!(log["type"], event["type"]);
        assert_eq!(log["execution_arn"], arn);
        assert_eq!(log["redrive_count"], "0");
        assert!(log["event_timestamp"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok());
        assert_eq!(
            log["previous_event_id"],
            json!(event["previousEventId"].as_u64().unwrap().to_string())
        );
    }
    let failed = logs
        .iter()
        .find(|l| l["type"] == "LambdaFunctionFailed" || l["type"] == "TaskFailed")
        .unwrap();
    assert_eq!(failed["details"]["error"], "Payments.Down");
    let started_log = &logs[0];
    assert_eq!(started_log["details"]["input"], "{\"n\":1}");
    assert_eq!(
        started_log["details"]["roleArn"]
            .as_str()
            .map(|r| r.contains(":role/")),
        Some(true)
    );
    // Metrics: one start, one success with its time (2 s back-off + 5 s wait), duplicates seen.
    let named = |name: &str| {
        metrics
            .iter()
            .filter(|m| m.get(name).is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(named("ExecutionsStarted").len(), 1);
    let succeeded = named("ExecutionsSucceeded");
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0]["ExecutionTime"], 7000.0);
    assert_eq!(
        succeeded[0]["StateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    );
    assert_eq!(
        succeeded[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "quickstep"
    );
    assert!(
        !named("DuplicatesDropped").is_empty(),
        "the second deliveries were dropped"
    );
    let invocations = named("TaskInvocations");
    assert_eq!(invocations.len(), 2, "the first call and its retry");
    assert_eq!(invocations[0]["Integration"], "lambda:invoke");
}

#[tokio::test]
async fn levels_and_data_are_the_state_machines_or_the_deployments() {
    let (service, telemetry) = service();
    let failing = json!({"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Demo.Boom", "Cause": "on purpose"}}});
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "err", "definition": failing.to_string(), "roleArn": ROLE, "type": "EXPRESS",
               "loggingConfiguration": {"level": "ERROR", "includeExecutionData": false,
                   "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:1:log-group:g:*"}}]}}),
    )
    .await;
    let answer = ok(
        &service,
        "StartSyncExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:err", "input": "{\"secret\": 1}"}),
    )
    .await;
    assert_eq!(answer["status"], "FAILED");
    let (logs, metrics) = written(&telemetry);
    // ERROR: the Fail state's entry and the failure; no data.
    let types: Vec<&str> = logs.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["FailStateEntered", "ExecutionFailed"]);
    assert_eq!(logs[0]["details"], json!({"name": "Boom"}));
    assert_eq!(
        logs[1]["details"],
        json!({"error": "Demo.Boom", "cause": "on purpose"})
    );
    assert!(!telemetry.lines().iter().any(|l| l.contains("secret")));
    assert_eq!(
        metrics
            .iter()
            .filter(|m| m.get("ExecutionsFailed").is_some())
            .count(),
        1
    );

    // A state machine without a logging level: the deployment's default (here OFF) logs
    // nothing, and metrics are written all the same.
    let before = telemetry.lines().len();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "quiet", "definition": failing.to_string(), "roleArn": ROLE, "type": "EXPRESS"}),
    )
    .await;
    ok(
        &service,
        "StartSyncExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:quiet"}),
    )
    .await;
    let new: Vec<String> = telemetry.lines()[before..].to_vec();
    assert!(new.iter().all(|l| l.contains("\"_aws\"")), "{new:?}");
    assert_eq!(new.len(), 2, "a start and a failure: {new:?}");
}
