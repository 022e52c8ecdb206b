//! The simulated world: one virtual clock, one seeded random generator, and the agenda of what
//! happens next. Everything outside the service (SQS, DynamoDB, EventBridge, Lambda, callers)
//! is state here, changed only when the agenda reaches it, so a seed replays exactly.
//!
//! Every call the service makes through a port is an *operation*: it completes at a time the
//! world draws (its latency), and only then takes effect. The invocation that made it waits
//! at that await point; meanwhile other invocations run, messages are delivered, other writes
//! land. At completion the world may instead end the invocation there (a crash, before or after
//! the operation took effect), or give a fault as the answer.

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use quickstep_engine::execution::Millis;
use quickstep_runtime::clock::Clock;

use crate::faults::{Fault, Faults};
use crate::rng::Rng;

/// An invocation's id (a Lambda invocation or a caller's request).
pub type InvocationId = u64;

/// What an operation does when it completes: its effect on the world, and its answer.
pub type Effect = Box<dyn FnOnce(&mut World) -> Box<dyn Any + Send> + Send>;

/// Something on the agenda.
pub enum Happening {
    /// An operation completes.
    Complete(u64),
    /// The world acts: deliver messages, start a caller, end an invocation at its deadline.
    Act(Box<dyn FnOnce(&mut World) + Send>),
}

struct Operation {
    owner: Option<InvocationId>,
    effect: Option<Effect>,
    waker: Option<Waker>,
    /// The answer, once complete.
    answer: Option<Box<dyn Any + Send>>,
    /// May the world crash the owner here?
    crashable: bool,
}

/// The world. Shared by the adapters and the executor behind one lock.
pub struct World {
    pub now: Millis,
    pub clock: Arc<Clock>,
    pub rng: Rng,
    pub faults: Faults,
    pub settings: crate::Settings,
    agenda: BinaryHeap<Reverse<(Millis, u64)>>,
    happenings: BTreeMap<u64, Happening>,
    operations: BTreeMap<u64, Operation>,
    next_id: u64,
    /// The invocation being polled (operations it starts are its own).
    pub current: Option<InvocationId>,
    /// Invocations the world ended (crash, or `true`: at their deadline): the executor drops
    /// them.
    pub killed: Vec<(InvocationId, bool)>,
    /// Invocations to start: the executor takes them.
    pub starting: Vec<crate::executor::Start>,
    /// The simulated services' state.
    pub sqs: crate::sqs::Sqs,
    pub dynamo: crate::dynamo::Dynamo,
    pub bus: crate::bus::Bus,
    pub lambda: crate::lambda::Lambda,
    /// Makes the service's futures.
    pub caller: Option<crate::calls::Caller>,
    /// Invariants seen broken while the schedule ran.
    pub violations: Vec<String>,
    /// What happened, line by line, when a replay asks for it.
    pub trace: Option<Vec<String>>,
}

/// The world behind its lock.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<World>>);

impl Shared {
    pub fn new(world: World) -> Self {
        Self(Arc::new(Mutex::new(world)))
    }

    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl World {
    pub fn new(seed: u64, settings: crate::Settings, clock: Arc<Clock>) -> Self {
        Self {
            now: clock.now(),
            clock,
            rng: Rng::new(seed),
            faults: Faults::default(),
            settings,
            agenda: BinaryHeap::new(),
            happenings: BTreeMap::new(),
            operations: BTreeMap::new(),
            next_id: 1,
            current: None,
            killed: Vec::new(),
            starting: Vec::new(),
            sqs: crate::sqs::Sqs::default(),
            dynamo: crate::dynamo::Dynamo::default(),
            bus: crate::bus::Bus::default(),
            lambda: crate::lambda::Lambda::default(),
            caller: None,
            violations: Vec::new(),
            trace: None,
        }
    }

    /// Adds a line to the trace, if one is kept.
    pub fn note(&mut self, line: impl FnOnce() -> String) {
        let now = self.now - crate::T0;
        let current = self.current;
        if let Some(trace) = &mut self.trace {
            trace.push(format!("{now:>9} [{current:?}] {}", line()));
        }
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Puts `happening` on the agenda at `at` (never in the past).
    fn schedule(&mut self, at: Millis, happening: Happening) -> u64 {
        let id = self.id();
        self.agenda.push(Reverse((at.max(self.now), id)));
        self.happenings.insert(id, happening);
        id
    }

    /// The world does `act` at `at`.
    pub fn at(&mut self, at: Millis, act: impl FnOnce(&mut World) + Send + 'static) {
        self.schedule(at, Happening::Act(Box::new(act)));
    }

    /// Starts an operation of the current invocation that completes after `latency` ms with
    /// `effect`; `crashable`: the world may end the invocation at this await point.
    pub fn operation(&mut self, latency: Millis, crashable: bool, effect: Effect) -> u64 {
        let at = self.now + latency.max(0);
        let id = self.id();
        self.agenda.push(Reverse((at, id)));
        self.happenings.insert(id, Happening::Complete(id));
        self.operations.insert(
            id,
            Operation {
                owner: self.current,
                effect: Some(effect),
                waker: None,
                answer: None,
                crashable,
            },
        );
        id
    }

    /// The answer of operation `id` if it completed (taking it), else remembers `waker`.
    pub fn answer(&mut self, id: u64, waker: &Waker) -> Option<Box<dyn Any + Send>> {
        let op = self.operations.get_mut(&id)?;
        match op.answer.take() {
            Some(answer) => {
                self.operations.remove(&id);
                Some(answer)
            }
            None => {
                op.waker = Some(waker.clone());
                None
            }
        }
    }

    /// An operation whose future was dropped before it completed: it is abandoned (what it
    /// would have done in the world still happens when due, as a request once sent does).
    pub fn abandon(&mut self, id: u64) {
        if let Some(op) = self.operations.get_mut(&id) {
            op.owner = None;
            op.waker = None;
        }
    }

    /// Takes the next happening off the agenda, moving the clock to it; `None` when nothing is
    /// left or the next is past `horizon`.
    pub fn next(&mut self, horizon: Millis) -> Option<Happening> {
        loop {
            let Reverse((at, id)) = *self.agenda.peek()?;
            if at > horizon {
                return None;
            }
            self.agenda.pop();
            let Some(happening) = self.happenings.remove(&id) else {
                continue;
            };
            self.now = self.now.max(at);
            self.clock.advance_to(self.now);
            return Some(happening);
        }
    }

    /// Completes operation `id`: maybe crashes its invocation first or after, applies its
    /// effect, stores its answer and wakes whoever waits.
    pub fn complete(&mut self, id: u64) {
        let Some(op) = self.operations.get_mut(&id) else {
            return;
        };
        let owner = op.owner;
        let crashable = op.crashable && owner.is_some();
        let effect = op.effect.take();
        let crash_before = crashable && self.rng.chance(self.settings.crash_rate / 2.0);
        if crash_before {
            self.faults.count(Fault::CrashBeforeEffect);
            self.operations.remove(&id);
            self.kill(owner);
            return;
        }
        let answer = effect.map(|f| f(self));
        let crash_after = crashable && self.rng.chance(self.settings.crash_rate / 2.0);
        if crash_after {
            self.faults.count(Fault::CrashAfterEffect);
            self.operations.remove(&id);
            self.kill(owner);
            return;
        }
        let Some(op) = self.operations.get_mut(&id) else {
            return;
        };
        if op.owner.is_none() {
            // Abandoned: nobody reads the answer.
            self.operations.remove(&id);
            return;
        }
        op.answer = answer;
        if let Some(waker) = op.waker.take() {
            waker.wake();
        }
    }

    /// Ends invocation `owner` where it stands.
    pub fn kill(&mut self, owner: Option<InvocationId>) {
        if let Some(owner) = owner {
            self.killed.push((owner, false));
        }
    }

    /// Forgets the operations of an invocation that ended (their effects still happen).
    pub fn forget(&mut self, owner: InvocationId) {
        for op in self.operations.values_mut() {
            if op.owner == Some(owner) {
                op.owner = None;
                op.waker = None;
            }
        }
    }

    /// A latency between `low` and `high` ms, now and then far longer (a slow request).
    pub fn latency(&mut self, low: Millis, high: Millis) -> Millis {
        let base = self.rng.between(low, high);
        if self.rng.chance(self.settings.slow_rate) {
            self.faults.count(Fault::SlowRequest);
            base + self.rng.between(500, 3_000)
        } else {
            base
        }
    }
}
