//! The outside capabilities the service needs, one narrow trait each. Adapters map their own
//! errors (SDK errors never cross a port) to [`PortError`].

use std::future::Future;

use crate::records::{ExecutionRecord, StateMachineRecord, StatusChange, StepMessage};

/// What can go wrong behind a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// A conditional write lost: someone else changed the item first.
    #[error("conflict: the item changed since it was read")]
    Conflict,
    /// Worth trying again (throttling, a timeout, a 5xx).
    #[error("retryable: {0}")]
    Retryable(String),
    /// Will not work however often it is tried (bad request, missing permission, too large).
    #[error("terminal: {0}")]
    Terminal(String),
}

/// Whether a new execution was created, or one of the same name already existed.
#[derive(Debug, Clone)]
pub enum Created {
    New,
    Existing(Box<ExecutionRecord>),
}

/// State machines and executions.
pub trait Store: Send + Sync + 'static {
    /// Stores a new revision of a state machine; revisions are numbered from 1.
    fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &serde_json::Value,
        now: i64,
    ) -> impl Future<Output = Result<StateMachineRecord, PortError>> + Send;

    /// The current revision, if the state machine exists.
    fn get_state_machine(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StateMachineRecord>, PortError>> + Send;

    /// A given revision.
    fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> impl Future<Output = Result<Option<StateMachineRecord>, PortError>> + Send;

    /// Creates the record unless an execution with the same ARN exists (then returns that one).
    fn create_execution(
        &self,
        record: &ExecutionRecord,
    ) -> impl Future<Output = Result<Created, PortError>> + Send;

    fn get_execution(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<ExecutionRecord>, PortError>> + Send;

    /// Replaces the record only if its stored version is still `expected_version`
    /// ([`PortError::Conflict`] otherwise).
    fn put_execution_if_version(
        &self,
        record: &ExecutionRecord,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The step queue that drives asynchronous executions.
pub trait StepQueue: Send + Sync + 'static {
    /// Sends a message, delivered after `delay_seconds` (at most 900, SQS's limit).
    fn send(
        &self,
        message: &StepMessage,
        delay_seconds: u32,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Where status-change events go.
pub trait EventPublisher: Send + Sync + 'static {
    fn publish(&self, event: &StatusChange) -> impl Future<Output = Result<(), PortError>> + Send;
}
