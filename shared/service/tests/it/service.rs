//! The service's logic on the in-memory adapters: sync and async executions, and the faults the
//! asynchronous path must survive.
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use quickstep_runtime::clock::Clock;
use quickstep_runtime::mock::MockInvoker;
use quickstep_service::config::Config;
use quickstep_service::error::ServiceError;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::ports::{Created, Listing, PortError, Store};
use quickstep_service::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord,
    StepMessage, Tags,
};
use quickstep_service::service::Service;
use quickstep_service::worker::StepOutcome;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

/// A store that can be told to fail the next conditional write after doing nothing, as a
/// worker that crashed between sending the next message and writing the record.
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    fail_puts: AtomicU32,
    /// If set, a read of a state machine's current revision answers only when notified
    /// (what it answers is read before the wait).
    slow_machine_reads: std::sync::Mutex<Option<Arc<tokio::sync::Notify>>>,
}

impl Store for FlakyStore {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        self.inner
            .put_state_machine(name, arn, definition, asked, now)
            .await
    }
    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        self.inner.get_tags(name).await
    }
    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        self.inner.put_tags(name, tags, expected_version).await
    }
    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        self.inner.get_published(name).await
    }
    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        self.inner.put_published(name, published).await
    }
    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        self.inner.delete_state_machine(name, arn, now).await
    }
    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        self.inner.list_state_machines(after, limit).await
    }
    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        self.inner
            .list_executions(machine, status, after, limit)
            .await
    }
    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        let read = self.inner.get_state_machine(name).await;
        let slow = self.slow_machine_reads.lock().unwrap().clone();
        if let Some(answer) = slow {
            answer.notified().await;
        }
        read
    }
    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        self.inner.get_revision(name, revision).await
    }
    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        self.inner.create_execution(record).await
    }
    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        self.inner.get_execution(arn).await
    }
    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        self.inner.get_execution_with_history(arn).await
    }
    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected: u64,
    ) -> Result<(), PortError> {
        if self
            .fail_puts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(PortError::Retryable("the worker crashed".into()));
        }
        self.inner.put_execution_if_version(record, expected).await
    }
}

type TestService = Service<FlakyStore, MemoryQueue, MemoryPublisher>;

const WORKFLOW: &str = r#"{
  "StartAt": "Charge",
  "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
               "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 5}], "ResultPath": "$.charge", "Next": "Nap"},
    "Nap": {"Type": "Wait", "Seconds": 2000, "Next": "Fan"},
    "Fan": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Item", "States": {
        "Item": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": true}}}, "ResultPath": "$.items", "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.charge.ok", "BooleanEquals": true, "Next": "Done"}], "Default": "Bad"},
    "Done": {"Type": "Succeed"},
    "Bad": {"Type": "Fail", "Error": "Order.Bad", "Cause": "not charged"}
  }
}"#;

fn mocks(charge: Value) -> MockInvoker {
    let config = json!({
        "StateMachines": {"orders": {"TestCases": {"T": {"Charge": "ChargeResponses"}}}},
        "MockedResponses": {"ChargeResponses": charge}
    });
    MockInvoker::from_config(&config, "orders", "T").unwrap()
}

async fn service(charge: Value) -> TestService {
    let service = Service::new(
        FlakyStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(mocks(charge)),
        Clock::virtual_at(T0),
        Config::default(),
    );
    service
        .put_state_machine("orders", &serde_json::from_str(WORKFLOW).unwrap())
        .await
        .unwrap();
    service
}

fn ok_then_flaky() -> Value {
    json!({
        "0": {"Throw": {"Error": "Flaky", "Cause": "try again"}},
        "1": {"Return": {"ok": true}}
    })
}

/// Delivers queued messages (each `copies` times) until none are left, moving the clock
/// forward by each message's delay, as SQS and Lambda would. Returns the outcomes.
async fn pump(service: &TestService, copies: usize) -> Vec<StepOutcome> {
    let mut outcomes = Vec::new();
    for _ in 0..1000 {
        let Some(queued) = service.queue.pop() else {
            return outcomes;
        };
        service
            .clock
            .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
        for _ in 0..copies {
            outcomes.push(service.step(&queued.message).await.unwrap());
        }
    }
    panic!("the queue never drained");
}

async fn record(service: &TestService, arn: &str) -> ExecutionRecord {
    service
        .store
        .get_execution_with_history(arn)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn an_async_execution_runs_through_tasks_retries_waits_and_maps_to_the_end() {
    let service = service(ok_then_flaky()).await;
    let started = service
        .start_async("orders", Some("o-1"), json!({"items": [1, 2]}))
        .await
        .unwrap();
    assert!(started.new);
    assert_eq!(
        started.execution_arn,
        "arn:aws:states:us-east-1:123456789012:express:orders:o-1"
    );
    let outcomes = pump(&service, 1).await;
    let r = record(&service, &started.execution_arn).await;
    assert_eq!(r.status, "SUCCEEDED", "{:?} {:?}", r.error, r.cause);
    assert_eq!(
        r.output,
        Some(json!({"items": [{"n": 1}, {"n": 2}], "charge": {"ok": true}}))
    );
    // The 2,000 s wait was chained through the queue: 900 + 900 + 200 seconds.
    let rescheduled: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            StepOutcome::Rescheduled { delay_seconds } => Some(*delay_seconds),
            _ => None,
        })
        .collect();
    assert_eq!(rescheduled, vec![900, 200], "{outcomes:?}");
    assert!(service.publisher.events().is_empty());
}

#[tokio::test]
async fn every_message_delivered_twice_changes_nothing() {
    let service = service(ok_then_flaky()).await;
    let started = service
        .start_async("orders", Some("twice"), json!({"items": [1]}))
        .await
        .unwrap();
    let outcomes = pump(&service, 2).await;
    assert!(outcomes.contains(&StepOutcome::Dropped("stale or duplicate message")));
    let r = record(&service, &started.execution_arn).await;
    assert_eq!(r.status, "SUCCEEDED");
    assert_eq!(service.store.inner.executions().len(), 1);
}

#[tokio::test]
async fn a_worker_that_dies_between_the_send_and_the_write_strands_nothing() {
    let service = service(ok_then_flaky()).await;
    let started = service
        .start_async("orders", Some("crash"), json!({"items": [1]}))
        .await
        .unwrap();
    let first = service.queue.pop().unwrap();
    service.store.fail_puts.store(1, Ordering::SeqCst);
    // The step sent its next message, then "crashed" before writing: an error, so SQS keeps
    // the message and delivers it again.
    assert!(service.step(&first.message).await.is_err());
    assert_eq!(service.queue.len(), 1);
    // The orphan message names a version that was never written; the redelivery does the work.
    service.step(&first.message).await.unwrap();
    pump(&service, 1).await;
    let r = record(&service, &started.execution_arn).await;
    assert_eq!(r.status, "SUCCEEDED");
}

#[tokio::test]
async fn two_workers_racing_on_one_message_advance_it_once() {
    let service = service(ok_then_flaky()).await;
    let started = service
        .start_async("orders", Some("race"), json!({"items": [1]}))
        .await
        .unwrap();
    let first = service.queue.pop().unwrap();
    let (a, b) = tokio::join!(service.step(&first.message), service.step(&first.message));
    let outcomes = [a.unwrap(), b.unwrap()];
    let advanced = outcomes
        .iter()
        .filter(|o| matches!(o, StepOutcome::Advanced { .. }))
        .count();
    let dropped = outcomes
        .iter()
        .filter(|o| matches!(o, StepOutcome::Dropped(_)))
        .count();
    assert_eq!((advanced, dropped), (1, 1), "{outcomes:?}");
    pump(&service, 1).await;
    let r = record(&service, &started.execution_arn).await;
    assert_eq!(r.status, "SUCCEEDED");
}

#[tokio::test]
async fn a_failed_execution_publishes_exactly_one_event() {
    let service = service(json!({"0": {"Return": {"ok": false}}})).await;
    let started = service
        .start_async("orders", Some("bad"), json!({"items": []}))
        .await
        .unwrap();
    pump(&service, 2).await;
    let r = record(&service, &started.execution_arn).await;
    assert_eq!(r.status, "FAILED");
    assert_eq!(r.error.as_deref(), Some("Order.Bad"));
    let events = service.publisher.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].status, "FAILED");
    assert_eq!(events[0].execution_arn, started.execution_arn);
}

#[tokio::test]
async fn the_same_execution_name_returns_the_first_execution() {
    let service = service(ok_then_flaky()).await;
    let a = service
        .start_async("orders", Some("dup"), json!({"items": []}))
        .await
        .unwrap();
    let b = service
        .start_async("orders", Some("dup"), json!({"items": [9]}))
        .await
        .unwrap();
    assert!(a.new && !b.new);
    assert_eq!(a.execution_arn, b.execution_arn);
    assert_eq!(
        record(&service, &a.execution_arn).await.input,
        json!({"items": []})
    );
    // No read tells the second start the name is taken before it sends its step message: the
    // worker drops that message, and the first execution runs on undisturbed.
    let outcomes = pump(&service, 1).await;
    assert!(
        outcomes.contains(&StepOutcome::Dropped("stale or duplicate message")),
        "{outcomes:?}"
    );
    let ended = record(&service, &a.execution_arn).await;
    assert_eq!(ended.status, "SUCCEEDED", "{:?}", ended.cause);
    assert_eq!(ended.input, json!({"items": []}));
    // Started again once it ended: the ended execution is returned, its message dropped.
    let c = service
        .start_async("orders", Some("dup"), json!({"items": [9]}))
        .await
        .unwrap();
    assert!(!c.new);
    assert_eq!(
        pump(&service, 1).await,
        vec![StepOutcome::Dropped("the execution has ended")]
    );
    assert_eq!(
        record(&service, &a.execution_arn).await.version(),
        ended.version()
    );
    assert_eq!(service.store.inner.executions().len(), 1);
}

#[tokio::test]
async fn stop_and_dead_letter_end_executions_with_an_event_each() {
    let service = service(ok_then_flaky()).await;
    let a = service
        .start_async("orders", Some("stopped"), json!({"items": []}))
        .await
        .unwrap();
    service
        .stop(&a.execution_arn, None, Some("user".into()))
        .await
        .unwrap();
    assert_eq!(record(&service, &a.execution_arn).await.status, "ABORTED");

    let b = service
        .start_async("orders", Some("dlq"), json!({"items": []}))
        .await
        .unwrap();
    let stored = record(&service, &b.execution_arn).await;
    service
        .dead_letter(&StepMessage {
            claim: stored.claim,
            ..StepMessage::new(&b.execution_arn, stored.version())
        })
        .await
        .unwrap();
    let r = record(&service, &b.execution_arn).await;
    assert_eq!(
        (r.status.as_str(), r.error.as_deref()),
        ("FAILED", Some("States.Runtime"))
    );
    let statuses: Vec<String> = service
        .publisher
        .events()
        .into_iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, vec!["ABORTED", "FAILED"]);
    // Every message left behind is dropped: nothing stays RUNNING, nothing is published again.
    pump(&service, 1).await;
    assert_eq!(service.publisher.events().len(), 2);
}

#[tokio::test]
async fn sync_executions_answer_with_the_result_and_time_out_at_the_deadline() {
    let sync_def = json!({"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": true}}});
    let service = service(json!({"0": {"Return": {"ok": true}}})).await;
    service
        .put_state_machine("orders", &sync_def)
        .await
        .unwrap();
    let response = service
        .start_sync("orders", Some("s-1"), json!({"a": 1}), None)
        .await
        .unwrap();
    assert_eq!(response["status"], "SUCCEEDED");
    assert_eq!(response["output"], json!("{\"ok\":true}"));
    assert_eq!(response["input"], json!("{\"a\":1}"));
    assert!(
        response["billingDetails"]["billedDurationInMilliseconds"]
            .as_u64()
            .unwrap()
            >= 100
    );

    let waits =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    service.put_state_machine("orders", &waits).await.unwrap();
    let deadline = quickstep_runtime::clock::wall_clock() + 50;
    let response = service
        .start_sync("orders", None, json!({}), Some(deadline))
        .await
        .unwrap();
    assert_eq!(response["status"], "TIMED_OUT");
    assert_eq!(response["error"], "States.Timeout");
    let events = service.publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, "TIMED_OUT");
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_right_error() {
    let service = service(ok_then_flaky()).await;
    let invalid = service
        .put_state_machine("orders", &json!({"StartAt": "X", "States": {}}))
        .await
        .unwrap_err();
    assert!(matches!(&invalid, ServiceError::InvalidDefinition(p) if !p.is_empty()));
    assert_eq!(invalid.status_and_name(), (400, "InvalidDefinition"));
    let missing = service
        .start_async("nope", None, json!({}))
        .await
        .unwrap_err();
    assert_eq!(missing.status_and_name(), (404, "NotFound"));
    let big = json!({"blob": "x".repeat(300 * 1024)});
    let too_large = service.start_async("orders", None, big).await.unwrap_err();
    assert_eq!(too_large.status_and_name(), (413, "PayloadTooLarge"));
}

fn request(method: &str, path: &str, body: &str) -> quickstep_service::api::Request {
    quickstep_service::api::Request {
        method: method.into(),
        path: path.into(),
        query: Vec::new(),
        body: body.as_bytes().to_vec(),
        deadline: None,
        target: None,
    }
}

#[tokio::test]
async fn the_api_routes_answer_with_the_documented_shapes_and_errors() {
    let service = service(ok_then_flaky()).await;
    let put = service
        .handle(&request(
            "PUT",
            "/state-machines/hello",
            r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
        ))
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["revision"], 1);
    let get = service
        .handle(&request("GET", "/state-machines/hello", ""))
        .await;
    assert_eq!(get.body["definition"]["StartAt"], "P");

    let sync = service
        .handle(&request(
            "POST",
            "/state-machines/hello/sync",
            r#"{"x": 1}"#,
        ))
        .await;
    assert_eq!(
        (sync.status, &sync.body["status"]),
        (200, &json!("SUCCEEDED"))
    );
    assert_eq!(sync.body["output"], json!("{\"x\":1}"));

    let mut start = request("POST", "/state-machines/hello/executions", "");
    start.query = vec![("name".into(), "e1".into())];
    let started = service.handle(&start).await;
    assert_eq!(started.status, 202);
    let again = service.handle(&start).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["executionArn"], started.body["executionArn"]);
    let arn = started.body["executionArn"].as_str().unwrap();
    let encoded = arn.replace(':', "%3A");
    let described = service
        .handle(&request("GET", &format!("/executions/{encoded}"), ""))
        .await;
    assert_eq!(
        described.body["status"], "SUCCEEDED",
        "{:?}",
        described.body
    );
    let history = service
        .handle(&request("GET", &format!("/executions/{arn}/history"), ""))
        .await;
    let kinds: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );

    let cases = [
        (
            request("PUT", "/state-machines/hello", "{not json"),
            400,
            "BadRequest",
        ),
        (
            request(
                "PUT",
                "/state-machines/hello",
                r#"{"StartAt": "Q", "States": {}}"#,
            ),
            400,
            "InvalidDefinition",
        ),
        (request("GET", "/state-machines/nope", ""), 404, "NotFound"),
        (
            request("GET", "/executions/arn:aws:states:x", ""),
            404,
            "NotFound",
        ),
        (
            request("PATCH", "/state-machines/hello", ""),
            405,
            "MethodNotAllowed",
        ),
        (request("GET", "/elsewhere", ""), 404, "NotFound"),
        (
            request(
                "POST",
                "/state-machines/hello/sync",
                &format!("{{\"b\": \"{}\"}}", "x".repeat(300 * 1024)),
            ),
            413,
            "PayloadTooLarge",
        ),
    ];
    for (req, status, name) in cases {
        let response = service.handle(&req).await;
        assert_eq!(
            (response.status, response.body["error"].as_str()),
            (status, Some(name)),
            "{} {}",
            req.method,
            req.path
        );
        assert!(response.body["message"].is_string());
    }
}

/// An invoker that serves Lambda function ARNs only.
struct LambdaOnly;

impl quickstep_runtime::invoker::TaskInvoker for LambdaOnly {
    fn invoke(
        &self,
        _request: &quickstep_engine::execution::TaskRequest,
    ) -> quickstep_runtime::invoker::Invocation {
        quickstep_runtime::invoker::Invocation::Ready(Ok(json!({})))
    }

    fn supports(&self, kind: &quickstep_engine::validate::ResourceKind) -> bool {
        matches!(
            kind,
            quickstep_engine::validate::ResourceKind::LambdaFunction
        )
    }
}

/// A service whose deployment runs Lambda function ARNs only.
fn lambda_only_service() -> Service<MemoryStore, MemoryQueue, MemoryPublisher> {
    Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(LambdaOnly),
        Clock::virtual_at(T0),
        Config::default(),
    )
}

#[tokio::test]
async fn a_task_the_deployment_cannot_run_is_refused_where_it_stands() {
    let service = lambda_only_service();
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Send", "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}, "End": true}}});
    let Err(ServiceError::InvalidDefinition(problems)) =
        service.put_state_machine("m", &definition).await
    else {
        panic!("an unsupported resource must be refused");
    };
    let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(locations, ["/States/M/ItemProcessor/States/Send/Resource"]);
    assert!(problems[0].message.contains("sqs:sendMessage"));
}

#[tokio::test]
async fn a_task_waiting_for_a_job_is_refused_as_express_refuses_it() {
    let service = lambda_only_service();
    for (resource, pattern) in [
        ("arn:aws:states:::ecs:runTask.sync", "'.sync'"),
        ("arn:aws:states:::glue:startJobRun.sync", "'.sync'"),
        ("arn:aws:states:::states:startExecution.sync:2", "'.sync:2'"),
    ] {
        let definition = json!({"StartAt": "Run", "States": {
            "Run": {"Type": "Task", "Resource": resource, "End": true}}});
        let Err(ServiceError::InvalidDefinition(problems)) =
            service.put_state_machine("m", &definition).await
        else {
            panic!("{resource} must be refused");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].location, "/States/Run/Resource");
        let message = &problems[0].message;
        assert!(message.contains(resource), "{message}");
        assert!(message.contains("Express"), "{message}");
        assert!(
            message.ends_with(&format!("(this one is {pattern})")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn the_deployment_caps_how_long_an_execution_runs() {
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(mocks(ok_then_flaky())),
        Clock::virtual_at(T0),
        Config {
            execution_timeout_seconds: Some(60),
            ..Config::default()
        },
    );
    let definition = json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    service.put_state_machine("nap", &definition).await.unwrap();
    let started = service.start_async("nap", None, json!({})).await.unwrap();
    for _ in 0..10 {
        let Some(queued) = service.queue.pop() else {
            break;
        };
        service
            .clock
            .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
        service.step(&queued.message).await.unwrap();
    }
    let r = service
        .store
        .get_execution(&started.execution_arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, "TIMED_OUT");
    assert_eq!(r.error.as_deref(), Some("States.Timeout"));
    assert_eq!(r.stop_date, Some(T0 + 60_000));
    assert_eq!(service.publisher.events().len(), 1, "one failure event");
}

#[tokio::test]
async fn starts_read_the_current_revision_at_most_once_in_its_freshness_window() {
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(MockInvoker::none()),
        Clock::virtual_at(T0),
        Config::default(),
    );
    let pass = |result: &str| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}});
    let output = |answer: Value| answer["output"].as_str().unwrap().to_owned();
    service.put_state_machine("m", &pass("one")).await.unwrap();
    let run = |name: &'static str| service.start_sync("m", Some(name), json!({}), None);
    assert_eq!(output(run("a").await.unwrap()), "\"one\"");
    // Another process updates it: starts here run what they read for up to two seconds, as
    // Step Functions' eventually consistent updates do, then the update.
    service
        .store
        .put_state_machine("m", "arn", &pass("two"), &Asked::default(), T0)
        .await
        .unwrap();
    assert_eq!(output(run("b").await.unwrap()), "\"one\"");
    service.clock.advance_to(T0 + 1_999);
    assert_eq!(output(run("c").await.unwrap()), "\"one\"");
    service.clock.advance_to(T0 + 2_000);
    assert_eq!(output(run("d").await.unwrap()), "\"two\"");
    // This process's own update is started at once.
    service
        .put_state_machine("m", &pass("three"))
        .await
        .unwrap();
    assert_eq!(output(run("e").await.unwrap()), "\"three\"");
    // None of it with the window at 0.
    let fresh = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(MockInvoker::none()),
        Clock::virtual_at(T0),
        Config {
            current_revision_ms: 0,
            ..Config::default()
        },
    );
    fresh.put_state_machine("m", &pass("one")).await.unwrap();
    fresh
        .start_sync("m", Some("a"), json!({}), None)
        .await
        .unwrap();
    fresh
        .store
        .put_state_machine("m", "arn", &pass("two"), &Asked::default(), T0)
        .await
        .unwrap();
    let answer = fresh
        .start_sync("m", Some("b"), json!({}), None)
        .await
        .unwrap();
    assert_eq!(output(answer), "\"two\"");
}

#[tokio::test]
async fn a_revision_read_while_this_process_updates_it_is_not_kept() {
    let service = service(ok_then_flaky()).await;
    let pass = |result: &str| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}});
    service.put_state_machine("m", &pass("one")).await.unwrap();
    let answer = Arc::new(tokio::sync::Notify::new());
    *service.store.slow_machine_reads.lock().unwrap() = Some(Arc::clone(&answer));
    // A start reads revision one; before its answer arrives, this process stores two.
    let (started, ()) = tokio::join!(service.start_sync("m", Some("a"), json!({}), None), async {
        service.put_state_machine("m", &pass("two")).await.unwrap();
        answer.notify_one();
    });
    assert_eq!(started.unwrap()["output"], "\"one\"");
    *service.store.slow_machine_reads.lock().unwrap() = None;
    // What it read is older than the update: the next start reads again.
    let next = service
        .start_sync("m", Some("b"), json!({}), None)
        .await
        .unwrap();
    assert_eq!(next["output"], "\"two\"");
}
