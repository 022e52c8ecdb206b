//! SDK errors to [`PortError`]s.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use quickstep_service::ports::PortError;

/// Error codes that mean "slow down and try again", whatever the service.
const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "LimitExceededException",
    "SlowDown",
    "EC2ThrottledException",
];

/// Whether an SDK error is worth retrying: throttling, a 5xx, a timeout, a failed dispatch or
/// an unreadable response.
pub(crate) fn is_retryable<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || context
                    .err()
                    .code()
                    .is_some_and(|code| THROTTLING.contains(&code))
        }
        _ => false,
    }
}

/// Whether the request surely did not take effect: the service answered, refusing it (a 4xx:
/// a failed condition, throttling, a bad request). A timeout, a lost connection, an unreadable
/// answer or a 5xx may each hide a write that succeeded.
pub(crate) fn surely_refused<E>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(err, SdkError::ServiceError(context) if context.raw().status().is_client_error())
}

/// Maps an SDK error to retryable or terminal; `what` says which call failed. Conditional-check
/// failures are the caller's to recognise first (they are [`PortError::Conflict`]).
pub(crate) fn port_error<E>(what: &str, err: &SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = format!("{what}: {}", DisplayErrorContext(err));
    if is_retryable(err) {
        PortError::Retryable(message)
    } else {
        PortError::Terminal(message)
    }
}
