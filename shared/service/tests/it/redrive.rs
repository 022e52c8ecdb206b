//! RedriveExecution through the Step Functions API over the in-memory adapters: an execution
//! that failed, or was stopped, starts again in the state it ended in and runs to its end.
use crate::sfn;

use sfn::{drain, ok, refused, service_configured, service_with, TestService};

use quickstep_runtime::mock::MockInvoker;
use quickstep_service::config::Config;
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";

/// Charge fails its first call and succeeds after.
fn service() -> TestService {
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {"T": {"Charge": "Flaky"}}}},
        "MockedResponses": {"Flaky": {
            "0": {"Throw": {"Error": "Payments.Down", "Cause": "try later"}},
            "1-9": {"Return": {"paid": true}}
        }}
    });
    service_with(MockInvoker::from_config(&mocks, "orders", "T").unwrap())
}

async fn create(service: &TestService) {
    let definition = json!({
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"order.$": "$.order"}, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
                       "ResultPath": "$.payment", "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"order.$": "$order", "payment.$": "$.payment"}, "End": true}
        }
    });
    ok(
        service,
        "CreateStateMachine",
        json!({"name": "orders", "definition": definition.to_string(), "roleArn": "arn:aws:iam::1:role/r"}),
    )
    .await;
}

#[tokio::test]
async fn a_failed_execution_is_redriven_to_success() {
    let service = service();
    create(&service).await;
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "o-1", "input": "{\"order\": 7}"}),
    )
    .await;
    let arn = started["executionArn"].clone();
    drain(&service).await;
    let failed = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(
        (failed["status"].as_str(), failed["error"].as_str()),
        (Some("FAILED"), Some("Payments.Down"))
    );
    assert_eq!(
        (
            failed["redriveStatus"].as_str(),
            failed["redriveCount"].as_u64()
        ),
        (Some("REDRIVABLE"), Some(0))
    );
    assert_eq!(service.publisher.events().len(), 1);

    let redriven = ok(&service, "RedriveExecution", json!({"executionArn": arn})).await;
    assert!(redriven["redriveDate"].is_number());
    let running = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(running["status"], "RUNNING");
    assert!(running.get("error").is_none() && running.get("stopDate").is_none());
    assert_eq!(
        refused(&service, "RedriveExecution", json!({"executionArn": arn})).await,
        "ExecutionNotRedrivable"
    );
    drain(&service).await;
    let done = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    // The variable assigned before the failure, and the retried call's answer.
    assert_eq!(
        serde_json::from_str::<Value>(done["output"].as_str().unwrap()).unwrap(),
        json!({"order": 7, "payment": {"paid": true}})
    );
    assert_eq!(done["redriveCount"], 1);
    assert_eq!(done["redriveDate"], redriven["redriveDate"]);
    assert_eq!(done["redriveStatus"], "NOT_REDRIVABLE");
    assert_eq!(
        done["redriveStatusReason"],
        "Execution is SUCCEEDED and cannot be redriven."
    );
    let history = ok(
        &service,
        "GetExecutionHistory",
        json!({"executionArn": arn}),
    )
    .await;
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let failed_at = kinds.iter().position(|k| *k == "ExecutionFailed").unwrap();
    assert_eq!(
        &kinds[failed_at + 1..failed_at + 3],
        ["ExecutionRedriven", "TaskStateEntered"]
    );
    // The Wait before the failed state is not waited again.
    assert_eq!(
        kinds.iter().filter(|k| **k == "WaitStateEntered").count(),
        1
    );
    assert_eq!(
        refused(&service, "RedriveExecution", json!({"executionArn": arn})).await,
        "ExecutionNotRedrivable"
    );
    assert_eq!(
        service.publisher.events().len(),
        1,
        "no second failure event"
    );
}

#[tokio::test]
async fn a_stopped_execution_is_redriven_and_unknown_ones_are_refused() {
    let service = service();
    create(&service).await;
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "o-2", "input": "{\"order\": 8}"}),
    )
    .await;
    let arn = started["executionArn"].clone();
    ok(&service, "StopExecution", json!({"executionArn": arn})).await;
    ok(&service, "RedriveExecution", json!({"executionArn": arn})).await;
    drain(&service).await;
    // Stopped in the Wait: redriven there, then Charge fails once (its first call) and the
    // execution ends FAILED; a second redrive finishes it.
    let failed = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    ok(&service, "RedriveExecution", json!({"executionArn": arn})).await;
    drain(&service).await;
    let done = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(
        (done["status"].as_str(), done["redriveCount"].as_u64()),
        (Some("SUCCEEDED"), Some(2))
    );
    let missing = arn.as_str().unwrap().replace("o-2", "nope");
    assert_eq!(
        refused(
            &service,
            "RedriveExecution",
            json!({"executionArn": missing})
        )
        .await,
        "ExecutionDoesNotExist"
    );
}

/// An execution that ends at the history limit ended in a state, but a redrive would have no
/// room for its events: it is described as not redrivable for that reason, and refused.
#[tokio::test]
async fn an_execution_ended_by_the_history_limit_is_not_redrivable() {
    let config = Config {
        max_history_events: 100,
        ..Config::default()
    };
    let service = service_configured(MockInvoker::default(), config);
    let endless = json!({"StartAt": "Again", "States": {
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Again"},
        "Done": {"Type": "Succeed"}
    }});
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "endless", "definition": endless.to_string(), "roleArn": "arn:aws:iam::1:role/r"}),
    )
    .await;
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE.replace("orders", "endless"), "name": "e-1"}),
    )
    .await;
    let arn = started["executionArn"].clone();
    drain(&service).await;
    let failed = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(
        (
            failed["status"].as_str(),
            failed["error"].as_str(),
            failed["redriveStatus"].as_str(),
            failed["redriveStatusReason"].as_str()
        ),
        (
            Some("FAILED"),
            Some("States.Runtime"),
            Some("NOT_REDRIVABLE"),
            Some("Execution history event limit exceeded.")
        ),
        "{failed}"
    );
    assert_eq!(
        refused(&service, "RedriveExecution", json!({"executionArn": arn})).await,
        "ExecutionNotRedrivable"
    );
}

#[tokio::test]
async fn a_client_token_answers_its_first_redrive_again_for_fifteen_minutes() {
    let service = service();
    create(&service).await;
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "o-3", "input": "{\"order\": 9}"}),
    )
    .await;
    let arn = started["executionArn"].clone();
    drain(&service).await;
    let redrive = json!({"executionArn": arn, "clientToken": "retry-1"});
    let first = ok(&service, "RedriveExecution", redrive.clone()).await;
    // Running again: a retried request with the same token is answered, not refused.
    service.clock.advance_to(service.clock.now() + 5_000);
    let again = ok(&service, "RedriveExecution", redrive.clone()).await;
    assert_eq!(again, first);
    drain(&service).await;
    // Ended SUCCEEDED: the same token still answers the first redrive and changes nothing.
    let again = ok(&service, "RedriveExecution", redrive.clone()).await;
    assert_eq!(again, first);
    let done = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(
        (done["status"].as_str(), done["redriveCount"].as_u64()),
        (Some("SUCCEEDED"), Some(1))
    );
    // Fifteen minutes after its first use the token is forgotten: the request is a new redrive,
    // refused because the execution succeeded.
    service
        .clock
        .advance_to(service.clock.now() + 15 * 60 * 1000 + 1);
    assert_eq!(
        refused(&service, "RedriveExecution", redrive).await,
        "ExecutionNotRedrivable"
    );
    for token in ["", "has space", &"x".repeat(65)] {
        assert_eq!(
            refused(
                &service,
                "RedriveExecution",
                json!({"executionArn": arn, "clientToken": token})
            )
            .await,
            "ValidationException",
            "{token:?}"
        );
    }
}
