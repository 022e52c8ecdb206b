//! The commit protocol every writer of an execution follows: worker steps, task answers, stops,
//! dead letters.
//!
//! A writer reads the record at version `v`, applies [`Action`]s to it (task outcomes, timers,
//! answers, a stop), and then, in this order:
//! 1. **sends the step message** that continues the new version (before the write, so a crash
//!    between the two strands nothing: an unwritten version's message finds the record behind
//!    it and is sent again a little later, see [`crate::worker`]);
//! 2. **writes the record only if its version is still `v`**;
//! 3. if the write lost to another writer, **reads the record again and applies its actions to
//!    that** (an action that no longer applies, such as the outcome of a task that another
//!    writer already settled, is left out), then goes back to 1.
//!
//! So no writer's work is lost to a race and none is applied twice. An execution that ends is
//! ended by the engine (an end event through `step`), and its record's status is read from the
//! snapshot; its failure event is published by whoever wrote the end and, should that fail or
//! crash, by the step message the end's commit sent (an outbox on the step queue).

use std::sync::Arc;

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{self, Effect, Event, Millis, TaskRequest};
use quickstep_engine::failure::{names, Failure};

use crate::error::ServiceError;
use crate::ports::{EventPublisher, PortError, StepQueue, Store, MAX_DELAY_SECONDS};
use crate::records::sync_status;
use crate::records::{Callback, Dispatch, ExecutionRecord, StepMessage};
use crate::service::Service;

/// How many times a writer applies its actions again after losing a race.
const ATTEMPTS: usize = 8;

/// How long after an execution ends its outbox message looks for an unpublished failure
/// event: long enough that the writer's own publish has normally happened.
pub(crate) const OUTBOX_DELAY_SECONDS: u32 = 5;

/// Something that happened to an execution, applied to its record by a writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// A task call answered (`request` is the call that was made, so the outcome is applied
    /// only to that call, never to another that later took its id).
    Outcome {
        request: Box<TaskRequest>,
        event: Event,
    },
    /// A callback task's resource took its token: the task now waits to be answered.
    Callback {
        request: Box<TaskRequest>,
        token: String,
    },
    /// A call ran past the step's time budget unanswered: it will be made again by the next step.
    Abandoned { request: Box<TaskRequest> },
    /// A timer fell due.
    Timer { timer: u64, at: Millis },
    /// The engine yielded to stay bounded: go on.
    Resume,
    /// An answer to the task waiting for `token` (`SendTaskSuccess`, `Failure`, `Heartbeat`).
    Answer { token: String, event: Event },
    /// An event from outside that ends the execution (stop, dead letter, data limit).
    End(Event),
}

/// What applying an action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Yes,
    /// The action no longer applies to this record.
    No,
}

/// How a commit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Committed {
    /// The record was written at this version, with this status.
    Written { version: u64, status: String },
    /// None of the actions applied any more (another writer settled them first): nothing was
    /// written.
    Superseded,
    /// The execution is gone or ended before the actions could be applied.
    Ended,
}

/// The engine's effects to keep in a record (everything but the end marker).
pub(crate) fn pending_of(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::Finished))
        .collect()
}

/// The end of an execution whose state could not be stored (too large for the store, for
/// `reason`): FAILED with `States.DataLimitExceeded`.
pub(crate) fn too_large(reason: &str) -> Action {
    Action::End(Event::Fail {
        failure: Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            format!("The execution's state could not be stored: {reason}"),
        ),
    })
}

/// Where `record` has the call `request` pending: the same call under the same id, or else the
/// same call under another id (a writer that won a race made ids of its own, so the call this
/// writer made is now numbered differently; its outcome is that call's all the same).
fn pending_call(record: &ExecutionRecord, request: &TaskRequest) -> Option<usize> {
    // Every field but the id, compared in place (a call's input may be 256 KiB).
    let same = |p: &TaskRequest| {
        p.state_name == request.state_name
            && p.resource == request.resource
            && p.retry_count == request.retry_count
            && p.timeout_seconds == request.timeout_seconds
            && p.heartbeat_seconds == request.heartbeat_seconds
            && p.task_token == request.task_token
            && p.credentials == request.credentials
            && p.input == request.input
    };
    record
        .pending
        .iter()
        .position(|effect| matches!(effect, Effect::Invoke(p) if p.as_ref() == request))
        .or_else(|| {
            record
                .pending
                .iter()
                .position(|effect| matches!(effect, Effect::Invoke(p) if same(p)))
        })
}

/// The id under which `record` has the call pending at `at`.
fn task_at(record: &ExecutionRecord, at: usize) -> u64 {
    match &record.pending[at] {
        Effect::Invoke(r) => r.task,
        _ => 0,
    }
}

/// A task's `event` (an outcome, an answer) for task `task`.
fn for_task(event: &Event, task: u64) -> Event {
    match event {
        Event::TaskSucceeded { output, .. } => Event::TaskSucceeded {
            task,
            output: output.clone(),
        },
        Event::TaskFailed { failure, .. } => Event::TaskFailed {
            task,
            failure: failure.clone(),
        },
        Event::TaskHeartbeat { .. } => Event::TaskHeartbeat { task },
        other => other.clone(),
    }
}

/// Feeds `event` to the engine and keeps the effects it asks for.
fn feed(machine: &StateMachine, record: &mut ExecutionRecord, event: Event, now: Millis) {
    let effects = execution::step_in_place(machine, &mut record.snapshot, event, now);
    record.pending.extend(pending_of(effects));
    sync_status(record);
}

/// Applies `action` to `record`, if it still applies.
pub(crate) fn apply(
    machine: &StateMachine,
    record: &mut ExecutionRecord,
    action: &Action,
    now: Millis,
    max_abandoned: u32,
) -> Applied {
    if record.snapshot.status.is_terminal() {
        return Applied::No;
    }
    match action {
        Action::Outcome { request, event } => {
            let Some(at) = pending_call(record, request) else {
                return Applied::No;
            };
            let task = task_at(record, at);
            record.pending.remove(at);
            record.dispatch.remove(&task);
            feed(machine, record, for_task(event, task), now);
        }
        Action::Callback { request, token } => {
            // The resource holds this token: only the call that carries it can wait for it.
            let Some(at) = record.pending.iter().position(
                |effect| matches!(effect, Effect::Invoke(p) if p.as_ref() == request.as_ref()),
            ) else {
                return Applied::No;
            };
            record.pending.remove(at);
            record.dispatch.remove(&request.task);
            record.callbacks.push(Callback {
                task: request.task,
                token: token.clone(),
            });
        }
        Action::Abandoned { request } => {
            let Some(at) = pending_call(record, request) else {
                return Applied::No;
            };
            let task = task_at(record, at);
            let entry = record.dispatch.entry(task).or_insert(Dispatch {
                owner: 0,
                abandoned: 0,
            });
            entry.abandoned += 1;
            // Made again and again, it would never end: past the bound it fails as a task
            // that timed out, which its Retry and Catch can handle.
            if entry.abandoned >= max_abandoned {
                let failure = Failure::new(
                    names::TIMEOUT,
                    format!(
                        "The task did not answer within the time budget of {max_abandoned} worker \
                         invocations; raise the worker's timeout or set the Task's TimeoutSeconds"
                    ),
                );
                record.pending.remove(at);
                record.dispatch.remove(&task);
                feed(machine, record, Event::TaskFailed { task, failure }, now);
                return Applied::Yes;
            }
            // Claimed again by whichever message this commit sends.
            entry.owner = 0;
        }
        Action::Timer { timer, at } => {
            let due = record.pending.iter().position(|effect| {
                matches!(effect, Effect::StartTimer { timer: t, at: a } if t == timer && a == at)
            });
            let Some(due) = due.filter(|_| record.snapshot.awaits(*timer)) else {
                return Applied::No;
            };
            record.pending.remove(due);
            feed(machine, record, Event::TimerFired { timer: *timer }, now);
        }
        Action::Resume => {
            let Some(at) = record
                .pending
                .iter()
                .position(|effect| matches!(effect, Effect::Yield))
            else {
                return Applied::No;
            };
            record.pending.remove(at);
            feed(machine, record, Event::Resume, now);
        }
        Action::Answer { token, event } => {
            let Some(task) = waiting_task(record, token) else {
                return Applied::No;
            };
            if !matches!(event, Event::TaskHeartbeat { .. }) {
                // Answered before its call was written back: the call is settled here.
                record.pending.retain(
                    |effect| !matches!(effect, Effect::Invoke(r) if r.task_token.as_deref() == Some(token)),
                );
                record.dispatch.remove(&task);
            }
            feed(machine, record, for_task(event, task), now);
        }
        Action::End(event) => feed(machine, record, event.clone(), now),
    }
    Applied::Yes
}

/// The task that waits for `token`: one whose resource took it, or one whose call carrying it
/// is still pending (the resource may answer before the call returns and is written back).
pub(crate) fn waiting_task(record: &ExecutionRecord, token: &str) -> Option<u64> {
    let stored = record
        .callbacks
        .iter()
        .find(|c| c.token == token)
        .map(|c| c.task);
    let calling = || {
        record.pending.iter().find_map(|effect| match effect {
            Effect::Invoke(r) if r.task_token.as_deref() == Some(token) => Some(r.task),
            _ => None,
        })
    };
    stored
        .or_else(calling)
        .filter(|task| record.snapshot.awaits(*task))
}

/// When the message continuing `record` under `claim` is due, in seconds: at once if a call it owns or a
/// resume waits, else at the earliest timer (at most [`MAX_DELAY_SECONDS`] ahead; longer waits
/// are chained); an ended execution whose failure event is not yet published gets its outbox
/// message. `None`: nothing to do until a callback is answered.
pub(crate) fn next_delay(record: &ExecutionRecord, now: Millis, claim: u64) -> Option<u32> {
    if record.is_terminal() {
        let unpublished =
            !record.status_event_sent && record.status != "SUCCEEDED" && record.status != "RUNNING";
        return unpublished.then_some(OUTBOX_DELAY_SECONDS);
    }
    let mut earliest: Option<Millis> = None;
    for effect in &record.pending {
        match effect {
            Effect::Invoke(r) => {
                let owned = record
                    .dispatch
                    .get(&r.task)
                    .is_none_or(|d| d.owner == claim);
                if owned {
                    return Some(0);
                }
            }
            Effect::Yield => return Some(0),
            Effect::StartTimer { at, .. } => earliest = Some(earliest.map_or(*at, |e| e.min(*at))),
            Effect::Finished => {}
        }
    }
    let at = earliest?;
    Some(delay_until(at, now))
}

/// Whole seconds from `now` until `at`, rounded up, at most [`MAX_DELAY_SECONDS`].
pub(crate) fn delay_until(at: Millis, now: Millis) -> u32 {
    let seconds = (at - now).max(0).div_euclid(1000) + i64::from((at - now).rem_euclid(1000) > 0);
    u32::try_from(seconds)
        .unwrap_or(MAX_DELAY_SECONDS)
        .min(MAX_DELAY_SECONDS)
}

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Writes `record` (read at version `expected`, with `actions` applied) by the protocol in
    /// the [module docs](self).
    pub(crate) async fn commit(
        &self,
        machine: &Arc<StateMachine>,
        mut record: ExecutionRecord,
        mut expected: u64,
        actions: &[Action],
    ) -> Result<Committed, ServiceError> {
        for _ in 0..ATTEMPTS {
            let now = self.clock.now();
            // Every write makes a new version, also one whose actions did not step the engine
            // (a callback taken, a call abandoned): the messages of the old one must see it.
            if record.version() == expected {
                record.snapshot.version += 1;
            }
            self.send_continuation(&mut record, now).await?;
            match self.put_logged(&mut record, expected).await {
                Ok(()) => {
                    let version = record.version();
                    let status = record.status.clone();
                    if record.is_terminal() {
                        self.finish(record).await?;
                    }
                    return Ok(Committed::Written { version, status });
                }
                Err(PortError::Conflict) => self.count("ConditionalWriteConflicts", &[]),
                Err(PortError::Terminal(reason)) => {
                    return self.end_too_large(machine, &record.arn, &reason).await;
                }
                Err(e) => return Err(e.into()),
            }
            // Lost the race: apply the same actions to what the winner wrote.
            let Some(latest) = self.store.get_execution(&record.arn).await? else {
                return Ok(Committed::Ended);
            };
            if latest.is_terminal() {
                return Ok(Committed::Ended);
            }
            expected = latest.version();
            record = latest;
            let mut applied = false;
            for action in actions {
                applied |= apply(
                    machine,
                    &mut record,
                    action,
                    self.clock.now(),
                    self.config.max_task_dispatches,
                ) == Applied::Yes;
            }
            if !applied {
                return Ok(Committed::Superseded);
            }
        }
        Err(ServiceError::Port(PortError::Conflict))
    }

    /// Claims `record`'s unowned calls for a new message and sends it, if the record has
    /// anything for it to do: the first half of every commit (the write follows).
    pub(crate) async fn send_continuation(
        &self,
        record: &mut ExecutionRecord,
        now: Millis,
    ) -> Result<(), ServiceError> {
        let claim = self.claim(record);
        if let Some(delay) = next_delay(record, now, claim) {
            let message = StepMessage {
                claim,
                ..StepMessage::new(&record.arn, record.version())
            };
            self.queue.send(&message, delay).await?;
        }
        Ok(())
    }

    /// Gives the calls no message owns yet (new ones, abandoned ones) to the message the commit
    /// sends, under a new claim; returns the claim.
    fn claim(&self, record: &mut ExecutionRecord) -> u64 {
        let claim = self.ids.seed().max(1);
        record.claim = claim;
        let ExecutionRecord {
            pending, dispatch, ..
        } = record;
        for effect in pending.iter() {
            if let Effect::Invoke(r) = effect {
                let entry = dispatch.entry(r.task).or_insert(Dispatch {
                    owner: 0,
                    abandoned: 0,
                });
                if entry.owner == 0 {
                    entry.owner = claim;
                }
            }
        }
        claim
    }

    /// The record could not be stored (too large for the store): the execution ends FAILED
    /// with `States.DataLimitExceeded`, from the last record that was stored.
    async fn end_too_large(
        &self,
        machine: &Arc<StateMachine>,
        arn: &str,
        reason: &str,
    ) -> Result<Committed, ServiceError> {
        let Some(mut record) = self.store.get_execution(arn).await? else {
            return Ok(Committed::Ended);
        };
        if record.is_terminal() {
            return Ok(Committed::Ended);
        }
        let expected = record.version();
        let end = too_large(reason);
        apply(
            machine,
            &mut record,
            &end,
            self.clock.now(),
            self.config.max_task_dispatches,
        );
        Box::pin(self.commit(machine, record, expected, &[end])).await
    }

    /// After an execution ended: publish its failure event once, and remember that it was.
    pub(crate) async fn finish(&self, mut record: ExecutionRecord) -> Result<(), ServiceError> {
        if let Some(test_cases) = &self.test_cases {
            test_cases.end(&record.arn);
        }
        if record.status_event_sent {
            return Ok(());
        }
        self.publish_if_failed(&record).await?;
        record.status_event_sent = true;
        let version = record.version();
        match self.put_logged(&mut record, version).await {
            Ok(()) | Err(PortError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
