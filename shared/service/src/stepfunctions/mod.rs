//! The Step Functions API, as AWS serves it: AWS JSON 1.0, `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON body, answered with a JSON body
//! (`Content-Type: application/x-amz-json-1.0`); errors are HTTP 400
//! `{"__type": "<Name>", "message": "..."}` with Step Functions' error names, or 5xx for the
//! service's own failures. Dates are epoch seconds. So the AWS CLI, boto3 and every AWS SDK
//! work against quickstep by pointing their endpoint at it.
//!
//! The operations ([`operations::SERVED`]) run over the same service calls as the REST routes
//! of [`crate::api`]. Signatures are accepted, not verified: on AWS, the deployment's own
//! authorization (API Gateway's IAM authorizer, a function URL's `AWS_IAM`) stands in front.

mod aliases;
mod arns;
mod documents;
mod fault;
mod history;
mod listing;
mod mocked;
mod operations;
mod paging;
mod request;
mod settings;
mod tags;
mod test_state;
mod versions;

use quickstep_engine::execution::Millis;
use serde_json::Value;

pub use fault::Fault;
pub use operations::SERVED;

use crate::api::{Answer, Response};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::service::Service;

/// The `X-Amz-Target` prefix of Step Functions' operations.
pub const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// The content type of AWS JSON 1.0 requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// The header that names the operation, as HTTP front ends read it (lower case).
pub const TARGET_HEADER: &str = "x-amz-target";

/// The content type of an answer: [`CONTENT_TYPE`] to a Step Functions API request, JSON to
/// the REST routes.
pub fn content_type(step_functions: bool) -> &'static str {
    if step_functions {
        CONTENT_TYPE
    } else {
        "application/json"
    }
}
/// The largest request body, in bytes: a definition (1 MiB) escaped into a JSON string, with room.
pub const REQUEST_LIMIT_BYTES: usize = 3 * 1024 * 1024;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Answers one Step Functions API request (`target` is its `X-Amz-Target`), with the
    /// internal error behind a 5xx, for the caller to log under `request_id`.
    pub async fn step_functions(
        &self,
        target: &str,
        body: &[u8],
        deadline: Option<Millis>,
        request_id: Option<&str>,
    ) -> Answer {
        let outcome = match read(target, body) {
            Ok((operation, request)) => self.operation(operation, &request, deadline).await,
            Err(fault) => Err(fault),
        };
        let (status, body, internal_error) = match outcome {
            Ok(body) => (200, body, None),
            Err(fault) => {
                let (status, body) = fault.answer(request_id);
                let internal = match fault {
                    Fault::Internal(error) => Some(error),
                    Fault::Client { .. } => None,
                };
                (status, body, internal)
            }
        };
        Answer {
            response: Response::new(status, body),
            internal_error,
        }
    }
}

/// The operation a request names and its body, or why it cannot be read.
fn read<'a>(target: &'a str, body: &[u8]) -> Result<(&'a str, Value), Fault> {
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(Fault::client(
            "UnknownOperationException",
            format!("'{target}' is not a Step Functions operation (AWSStepFunctions.<Operation>)"),
        ));
    };
    if body.len() > REQUEST_LIMIT_BYTES {
        return Err(Fault::validation(format!(
            "the request body is {} bytes; at most {REQUEST_LIMIT_BYTES} are read",
            body.len()
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((operation, Value::Object(serde_json::Map::new())));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(request @ Value::Object(_)) => Ok((operation, request)),
        Ok(_) => Err(Fault::client(
            "SerializationException",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(Fault::client(
            "SerializationException",
            format!("the request body is not JSON: {e}"),
        )),
    }
}
