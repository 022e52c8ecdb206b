//! The service: the ports it was built with, and what every request shares (checked machines,
//! execution identities, turning a snapshot into a record, status-change events).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{ExecutionInfo, Millis, Options};
use quickstep_runtime::clock::{Clock, Sleeper, TokioSleeper};
use quickstep_runtime::ids::{IdGenerator, RandomIds};
use quickstep_runtime::invoker::TaskInvoker;
use serde_json::Value;

use quickstep_engine::problem::Problem;

use crate::config::Config;
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store, Telemetry};
use crate::records::{
    valid_execution_name, Asked, ExecutionRecord, StateMachineRecord, StatusChange,
};
use crate::resources::{runs, unsupported_message};
use crate::test_cases::TestCases;

/// The service. Cloning it is cheap and shares everything (ports, cache): a nested execution's
/// Task holds a clone.
pub struct Service<S, Q, P> {
    pub store: Arc<S>,
    pub queue: Arc<Q>,
    pub publisher: Arc<P>,
    /// Runs the Task resources of the deployment's integrations; the service itself runs
    /// `states:startExecution` (see [`crate::nested`]).
    pub invoker: Arc<dyn TaskInvoker>,
    pub clock: Arc<Clock>,
    /// Execution names and seeds.
    pub ids: Arc<dyn IdGenerator>,
    /// Waits for a time on the clock (the worker, while calls run).
    pub sleeper: Arc<dyn Sleeper>,
    pub config: Config,
    /// Checked definitions by (name, revision): a revision never changes, so this never goes stale.
    machines: Arc<Mutex<Machines>>,
    /// The current revision of each state machine a start last read, and when: starts within
    /// [`Config::current_revision_ms`] of it read it no more.
    current: Arc<Mutex<Current>>,
    /// Step Functions Local's mocked testing (`quickstep serve --mock-config`): none on Lambda.
    pub test_cases: Option<Arc<TestCases>>,
    /// Where execution logs and metrics go; none (and none made) unless given.
    pub telemetry: Option<Arc<dyn Telemetry>>,
}

/// Which revision a new execution runs: the current one, or a version's, started through the
/// version's ARN or an alias's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub revision: Option<u64>,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

/// Checked state machines by (name, revision).
type Machines = HashMap<(String, u64), Arc<StateMachine>>;

/// Current revisions by state machine name, with when they were read; and how often this
/// process changed a state machine (a read that began before a change is not kept).
#[derive(Default)]
struct Current {
    read: HashMap<String, (Millis, StateMachineRecord)>,
    changes: u64,
}

impl<S, Q, P> Clone for Service<S, Q, P> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            queue: Arc::clone(&self.queue),
            publisher: Arc::clone(&self.publisher),
            invoker: Arc::clone(&self.invoker),
            clock: Arc::clone(&self.clock),
            ids: Arc::clone(&self.ids),
            sleeper: Arc::clone(&self.sleeper),
            config: self.config.clone(),
            machines: Arc::clone(&self.machines),
            current: Arc::clone(&self.current),
            test_cases: self.test_cases.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub fn new(
        store: S,
        queue: Q,
        publisher: P,
        invoker: Arc<dyn TaskInvoker>,
        clock: Clock,
        config: Config,
    ) -> Self {
        Self {
            store: Arc::new(store),
            queue: Arc::new(queue),
            publisher: Arc::new(publisher),
            invoker,
            clock: Arc::new(clock),
            ids: Arc::new(RandomIds),
            sleeper: Arc::new(TokioSleeper),
            config,
            machines: Arc::new(Mutex::new(HashMap::new())),
            current: Arc::new(Mutex::new(Current::default())),
            test_cases: None,
            telemetry: None,
        }
    }

    /// The same service writing execution logs and metrics to `telemetry`.
    #[must_use]
    pub fn with_telemetry(mut self, telemetry: Arc<dyn Telemetry>) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// The same service running executions started as `<stateMachineArn>#<TestCase>` on the
    /// test cases of a mock config, as Step Functions Local does.
    #[must_use]
    pub fn with_test_cases(mut self, test_cases: TestCases) -> Self {
        self.test_cases = Some(Arc::new(test_cases));
        self
    }

    /// The same service reading time from `clock`, shared with whoever moves it (a simulation).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same service naming executions and seeding them with `ids`.
    #[must_use]
    pub fn with_ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }

    /// The same service waiting with `sleeper`.
    #[must_use]
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The name of a new execution: the one asked for, checked as StartExecution checks it, or
    /// a new one.
    pub(crate) fn execution_name(&self, asked: Option<&str>) -> Result<String, ServiceError> {
        match asked {
            None => Ok(self.ids.execution_name()),
            Some(name) if valid_execution_name(name) => Ok(name.to_owned()),
            Some(name) => Err(ServiceError::BadRequest(format!(
                "'{name}' is not a valid execution name: use 1 to 80 characters, none of them \
                 whitespace, a control character, or one of < > {{ }} [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /"
            ))),
        }
    }

    /// Validates a definition and stores it as the state machine's next revision, of the
    /// current revision's type (Express for a new state machine).
    pub async fn put_state_machine(
        &self,
        name: &str,
        definition: &Value,
    ) -> Result<StateMachineRecord, ServiceError> {
        self.put_revision(name, definition, &Asked::default()).await
    }

    /// [`Self::put_state_machine`], of the type and with the settings `asked` gives (what it
    /// leaves unset stays as the current revision has it).
    pub async fn put_revision(
        &self,
        name: &str,
        definition: &Value,
        asked: &Asked,
    ) -> Result<StateMachineRecord, ServiceError> {
        if name.is_empty()
            || name.len() > 80
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ServiceError::BadRequest(format!(
                "'{name}' is not a valid state machine name: use 1 to 80 letters, digits, '-' or '_'"
            )));
        }
        let machine =
            StateMachine::from_json(definition).map_err(ServiceError::InvalidDefinition)?;
        let unsupported: Vec<Problem> = machine
            .tasks()
            .filter(|at| {
                // A callback task calls its resource as a request–response task does, then waits.
                let called = at.task.kind.called();
                !(runs(&called) || self.invoker.supports(&called))
            })
            .map(|at| {
                let message = unsupported_message(&at.task.resource, &at.task.kind);
                Problem::schema(message, at.resource_pointer())
            })
            .collect();
        if !unsupported.is_empty() {
            return Err(ServiceError::InvalidDefinition(unsupported));
        }
        let arn = self.config.state_machine_arn(name);
        let record = self
            .store
            .put_state_machine(name, &arn, definition, asked, self.clock.now())
            .await?;
        self.forget_current(name);
        self.remember(name, record.revision, Arc::new(machine));
        Ok(record)
    }

    /// The revision an execution started on `target` runs.
    pub(crate) async fn target_revision(
        &self,
        name: &str,
        target: &Target,
    ) -> Result<StateMachineRecord, ServiceError> {
        let Some(revision) = target.revision else {
            return self.current_revision(name).await;
        };
        self.store
            .get_revision(name, revision)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("state machine '{name}' has no revision {revision}"))
            })
    }

    /// The current revision a new execution runs: as read within the last
    /// [`Config::current_revision_ms`], or read now.
    async fn current_revision(&self, name: &str) -> Result<StateMachineRecord, ServiceError> {
        let now = self.clock.now();
        let fresh = |at: Millis| (0..self.config.current_revision_ms).contains(&(now - at));
        let changes = {
            let current = self.current();
            if let Some((_, record)) = current.read.get(name).filter(|(at, _)| fresh(*at)) {
                return Ok(record.clone());
            }
            current.changes
        };
        let record = self.get_state_machine(name).await?;
        let mut current = self.current();
        // A change made here while this read was under way may be newer than what it read.
        if current.changes == changes {
            if current.read.len() >= self.config.max_cached_machines {
                current.read.clear();
            }
            current.read.insert(name.to_owned(), (now, record.clone()));
        }
        Ok(record)
    }

    /// Forgets the current revision of `name` read before: this process changed it.
    pub(crate) fn forget_current(&self, name: &str) {
        let mut current = self.current();
        current.read.remove(name);
        current.changes += 1;
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub async fn get_state_machine(&self, name: &str) -> Result<StateMachineRecord, ServiceError> {
        self.store
            .get_state_machine(name)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("state machine '{name}' does not exist")))
    }

    /// The checked machine of a stored revision, checked once per process.
    pub(crate) async fn machine(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Arc<StateMachine>, ServiceError> {
        if let Some(m) = self.cache().get(&(name.to_owned(), revision)) {
            return Ok(Arc::clone(m));
        }
        let record = self
            .store
            .get_revision(name, revision)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("state machine '{name}' has no revision {revision}"))
            })?;
        let machine = Arc::new(
            StateMachine::from_json(&record.definition).map_err(ServiceError::InvalidDefinition)?,
        );
        self.remember(name, revision, Arc::clone(&machine));
        Ok(machine)
    }

    /// Keeps a checked machine, within [`Config::max_cached_machines`] (a full cache starts
    /// over: revisions are cheap to check again, and this keeps memory bounded).
    fn remember(&self, name: &str, revision: u64, machine: Arc<StateMachine>) {
        let mut cache = self.cache();
        if cache.len() >= self.config.max_cached_machines {
            cache.clear();
        }
        cache.insert((name.to_owned(), revision), machine);
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Machines> {
        self.machines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn options(&self) -> Options {
        Options {
            payload_limit_bytes: self.config.payload_limit_bytes,
            max_execution_seconds: self.config.execution_timeout_seconds,
            task_tokens_name_execution: true,
            max_history_events: Some(self.config.max_history_events),
            ..Options::default()
        }
    }

    /// Refuses an input over the payload limit before anything starts.
    pub(crate) fn check_input(&self, input: &Value) -> Result<(), ServiceError> {
        let size = serde_json::to_vec(input).map_or(0, |b| b.len());
        if size > self.config.payload_limit_bytes {
            return Err(ServiceError::PayloadTooLarge(format!(
                "the execution input is {size} bytes; the limit is {} bytes",
                self.config.payload_limit_bytes
            )));
        }
        Ok(())
    }

    pub(crate) fn execution_info(
        &self,
        machine: &StateMachineRecord,
        name: &str,
        input: Value,
        now: Millis,
    ) -> ExecutionInfo {
        ExecutionInfo {
            execution_arn: self.config.execution_arn(&machine.name, name),
            name: name.to_owned(),
            state_machine_arn: machine.arn.clone(),
            state_machine_name: machine.name.clone(),
            role_arn: format!("arn:aws:iam::{}:role/quickstep", self.config.account),
            input: Arc::new(input),
            start_time: now,
            express: true,
            context: None,
        }
    }

    /// Publishes the status-change event of an execution that ended FAILED, TIMED_OUT or
    /// ABORTED (nothing for SUCCEEDED or RUNNING).
    pub(crate) async fn publish_if_failed(
        &self,
        record: &ExecutionRecord,
    ) -> Result<(), ServiceError> {
        if matches!(record.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED") {
            self.publisher.publish(&StatusChange::of(record)).await?;
        }
        Ok(())
    }
}
