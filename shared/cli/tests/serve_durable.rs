//! `quickstep serve --table … --step-queue-url …` on moto's DynamoDB, SQS and EventBridge:
//! asynchronous executions carried by the in-process worker reading SQS, surviving a restart
//! of the server, driven by the AWS SDK for Rust.
// A test fails by panicking: unwrap and expect are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use aws_sdk_sfn::Client;
use quickstep_testing::moto::Moto;
use serde_json::json;

/// `quickstep serve` on moto's table and queues; killed when dropped.
struct Server {
    child: Child,
    endpoint: String,
}

impl Server {
    fn start(moto: &Moto, resources: &quickstep_aws::setup::Resources) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quickstep"))
            .args(["serve", "--port", "0", "--table", &resources.table])
            .args(["--step-queue-url", &resources.step_queue_url])
            .args(["--dead-letter-queue-url", &resources.dlq_url])
            .args(["--event-bus", "quickstep-events"])
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            // Task tokens made by one server are answered by the next.
            .env("QUICKSTEP_TOKEN_KEY", "durable-test")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("quickstep serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains(&resources.table), "{line}");
        let endpoint = line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("quickstep serve said {line:?}"))
            .to_owned();
        Self { child, endpoint }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

    let first = Server::start(&moto, &resources);
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
    let second = Server::start(&moto, &resources);
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
