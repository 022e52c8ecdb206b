//! quickstep's AWS adapters: the service's ports ([`Store`](quickstep_service::ports::Store),
//! [`StepQueue`](quickstep_service::ports::StepQueue),
//! [`EventPublisher`](quickstep_service::ports::EventPublisher)) over DynamoDB, SQS and
//! EventBridge, the runtime's [`TaskInvoker`](quickstep_runtime::invoker::TaskInvoker) over
//! Lambda and the optimized SQS, EventBridge and DynamoDB integrations ([`integrations`]), and
//! [`setup`] to create the resources they use.
//!
//! Every adapter takes an SDK client built from one [`aws_config::SdkConfig`]; endpoints,
//! region and credentials come only from the standard AWS configuration (`AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, ...), so the same code runs on AWS and
//! against an emulator.
//!
//! ```no_run
//! # async fn example() -> Result<(), quickstep_service::ports::PortError> {
//! use quickstep_aws::{config, store::DynamoStore};
//! use quickstep_service::ports::Store;
//!
//! let sdk = config().await;
//! let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "quickstep");
//! let machine = store.get_state_machine("orders").await?;
//! # let _ = machine;
//! # Ok(())
//! # }
//! ```
//!
//! SDK errors never leave this crate: the ports see
//! [`PortError`](quickstep_service::ports::PortError) (conflict / retryable / terminal), the
//! invoker sees [`Failure`](quickstep_engine::failure::Failure)s with the error names Step Functions
//! gives its tasks' errors.

pub mod compose;
mod errors;
pub mod events;
pub mod integrations;
pub mod lambda;
pub mod queue;
pub mod setup;
pub mod store;
pub mod telemetry;

/// The SDK configuration from the environment, as a Lambda function or the CLI sees it.
pub async fn config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
