//! Step Functions Local's mocked testing through the Step Functions API: executions started as
//! `<stateMachineArn>#<TestCase>` answer the Tasks their test case mocks from the mock config,
//! and call every other Task for real.
use crate::sfn;

use sfn::{call, ok, run_to_end, service_with, TestService};

use quickstep_runtime::mock::MockInvoker;
use quickstep_service::test_cases::TestCases;
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";

/// Charges (retrying a Lambda service error), waits for an approval, ships.
fn definition() -> String {
    json!({
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "ResultSelector": {"paid.$": "$.Payload.paid"},
                "Next": "Approve"
            },
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "approve", "Payload": {"token.$": "$$.Task.Token"}},
                "ResultPath": "$.approval",
                "Next": "Ship"
            },
            "Ship": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:ship",
                "ResultPath": "$.ship",
                "End": true
            }
        }
    })
    .to_string()
}

/// The mock config: `Happy` mocks Charge (a failure, then success) and the callback task
/// Approve, but not Ship.
fn mock_config() -> Value {
    json!({
        "StateMachines": {"orders": {"TestCases": {
            "Happy": {"Charge": "ChargeFlaky", "Approve": "Approved"},
            "Declined": {"Charge": "ChargeDeclined"}
        }}},
        "MockedResponses": {
            "ChargeFlaky": {
                "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "flaky"}},
                "1": {"Return": {"StatusCode": 200, "Payload": {"paid": true}}}
            },
            "ChargeDeclined": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}},
            "Approved": {"0": {"Return": {"approved": true}}}
        }
    })
}

/// The deployment's real integrations, here answering Ship only (anything else fails).
fn real_tasks() -> MockInvoker {
    let real = json!({
        "StateMachines": {"orders": {"TestCases": {"Real": {"Ship": "Shipped"}}}},
        "MockedResponses": {"Shipped": {"0-99": {"Return": {"shipped": true}}}}
    });
    MockInvoker::from_config(&real, "orders", "Real").unwrap()
}

fn new_service(test_cases: bool) -> TestService {
    let service = service_with(real_tasks());
    if test_cases {
        service.with_test_cases(TestCases::new(mock_config()).unwrap())
    } else {
        service
    }
}

async fn create(service: &TestService, machine_type: &str) {
    ok(
        service,
        "CreateStateMachine",
        json!({"name": "orders", "definition": definition(), "type": machine_type,
               "roleArn": "arn:aws:iam::123456789012:role/r"}),
    )
    .await;
}

async fn start(service: &TestService, arn: &str, name: &str) -> Value {
    let request = json!({"stateMachineArn": arn, "name": name, "input": "{\"order\": 7}"});
    run_to_end(service, request).await
}

#[tokio::test]
async fn a_test_case_mocks_its_states_and_the_rest_run_for_real() {
    let service = new_service(true);
    create(&service, "STANDARD").await;
    let done = start(&service, &format!("{MACHINE}#Happy"), "first").await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let output: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    // Charge's second answer (after the retry), Approve's mocked callback answer at once,
    // and Ship from the real integration.
    assert_eq!(
        output,
        json!({"paid": true, "approval": {"approved": true}, "ship": {"shipped": true}})
    );
    assert!(done["executionArn"]
        .as_str()
        .unwrap()
        .ends_with(":orders:first"));
    // An ended execution's test case is forgotten.
    let test_cases = service.test_cases.as_ref().unwrap();
    assert!(test_cases
        .of(done["executionArn"].as_str().unwrap())
        .is_none());
    let history = ok(
        &service,
        "GetExecutionHistory",
        json!({"executionArn": done["executionArn"]}),
    )
    .await;
    let failed: Vec<&Value> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .collect();
    assert_eq!(failed.len(), 1, "{history}");
    assert_eq!(failed[0]["taskFailedEventDetails"]["cause"], "flaky");

    // A second execution of the same case counts its invocations from 0 again.
    let again = start(&service, &format!("{MACHINE}#Happy"), "second").await;
    assert_eq!(again["status"], "SUCCEEDED", "{again}");
    let declined = start(&service, &format!("{MACHINE}#Declined"), "third").await;
    assert_eq!(declined["status"], "FAILED", "{declined}");
    assert_eq!(declined["error"], "Card.Declined");
    // Without a test case, every Task calls the real integrations (which cannot charge).
    let real = start(&service, MACHINE, "fourth").await;
    assert_eq!(real["status"], "FAILED", "{real}");
    assert_eq!(real["error"], "States.Runtime");
}

#[tokio::test]
async fn a_synchronous_execution_runs_on_a_test_case_too() {
    let service = new_service(true);
    create(&service, "EXPRESS").await;
    let definition = json!({
        "StartAt": "Charge",
        "States": {"Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge"},
            "End": true
        }}
    });
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": definition.to_string()}),
    )
    .await;
    let done = ok(
        &service,
        "StartSyncExecution",
        json!({"stateMachineArn": format!("{MACHINE}#Declined"), "input": "{}"}),
    )
    .await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["error"], "Card.Declined");
    assert_eq!(done["cause"], "no funds");
}

#[tokio::test]
async fn unknown_test_cases_and_missing_mock_configs_are_refused() {
    let service = new_service(true);
    create(&service, "STANDARD").await;
    let (status, answer) = call(
        &service,
        "StartExecution",
        &json!({"stateMachineArn": format!("{MACHINE}#Nope")}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["__type"], "ValidationException");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("no test case named 'Nope'"), "{message}");

    let plain = new_service(false);
    create(&plain, "STANDARD").await;
    let (status, answer) = call(
        &plain,
        "StartExecution",
        &json!({"stateMachineArn": format!("{MACHINE}#Happy")}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["__type"], "InvalidArn");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("--mock-config"));
}
