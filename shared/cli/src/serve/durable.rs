//! `quickstep serve --table T --step-queue-url U`: the service on DynamoDB and SQS (AWS or an
//! emulator), its asynchronous executions carried by an in-process worker that reads the step
//! queue as Lambda's event source mapping does and hands each batch to the worker function's
//! own handler ([`quickstep_lambda::sqs::handle_batch`]): what the deployed worker does, in
//! this process. Executions survive a restart, and several servers (or the deployed functions)
//! can share the table and queue.

use std::collections::HashSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;
use serde_json::Value;

use crate::event_source::{Delivery, EventSource, Settings};

/// How long a received step message stays invisible: the worker hands its batch over well
/// before it reappears (as the deployed worker does before its Lambda timeout).
pub const VISIBILITY_TIMEOUT_SECONDS: i32 = 60;
/// The share of the visibility timeout a batch may use before the worker hands over.
const HANDOVER_MARGIN_MS: i64 = 10_000;

/// The worker's handler, called in this process.
struct InProcess<S, Q, P> {
    service: Arc<Service<S, Q, P>>,
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Delivery for InProcess<S, Q, P> {
    async fn deliver(&self, event: Value, dead_letters: bool) -> Result<HashSet<String>, String> {
        let event: SqsEvent = serde_json::from_value(event)
            .map_err(|e| format!("the batch is not an SQS event: {e}"))?;
        let response = if dead_letters {
            quickstep_lambda::sqs::handle_dead_letters(&self.service, event).await
        } else {
            let deadline = self.service.clock.now() + i64::from(VISIBILITY_TIMEOUT_SECONDS) * 1000
                - HANDOVER_MARGIN_MS;
            quickstep_lambda::sqs::handle_steps(&self.service, event, Some(deadline)).await
        };
        Ok(response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect())
    }
}

/// Reads the step queue (and its dead-letter queue) for ever, running each batch through
/// `service`; reports a failed receive and tries again.
pub async fn run_worker<S: Store, Q: StepQueue, P: EventPublisher>(
    service: Arc<Service<S, Q, P>>,
    sdk: aws_config::SdkConfig,
    settings: Settings,
) -> Result<(), String> {
    let source = EventSource::new(settings, &sdk, InProcess { service }).await?;
    loop {
        if let Err(e) = source.poll(|_| {}).await {
            eprintln!("quickstep serve: the step queue could not be read: {e}");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}
