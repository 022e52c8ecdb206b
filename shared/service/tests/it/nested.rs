//! `arn:aws:states:::states:startExecution` on the in-memory adapters: a parent execution
//! starts a child of another state machine, from the asynchronous and the synchronous path,
//! once even when its step is delivered twice.
use std::sync::Arc;

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::config::Config;
use quickstep_service::error::ServiceError;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::ports::Store;
use quickstep_service::records::ExecutionRecord;
use quickstep_service::service::Service;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;
const CHILD_ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:child";

type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

/// A deployment that runs no integration at all: nested starts are the service's own.
struct NoIntegrations;

impl TaskInvoker for NoIntegrations {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        Invocation::Ready(Err(Failure::new("Unexpected", request.resource.clone())))
    }

    fn supports(&self, _kind: &ResourceKind) -> bool {
        false
    }
}

async fn service() -> TestService {
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(NoIntegrations),
        Clock::virtual_at(T0),
        Config::default(),
    );
    let child = json!({"StartAt": "Greet", "States": {
        "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "End": true}}});
    service.put_state_machine("child", &child).await.unwrap();
    service
}

/// A parent whose one Task starts `child` with `parameters` (its other fields as given).
fn parent(parameters: &Value) -> Value {
    json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                  "Parameters": parameters, "End": true}}})
}

/// Delivers every queued message `copies` times until the queue is empty.
async fn pump(service: &TestService, copies: usize) {
    for _ in 0..1000 {
        let Some(queued) = service.queue.pop() else {
            return;
        };
        for _ in 0..copies {
            service.step(&queued.message).await.unwrap();
        }
    }
    panic!("the queue never drained");
}

fn executions_of(service: &TestService, machine: &str) -> Vec<ExecutionRecord> {
    service
        .store
        .executions()
        .into_iter()
        .filter(|r| r.state_machine_name == machine)
        .collect()
}

#[tokio::test]
async fn an_async_parent_starts_its_child_once_even_when_every_step_is_delivered_twice() {
    let service = service().await;
    let definition = parent(&json!({"StateMachineArn": CHILD_ARN, "Input": {"who.$": "$.name"}}));
    service
        .put_state_machine("parent", &definition)
        .await
        .unwrap();
    let started = service
        .start_async("parent", Some("p-1"), json!({"name": "ada"}))
        .await
        .unwrap();
    pump(&service, 2).await;

    let parent = service
        .store
        .get_execution(&started.execution_arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        parent.status, "SUCCEEDED",
        "{:?} {:?}",
        parent.error, parent.cause
    );
    let children = executions_of(&service, "child");
    assert_eq!(children.len(), 1, "one child, however often the step ran");
    let child = &children[0];
    assert_eq!(child.status, "SUCCEEDED");
    assert_eq!(child.input, json!({"who": "ada"}));
    assert_eq!(child.output, Some(json!({"greeting": "hello ada"})));
    // StartExecution's response, as the optimized integration returns it.
    let output = parent.output.unwrap();
    assert_eq!(output["ExecutionArn"], json!(child.arn));
    assert_eq!(output["StartDate"], json!(child.start_date));
    assert_eq!(output["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(output["SdkResponseMetadata"]["RequestId"].is_string());
    assert!(uuid::Uuid::parse_str(&child.name).is_ok(), "{}", child.name);
}

#[tokio::test]
async fn a_sync_parent_starts_a_named_child_that_runs_asynchronously() {
    let service = service().await;
    let definition = parent(&json!({
        "StateMachineArn": CHILD_ARN, "Name.$": "$.id", "Input": "{\"who\": \"grace\"}"}));
    service
        .put_state_machine("parent", &definition)
        .await
        .unwrap();
    let response = service
        .start_sync("parent", None, json!({"id": "c-7"}), None)
        .await
        .unwrap();
    assert_eq!(response["status"], "SUCCEEDED", "{response}");
    let output: Value = serde_json::from_str(response["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output["ExecutionArn"],
        "arn:aws:states:us-east-1:123456789012:express:child:c-7"
    );
    let children = executions_of(&service, "child");
    assert_eq!(children.len(), 1);
    assert_eq!(
        children[0].status, "SUCCEEDED",
        "a Pass-only child ends at its start"
    );
    assert_eq!(children[0].output, Some(json!({"greeting": "hello grace"})));
}

#[tokio::test]
async fn a_missing_state_machine_fails_the_task_as_step_functions_does() {
    let service = service().await;
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nobody";
    let definition = parent(&json!({"StateMachineArn": missing}));
    service
        .put_state_machine("parent", &definition)
        .await
        .unwrap();
    let response = service
        .start_sync("parent", None, json!({}), None)
        .await
        .unwrap();
    assert_eq!(response["status"], "FAILED");
    assert_eq!(
        response["error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );
    let cause = response["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!("State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ")),
        "{cause}"
    );
    // Catchable, as on AWS.
    let caught = json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                  "Parameters": {"StateMachineArn": missing}, "End": true,
                  "Catch": [{"ErrorEquals": ["StepFunctions.StateMachineDoesNotExistException"], "Next": "Handled"}]},
        "Handled": {"Type": "Succeed"}}});
    service.put_state_machine("caught", &caught).await.unwrap();
    let response = service
        .start_sync("caught", None, json!({}), None)
        .await
        .unwrap();
    assert_eq!(response["status"], "SUCCEEDED");
}

#[tokio::test]
async fn waiting_for_a_child_to_end_is_refused_when_the_definition_is_stored() {
    let service = service().await;
    // A parent may wait for a token it passes to the child (the callback pattern)...
    let callback = json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                  "Parameters": {"StateMachineArn": CHILD_ARN, "Input": {"token.$": "$$.Task.Token"}},
                  "End": true}}});
    service
        .put_state_machine("parent", &callback)
        .await
        .unwrap();
    // ...but not for the child to end: that is .sync, which Express does not offer.
    for resource in [
        "arn:aws:states:::states:startExecution.sync",
        "arn:aws:states:::states:startExecution.sync:2",
    ] {
        let definition = json!({"StartAt": "Start", "States": {
            "Start": {"Type": "Task", "Resource": resource,
                      "Parameters": {"StateMachineArn": CHILD_ARN}, "End": true}}});
        let Err(ServiceError::InvalidDefinition(problems)) =
            service.put_state_machine("parent", &definition).await
        else {
            panic!("{resource} must be refused");
        };
        assert_eq!(problems[0].location, "/States/Start/Resource");
        assert!(
            problems[0].message.contains(resource),
            "{}",
            problems[0].message
        );
    }
}

#[tokio::test]
async fn a_workflow_that_starts_itself_ends_at_the_nesting_cap() {
    let service = service().await;
    let me = "arn:aws:states:us-east-1:123456789012:stateMachine:forever";
    service
        .put_state_machine("forever", &parent(&json!({"StateMachineArn": me})))
        .await
        .unwrap();
    service
        .start_async("forever", Some("first"), json!({}))
        .await
        .unwrap();
    pump(&service, 1).await;
    let chain = executions_of(&service, "forever");
    // The first and its descendants down to the cap; the deepest one's start failed.
    let cap = Config::default().max_nesting_depth as usize;
    assert_eq!(chain.len(), cap + 1);
    let failed: Vec<&ExecutionRecord> = chain.iter().filter(|r| r.status == "FAILED").collect();
    assert_eq!(
        failed.len(),
        1,
        "{:?}",
        chain.iter().map(|r| &r.status).collect::<Vec<_>>()
    );
    assert_eq!(
        failed[0].error.as_deref(),
        Some("StepFunctions.ExecutionLimitExceededException")
    );
    assert_eq!(failed[0].depth as usize, cap);
}
