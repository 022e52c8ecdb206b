//! Why a request to the service failed, and the HTTP status each reason maps to.

use quickstep_engine::problem::Problem;

use crate::ports::PortError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the definition is invalid ({} problems)", .0.len())]
    InvalidDefinition(Vec<Problem>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A request Step Functions would refuse, with its error name (`InvalidToken`,
    /// `TaskTimedOut`, `InvalidOutput` for `SendTask*`; `ExecutionNotRedrivable`).
    #[error("{message}")]
    Refused { name: &'static str, message: String },
    /// An operation the state machine's type does not allow (StartSyncExecution of a
    /// Standard one).
    #[error("{0}")]
    TypeNotSupported(String),
    #[error(transparent)]
    Port(#[from] PortError),
}

impl ServiceError {
    /// The HTTP status, and the stable error name the API returns.
    pub fn status_and_name(&self) -> (u16, &'static str) {
        match self {
            Self::BadRequest(_) => (400, "BadRequest"),
            Self::InvalidDefinition(_) => (400, "InvalidDefinition"),
            Self::NotFound(_) => (404, "NotFound"),
            Self::PayloadTooLarge(_) => (413, "PayloadTooLarge"),
            Self::Refused { name, .. } => (400, name),
            Self::TypeNotSupported(_) => (400, "StateMachineTypeNotSupported"),
            Self::Port(PortError::Conflict) => (409, "Conflict"),
            Self::Port(PortError::Retryable(_)) => (503, "ServiceUnavailable"),
            Self::Port(PortError::Terminal(_)) => (500, "InternalError"),
        }
    }

    /// Whether this is the service's own failure (a 5xx: a store, queue or bus call that
    /// failed), whose message is for the logs, not for the client.
    pub fn is_internal(&self) -> bool {
        self.status_and_name().0 >= 500
    }
}
