//! `quickstep serve --table … --step-queue-url …` on moto's DynamoDB, SQS and EventBridge:
//! asynchronous executions carried by the in-process worker reading SQS, surviving a restart
//! of the server, driven by the AWS SDK for Rust.
use crate::common;

use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use aws_sdk_sfn::Client;
use quickstep_testing::moto::Moto;
use serde_json::json;

use common::Server;

/// `quickstep serve` on moto's table and queues.
fn serve(moto: &Moto, resources: &quickstep_aws::setup::Resources) -> Server {
    let server = Server::start(
        &[
            "--table",
            &resources.table,
            "--step-queue-url",
            &resources.step_queue_url,
            "--dead-letter-queue-url",
            &resources.dlq_url,
            "--event-bus",
            "quickstep-events",
        ],
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            // Task tokens made by one server are answered by the next.
            ("QUICKSTEP_TOKEN_KEY", "durable-test"),
        ],
    );
    assert!(server.said.contains(&resources.table), "{}", server.said);
    server
}

async fn client(endpoint: &str) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .endpoint_url(endpoint)
        .load()
        .await;
    Client::new(&shared)
}

async fn wait_for_end(
    sfn: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if described.status() != &ExecutionStatus::Running {
            return described;
        }
        assert!(Instant::now() < deadline, "{arn} is still running");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn executions_are_kept_in_dynamodb_and_carried_through_sqs_across_restarts() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let resources = quickstep_aws::setup::create_resources(
        &sdk,
        "quickstep",
        "quickstep-steps",
        "quickstep-dead-letters",
        "quickstep-events",
        3,
    )
    .await
    .unwrap();

    let first = serve(&moto, &resources);
    let sfn = client(&first.endpoint).await;
    let definition = json!({
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.greeting", "StringEquals": "hello fail", "Next": "Boom"}], "Default": "Done"},
            "Boom": {"Type": "Fail", "Error": "Demo.Boom", "Cause": "asked to"},
            "Done": {"Type": "Succeed"}
        }
    });
    let machine = sfn
        .create_state_machine()
        .name("durable")
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/quickstep")
        .r#type(StateMachineType::Standard)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_owned();
    let started = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("across-a-restart")
        .input(json!({"who": "world"}).to_string())
        .send()
        .await
        .unwrap();
    // The server stops while the execution waits; its step message waits in SQS.
    drop(first);
    let second = serve(&moto, &resources);
    let sfn = client(&second.endpoint).await;
    let ended = wait_for_end(&sfn, started.execution_arn()).await;
    assert_eq!(ended.status(), &ExecutionStatus::Succeeded);
    assert_eq!(ended.output(), Some(r#"{"greeting":"hello world"}"#));
    let history = sfn
        .get_execution_history()
        .execution_arn(started.execution_arn())
        .send()
        .await
        .unwrap();
    assert!(history
        .events()
        .iter()
        .any(|e| e.r#type().as_str() == "WaitStateExited"));

    let failed = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .input(json!({"who": "fail"}).to_string())
        .send()
        .await
        .unwrap();
    let ended = wait_for_end(&sfn, failed.execution_arn()).await;
    assert_eq!(ended.status(), &ExecutionStatus::Failed);
    assert_eq!(ended.error(), Some("Demo.Boom"));
    let listed = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 2);
}
