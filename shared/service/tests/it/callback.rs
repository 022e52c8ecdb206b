//! The callback pattern on asynchronous executions (`.waitForTaskToken`), on the in-memory
//! adapters: the resource is called with the token, the execution waits in its record with no
//! message in flight, and `POST /tasks/success|failure|heartbeat` answers it.
use std::sync::{Arc, Mutex};

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::api::{Request, Response};
use quickstep_service::config::Config;
use quickstep_service::error::ServiceError;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::ports::Store;
use quickstep_service::records::ExecutionRecord;
use quickstep_service::service::Service;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

/// Serves `arn:aws:states:::lambda:invoke` and `sqs:sendMessage`, remembering each call; the
/// function `broken` fails.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<TaskRequest>>,
}

impl TaskInvoker for Recorder {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        self.calls.lock().unwrap().push(request.clone());
        if request.input["FunctionName"] == "broken" {
            return Invocation::Ready(Err(Failure::new("Lambda.ResourceNotFoundException", "no")));
        }
        Invocation::Ready(Ok(json!({"StatusCode": 200, "Payload": null})))
    }

    fn supports(&self, kind: &ResourceKind) -> bool {
        kind.is_request_response("lambda", "invoke")
            || kind.is_request_response("sqs", "sendMessage")
    }
}

type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

/// Asks `function` for an approval and waits for the answer; a rejection is caught.
fn approval(function: &str, extra: Value) -> Value {
    let mut ask = json!({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": function,
                       "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "ResultPath": "$.approval",
        "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.rejection", "Next": "Rejected"}],
        "Next": "Approved"});
    ask.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({"StartAt": "Ask", "States": {
        "Ask": ask,
        "Approved": {"Type": "Pass", "End": true},
        "Rejected": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "not approved"}}})
}

async fn service_with(definition: &Value) -> (TestService, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::clone(&recorder) as Arc<dyn TaskInvoker>,
        Clock::virtual_at(T0),
        Config::default(),
    );
    service
        .put_state_machine("approve", definition)
        .await
        .unwrap();
    (service, recorder)
}

/// Starts an execution and delivers its messages (moving the clock by each one's delay) until
/// none is left: it has ended, or waits for a callback. Returns its ARN.
async fn start(service: &TestService, name: &str) -> String {
    let started = service
        .start_async("approve", Some(name), json!({"order": 7}))
        .await
        .unwrap();
    drain(service).await;
    started.execution_arn
}

async fn drain(service: &TestService) {
    while let Some(queued) = service.queue.pop() {
        let due = service.clock.now() + i64::from(queued.delay_seconds) * 1000;
        service.clock.advance_to(due);
        service.step(&queued.message).await.unwrap();
    }
}

async fn record(service: &TestService, arn: &str) -> ExecutionRecord {
    service
        .store
        .get_execution_with_history(arn)
        .await
        .unwrap()
        .unwrap()
}

async fn post(service: &TestService, path: &str, body: &Value) -> Response {
    let request = Request {
        method: "POST".into(),
        path: path.into(),
        body: body.to_string().into_bytes(),
        ..Request::default()
    };
    service.handle(&request).await
}

fn token_of(recorder: &Recorder) -> String {
    let calls = recorder.calls.lock().unwrap();
    let call = calls.last().expect("the resource was called");
    call.input["Payload"]["token"]
        .as_str()
        .expect("a token in the payload")
        .to_owned()
}

#[tokio::test]
async fn the_execution_waits_for_its_token_then_goes_on_with_the_output() {
    let (service, recorder) = service_with(&approval("approver", json!({}))).await;
    let arn = start(&service, "ok").await;

    // The resource was called as request–response, with the token in its payload.
    let call = recorder.calls.lock().unwrap()[0].clone();
    assert_eq!(call.resource, "arn:aws:states:::lambda:invoke");
    assert_eq!(call.input["Payload"]["order"], 7);
    let token = token_of(&recorder);
    // It waits in its record, with no step message in flight.
    let waiting = record(&service, &arn).await;
    assert_eq!(waiting.status, "RUNNING");
    assert_eq!(waiting.callbacks.len(), 1);
    assert_eq!(waiting.callbacks[0].token, token);
    assert_eq!(service.queue.len(), 0);

    let answer = json!({"taskToken": token, "output": "{\"approved\": true}"});
    let response = post(&service, "/tasks/success", &answer).await;
    assert_eq!((response.status, response.body.clone()), (200, json!({})));
    drain(&service).await;
    let done = record(&service, &arn).await;
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(
        done.output,
        Some(json!({"order": 7, "approval": {"approved": true}}))
    );
    assert!(done.callbacks.is_empty());
    let kinds: Vec<&str> = done
        .snapshot
        .history
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert!(kinds.contains(&"TaskSucceeded"), "{kinds:?}");

    // The task was answered: a second answer is too late, as on Step Functions.
    let again = post(&service, "/tasks/success", &answer).await;
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (400, Some("TaskTimedOut"))
    );
}

#[tokio::test]
async fn a_failure_answer_fails_the_task_and_its_catch_applies() {
    let (service, recorder) = service_with(&approval("approver", json!({}))).await;
    let arn = start(&service, "no").await;
    let answer =
        json!({"taskToken": token_of(&recorder), "error": "Rejected", "cause": "too dear"});
    assert_eq!(post(&service, "/tasks/failure", &answer).await.status, 200);
    drain(&service).await;
    let done = record(&service, &arn).await;
    assert_eq!(done.status, "FAILED");
    assert_eq!(done.error.as_deref(), Some("Order.Rejected"));
    // The rejection went through the Catch (its ResultPath) on the way to the Fail state.
    let failed = done
        .snapshot
        .history
        .iter()
        .find(|e| e.kind == "TaskFailed")
        .expect("TaskFailed");
    assert_eq!(
        failed.details.as_ref().unwrap()["taskFailedEventDetails"]["cause"],
        json!("too dear")
    );
    // Failure events go out for callback executions as for any other.
    assert_eq!(service.publisher.events().len(), 1);
}

#[tokio::test]
async fn heartbeats_keep_a_task_alive_until_they_stop() {
    let (service, recorder) =
        service_with(&approval("approver", json!({"HeartbeatSeconds": 10}))).await;
    let started = service
        .start_async("approve", Some("beat"), json!({"order": 1}))
        .await
        .unwrap();
    let arn = started.execution_arn;
    // The first step calls the resource; the heartbeat timer's message is due in 10 s.
    let first = service.queue.pop().unwrap();
    service.step(&first.message).await.unwrap();
    let timer = service.queue.pop().unwrap();
    assert_eq!(timer.delay_seconds, 10);
    let token = token_of(&recorder);

    service.clock.advance_to(T0 + 8_000);
    let beat = post(&service, "/tasks/heartbeat", &json!({"taskToken": token})).await;
    assert_eq!(beat.status, 200);
    // The old timer's message arrives at 10 s: stale, the task lives on.
    service.clock.advance_to(T0 + 10_000);
    service.step(&timer.message).await.unwrap();
    assert_eq!(record(&service, &arn).await.status, "RUNNING");
    // The heartbeat's own message is due 10 s after it; with no further heartbeat the task
    // times out then.
    let next = service.queue.pop().unwrap();
    assert_eq!(next.delay_seconds, 10);
    service.clock.advance_to(T0 + 18_000);
    service.step(&next.message).await.unwrap();
    let done = record(&service, &arn).await;
    assert_eq!(done.status, "FAILED");
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    assert!(done.callbacks.is_empty());
    let late = post(&service, "/tasks/heartbeat", &json!({"taskToken": token})).await;
    assert_eq!(late.body["error"], "TaskTimedOut");
}

#[tokio::test]
async fn a_task_timeout_ends_the_wait() {
    let (service, recorder) =
        service_with(&approval("approver", json!({"TimeoutSeconds": 5}))).await;
    let arn = start(&service, "slow").await;
    let done = record(&service, &arn).await;
    assert_eq!(done.status, "FAILED");
    assert_eq!(done.error.as_deref(), Some("States.Timeout"));
    assert_eq!(done.stop_date, Some(T0 + 5_000));
    let late = json!({"taskToken": token_of(&recorder), "output": "{}"});
    assert_eq!(
        post(&service, "/tasks/success", &late).await.body["error"],
        "TaskTimedOut"
    );
}

#[tokio::test]
async fn a_resource_that_fails_fails_the_task_without_waiting() {
    let (service, _) = service_with(&approval("broken", json!({}))).await;
    let arn = start(&service, "broken").await;
    let done = record(&service, &arn).await;
    assert_eq!(done.status, "FAILED");
    assert_eq!(
        done.error.as_deref(),
        Some("Lambda.ResourceNotFoundException")
    );
    assert!(done.callbacks.is_empty());
}

#[tokio::test]
async fn bad_answers_are_refused_with_step_functions_error_names() {
    let (service, recorder) = service_with(&approval("approver", json!({}))).await;
    let arn = start(&service, "bad").await;
    let token = token_of(&recorder);
    let cases = [
        (
            "/tasks/success",
            json!({"taskToken": "not-a-token", "output": "{}"}),
            400,
            "InvalidToken",
        ),
        (
            "/tasks/heartbeat",
            json!({"taskToken": format!("{token}x")}),
            400,
            "InvalidToken",
        ),
        (
            "/tasks/success",
            json!({"taskToken": token, "output": "{not json"}),
            400,
            "InvalidOutput",
        ),
        (
            "/tasks/success",
            json!({"taskToken": token, "output": {"a": 1}}),
            400,
            "BadRequest",
        ),
        (
            "/tasks/success",
            json!({"taskToken": token}),
            400,
            "BadRequest",
        ),
        ("/tasks/failure", json!({"error": "E"}), 400, "BadRequest"),
        (
            "/tasks/failure",
            json!({"taskToken": token, "error": "E".repeat(257)}),
            400,
            "BadRequest",
        ),
        (
            "/tasks/success",
            json!({"taskToken": token, "output": format!("\"{}\"", "x".repeat(300 * 1024))}),
            413,
            "PayloadTooLarge",
        ),
        (
            "/tasks/cancel",
            json!({"taskToken": token}),
            404,
            "NotFound",
        ),
    ];
    for (path, body, status, name) in cases {
        let response = post(&service, path, &body).await;
        assert_eq!(
            (response.status, response.body["error"].as_str()),
            (status, Some(name)),
            "{path} {body}"
        );
    }
    let get = service
        .handle(&Request {
            method: "GET".into(),
            path: "/tasks/success".into(),
            ..Request::default()
        })
        .await;
    assert_eq!(get.status, 405);
    // None of them touched the execution.
    let waiting = record(&service, &arn).await;
    assert_eq!(waiting.status, "RUNNING");
    assert_eq!(waiting.callbacks.len(), 1);
}

#[tokio::test]
async fn a_synchronous_execution_cannot_wait_for_a_callback() {
    let (service, recorder) = service_with(&approval("approver", json!({}))).await;
    let Err(ServiceError::BadRequest(message)) = service
        .start_sync("approve", None, json!({"order": 1}), None)
        .await
    else {
        panic!("a synchronous execution of a callback workflow must be refused");
    };
    assert!(message.contains("/States/Ask/Resource"), "{message}");
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_callback_inside_a_map_waits_per_iteration() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "Send", "States": {"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$"}},
            "End": true}}}}}});
    let (service, recorder) = service_with(&definition).await;
    let started = service
        .start_async("approve", Some("map"), json!({"items": [1, 2, 3]}))
        .await
        .unwrap();
    drain(&service).await;
    let calls = recorder.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        record(&service, &started.execution_arn)
            .await
            .callbacks
            .len(),
        3
    );
    // Answer in reverse order; the Map's output keeps the items' order.
    for call in calls.iter().rev() {
        let body = &call.input["MessageBody"];
        let answer = json!({"taskToken": body["token"], "output": (body["n"].as_i64().unwrap() * 10).to_string()});
        assert_eq!(post(&service, "/tasks/success", &answer).await.status, 200);
        drain(&service).await;
    }
    let done = record(&service, &started.execution_arn).await;
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(done.output, Some(json!([10, 20, 30])));
}
