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
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let ok = match parse(record.body.as_deref()) {
            Some(message) => service.step(&message).await.is_ok(),
            None => false,
        };
        if !ok {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// The dead-letter queue: each step that kept failing ends its execution FAILED with
/// `States.Runtime`. Messages that are not step messages are dropped (nothing can be done).
pub async fn handle_dead_letters<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if let Some(message) = parse(record.body.as_deref()) {
            if service.dead_letter(&message).await.is_err() {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
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
