//! A small synchronous, deterministic driver for the engine, shared by the integration tests.
//!
//! Invoke effects are answered from a scripted, per-state-name list of replies, in order; timers
//! live in a min-heap on a virtual clock that jumps to the earliest one when nothing else is
//! pending; `Yield` is answered with `Resume`; the run stops at `Finished`.

#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{
    self, Effect, Event, ExecutionInfo, HistoryEvent, Millis, Options, Snapshot, Status,
    TaskRequest,
};
use quickstep_engine::failure::Failure;
use serde_json::Value;

/// The virtual time every test execution starts at: 2024-01-01T00:00:00Z.
pub const T0: Millis = 1_704_067_200_000;

/// How a scripted task answers.
#[derive(Debug, Clone)]
pub enum Reply {
    Ok(Value),
    Err(Failure),
    /// Answer this many milliseconds of virtual time after the invoke.
    After(Millis, Box<Reply>),
    /// Never answer.
    Hold,
}

pub fn ok(v: Value) -> Reply {
    Reply::Ok(v)
}

pub fn err(error: &str, cause: &str) -> Reply {
    Reply::Err(Failure::new(error, cause))
}

pub fn after(ms: Millis, r: Reply) -> Reply {
    Reply::After(ms, Box::new(r))
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Timer(u64),
    /// A late reply (index into `late`).
    Reply(usize),
}

pub struct Driver<'m> {
    pub machine: &'m StateMachine,
    pub snapshot: Option<Snapshot>,
    pub now: Millis,
    script: BTreeMap<String, VecDeque<Reply>>,
    /// Used when a state's script runs out; `None` panics.
    pub fallback: Option<Reply>,
    invokes: VecDeque<TaskRequest>,
    resume: bool,
    heap: BinaryHeap<Reverse<(Millis, u64, Due)>>,
    seq: u64,
    late: Vec<Event>,
    /// Every invoke, in the order the engine asked for them, with the time it did.
    pub invoked: Vec<(Millis, TaskRequest)>,
    /// Every timer, as asked for.
    pub timers: Vec<(u64, Millis)>,
    /// Every event sent, with its time.
    pub sent: Vec<(Millis, Event)>,
    /// Invokes asked for and not yet answered (or forgotten), and the most ever at once.
    pub outstanding: usize,
    pub max_outstanding: usize,
    pub yields: usize,
    /// Step calls made (the start counts as one).
    pub steps: usize,
    pub finished: Option<Status>,
}

impl<'m> Driver<'m> {
    pub fn new(machine: &'m StateMachine) -> Self {
        Self {
            machine,
            snapshot: None,
            now: T0,
            script: BTreeMap::new(),
            fallback: None,
            invokes: VecDeque::new(),
            resume: false,
            heap: BinaryHeap::new(),
            seq: 0,
            late: Vec::new(),
            invoked: Vec::new(),
            timers: Vec::new(),
            sent: Vec::new(),
            outstanding: 0,
            max_outstanding: 0,
            yields: 0,
            steps: 0,
            finished: None,
        }
    }

    /// Adds replies for a state, answered in order.
    pub fn script(mut self, state: &str, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.script
            .entry(state.to_owned())
            .or_default()
            .extend(replies);
        self
    }

    pub fn fallback(mut self, reply: Reply) -> Self {
        self.fallback = Some(reply);
        self
    }

    pub fn start(&mut self, input: Value, options: Options) {
        let info = ExecutionInfo::local("machine", "run", input, self.now);
        let (snap, effects) = execution::start(self.machine, info, options, 7, self.now);
        self.snapshot = Some(snap);
        self.steps += 1;
        self.absorb(effects);
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
                    self.push_due(at, Due::Timer(timer));
                }
                Effect::Yield => {
                    self.yields += 1;
                    self.resume = true;
                }
                Effect::Finished => {
                    self.finished = self.snapshot.as_ref().map(|s| s.status.clone())
                }
            }
        }
    }

    fn push_due(&mut self, at: Millis, due: Due) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, due)));
    }

    fn next_reply(&mut self, state: &str) -> Reply {
        match self.script.get_mut(state).and_then(VecDeque::pop_front) {
            Some(r) => r,
            None => match &self.fallback {
                Some(r) => r.clone(),
                None => panic!("no scripted reply left for state {state:?}"),
            },
        }
    }

    /// Chooses the next event: an invoke's reply, a resume, or the earliest due item.
    fn next_event(&mut self) -> Option<Event> {
        while let Some(req) = self.invokes.pop_front() {
            let reply = self.next_reply(&req.state_name);
            match reply {
                Reply::Ok(output) => {
                    self.outstanding -= 1;
                    return Some(Event::TaskSucceeded {
                        task: req.task,
                        output,
                    });
                }
                Reply::Err(failure) => {
                    self.outstanding -= 1;
                    return Some(Event::TaskFailed {
                        task: req.task,
                        failure,
                    });
                }
                Reply::After(ms, inner) => {
                    let event = match *inner {
                        Reply::Ok(output) => Event::TaskSucceeded {
                            task: req.task,
                            output,
                        },
                        Reply::Err(failure) => Event::TaskFailed {
                            task: req.task,
                            failure,
                        },
                        other => panic!("After must wrap Ok or Err, not {other:?}"),
                    };
                    self.late.push(event);
                    let idx = self.late.len() - 1;
                    self.push_due(self.now + ms, Due::Reply(idx));
                }
                Reply::Hold => self.outstanding -= 1,
            }
        }
        if self.resume {
            self.resume = false;
            return Some(Event::Resume);
        }
        let Reverse((at, _, due)) = self.heap.pop()?;
        self.now = self.now.max(at);
        Some(match due {
            Due::Timer(timer) => Event::TimerFired { timer },
            Due::Reply(idx) => {
                self.outstanding = self.outstanding.saturating_sub(1);
                self.late[idx].clone()
            }
        })
    }

    /// Makes one step call; false when there is nothing more to do.
    pub fn step_once(&mut self) -> bool {
        if self.finished.is_some() {
            return false;
        }
        let Some(event) = self.next_event() else {
            return false;
        };
        self.send(event);
        true
    }

    /// Sends an event now.
    pub fn send(&mut self, event: Event) {
        let snap = self.snapshot.take().expect("started");
        self.sent.push((self.now, event.clone()));
        let (snap, effects) = execution::step(self.machine, snap, event, self.now);
        self.snapshot = Some(snap);
        self.steps += 1;
        self.absorb(effects);
    }

    /// Runs until the execution finishes or nothing is left to do, at most `max_steps` calls.
    pub fn run_bounded(&mut self, max_steps: usize) {
        while self.steps < max_steps && self.step_once() {}
    }

    pub fn run(&mut self) -> Status {
        self.run_bounded(1_000_000);
        self.status()
    }

    pub fn snap(&self) -> &Snapshot {
        self.snapshot.as_ref().expect("started")
    }

    pub fn status(&self) -> Status {
        self.snap().status.clone()
    }

    pub fn history(&self) -> &[HistoryEvent] {
        &self.snap().history
    }

    pub fn kinds(&self) -> Vec<String> {
        self.history().iter().map(|e| e.kind.clone()).collect()
    }
}

/// Parses a definition that must be valid.
pub fn machine(def: &Value) -> StateMachine {
    match StateMachine::from_json(def) {
        Ok(m) => m,
        Err(problems) => panic!("invalid definition: {problems:#?}"),
    }
}

/// Runs a definition to the end with a script; returns the finished driver.
pub fn run_script<'m>(
    m: &'m StateMachine,
    input: Value,
    script: &[(&str, Vec<Reply>)],
) -> Driver<'m> {
    let mut d = Driver::new(m);
    for (state, replies) in script {
        d = d.script(state, replies.clone());
    }
    d.start(input, Options::default());
    d.run();
    d
}

pub const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";
pub const INVOKE: &str = "arn:aws:states:::lambda:invoke";
