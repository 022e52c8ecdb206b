//! The Task resources the deployed service runs for real, with the parameters, result shapes
//! and error names Step Functions gives them:
//! - Lambda, through [`LambdaInvoker`];
//! - `arn:aws:states:::sqs:sendMessage` (`sqs.rs`);
//! - `arn:aws:states:::events:putEvents` (`eventbridge.rs`);
//! - `arn:aws:states:::dynamodb:getItem`, `:putItem`, `:updateItem` and `:deleteItem`
//!   (`dynamodb.rs`).
//!
//! Any other resource is refused when a state machine is stored (see
//! [`TaskInvoker::supports`]). How failures are named is in `failures.rs`. The SDK clients retry
//! nothing: as on AWS, retrying is the state machine's `Retry`.

mod dynamodb;
mod eventbridge;
mod failures;
pub(crate) mod sdk_metadata;
mod sqs;

use quickstep::execution::TaskRequest;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};

use crate::lambda::LambdaInvoker;

/// Runs every Task resource quickstep supports on AWS.
#[derive(Debug, Clone)]
pub struct AwsInvoker {
    lambda: LambdaInvoker,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl AwsInvoker {
    /// An invoker over the clients' configurations, with the SDK's retries switched off.
    pub fn new(
        lambda: LambdaInvoker,
        sqs: aws_sdk_sqs::Client,
        events: aws_sdk_eventbridge::Client,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Self {
        use aws_sdk_dynamodb::config::retry::RetryConfig;
        Self {
            lambda,
            sqs: aws_sdk_sqs::Client::from_conf(
                sqs.config()
                    .to_builder()
                    .retry_config(RetryConfig::disabled())
                    .build(),
            ),
            events: aws_sdk_eventbridge::Client::from_conf(
                events
                    .config()
                    .to_builder()
                    .retry_config(RetryConfig::disabled())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                dynamodb
                    .config()
                    .to_builder()
                    .retry_config(RetryConfig::disabled())
                    .build(),
            ),
        }
    }
}

impl TaskInvoker for AwsInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        if let Some(action) = dynamodb::Action::of(&request.resource) {
            return dynamodb::invoke(&self.dynamodb, action, &request.input);
        }
        match request.resource.as_str() {
            sqs::SEND_MESSAGE => sqs::invoke(&self.sqs, &request.input),
            eventbridge::PUT_EVENTS => eventbridge::invoke(&self.events, &request.input),
            _ => self.lambda.invoke(request),
        }
    }

    fn supports(&self, resource: &str) -> bool {
        matches!(resource, sqs::SEND_MESSAGE | eventbridge::PUT_EVENTS)
            || dynamodb::Action::of(resource).is_some()
            || LambdaInvoker::handles(resource)
    }
}
