//! How Step Functions reports an optimized integration's failures.
//!
//! Step Functions calls the services with the AWS SDK for Java (v1) and names a failed call
//! after the exception that SDK throws, prefixed with the integration's name:
//! - an error the service model declares is `<Prefix>.<Shape>Exception` (the Java SDK adds the
//!   `Exception` suffix a shape name lacks: DynamoDB's `InternalServerError` is thrown as
//!   `InternalServerErrorException`, SQS's `QueueDoesNotExist` as `QueueDoesNotExistException`);
//! - any other service error is the service's base exception: `DynamoDB.AmazonDynamoDBException`
//!   (a `ValidationException`, for one), `SQS.AmazonSQSException`,
//!   `EventBridge.AmazonEventBridgeException`;
//! - a call that never got an answer (no connection, an unreadable response) is
//!   `<Prefix>.SdkClientException`, one that ran out of time
//!   `<Prefix>.ClientExecutionTimeoutException`.
//!
//! The cause is the Java exception's message: the service's message followed by
//! `(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;
//! Request ID: …; Proxy: null)`.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use quickstep_engine::failure::{names, Failure};
use serde_json::Value;

/// One service as Step Functions' Java SDK knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service {
    /// The prefix of every error name: `DynamoDB`, `SQS`, `EventBridge`.
    pub prefix: &'static str,
    /// The service name the Java SDK puts in its messages: `AmazonDynamoDBv2`.
    pub java_name: &'static str,
    /// The exception for errors the service model does not declare.
    pub base_exception: &'static str,
}

pub(crate) const DYNAMODB: Service = Service {
    prefix: "DynamoDB",
    java_name: "AmazonDynamoDBv2",
    base_exception: "AmazonDynamoDBException",
};

pub(crate) const SQS: Service = Service {
    prefix: "SQS",
    java_name: "AmazonSQS",
    base_exception: "AmazonSQSException",
};

pub(crate) const EVENTBRIDGE: Service = Service {
    prefix: "EventBridge",
    java_name: "AmazonEventBridge",
    base_exception: "AmazonEventBridgeException",
};

impl Service {
    /// The failure for a failed call. `shape` names the modeled error a service error is (the
    /// SDK's variant name), or `None` for one the model does not declare.
    pub(crate) fn failure<E>(
        &self,
        err: &SdkError<E, HttpResponse>,
        shape: impl Fn(&E) -> Option<&'static str>,
    ) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(context) => {
                let exception = shape(context.err())
                    .map_or_else(|| self.base_exception.to_owned(), exception_of_shape);
                let raw = context.raw();
                let request_id = ["x-amzn-requestid", "x-amz-request-id"]
                    .iter()
                    .find_map(|name| raw.headers().get(*name));
                let cause = format!(
                    "{} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
                    context.err().message().unwrap_or("null"),
                    self.java_name,
                    raw.status().as_u16(),
                    context.err().code().unwrap_or("null"),
                    request_id.unwrap_or("null"),
                );
                Failure::new(format!("{}.{exception}", self.prefix), cause)
            }
            SdkError::TimeoutError(_) => Failure::new(
                format!("{}.ClientExecutionTimeoutException", self.prefix),
                format!(
                    "Client execution did not complete before the specified timeout configuration: {}",
                    DisplayErrorContext(err)
                ),
            ),
            _ => Failure::new(
                format!("{}.SdkClientException", self.prefix),
                format!("Unable to execute HTTP request: {}", DisplayErrorContext(err)),
            ),
        }
    }

    /// A service error found before calling: the request would certainly be refused with
    /// `message` (a DynamoDB `ValidationException`, an SQS `MissingParameter`), so it is
    /// reported as Step Functions reports that refusal, without the call.
    pub(crate) fn refusal(&self, message: impl Into<String>) -> Failure {
        Failure::new(format!("{}.{}", self.prefix, self.base_exception), message)
    }
}

/// The Java SDK's exception class for a modeled error shape.
fn exception_of_shape(shape: &str) -> String {
    if shape.ends_with("Exception") {
        shape.to_owned()
    } else {
        format!("{shape}Exception")
    }
}

/// Parameters Step Functions cannot turn into a request: `States.Runtime`, which no `Retry` or
/// `Catch` handles, with each `problem` listed as Step Functions lists them.
pub(crate) fn unusable_parameters(parameters: &Value, problems: &[String]) -> Failure {
    Failure::new(
        names::RUNTIME,
        format!(
            "The Parameters '{parameters}' could not be used to start the Task: [{}]",
            problems.join(", ")
        ),
    )
}

/// A parameter as text: strings as they are, other JSON serialized (Step Functions accepts a
/// JSON object as `MessageBody` or `Detail`).
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_exceptions_as_the_java_sdk_does() {
        let cases = [
            (
                "ConditionalCheckFailedException",
                "ConditionalCheckFailedException",
            ),
            ("InternalServerError", "InternalServerErrorException"),
            ("RequestLimitExceeded", "RequestLimitExceededException"),
            ("QueueDoesNotExist", "QueueDoesNotExistException"),
            ("InternalException", "InternalException"),
        ];
        for (shape, exception) in cases {
            assert_eq!(exception_of_shape(shape), exception, "{shape}");
        }
    }

    #[test]
    fn lists_every_unusable_parameter() {
        let failure = unusable_parameters(
            &serde_json::json!({"TableName": 1}),
            &["first".to_owned(), "second".to_owned()],
        );
        assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
        assert_eq!(
            failure.cause.as_deref(),
            Some(
                r#"The Parameters '{"TableName":1}' could not be used to start the Task: [first, second]"#
            )
        );
    }
}
