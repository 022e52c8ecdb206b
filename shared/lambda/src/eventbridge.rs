//! EventBridge rule targets: the trigger.

use lambda_runtime::Diagnostic;
use quickstep_service::error::ServiceError;
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;
use quickstep_service::trigger::TriggerMode;
use serde_json::Value;

/// Starts an execution of `machine` with the whole event as its input, named by the event id,
/// in an invocation that ends at `deadline` (ms since the epoch, from Lambda's context).
pub async fn handle_event<S: Store, Q: StepQueue, P: EventPublisher>(
    service: &Service<S, Q, P>,
    machine: &str,
    mode: TriggerMode,
    event: Value,
    deadline: Option<i64>,
) -> Result<Value, Diagnostic> {
    service
        .trigger(machine, event, mode, deadline)
        .await
        .map_err(|e| diagnostic(&e))
}

/// A service error as the Lambda runtime reports it: `errorType` is the error's stable name
/// (`NotFound`, `ServiceUnavailable`, `InvalidDefinition`, ...), never a Rust type name, and
/// `errorMessage` what went wrong.
pub fn diagnostic(error: &ServiceError) -> Diagnostic {
    Diagnostic {
        error_type: error.status_and_name().1.to_owned(),
        error_message: error.to_string(),
    }
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

    #[test]
    fn an_error_is_reported_by_its_name_not_its_rust_type() {
        let missing = diagnostic(&ServiceError::NotFound(
            "state machine 'x' does not exist".into(),
        ));
        assert_eq!(missing.error_type, "NotFound");
        assert!(missing.error_message.contains("'x'"));
        let busy = diagnostic(&ServiceError::Port(
            quickstep_service::ports::PortError::Retryable("throttled".into()),
        ));
        assert_eq!(busy.error_type, "ServiceUnavailable");
    }
}
