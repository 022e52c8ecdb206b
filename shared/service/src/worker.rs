//! Asynchronous executions: starting one, and the worker's step.
//!
//! An execution's record holds its snapshot, the effects the engine asked for that are not
//! carried out yet, and which step message carries out each pending task call. A step message
//! names a version of the record and the claim of the commit that sent it. The worker, for a
//! message of version `m`:
//! - finds the record **behind** `m` (or missing): the message arrived before the write that
//!   follows its send (SQS may deliver it first). It is sent again a little later, with a
//!   growing delay, until the write is there or, after [`Config::max_early_resends`] tries,
//!   it is certain that it never will be (its writer crashed or lost a race; whoever writes
//!   that version later sends a message of its own);
//! - finds the record **at** `m`: it carries out what is due, the calls its claim owns,
//!   timers whose time has come, a yield;
//! - finds the record **past** `m`: only the calls its claim owns are still its to make (an
//!   answer or a heartbeat wrote in between); with none, the message is stale and dropped.
//!
//! A call born of a timer or a resume is made only after a commit claimed it (by the next
//! message): two current messages may fire the same timer, and only one commit wins it.
//!
//! The worker makes its calls concurrently and applies each outcome as it comes, so timers
//! (a Task's `TimeoutSeconds` and `HeartbeatSeconds`) fire while slow calls run. It stops
//! starting work [`Config::step_margin_ms`] before its invocation's deadline, leaves the calls
//! still running to the next step (each call at most [`Config::max_task_dispatches`] times,
//! then it fails with `States.Timeout`), and commits by the protocol of [`crate::commit`].

use crate::telemetry::integration_of;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::future::{join_all, select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{self, Effect, Event, Millis, TaskRequest};
use quickstep_runtime::invoker::{Invocation, TaskOutcome};
use serde_json::Value;

use crate::commit::{apply, next_delay, pending_of, too_large, Action, Applied, Committed};
use crate::error::ServiceError;
use crate::ports::{Created, EventPublisher, PortError, StepQueue, Store};
use crate::records::record_of;
use crate::records::{ExecutionRecord, StepMessage};
use crate::resources::called_resource;
use crate::service::{Service, Target};

pub use crate::ports::MAX_DELAY_SECONDS;

/// What the worker did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The execution moved on (and the next message was sent, if it is still running).
    Advanced { version: u64, status: String },
    /// Nothing was due yet, or the message came before its record: it was sent again with
    /// this delay.
    Rescheduled { delay_seconds: u32 },
    /// The message was a duplicate, stale, for an ended or unknown execution, or lost a race.
    Dropped(&'static str),
}

/// The response to an asynchronous start.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: Millis,
    /// False if an execution of that name already existed (it was returned, not started again).
    pub new: bool,
}

/// The time a step may take (ms since the epoch; `None`: unbounded).
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// No call is made from this time on.
    start_by: Option<Millis>,
    /// The step ends at this time, and calls still running are left to the next one.
    end: Option<Millis>,
}

/// A call in flight: the pending call it carries out, whether its outcome answers a callback
/// task at once (a mock's), and its outcome.
type Flight = Pin<Box<dyn Future<Output = Called> + Send>>;
type Called = (Box<TaskRequest>, bool, TaskOutcome);

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Starts an asynchronous execution of the current revision of `machine_name`: the engine
    /// runs to its first task or timer (or on, within [`Config::start_inline_ms`]), the record is
    /// stored and the next step is queued. The same execution name again returns the first
    /// execution.
    ///
    /// [`Config::start_inline_ms`]: crate::config::Config::start_inline_ms
    pub async fn start_async(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
    ) -> Result<Started, ServiceError> {
        self.start_async_until(machine_name, execution_name, input, None)
            .await
    }

    /// [`Self::start_async`] in an invocation that ends at `deadline` (ms since the epoch), up
    /// to which calls the start made inline are waited for.
    pub async fn start_async_until(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
        deadline: Option<Millis>,
    ) -> Result<Started, ServiceError> {
        let target = Target::default();
        self.start_async_on(machine_name, execution_name, input, 0, &target, deadline)
            .await
    }

    /// [`Self::start_async`] of an execution `depth` deep in a chain of `startExecution` tasks.
    pub(crate) async fn start_async_at(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
        depth: u32,
    ) -> Result<Started, ServiceError> {
        let target = Target::default();
        self.start_async_on(machine_name, execution_name, input, depth, &target, None)
            .await
    }

    /// [`Self::start_async_at`] of the revision `target` names (a version's), in an invocation
    /// that ends at `deadline`.
    pub(crate) async fn start_async_on(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
        depth: u32,
        target: &Target,
        deadline: Option<Millis>,
    ) -> Result<Started, ServiceError> {
        self.check_input(&input)?;
        let name = self.execution_name(execution_name)?;
        let machine_record = self.target_revision(machine_name, target).await?;
        let arn = self.config.execution_arn(machine_name, &name);
        // No read first to see whether the name is taken: the conditional create below says
        // so, at no extra read for every start (but for one run inline, below). A start of a
        // name already taken sends a step message for nothing, which the worker drops (its
        // claim owns nothing in the record).
        let machine = self.machine(machine_name, machine_record.revision).await?;
        let now = self.clock.now();
        let info = self.execution_info(&machine_record, &name, input, now);
        let seed = self.ids.seed();
        let (snapshot, effects) = execution::start(&machine, info, self.options(), seed, now);
        let log = self.log_settings(&machine_record);
        let mut record = record_of(&machine_record, snapshot, pending_of(effects), log);
        record.depth = depth;
        record.version_arn.clone_from(&target.version_arn);
        record.alias_arn.clone_from(&target.alias_arn);
        let inline = depth == 0 && self.config.start_inline_ms > 0 && has_work_now(&record, now);
        // The record as started, should what the start runs inline be too large to store.
        let mut unstored = None;
        if inline {
            if execution_name.is_some() {
                // A start run inline calls tasks before its create says whether the name is
                // taken: a repeated start (a client's retry, EventBridge's) must not call them
                // again. One read, for named starts that would call a task.
                if let Some(existing) = self.store.get_execution(&arn).await? {
                    return Ok(Started {
                        execution_arn: existing.arn,
                        start_date: existing.start_date,
                        new: false,
                    });
                }
            }
            unstored = Some(record.clone());
            let start_by = now.saturating_add(self.config.start_inline_ms);
            // Calls still running when the time is up are waited for until the invocation's
            // deadline, less the time to store the record, rather than made twice.
            let end = deadline
                .map(|d| d.saturating_sub(self.config.sync_margin_ms))
                .map_or(start_by, |end| end.max(start_by));
            let budget = Budget {
                start_by: Some(start_by.min(end)),
                end: Some(end),
            };
            let claim = record.claim;
            self.run_step(&machine, &mut record, claim, false, budget)
                .await;
        }
        match (self.create(record).await, unstored) {
            (Err(ServiceError::Port(PortError::Terminal(reason))), Some(mut failed)) => {
                // What the start ran cannot be stored (its data outgrew the store): the
                // execution ends as a worker's step would end it, FAILED with
                // `States.DataLimitExceeded` from its last record that can be stored, the one
                // it started with; nothing is left for a retried start to call again.
                let end = too_large(&reason);
                let max = self.config.max_task_dispatches;
                apply(&machine, &mut failed, &end, self.clock.now(), max);
                self.create(failed).await
            }
            (created, _) => created,
        }
    }

    /// Creates the new execution `record` (its step message sent first, as every commit's),
    /// logs its events and, if it has ended, publishes its end.
    async fn create(&self, mut record: ExecutionRecord) -> Result<Started, ServiceError> {
        let telemetry = self.telemetry_of(&mut record);
        let now = self.clock.now();
        self.send_continuation(&mut record, now).await?;
        match self.store.create_execution(&mut record).await? {
            Created::Existing(existing) => Ok(Started {
                execution_arn: existing.arn,
                start_date: existing.start_date,
                new: false,
            }),
            Created::New => {
                self.emit(&telemetry);
                let started = Started {
                    execution_arn: record.arn.clone(),
                    start_date: record.start_date,
                    new: true,
                };
                if record.is_terminal() {
                    self.finish(record).await?;
                }
                Ok(started)
            }
        }
    }

    /// Handles one step message with no deadline (tests and tools).
    pub async fn step(&self, message: &StepMessage) -> Result<StepOutcome, ServiceError> {
        self.step_until(message, None).await
    }

    /// Handles a batch of step messages concurrently within one invocation that ends at
    /// `deadline` (ms since the epoch), each with the outcome of its own.
    pub async fn step_batch(
        &self,
        messages: &[StepMessage],
        deadline: Option<Millis>,
    ) -> Vec<Result<StepOutcome, ServiceError>> {
        join_all(messages.iter().map(|m| self.step_until(m, deadline))).await
    }

    /// Handles one step message (the worker Lambda's unit of work) within an invocation that
    /// ends at `deadline` (see the [module docs](self)).
    pub async fn step_until(
        &self,
        message: &StepMessage,
        deadline: Option<Millis>,
    ) -> Result<StepOutcome, ServiceError> {
        let Some(mut record) = self.store.get_execution(&message.execution_arn).await? else {
            return self.early(message).await;
        };
        if record.is_terminal() {
            // An ended record whose failure event was not yet published (its writer crashed
            // between the write and the publish) gets it now: this is its outbox message.
            if !record.status_event_sent {
                self.finish(record).await?;
            }
            return Ok(StepOutcome::Dropped("the execution has ended"));
        }
        if record.version() < message.version {
            return self.early(message).await;
        }
        // Only the message that continues the stored version fires its timers; any other
        // (one its version passed, or one a writer that lost a race sent) makes only the calls
        // it owns, so no two steps ever make the same new call.
        let stale = record.version() > message.version || record.claim != message.claim;
        if stale && !owns_calls(&record, message.claim) {
            self.count("DuplicatesDropped", &[]);
            return Ok(StepOutcome::Dropped("stale or duplicate message"));
        }
        let machine = self
            .machine(&record.state_machine_name, record.revision)
            .await?;
        let expected = record.version();
        // The margin, or half the time left if that is less (a short timeout still makes
        // progress rather than handing over at once, again and again).
        // A deadline already past is no deadline Lambda gave (Lambda never starts an
        // invocation after it; a local emulator may send a bogus one): it is ignored.
        let now = self.clock.now();
        let budget_end = deadline.filter(|d| *d > now).map(|d| {
            let margin = self.config.step_margin_ms.min((d - now).max(0) / 2);
            d.saturating_sub(margin)
        });
        let budget = Budget {
            start_by: budget_end,
            end: budget_end,
        };
        let actions = self
            .run_step(&machine, &mut record, message.claim, stale, budget)
            .await;
        if actions.is_empty() {
            if stale {
                return Ok(StepOutcome::Dropped("stale or duplicate message"));
            }
            // Nothing was due (a long wait chained through several messages): send it on.
            let Some(delay) = next_delay(&record, self.clock.now(), message.claim) else {
                return Ok(StepOutcome::Dropped("the execution waits for a callback"));
            };
            let again = StepMessage {
                early: 0,
                ..message.clone()
            };
            self.queue.send(&again, delay).await?;
            return Ok(StepOutcome::Rescheduled {
                delay_seconds: delay,
            });
        }
        Ok(
            match self.commit(&machine, record, expected, &actions).await? {
                Committed::Written { version, status } => StepOutcome::Advanced { version, status },
                Committed::Superseded => {
                    StepOutcome::Dropped("another writer settled the step's work first")
                }
                Committed::Ended => StepOutcome::Dropped("the execution has ended"),
            },
        )
    }

    /// A message that came before its record's write: sent again later, or dropped once the
    /// write can no longer come.
    async fn early(&self, message: &StepMessage) -> Result<StepOutcome, ServiceError> {
        if message.early >= self.config.max_early_resends {
            return Ok(StepOutcome::Dropped(
                "the message's version was never written (its writer did not finish)",
            ));
        }
        let delay = (1_u32 << message.early.min(9)).min(MAX_DELAY_SECONDS);
        let mut again = message.clone();
        again.early += 1;
        self.queue.send(&again, delay).await?;
        Ok(StepOutcome::Rescheduled {
            delay_seconds: delay,
        })
    }

    /// Carries out what the message of claim `owner` may do to `record` until nothing more is
    /// due, the execution ends, or the budget runs out; returns the actions applied, in order.
    async fn run_step(
        &self,
        machine: &Arc<StateMachine>,
        record: &mut ExecutionRecord,
        owner: u64,
        stale: bool,
        budget: Budget,
    ) -> Vec<Action> {
        let Budget {
            start_by,
            end: budget_end,
        } = budget;
        let tasks = self.tasks_of(&record.arn, record.depth);
        let mut actions = Vec::new();
        let mut flight: FuturesUnordered<Flight> = FuturesUnordered::new();
        let mut flying: BTreeMap<u64, Box<TaskRequest>> = BTreeMap::new();
        let mut ready: Vec<Called> = Vec::new();
        // Calls born of a timer or a resume: another current message may fire the same timer
        // while this step runs, so such a call is made only once a commit has claimed it. So
        // are all calls born in a step that runs beside others: a stale message's, or any
        // while another message owns calls of this record: two steps that each apply the
        // answer of a call of their own make the same next call (the next item of a Map).
        let mut deferred: BTreeSet<u64> = BTreeSet::new();
        let beside_others = stale
            || record
                .dispatch
                .values()
                .any(|d| d.owner != 0 && d.owner != owner);
        let mut rounds = 0;
        while !record.snapshot.status.is_terminal() {
            let now = self.clock.now();
            if start_by.is_none_or(|end| now < end) {
                let busy = |task: &u64| flying.contains_key(task) || deferred.contains(task);
                for request in calls_to_make(record, owner, busy) {
                    flying.insert(request.task, request.clone());
                    // A callback task calls its resource without the suffix.
                    let mut call = (*request).clone();
                    call.resource = called_resource(&request.resource).to_owned();
                    let answered = tasks.answers_callbacks(&call);
                    self.count(
                        "TaskInvocations",
                        &[("Integration", integration_of(&request.resource))],
                    );
                    match tasks.invoke(&call) {
                        Invocation::Ready(outcome) => ready.push((request, answered, outcome)),
                        Invocation::Pending(future) => {
                            flight.push(Box::pin(async move { (request, answered, future.await) }))
                        }
                    }
                }
            }
            let mut due: Vec<Action> = ready
                .drain(..)
                .map(|(request, answered, outcome)| {
                    flying.remove(&request.task);
                    outcome_action(request, answered, outcome)
                })
                .collect();
            if !stale {
                due.extend(due_now(record, now));
            }
            if !due.is_empty() {
                for action in due {
                    let shared =
                        beside_others || matches!(action, Action::Timer { .. } | Action::Resume);
                    let before = pending_calls(record);
                    let max = self.config.max_task_dispatches;
                    if apply(machine, record, &action, self.clock.now(), max) == Applied::Yes {
                        actions.push(action);
                    }
                    if shared {
                        deferred.extend(pending_calls(record).difference(&before));
                    }
                }
                rounds += 1;
                if rounds >= self.config.max_rounds_per_step {
                    break;
                }
                continue;
            }
            if flight.is_empty() {
                break;
            }
            let wake = [earliest_timer(record).filter(|_| !stale), budget_end]
                .into_iter()
                .flatten()
                .min();
            match wake {
                None => ready.extend(flight.next().await),
                Some(at) => {
                    let sleep = self.sleeper.sleep_until(&self.clock, at);
                    match select(flight.next(), sleep).await {
                        Either::Left((answered, _)) => ready.extend(answered),
                        Either::Right(((), _)) => {
                            if budget_end.is_some_and(|end| self.clock.now() >= end) {
                                break;
                            }
                        }
                    }
                }
            }
        }
        // Calls still running when the step ends are made again by the next one.
        for request in flying.into_values() {
            let action = Action::Abandoned { request };
            let max = self.config.max_task_dispatches;
            if apply(machine, record, &action, self.clock.now(), max) == Applied::Yes {
                actions.push(action);
            }
        }
        actions
    }
}

/// The ids of `record`'s pending calls.
fn pending_calls(record: &ExecutionRecord) -> BTreeSet<u64> {
    record
        .pending
        .iter()
        .filter_map(|effect| match effect {
            Effect::Invoke(r) => Some(r.task),
            _ => None,
        })
        .collect()
}

/// Whether a new execution's `record` has anything a step would do at `now`: a call to make
/// (a callback call waits for its token to be stored), a timer due, a yield to resume from.
fn has_work_now(record: &ExecutionRecord, now: Millis) -> bool {
    record.pending.iter().any(|effect| match effect {
        Effect::Invoke(r) => r.task_token.is_none(),
        Effect::StartTimer { at, .. } => *at <= now,
        Effect::Yield => true,
        Effect::Finished => false,
    })
}

/// Whether `record` has pending calls that the message of claim `owner` is to make.
fn owns_calls(record: &ExecutionRecord, owner: u64) -> bool {
    record.pending.iter().any(|effect| {
        matches!(effect, Effect::Invoke(r)
            if record.dispatch.get(&r.task).is_some_and(|d| d.owner == owner))
    })
}

/// The pending calls the message of claim `owner` makes, but for those `busy` (running, or
/// left for the next message): those it owns, and new ones (no owner yet) that carry no task
/// token. A new callback call waits for the next message, so that its token is
/// stored before anyone can answer with it. Boxed as the record keeps them, since each goes on
/// into a call and an action.
#[allow(clippy::vec_box)]
fn calls_to_make(
    record: &ExecutionRecord,
    owner: u64,
    busy: impl Fn(&u64) -> bool,
) -> Vec<Box<TaskRequest>> {
    record
        .pending
        .iter()
        .filter_map(|effect| match effect {
            Effect::Invoke(r) if !busy(&r.task) => {
                let ours = match record.dispatch.get(&r.task) {
                    Some(d) => d.owner == owner,
                    None => r.task_token.is_none(),
                };
                ours.then(|| r.clone())
            }
            _ => None,
        })
        .collect()
}

/// Timers whose time has come, in the order they fell due, and a yield to resume from.
fn due_now(record: &ExecutionRecord, now: Millis) -> Vec<Action> {
    let mut timers: Vec<(Millis, u64)> = record
        .pending
        .iter()
        .filter_map(|effect| match effect {
            Effect::StartTimer { timer, at } if *at <= now => Some((*at, *timer)),
            _ => None,
        })
        .collect();
    timers.sort_unstable();
    let mut due: Vec<Action> = timers
        .into_iter()
        .map(|(at, timer)| Action::Timer { timer, at })
        .collect();
    if record.pending.iter().any(|e| matches!(e, Effect::Yield)) {
        due.push(Action::Resume);
    }
    due
}

fn earliest_timer(record: &ExecutionRecord) -> Option<Millis> {
    record
        .pending
        .iter()
        .filter_map(|effect| match effect {
            Effect::StartTimer { at, .. } => Some(*at),
            _ => None,
        })
        .min()
}

/// The action a call's outcome is: a callback task whose resource took the token now waits
/// for it, unless the outcome is already its answer (`answered`: a mock's); any other call
/// answered.
fn outcome_action(request: Box<TaskRequest>, answered: bool, outcome: TaskOutcome) -> Action {
    let task = request.task;
    match (request.task_token.clone(), outcome) {
        (Some(token), Ok(_)) if !answered => Action::Callback { request, token },
        (_, Ok(output)) => Action::Outcome {
            request,
            event: Event::TaskSucceeded { task, output },
        },
        (_, Err(failure)) => Action::Outcome {
            request,
            event: Event::TaskFailed { task, failure },
        },
    }
}
