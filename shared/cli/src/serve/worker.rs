//! The step queue of `quickstep serve`, and the worker that drains it in the same process: what
//! SQS and the worker Lambda are on AWS, through the same [`Service::step`].
//!
//! Messages are handed over in the order they fall due. On the real clock the worker waits for
//! that time and runs each step as a task of its own (steps of one execution may overlap, as
//! on Lambda: the record's conditional writes keep them apart); on the virtual clock it moves
//! the clock to the due time at once and runs the steps one after another, so Waits and
//! back-off take no time.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use quickstep::execution::Millis;
use quickstep_service::ports::{EventPublisher, PortError, StepQueue, Store};
use quickstep_service::records::StepMessage;
use quickstep_service::service::Service;
use tokio::sync::mpsc;

/// A message sent, and its delay.
struct Sent {
    message: StepMessage,
    delay_seconds: u32,
}

/// The [`StepQueue`] of `quickstep serve`: a channel to the [`Worker`].
pub struct LocalQueue {
    sender: mpsc::UnboundedSender<Sent>,
}

impl StepQueue for LocalQueue {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        self.sender
            .send(Sent {
                message: message.clone(),
                delay_seconds,
            })
            .map_err(|_| PortError::Terminal("the in-process worker has stopped".into()))
    }
}

/// The receiving end: messages waiting for their time.
pub struct Worker {
    receiver: mpsc::UnboundedReceiver<Sent>,
    due: BinaryHeap<Reverse<(Millis, u64)>>,
    waiting: BTreeMap<u64, StepMessage>,
    sequence: u64,
    virtual_clock: bool,
}

/// A queue and the worker that drains it.
pub fn channel(virtual_clock: bool) -> (LocalQueue, Worker) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (
        LocalQueue { sender },
        Worker {
            receiver,
            due: BinaryHeap::new(),
            waiting: BTreeMap::new(),
            sequence: 0,
            virtual_clock,
        },
    )
}

impl Worker {
    fn hold(&mut self, sent: Sent, now: Millis) {
        self.sequence += 1;
        let at = now + i64::from(sent.delay_seconds) * 1000;
        self.due.push(Reverse((at, self.sequence)));
        self.waiting.insert(self.sequence, sent.message);
    }

    /// Runs until the queue's sending end is gone.
    pub async fn run<S: Store, P: EventPublisher>(
        mut self,
        service: Arc<Service<S, LocalQueue, P>>,
    ) {
        loop {
            while let Ok(sent) = self.receiver.try_recv() {
                self.hold(sent, service.clock.now());
            }
            let Some(Reverse((at, sequence))) = self.due.peek().copied() else {
                match self.receiver.recv().await {
                    Some(sent) => self.hold(sent, service.clock.now()),
                    None => return,
                }
                continue;
            };
            let now = service.clock.now();
            if at > now {
                if self.virtual_clock {
                    service.clock.advance_to(at);
                } else {
                    let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0));
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        sent = self.receiver.recv() => match sent {
                            Some(sent) => {
                                self.hold(sent, service.clock.now());
                                continue;
                            }
                            None => return,
                        },
                    }
                }
            }
            self.due.pop();
            let Some(message) = self.waiting.remove(&sequence) else {
                continue;
            };
            if self.virtual_clock {
                step(&service, &message).await;
            } else {
                let service = Arc::clone(&service);
                tokio::spawn(async move { step(&service, &message).await });
            }
        }
    }
}

async fn step<S: Store, P: EventPublisher>(
    service: &Service<S, LocalQueue, P>,
    message: &StepMessage,
) {
    if let Err(e) = service.step(message).await {
        // SQS would deliver it again after its visibility timeout; here it is reported, and
        // its execution is left to the next message or its own timeout.
        eprintln!(
            "quickstep serve: a step of {} failed: {e}",
            message.execution_arn
        );
    }
}
