//! The counting adapters `quickstep cost` runs the service on: a step queue that bills SQS's
//! requests and hands messages back in the order they fall due, a publisher that bills
//! EventBridge's entries, task invokers that answer (from the mock file, or with their input)
//! and count calls, and a sleeper that jumps the virtual clock. DynamoDB is billed by
//! [`MeteredStore`](quickstep_aws::store::metered::MeteredStore).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use quickstep_engine::execution::{Millis, TaskRequest};
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::clock::{Clock, Sleeper};
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_runtime::mock::MockInvoker;
use quickstep_service::ports::{EventPublisher, PortError, StepQueue, MAX_DELAY_SECONDS};
use quickstep_service::records::{StatusChange, StepMessage, EVENT_DETAIL_TYPE, EVENT_SOURCE};

use super::prices::{chunks, EVENTBRIDGE_CHUNK_BYTES, SQS_CHUNK_BYTES};

/// A message waiting in the queue: when it falls due, in the order it was sent.
struct Waiting {
    due: Millis,
    sent: u64,
    message: StepMessage,
}

/// The step queue: every send billed by its body's 64 KB chunks.
pub struct CountingQueue {
    clock: Arc<Clock>,
    waiting: Mutex<Vec<Waiting>>,
    sent: AtomicU64,
    requests: AtomicU64,
}

impl CountingQueue {
    pub fn new(clock: Arc<Clock>) -> Self {
        Self {
            clock,
            waiting: Mutex::new(Vec::new()),
            sent: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// SendMessage requests billed so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The message that falls due first (the first sent among equals), and when.
    pub fn next(&self) -> Option<(Millis, StepMessage)> {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = waiting
            .iter()
            .enumerate()
            .min_by_key(|(_, w)| (w.due, w.sent))
            .map(|(i, _)| i)?;
        let next = waiting.swap_remove(first);
        Some((next.due, next.message))
    }
}

impl StepQueue for CountingQueue {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        let body = serde_json::to_string(message)
            .map_err(|e| PortError::Terminal(format!("step message: {e}")))?;
        self.requests
            .fetch_add(chunks(body.len(), SQS_CHUNK_BYTES), Ordering::SeqCst);
        let delay = i64::from(delay_seconds.min(MAX_DELAY_SECONDS));
        let waiting = Waiting {
            due: self.clock.now() + delay * 1000,
            sent: self.sent.fetch_add(1, Ordering::SeqCst),
            message: message.clone(),
        };
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(waiting);
        Ok(())
    }
}

/// The event bus: every status change billed by its entry's 64 KB chunks (detail, detail
/// type, source and resource, as EventBridge sizes an entry).
#[derive(Default)]
pub struct CountingPublisher {
    entries: AtomicU64,
}

impl CountingPublisher {
    /// Entries billed so far.
    pub fn entries(&self) -> u64 {
        self.entries.load(Ordering::SeqCst)
    }
}

impl EventPublisher for CountingPublisher {
    async fn publish(&self, event: &StatusChange) -> Result<(), PortError> {
        let detail = serde_json::to_string(event)
            .map_err(|e| PortError::Terminal(format!("status change: {e}")))?;
        let bytes = detail.len()
            + EVENT_DETAIL_TYPE.len()
            + EVENT_SOURCE.len()
            + event.execution_arn.len()
            + 14; // the event's time
        self.entries
            .fetch_add(chunks(bytes, EVENTBRIDGE_CHUNK_BYTES), Ordering::SeqCst);
        Ok(())
    }
}

/// Counts the task calls another invoker makes.
pub struct CountingTasks {
    inner: Arc<dyn TaskInvoker>,
    calls: AtomicU64,
}

impl CountingTasks {
    pub fn new(inner: Arc<dyn TaskInvoker>) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TaskInvoker for CountingTasks {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.invoke(request)
    }

    fn supports(&self, kind: &ResourceKind) -> bool {
        self.inner.supports(kind)
    }

    fn answers_callbacks(&self, request: &TaskRequest) -> bool {
        self.inner.answers_callbacks(request)
    }
}

/// Answers every task: from the mock file if it mocks the state, otherwise at once with the
/// task's input, a callback task too (the request of whoever answers its token is not billed).
pub struct Answering {
    mocks: MockInvoker,
}

impl Answering {
    pub fn new(mocks: MockInvoker) -> Self {
        Self { mocks }
    }

    /// The next execution's mocked states answer from their first response again.
    pub fn reset(&self) {
        self.mocks.reset();
    }
}

impl TaskInvoker for Answering {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        if self.mocks.mocks(&request.state_name) {
            self.mocks.invoke(request)
        } else {
            Invocation::Ready(Ok(request.input.clone()))
        }
    }

    fn answers_callbacks(&self, _: &TaskRequest) -> bool {
        true
    }
}

/// Waits by moving the virtual clock: a synchronous execution's Wait takes no real time.
pub struct JumpSleeper;

impl Sleeper for JumpSleeper {
    fn sleep_until(&self, clock: &Clock, at: Millis) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        clock.advance_to(at);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_come_back_in_the_order_they_fall_due() {
        let clock = Arc::new(Clock::virtual_at(1_000));
        let queue = CountingQueue::new(Arc::clone(&clock));
        let arn = "arn:aws:states:us-east-1:1:execution:m:e";
        queue.send(&StepMessage::new(arn, 1), 60).await.unwrap();
        queue.send(&StepMessage::new(arn, 2), 0).await.unwrap();
        queue.send(&StepMessage::new(arn, 3), 0).await.unwrap();
        // Each small send is one request; a body past 64 KB is billed per chunk.
        assert_eq!(queue.requests(), 3);
        let order: Vec<(Millis, u64)> = std::iter::from_fn(|| queue.next())
            .map(|(due, m)| (due, m.version))
            .collect();
        assert_eq!(order, vec![(1_000, 2), (1_000, 3), (61_000, 1)]);
    }
}
