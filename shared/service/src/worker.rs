//! Asynchronous executions: starting one, and the worker's step.
//!
//! An execution's record holds its snapshot and the effects the engine asked for that are not
//! carried out yet. A step message names the record's version; the worker carries out the due
//! effects (task calls, timers that are due), feeds their outcomes to the engine for a bounded
//! number of rounds, then **sends the next message before it writes the record**, writing only
//! if the version is unchanged. So a duplicate or stale message is dropped (its version is gone),
//! two racing workers cannot both win, and a crash between the two writes strands nothing: if
//! the record was not written, the original message is redelivered and redoes the step; the
//! early message is then either dropped as stale (it arrived first) or a duplicate of the redo's
//! own message (one of the two is dropped).

use quickstep::execution::{self, Effect, Event, Millis};
use quickstep_runtime::invoker::{Invocation, TaskOutcome};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::callback::called_resource;
use crate::error::ServiceError;
use crate::ports::{Created, EventPublisher, PortError, StepQueue, Store};
use crate::records::{Callback, ExecutionRecord, StepMessage};
use crate::service::{record_of, sync_status, Service};

/// SQS delays at most 15 minutes; longer waits are chained.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// What the worker did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The execution moved on (and the next message was sent, if it is still running).
    Advanced { version: u64, status: String },
    /// A timer is not due yet: the message was sent again with the remaining delay.
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

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Starts an asynchronous execution of the current revision of `machine_name`: the engine
    /// runs to its first task or timer, the record is stored and the first step is queued. The
    /// same execution name again returns the first execution.
    pub async fn start_async(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
    ) -> Result<Started, ServiceError> {
        self.check_input(&input)?;
        let machine_record = self.get_state_machine(machine_name).await?;
        let name = execution_name.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let arn = self.config.execution_arn(machine_name, &name);
        if let Some(existing) = self.store.get_execution(&arn).await? {
            return Ok(Started {
                execution_arn: existing.arn,
                start_date: existing.start_date,
                new: false,
            });
        }
        let machine = self.machine(machine_name, machine_record.revision).await?;
        let now = self.clock.now();
        let info = self.execution_info(&machine_record, &name, input, now);
        let seed = uuid::Uuid::new_v4().as_u64_pair().0;
        let (snapshot, effects) = execution::start(&machine, info, self.options(), seed, now);
        let record = record_of(&machine_record, snapshot, pending_of(effects));
        if !record.is_terminal() {
            self.send_next(&record, now).await?;
        }
        match self.store.create_execution(&record).await? {
            Created::Existing(existing) => Ok(Started {
                execution_arn: existing.arn,
                start_date: existing.start_date,
                new: false,
            }),
            Created::New => {
                if record.is_terminal() {
                    let version = record.version();
                    self.finish(record, version).await?;
                }
                Ok(Started {
                    execution_arn: arn,
                    start_date: now,
                    new: true,
                })
            }
        }
    }

    /// Handles one step message (the worker Lambda's unit of work).
    pub async fn step(&self, message: &StepMessage) -> Result<StepOutcome, ServiceError> {
        let Some(mut record) = self.store.get_execution(&message.execution_arn).await? else {
            return Ok(StepOutcome::Dropped("unknown execution"));
        };
        if record.is_terminal() {
            // A terminal record whose failure event was not yet published (a crash between the
            // write and the publish) gets it now.
            if !record.status_event_sent {
                let version = record.version();
                self.finish(record, version).await?;
            }
            return Ok(StepOutcome::Dropped("the execution has ended"));
        }
        if record.version() != message.version {
            return Ok(StepOutcome::Dropped("stale or duplicate message"));
        }
        let expected = record.version();
        let machine = self
            .machine(&record.state_machine_name, record.revision)
            .await?;
        let mut advanced = false;
        for _ in 0..self.config.max_rounds_per_step {
            let now = self.clock.now();
            let (events, callbacks_started) = self.carry_out(&mut record, now).await;
            advanced |= callbacks_started;
            if events.is_empty() {
                break;
            }
            advanced = true;
            for event in events {
                let effects = execution::step_in_place(
                    &machine,
                    &mut record.snapshot,
                    event,
                    self.clock.now(),
                );
                record.pending.extend(pending_of(effects));
                if record.snapshot.status.is_terminal() {
                    break;
                }
            }
            if record.snapshot.status.is_terminal() {
                break;
            }
        }
        let now = self.clock.now();
        if !advanced {
            // Nothing was due (a long wait chained through several messages): send it on.
            let Some(delay) = next_delay(&record, now) else {
                return Ok(StepOutcome::Dropped("the execution waits for a callback"));
            };
            self.queue.send(message, delay).await?;
            return Ok(StepOutcome::Rescheduled {
                delay_seconds: delay,
            });
        }
        Ok(match self.commit(record, expected, now).await? {
            Committed::Written { version, status } => StepOutcome::Advanced { version, status },
            Committed::Conflict => StepOutcome::Dropped("another worker advanced it first"),
        })
    }

    /// Ends a step that advanced `record` from version `expected`, in the order the module's
    /// at-least-once protocol needs: the message that continues it (if it still runs) is sent
    /// *before* the record is written, the write goes in only if the version is unchanged, and
    /// an execution that ended publishes its failure event.
    pub(crate) async fn commit(
        &self,
        mut record: ExecutionRecord,
        expected: u64,
        now: Millis,
    ) -> Result<Committed, ServiceError> {
        sync_status(&mut record);
        if !record.is_terminal() {
            self.send_next(&record, now).await?;
        }
        match self.store.put_execution_if_version(&record, expected).await {
            Ok(()) => {}
            Err(PortError::Conflict) => return Ok(Committed::Conflict),
            Err(e) => return Err(e.into()),
        }
        let version = record.version();
        let status = record.status.clone();
        if record.is_terminal() {
            self.finish(record, version).await?;
        }
        Ok(Committed::Written { version, status })
    }

    /// Carries out the due effects: every pending task call (concurrently), every timer whose
    /// time has come, and resumes. Returns the events they produce (effects not yet due stay),
    /// and whether a callback task's resource was called (it now waits for its token).
    async fn carry_out(&self, record: &mut ExecutionRecord, now: Millis) -> (Vec<Event>, bool) {
        let mut events = Vec::new();
        let mut due_timers: Vec<(Millis, u64)> = Vec::new();
        let mut calls: JoinSet<(Call, TaskOutcome)> = JoinSet::new();
        let mut answered: Vec<(Call, TaskOutcome)> = Vec::new();
        let mut kept = Vec::new();
        let tasks = self.tasks_of(&record.arn);
        for effect in std::mem::take(&mut record.pending) {
            match effect {
                Effect::Invoke(mut request) => {
                    let call = Call {
                        task: request.task,
                        token: request.task_token.clone(),
                    };
                    // A callback task calls its resource without the suffix.
                    let called = called_resource(&request.resource).len();
                    request.resource.truncate(called);
                    match tasks.invoke(&request) {
                        Invocation::Ready(outcome) => answered.push((call, outcome)),
                        Invocation::Pending(future) => {
                            calls.spawn(async move { (call, future.await) });
                        }
                    }
                }
                Effect::StartTimer { timer, at } if at <= now => due_timers.push((at, timer)),
                Effect::Yield => events.push(Event::Resume),
                other @ Effect::StartTimer { .. } => kept.push(other),
                Effect::Finished => {}
            }
        }
        while let Some(joined) = calls.join_next().await {
            if let Ok(answer) = joined {
                answered.push(answer);
            }
        }
        let mut callbacks_started = false;
        for (call, outcome) in answered {
            match (call.token, outcome) {
                // The resource took the token: the task now waits for it to be answered.
                (Some(token), Ok(_)) => {
                    record.callbacks.push(Callback {
                        task: call.task,
                        token,
                    });
                    callbacks_started = true;
                }
                (_, Ok(output)) => events.push(Event::TaskSucceeded {
                    task: call.task,
                    output,
                }),
                (_, Err(failure)) => events.push(Event::TaskFailed {
                    task: call.task,
                    failure,
                }),
            }
        }
        // Timers in the order they fell due, as the engine would have seen them in time.
        due_timers.sort_unstable();
        events.extend(
            due_timers
                .into_iter()
                .map(|(_, timer)| Event::TimerFired { timer }),
        );
        record.pending = kept;
        (events, callbacks_started)
    }

    /// Queues the message that continues `record` from its current version, unless it has
    /// nothing to do until a callback answers.
    pub(crate) async fn send_next(
        &self,
        record: &ExecutionRecord,
        now: Millis,
    ) -> Result<(), ServiceError> {
        let Some(delay) = next_delay(record, now) else {
            return Ok(());
        };
        let message = StepMessage {
            execution_arn: record.arn.clone(),
            version: record.version(),
        };
        self.queue.send(&message, delay).await?;
        Ok(())
    }

    /// After an execution ended: publish its failure event once, and remember that it was.
    pub(crate) async fn finish(
        &self,
        mut record: ExecutionRecord,
        version: u64,
    ) -> Result<(), ServiceError> {
        if record.status_event_sent {
            return Ok(());
        }
        self.publish_if_failed(&record).await?;
        record.status_event_sent = true;
        match self.store.put_execution_if_version(&record, version).await {
            Ok(()) | Err(PortError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The effects to keep in the record (everything but the end marker).
pub(crate) fn pending_of(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::Finished))
        .collect()
}

/// How [`Service::commit`] ended.
pub(crate) enum Committed {
    /// The record was written at this version, with this status.
    Written { version: u64, status: String },
    /// Another step wrote first: nothing was written.
    Conflict,
}

/// A task call being carried out: its task, and its token if it waits for one.
struct Call {
    task: u64,
    token: Option<String>,
}

/// When the next step is due: at once if a task or resume is pending, else at the earliest
/// timer (at most [`MAX_DELAY_SECONDS`] ahead; longer waits are chained). `None` if nothing
/// is pending.
fn next_delay(record: &ExecutionRecord, now: Millis) -> Option<u32> {
    let mut earliest: Option<Millis> = None;
    for effect in &record.pending {
        match effect {
            Effect::Invoke(_) | Effect::Yield => return Some(0),
            Effect::StartTimer { at, .. } => earliest = Some(earliest.map_or(*at, |e| e.min(*at))),
            Effect::Finished => {}
        }
    }
    let at = earliest?;
    let seconds = (at - now).max(0).div_euclid(1000) + i64::from((at - now).rem_euclid(1000) > 0);
    Some(
        u32::try_from(seconds)
            .unwrap_or(MAX_DELAY_SECONDS)
            .min(MAX_DELAY_SECONDS),
    )
}
