//! Behaviour of the interpreter, state type by state type, driven by a small scripted driver
//! (a brief mirror of `tests/it/common.rs`, which integration tests share).

mod choice;
mod combinations;
mod ends;
mod history;
mod limits;
mod map;
mod parallel;
mod pass;
mod task;
mod wait;

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

fn task_with(extra: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": LAMBDA, "End": true});
    if let (Value::Object(t), Value::Object(extra)) = (&mut t, extra) {
        t.extend(extra);
    }
    single(t)
}
