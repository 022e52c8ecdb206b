//! Lambda events in, service calls out: the translation between the events Lambda delivers
//! (API Gateway REST v1 and HTTP v2 and function URLs through `lambda_http`, SQS batches,
//! EventBridge events) and the [`quickstep_service`] library. The functions in `functions/`
//! only wire these to `lambda_runtime`; this is where they are tested, with the files in
//! `events/`.

pub mod eventbridge;
pub mod http;
pub mod sqs;

/// The invocation's deadline (ms since the epoch) from Lambda's context: none if the context
/// has none (requests built outside Lambda, or a local emulator's).
pub fn deadline_of(context: &lambda_runtime::Context) -> Option<i64> {
    i64::try_from(context.deadline).ok().filter(|d| *d > 0)
}
