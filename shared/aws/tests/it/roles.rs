//! Who a Task calls as: with `Credentials.RoleArn`, as that role (STS AssumeRole on moto's server,
//! or on a fake STS that counts its calls or refuses); without, as the deployment, which may not
//! reach the service's own table, step queue or bus.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};
use quickstep_aws::integrations::{AwsInvoker, OwnResources};
use quickstep_aws::lambda::LambdaInvoker;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_testing::http::{serve, Reply};
use quickstep_testing::moto::{sdk_config, Moto};
use serde_json::{json, Value};

const SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";
const PUT_ITEM: &str = "arn:aws:states:::dynamodb:putItem";
const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";
/// A role in another account: moto serves the calls made with its credentials from that
/// account's own resources, so where a message lands shows whose credentials sent it.
const OTHER_ACCOUNT_ROLE: &str = "arn:aws:iam::111111111111:role/tasks";

fn tasks(sdk: &SdkConfig, sts: &SdkConfig) -> AwsInvoker {
    AwsInvoker::new(
        LambdaInvoker::new(&aws_sdk_lambda::Client::new(sdk)),
        aws_sdk_sqs::Client::new(sdk),
        aws_sdk_eventbridge::Client::new(sdk),
        aws_sdk_dynamodb::Client::new(sdk),
    )
    .assuming_roles(&aws_sdk_sts::Client::new(sts))
}

async fn run(
    invoker: &AwsInvoker,
    resource: &str,
    input: Value,
    role: Option<&str>,
) -> Result<Value, Failure> {
    let mut request = TaskRequest::new(1, "Call", resource, input);
    request.credentials = role.map(|arn| json!({"RoleArn": arn}));
    match invoker.invoke(&request) {
        Invocation::Ready(outcome) => outcome,
        Invocation::Pending(future) => future.await,
    }
}

/// An SQS client signing as `role` (assumed on moto), to set up that account's resources.
async fn sqs_as(sdk: &SdkConfig, role: &str) -> aws_sdk_sqs::Client {
    let out = aws_sdk_sts::Client::new(sdk)
        .assume_role()
        .role_arn(role)
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let credentials = aws_sdk_sqs::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "setup",
    );
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .credentials_provider(credentials)
            .build(),
    )
}

#[tokio::test]
async fn a_task_with_credentials_calls_as_the_role() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let invoker = tasks(&sdk, &sdk);
    // The queue exists in the role's account only.
    let theirs = sqs_as(&sdk, OTHER_ACCOUNT_ROLE).await;
    let url = theirs
        .create_queue()
        .queue_name("orders")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert!(url.contains("/111111111111/"), "{url}");
    let message = json!({"QueueUrl": url, "MessageBody": "hello"});

    let sent = run(
        &invoker,
        SEND_MESSAGE,
        message.clone(),
        Some(OTHER_ACCOUNT_ROLE),
    )
    .await
    .unwrap();
    assert!(sent["MessageId"].is_string(), "{sent}");
    let received = theirs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 1);
    assert_eq!(received.messages()[0].body(), Some("hello"));

    // The deployment's own credentials are for account 123456789012, where there is no such
    // queue: the same call without Credentials fails.
    let failure = run(&invoker, SEND_MESSAGE, message, None)
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("SQS.QueueDoesNotExistException"),
        "{failure:?}"
    );
}

/// A fake STS: answers AssumeRole with credentials that expire `lifetime` from now, counting
/// the calls; or, with no lifetime, refuses as IAM does.
fn fake_sts(calls: Arc<AtomicU32>, lifetime: Option<Duration>) -> String {
    serve(Arc::new(move |_path: &str, body: &str| -> Reply {
        assert!(body.contains("Action=AssumeRole"), "{body}");
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(lifetime) = lifetime else {
            return (
                "403 Forbidden",
                Vec::new(),
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                 <Type>Sender</Type><Code>AccessDenied</Code><Message>User: \
                 arn:aws:sts::123456789012:assumed-role/quickstep-WorkerRole-X/f is not \
                 authorized to perform: sts:AssumeRole on resource: \
                 arn:aws:iam::123456789012:role/tasks</Message></Error>\
                 <RequestId>r</RequestId></ErrorResponse>"
                    .to_owned(),
            );
        };
        let expires = DateTime::from(SystemTime::now() + lifetime)
            .fmt(DateTimeFormat::DateTime)
            .unwrap();
        (
            "200 OK",
            Vec::new(),
            format!(
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE{n}</AccessKeyId>\
                 <SecretAccessKey>secret</SecretAccessKey><SessionToken>token{n}</SessionToken>\
                 <Expiration>{expires}</Expiration></Credentials><AssumedRoleUser>\
                 <AssumedRoleId>AROAFAKE:quickstep</AssumedRoleId>\
                 <Arn>arn:aws:sts::123456789012:assumed-role/tasks/quickstep</Arn>\
                 </AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r{n}\
                 </RequestId></ResponseMetadata></AssumeRoleResponse>"
            ),
        )
    }))
}

#[tokio::test]
async fn a_role_is_assumed_once_while_its_credentials_last() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let url = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name("orders")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let message = json!({"QueueUrl": url, "MessageBody": "hello"});
    let role = "arn:aws:iam::123456789012:role/tasks";

    // Credentials for an hour: one AssumeRole for three calls.
    let calls = Arc::new(AtomicU32::new(0));
    let sts = sdk_config(&fake_sts(
        Arc::clone(&calls),
        Some(Duration::from_secs(3600)),
    ))
    .await;
    let invoker = tasks(&sdk, &sts);
    for _ in 0..3 {
        run(&invoker, SEND_MESSAGE, message.clone(), Some(role))
            .await
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Another role is assumed for itself.
    run(
        &invoker,
        SEND_MESSAGE,
        message.clone(),
        Some("arn:aws:iam::123456789012:role/other"),
    )
    .await
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Credentials that expire within the five minutes of margin are assumed again each time.
    let calls = Arc::new(AtomicU32::new(0));
    let sts = sdk_config(&fake_sts(
        Arc::clone(&calls),
        Some(Duration::from_secs(240)),
    ))
    .await;
    let invoker = tasks(&sdk, &sts);
    for _ in 0..2 {
        run(&invoker, SEND_MESSAGE, message.clone(), Some(role))
            .await
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_fails_the_task() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let calls = Arc::new(AtomicU32::new(0));
    let sts = sdk_config(&fake_sts(Arc::clone(&calls), None)).await;
    let invoker = tasks(&sdk, &sts);
    let role = "arn:aws:iam::123456789012:role/tasks";
    let failure = run(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": "http://127.0.0.1:1/123456789012/q", "MessageBody": "x"}),
        Some(role),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.TaskFailed"));
    let cause = failure.cause.unwrap();
    assert!(
        cause.contains(role) && cause.contains("AccessDenied"),
        "{cause}"
    );
    // No retry by the SDK: retrying is the state machine's Retry.
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // STS out of reach fails the same way.
    let unreachable = sdk_config(&format!(
        "http://127.0.0.1:{}",
        quickstep_testing::moto::free_port()
    ))
    .await;
    let failure = run(&tasks(&sdk, &unreachable), PUT_ITEM, json!({}), Some(role))
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("States.TaskFailed"),
        "{failure:?}"
    );

    // Credentials that name no role fail before anything is called.
    let mut request = TaskRequest::new(1, "Call", PUT_ITEM, json!({}));
    request.credentials = Some(json!({"RoleArn": "tasks"}));
    match invoker.invoke(&request) {
        Invocation::Ready(Err(failure)) => {
            assert_eq!(failure.error.as_deref(), Some("States.TaskFailed"));
        }
        _ => panic!("a RoleArn that is no role ARN must fail at once"),
    }
}

#[tokio::test]
async fn tasks_cannot_reach_the_services_own_resources() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let own_queue = sqs
        .create_queue()
        .queue_name("quickstep-steps")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let other_queue = sqs
        .create_queue()
        .queue_name("orders")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let invoker = tasks(&sdk, &sdk).keeping_off(OwnResources {
        table: "quickstep".into(),
        step_queue_url: own_queue.clone(),
        bus: "quickstep".into(),
    });

    let refused = [
        (
            PUT_ITEM,
            json!({"TableName": "quickstep", "Item": {"pk": {"S": "EX#forged"}}}),
            "DynamoDB.AmazonDynamoDBException",
        ),
        (
            SEND_MESSAGE,
            json!({"QueueUrl": own_queue, "MessageBody": "{\"executionArn\":\"x\",\"version\":1}"}),
            "SQS.AmazonSQSException",
        ),
        (
            PUT_EVENTS,
            json!({"Entries": [{"Source": "quickstep", "DetailType": "Execution Status Change", "Detail": "{}", "EventBusName": "quickstep"}]}),
            "EventBridge.AmazonEventBridgeException",
        ),
    ];
    for (resource, input, error) in refused {
        let failure = run(&invoker, resource, input, None).await.unwrap_err();
        assert_eq!(
            failure.error.as_deref(),
            Some(error),
            "{resource}: {failure:?}"
        );
        assert!(
            failure.cause.unwrap().contains("AccessDeniedException"),
            "{resource}"
        );
    }
    // Nothing reached the step queue.
    let received = sqs
        .receive_message()
        .queue_url(&own_queue)
        .send()
        .await
        .unwrap();
    assert!(received.messages().is_empty());

    // Other resources are the Tasks' to use.
    run(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": other_queue, "MessageBody": "hello"}),
        None,
    )
    .await
    .unwrap();
}
