//! Building the service from the environment, once per cold start: the part the three
//! functions share.
//!
//! | variable | meaning |
//! |---|---|
//! | `QUICKSTEP_TABLE` | the DynamoDB table |
//! | `QUICKSTEP_STEP_QUEUE_URL` | the SQS step queue |
//! | `QUICKSTEP_EVENT_BUS` | the EventBridge bus failure events go to |
//! | `AWS_REGION`, `QUICKSTEP_ACCOUNT_ID`, `QUICKSTEP_PAYLOAD_LIMIT_BYTES`, `QUICKSTEP_MAX_ROUNDS_PER_STEP`, `QUICKSTEP_LOG_LEVEL`, `QUICKSTEP_LOG_INCLUDE_EXECUTION_DATA` | see [`quickstep_service::config::Config`] |
//!
//! Execution logs and metrics go to standard output ([`crate::telemetry::CloudWatchLog`]).
//!
//! AWS endpoints come from aws-config's standard `AWS_ENDPOINT_URL…` variables only.

use crate::telemetry::CloudWatchLog;
use std::collections::HashMap;
use std::sync::Arc;

use quickstep_runtime::clock::Clock;
use quickstep_service::config::{Config, ConfigError};
use quickstep_service::service::Service;

use crate::events::EventBridgePublisher;
use crate::integrations::{AwsInvoker, OwnResources};
use crate::lambda::LambdaInvoker;
use crate::queue::SqsQueue;
use crate::store::DynamoStore;

/// The service as the functions run it.
pub type AwsService = Service<DynamoStore, SqsQueue, EventBridgePublisher>;

/// Builds the service from environment variables `vars` (the process environment).
pub async fn service_from_vars(vars: &HashMap<String, String>) -> Result<AwsService, ConfigError> {
    let required = |name: &str| {
        vars.get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| ConfigError {
                name: name.into(),
                value: String::new(),
                reason: "must be set".into(),
            })
    };
    let table = required("QUICKSTEP_TABLE")?;
    let queue_url = required("QUICKSTEP_STEP_QUEUE_URL")?;
    let bus = required("QUICKSTEP_EVENT_BUS")?;
    let config = Config::from_vars(vars)?;
    // The deployment's secret that makes task tokens unguessable: every function that makes or
    // answers tokens has the same (the template generates it in Secrets Manager).
    if let Some(key) = vars.get("QUICKSTEP_TOKEN_KEY").filter(|k| !k.is_empty()) {
        quickstep_engine::execution::token::set_key(key.as_bytes());
    }
    let sdk = crate::config().await;
    // Tasks run with the function's role, which can write these three for the service itself.
    let tasks = task_invoker(&sdk, false).keeping_off(OwnResources {
        table: table.clone(),
        step_queue_url: queue_url.clone(),
        bus: bus.clone(),
    });
    Ok(Service::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url),
        EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), bus),
        Arc::new(tasks),
        Clock::Real,
        config,
    )
    .with_telemetry(Arc::new(CloudWatchLog)))
}

/// The Task integrations the deployment runs, over the SDK configuration `sdk`, assuming the
/// roles Tasks name in `Credentials` through STS; with `lambda_by_name`, functions are called by
/// bare name (for local emulators, see [`LambdaInvoker::calling_by_name`]).
pub fn task_invoker(sdk: &aws_config::SdkConfig, lambda_by_name: bool) -> AwsInvoker {
    let lambda = LambdaInvoker::new(&aws_sdk_lambda::Client::new(sdk));
    AwsInvoker::new(
        if lambda_by_name {
            lambda.calling_by_name()
        } else {
            lambda
        },
        aws_sdk_sqs::Client::new(sdk),
        aws_sdk_eventbridge::Client::new(sdk),
        aws_sdk_dynamodb::Client::new(sdk),
    )
    .assuming_roles(&aws_sdk_sts::Client::new(sdk))
}

/// [`service_from_vars`] over the process environment.
pub async fn service_from_env() -> Result<AwsService, ConfigError> {
    service_from_vars(&std::env::vars().collect()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_variables_are_named() {
        let vars: HashMap<String, String> = [("QUICKSTEP_TABLE".to_owned(), "t".to_owned())].into();
        let Err(e) = service_from_vars(&vars).await else {
            panic!("a missing queue URL must be refused");
        };
        assert_eq!(e.name, "QUICKSTEP_STEP_QUEUE_URL");
    }
}
