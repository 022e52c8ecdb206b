//! SQS batches: the worker's step messages, and the dead-letter queue's.
//!
//! The messages of a batch are handled concurrently, each on its own, within the invocation's
//! deadline (the worker stops starting work shortly before it and hands over: see
//! `quickstep_service::worker`): one message's failure, or a panic while handling it, is logged
//! and reported as that message's batch item failure, and the rest of the batch goes on. A panic
//! that escaped would fail the whole invocation, and SQS would deliver all ten messages again,
//! nine of them for nothing, until they all reached the dead-letter queue.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use lambda_runtime::tracing;
use quickstep_engine::execution::Millis;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::records::StepMessage;
use quickstep_service::service::Service;

/// Runs each step message of a batch and reports only the messages that failed, so SQS
/// redelivers those alone (partial batch responses). A message that is not a step message can
/// never succeed; it is reported as failed too, so it ends in the dead-letter queue rather than
/// disappearing.
pub async fn handle_steps<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    event: SqsEvent,
    deadline: Option<Millis>,
) -> SqsBatchResponse {
    each_message(event, |id, message| async move {
        let Some(m) = message else {
            tracing::error!(
                message_id = %id,
                "not a step message: SQS will deliver it again, then dead-letter it"
            );
            return false;
        };
        match service.step_until(&m, deadline).await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(
                    message_id = %id,
                    execution_arn = %m.execution_arn,
                    version = m.version,
                    error = %e,
                    "the step failed: SQS will deliver it again"
                );
                false
            }
        }
    })
    .await
}

/// The dead-letter queue: each step that kept failing ends its execution FAILED with
/// `States.Runtime`. Messages that are not step messages are dropped (nothing can be done).
pub async fn handle_dead_letters<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    event: SqsEvent,
) -> SqsBatchResponse {
    each_message(event, |id, message| async move {
        let Some(m) = message else {
            tracing::warn!(
                message_id = %id,
                "a dead letter that is not a step message is dropped"
            );
            return true;
        };
        match service.dead_letter(&m).await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(
                    message_id = %id,
                    execution_arn = %m.execution_arn,
                    version = m.version,
                    error = %e,
                    "the dead letter could not end its execution: SQS will deliver it again"
                );
                false
            }
        }
    })
    .await
}

/// Runs `handle` on each record's id and step message (`None` if the body is not one) and lists
/// the records for which it answered false, or panicked.
async fn each_message<F, Fut>(event: SqsEvent, mut handle: F) -> SqsBatchResponse
where
    F: FnMut(String, Option<StepMessage>) -> Fut,
    Fut: Future<Output = bool>,
{
    let handling = event.records.into_iter().map(|record| {
        let id = record.message_id.unwrap_or_default();
        let handling = handle(id.clone(), parse(record.body.as_deref()));
        async move {
            let ok = CatchUnwind(Box::pin(handling))
                .await
                .unwrap_or_else(|panic| {
                    tracing::error!(
                        message_id = %id,
                        panic = panic_text(panic.as_ref()),
                        "handling the message panicked: SQS will deliver it again"
                    );
                    false
                });
            (id, ok)
        }
    });
    let mut response = SqsBatchResponse::default();
    for (id, ok) in join_all(handling).await {
        if !ok {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// A future whose panic is caught, like `std::panic::catch_unwind` for a closure: the message
/// that panicked fails alone. (Run in place rather than spawned on a task of its own, so the
/// ports need not be `'static`.)
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// A panic's message (`panic!` gives a `&str` or a `String`).
fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// Routes a batch: messages from the dead-letter queue (`dead_letter_queue_arn`) are dead
/// letters, all others step messages. One function serves both event source mappings.
pub async fn handle_batch<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    event: SqsEvent,
    dead_letter_queue_arn: Option<&str>,
    deadline: Option<Millis>,
) -> SqsBatchResponse {
    let from_dlq = dead_letter_queue_arn.is_some_and(|dlq| {
        event
            .records
            .first()
            .and_then(|r| r.event_source_arn.as_deref())
            == Some(dlq)
    });
    if from_dlq {
        handle_dead_letters(service, event).await
    } else {
        handle_steps(service, event, deadline).await
    }
}

fn parse(body: Option<&str>) -> Option<StepMessage> {
    serde_json::from_str(body?).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_lambda_events::event::sqs::SqsMessage;
    use quickstep_engine::execution::TaskRequest;
    use quickstep_runtime::clock::Clock;
    use quickstep_runtime::invoker::{Invocation, TaskInvoker};
    use quickstep_service::config::Config;
    use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
    use serde_json::json;

    use super::*;

    /// Task integrations, one of them with a bug that panics.
    struct Panics;

    impl TaskInvoker for Panics {
        fn invoke(&self, request: &TaskRequest) -> Invocation {
            assert!(
                !request.resource.ends_with(":panics"),
                "a bug in a task integration"
            );
            Invocation::Ready(Ok(json!("fine")))
        }
    }

    #[tokio::test]
    async fn a_panic_fails_only_the_message_that_panicked() {
        let service = Service::new(
            MemoryStore::default(),
            MemoryQueue::default(),
            MemoryPublisher::default(),
            Arc::new(Panics),
            Clock::Real,
            Config::default(),
        );
        for (machine, function) in [("bad", "panics"), ("good", "fine")] {
            let resource = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}");
            let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": true}}});
            service
                .put_state_machine(machine, &definition)
                .await
                .unwrap();
            service
                .start_async(machine, Some("e"), json!({}))
                .await
                .unwrap();
        }
        let mut event = SqsEvent::default();
        while let Some(queued) = service.queue.pop() {
            let mut record = SqsMessage::default();
            record.message_id = Some(queued.message.execution_arn.clone());
            record.body = Some(serde_json::to_string(&queued.message).unwrap());
            event.records.push(record);
        }
        let bad = "arn:aws:states:us-east-1:123456789012:express:bad:e";
        let good = "arn:aws:states:us-east-1:123456789012:express:good:e";
        let ids: Vec<&str> = event
            .records
            .iter()
            .filter_map(|r| r.message_id.as_deref())
            .collect();
        assert_eq!(ids, [bad, good]);

        let response = handle_steps(&service, event, None).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, [bad]);
        // The message after the panic ran as usual.
        let described = service.describe(good).await.unwrap();
        assert_eq!(described["status"], "SUCCEEDED", "{described}");
    }

    #[tokio::test]
    async fn catches_a_panic_in_any_poll() {
        let panics_later = async {
            tokio::task::yield_now().await;
            panic!("after a yield");
        };
        let caught: Result<(), _> = CatchUnwind(Box::pin(panics_later)).await;
        assert_eq!(panic_text(caught.unwrap_err().as_ref()), "after a yield");
        let fine = CatchUnwind(Box::pin(async { 7 })).await;
        assert_eq!(fine.ok(), Some(7));
        let owned = String::from("owned");
        let caught = CatchUnwind(Box::pin(async move { std::panic::panic_any(owned) })).await;
        let text: Result<(), _> = caught;
        assert_eq!(panic_text(text.unwrap_err().as_ref()), "owned");
    }
}
