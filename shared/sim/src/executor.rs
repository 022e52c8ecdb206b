//! A deterministic, single-threaded executor for the service's futures.
//!
//! Each invocation (a worker's batch, a caller's request) is a future polled only when an
//! operation it waits on completes; the world's agenda decides what completes next. Ending an
//! invocation (a crash, Lambda's deadline) is dropping its future wherever it stands: the
//! service's code is cut off at that await point, exactly as a process that dies is.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use quickstep_engine::execution::Millis;

use crate::faults::Fault;
use crate::world::{Happening, InvocationId, Shared, World};

/// What an invocation's future gives when it ends.
pub type Output = Box<dyn Any + Send>;

/// How an invocation ended.
pub enum Ending {
    Finished(Output),
    /// Crashed or cut off at its deadline.
    Killed,
}

/// What the world does when an invocation ends.
pub type OnEnd = Box<dyn FnOnce(&mut World, Ending) + Send>;

/// An invocation's future.
pub type Invocation = Pin<Box<dyn Future<Output = Output> + Send>>;

/// An invocation to start.
pub struct Start {
    pub id: InvocationId,
    pub future: Invocation,
    /// What the world does when it ends (SQS deletes or redelivers its batch, a caller tries
    /// again, ...).
    pub on_end: OnEnd,
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Live {
    future: Invocation,
    flag: Arc<Flag>,
    on_end: OnEnd,
}

/// Runs the world until nothing is left to happen before `horizon`.
pub fn run(world: &Shared, horizon: Millis) {
    let mut live: BTreeMap<InvocationId, Live> = BTreeMap::new();
    loop {
        settle(world, &mut live);
        let Some(happening) = world.lock().next(horizon) else {
            break;
        };
        let mut w = world.lock();
        match happening {
            Happening::Complete(id) => w.complete(id),
            Happening::Act(act) => act(&mut w),
        }
    }
    // Past the horizon: whatever still runs is cut off.
    for (id, invocation) in std::mem::take(&mut live) {
        drop(invocation.future);
        world.lock().forget(id);
    }
}

/// Starts new invocations and polls every woken one until none is woken.
fn settle(world: &Shared, live: &mut BTreeMap<InvocationId, Live>) {
    loop {
        let starting = std::mem::take(&mut world.lock().starting);
        for start in starting {
            live.insert(
                start.id,
                Live {
                    future: start.future,
                    flag: Arc::new(Flag(AtomicBool::new(true))),
                    on_end: start.on_end,
                },
            );
        }
        let woken: Vec<InvocationId> = live
            .iter()
            .filter(|(_, l)| l.flag.0.load(Ordering::SeqCst))
            .map(|(id, _)| *id)
            .collect();
        let killed = std::mem::take(&mut world.lock().killed);
        if woken.is_empty() && killed.is_empty() && world.lock().starting.is_empty() {
            return;
        }
        for (id, at_deadline) in killed {
            let Some(invocation) = live.remove(&id) else {
                continue;
            };
            drop(invocation.future);
            let mut w = world.lock();
            if at_deadline {
                w.faults.count(Fault::DeadlineKill);
            }
            w.forget(id);
            (invocation.on_end)(&mut w, Ending::Killed);
        }
        for id in woken {
            let Some(invocation) = live.get_mut(&id) else {
                continue;
            };
            invocation.flag.0.store(false, Ordering::SeqCst);
            let waker = Waker::from(Arc::clone(&invocation.flag));
            let mut cx = Context::from_waker(&waker);
            world.lock().current = Some(id);
            let polled = invocation.future.as_mut().poll(&mut cx);
            world.lock().current = None;
            if let Poll::Ready(output) = polled {
                if let Some(done) = live.remove(&id) {
                    let mut w = world.lock();
                    w.forget(id);
                    (done.on_end)(&mut w, Ending::Finished(output));
                }
            }
        }
    }
}

/// A future of an operation's answer.
pub struct Answer<T> {
    world: Shared,
    id: u64,
    done: bool,
    _answer: std::marker::PhantomData<fn() -> T>,
}

impl<T> Answer<T> {
    pub fn new(world: Shared, id: u64) -> Self {
        Self {
            world,
            id,
            done: false,
            _answer: std::marker::PhantomData,
        }
    }
}

impl<T: 'static> Future for Answer<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let answer = self.world.lock().answer(self.id, cx.waker());
        match answer.map(|a| a.downcast::<T>()) {
            Some(Ok(value)) => {
                self.done = true;
                Poll::Ready(*value)
            }
            // An operation answers with the type its adapter asked for; anything else is a
            // bug in the simulation itself, and never completes.
            Some(Err(_)) | None => Poll::Pending,
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if !self.done {
            self.world.lock().abandon(self.id);
        }
    }
}

/// An operation of the current invocation: completes after `latency` ms with `effect`'s
/// answer; the world may crash the invocation there if `crashable`.
pub fn operation<T: Send + 'static>(
    world: &Shared,
    latency: Millis,
    crashable: bool,
    effect: impl FnOnce(&mut World) -> T + Send + 'static,
) -> Answer<T> {
    let id = world.lock().operation(
        latency,
        crashable,
        Box::new(move |w| Box::new(effect(w)) as Box<dyn Any + Send>),
    );
    Answer::new(world.clone(), id)
}
