//! The EventBridge rule target: an event starts an execution of the configured state machine,
//! named by the event's id so that EventBridge's own retries never start two.

use quickstep_engine::execution::Millis;
use serde_json::Value;

use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;

/// How the trigger runs what it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerMode {
    Async,
    Sync,
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Starts an execution of `machine_name` with the whole EventBridge event as input, in an
    /// invocation that ends at `deadline` (ms since the epoch).
    pub async fn trigger(
        &self,
        machine_name: &str,
        event: Value,
        mode: TriggerMode,
        deadline: Option<Millis>,
    ) -> Result<Value, ServiceError> {
        let id = event
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.chars()
                    .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                    .take(80)
                    .collect::<String>()
            })
            .ok_or_else(|| ServiceError::BadRequest("the EventBridge event has no 'id'".into()))?;
        if !crate::records::valid_execution_name(&id) {
            return Err(ServiceError::BadRequest(format!(
                "the EventBridge event id {} gives no valid execution name",
                event["id"]
            )));
        }
        match mode {
            TriggerMode::Sync => {
                self.start_sync(machine_name, Some(&id), event, deadline)
                    .await
            }
            TriggerMode::Async => {
                let started = self
                    .start_async_until(machine_name, Some(&id), event, deadline)
                    .await?;
                Ok(serde_json::json!({"executionArn": started.execution_arn, "new": started.new}))
            }
        }
    }
}
