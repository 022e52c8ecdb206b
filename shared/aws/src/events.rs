//! [`EventBridgePublisher`]: the [`EventPublisher`] port over an EventBridge bus.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use quickstep_service::ports::{EventPublisher, PortError};
use quickstep_service::records::{StatusChange, EVENT_DETAIL_TYPE, EVENT_SOURCE};

use crate::errors::port_error;

/// Entry error codes worth retrying (PutEvents reports them per entry, with HTTP 200).
const RETRYABLE_ENTRY_ERRORS: &[&str] = &["InternalFailure", "ThrottlingException"];

/// Publishes status changes to one bus: source `quickstep`, detail type
/// `Execution Status Change`, the [`StatusChange`] as detail and the execution ARN as the
/// event's resource, as Step Functions' own status-change events have it.
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }
}

impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, event: &StatusChange) -> Result<(), PortError> {
        let detail = serde_json::to_string(event)
            .map_err(|e| PortError::Terminal(format!("status change cannot be serialized: {e}")))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(EVENT_SOURCE)
            .detail_type(EVENT_DETAIL_TYPE)
            .detail(detail)
            .resources(&event.execution_arn)
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| port_error("EventBridge PutEvents", &e))?;
        if out.failed_entry_count() == 0 {
            return Ok(());
        }
        let failed = out.entries().iter().find(|e| e.error_code().is_some());
        let code = failed.and_then(|e| e.error_code()).unwrap_or("unknown");
        let message = format!(
            "EventBridge PutEvents to bus {}: the event was not accepted: {code}: {}",
            self.bus,
            failed
                .and_then(|e| e.error_message())
                .unwrap_or("no message")
        );
        if RETRYABLE_ENTRY_ERRORS.contains(&code) {
            Err(PortError::Retryable(message))
        } else {
            Err(PortError::Terminal(message))
        }
    }
}
