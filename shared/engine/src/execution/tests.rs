//! Behaviour of the interpreter, state type by state type, driven by a small scripted driver
//! (a brief mirror of `tests/common/mod.rs`, which integration tests share).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use serde_json::{json, Value};

use super::*;
use crate::failure::{names, Failure};

const T0: Millis = 1_704_067_200_000;
const T0_TEXT: &str = "2024-01-01T00:00:00.000Z";
const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";
const INVOKE: &str = "arn:aws:states:::lambda:invoke";

#[derive(Debug, Clone)]
enum Reply {
    Ok(Value),
    Err(Failure),
    /// Answer this many virtual milliseconds after the invoke.
    After(Millis, Box<Reply>),
    /// Never answer.
    Hold,
}

fn ok(v: Value) -> Reply {
    Reply::Ok(v)
}

fn err(error: &str, cause: &str) -> Reply {
    Reply::Err(Failure::new(error, cause))
}

fn after(ms: Millis, r: Reply) -> Reply {
    Reply::After(ms, Box::new(r))
}

/// When something is due: (at, sequence, `Ok(timer id)` or `Err(index of a late reply)`).
type Due = (Millis, u64, Result<u64, usize>);

struct Driver {
    machine: StateMachine,
    snap: Option<Snapshot>,
    now: Millis,
    script: BTreeMap<String, VecDeque<Reply>>,
    invokes: VecDeque<TaskRequest>,
    resume: bool,
    heap: BinaryHeap<Reverse<Due>>,
    seq: u64,
    late: Vec<Event>,
    invoked: Vec<(Millis, TaskRequest)>,
    timers: Vec<(u64, Millis)>,
    outstanding: usize,
    max_outstanding: usize,
    yields: usize,
    steps: usize,
    finished: Option<Status>,
}

impl Driver {
    fn new(def: &Value) -> Self {
        let machine =
            StateMachine::from_json(def).unwrap_or_else(|p| panic!("invalid definition: {p:#?}"));
        Self {
            machine,
            snap: None,
            now: T0,
            script: BTreeMap::new(),
            invokes: VecDeque::new(),
            resume: false,
            heap: BinaryHeap::new(),
            seq: 0,
            late: Vec::new(),
            invoked: Vec::new(),
            timers: Vec::new(),
            outstanding: 0,
            max_outstanding: 0,
            yields: 0,
            steps: 0,
            finished: None,
        }
    }

    fn script(mut self, state: &str, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.script
            .entry(state.to_owned())
            .or_default()
            .extend(replies);
        self
    }

    fn start_with(&mut self, input: Value, options: Options) {
        let info = ExecutionInfo::local("machine", "run", input, self.now);
        let (snap, effects) = start(&self.machine, info, options, 7, self.now);
        self.snap = Some(snap);
        self.steps += 1;
        self.absorb(effects);
    }

    fn start(&mut self, input: Value) {
        self.start_with(input, Options::default());
    }

    fn absorb(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Invoke(req) => {
                    self.outstanding += 1;
                    self.max_outstanding = self.max_outstanding.max(self.outstanding);
                    self.invoked.push((self.now, (*req).clone()));
                    self.invokes.push_back(*req);
                }
                Effect::StartTimer { timer, at } => {
                    self.timers.push((timer, at));
                    self.seq += 1;
                    self.heap.push(Reverse((at, self.seq, Ok(timer))));
                }
                Effect::Yield => {
                    self.yields += 1;
                    self.resume = true;
                }
                Effect::Finished => self.finished = self.snap.as_ref().map(|s| s.status.clone()),
            }
        }
    }

    fn next_event(&mut self) -> Option<Event> {
        while let Some(req) = self.invokes.pop_front() {
            let reply = self
                .script
                .get_mut(&req.state_name)
                .and_then(VecDeque::pop_front)
                .unwrap_or_else(|| panic!("no reply scripted for {}", req.state_name));
            let as_event = |r: Reply| match r {
                Reply::Ok(output) => Event::TaskSucceeded {
                    task: req.task,
                    output,
                },
                Reply::Err(failure) => Event::TaskFailed {
                    task: req.task,
                    failure,
                },
                other => panic!("unexpected nested reply {other:?}"),
            };
            match reply {
                Reply::Hold => self.outstanding -= 1,
                Reply::After(ms, inner) => {
                    self.late.push(as_event(*inner));
                    self.seq += 1;
                    self.heap
                        .push(Reverse((self.now + ms, self.seq, Err(self.late.len() - 1))));
                }
                direct => {
                    self.outstanding -= 1;
                    return Some(as_event(direct));
                }
            }
        }
        if std::mem::take(&mut self.resume) {
            return Some(Event::Resume);
        }
        let Reverse((at, _, due)) = self.heap.pop()?;
        self.now = self.now.max(at);
        Some(match due {
            Ok(timer) => Event::TimerFired { timer },
            Err(i) => {
                self.outstanding = self.outstanding.saturating_sub(1);
                self.late[i].clone()
            }
        })
    }

    fn send(&mut self, event: Event) {
        let snap = self.snap.take().expect("started");
        let (snap, effects) = step(&self.machine, snap, event, self.now);
        self.snap = Some(snap);
        self.steps += 1;
        self.absorb(effects);
    }

    fn run(&mut self) -> &Status {
        while self.finished.is_none() && self.steps < 100_000 {
            let Some(event) = self.next_event() else {
                break;
            };
            self.send(event);
        }
        &self.snap().status
    }

    fn snap(&self) -> &Snapshot {
        self.snap.as_ref().expect("started")
    }

    fn kinds(&self) -> Vec<&str> {
        self.snap()
            .history
            .iter()
            .map(|e| e.kind.as_str())
            .collect()
    }

    fn output(&self) -> Value {
        match &self.snap().status {
            Status::Succeeded { output } => output.clone(),
            other => panic!("expected SUCCEEDED, got {other:?}"),
        }
    }

    fn failure(&self) -> Failure {
        match &self.snap().status {
            Status::Failed { failure } => failure.clone(),
            other => panic!("expected FAILED, got {other:?}"),
        }
    }

    /// The `stateEnteredEventDetails.input` of the n-th entry of state `name`, parsed.
    fn entered_input(&self, name: &str, n: usize) -> Value {
        let e = self
            .snap()
            .history
            .iter()
            .filter(|e| e.kind.ends_with("StateEntered") && e.name.as_deref() == Some(name))
            .nth(n)
            .unwrap_or_else(|| panic!("{name} entered fewer than {} times", n + 1));
        let text = e.details.as_ref().expect("details")["stateEnteredEventDetails"]["input"]
            .as_str()
            .expect("input text")
            .to_owned();
        serde_json::from_str(&text).expect("json")
    }
}

/// Runs a definition with no tasks.
fn run_pure(def: &Value, input: Value) -> Driver {
    let mut d = Driver::new(def);
    d.start(input);
    d.run();
    d
}

fn single(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

// ---------------------------------------------------------------- Pass and input/output processing

#[test]
fn pass_input_and_output_processing() {
    let input = json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}});
    let cases: Vec<(&str, Value, Value)> = vec![
        ("no fields", json!({}), input.clone()),
        ("Result", json!({"Result": {"r": true}}), json!({"r": true})),
        (
            "Result into ResultPath",
            json!({"Result": "x", "ResultPath": "$.sub.r"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20], "r": "x"}}),
        ),
        (
            "Result with ResultPath creating objects",
            json!({"Result": 5, "ResultPath": "$.new.deep"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}, "new": {"deep": 5}}),
        ),
        (
            "ResultPath null keeps the input",
            json!({"Result": "ignored", "ResultPath": null}),
            input.clone(),
        ),
        (
            "ResultPath $ replaces",
            json!({"Result": [1], "ResultPath": "$"}),
            json!([1]),
        ),
        (
            "InputPath",
            json!({"InputPath": "$.sub"}),
            json!({"b": 2, "c": [10, 20]}),
        ),
        (
            "InputPath index",
            json!({"InputPath": "$.sub.c[1]"}),
            json!(20),
        ),
        (
            "InputPath then Parameters",
            json!({"InputPath": "$.sub", "Parameters": {"bee.$": "$.b", "lit": "$.b"}}),
            json!({"bee": 2, "lit": "$.b"}),
        ),
        (
            "Parameters, ResultPath merges into the raw input",
            json!({"InputPath": "$.sub", "Parameters": {"x.$": "$.b"}, "ResultPath": "$.p"}),
            json!({"a": 1, "sub": {"b": 2, "c": [10, 20]}, "p": {"x": 2}}),
        ),
        ("OutputPath", json!({"OutputPath": "$.sub.b"}), json!(2)),
        (
            "OutputPath after ResultPath",
            json!({"Result": {"k": "v"}, "ResultPath": "$.res", "OutputPath": "$.res"}),
            json!({"k": "v"}),
        ),
        ("OutputPath null", json!({"OutputPath": null}), json!({})),
        ("InputPath null", json!({"InputPath": null}), json!({})),
        (
            "Result wins over Parameters",
            json!({"Result": 1, "Parameters": {"x": 2}}),
            json!(1),
        ),
        (
            "context paths",
            json!({"Parameters": {
                "name.$": "$$.State.Name",
                "entered.$": "$$.State.EnteredTime",
                "exec.$": "$$.Execution.Name",
                "id.$": "$$.Execution.Id",
                "start.$": "$$.Execution.StartTime",
                "machine.$": "$$.StateMachine.Name",
                "orig.$": "$$.Execution.Input.sub.b",
                "whole.$": "$$.Execution.Input.a"}}),
            json!({
                "name": "S",
                "entered": T0_TEXT,
                "exec": "run",
                "id": "arn:aws:states:us-east-1:123456789012:execution:machine:run",
                "start": T0_TEXT,
                "machine": "machine",
                "orig": 2,
                "whole": 1}),
        ),
        (
            "intrinsics in Parameters",
            json!({"Parameters": {"f.$": "States.Format('{}-{}', $.a, $.sub.b)", "n.$": "States.ArrayLength($.sub.c)"}}),
            json!({"f": "1-2", "n": 2}),
        ),
        (
            "nested Parameters templates",
            json!({"Parameters": {"outer": {"inner.$": "$.a", "list": [{"x.$": "$.sub.b"}]}}}),
            json!({"outer": {"inner": 1, "list": [{"x": 2}]}}),
        ),
    ];
    for (what, fields, expected) in cases {
        let mut state = fields;
        state["Type"] = json!("Pass");
        state["End"] = json!(true);
        let d = run_pure(&single(state), input.clone());
        assert_eq!(d.output(), expected, "{what}");
    }
}

#[test]
fn pass_path_errors_are_runtime_failures_with_aws_causes() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}});
    let d = run_pure(&def, json!({"a": 1}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    // ExecutionStarted #1, A entered #2, A exited #3, B entered #4.
    assert_eq!(
        f.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'B' (entered at the event id #4). \
             Invalid path '$.missing' : No results for path: $['missing']"
        )
    );
    assert_eq!(d.kinds().last(), Some(&"ExecutionFailed"));
}

#[test]
fn runtime_cause_prefixes_for_several_failures() {
    let prefix = "An error occurred while executing the state 'S' (entered at the event id #2). ";
    let cases = [
        json!({"Type": "Pass", "Parameters": {"x.$": "$.nope"}, "End": true}),
        json!({"Type": "Pass", "OutputPath": "$.nope", "End": true}),
        json!({"Type": "Wait", "SecondsPath": "$.nope", "End": true}),
        json!({"Type": "Fail", "ErrorPath": "$.nope"}),
        json!({"Type": "Map", "ItemsPath": "$.a", "End": true,
               "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}),
    ];
    let choice = |extra: Value| {
        let mut c = json!({"Type": "Choice", "Default": "D",
            "Choices": [{"Variable": "$.nope", "StringEquals": "x", "Next": "D"}]});
        if let (Value::Object(c), Value::Object(extra)) = (&mut c, extra) {
            c.extend(extra);
        }
        json!({"StartAt": "S", "States": {"S": c, "D": {"Type": "Succeed"}}})
    };
    let defs = cases
        .into_iter()
        .map(single)
        .chain([choice(json!({"InputPath": "$.nope"})), choice(json!({}))]);
    for state in defs {
        let d = run_pure(&state, json!({"a": 1}));
        let f = d.failure();
        assert_eq!(f.error_name(), names::RUNTIME, "{state}");
        let cause = f.cause.unwrap_or_default();
        assert!(cause.starts_with(prefix), "{state}: {cause}");
    }
}

#[test]
fn result_path_that_cannot_apply_fails_with_result_path_match_failure() {
    let d = run_pure(
        &single(json!({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true})),
        json!({"a": "string"}),
    );
    let f = d.failure();
    assert_eq!(f.error_name(), names::RESULT_PATH_MATCH_FAILURE);
    assert!(f
        .cause
        .unwrap_or_default()
        .starts_with("Unable to apply ReferencePath $.a.b to input"));
}

// ---------------------------------------------------------------- Choice

fn choice_machine() -> Value {
    json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.n", "IsPresent": true}, "Next": "NoNumber"},
            {"Variable": "$.n", "NumericLessThan": 0, "Next": "Neg"},
            {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 0},
                     {"Variable": "$.n", "NumericLessThanEquals": 10}], "Next": "Small"},
            {"Variable": "$.s", "StringMatches": "he*o", "Next": "Greeting"}
        ], "Default": "Other"},
        "Neg": {"Type": "Pass", "Result": "neg", "End": true},
        "Small": {"Type": "Pass", "Result": "small", "End": true},
        "Greeting": {"Type": "Pass", "Result": "greeting", "End": true},
        "NoNumber": {"Type": "Pass", "Result": "no number", "End": true},
        "Other": {"Type": "Pass", "Result": "other", "End": true}}})
}

#[test]
fn choice_routes_to_the_first_matching_rule_or_default() {
    let cases = [
        (json!({"n": -3}), "neg"),
        (json!({"n": 0}), "small"),
        (json!({"n": 10}), "small"),
        (json!({"n": 11, "s": "hello"}), "greeting"),
        (json!({"n": 11, "s": "help"}), "other"),
        (json!({"s": "x"}), "no number"),
        (json!({"n": 11, "s": 5}), "other"),
    ];
    for (input, expected) in cases {
        let d = run_pure(&choice_machine(), input.clone());
        assert_eq!(d.output(), json!(expected), "{input}");
        assert_eq!(
            &d.kinds()[..3],
            [
                "ExecutionStarted",
                "ChoiceStateEntered",
                "ChoiceStateExited"
            ]
        );
    }
}

#[test]
fn choice_on_a_missing_variable_is_a_runtime_error() {
    let d = run_pure(&choice_machine(), json!({"n": 11}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert_eq!(
        f.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'C' (entered at the event id #2). \
             Invalid path '$.s': The choice state's condition path references an invalid value."
        )
    );
}

#[test]
fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let d = run_pure(&def, json!({"n": 2}));
    assert_eq!(d.failure().error_name(), names::NO_CHOICE_MATCHED);
    let d = run_pure(&def, json!({"n": 1}));
    assert_eq!(d.output(), json!({"n": 1}));
}

#[test]
fn choice_output_path_applies_to_the_chosen_branch_input() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v",
              "Choices": [{"Variable": "$.v", "IsNumeric": true, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let d = run_pure(&def, json!({"in": {"v": 3}}));
    assert_eq!(d.output(), json!(3));
}

// ---------------------------------------------------------------- Wait

#[test]
fn wait_advances_virtual_time_by_exactly_the_wait() {
    let cases = [
        (json!({"Seconds": 10}), json!({}), T0 + 10_000),
        (json!({"Seconds": 0}), json!({}), T0),
        (json!({"SecondsPath": "$.s"}), json!({"s": 42}), T0 + 42_000),
        (
            json!({"Timestamp": "2024-01-01T00:01:30.5Z"}),
            json!({}),
            T0 + 90_500,
        ),
        (
            json!({"Timestamp": "2024-01-01T02:00:00+01:00"}),
            json!({}),
            T0 + 3_600_000,
        ),
        // A timestamp in the past does not wait.
        (json!({"Timestamp": "2020-01-01T00:00:00Z"}), json!({}), T0),
        (
            json!({"TimestampPath": "$.t"}),
            json!({"t": "2024-01-01T00:00:07Z"}),
            T0 + 7_000,
        ),
    ];
    for (fields, input, entered_after) in cases {
        let mut wait = fields.clone();
        wait["Type"] = json!("Wait");
        wait["Next"] = json!("After");
        let def = json!({"StartAt": "W", "States": {"W": wait,
            "After": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": true}}});
        let mut d = Driver::new(&def);
        d.start(input);
        d.run();
        let expected_text = crate::timestamp::format_millis(entered_after);
        assert_eq!(d.output(), json!({"t": expected_text}), "{fields}");
        assert_eq!(d.now, entered_after, "{fields}");
        let exited = d
            .snap()
            .history
            .iter()
            .find(|e| e.kind == "WaitStateExited")
            .expect("exited");
        assert_eq!(exited.timestamp, entered_after, "{fields}");
        if entered_after > T0 {
            assert_eq!(d.timers.len(), 1, "{fields}");
            assert_eq!(d.timers[0].1, entered_after, "{fields}");
        }
    }
}

#[test]
fn wait_seconds_path_must_be_a_non_negative_integer() {
    for bad in [json!(-1), json!(1.5), json!("5"), json!(null)] {
        let def = single(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
        let d = run_pure(&def, json!({"s": bad}));
        assert_eq!(d.failure().error_name(), names::RUNTIME, "{bad}");
    }
}

// ---------------------------------------------------------------- Task, retry and catch

fn task_with(extra: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": LAMBDA, "End": true});
    if let (Value::Object(t), Value::Object(extra)) = (&mut t, extra) {
        t.extend(extra);
    }
    single(t)
}

/// The virtual times of each invoke, relative to T0, and the retry counts they carried.
fn invoke_times(d: &Driver) -> Vec<(Millis, u32)> {
    d.invoked
        .iter()
        .map(|(t, r)| (t - T0, r.retry_count))
        .collect()
}

#[test]
fn retry_defaults_back_off_1_2_4_seconds() {
    let def = task_with(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]}));
    let mut d = Driver::new(&def).script("S", (0..4).map(|i| err("E", &i.to_string())));
    d.start(json!({}));
    d.run();
    // Failures at 0, 1, 3 s; retries scheduled 1, 2, 4 s later.
    let at: Vec<Millis> = d.timers.iter().map(|(_, at)| at - T0).collect();
    assert_eq!(at, [1_000, 3_000, 7_000]);
    assert_eq!(
        invoke_times(&d),
        [(0, 0), (1_000, 1), (3_000, 2), (7_000, 3)]
    );
    let f = d.failure();
    assert_eq!(f, Failure::new("E", "3"));
}

#[test]
fn retry_interval_backoff_and_max_delay() {
    let cases: Vec<(Value, usize, Vec<Millis>)> = vec![
        (
            json!({"IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 3}),
            3,
            vec![3_000, 4_500, 6_750],
        ),
        (
            json!({"IntervalSeconds": 2, "BackoffRate": 1.0, "MaxAttempts": 2}),
            2,
            vec![2_000, 2_000],
        ),
        (
            json!({"IntervalSeconds": 4, "BackoffRate": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}),
            4,
            vec![4_000, 10_000, 10_000, 10_000],
        ),
        (json!({"MaxAttempts": 0}), 0, vec![]),
    ];
    for (retrier, retries, delays) in cases {
        let mut r = retrier.clone();
        r["ErrorEquals"] = json!(["Boom"]);
        let def = task_with(json!({"Retry": [r]}));
        let mut d = Driver::new(&def).script("S", (0..=retries).map(|_| err("Boom", "")));
        d.start(json!({}));
        d.run();
        assert_eq!(d.invoked.len(), retries + 1, "{retrier}");
        let gaps: Vec<Millis> = d.invoked.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert_eq!(gaps, delays, "{retrier}");
        assert_eq!(d.failure().error_name(), "Boom");
    }
}

#[test]
fn retry_then_success_and_retry_count_in_context() {
    let def = task_with(json!({
        "Parameters": {"attempt.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 5}]}));
    let mut d =
        Driver::new(&def).script("S", [err("Flaky", ""), err("Flaky", ""), ok(json!("fine"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!("fine"));
    let attempts: Vec<Value> = d.invoked.iter().map(|(_, r)| r.input.clone()).collect();
    assert_eq!(
        attempts,
        [
            json!({"attempt": 0}),
            json!({"attempt": 1}),
            json!({"attempt": 2})
        ]
    );
}

#[test]
fn only_the_first_matching_retrier_counts() {
    // Once the first matching retrier is exhausted, later retriers are not consulted.
    let def = task_with(json!({"Retry": [
        {"ErrorEquals": ["E"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1}]}));
    let mut d = Driver::new(&def).script("S", [err("E", ""), err("E", ""), ok(json!(1))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.invoked.len(), 2);
    assert_eq!(d.failure().error_name(), "E");
}

#[test]
fn full_jitter_stays_within_bounds_and_is_deterministic() {
    let def = task_with(
        json!({"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10,
        "BackoffRate": 2, "MaxAttempts": 6, "JitterStrategy": "FULL", "MaxDelaySeconds": 100}]}),
    );
    let run = || {
        let mut d = Driver::new(&def).script("S", (0..7).map(|_| err("E", "")));
        d.start(json!({}));
        d.run();
        d.invoked
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .collect::<Vec<Millis>>()
    };
    let gaps = run();
    assert_eq!(gaps.len(), 6);
    let bounds = [10_000, 20_000, 40_000, 80_000, 100_000, 100_000];
    for (gap, bound) in gaps.iter().zip(bounds) {
        assert!((0..=bound).contains(gap), "{gaps:?}");
    }
    assert!(
        gaps.iter().zip(bounds).any(|(g, b)| *g != b),
        "jitter had no effect: {gaps:?}"
    );
    assert_eq!(gaps, run(), "jitter must be deterministic for a seed");
}

#[test]
fn catch_with_result_path() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Next": "Done",
              "Catch": [{"ErrorEquals": ["Other"], "Next": "Wrong"},
                        {"ErrorEquals": ["Custom"], "ResultPath": "$.error", "Next": "Handler"}]},
        "Wrong": {"Type": "Fail"},
        "Handler": {"Type": "Pass", "End": true},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [err("Custom", "it broke")]);
    d.start(json!({"keep": 1}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"keep": 1, "error": {"Error": "Custom", "Cause": "it broke"}})
    );
    assert_eq!(d.entered_input("Handler", 0), d.output());
    assert_eq!(d.entered_input("T", 0), json!({"keep": 1}));
    assert_eq!(
        d.kinds(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn catch_without_result_path_replaces_the_input_with_the_error() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": true}}});
    let mut d = Driver::new(&def).script("T", [err("X", "y")]);
    d.start(json!({"keep": 1}));
    d.run();
    assert_eq!(d.output(), json!({"Error": "X", "Cause": "y"}));
}

#[test]
fn retry_is_tried_before_catch() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 2}],
              "Catch": [{"ErrorEquals": ["X"], "Next": "H"}]},
        "H": {"Type": "Pass", "Result": "caught", "End": true}}});
    let mut d = Driver::new(&def).script("T", (0..3).map(|_| err("X", "")));
    d.start(json!({}));
    d.run();
    assert_eq!(d.invoked.len(), 3);
    assert_eq!(d.output(), json!("caught"));
}

#[test]
fn states_all_does_not_catch_states_runtime() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Parameters": {"x.$": "$.missing"},
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert!(d.invoked.is_empty());
    assert!(d.timers.is_empty(), "States.Runtime must not be retried");
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert!(f.cause.unwrap_or_default().contains(
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{}'"
    ));
}

#[test]
fn states_task_failed_does_not_match_states_timeout() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true, "TimeoutSeconds": 2,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [after(5_000, ok(json!(1)))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    // ... but does match an ordinary task error.
    let mut d = Driver::new(&def).script("T", [err("Lambda.Unknown", "")]);
    d.start(json!({}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn task_timeout_fires_before_the_result_and_the_late_result_is_ignored() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Next": "Done", "TimeoutSeconds": 3,
              "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e", "Next": "Nap"}]},
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [after(10_000, ok(json!("late")))]);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"e": {"Error": "States.Timeout", "Cause": null}})
    );
    assert_eq!(d.invoked[0].1.timeout_seconds, Some(3));
    let kinds = d.kinds();
    assert!(kinds.contains(&"LambdaFunctionTimedOut"), "{kinds:?}");
    assert!(!kinds.contains(&"LambdaFunctionSucceeded"), "{kinds:?}");
    let timed_out = d
        .snap()
        .history
        .iter()
        .find(|e| e.kind == "LambdaFunctionTimedOut")
        .expect("timed out");
    assert_eq!(timed_out.timestamp, T0 + 3_000);
    // The late result arrived while Nap waited and changed nothing.
    assert_eq!(d.now, T0 + 63_000);
}

#[test]
fn a_result_for_an_unknown_or_finished_task_is_ignored() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    let before = d.snap().history.len();
    d.send(Event::TaskSucceeded {
        task: 999,
        output: json!(1),
    });
    d.send(Event::TimerFired { timer: 998 });
    assert_eq!(d.snap().history.len(), before);
    assert_eq!(d.snap().status, Status::Running);
    let task = d.invoked[0].1.task;
    d.send(Event::TaskSucceeded {
        task,
        output: json!("first"),
    });
    d.send(Event::TaskSucceeded {
        task,
        output: json!("second"),
    });
    assert_eq!(d.output(), json!("first"));
}

#[test]
fn execution_timeout_times_out() {
    let def = json!({"TimeoutSeconds": 5, "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}});
    let mut d = Driver::new(&def).script("T", [after(60_000, ok(json!(1)))]);
    d.start(json!({}));
    let status = d.run().clone();
    assert_eq!(status.name(), "TIMED_OUT");
    assert_eq!(d.now, T0 + 5_000);
    assert_eq!(d.kinds().last(), Some(&"ExecutionTimedOut"));
    assert_eq!(d.snap().stop_time(), Some(T0 + 5_000));
    // Nothing more happens.
    d.send(Event::TaskSucceeded {
        task: d.invoked[0].1.task,
        output: json!(1),
    });
    assert_eq!(d.snap().status.name(), "TIMED_OUT");
}

#[test]
fn a_deployment_cap_on_execution_time_applies_with_or_without_timeout_seconds() {
    // The earlier of the definition's TimeoutSeconds and the deployment's cap wins.
    for (definition_timeout, cap, ends_at) in
        [(None, 7, 7_000), (Some(5), 7, 5_000), (Some(9), 7, 7_000)]
    {
        let mut def = json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}});
        if let Some(t) = definition_timeout {
            def["TimeoutSeconds"] = json!(t);
        }
        let mut d = Driver::new(&def).script("T", [after(60_000, ok(json!(1)))]);
        d.start_with(
            json!({}),
            Options {
                max_execution_seconds: Some(cap),
                ..Options::default()
            },
        );
        let status = d.run().clone();
        let Status::TimedOut { failure } = &status else {
            panic!("{definition_timeout:?}/{cap}: {status:?}");
        };
        assert_eq!(failure.error_name(), names::TIMEOUT);
        assert_eq!(d.now, T0 + ends_at, "{definition_timeout:?}/{cap}");
    }
}

#[test]
fn task_timeout_seconds_path_and_heartbeat() {
    let def = task_with(json!({"TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 2}));
    let mut d = Driver::new(&def).script("S", [after(10_000, ok(json!(1)))]);
    d.start(json!({"t": 9}));
    d.run();
    assert_eq!(d.invoked[0].1.timeout_seconds, Some(9));
    assert_eq!(d.invoked[0].1.heartbeat_seconds, Some(2));
    // AWS reports an expired heartbeat as States.Timeout (recorded against AWS).
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    assert_eq!(d.now, T0 + 2_000);
}

// ---------------------------------------------------------------- History

#[test]
fn task_history_events_for_lambda_arns_and_service_integrations() {
    let cases = [
        (
            LAMBDA,
            [
                "LambdaFunctionScheduled",
                "LambdaFunctionStarted",
                "LambdaFunctionSucceeded",
            ],
        ),
        (INVOKE, ["TaskScheduled", "TaskStarted", "TaskSucceeded"]),
    ];
    for (resource, middle) in cases {
        let def = single(json!({"Type": "Task", "Resource": resource, "End": true}));
        let mut d = Driver::new(&def).script("S", [ok(json!({"r": 1}))]);
        d.start(json!({"in": 1}));
        d.run();
        let mut expected = vec!["ExecutionStarted", "TaskStateEntered"];
        expected.extend(middle);
        expected.extend(["TaskStateExited", "ExecutionSucceeded"]);
        assert_eq!(d.kinds(), expected, "{resource}");
        let history = &d.snap().history;
        for (i, e) in history.iter().enumerate() {
            assert_eq!(e.id, i as u64 + 1);
            assert_eq!(e.timestamp, T0);
        }
        assert_eq!(history[1].name.as_deref(), Some("S"));
        assert_eq!(d.invoked[0].1.resource, resource);
        assert_eq!(d.invoked[0].1.input, json!({"in": 1}));
    }
    let def = single(json!({"Type": "Task", "Resource": INVOKE, "End": true}));
    let mut d = Driver::new(&def).script("S", [ok(json!(1))]);
    d.start(json!({}));
    d.run();
    let scheduled = &d.snap().history[2];
    let details = &scheduled.details.as_ref().expect("details")["taskScheduledEventDetails"];
    assert_eq!(details["resourceType"], "lambda");
    assert_eq!(details["resource"], "invoke");
}

#[test]
fn history_is_not_recorded_when_disabled_but_event_ids_still_count() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.nope", "End": true}}});
    let mut d = Driver::new(&def);
    d.start_with(
        json!({}),
        Options {
            record_history: false,
            ..Options::default()
        },
    );
    d.run();
    assert!(d.snap().history.is_empty());
    assert!(d
        .failure()
        .cause
        .unwrap_or_default()
        .contains("(entered at the event id #4)"));
}

// ---------------------------------------------------------------- Parallel

#[test]
fn parallel_results_are_in_branch_order() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "ResultSelector": {"first.$": "$[0]", "all.$": "$"},
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}]}}});
    let mut d = Driver::new(&def)
        .script("A", [after(3_000, ok(json!("a")))])
        .script("B", [after(1_000, ok(json!("b")))]);
    d.start(json!({"c": 1}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"first": "a", "all": ["a", "b", {"c": 1}]})
    );
    assert_eq!(d.max_outstanding, 2);
    let kinds = d.kinds();
    assert_eq!(kinds[1], "ParallelStateEntered");
    assert_eq!(kinds[2], "ParallelStateStarted");
    assert!(kinds.contains(&"ParallelStateSucceeded"));
}

#[test]
fn a_failing_branch_fails_the_parallel_and_cancels_its_siblings() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done",
            "Catch": [{"ErrorEquals": ["Kaput"], "ResultPath": "$.err", "Next": "Nap"}],
            "Branches": [
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": LAMBDA, "Next": "Slow2"},
                    "Slow2": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
                {"StartAt": "Waits", "States": {"Waits": {"Type": "Wait", "Seconds": 4, "Next": "After"},
                    "After": {"Type": "Pass", "End": true}}},
                {"StartAt": "Boom", "States": {"Boom": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]},
        "Nap": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def)
        .script("Slow", [after(10_000, ok(json!("late")))])
        .script("Slow2", [ok(json!("never"))])
        .script("Boom", [after(1_000, err("Kaput", "k"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!({"err": {"Error": "Kaput", "Cause": "k"}}));
    let kinds = d.kinds();
    assert!(kinds.contains(&"ParallelStateFailed"), "{kinds:?}");
    // The slow branch's late result and the waiting branch's timer change nothing.
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "LambdaFunctionSucceeded")
            .count(),
        0,
        "{kinds:?}"
    );
    let names: Vec<&str> = d
        .snap()
        .history
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert!(!names.contains(&"Slow2"), "{names:?}");
    assert!(!names.contains(&"After"), "{names:?}");
    assert_eq!(d.invoked.len(), 2);
}

#[test]
fn an_uncaught_branch_failure_fails_the_execution_with_the_branch_error() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Mine", "Cause": "because"}}},
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}});
    let mut d = Driver::new(&def).script("T", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure(), Failure::new("Mine", "because"));
}

// ---------------------------------------------------------------- Map

fn map_def(extra: Value) -> Value {
    let mut m = json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}});
    if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
        m.extend(extra);
    }
    single(m)
}

#[test]
fn map_items_path_and_item_selector_with_context() {
    let def = map_def(json!({"ItemsPath": "$.list",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"}}));
    let mut d = Driver::new(&def).script("I", (0..3).map(|i| ok(json!(i * 10))));
    d.start(json!({"list": ["a", "b", "c"], "tag": "T"}));
    d.run();
    assert_eq!(d.output(), json!([0, 10, 20]));
    let inputs: Vec<Value> = d.invoked.iter().map(|(_, r)| r.input.clone()).collect();
    assert_eq!(
        inputs,
        [
            json!({"index": 0, "value": "a", "tag": "T"}),
            json!({"index": 1, "value": "b", "tag": "T"}),
            json!({"index": 2, "value": "c", "tag": "T"}),
        ]
    );
    assert_eq!(d.max_outstanding, 3);
}

#[test]
fn map_max_concurrency_one_runs_items_one_at_a_time() {
    let def = map_def(json!({"MaxConcurrency": 1}));
    let mut d = Driver::new(&def).script("I", (0..5).map(|i| after(100, ok(json!(i)))));
    d.start(json!([1, 2, 3, 4, 5]));
    d.run();
    assert_eq!(d.output(), json!([0, 1, 2, 3, 4]));
    assert_eq!(d.max_outstanding, 1);
    let times: Vec<Millis> = d.invoked.iter().map(|(t, _)| t - T0).collect();
    assert_eq!(times, [0, 100, 200, 300, 400]);
}

#[test]
fn map_results_keep_item_order_whatever_the_completion_order() {
    let def = map_def(json!({"MaxConcurrency": 2}));
    let mut d = Driver::new(&def).script(
        "I",
        [
            after(500, ok(json!("a"))),
            after(100, ok(json!("b"))),
            after(100, ok(json!("c"))),
            ok(json!("d")),
        ],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(d.output(), json!(["a", "b", "c", "d"]));
    assert_eq!(d.max_outstanding, 2);
}

#[test]
fn map_tolerated_failure_count() {
    // Within the tolerance: the failures' error objects take their places.
    let def = map_def(json!({"ToleratedFailureCount": 2}));
    let mut d = Driver::new(&def).script(
        "I",
        [
            ok(json!(1)),
            err("Bad", "b"),
            ok(json!(3)),
            err("Worse", "w"),
        ],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.output(),
        json!([1, {"Error": "Bad", "Cause": "b"}, 3, {"Error": "Worse", "Cause": "w"}])
    );
    // Exceeded.
    let def = map_def(json!({"ToleratedFailureCount": 1, "MaxConcurrency": 1}));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), ok(json!(2)), err("Bad", ""), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.failure().error_name(),
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD
    );
    assert_eq!(
        d.invoked.len(),
        3,
        "no item starts after the threshold is exceeded"
    );
    assert!(d.kinds().contains(&"MapStateFailed"));
}

#[test]
fn map_tolerated_failure_percentage() {
    let def = map_def(json!({"ToleratedFailurePercentage": 50}));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), err("Bad", ""), ok(json!(3)), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
    let mut d = Driver::new(&def).script(
        "I",
        [err("Bad", ""), err("Bad", ""), err("Bad", ""), ok(json!(4))],
    );
    d.start(json!([1, 2, 3, 4]));
    d.run();
    assert_eq!(
        d.failure().error_name(),
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD
    );
}

#[test]
fn map_without_tolerance_fails_with_the_item_error() {
    let def = map_def(json!({}));
    let mut d = Driver::new(&def).script("I", [ok(json!(1)), err("Bad", "b"), Reply::Hold]);
    d.start(json!([1, 2, 3]));
    d.run();
    assert_eq!(d.failure(), Failure::new("Bad", "b"));
}

#[test]
fn map_over_an_empty_array() {
    let def = map_def(json!({"ItemsPath": "$.none", "ResultPath": "$.out"}));
    let mut d = Driver::new(&def);
    d.start(json!({"none": []}));
    d.run();
    assert_eq!(d.output(), json!({"none": [], "out": []}));
    assert!(d.invoked.is_empty());
    let kinds = d.kinds();
    assert!(kinds.contains(&"MapStateSucceeded"), "{kinds:?}");
}

#[test]
fn map_input_must_be_an_array() {
    let d = run_pure(&map_def(json!({})), json!({"not": "array"}));
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

// ---------------------------------------------------------------- Fail and Succeed

#[test]
fn fail_state_error_and_cause() {
    let cases = [
        (json!({"Error": "E", "Cause": "C"}), Failure::new("E", "C")),
        (json!({"Error": "E"}), Failure::bare("E")),
        (
            json!({}),
            Failure {
                error: None,
                cause: None,
            },
        ),
        (
            json!({"ErrorPath": "$.e", "CausePath": "$.c"}),
            Failure::new("from input", "also from input"),
        ),
        (
            json!({"ErrorPath": "$$.State.Name", "CausePath": "States.Format('n={}', $.n)"}),
            Failure::new("S", "n=3"),
        ),
    ];
    for (fields, expected) in cases {
        let mut fail = fields.clone();
        fail["Type"] = json!("Fail");
        let d = run_pure(
            &single(fail),
            json!({"e": "from input", "c": "also from input", "n": 3}),
        );
        assert_eq!(d.failure(), expected, "{fields}");
        assert_eq!(
            d.kinds(),
            ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"],
            "{fields}"
        );
    }
}

#[test]
fn fail_error_path_must_name_a_string() {
    let def = single(json!({"Type": "Fail", "ErrorPath": "$.e"}));
    let d = run_pure(&def, json!({"e": 5}));
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn succeed_passes_its_input_through_paths() {
    let def = single(json!({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}));
    let d = run_pure(&def, json!({"a": {"b": [1]}}));
    assert_eq!(d.output(), json!([1]));
    assert_eq!(
        d.kinds(),
        [
            "ExecutionStarted",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
}

// ---------------------------------------------------------------- Payload limit, Stop, yields

#[test]
fn a_task_result_over_256_kib_fails_with_data_limit_exceeded_uncatchably() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let big = "x".repeat(256 * 1024);
    let mut d = Driver::new(&def).script("T", [ok(json!(big))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    assert_eq!(d.invoked.len(), 1);
    // Just under the limit is fine: 256 KiB including the quotes.
    let fits = "x".repeat(256 * 1024 - 2);
    let mut d = Driver::new(&def).script("T", [ok(json!(fits))]);
    d.start(json!({}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn an_oversized_execution_input_fails_at_once() {
    let def = single(json!({"Type": "Pass", "End": true}));
    let mut d = Driver::new(&def);
    d.start_with(
        json!({"big": "y".repeat(100)}),
        Options {
            payload_limit_bytes: 50,
            ..Options::default()
        },
    );
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
}

#[test]

fn an_oversized_state_output_fails_with_data_limit_exceeded() {
    // AWS limits every state's input and output; the Map's output here is over the limit even
    // though the execution's final output is small.
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Small",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Result": "0123456789", "End": true}}}},
        "Small": {"Type": "Pass", "OutputPath": "$[0]", "End": true}}});
    let mut d = Driver::new(&def);
    d.start_with(
        json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        Options {
            payload_limit_bytes: 100,
            ..Options::default()
        },
    );
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
}

#[test]
fn stop_aborts() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.snap().status, Status::Running);
    d.now += 1234;
    d.send(Event::Stop {
        failure: Failure::new("User", "stopped"),
    });
    assert_eq!(
        d.snap().status,
        Status::Aborted {
            failure: Failure::new("User", "stopped")
        }
    );
    assert_eq!(d.kinds().last(), Some(&"ExecutionAborted"));
    assert_eq!(d.snap().stop_time(), Some(T0 + 1234));
    assert!(matches!(d.finished, Some(Status::Aborted { .. })));
    // Events after the end do nothing.
    let task = d.invoked[0].1.task;
    let before = d.snap().history.len();
    d.send(Event::TaskSucceeded {
        task,
        output: json!(1),
    });
    assert_eq!(d.snap().history.len(), before);
    assert_eq!(d.snap().status.name(), "ABORTED");
}

fn counting_loop(limit: u64) -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThanEquals": limit, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}})
}

#[test]
fn a_short_loop_within_the_transition_budget_does_not_yield() {
    let mut d = Driver::new(&counting_loop(100));
    d.start(json!({"n": 0}));
    d.run();
    assert_eq!(d.output(), json!({"n": 100}));
    assert_eq!(d.yields, 0);
    assert_eq!(d.snap().transitions, 202);
}

#[test]

fn a_loop_of_100_000_transitions_yields_and_finishes_after_resumes() {
    let mut d = Driver::new(&counting_loop(50_000));
    d.start_with(
        json!({"n": 0}),
        Options {
            record_history: false,
            ..Options::default()
        },
    );
    d.run();
    assert_eq!(d.output(), json!({"n": 50_000}));
    assert_eq!(d.snap().transitions, 100_002);
    assert!(d.yields >= 10, "yields: {}", d.yields);
}

#[test]

fn a_yield_is_resumed() {
    let mut d = Driver::new(&counting_loop(10));
    d.start_with(
        json!({"n": 0}),
        Options {
            max_transitions_per_step: 3,
            ..Options::default()
        },
    );
    assert_eq!(d.yields, 1);
    d.run();
    assert_eq!(d.output(), json!({"n": 10}));
}

#[test]
fn step_never_exceeds_the_transition_budget() {
    let mut d = Driver::new(&counting_loop(50));
    d.start_with(
        json!({"n": 0}),
        Options {
            max_transitions_per_step: 3,
            ..Options::default()
        },
    );
    assert_eq!(d.snap().transitions, 3);
    assert_eq!(d.yields, 1);
}

#[test]
fn versions_count_step_calls() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [ok(json!(1))]);
    d.start(json!({}));
    assert_eq!(d.snap().version, 1);
    d.run();
    assert_eq!(d.snap().version, 2);
    assert_eq!(d.steps, 2);
}

// ---------------------------------------------------------------- Combinations

#[test]
fn a_parallel_is_retried_as_a_whole() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2}],
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}});
    let mut d = Driver::new(&def)
        .script("A", [err("Flaky", ""), ok(json!("a2"))])
        .script("B", [after(5_000, ok(json!("b1"))), ok(json!("b2"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!(["a2", "b2"]));
    assert_eq!(d.invoked.len(), 4);
    // The retry starts 2 s after the failure; the first B's late result is ignored.
    assert_eq!(d.invoked[2].0, T0 + 2_000);
    assert_eq!(d.invoked[2].1.retry_count, 0, "branch states start afresh");
}

#[test]
fn a_map_exceeding_its_tolerance_can_be_caught() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Done", "ToleratedFailureCount": 0,
              "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}],
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}},
        "Caught": {"Type": "Pass", "Result": "caught", "End": true},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("I", [err("Bad", ""), Reply::Hold]);
    d.start(json!([1, 2]));
    d.run();
    assert_eq!(d.output(), json!("caught"));
}

#[test]
fn nested_fanout_failure_cancels_grandchildren() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemsPath": "$.items",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Nap"}],
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "Y", "States": {"Y": {"Type": "Wait", "Seconds": 30, "Next": "Z"},
                                        "Z": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}}},
        "Nap": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let mut d = Driver::new(&def).script(
        "X",
        [after(10, err("Bad", "b")), after(20_000, ok(json!(2)))],
    );
    d.start(json!({"items": [1, 2]}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
    let names: Vec<&str> = d
        .snap()
        .history
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert!(!names.contains(&"Z"), "{names:?}");
    assert_eq!(d.invoked.len(), 2);
}

#[test]
fn execution_timeout_during_a_map_ends_everything() {
    let def = json!({"TimeoutSeconds": 1, "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}}}});
    let mut d = Driver::new(&def).script("I", (0..3).map(|_| after(5_000, ok(json!(1)))));
    d.start(json!([1, 2, 3]));
    let status = d.run().clone();
    assert_eq!(status.name(), "TIMED_OUT");
    assert_eq!(d.kinds().last(), Some(&"ExecutionTimedOut"));
}

#[test]
fn task_result_selector_result_path_and_output_path_compose() {
    let def = task_with(
        json!({"ResultSelector": {"payload.$": "$.Payload", "code.$": "$.StatusCode"},
        "ResultPath": "$.res", "OutputPath": "$.res.payload"}),
    );
    let mut d =
        Driver::new(&def).script("S", [ok(json!({"Payload": {"v": 1}, "StatusCode": 200}))]);
    d.start(json!({"orig": true}));
    d.run();
    assert_eq!(d.output(), json!({"v": 1}));
}

#[test]

fn a_snapshot_of_another_format_version_is_refused() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    let mut value = serde_json::to_value(d.snap()).expect("value");
    value["format"] = json!(FORMAT_VERSION + 1);
    let restored: Result<Snapshot, _> = serde_json::from_value(value);
    assert!(restored.is_err(), "a snapshot of format 2 was accepted");
}

#[test]
fn item_batcher_groups_items_by_count_and_bytes_with_batch_input() {
    let def = |batcher: Value| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ItemBatcher": batcher, "End": true}}})
    };
    let mut d = Driver::new(&def(
        json!({"MaxItemsPerBatch": 2, "BatchInput": {"f.$": "$.f"}}),
    ));
    d.start(json!({"items": [1, 2, 3, 4, 5], "f": "x"}));
    d.run();
    assert_eq!(
        d.output(),
        json!([
            {"BatchInput": {"f": "x"}, "Items": [1, 2]},
            {"BatchInput": {"f": "x"}, "Items": [3, 4]},
            {"BatchInput": {"f": "x"}, "Items": [5]}
        ])
    );
    // Each item below serializes to 6 bytes ("aaaa" plus quotes), so 13 bytes hold two.
    let mut d = Driver::new(&def(json!({"MaxInputBytesPerBatchPath": "$.bytes"})));
    d.start(json!({"items": ["aaaa", "bbbb", "cccc"], "bytes": 14}));
    d.run();
    assert_eq!(
        d.output(),
        json!([{"Items": ["aaaa", "bbbb"]}, {"Items": ["cccc"]}])
    );
}

#[test]
fn item_batcher_needs_distributed_mode() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ItemBatcher": {"MaxItemsPerBatch": 2}, "End": true}}});
    let problems = StateMachine::from_json(&def).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.location == "/States/M/ItemBatcher"),
        "{problems:?}"
    );
}

#[test]
fn result_path_match_failure_reports_the_path_and_input_as_aws_does() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1,
        "ResultPath": "$.a.b", "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({"a": "x"}));
    d.run();
    assert_eq!(
        d.failure(),
        Failure::new(
            "States.ResultPathMatchFailure",
            r#"Unable to apply ReferencePath $.a.b to input "{\"a\":\"x\"}""#
        )
    );
}

#[test]
fn express_executions_have_express_arns_and_no_redrive_count() {
    let machine = StateMachine::from_json(&json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"e.$": "$$.Execution"}, "End": true}}}))
    .unwrap();
    let info = ExecutionInfo::local_express("m", "run-1", "abc", json!({}), 0);
    let (snap, _) = start(&machine, info, Options::default(), 1, 0);
    let Status::Succeeded { output } = &snap.status else {
        panic!("{:?}", snap.status)
    };
    assert_eq!(
        output["e"]["Id"],
        "arn:aws:states:us-east-1:123456789012:express:m:run-1:abc"
    );
    assert!(output["e"].get("RedriveCount").is_none());
    let standard = ExecutionInfo::local("m", "run-1", json!({}), 0);
    let (snap, _) = start(&machine, standard, Options::default(), 1, 0);
    let Status::Succeeded { output } = &snap.status else {
        panic!("{:?}", snap.status)
    };
    assert_eq!(output["e"]["RedriveCount"], 0);
}

#[test]
fn api_gateway_headers_must_map_names_to_lists() {
    let def = |headers: Value| {
        single(
            json!({"Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke",
            "Parameters": {"ApiEndpoint": "e", "Method": "GET", "Headers": headers}, "End": true}),
        )
    };
    let d = run_pure(&def(json!({"h": "single"})), json!({}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert!(f
        .cause
        .unwrap_or_default()
        .ends_with("could not be used to start the Task: [The value of the field 'Headers' has an invalid format]"));
    let mut ok = Driver::new(&def(json!({"h": ["a", "b"]})))
        .script("S", [self::ok(json!({"StatusCode": 200}))]);
    ok.start(json!({}));
    ok.run();
    assert_eq!(ok.output(), json!({"StatusCode": 200}));
}

#[test]
fn assign_is_evaluated_from_values_before_the_state_and_applied_as_it_exits() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"q": "why"}, "Assign": {"question.$": "$.q", "answer": 42}, "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$answer", "ResultPath": "$.x", "OutputPath": "$answer",
              "Assign": {"answer": "later", "old.$": "$answer"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"answer.$": "$answer", "old.$": "$old", "q.$": "$question"}, "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"answer": "later", "old": 42, "q": "why"})
    );
}

#[test]
fn map_iterations_read_outer_variables_and_their_own_assignments_end_with_them() {
    let def = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1, "items": [10, 20]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$items",
              "ItemProcessor": {"StartAt": "Inner", "States": {
                  "Inner": {"Type": "Pass", "Assign": {"inner.$": "$"}, "Next": "Read"},
                  "Read": {"Type": "Pass", "Parameters": {"x.$": "$x", "inner.$": "$inner"}, "End": true}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"results.$": "$", "x.$": "$x"}, "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"results": [{"x": 1, "inner": 10}, {"x": 1, "inner": 20}], "x": 1})
    );
    // The iterations' own variable is gone after the Map.
    let def2 = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
              "I": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}}, "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}}});
    let mut d = Driver::new(&def2);
    d.start(json!([1]));
    d.run();
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn distributed_map_iterations_do_not_see_outer_variables() {
    let def = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {
              "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
              "StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": true}}},
              "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!([1]));
    d.run();
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn catch_and_choice_rules_assign_variables() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Assign": {"ok": true},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err.$": "$.Error"}, "ResultPath": null, "Next": "C"}],
              "Next": "C"},
        "C": {"Type": "Choice", "Choices": [
                {"Variable": "$err", "IsPresent": true, "Assign": {"route": "caught"}, "Next": "Done"}],
              "Default": "Done", "Assign": {"route": "default"}},
        "Done": {"Type": "Pass", "Parameters": {"err.$": "$err", "route.$": "$route"}, "End": true}}});
    let mut d = Driver::new(&def).script("T", [err("Boom", "bad")]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!({"err": "Boom", "route": "caught"}));
}

#[test]
fn hostile_jsonata_expressions_fail_cleanly_within_their_limits() {
    let cases = [
        // Deep non-tail recursion: the depth limit.
        (
            "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
            "D1011",
        ),
        // An endless loop through a recursive function: the time limit.
        ("($f := function($n){ $f($n + 1) + 1 }; $f(0))", ""),
        // A huge sequence: the engine's sequence cap, before anything is allocated.
        ("$count([1..5000000])", "D2015"),
        ("$range(0, 100000000, 1)", "Q1004"),
    ];
    for (expr, code) in cases {
        let def = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
            "S": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}});
        let mut d = Driver::new(&def);
        d.start(json!({}));
        d.run();
        let f = d.failure();
        assert_eq!(f.error_name(), names::QUERY_EVALUATION_ERROR, "{expr}");
        let cause = f.cause.unwrap_or_default();
        assert!(
            cause.contains("threw an error during evaluation"),
            "{expr}: {cause}"
        );
        assert!(cause.contains(code), "{expr}: {cause}");
    }
}

#[test]
fn jsonata_states_see_states_input_result_and_variables() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"factor": "{% $states.input.f %}"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA,
              "Arguments": {"n": "{% $states.input.n * $factor %}"},
              "Output": {"got": "{% $states.result.v %}", "in": "{% $states.input.n %}"},
              "Assign": {"seen": "{% $states.result.v %}"},
              "Next": "Done"},
        "Done": {"Type": "Pass", "Output": {"seen": "{% $seen %}", "out": "{% $states.input %}"}, "End": true}}});
    let mut d = Driver::new(&def).script("T", [ok(json!({"v": 7}))]);
    d.start(json!({"n": 3, "f": 2}));
    d.run();
    assert_eq!(d.invoked[0].1.input, json!({"n": 6}));
    assert_eq!(d.output(), json!({"seen": 7, "out": {"got": 7, "in": 3}}));
}

#[test]
fn wait_seconds_path_errors_name_the_path_and_value() {
    let def = single(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
    let cases = [
        (
            json!({"s": -3}),
            "The SecondsPath parameter references a negative value: $.s == -3",
        ),
        (
            json!({"s": 1.5}),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5",
        ),
        (
            json!({}),
            "The SecondsPath parameter does not reference an input value: $.s",
        ),
    ];
    for (input, message) in cases {
        let d = run_pure(&def, input);
        let cause = d.failure().cause.unwrap_or_default();
        assert!(cause.ends_with(message), "{cause}");
    }
}

#[test]
fn a_heartbeat_restarts_the_heartbeat_timer_of_a_task_waiting_for_its_token() {
    let def = json!({"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "HeartbeatSeconds": 2,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": true}}});
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start_with(
        json!({}),
        Options {
            task_tokens_name_execution: true,
            ..Options::default()
        },
    );
    let request = d.invoked[0].1.clone();
    let token = request.task_token.clone().expect("a token");
    assert_eq!(request.input["MessageBody"]["token"], json!(token));
    assert_eq!(
        super::token::execution_of(&token).as_deref(),
        Some(d.snap().execution.execution_arn.as_str())
    );
    let first_timer = d.timers[0].0;
    d.now = T0 + 1_500;
    d.send(Event::TaskHeartbeat { task: request.task });
    assert!(
        !d.snap().awaits(first_timer),
        "the old heartbeat timer is void"
    );
    assert!(d.snap().awaits(request.task));
    let (new_timer, due) = *d.timers.last().expect("a new timer");
    assert_ne!(new_timer, first_timer);
    assert_eq!(due, T0 + 3_500);
    // The old timer firing at T0 + 2 s changes nothing; the new one times the task out.
    assert_eq!(d.run().name(), "FAILED");
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    assert_eq!(d.now, T0 + 3_500);
}

#[test]
fn a_heartbeat_for_a_task_without_heartbeat_seconds_or_not_awaited_changes_nothing() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    let task = d.invoked[0].1.task;
    let timers = d.timers.len();
    d.send(Event::TaskHeartbeat { task });
    d.send(Event::TaskHeartbeat { task: 999 });
    assert_eq!(d.timers.len(), timers);
    assert!(d.snap().awaits(task));
}

#[test]
fn an_endless_loop_fails_at_the_history_limit() {
    let machine = StateMachine::from_json(&json!({
        "StartAt": "Again",
        "States": {
            "Again": {"Type": "Choice", "Choices": [
                {"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Again"},
            "Done": {"Type": "Succeed"}
        }
    }))
    .unwrap();
    let options = Options {
        max_history_events: Some(1_000),
        ..Options::default()
    };
    let info = ExecutionInfo::local("loop", "e", json!({}), 0);
    let (mut snapshot, mut effects) = start(&machine, info, options, 1, 0);
    // Each step yields after its transition budget; resume until it ends.
    let mut steps = 0;
    while !snapshot.status.is_terminal() && steps < 1_000 {
        assert!(effects.contains(&Effect::Yield));
        effects = step_in_place(&machine, &mut snapshot, Event::Resume, 0);
        steps += 1;
    }
    match &snapshot.status {
        Status::Failed { failure } => {
            assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
            assert_eq!(
                failure.cause.as_deref(),
                Some("The execution reached the maximum number of history events (1000).")
            );
        }
        other => panic!("expected FAILED, got {other:?}"),
    }
    let last = snapshot.history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.id), ("ExecutionFailed", 1_000));
}
