//! Every sample event in events/ through its handler, on the in-memory adapters.
// A test fails by panicking: unwrap and expect are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use quickstep_lambda::{eventbridge, http, sqs};
use quickstep_runtime::clock::Clock;
use quickstep_runtime::mock::MockInvoker;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::service::Service;
use quickstep_service::trigger::TriggerMode;
use serde_json::{json, Value};

type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name))
        .unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

async fn api(service: &TestService, name: &str) -> (u16, Value) {
    let request = lambda_http::request::from_str(&text(name))
        .unwrap_or_else(|e| panic!("events/{name}: {e}"));
    let response = http::handle(service, request).await;
    let body = match response.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("{name}: a JSON text body, got {other:?}"),
    };
    (response.status().as_u16(), body)
}

fn service() -> TestService {
    Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(MockInvoker::none()),
        Clock::Real,
        Config::default(),
    )
}

const ARN: &str = "arn:aws:states:us-east-1:123456789012:express:hello:first-run";

#[tokio::test]
async fn every_sample_event_gives_the_documented_response() {
    let service = service();
    let mut used = Vec::new();
    let mut call = |name: &'static str| {
        used.push(name);
        name
    };

    let (status, body) = api(&service, call("api-v1-put-state-machine.json")).await;
    assert_eq!((status, &body["revision"]), (200, &json!(1)), "{body}");
    let (status, body) = api(&service, call("api-v2-get-state-machine.json")).await;
    assert_eq!(status, 200);
    assert_eq!(body["definition"]["StartAt"], "Greet");

    let (status, body) = api(&service, call("api-v2-post-sync.json")).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("SUCCEEDED")),
        "{body}"
    );
    assert_eq!(body["output"], json!(r#"{"greeting":"Hello, Ada!"}"#));
    assert!(body["executionArn"]
        .as_str()
        .unwrap()
        .ends_with(":hello:first-sync"));

    let (status, body) = api(&service, call("api-v1-post-executions.json")).await;
    assert_eq!(
        (status, &body["executionArn"]),
        (202, &json!(ARN)),
        "{body}"
    );
    let (status, body) = api(&service, call("api-v2-get-execution.json")).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("SUCCEEDED")),
        "{body}"
    );
    assert_eq!(body["output"], json!(r#"{"greeting":"Hello, Grace!"}"#));
    // The same, through the Step Functions API (POST / with X-Amz-Target).
    let (status, body) = api(
        &service,
        call("api-v2-post-stepfunctions-describe-execution.json"),
    )
    .await;
    assert_eq!(
        (status, &body["status"], &body["executionArn"]),
        (200, &json!("SUCCEEDED"), &json!(ARN)),
        "{body}"
    );
    let (status, body) = api(&service, call("api-v2-get-history.json")).await;
    assert_eq!(status, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 4);
    let (status, body) = api(&service, call("api-v1-delete-execution.json")).await;
    assert_eq!(status, 200);
    assert!(body["stopDate"].is_number());

    // Answers to tasks waiting for a token: first-run has ended, so none waits for its token;
    // the failure event's token was not made by quickstep.
    for file in [
        "api-v2-post-task-success.json",
        "api-v2-post-task-heartbeat.json",
    ] {
        let (status, body) = api(&service, call(file)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("TaskTimedOut")),
            "{file}: {body}"
        );
    }
    let (status, body) = api(&service, call("api-v1-post-task-failure.json")).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("InvalidToken")),
        "{body}"
    );

    // The step batch: the first message is for an execution that already ended (dropped,
    // so not a failure); the second is not a step message and is reported failed.
    let batch: SqsEvent = serde_json::from_str(&text(call("worker-sqs-step-batch.json"))).unwrap();
    let response = sqs::handle_steps(&service, batch, None).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["00000001-aaaa-bbbb-cccc-dddddddddddd"]);

    let dead: SqsEvent = serde_json::from_str(&text(call("dlq-sqs-batch.json"))).unwrap();
    assert!(sqs::handle_dead_letters(&service, dead)
        .await
        .batch_item_failures
        .is_empty());

    let event: Value = serde_json::from_str(&text(call("trigger-eventbridge-event.json"))).unwrap();
    service
        .put_state_machine("orders", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.detail", "End": true}}}))
        .await
        .unwrap();
    let first =
        eventbridge::handle_event(&service, "orders", TriggerMode::Async, event.clone(), None)
            .await
            .unwrap();
    let retry = eventbridge::handle_event(&service, "orders", TriggerMode::Async, event, None)
        .await
        .unwrap();
    assert_eq!(first["new"], true);
    assert_eq!(
        retry["new"], false,
        "EventBridge's retry must not start a second execution"
    );
    assert!(first["executionArn"]
        .as_str()
        .unwrap()
        .ends_with(":orders:6a7e8feb-b491-4cf7-a9f1-bf3703467718"));

    // Every file in events/ was used.
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let mut used: Vec<String> = used.into_iter().map(str::to_owned).collect();
    used.sort();
    assert_eq!(files, used);
}
