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

/// The trigger mode from `QUICKSTEP_TRIGGER_MODE`: `async` (the default) or `sync`.
pub fn mode_from(value: Option<&str>) -> Result<TriggerMode, String> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "async") => Ok(TriggerMode::Async),
        Some("sync") => Ok(TriggerMode::Sync),
        Some(other) => Err(format!(
            "QUICKSTEP_TRIGGER_MODE={other:?} is not valid: use async or sync"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_modes() {
        assert_eq!(mode_from(None), Ok(TriggerMode::Async));
        assert_eq!(mode_from(Some("SYNC")), Ok(TriggerMode::Sync));
        assert!(mode_from(Some("later")).is_err());
    }
}
