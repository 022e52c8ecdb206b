//! Asynchronous starts that run their execution inline (`Config::start_inline_ms`): an
//! execution that ends within the time queues nothing (the CLI's `tests/it/cost_cli.rs`
//! counts its one write); one that does not is
//! stored where it got to and goes on in the worker; a repeated named start calls no task
//! again; a call still running when the time is up is waited for until the invocation's
//! deadline, not made twice.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use quickstep_engine::execution::TaskRequest;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::ports::Store;
use quickstep_service::records::ExecutionRecord;
use quickstep_service::service::Service;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

/// Counts its calls and answers each with the call's input; each call takes `takes_ms` of the
/// service's virtual clock, and answers later (pending) if `pending`.
struct Counted {
    calls: AtomicUsize,
    clock: Arc<Clock>,
    takes_ms: i64,
    pending: bool,
}

impl TaskInvoker for Counted {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.clock.advance_to(self.clock.now() + self.takes_ms);
        let output = request.input.get("Payload").cloned().unwrap_or(Value::Null);
        if self.pending {
            Invocation::Pending(Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Ok(json!({"Payload": output}))
            }))
        } else {
            Invocation::Ready(Ok(json!({"Payload": output})))
        }
    }
}

fn task(next: &str) -> Value {
    json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "OutputPath": "$.Payload", "Next": next})
}

/// Pass, Task, Pass, Task, Succeed.
fn two_tasks() -> Value {
    json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"n": 1}, "Next": "First"},
        "First": task("Between"),
        "Between": {"Type": "Pass", "Next": "Second"},
        "Second": task("Done"),
        "Done": {"Type": "Succeed"}}})
}

async fn service_with(
    definition: Value,
    start_inline_ms: i64,
    takes_ms: i64,
    pending: bool,
) -> (TestService, Arc<Counted>) {
    let clock = Arc::new(Clock::virtual_at(T0));
    let tasks = Arc::new(Counted {
        calls: AtomicUsize::new(0),
        clock: Arc::clone(&clock),
        takes_ms,
        pending,
    });
    let config = Config {
        start_inline_ms,
        ..Config::default()
    };
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::clone(&tasks) as Arc<dyn TaskInvoker>,
        Clock::virtual_at(T0),
        config,
    )
    .with_clock(clock);
    service.put_state_machine("m", &definition).await.unwrap();
    (service, tasks)
}

async fn record(service: &TestService, arn: &str) -> ExecutionRecord {
    service
        .store
        .get_execution_with_history(arn)
        .await
        .unwrap()
        .unwrap()
}

/// Delivers the queued messages (moving the clock by each one's delay) until none is left.
async fn drain(service: &TestService) -> usize {
    let mut steps = 0;
    while let Some(queued) = service.queue.pop() {
        let due = service.clock.now() + i64::from(queued.delay_seconds) * 1000;
        service.clock.advance_to(due);
        service.step(&queued.message).await.unwrap();
        steps += 1;
    }
    steps
}

fn event_types(record: &ExecutionRecord) -> Vec<String> {
    let history = serde_json::to_value(&record.snapshot.history).unwrap();
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_execution_that_ends_within_the_time_is_stored_once_and_queues_nothing() {
    let (service, tasks) = service_with(two_tasks(), 1_000, 10, false).await;
    let started = service
        .start_async("m", None, json!({"x": 1}))
        .await
        .unwrap();
    assert!(started.new);
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
    assert!(service.queue.is_empty(), "an ended execution needs no step");
    let stored = record(&service, &started.execution_arn).await;
    assert_eq!(stored.status, "SUCCEEDED");
    assert_eq!(stored.output, Some(json!({"n": 1})));
    assert_eq!(stored.start_date, T0);
    // The whole history, as the worker would have written it.
    let types = event_types(&stored);
    assert_eq!(types.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));
    assert_eq!(types.iter().filter(|t| *t == "TaskSucceeded").count(), 2);
}

#[tokio::test]
async fn without_the_setting_a_start_answers_before_any_call() {
    let (service, tasks) = service_with(two_tasks(), 0, 10, false).await;
    let started = service.start_async("m", None, json!({})).await.unwrap();
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 0);
    assert_eq!(service.queue.len(), 1);
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "RUNNING"
    );
    drain(&service).await;
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
}

#[tokio::test]
async fn a_start_that_reaches_a_wait_is_stored_there_and_the_worker_goes_on() {
    let definition = json!({"StartAt": "First", "States": {
        "First": task("Pause"),
        "Pause": {"Type": "Wait", "Seconds": 30, "Next": "Second"},
        "Second": task("Done"),
        "Done": {"Type": "Succeed"}}});
    let (service, tasks) = service_with(definition, 1_000, 10, false).await;
    let started = service.start_async("m", None, json!({})).await.unwrap();
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 1);
    let stored = record(&service, &started.execution_arn).await;
    assert_eq!(stored.status, "RUNNING");
    assert_eq!(stored.snapshot.history.last().map(|e| e.id), Some(7));
    let queued = service.queue.pop().unwrap();
    assert_eq!(queued.delay_seconds, 30, "the next step is the Wait's end");
    service.clock.advance_to(service.clock.now() + 30_000);
    service.step(&queued.message).await.unwrap();
    drain(&service).await;
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
}

#[tokio::test]
async fn a_repeated_named_start_calls_no_task_again() {
    let (service, tasks) = service_with(two_tasks(), 1_000, 10, false).await;
    let first = service
        .start_async("m", Some("once"), json!({}))
        .await
        .unwrap();
    let again = service
        .start_async("m", Some("once"), json!({}))
        .await
        .unwrap();
    assert!(first.new);
    assert!(!again.new);
    assert_eq!(again.execution_arn, first.execution_arn);
    assert_eq!(again.start_date, first.start_date);
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn no_call_is_made_once_the_time_is_up() {
    // Each call takes 600 ms: the first is made, the second would start past the 500 ms.
    let (service, tasks) = service_with(two_tasks(), 500, 600, false).await;
    let started = service.start_async("m", None, json!({})).await.unwrap();
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 1);
    let stored = record(&service, &started.execution_arn).await;
    assert_eq!(stored.status, "RUNNING");
    assert_eq!(service.queue.len(), 1);
    drain(&service).await;
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
}

#[tokio::test]
async fn a_call_running_when_the_time_is_up_is_waited_for_until_the_deadline() {
    // A one-task machine whose call takes 600 ms of a 100 ms inline time.
    let definition = json!({"StartAt": "Only", "States": {"Only": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}});
    let (service, tasks) = service_with(definition.clone(), 100, 600, true).await;
    let deadline = T0 + 30_000;
    let started = service
        .start_async_until("m", None, json!({}), Some(deadline))
        .await
        .unwrap();
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 1);
    assert!(service.queue.is_empty());

    // With no deadline known, the inline time is all there is: the call is left to the
    // worker, which makes it again.
    let (service, tasks) = service_with(definition, 100, 600, true).await;
    let started = service.start_async("m", None, json!({})).await.unwrap();
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "RUNNING"
    );
    drain(&service).await;
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "SUCCEEDED"
    );
    assert_eq!(tasks.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failure_ended_inline_is_published_once() {
    let definition = json!({"StartAt": "First", "States": {
        "First": task("Stop"),
        "Stop": {"Type": "Fail", "Error": "Nope", "Cause": "said no"}}});
    let (service, _) = service_with(definition, 1_000, 10, false).await;
    let started = service.start_async("m", None, json!({})).await.unwrap();
    let stored = record(&service, &started.execution_arn).await;
    assert_eq!(stored.status, "FAILED");
    assert!(stored.status_event_sent);
    let published = service.publisher.events();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].status, "FAILED");
    assert_eq!(published[0].error.as_deref(), Some("Nope"));
    // The end's outbox message (a crash before the publish would leave it to publish) finds
    // the event sent, and publishes nothing more.
    assert_eq!(drain(&service).await, 1);
    assert_eq!(service.publisher.events().len(), 1);
}

#[tokio::test]
async fn a_start_whose_inline_run_outgrows_the_store_ends_the_execution_failed() {
    // The task answers with 20 KB; the store keeps records of at most 10 KB.
    struct Large(AtomicUsize);
    impl TaskInvoker for Large {
        fn invoke(&self, _: &TaskRequest) -> Invocation {
            self.0.fetch_add(1, Ordering::SeqCst);
            Invocation::Ready(Ok(json!({"Payload": "x".repeat(20_000)})))
        }
    }
    let tasks = Arc::new(Large(AtomicUsize::new(0)));
    let service = Service::new(
        MemoryStore::with_record_limit(10_000),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::clone(&tasks) as Arc<dyn TaskInvoker>,
        Clock::virtual_at(T0),
        Config {
            start_inline_ms: 1_000,
            ..Config::default()
        },
    );
    service.put_state_machine("m", &two_tasks()).await.unwrap();
    let started = service
        .start_async("m", Some("big"), json!({}))
        .await
        .unwrap();
    assert!(started.new);
    let stored = record(&service, &started.execution_arn).await;
    assert_eq!(stored.status, "FAILED");
    assert_eq!(stored.error.as_deref(), Some("States.DataLimitExceeded"));
    assert!(
        stored
            .cause
            .as_deref()
            .unwrap_or_default()
            .contains("10000"),
        "{:?}",
        stored.cause
    );
    assert_eq!(service.publisher.events().len(), 1);
    // Both tasks were called by the start; neither a repeated start nor the worker calls
    // them again.
    assert_eq!(tasks.0.load(Ordering::SeqCst), 2);
    let again = service
        .start_async("m", Some("big"), json!({}))
        .await
        .unwrap();
    assert!(!again.new);
    drain(&service).await;
    assert_eq!(tasks.0.load(Ordering::SeqCst), 2);
}
