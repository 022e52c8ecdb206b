//! The outside capabilities the service needs, one narrow trait each. Adapters map their own
//! errors (SDK errors never cross a port) to [`PortError`].
//!
//! Every port the service is built with is here: the store, the step queue, the event
//! publisher and telemetry are defined in this module; the task invoker, the clock, the sleeper
//! and the id generator, which the local driver shares without the service, are defined in
//! `quickstep-runtime` and re-exported here.

use std::future::Future;

pub use quickstep_runtime::clock::{Clock, Sleeper};
pub use quickstep_runtime::ids::IdGenerator;
pub use quickstep_runtime::invoker::{Invocation, TaskInvoker, TaskOutcome};

use crate::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord,
    StatusChange, StepMessage, Tags, Versioned,
};

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

/// A store's conditional write of a versioned document held in memory: `current` becomes
/// `new` as version `new.written() + 1` if it is still at `new.written()`
/// ([`PortError::Conflict`] otherwise).
pub fn replace_if_version<T: Versioned>(current: &mut T, mut new: T) -> Result<(), PortError> {
    let expected = new.written();
    if current.written() != expected {
        return Err(PortError::Conflict);
    }
    new.set_written(expected + 1);
    *current = new;
    Ok(())
}

/// Whether a new execution was created, or one of the same name already existed.
#[derive(Debug, Clone)]
pub enum Created {
    New,
    Existing(Box<ExecutionRecord>),
}

/// One page of a listing, and the cursor after which the next page starts (`None`: the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Listing<T> {
    /// The page of `entries` (each with its sort key) that starts after the cursor `after`:
    /// for stores that hold everything at hand.
    pub fn page(
        mut entries: Vec<(String, T)>,
        descending: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Self {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            entries.reverse();
        }
        let mut rest = entries.into_iter().filter(|(key, _)| match after {
            None => true,
            Some(after) if descending => key.as_str() < after,
            Some(after) => key.as_str() > after,
        });
        let mut items = Vec::new();
        let mut last = None;
        for (key, item) in rest.by_ref().take(limit) {
            items.push(item);
            last = Some(key);
        }
        let next = if rest.next().is_some() { last } else { None };
        Listing { items, next }
    }
}

/// State machines and executions.
pub trait Store: Send + Sync + 'static {
    /// Stores a new revision of a state machine; revisions are numbered from 1. Its type and
    /// settings are what `asked` says, the rest as the current revision has them
    /// ([`StateMachineRecord::next`]).
    fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &serde_json::Value,
        asked: &Asked,
        now: i64,
    ) -> impl Future<Output = Result<StateMachineRecord, PortError>> + Send;

    /// The state machine's tags (none, version 0, if it was never tagged).
    fn get_tags(&self, name: &str) -> impl Future<Output = Result<Tags, PortError>> + Send;

    /// Replaces the state machine's tags with `tags`, as version `expected_version + 1`, if
    /// their stored version is still `expected_version` ([`PortError::Conflict`] otherwise).
    fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The state machine's versions and aliases (none, version 0, if it never published one).
    fn get_published(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Published, PortError>> + Send;

    /// Replaces the state machine's versions and aliases with `published`, as version
    /// `published.version + 1`, if their stored version is still `published.version`
    /// ([`PortError::Conflict`] otherwise).
    fn put_published(
        &self,
        name: &str,
        published: &Published,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Deletes the state machine: a deletion marker becomes its current revision, and it is
    /// no longer listed; its tags, versions and aliases are deleted. Its revisions stay for the executions that use
    /// them. Deleting a state machine that does not exist does nothing.
    fn delete_state_machine(
        &self,
        name: &str,
        arn: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// State machines by name, at most `limit`, starting after the cursor `after`.
    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<MachineEntry>, PortError>> + Send;

    /// The executions of the state machine `machine` (by name), newest first, with the status
    /// `status` if given; at most `limit`, starting after the cursor `after`.
    fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Listing<ExecutionEntry>, PortError>> + Send;

    /// The current revision, if the state machine exists (and is not deleted).
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
    /// Its history is stored apart from it, as [`Self::put_execution_if_version`] stores it.
    fn create_execution(
        &self,
        record: &mut ExecutionRecord,
    ) -> impl Future<Output = Result<Created, PortError>> + Send;

    /// The record, with only the history events that are not stored apart (none, once
    /// written): what a writer needs, at the cost of one item however long the history.
    fn get_execution(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<ExecutionRecord>, PortError>> + Send;

    /// The record with its whole history, for those who read the history.
    fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<ExecutionRecord>, PortError>> + Send;

    /// Replaces the record only if its stored version is still `expected_version`
    /// ([`PortError::Conflict`] otherwise). The snapshot's history events after
    /// [`ExecutionRecord::stored_history`] are stored with the record, apart from it or in it
    /// as the store finds cheaper: a reader sees them exactly when it sees the record. Once
    /// written, the record is as [`Self::get_execution`] would read it (the events stored
    /// apart taken out of it, [`ExecutionRecord::take_new_events`]); if the write fails, it
    /// is as it was.
    fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The longest delay a step message may carry, in seconds: SQS's 15 minutes (longer waits are
/// chained).
pub const MAX_DELAY_SECONDS: u32 = 900;

/// The step queue that drives asynchronous executions.
pub trait StepQueue: Send + Sync + 'static {
    /// Sends a message, delivered after `delay_seconds` (at most 900, SQS's limit).
    fn send(
        &self,
        message: &StepMessage,
        delay_seconds: u32,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Where the service writes its execution logs and metrics, a line each (see
/// [`crate::telemetry`]): on Lambda, standard output, which CloudWatch Logs keeps and whose
/// Embedded Metric Format lines become metrics.
pub trait Telemetry: Send + Sync + 'static {
    fn write(&self, line: &str);
}

/// Where status-change events go.
pub trait EventPublisher: Send + Sync + 'static {
    fn publish(&self, event: &StatusChange) -> impl Future<Output = Result<(), PortError>> + Send;
}
