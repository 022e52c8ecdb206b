//! The run loop: threads of control advance through their states until each waits or ends.

use serde_json::{json, Map, Value};

use super::dataflow::{bound, measure, size_exceeds};
use super::inspection::Stage;
use super::jsonata_eval::States;
use super::snapshot::{
    Measured, Millis, ParentLink, Phase, RedrivePoint, Snapshot, Status, Thread, ThreadId, Waiter,
};
use super::variables;
use super::{Effect, Event};
use crate::definition::{
    Assign, Catcher, PathField, QueryLanguage, Retrier, State, StateKind, StateMachine, Transition,
};
use crate::failure::{names, Failure};

/// A state's output, the variables it assigns, and what is known of the output's size.
type Completed = (Value, Option<Map<String, Value>>, Measured);

/// What a thread does after one of its phases.
pub(super) enum Flow {
    /// Keep advancing this thread.
    Continue,
    /// The thread waits (for a task, timer or children); store it.
    Park,
    /// The thread ended; it has been dealt with.
    Done,
}

pub(super) struct Stepper<'a> {
    pub machine: &'a StateMachine,
    pub snap: &'a mut Snapshot,
    pub now: Millis,
    pub effects: Vec<Effect>,
    transitions: u32,
    yielded: bool,
    /// The token of the `.waitForTaskToken` task being scheduled (`$$.Task.Token`).
    pub task_token: Option<String>,
}

impl<'a> Stepper<'a> {
    pub fn new(machine: &'a StateMachine, snap: &'a mut Snapshot, now: Millis) -> Self {
        Self {
            machine,
            snap,
            now,
            effects: Vec::new(),
            transitions: 0,
            yielded: false,
            task_token: None,
        }
    }

    pub fn start(mut self) -> Vec<Effect> {
        let input = (*self.snap.execution.input).clone();
        let role = self.snap.execution.role_arn.clone();
        self.record("ExecutionStarted", None, || {
            json!({"executionStartedEventDetails": {
                "input": input_text(&input), "inputDetails": {"truncated": false}, "roleArn": role}})
        });
        let Some(measured) = measure(&input, self.snap.options.payload_limit_bytes) else {
            self.end_execution(Err(data_limit_failure("input")));
            return self.finish();
        };
        self.start_execution_timeout();
        let root = self.spawn(None, None, 0, self.machine.top().start_at, input);
        if let Some(thread) = self.snap.threads.get_mut(&root) {
            thread.input_measured = measured;
        }
        self.snap.ready.push_back(root);
        self.run();
        self.finish()
    }

    /// Starts an execution that ended FAILED, TIMED_OUT or ABORTED again in the top-level
    /// state it ended in, with that state's input and the variables it had, as Step Functions'
    /// RedriveExecution does (a Parallel or Map state runs again as a whole).
    pub fn redrive(mut self) -> Result<Vec<Effect>, String> {
        if !self.snap.redrivable() {
            return Err(match self.snap.status {
                Status::Running => "the execution is still running".to_owned(),
                Status::Succeeded { .. } => "the execution succeeded".to_owned(),
                _ => "the execution ended before it entered a state".to_owned(),
            });
        }
        if self.snap.history_limit_reached().is_some() {
            // No room for the redrive's events (the service says so as NOT_REDRIVABLE).
            return Err("the execution's history reached its limit".to_owned());
        }
        let Some(point) = self.snap.redrive_from.take() else {
            return Err("the execution ended before it entered a state".to_owned());
        };
        self.snap.redrive_count += 1;
        self.snap.redrive_time = Some(self.now);
        self.snap.status = Status::Running;
        self.snap.stop_time = None;
        let count = self.snap.redrive_count;
        self.record(
            "ExecutionRedriven",
            None,
            || json!({"executionRedrivenEventDetails": {"redriveCount": count}}),
        );
        self.start_execution_timeout();
        let root = self.spawn(None, None, 0, point.state, point.input);
        self.snap.ready.push_back(root);
        self.run();
        Ok(self.finish())
    }

    /// Starts the timer of the execution's `TimeoutSeconds` (or the service's cap), from now.
    fn start_execution_timeout(&mut self) {
        let timeout = match (
            self.machine.timeout_seconds,
            self.snap.options.max_execution_seconds,
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(seconds) = timeout {
            let at = self.now + seconds_to_millis(seconds);
            self.timer(Waiter::ExecutionTimeout, at);
        }
    }

    pub fn handle(mut self, event: Event) -> Vec<Effect> {
        if self.snap.status.is_terminal() {
            return Vec::new();
        }
        match event {
            Event::TaskSucceeded { task, output } => self.task_outcome(task, Ok(output)),
            Event::TaskFailed { task, failure } => self.task_outcome(task, Err(failure)),
            Event::TimerFired { timer } => self.timer_fired(timer),
            Event::TaskHeartbeat { task } => self.task_heartbeat(task),
            Event::Resume => {}
            Event::Stop { failure } => {
                self.record("ExecutionAborted", None, || json!({}));
                self.terminate(Status::Aborted { failure });
            }
            Event::Fail { failure } => {
                self.record(
                    "ExecutionFailed",
                    None,
                    || json!({"executionFailedEventDetails": failure_details(&failure)}),
                );
                self.terminate(Status::Failed { failure });
            }
            Event::TimeOut { failure } => {
                self.record(
                    "ExecutionTimedOut",
                    None,
                    || json!({"executionTimedOutEventDetails": failure_details(&failure)}),
                );
                self.terminate(Status::TimedOut { failure });
            }
        }
        self.run();
        self.finish()
    }

    fn finish(self) -> Vec<Effect> {
        self.snap.version += 1;
        self.effects
    }

    fn run(&mut self) {
        // `yielded` is checked before popping: the thread that yielded went back to the front.
        while !self.yielded && !self.snap.status.is_terminal() {
            if let Some(max) = self.snap.history_limit_reached() {
                self.end_at_history_limit(max);
                break;
            }
            let Some(tid) = self.snap.ready.pop_front() else {
                break;
            };
            let Some(thread) = self.snap.threads.remove(&tid) else {
                continue;
            };
            self.advance(tid, thread);
        }
        if self.yielded {
            self.effects.push(Effect::Yield);
        }
    }

    /// Ends the execution for a history that reached its limit, `max` events.
    fn end_at_history_limit(&mut self, max: u64) {
        let failure = Failure::new(
            names::RUNTIME,
            format!("The execution reached the maximum number of history events ({max})."),
        );
        self.record(
            "ExecutionFailed",
            None,
            || json!({"executionFailedEventDetails": failure_details(&failure)}),
        );
        self.terminate(Status::Failed { failure });
    }

    /// Allocates an id for a task or timer.
    pub fn next_id(&mut self) -> u64 {
        self.snap.next_id += 1;
        self.snap.next_id
    }

    pub fn timer(&mut self, waiter: Waiter, at: Millis) -> u64 {
        let id = self.next_id();
        self.snap.waits.insert(id, waiter);
        self.effects.push(Effect::StartTimer { timer: id, at });
        id
    }

    /// Creates a thread. A branch or iteration (`parent` set) gets a variable scope of its own,
    /// nested in `outer_scope` (or in none, for Distributed Map iterations).
    pub fn spawn(
        &mut self,
        parent: Option<ParentLink>,
        outer_scope: Option<u64>,
        branch: usize,
        state: usize,
        input: Value,
    ) -> ThreadId {
        let id = self.next_id();
        let scope = if parent.is_some() {
            variables::open(&mut self.snap.scopes, id, outer_scope);
            id
        } else {
            0
        };
        self.snap.threads.insert(
            id,
            Box::new(Thread {
                parent,
                branch,
                state,
                input,
                entered_event_id: 0,
                entered_time: self.now,
                retries: Vec::new(),
                retry_count: 0,
                scope,
                phase: Phase::Enter,
                input_measured: Measured::No,
            }),
        );
        id
    }

    pub fn state_of(&self, thread: &Thread) -> &'a State {
        self.machine.branch(thread.branch).state(thread.state)
    }

    fn advance(&mut self, tid: ThreadId, mut thread: Box<Thread>) {
        loop {
            // The phases without data are matched in place: moving a phase out and back costs
            // more than the rest of a Pass state's bookkeeping.
            let flow = match thread.phase {
                Phase::Enter => {
                    if let Some(max) = self.snap.history_limit_reached() {
                        // Back among the threads first, so that the ending finds the state a
                        // redrive would start in.
                        self.snap.threads.insert(tid, thread);
                        self.end_at_history_limit(max);
                        return;
                    } else if self.transitions >= self.snap.options.max_transitions_per_step {
                        self.snap.ready.push_front(tid);
                        self.yielded = true;
                        Flow::Park
                    } else {
                        self.enter(&mut thread);
                        Flow::Continue
                    }
                }
                Phase::Execute => self.execute(tid, &mut thread),
                _ => match std::mem::replace(&mut thread.phase, Phase::Execute) {
                    Phase::Complete(result) => self.complete(tid, &mut thread, result),
                    Phase::Failed(failure) => self.recover(tid, &mut thread, failure),
                    waiting => {
                        thread.phase = waiting;
                        Flow::Park
                    }
                },
            };
            match flow {
                Flow::Continue => {}
                Flow::Park => {
                    self.snap.threads.insert(tid, thread);
                    return;
                }
                Flow::Done => return,
            }
        }
    }

    fn enter(&mut self, thread: &mut Thread) {
        let state = self.state_of(thread);
        self.transitions += 1;
        self.snap.transitions += 1;
        let name = state.name.as_str();
        let input = &thread.input;
        thread.entered_event_id = self.record_named(event_names(&state.kind).0, name, || {
            json!({"stateEnteredEventDetails": {
                "name": name, "input": input_text(input), "inputDetails": {"truncated": false}}})
        });
        thread.entered_time = self.now;
        thread.retry_count = 0;
        thread.retries.clear();
        thread.phase.set(Phase::Execute);
    }

    fn execute(&mut self, tid: ThreadId, thread: &mut Thread) -> Flow {
        let state = self.state_of(thread);
        // A Pass or Succeed state's result is finished at once, not stored in the thread's
        // phase to be taken out again.
        let outcome = match &state.kind {
            StateKind::Pass(pass) => {
                return match self.pass(thread, pass) {
                    Ok(result) => self.complete(tid, thread, result),
                    Err(failure) => self.failed(thread, failure),
                };
            }
            StateKind::Choice { choices, default } => {
                return self.choice(thread, state, choices, *default);
            }
            StateKind::Wait(wait) => return self.wait(tid, thread, wait),
            StateKind::Succeed => {
                return match self.succeed(thread) {
                    Ok(result) => self.complete(tid, thread, result),
                    Err(failure) => self.failed(thread, failure),
                };
            }
            StateKind::Fail(fail) => self.fail(thread, fail).map(|f| {
                thread.phase = Phase::Failed(f);
            }),
            StateKind::Task(task) => return self.task(tid, thread, task),
            StateKind::Parallel(parallel) => return self.parallel(tid, thread, parallel),
            StateKind::Map(map) => return self.map(tid, thread, map),
        };
        if let Err(failure) = outcome {
            thread.phase = Phase::Failed(failure);
        }
        Flow::Continue
    }

    /// Finishes a state whose work produced `result`: in JSONPath, ResultSelector, ResultPath
    /// and OutputPath; in JSONata, Output. Then its `Assign`, evaluated from the same values,
    /// takes effect as the state exits.
    fn complete(&mut self, tid: ThreadId, thread: &mut Thread, result: Value) -> Flow {
        let state = self.state_of(thread);
        let outcome = match state.language {
            QueryLanguage::JsonPath => self.complete_jsonpath(thread, state, result),
            QueryLanguage::Jsonata => self
                .complete_jsonata(thread, state, result)
                .map(|(output, assigned)| (output, assigned, Measured::No)),
        };
        match outcome {
            Ok((output, assigned, known)) => {
                if let Some(vars) = assigned {
                    variables::assign(&mut self.snap.scopes, thread.scope, vars);
                }
                self.exit(tid, thread, output, known)
            }
            Err(failure) => {
                thread.phase = Phase::Failed(failure);
                Flow::Continue
            }
        }
    }

    /// JSONPath: the output, the variables assigned, and what is known of the output's size
    /// without walking it: a result merged into a measured input is bounded by the two.
    fn complete_jsonpath(
        &mut self,
        thread: &mut Thread,
        state: &State,
        result: Value,
    ) -> Result<Completed, Failure> {
        let (selector, result_path) = match &state.kind {
            StateKind::Pass(p) => (None, Some(&p.result_path)),
            StateKind::Task(t) => (t.result_selector.as_ref(), Some(&t.result_path)),
            StateKind::Parallel(p) => (p.result_selector.as_ref(), Some(&p.result_path)),
            StateKind::Map(m) => (m.result_selector.as_ref(), Some(&m.result_path)),
            _ => (None, None),
        };
        if has_task_result(state) {
            self.inspect(thread, Stage::Result, &result);
        }
        // A Pass without Result or Parameters, a Succeed or a Wait took the thread's input as
        // its result: if the state fails, the input goes back on the thread (a redrive runs
        // the state again with it).
        let taken = result_is_input(state);
        let selected = match selector {
            Some(s) => {
                let selected = self.payload(thread, s, &result, None)?;
                self.inspect(thread, Stage::ResultSelector, &selected);
                selected
            }
            None => result,
        };
        // `$` in a JSONPath Assign is the state's result (after ResultSelector).
        let assigned = match &state.assign {
            Some(assign) => match self.evaluate_assign(thread, assign, &selected, None) {
                Ok(vars) => Some(vars),
                Err(failure) => {
                    if taken {
                        thread.input = selected;
                    }
                    return Err(failure);
                }
            },
            None => None,
        };
        let limit = self.snap.options.payload_limit_bytes;
        let known = match (result_path, &state.output_path) {
            (Some(PathField::Discard), PathField::Whole) => thread.input_measured,
            (Some(PathField::Path(path)), PathField::Whole) => {
                merge_bound(thread.input_measured, path, &selected, limit)
            }
            _ => Measured::No,
        };
        let merged = match result_path {
            // The result replaces the input, which stays on the thread until it moves on.
            Some(PathField::Whole) => selected,
            Some(rp) => {
                let input = if keeps_input(thread, state, known) {
                    thread.input.clone()
                } else {
                    std::mem::take(&mut thread.input)
                };
                match self.result_path(rp, input, selected) {
                    Ok(v) => v,
                    Err((failure, input)) => {
                        thread.input = input;
                        return Err(failure);
                    }
                }
            }
            None => selected,
        };
        if result_path.is_some() {
            self.inspect(thread, Stage::ResultPath, &merged);
        }
        let output = match self.output_path(thread, &state.output_path, merged) {
            Ok(output) => output,
            Err((failure, merged)) => {
                if taken {
                    thread.input = merged;
                }
                return Err(failure);
            }
        };
        Ok((output, assigned, known))
    }

    /// JSONata: `Output` (default: the result of a Task, Parallel or Map, else the input) and
    /// `Assign`, both seeing `$states.input` and `$states.result`.
    fn complete_jsonata(
        &mut self,
        thread: &mut Thread,
        state: &State,
        value: Value,
    ) -> Result<(Value, Option<Map<String, Value>>), Failure> {
        let has_result = matches!(
            state.kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        );
        // For states without a result, `value` is the state input itself.
        let input_owned = if has_result {
            std::mem::take(&mut thread.input)
        } else {
            Value::Null
        };
        let (input, result) = if has_result {
            (&input_owned, Some(&value))
        } else {
            (&value, None)
        };
        if has_task_result(state) {
            self.inspect(thread, Stage::Result, &value);
        }
        let states = States {
            input,
            result,
            error_output: None,
            map_item: None,
        };
        let outcome = (|| {
            let assigned = match &state.assign {
                Some(assign) => Some(self.evaluate_assign(thread, assign, input, Some(states))?),
                None => None,
            };
            let output = match &state.output {
                Some(t) => self.jsonata(thread, t, "Output", states)?,
                None => result.unwrap_or(input).clone(),
            };
            Ok((output, assigned))
        })();
        // The input goes back on the thread, where it stays until the thread moves on: a state
        // that fails here or at its exit is redriven with it.
        thread.input = if has_result { input_owned } else { value };
        outcome
    }

    /// Evaluates an `Assign` into the variables to set. JSONPath: a payload template over
    /// `jsonpath_input`; JSONata: a template over `$states`.
    pub fn evaluate_assign(
        &mut self,
        thread: &Thread,
        assign: &Assign,
        jsonpath_input: &Value,
        states: Option<States<'_>>,
    ) -> Result<Map<String, Value>, Failure> {
        let value = match assign {
            Assign::JsonPath(payload) => self.payload(thread, payload, jsonpath_input, None)?,
            Assign::Jsonata(template) => {
                let states = states.unwrap_or(States::input(jsonpath_input));
                self.jsonata(thread, template, "Assign", states)?
            }
        };
        // Assign is an object (validation sees to it); measured before it is taken apart.
        if value.is_object() && size_exceeds(&value, self.snap.options.payload_limit_bytes) {
            return Err(Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "{}The assigned variables exceed the maximum size of {} bytes.",
                    self.runtime_prefix(thread),
                    self.snap.options.payload_limit_bytes
                ),
            ));
        }
        Ok(match value {
            Value::Object(vars) => vars,
            _ => Map::new(),
        })
    }

    /// Records the state's exit and follows its transition. A state's output over the payload
    /// limit fails the state with `States.DataLimitExceeded`, as AWS limits every state's data.
    /// An output whose size is `known` (bounded by what it was made of), or that is the state's
    /// input passed on unchanged, already measured, is not measured again.
    pub fn exit(
        &mut self,
        tid: ThreadId,
        thread: &mut Thread,
        output: Value,
        known: Measured,
    ) -> Flow {
        let state = self.state_of(thread);
        let passed_on = passes_input_on(state);
        let known = if known == Measured::No && passed_on {
            thread.input_measured
        } else {
            known
        };
        let limit = self.snap.options.payload_limit_bytes;
        let Some(measured) = known.or_measure(&output, limit) else {
            if passed_on {
                // The output is the input, taken: it goes back for a redrive.
                thread.input = output;
            }
            thread.phase = Phase::Failed(data_limit_failure(&state.name));
            return Flow::Continue;
        };
        self.record_exit(state, &output);
        match state.transition {
            Transition::Next(next) if !matches!(state.kind, StateKind::Succeed) => {
                self.goto(thread, next, output, measured);
                Flow::Continue
            }
            _ => {
                self.end_thread(tid, thread, Ok(output));
                Flow::Done
            }
        }
    }

    #[inline]
    pub fn record_exit(&mut self, state: &State, output: &Value) {
        let name = state.name.as_str();
        self.record_named(event_names(&state.kind).1, name, || {
            json!({"stateExitedEventDetails": {
                "name": name, "output": input_text(output), "outputDetails": {"truncated": false}}})
        });
    }

    /// Moves the thread on to state `next` with `input`, and what is known of its size.
    pub fn goto(&mut self, thread: &mut Thread, next: usize, input: Value, measured: Measured) {
        thread.state = next;
        thread.input = input;
        thread.phase.set(Phase::Enter);
        thread.input_measured = measured;
    }

    /// Retry, catch, or fail the thread.
    fn recover(&mut self, tid: ThreadId, thread: &mut Thread, failure: Failure) -> Flow {
        self.inspect_failure(thread, &failure);
        let state = self.state_of(thread);
        let (retry, catch) = handlers(state);
        let error = failure.error_name();
        if let Some((i, retrier)) = retry
            .iter()
            .enumerate()
            .find(|(_, r)| crate::definition::error_matches(&r.error_equals, error))
        {
            if thread.retries.len() < retry.len() {
                thread.retries.resize(retry.len(), 0);
            }
            let used = thread.retries[i];
            if used < retrier.max_attempts {
                thread.retries[i] += 1;
                thread.retry_count += 1;
                let unit = super::context::unit_random(&mut self.snap.rng);
                let delay = retrier.delay_ms(used, unit);
                let at = self.now + i64::try_from(delay).unwrap_or(i64::MAX / 2);
                let timer = self.timer(Waiter::Timer(tid), at);
                thread.phase = Phase::AwaitRetry { timer };
                return Flow::Park;
            }
        }
        if let Some(catcher) = catch
            .iter()
            .find(|c| crate::definition::error_matches(&c.error_equals, error))
        {
            let error_output = failure.to_error_output();
            let limit = self.snap.options.payload_limit_bytes;
            // The catcher's output is measured as every state's is. What is known of it
            // without a walk: the input's measure (ResultPath null), or a bound of the error
            // merged into it.
            let known = match (state.language, &catcher.result_path) {
                (QueryLanguage::JsonPath, PathField::Discard) => thread.input_measured,
                (QueryLanguage::JsonPath, PathField::Path(path)) => {
                    merge_bound(thread.input_measured, path, &error_output, limit)
                }
                _ => Measured::No,
            };
            let input = if keeps_input(thread, state, known) {
                thread.input.clone()
            } else {
                std::mem::take(&mut thread.input)
            };
            let caught = match state.language {
                QueryLanguage::JsonPath => {
                    let assigned = match &catcher.assign {
                        Some(a) => self
                            .evaluate_assign(thread, a, &error_output, None)
                            .map(Some),
                        None => Ok(None),
                    };
                    match assigned {
                        Ok(assigned) => self
                            .result_path(&catcher.result_path, input, error_output)
                            .map(|output| (output, assigned)),
                        Err(f) => Err((f, input)),
                    }
                }
                QueryLanguage::Jsonata => {
                    let states = States {
                        input: &input,
                        result: None,
                        error_output: Some(&error_output),
                        map_item: None,
                    };
                    let assigned = match &catcher.assign {
                        Some(a) => self
                            .evaluate_assign(thread, a, &input, Some(states))
                            .map(Some),
                        None => Ok(None),
                    };
                    let output = match &catcher.output {
                        Some(t) => self.jsonata(thread, t, "Output", states),
                        None => Ok(error_output.clone()),
                    };
                    assigned
                        .and_then(|a| output.map(|o| (o, a)))
                        .map_err(|f| (f, input))
                }
            };
            let (output, assigned) = match caught {
                Ok(v) => v,
                Err((f, input)) => {
                    thread.input = input;
                    return self.fail_thread(tid, thread, f);
                }
            };
            let Some(measured) = known.or_measure(&output, limit) else {
                return self.fail_thread(tid, thread, data_limit_failure(&state.name));
            };
            if let Some(vars) = assigned {
                variables::assign(&mut self.snap.scopes, thread.scope, vars);
            }
            self.record_exit(state, &output);
            self.goto(thread, catcher.next, output, measured);
            return Flow::Continue;
        }
        self.fail_thread(tid, thread, failure)
    }

    /// The input a redrive runs a top-level thread's state again with: the thread's input,
    /// or, for a Wait (which takes its input as its output while it waits), that output.
    fn redrive_input(&self, thread: &Thread) -> Value {
        let state = self.state_of(thread);
        match &thread.phase {
            Phase::AwaitWait { output, .. } if matches!(state.input_path, PathField::Whole) => {
                output.clone()
            }
            _ => thread.input.clone(),
        }
    }

    fn fail_thread(&mut self, tid: ThreadId, thread: &mut Thread, failure: Failure) -> Flow {
        self.end_thread(tid, thread, Err(failure));
        Flow::Done
    }

    /// A thread reached an end: the execution's, or a branch's or iteration's.
    fn end_thread(&mut self, tid: ThreadId, thread: &mut Thread, outcome: Result<Value, Failure>) {
        self.cancel_waits_of(thread);
        if thread.parent.is_some() {
            variables::close(&mut self.snap.scopes, thread.scope);
        }
        match thread.parent {
            None => {
                if outcome.is_err() {
                    self.snap.redrive_from = Some(RedrivePoint {
                        state: thread.state,
                        input: self.redrive_input(thread),
                    });
                }
                self.end_execution(outcome);
            }
            Some(link) => self.child_finished(tid, link, outcome),
        }
    }

    /// Forgets the task and timers a thread was waiting on.
    pub fn cancel_waits_of(&mut self, thread: &Thread) {
        match &thread.phase {
            Phase::AwaitTask {
                task,
                timeout,
                heartbeat,
                ..
            } => {
                self.snap.waits.remove(task);
                for t in timeout.iter().chain(heartbeat) {
                    self.snap.waits.remove(t);
                }
            }
            Phase::AwaitWait { timer, .. } | Phase::AwaitRetry { timer } => {
                self.snap.waits.remove(timer);
            }
            _ => {}
        }
    }

    /// An output here has passed its last state's [`Self::exit`], which measured it against the
    /// payload limit.
    fn end_execution(&mut self, outcome: Result<Value, Failure>) {
        match outcome {
            Ok(output) => {
                self.record("ExecutionSucceeded", None, || {
                    json!({"executionSucceededEventDetails": {
                        "output": input_text(&output), "outputDetails": {"truncated": false}}})
                });
                self.terminate(Status::Succeeded { output });
            }
            Err(failure) => {
                self.record(
                    "ExecutionFailed",
                    None,
                    || json!({"executionFailedEventDetails": failure_details(&failure)}),
                );
                self.terminate(Status::Failed { failure });
            }
        }
    }

    pub fn terminate(&mut self, status: Status) {
        // Ended from outside the workflow (a stop, a timeout, a limit): a redrive starts again
        // in the top-level state it was in.
        if !matches!(status, Status::Succeeded { .. }) && self.snap.redrive_from.is_none() {
            let root = self.snap.threads.values().find(|t| t.parent.is_none());
            self.snap.redrive_from = root.map(|t| RedrivePoint {
                state: t.state,
                input: self.redrive_input(t),
            });
        }
        self.snap.threads.clear();
        self.snap.ready.clear();
        self.snap.waits.clear();
        self.snap.stop_time = Some(self.now);
        self.snap.status = status;
        self.effects.push(Effect::Finished);
    }

    fn timer_fired(&mut self, timer: u64) {
        let Some(waiter) = self.snap.waits.remove(&timer) else {
            return;
        };
        match waiter {
            Waiter::ExecutionTimeout => {
                let failure = Failure::bare(names::TIMEOUT);
                self.record(
                    "ExecutionTimedOut",
                    None,
                    || json!({"executionTimedOutEventDetails": failure_details(&failure)}),
                );
                self.terminate(Status::TimedOut { failure });
            }
            Waiter::Timer(tid) => {
                let Some(thread) = self.snap.threads.get_mut(&tid) else {
                    return;
                };
                let phase = std::mem::replace(&mut thread.phase, Phase::Execute);
                thread.phase = match phase {
                    Phase::AwaitWait { output, .. } => Phase::Complete(output),
                    Phase::AwaitRetry { .. } => Phase::Execute,
                    other => other,
                };
                self.snap.ready.push_back(tid);
            }
            Waiter::TaskTimeout(tid) | Waiter::HeartbeatTimeout(tid) => {
                let heartbeat = matches!(waiter, Waiter::HeartbeatTimeout(_));
                self.task_timed_out(tid, heartbeat);
            }
            Waiter::Task(_) => {}
        }
    }
}

fn seconds_to_millis(seconds: u64) -> Millis {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000)
}

/// AWS's cause: "The state/task '<X>' returned a result with a size exceeding the maximum
/// number of bytes service limit." (`X` is the state, or the task's resource).
pub(super) fn data_limit_failure(what: &str) -> Failure {
    Failure::new(
        names::DATA_LIMIT_EXCEEDED,
        format!("The state/task '{what}' returned a result with a size exceeding the maximum number of bytes service limit."),
    )
}

pub(super) fn input_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub(super) fn failure_details(failure: &Failure) -> Value {
    let mut details = serde_json::Map::new();
    if let Some(e) = &failure.error {
        details.insert("error".into(), e.clone().into());
    }
    if let Some(c) = &failure.cause {
        details.insert("cause".into(), c.clone().into());
    }
    Value::Object(details)
}

/// A state's retriers and catchers (none but on a Task, Parallel or Map).
fn handlers(state: &State) -> (&[Retrier], &[Catcher]) {
    match &state.kind {
        StateKind::Task(t) => (&t.retry, &t.catch),
        StateKind::Parallel(p) => (&p.retry, &p.catch),
        StateKind::Map(m) => (&m.retry, &m.catch),
        _ => (&[], &[]),
    }
}

/// The names of the events a state's entry and exit record.
fn event_names(kind: &StateKind) -> (&'static str, &'static str) {
    match kind {
        StateKind::Pass(_) => ("PassStateEntered", "PassStateExited"),
        StateKind::Task(_) => ("TaskStateEntered", "TaskStateExited"),
        StateKind::Choice { .. } => ("ChoiceStateEntered", "ChoiceStateExited"),
        StateKind::Wait(_) => ("WaitStateEntered", "WaitStateExited"),
        StateKind::Succeed => ("SucceedStateEntered", "SucceedStateExited"),
        StateKind::Fail(_) => ("FailStateEntered", "FailStateExited"),
        StateKind::Parallel(_) => ("ParallelStateEntered", "ParallelStateExited"),
        StateKind::Map(_) => ("MapStateEntered", "MapStateExited"),
    }
}

/// Whether a JSONPath state's output is its input, unchanged: no `InputPath` or `OutputPath`,
/// and no result placed in it (a Succeed or Wait state, a Pass state without a result, or a
/// state whose `ResultPath` is null).
fn passes_input_on(state: &State) -> bool {
    let whole = matches!(state.input_path, PathField::Whole);
    let result_discarded = match &state.kind {
        StateKind::Succeed | StateKind::Wait(_) => whole,
        StateKind::Pass(p) => {
            matches!(p.result_path, PathField::Discard)
                || (whole
                    && p.result.is_none()
                    && p.parameters.is_none()
                    && matches!(p.result_path, PathField::Whole))
        }
        StateKind::Task(t) => matches!(t.result_path, PathField::Discard),
        StateKind::Parallel(p) => matches!(p.result_path, PathField::Discard),
        StateKind::Map(m) => matches!(m.result_path, PathField::Discard),
        StateKind::Choice { .. } | StateKind::Fail(_) => false,
    };
    state.language == QueryLanguage::JsonPath
        && result_discarded
        && matches!(state.output_path, PathField::Whole)
}

/// Whether a state's raw input must outlive the merge of its result (or of a catcher's error)
/// into it, which would otherwise take it: only where the output is not `known` to fit, and
/// the state may then be run again with its input: a redrive runs a failed top-level state
/// again (quickstep redrives Express executions too), and a retrier or catcher naming
/// `States.DataLimitExceeded` retries or catches an output over the limit.
fn keeps_input(thread: &Thread, state: &State, known: Measured) -> bool {
    if known != Measured::No {
        return false;
    }
    let (retry, catch) = handlers(state);
    let named = |errors: &[String]| errors.iter().any(|e| e == names::DATA_LIMIT_EXCEEDED);
    thread.parent.is_none()
        || retry.iter().any(|r| named(&r.error_equals))
        || catch.iter().any(|c| named(&c.error_equals))
}

/// What is known of `result` merged into an input measured `input` at `path`, without walking
/// the merge: the two estimates and a member for each step of the path (made an object if it
/// was missing), if that is within a sixth of the limit; else nothing.
fn merge_bound(
    input: Measured,
    path: &crate::jsonpath::Path,
    result: &Value,
    limit: usize,
) -> Measured {
    let Some(segments) = path.segments() else {
        return Measured::No;
    };
    if input == Measured::No {
        return Measured::No;
    }
    let keys: usize = segments
        .iter()
        .map(|s| match s {
            crate::jsonpath::Segment::Field(k) => k.len() + 6,
            crate::jsonpath::Segment::Index(_) => 0,
        })
        .sum();
    match measure(result, limit) {
        Some(r) => bound(&[input, r], keys, limit).unwrap_or(Measured::No),
        None => Measured::No,
    }
}

/// Whether a JSONPath state's result is the thread's raw input, taken from it: a Pass without
/// Result or Parameters whose result replaces its input, a Succeed, a Wait (all without
/// InputPath).
fn result_is_input(state: &State) -> bool {
    matches!(state.input_path, PathField::Whole)
        && match &state.kind {
            StateKind::Pass(p) => {
                p.result.is_none()
                    && p.parameters.is_none()
                    && matches!(p.result_path, PathField::Whole)
            }
            StateKind::Succeed | StateKind::Wait(_) => true,
            _ => false,
        }
}

/// Whether the state's result comes from outside (a Task's), as TestState's `result` shows.
fn has_task_result(state: &State) -> bool {
    matches!(state.kind, StateKind::Task(_))
}
