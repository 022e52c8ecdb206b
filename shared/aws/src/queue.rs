//! [`SqsQueue`]: the [`StepQueue`] port over an SQS standard queue.

use aws_sdk_sqs::Client;
use quickstep_service::ports::{PortError, StepQueue, MAX_DELAY_SECONDS};
use quickstep_service::records::StepMessage;

use crate::errors::port_error;

/// Sends step messages (JSON [`StepMessage`] bodies) to one queue. A standard queue: FIFO
/// queues do not take per-message delays.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

impl StepQueue for SqsQueue {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Terminal(format!("step message cannot be serialized: {e}")))?;
        let delay = i32::try_from(delay_seconds.min(MAX_DELAY_SECONDS)).unwrap_or(0);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await
            .map_err(|e| port_error("SQS SendMessage", &e))?;
        Ok(())
    }
}
