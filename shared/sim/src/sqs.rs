//! The step queue and its dead-letter queue, as a standard SQS queue behaves under Lambda's
//! event source mapping: at-least-once and unordered delivery, per-message delays, batches of
//! up to ten, a visibility timeout after which a message that was not deleted comes back (all
//! of a batch whose invocation failed or died), partial batch responses, and redrive to the
//! dead-letter queue once a message was received more than `maxReceiveCount` times.

use std::collections::BTreeMap;

use quickstep_engine::execution::Millis;
use quickstep_service::records::StepMessage;

use crate::calls::Call;
use crate::faults::Fault;
use crate::world::World;

#[derive(Debug, Clone)]
pub struct Message {
    pub body: StepMessage,
    pub visible_at: Millis,
    pub receives: u32,
}

#[derive(Debug, Default)]
pub struct Sqs {
    pub queue: BTreeMap<u64, Message>,
    pub dlq: BTreeMap<u64, Message>,
    polling: bool,
    dlq_polling: bool,
    /// Worker invocations running now.
    running: usize,
    pub sent: u64,
}

impl World {
    /// A message sent with `delay_seconds` (SQS adds a little jitter of its own).
    pub fn sqs_send(&mut self, body: StepMessage, delay_seconds: u32) {
        let jitter = self.rng.between(0, 30);
        let visible_at = self.now + i64::from(delay_seconds) * 1000 + jitter;
        let id = self.id();
        let (v, c, e) = (body.version, body.claim, body.early);
        self.note(|| format!("sqs send #{id} v{v} claim {c:x} early {e} delay {delay_seconds}"));
        self.sqs.sent += 1;
        self.sqs.queue.insert(
            id,
            Message {
                body,
                visible_at,
                receives: 0,
            },
        );
        self.schedule_poll(visible_at);
    }

    fn schedule_poll(&mut self, not_before: Millis) {
        if self.sqs.polling {
            return;
        }
        self.sqs.polling = true;
        let at = not_before.max(self.now + self.rng.between(5, 60));
        self.at(at, World::sqs_poll);
    }

    /// Lambda's poller: receives a batch of visible messages and invokes the worker with it.
    fn sqs_poll(&mut self) {
        self.sqs.polling = false;
        let now = self.now;
        let mut visible: Vec<u64> = self
            .sqs
            .queue
            .iter()
            .filter(|(_, m)| m.visible_at <= now)
            .map(|(id, _)| *id)
            .collect();
        self.rng.shuffle(&mut visible);
        let room = self
            .settings
            .max_concurrency
            .saturating_sub(self.sqs.running);
        if !visible.is_empty() && room > 0 {
            let size = 1 + self.rng.below(self.settings.batch_size);
            let mut batch = Vec::new();
            for id in visible.into_iter().take(size) {
                let visibility = self.settings.visibility_timeout_ms;
                let Some(message) = self.sqs.queue.get_mut(&id) else {
                    continue;
                };
                message.receives += 1;
                if message.receives > self.settings.max_receive_count {
                    if let Some(dead) = self.sqs.queue.remove(&id) {
                        self.faults.count(Fault::DeadLettered);
                        self.dlq_put(dead);
                    }
                    continue;
                }
                if message.receives > 1 {
                    self.faults.count(Fault::Redelivery);
                }
                message.visible_at = now + visibility;
                let body = message.body.clone();
                if self.rng.chance(self.settings.duplicate_rate) {
                    // At-least-once: another poller gets it too, a moment later.
                    self.faults.count(Fault::DuplicateDelivery);
                    let copy = self.id();
                    let mut again = self.sqs.queue[&id].clone();
                    again.visible_at = now + self.rng.between(0, 200);
                    self.sqs.queue.insert(copy, again);
                }
                if self.dynamo.version_of(&body.execution_arn) < Some(body.version) {
                    self.faults.count(Fault::EarlyDelivery);
                }
                let (v, c) = (body.version, body.claim);
                self.note(|| format!("deliver #{id} v{v} claim {c:x}"));
                batch.push((id, body));
            }
            if !batch.is_empty() {
                self.invoke_worker(batch);
            }
        }
        if let Some(next) = self.sqs.queue.values().map(|m| m.visible_at).min() {
            self.schedule_poll(next);
        }
    }

    fn invoke_worker(&mut self, batch: Vec<(u64, StepMessage)>) {
        self.sqs.running += 1;
        let deadline = self.now + self.settings.worker_timeout_ms;
        let ids: Vec<u64> = batch.iter().map(|(id, _)| *id).collect();
        let messages = batch.into_iter().map(|(_, m)| m).collect();
        let invocation = self.start(Call::Steps { messages, deadline }, move |w, answered| {
            w.sqs.running -= 1;
            // A batch whose invocation died comes back whole after its visibility timeout;
            // otherwise only the messages that failed (partial batch response).
            if let Ok(results) = answered {
                for (id, result) in ids.iter().zip(results) {
                    if result.is_ok() {
                        w.sqs.queue.remove(id);
                    }
                }
            }
            let next = w.now;
            w.schedule_poll(next);
        });
        self.at(deadline, move |w| w.killed.push((invocation, true)));
    }

    fn dlq_put(&mut self, mut message: Message) {
        message.visible_at = self.now;
        message.receives = 0;
        let id = self.id();
        self.sqs.dlq.insert(id, message);
        if !self.sqs.dlq_polling {
            self.sqs.dlq_polling = true;
            let at = self.now + self.rng.between(10, 500);
            self.at(at, World::dlq_poll);
        }
    }

    /// The dead-letter queue's event source: one message per invocation here.
    fn dlq_poll(&mut self) {
        self.sqs.dlq_polling = false;
        let now = self.now;
        let visible = self
            .sqs
            .dlq
            .iter()
            .find(|(_, m)| m.visible_at <= now)
            .map(|(id, m)| (*id, m.body.clone()));
        if let Some((id, message)) = visible {
            let retry_at = now + self.settings.visibility_timeout_ms;
            if let Some(m) = self.sqs.dlq.get_mut(&id) {
                m.visible_at = retry_at;
            }
            self.start(Call::DeadLetter { message }, move |w, answered| {
                if matches!(answered.as_deref(), Ok([Ok(())])) {
                    w.sqs.dlq.remove(&id);
                }
            });
        }
        if let Some(next) = self.sqs.dlq.values().map(|m| m.visible_at).min() {
            self.sqs.dlq_polling = true;
            let at = next.max(self.now + 50);
            self.at(at, World::dlq_poll);
        }
    }
}
