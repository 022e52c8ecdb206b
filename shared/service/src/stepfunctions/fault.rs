//! Why a Step Functions API request failed, in the shape AWS answers it: HTTP 400 with
//! `{"__type": "<Name>", "message": "..."}` for the caller's mistakes, 500 for the service's own
//! failures (whose detail goes to the log, not the caller).

use serde_json::{json, Value};

use quickstep_engine::problem::Problem;

use crate::error::ServiceError;
use crate::ports::PortError;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The caller's mistake, with Step Functions' error name.
    Client { name: &'static str, message: String },
    /// The service failed (a store, queue or bus call).
    Internal(ServiceError),
}

impl Fault {
    pub fn client(name: &'static str, message: impl Into<String>) -> Self {
        Self::Client {
            name,
            message: message.into(),
        }
    }

    /// A definition Step Functions would refuse: `InvalidDefinition`, every problem listed.
    pub fn invalid_definition(problems: &[Problem]) -> Self {
        Self::client(
            "InvalidDefinition",
            format!(
                "Invalid State Machine Definition: '{}'",
                problems
                    .iter()
                    .map(|p| format!("{}: {} at {}", p.code, p.message, p.location))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }

    /// A missing or malformed request field: `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Client { name, .. } => name,
            Self::Internal(error) if error.status_and_name().0 == 503 => "ServiceUnavailable",
            Self::Internal(_) => "InternalFailure",
        }
    }

    /// A [`ServiceError`] as Step Functions names it, `missing` being the name of "not found"
    /// for the resource the request is about (`StateMachineDoesNotExist`,
    /// `ExecutionDoesNotExist`).
    pub fn from_service(error: ServiceError, missing: &'static str) -> Self {
        match error {
            ServiceError::NotFound(message) => Self::client(missing, message),
            ServiceError::BadRequest(message) => Self::validation(message),
            ServiceError::PayloadTooLarge(message) => Self::validation(message),
            ServiceError::InvalidDefinition(problems) => Self::invalid_definition(&problems),
            ServiceError::Refused { name, message } => Self::client(name, message),
            ServiceError::TypeNotSupported(message) => {
                Self::client("StateMachineTypeNotSupported", message)
            }
            // A write lost to another writer of the same thing: the caller may try again.
            ServiceError::Port(PortError::Conflict) => Self::client(
                "ConflictException",
                "the resource changed while the request ran; try again",
            ),
            other => Self::Internal(other),
        }
    }

    /// The HTTP status and body. An internal failure shows only that it happened, and where
    /// it is logged (`request_id`).
    pub fn answer(&self, request_id: Option<&str>) -> (u16, Value) {
        match self {
            Self::Client { name, message } => {
                // As Step Functions: a change that lost to a concurrent one is 409.
                let status = if *name == "ConflictException" {
                    409
                } else {
                    400
                };
                (status, json!({"__type": name, "message": message}))
            }
            Self::Internal(error) => {
                let (status, _) = error.status_and_name();
                let message = match request_id {
                    Some(id) => format!("quickstep could not complete the request {id}"),
                    None => "quickstep could not complete the request".to_owned(),
                };
                (status, json!({"__type": self.name(), "message": message}))
            }
        }
    }
}
