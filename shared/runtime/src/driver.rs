//! The local driver: runs an execution to its end in-process, carrying out the engine's effects.
//!
//! Tasks that answer at once (mocks) are fed straight back; others run concurrently on tokio.
//! With the real clock, timers really wait; with the virtual clock, when no task is running the
//! clock jumps to the next timer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{
    self, Effect, Event, ExecutionInfo, HistoryEvent, Millis, Options, Snapshot,
};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::invoker::{Invocation, TaskInvoker, TaskOutcome};

/// A finished local run.
#[derive(Debug)]
pub struct Run {
    pub snapshot: Snapshot,
    /// How many `step` calls it took.
    pub steps: u64,
}

/// Sees each history event as the execution records it (`quickstep run --trace`).
pub type Observer = Arc<dyn Fn(&HistoryEvent) + Send + Sync>;

pub struct LocalDriver {
    machine: Arc<StateMachine>,
    invoker: Arc<dyn TaskInvoker>,
    clock: Clock,
    options: Options,
    max_steps: u64,
    observer: Option<Observer>,
}

impl LocalDriver {
    pub fn new(machine: Arc<StateMachine>, invoker: Arc<dyn TaskInvoker>, clock: Clock) -> Self {
        Self {
            machine,
            invoker,
            clock,
            options: Options::default(),
            max_steps: u64::MAX,
            observer: None,
        }
    }

    /// Shows `observer` every history event as it is recorded, step by step.
    #[must_use]
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    #[must_use]
    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Stops (ABORTED, `Quickstep.StepLimitExceeded`) an execution that needs more than `max`
    /// steps: a guard for test runners against workflows that loop forever.
    #[must_use]
    pub fn with_max_steps(mut self, max: u64) -> Self {
        self.max_steps = max;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    /// Runs one execution named `name` of the state machine `state_machine_name`.
    pub async fn run(&self, state_machine_name: &str, name: &str, input: Value, seed: u64) -> Run {
        let info = ExecutionInfo::local(state_machine_name, name, input, self.clock.now());
        self.run_execution(info, seed).await
    }

    /// Runs an execution to its end.
    pub async fn run_execution(&self, info: ExecutionInfo, seed: u64) -> Run {
        self.run_until(info, seed, None).await
    }

    /// Runs an execution until it ends or, if given, until the wall-clock `deadline` (ms since
    /// the epoch) passes; then the snapshot is returned as it stands (still RUNNING) and tasks
    /// still in flight are abandoned.
    pub async fn run_until(&self, info: ExecutionInfo, seed: u64, deadline: Option<Millis>) -> Run {
        let (run, loop_state) = self.begin(info, seed);
        self.drive(run, loop_state, deadline).await
    }

    /// Runs to its end an execution already started (by [`execution::start`] or one of its
    /// kind): its snapshot and the effects its start asked for.
    pub async fn run_started(&self, snapshot: Snapshot, effects: Vec<Effect>) -> Run {
        let mut loop_state = Loop::default();
        loop_state.take(effects, self.invoker.as_ref());
        self.drive(Run { snapshot, steps: 1 }, loop_state, None)
            .await
    }

    async fn drive(&self, mut run: Run, mut loop_state: Loop, deadline: Option<Millis>) -> Run {
        let mut seen = self.observe(&run.snapshot, 0);
        while !run.snapshot.status.is_terminal() {
            let next = self.next_event(&mut loop_state);
            let event = match deadline {
                None => next.await,
                // Checked before every event, not only while waiting: a run whose events are
                // always ready (a loop of Pass and Choice states, instant tasks) must see it too.
                Some(d) if crate::clock::wall_clock() >= d => break,
                Some(d) => {
                    let budget = u64::try_from(d - crate::clock::wall_clock()).unwrap_or(0);
                    match tokio::time::timeout(std::time::Duration::from_millis(budget), next).await
                    {
                        Ok(event) => event,
                        Err(_) => break,
                    }
                }
            };
            let Some(event) = event else {
                break;
            };
            self.apply(&mut run, &mut loop_state, event);
            seen = self.observe(&run.snapshot, seen);
        }
        loop_state.in_flight.abort_all();
        run
    }

    /// Shows the observer the events after the first `seen`; gives how many there are now.
    fn observe(&self, snapshot: &Snapshot, seen: usize) -> usize {
        if let Some(observer) = &self.observer {
            for event in snapshot.history.get(seen..).unwrap_or_default() {
                observer(event);
            }
        }
        snapshot.history.len()
    }

    /// Runs an execution without an async runtime: every task must answer at once (mocks), and
    /// the clock must be virtual. The benchmark's path; `None` if a task would block. Never
    /// inlined, so that an instruction count (`tests/bench-instructions`) finds one execution's
    /// whole cost under its name.
    #[inline(never)]
    pub fn run_sync(&self, info: ExecutionInfo, seed: u64) -> Option<Run> {
        if !self.clock.is_virtual() {
            return None;
        }
        let (mut run, mut loop_state) = self.begin(info, seed);
        while !run.snapshot.status.is_terminal() {
            if !loop_state.in_flight.is_empty() {
                return None;
            }
            let event = loop_state.ready.pop_front().or_else(|| {
                let Reverse((at, timer)) = loop_state.timers.pop()?;
                self.clock.advance_to(at);
                Some(Event::TimerFired { timer })
            })?;
            self.apply(&mut run, &mut loop_state, event);
        }
        Some(run)
    }

    fn begin(&self, info: ExecutionInfo, seed: u64) -> (Run, Loop) {
        let now = self.clock.now();
        let (snapshot, effects) = execution::start(&self.machine, info, self.options, seed, now);
        let mut loop_state = Loop::default();
        loop_state.take(effects, self.invoker.as_ref());
        (Run { snapshot, steps: 1 }, loop_state)
    }

    /// Feeds one event (or, past the step limit, a stop) and takes the effects that follow.
    fn apply(&self, run: &mut Run, loop_state: &mut Loop, event: Event) {
        let event = self.guard(run.steps, event);
        let effects =
            execution::step_in_place(&self.machine, &mut run.snapshot, event, self.clock.now());
        run.steps += 1;
        loop_state.take(effects, self.invoker.as_ref());
    }

    fn guard(&self, steps: u64, event: Event) -> Event {
        if steps < self.max_steps {
            return event;
        }
        Event::Stop {
            failure: quickstep_engine::failure::Failure::new(
                "Quickstep.StepLimitExceeded",
                format!("The execution was stopped after {steps} steps"),
            ),
        }
    }

    async fn next_event(&self, state: &mut Loop) -> Option<Event> {
        if let Some(event) = state.ready.pop_front() {
            return Some(event);
        }
        let next_timer = state.timers.peek().map(|Reverse((at, _))| *at);
        if self.clock.is_virtual() {
            if let Some(joined) = state.in_flight.join_next().await {
                return Some(joined_event(joined));
            }
            let Reverse((at, timer)) = state.timers.pop()?;
            self.clock.advance_to(at);
            return Some(Event::TimerFired { timer });
        }
        match next_timer {
            None => state.in_flight.join_next().await.map(joined_event),
            Some(at) => {
                let wait = u64::try_from(at - self.clock.now()).unwrap_or(0);
                tokio::select! {
                    joined = state.in_flight.join_next(), if !state.in_flight.is_empty() => {
                        joined.map(joined_event)
                    }
                    () = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {
                        let Reverse((_, timer)) = state.timers.pop()?;
                        Some(Event::TimerFired { timer })
                    }
                }
            }
        }
    }
}

/// The driver's side of one execution: events ready to feed, timers, running tasks.
#[derive(Default)]
struct Loop {
    ready: VecDeque<Event>,
    timers: BinaryHeap<Reverse<(Millis, u64)>>,
    in_flight: JoinSet<(u64, TaskOutcome)>,
}

impl Loop {
    fn take(&mut self, effects: Vec<Effect>, invoker: &dyn TaskInvoker) {
        for effect in effects {
            match effect {
                Effect::Invoke(request) => match invoker.invoke(&request) {
                    Invocation::Ready(outcome) => {
                        self.ready.push_back(outcome_event(request.task, outcome))
                    }
                    Invocation::Pending(future) => {
                        let task = request.task;
                        self.in_flight.spawn(async move { (task, future.await) });
                    }
                },
                Effect::StartTimer { timer, at } => self.timers.push(Reverse((at, timer))),
                Effect::Yield => self.ready.push_back(Event::Resume),
                Effect::Finished => {}
            }
        }
    }
}

fn outcome_event(task: u64, outcome: TaskOutcome) -> Event {
    match outcome {
        Ok(output) => Event::TaskSucceeded { task, output },
        Err(failure) => Event::TaskFailed { task, failure },
    }
}

fn joined_event(joined: Result<(u64, TaskOutcome), tokio::task::JoinError>) -> Event {
    match joined {
        Ok((task, outcome)) => outcome_event(task, outcome),
        // A task future that panicked: the engine sees a runtime failure of an unknown task,
        // which it ignores; the execution's own timeouts still apply.
        Err(_) => Event::Resume,
    }
}
