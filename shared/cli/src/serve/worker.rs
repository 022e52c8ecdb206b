//! The step queue of `quickstep serve`, and the worker that drains it in the same process: what
//! SQS and the worker Lambda are on AWS, through the same [`Service::step`].
//!
//! Messages are handed over in the order they fall due. On the real clock the worker waits for
//! that time and runs each step as a task of its own (steps of one execution may overlap, as
//! on Lambda: the record's conditional writes keep them apart); on the virtual clock it moves
//! the clock to the due time at once and runs the steps one after another, so Waits and
//! back-off take no time.
//!
//! Except for a message that came before its record's write (sent again, `early`): the write
//! it waits for is made by a request running in real time, so on the virtual clock too it
//! waits in real time ([`EARLY_WAIT_MS`] per second of its delay) before it comes back. A
//! virtual clock that jumped over its resends would use them all up in no time and drop the
//! message while the write was still coming, leaving the execution running for ever.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::Duration;

use quickstep_engine::execution::Millis;
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

/// Real milliseconds an early message waits, per second of its delay, on the virtual clock
/// (1, 2, 4, … seconds of delay: 0.1, 0.2, 0.4, … s, about 51 s over its eight resends).
pub const EARLY_WAIT_MS: u64 = 100;

/// The receiving end: messages waiting for their time.
pub struct Worker {
    receiver: mpsc::UnboundedReceiver<Sent>,
    /// Brings early messages back after their real-time wait (weak: the worker still ends
    /// when the queue is dropped).
    again: mpsc::WeakUnboundedSender<Sent>,
    due: BinaryHeap<Reverse<(Millis, u64)>>,
    waiting: BTreeMap<u64, StepMessage>,
    sequence: u64,
    virtual_clock: bool,
}

/// A queue and the worker that drains it.
pub fn channel(virtual_clock: bool) -> (LocalQueue, Worker) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let again = sender.downgrade();
    (
        LocalQueue { sender },
        Worker {
            receiver,
            again,
            due: BinaryHeap::new(),
            waiting: BTreeMap::new(),
            sequence: 0,
            virtual_clock,
        },
    )
}

impl Worker {
    fn hold(&mut self, sent: Sent, now: Millis) {
        if self.virtual_clock && sent.message.early > 0 && sent.delay_seconds > 0 {
            let again = self.again.clone();
            let wait = Duration::from_millis(u64::from(sent.delay_seconds) * EARLY_WAIT_MS);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if let Some(queue) = again.upgrade() {
                    let _ = queue.send(Sent {
                        delay_seconds: 0,
                        ..sent
                    });
                }
            });
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(early: u32, delay_seconds: u32) -> Sent {
        Sent {
            message: StepMessage {
                early,
                ..StepMessage::new("arn:aws:states:us-east-1:1:express:m:e", 3)
            },
            delay_seconds,
        }
    }

    #[tokio::test]
    async fn early_messages_wait_in_real_time_on_the_virtual_clock() {
        let (queue, mut worker) = channel(true);
        // A message on time waits on the virtual clock, among the others.
        worker.hold(sent(0, 60), 1_000);
        assert_eq!(worker.due.len(), 1);
        // One sent again because its write had not landed comes back through the queue after
        // a real-time wait, due at once.
        let started = std::time::Instant::now();
        worker.hold(sent(1, 2), 1_000);
        assert_eq!(worker.due.len(), 1);
        let back = tokio::time::timeout(Duration::from_secs(5), worker.receiver.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((back.message.early, back.delay_seconds), (1, 0));
        assert!(started.elapsed() >= Duration::from_millis(2 * EARLY_WAIT_MS));
        drop(queue);
    }

    #[tokio::test]
    async fn on_the_real_clock_early_messages_are_held_like_any_other() {
        let (_queue, mut worker) = channel(false);
        worker.hold(sent(1, 2), 1_000);
        assert_eq!(worker.due.peek(), Some(&Reverse((3_000, 1))));
    }
}
