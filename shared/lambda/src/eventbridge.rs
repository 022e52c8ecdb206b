//! EventBridge rule targets: the trigger.

use quickstep_service::error::ServiceError;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;
use quickstep_service::trigger::TriggerMode;
use serde_json::Value;

/// Starts an execution of `machine` with the whole event as its input, named by the event id.
pub async fn handle_event<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    machine: &str,
    mode: TriggerMode,
    event: Value,
) -> Result<Value, ServiceError> {
    service.trigger(machine, event, mode).await
}
