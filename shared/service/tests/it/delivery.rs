//! Regression tests for the asynchronous path's defects found by reading the code against
//! AWS's behaviour (the simulation, `quickstep simulate`, covers their interleavings at large):
//! early delivery, answers before their call is written back, ends only through the engine,
//! and the synchronous deadline.
use std::sync::Arc;

use quickstep_engine::execution::Effect;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::callback::TaskAnswer;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::ports::Store;
use quickstep_service::records::{ExecutionRecord, StepMessage};
use quickstep_service::service::Service;
use quickstep_service::worker::StepOutcome;
use serde_json::json;

const T0: i64 = 1_700_000_000_000;

type TestService = Service<MemoryStore, MemoryQueue, MemoryPublisher>;

/// Every task answers `{"ok": true}` at once.
struct Fine;

impl TaskInvoker for Fine {
    fn invoke(&self, _: &quickstep_engine::execution::TaskRequest) -> Invocation {
        Invocation::Ready(Ok(json!({"ok": true})))
    }
}

async fn service(definition: serde_json::Value) -> TestService {
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(Fine),
        Clock::virtual_at(T0),
        Config::default(),
    );
    service.put_state_machine("m", &definition).await.unwrap();
    service
}

async fn record(service: &TestService, arn: &str) -> ExecutionRecord {
    service
        .store
        .get_execution_with_history(arn)
        .await
        .unwrap()
        .unwrap()
}

fn callback_machine() -> serde_json::Value {
    json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}},
        "End": true}}})
}

#[tokio::test]
async fn a_message_before_its_record_is_sent_again_not_dropped() {
    let service =
        service(json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})).await;
    // Delivered before the start's write could be read: no record yet.
    let early = StepMessage::new("arn:aws:states:us-east-1:123456789012:express:m:later", 1);
    let mut message = early.clone();
    let mut delays = Vec::new();
    loop {
        match service.step(&message).await.unwrap() {
            StepOutcome::Rescheduled { delay_seconds } => {
                delays.push(delay_seconds);
                message = service.queue.pop().unwrap().message;
            }
            StepOutcome::Dropped(why) => {
                assert!(why.contains("never written"), "{why}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128]);
}

#[tokio::test]
async fn a_message_ahead_of_its_record_waits_for_the_write() {
    let service = service(json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "End": true}}}))
    .await;
    let started = service
        .start_async("m", Some("e"), json!({}))
        .await
        .unwrap();
    let stored = record(&service, &started.execution_arn).await;
    // The next version's message, sent before a write that has not landed yet.
    let ahead = StepMessage::new(&started.execution_arn, stored.version() + 1);
    assert_eq!(
        service.step(&ahead).await.unwrap(),
        StepOutcome::Rescheduled { delay_seconds: 1 }
    );
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "RUNNING"
    );
}

#[tokio::test]
async fn an_answer_before_its_call_is_written_back_is_taken() {
    let service = service(callback_machine()).await;
    let started = service
        .start_async("m", Some("e"), json!({}))
        .await
        .unwrap();
    // The call carrying the token is pending in the stored record; its resource answers before
    // the worker's step has written the call back.
    let stored = record(&service, &started.execution_arn).await;
    let token = stored
        .pending
        .iter()
        .find_map(|e| match e {
            Effect::Invoke(r) => r.task_token.clone(),
            _ => None,
        })
        .unwrap();
    service
        .answer_task(&token, TaskAnswer::Success(json!({"approved": true})))
        .await
        .unwrap();
    while let Some(queued) = service.queue.pop() {
        service
            .clock
            .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
        service.step(&queued.message).await.unwrap();
    }
    let done = record(&service, &started.execution_arn).await;
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(done.output, Some(json!({"approved": true})));
}

#[tokio::test]
async fn a_dead_letter_ends_the_execution_through_the_engine() {
    let service = service(callback_machine()).await;
    let started = service
        .start_async("m", Some("e"), json!({}))
        .await
        .unwrap();
    let stored = record(&service, &started.execution_arn).await;
    let current = StepMessage {
        claim: stored.claim,
        ..StepMessage::new(&started.execution_arn, stored.version())
    };
    service.dead_letter(&current).await.unwrap();
    let ended = record(&service, &started.execution_arn).await;
    assert_eq!(ended.status, "FAILED");
    assert_eq!(ended.snapshot.status.name(), "FAILED");
    assert_eq!(
        ended.snapshot.history.last().map(|e| e.kind.as_str()),
        Some("ExecutionFailed")
    );
    // Nothing brings it back: the step message of its old version is dropped.
    assert!(matches!(
        service.step(&current).await.unwrap(),
        StepOutcome::Dropped(_)
    ));
    assert_eq!(
        record(&service, &started.execution_arn).await.status,
        "FAILED"
    );
}

#[tokio::test]
async fn a_synchronous_loop_ends_timed_out_before_the_deadline() {
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(Fine),
        Clock::Real,
        // No history limit: it is the deadline that must end the loop.
        Config {
            max_history_events: u64::MAX,
            ..Config::default()
        },
    );
    // A loop that never waits: only a check between steps can see the deadline.
    let endless = json!({"StartAt": "Again", "States": {
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Again"},
        "Done": {"Type": "Succeed"}}});
    service.put_state_machine("loop", &endless).await.unwrap();
    let deadline = quickstep_runtime::clock::wall_clock() + 2_000;
    let answer = service
        .start_sync("loop", None, json!({}), Some(deadline))
        .await
        .unwrap();
    assert_eq!(answer["status"], "TIMED_OUT");
    assert_eq!(answer["error"], "States.Timeout");
    // It ended with the margin to spare, not at Lambda's own kill time.
    assert!(quickstep_runtime::clock::wall_clock() < deadline);
}

#[tokio::test]
async fn a_worker_with_little_time_left_still_makes_progress() {
    let service = service(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "End": true}}}))
    .await;
    let started = service
        .start_async("m", Some("e"), json!({}))
        .await
        .unwrap();
    let first = service.queue.pop().unwrap().message;
    // Three seconds left: less than the hand-over margin, yet the call is made.
    let outcome = service
        .step_until(&first, Some(service.clock.now() + 3_000))
        .await
        .unwrap();
    assert!(
        matches!(&outcome, StepOutcome::Advanced { status, .. } if status == "SUCCEEDED"),
        "{outcome:?}"
    );
    assert_eq!(
        record(&service, &started.execution_arn).await.output,
        Some(json!({"ok": true}))
    );
}
