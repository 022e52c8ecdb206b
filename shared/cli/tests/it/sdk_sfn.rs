//! `quickstep serve` driven by the AWS SDK for Rust's Step Functions client (aws-sdk-sfn), as
//! a Rust program that uses Step Functions would drive it: the SDK's own serialization,
//! errors and timestamps against quickstep's Step Functions API.
use crate::common;

use std::time::Duration;

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_sfn::error::BoxError;
use aws_sdk_sfn::types::{
    ExecutionStatus, InspectionLevel, MockInput, StateMachineType, SyncExecutionStatus,
    TestExecutionStatus,
};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};

use common::Server;

/// The SDKs send StartSyncExecution and TestState to `sync-<host>` (the API's host prefix),
/// which a local endpoint does not have. The other SDKs and the CLI turn it off with
/// `AWS_DISABLE_HOST_PREFIX_INJECTION`; the Rust SDK has no such setting, so this interceptor
/// (which a Rust user of quickstep adds the same way) takes the prefix off again.
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().to_owned();
        if let Some(unprefixed) = uri.strip_prefix("http://sync-") {
            context
                .request_mut()
                .set_uri(format!("http://{unprefixed}"))?;
        }
        Ok(())
    }
}

async fn client(endpoint: &str) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::for_tests())
        .endpoint_url(endpoint)
        .load()
        .await;
    let config = aws_sdk_sfn::config::Builder::from(&shared)
        .interceptor(NoHostPrefix)
        .build();
    Client::from_conf(config)
}

fn greeter() -> String {
    json!({
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "ResultPath": "$.said", "Next": "Nap"},
            "Nap": {"Type": "Wait", "SecondsPath": "$.pause", "OutputPath": "$.said", "End": true}
        }
    })
    .to_string()
}

#[tokio::test]
async fn the_aws_sdk_for_rust_drives_quickstep_serve() {
    let server = Server::start(&["--clock", "virtual"], &[]);
    let sfn = client(&server.endpoint).await;

    let created = sfn
        .create_state_machine()
        .name("greeter")
        .definition(greeter())
        .role_arn("arn:aws:iam::123456789012:role/quickstep")
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap();
    let machine = created.state_machine_arn().to_owned();
    assert_eq!(
        machine,
        "arn:aws:states:us-east-1:123456789012:stateMachine:greeter"
    );
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(described.r#type(), &StateMachineType::Express);

    let sync = sfn
        .start_sync_execution()
        .state_machine_arn(&machine)
        .input(r#"{"who": "rust", "pause": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status(), &SyncExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(sync.output().unwrap()).unwrap();
    assert_eq!(output, json!({"greeting": "hello rust"}));

    let started = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("later")
        .input(r#"{"who": "async", "pause": 3600}"#)
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn().to_owned();
    let mut ended = None;
    for _ in 0..200 {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap();
        if described.status() != &ExecutionStatus::Running {
            ended = Some(described);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let ended = ended.expect("the execution ends on the virtual clock");
    assert_eq!(ended.status(), &ExecutionStatus::Succeeded);
    let took = ended.stop_date().unwrap().secs() - ended.start_date().secs();
    assert_eq!(took, 3600, "the Wait's hour, on the virtual clock");

    let history = sfn
        .get_execution_history()
        .execution_arn(&execution)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.r#type().as_str()).collect();
    assert_eq!(kinds.first(), Some(&"ExecutionStarted"));
    assert_eq!(kinds.last(), Some(&"ExecutionSucceeded"));
    assert!(kinds.contains(&"WaitStateEntered"), "{kinds:?}");

    let listed = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 1);
    assert_eq!(listed.executions()[0].execution_arn(), execution);

    let tested = sfn
        .test_state()
        .definition(
            json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                   "ResultPath": "$.r", "End": true})
            .to_string(),
        )
        .input(r#"{"a": 1}"#)
        .inspection_level(InspectionLevel::Debug)
        .mock(MockInput::builder().result(r#"{"ok": true}"#).build())
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), Some(&TestExecutionStatus::Succeeded));
    let output: Value = serde_json::from_str(tested.output().unwrap()).unwrap();
    assert_eq!(output, json!({"a": 1, "r": {"ok": true}}));
    let result = tested.inspection_data().and_then(|d| d.result()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(result).unwrap(),
        json!({"ok": true})
    );

    // Step Functions' errors come back as the SDK's typed errors.
    let missing = sfn
        .describe_state_machine()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(missing.is_state_machine_does_not_exist(), "{missing:?}");
    let taken = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("later")
        .input("{}")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(taken.is_execution_already_exists(), "{taken:?}");
}
