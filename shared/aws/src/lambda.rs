//! [`LambdaInvoker`]: the [`TaskInvoker`] port over Lambda's Invoke API.
//!
//! Two kinds of resource:
//! - a function ARN used directly (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`):
//!   the effective parameters are the payload, and the result is the function's payload;
//! - the optimized integration `arn:aws:states:::lambda:invoke` (request–response; for a
//!   `.waitForTaskToken` task the service calls it so, then waits for the token): the
//!   parameters are `FunctionName`, `Payload`, `InvocationType`, `Qualifier` and
//!   `ClientContext`, and the result is the Invoke response:
//!   `{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}`.
//!
//! Errors are named as Step Functions names them:
//! - a function error (real Lambda: HTTP 200 with `X-Amz-Function-Error`; `cargo lambda
//!   watch`: HTTP 500 with an `{errorType, errorMessage}` body) is the payload's `errorType`,
//!   with the payload as cause; without an `errorType` (a crash, a timeout, out of memory) it
//!   is `Lambda.Unknown`;
//! - a service error is `Lambda.<exception name>` (`Lambda.ServiceException`,
//!   `Lambda.TooManyRequestsException`, `Lambda.ResourceNotFoundException`, ...) with the
//!   service's message as cause; one without a name is `Lambda.AWSLambdaException`;
//! - a client-side failure (no connection, an unreadable answer) is `Lambda.SdkClientException`,
//!   a client-side timeout `Lambda.ClientExecutionTimeoutException`.
//!
//! The SDK's own retries are switched off: as on AWS, retrying is the state machine's `Retry`.

use crate::integrations::sdk_metadata::HttpMetadata;
use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::config::retry::RetryConfig;
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
use aws_sdk_lambda::operation::RequestId;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_lambda::Client;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use serde_json::{json, Map, Value};

/// The optimized Lambda integration's resource.
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Invokes Lambda functions for Task states.
#[derive(Debug, Clone)]
pub struct LambdaInvoker {
    client: Client,
    /// Call functions by their bare name (see [`LambdaInvoker::calling_by_name`]).
    by_name: bool,
}

impl LambdaInvoker {
    /// An invoker over `client`'s configuration, with the SDK's retries switched off.
    pub fn new(client: &Client) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            client: Client::from_conf(config),
            by_name: false,
        }
    }

    /// Calls each function by its bare name rather than the ARN or partial ARN the workflow
    /// gives: local Lambda emulators such as `cargo lambda watch` route Invoke by name only.
    /// On AWS the ARN is kept, since it names the account and region too.
    #[must_use]
    pub fn calling_by_name(mut self) -> Self {
        self.by_name = true;
        self
    }

    /// The same invoker, signing its calls with `credentials` (an assumed role's).
    pub(crate) fn signing_with(&self, credentials: &aws_sdk_lambda::config::Credentials) -> Self {
        let config = self
            .client
            .config()
            .to_builder()
            .credentials_provider(credentials.clone())
            .build();
        Self {
            client: Client::from_conf(config),
            by_name: self.by_name,
        }
    }
}

impl TaskInvoker for LambdaInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        match Call::of(request) {
            Ok(mut call) => {
                if self.by_name {
                    call.function_name = bare_name(&call.function_name).to_owned();
                }
                let client = self.client.clone();
                Invocation::Pending(Box::pin(async move { call.run(&client).await }))
            }
            Err(failure) => Invocation::Ready(Err(failure)),
        }
    }

    /// A function ARN, or `arn:aws:states:::lambda:invoke` (request–response).
    fn supports(&self, kind: &ResourceKind) -> bool {
        matches!(kind, ResourceKind::LambdaFunction) || kind.is_request_response("lambda", "invoke")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A function ARN as the resource: the result is the payload.
    Direct,
    /// `arn:aws:states:::lambda:invoke`: the result is the Invoke response.
    Integration,
}

impl Shape {
    fn of(resource: &str) -> Option<Self> {
        let fields: Vec<&str> = resource.splitn(7, ':').collect();
        match fields.as_slice() {
            ["arn", _, "lambda", _, _, "function", _] => Some(Self::Direct),
            ["arn", _, "states", "", "", "lambda", action] if *action == "invoke" => {
                Some(Self::Integration)
            }
            _ => None,
        }
    }
}

/// A function's name from its name, ARN (`arn:aws:lambda:<region>:<account>:function:<name>`,
/// with or without a `:<qualifier>`) or partial ARN (`<account>:function:<name>`).
fn bare_name(function: &str) -> &str {
    let fields: Vec<&str> = function.split(':').collect();
    fields
        .iter()
        .position(|f| *f == "function")
        .and_then(|i| fields.get(i + 1))
        .copied()
        .unwrap_or(function)
}

/// One Invoke call, taken from a task request before anything runs.
#[derive(Debug)]
struct Call {
    shape: Shape,
    function_name: String,
    payload: Option<Vec<u8>>,
    invocation_type: Option<InvocationType>,
    qualifier: Option<String>,
    client_context: Option<String>,
}

impl Call {
    fn of(request: &TaskRequest) -> Result<Self, Failure> {
        let shape = Shape::of(&request.resource).ok_or_else(|| {
            Failure::new(
                "States.Runtime",
                format!(
                    "The resource '{}' is neither a Lambda function ARN nor {LAMBDA_INVOKE}",
                    request.resource
                ),
            )
        })?;
        match shape {
            Shape::Direct => Ok(Self {
                shape,
                function_name: request.resource.clone(),
                payload: Some(request.input.to_string().into_bytes()),
                invocation_type: None,
                qualifier: None,
                client_context: None,
            }),
            Shape::Integration => {
                let empty = Map::new();
                let parameters = request.input.as_object().unwrap_or(&empty);
                let text = |name: &str| -> Result<Option<String>, Failure> {
                    match parameters.get(name) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(other) => Err(Failure::new(
                            "States.Runtime",
                            format!("The parameter '{name}' must be a string, not {other}"),
                        )),
                    }
                };
                let function_name = text("FunctionName")?.ok_or_else(|| {
                    Failure::new(
                        "States.Runtime",
                        format!(
                            "The Parameters '{}' could not be used to start the Task: \
                             [The field \"FunctionName\" is required]",
                            request.input
                        ),
                    )
                })?;
                Ok(Self {
                    shape,
                    function_name,
                    payload: parameters
                        .get("Payload")
                        .map(|payload| payload.to_string().into_bytes()),
                    invocation_type: text("InvocationType")?
                        .map(|t| InvocationType::from(t.as_str())),
                    qualifier: text("Qualifier")?,
                    client_context: text("ClientContext")?,
                })
            }
        }
    }

    async fn run(self, client: &Client) -> Result<Value, Failure> {
        let metadata = HttpMetadata::default();
        let result = client
            .invoke()
            .function_name(&self.function_name)
            .set_payload(self.payload.map(Blob::new))
            .set_invocation_type(self.invocation_type)
            .set_qualifier(self.qualifier)
            .set_client_context(self.client_context)
            .customize()
            .interceptor(metadata.clone())
            .send()
            .await;
        match result {
            Ok(out) => result_of(self.shape, &out, &metadata),
            Err(err) => Err(failure_of(&err)),
        }
    }
}

fn result_of(shape: Shape, out: &InvokeOutput, metadata: &HttpMetadata) -> Result<Value, Failure> {
    let payload = out.payload().map_or(&[][..], Blob::as_ref);
    if out.function_error().is_some() {
        return Err(function_failure(payload));
    }
    let payload = payload_value(payload);
    match shape {
        Shape::Direct => Ok(if payload == json!("") {
            Value::Null
        } else {
            payload
        }),
        Shape::Integration => {
            let mut response = Map::new();
            if let Some(version) = out.executed_version() {
                response.insert("ExecutedVersion".into(), version.into());
            }
            response.insert("Payload".into(), payload);
            metadata.add_to(&mut response, out.request_id());
            response.insert("StatusCode".into(), out.status_code().into());
            Ok(Value::Object(response))
        }
    }
}

/// A payload as JSON, or as a string when it is not JSON (an asynchronous invocation's empty
/// payload becomes `""`, as on AWS).
fn payload_value(payload: &[u8]) -> Value {
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

/// A function error: the payload's `errorType`, with the payload as cause.
fn function_failure(payload: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(payload).into_owned();
    let error_type = serde_json::from_slice::<Value>(payload).ok().and_then(|v| {
        v.get("errorType")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    match error_type {
        Some(name) => Failure::new(name, text),
        None => Failure::new(
            "Lambda.Unknown",
            format!(
                "The cause could not be determined because Lambda did not return an error type. \
                 Returned payload: {text}"
            ),
        ),
    }
}

fn failure_of(err: &SdkError<InvokeError, HttpResponse>) -> Failure {
    match err {
        SdkError::ServiceError(context) => {
            let raw = context.raw();
            let body = raw.body().bytes().unwrap_or(&[]);
            // A function error answered with an error status (`cargo lambda watch` says 500
            // with the error object where Lambda says 200 with X-Amz-Function-Error).
            let function_error = raw.headers().get("x-amz-function-error").is_some()
                || (context.err().code().is_none() && has_error_type(body));
            if function_error {
                return function_failure(body);
            }
            let name = context.err().code().unwrap_or("AWSLambdaException");
            let cause = context
                .err()
                .message()
                .map_or_else(|| String::from_utf8_lossy(body).into_owned(), str::to_owned);
            Failure::new(format!("Lambda.{name}"), cause)
        }
        SdkError::TimeoutError(_) => Failure::new(
            "Lambda.ClientExecutionTimeoutException",
            DisplayErrorContext(err).to_string(),
        ),
        _ => Failure::new(
            "Lambda.SdkClientException",
            DisplayErrorContext(err).to_string(),
        ),
    }
}

fn has_error_type(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("errorType").is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_come_from_names_and_arns() {
        for (given, name) in [
            ("greeter", "greeter"),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:greeter",
                "greeter",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:greeter:live",
                "greeter",
            ),
            ("123456789012:function:greeter", "greeter"),
        ] {
            assert_eq!(bare_name(given), name, "{given}");
        }
    }

    #[test]
    fn recognises_resources() {
        use Shape::{Direct, Integration};
        let cases = [
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f",
                Some(Direct),
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:f:live",
                Some(Direct),
            ),
            (
                "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
                Some(Direct),
            ),
            ("arn:aws:states:::lambda:invoke", Some(Integration)),
            // The service calls a callback task's resource without the suffix.
            ("arn:aws:states:::lambda:invoke.waitForTaskToken", None),
            ("arn:aws:states:::lambda:invoke.sync", None),
            ("arn:aws:states:::sqs:sendMessage", None),
            ("arn:aws:states:us-east-1:123456789012:activity:a", None),
        ];
        for (resource, shape) in cases {
            assert_eq!(Shape::of(resource), shape, "{resource}");
        }
    }

    #[test]
    fn names_function_errors() {
        let failure = function_failure(br#"{"errorType":"MyError","errorMessage":"boom"}"#);
        assert_eq!(failure.error.as_deref(), Some("MyError"));
        assert_eq!(
            failure.cause.as_deref(),
            Some(r#"{"errorType":"MyError","errorMessage":"boom"}"#)
        );
        let failure = function_failure(br#"{"errorMessage":"Task timed out after 3.00 seconds"}"#);
        assert_eq!(failure.error.as_deref(), Some("Lambda.Unknown"));
        assert!(failure
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("Task timed out")));
    }
}
