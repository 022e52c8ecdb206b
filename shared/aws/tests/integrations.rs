// Tests may unwrap, expect and panic: a failed expectation is the test failing (clippy.toml
// allows it in unit tests; integration-test files say so here).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The optimized service integrations of [`AwsInvoker`] against moto's server on loopback (one
//! per test): their results and error names.

mod common;

use aws_config::SdkConfig;
use common::{sdk_config, Moto};
use quickstep::execution::TaskRequest;
use quickstep::failure::Failure;
use quickstep_aws::integrations::AwsInvoker;
use quickstep_aws::lambda::LambdaInvoker;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use serde_json::{json, Value};

const SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";
const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";

fn invoker(sdk: &SdkConfig) -> AwsInvoker {
    AwsInvoker::new(
        LambdaInvoker::new(&aws_sdk_lambda::Client::new(sdk)),
        aws_sdk_sqs::Client::new(sdk),
        aws_sdk_eventbridge::Client::new(sdk),
    )
}

/// What the invoker made of the task, and whether it answered without calling the service.
async fn run(
    invoker: &AwsInvoker,
    resource: &str,
    parameters: Value,
) -> (Result<Value, Failure>, bool) {
    let request = TaskRequest {
        task: 1,
        state_name: "Call".into(),
        resource: resource.into(),
        input: parameters,
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        retry_count: 0,
        task_token: None,
    };
    match invoker.invoke(&request) {
        Invocation::Ready(outcome) => (outcome, true),
        Invocation::Pending(future) => (future.await, false),
    }
}

async fn call(invoker: &AwsInvoker, resource: &str, parameters: Value) -> Value {
    match run(invoker, resource, parameters).await {
        (Ok(result), false) => result,
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The error name and cause of a call that failed after reaching the service.
async fn fail(invoker: &AwsInvoker, resource: &str, parameters: Value) -> (String, String) {
    match run(invoker, resource, parameters).await {
        (Err(failure), false) => (failure.error.unwrap(), failure.cause.unwrap()),
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The error name and cause of a task refused before any call.
async fn refuse(invoker: &AwsInvoker, resource: &str, parameters: Value) -> (String, String) {
    match run(invoker, resource, parameters).await {
        (Err(failure), true) => (failure.error.unwrap(), failure.cause.unwrap()),
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The fields of a result other than the SDK metadata, which is checked to be there.
fn without_metadata(mut result: Value) -> Value {
    let fields = result.as_object_mut().unwrap();
    let http = fields.remove("SdkHttpMetadata").expect("SdkHttpMetadata");
    assert_eq!(http["HttpStatusCode"], 200, "{http}");
    assert!(http["AllHttpHeaders"].is_object(), "{http}");
    assert!(http["HttpHeaders"].is_object(), "{http}");
    let response = fields
        .remove("SdkResponseMetadata")
        .expect("SdkResponseMetadata");
    assert!(
        response["RequestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{response}"
    );
    result
}

#[tokio::test]
async fn sqs_and_eventbridge_errors_are_named_as_step_functions_names_them() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let invoker = invoker(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name("outbox")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();

    let sent = call(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": queue_url, "MessageBody": {"order": 1}}),
    )
    .await;
    let sent = without_metadata(sent);
    assert!(
        sent["MessageId"].is_string() && sent["MD5OfMessageBody"].is_string(),
        "{sent}"
    );

    sqs.delete_queue()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
    let (error, cause) = fail(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": queue_url, "MessageBody": "x"}),
    )
    .await;
    assert_eq!(error, "SQS.QueueDoesNotExistException", "{cause}");
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400;"),
        "{cause}"
    );

    let (error, cause) = refuse(&invoker, SEND_MESSAGE, json!({"QueueUrl": queue_url})).await;
    assert_eq!(
        (error.as_str(), cause.as_str()),
        (
            "SQS.AmazonSQSException",
            "The request must contain the parameter MessageBody."
        )
    );

    let unreachable = self::invoker(&sdk_config("http://127.0.0.1:1").await);
    let (error, cause) = fail(
        &unreachable,
        SEND_MESSAGE,
        json!({"QueueUrl": "http://127.0.0.1:1/123456789012/outbox", "MessageBody": "x"}),
    )
    .await;
    assert_eq!(error, "SQS.SdkClientException");
    assert!(
        cause.starts_with("Unable to execute HTTP request: "),
        "{cause}"
    );

    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Source": "quickstep", "DetailType": "t", "Detail": {"i": i}}))
        .collect();
    let (error, cause) = fail(&invoker, PUT_EVENTS, json!({"Entries": eleven})).await;
    assert_eq!(error, "EventBridge.AmazonEventBridgeException", "{cause}");
    assert!(
        cause.contains("(Service: AmazonEventBridge; Status Code: 400;"),
        "{cause}"
    );
}
