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
//!
//! A Task with `Credentials` calls as the role it names ([`AwsInvoker::assuming_roles`],
//! `roles.rs`); without, as the deployment, which may not touch the service's own table, step
//! queue or bus ([`AwsInvoker::keeping_off`], `own.rs`).

mod dynamodb;
mod eventbridge;
mod failures;
mod own;
mod roles;
pub(crate) mod sdk_metadata;
mod sqs;

use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_dynamodb::config::Credentials;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::{names, Failure};
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};

use crate::lambda::LambdaInvoker;
pub use own::OwnResources;
use roles::Roles;

/// The service integrations this invoker calls itself (`arn:aws:states:::service:action`,
/// without a pattern); Lambda's are [`LambdaInvoker`]'s.
const REQUEST_RESPONSE: &[(&str, &str)] = &[
    ("sqs", "sendMessage"),
    ("events", "putEvents"),
    ("dynamodb", "getItem"),
    ("dynamodb", "putItem"),
    ("dynamodb", "updateItem"),
    ("dynamodb", "deleteItem"),
];

/// Runs every Task resource quickstep supports on AWS.
#[derive(Debug, Clone)]
pub struct AwsInvoker {
    lambda: LambdaInvoker,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    /// Assumes the roles Tasks name in `Credentials`; without, such a Task fails.
    roles: Option<Arc<Roles>>,
    /// Resources calls with the deployment's own credentials may not reach.
    own: Option<Arc<OwnResources>>,
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
            roles: None,
            own: None,
        }
    }

    /// Honours a Task's `Credentials.RoleArn`: assumes the role through `sts` and makes the call
    /// with its credentials.
    #[must_use]
    pub fn assuming_roles(mut self, sts: &aws_sdk_sts::Client) -> Self {
        self.roles = Some(Arc::new(Roles::new(sts)));
        self
    }

    /// Refuses Task calls, made with the deployment's own credentials, to the service's own
    /// table, step queue and bus (see `own.rs`).
    #[must_use]
    pub fn keeping_off(mut self, own: OwnResources) -> Self {
        self.own = Some(Arc::new(own));
        self
    }

    /// The same clients, signing with `credentials`, without roles or guard: the invoker of one
    /// assumed role.
    fn signing_with(&self, credentials: &Credentials) -> Self {
        Self {
            lambda: self.lambda.signing_with(credentials),
            sqs: aws_sdk_sqs::Client::from_conf(
                self.sqs
                    .config()
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .build(),
            ),
            events: aws_sdk_eventbridge::Client::from_conf(
                self.events
                    .config()
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                self.dynamodb
                    .config()
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .build(),
            ),
            roles: None,
            own: None,
        }
    }

    /// Calls `request`'s resource with these clients' credentials: one of
    /// [`REQUEST_RESPONSE`], or Lambda's.
    fn call(&self, request: &TaskRequest) -> Invocation {
        if let Some(action) = dynamodb::Action::of(&request.resource) {
            return dynamodb::invoke(&self.dynamodb, action, &request.input);
        }
        match request.resource.as_str() {
            sqs::SEND_MESSAGE => sqs::invoke(&self.sqs, &request.input),
            eventbridge::PUT_EVENTS => eventbridge::invoke(&self.events, &request.input),
            _ => self.lambda.invoke(request),
        }
    }

    /// Calls `request`'s resource as the role its `credentials` name.
    fn call_as_role(&self, credentials: &serde_json::Value, request: &TaskRequest) -> Invocation {
        let role = match roles::role_arn(credentials) {
            Ok(role) => role,
            Err(failure) => return Invocation::Ready(Err(failure)),
        };
        let Some(roles) = self.roles.clone() else {
            return Invocation::Ready(Err(Failure::new(
                names::TASK_FAILED,
                format!(
                    "The Task's Credentials name the role '{role}', but this invoker assumes no \
                     roles"
                ),
            )));
        };
        let base = Self {
            roles: None,
            own: None,
            ..self.clone()
        };
        let request = request.clone();
        Invocation::Pending(Box::pin(async move {
            let invoker = roles.invoker_for(&role, &base, SystemTime::now()).await?;
            match invoker.call(&request) {
                Invocation::Ready(outcome) => outcome,
                Invocation::Pending(call) => call.await,
            }
        }))
    }
}

impl TaskInvoker for AwsInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        if let Some(credentials) = &request.credentials {
            return self.call_as_role(credentials, request);
        }
        if let Some(refusal) = self
            .own
            .as_ref()
            .and_then(|own| own.refusal(&request.resource, &request.input))
        {
            return Invocation::Ready(Err(refusal));
        }
        self.call(request)
    }

    fn supports(&self, kind: &ResourceKind) -> bool {
        self.lambda.supports(kind)
            || REQUEST_RESPONSE
                .iter()
                .any(|(service, action)| kind.is_request_response(service, action))
    }
}
