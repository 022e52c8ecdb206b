//! SQS batches: the worker's step messages, and the dead-letter queue's.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
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
) -> SqsBatchResponse {
    each_message(event, |message| async move {
        match message {
            Some(m) => service.step(&m).await.is_ok(),
            None => false,
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
    each_message(event, |message| async move {
        match message {
            Some(m) => service.dead_letter(&m).await.is_ok(),
            None => true,
        }
    })
    .await
}

/// Runs `handle` on each record's step message (`None` if the body is not one) and lists the
/// records for which it answered false.
async fn each_message<F, Fut>(event: SqsEvent, mut handle: F) -> SqsBatchResponse
where
    F: FnMut(Option<StepMessage>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        if !handle(parse(record.body.as_deref())).await {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Routes a batch: messages from the dead-letter queue (`dead_letter_queue_arn`) are dead
/// letters, all others step messages. One function serves both event source mappings.
pub async fn handle_batch<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    event: SqsEvent,
    dead_letter_queue_arn: Option<&str>,
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
        handle_steps(service, event).await
    }
}

fn parse(body: Option<&str>) -> Option<StepMessage> {
    serde_json::from_str(body?).ok()
}
