//! What the tests of the Step Functions API share: a service on the in-memory adapters and a
//! virtual clock, one request at a time, and the step queue drained.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::TaskInvoker;
use quickstep_service::api::Request;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::service::Service;
use serde_json::Value;

pub type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

/// When the virtual clock starts.
pub const T0: i64 = 1_700_000_000_000;

/// A service whose Tasks go to `tasks`, on a virtual clock from [`T0`].
pub fn service_with(tasks: impl TaskInvoker + 'static) -> TestService {
    service_configured(tasks, Config::default())
}

/// [`service_with`], configured.
pub fn service_configured(tasks: impl TaskInvoker + 'static, config: Config) -> TestService {
    Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(tasks),
        Clock::virtual_at(T0),
        config,
    )
}

/// One Step Functions request: its status and body.
pub async fn call(service: &TestService, operation: &str, body: &Value) -> (u16, Value) {
    let request = Request {
        method: "POST".into(),
        path: "/".into(),
        body: body.to_string().into_bytes(),
        target: Some(format!("AWSStepFunctions.{operation}")),
        ..Request::default()
    };
    let response = service.handle(&request).await;
    (response.status, response.body)
}

/// The answer of a request that must succeed.
pub async fn ok(service: &TestService, operation: &str, body: Value) -> Value {
    let (status, answer) = call(service, operation, &body).await;
    assert_eq!(status, 200, "{operation} {body}: {answer}");
    answer
}

/// The error name of a request that must be refused (HTTP 400, or 409 for a conflict, as on
/// AWS), with a message.
pub async fn refused(service: &TestService, operation: &str, body: Value) -> String {
    let (status, answer) = call(service, operation, &body).await;
    let name = answer["__type"].as_str().unwrap_or_default().to_owned();
    let expected = if name == "ConflictException" {
        409
    } else {
        400
    };
    assert_eq!(status, expected, "{operation} {body}: {answer}");
    assert!(answer["message"].is_string(), "{answer}");
    name
}

/// Delivers queued step messages, moving the clock by each delay, until none are left.
pub async fn drain(service: &TestService) {
    while let Some(queued) = service.queue.pop() {
        service
            .clock
            .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
        service.step(&queued.message).await.unwrap();
    }
}

/// Starts an execution with StartExecution's request `start`, delivers its steps, and answers
/// DescribeExecution of it.
pub async fn run_to_end(service: &TestService, start: Value) -> Value {
    let started = ok(service, "StartExecution", start).await;
    drain(service).await;
    let arn = started["executionArn"].clone();
    ok(
        service,
        "DescribeExecution",
        serde_json::json!({"executionArn": arn}),
    )
    .await
}
