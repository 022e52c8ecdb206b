//! The Lambda functions workflows call: how long each call takes and what it answers, drawn at
//! random, and the callers a callback task's resource hands its token to.

use std::collections::BTreeMap;

use quickstep_engine::execution::{Millis, TaskRequest};
use quickstep_engine::failure::Failure;
use quickstep_runtime::invoker::TaskOutcome;
use quickstep_service::callback::TaskAnswer;
use serde_json::{json, Value};

use crate::calls::Call;
use crate::faults::Fault;
use crate::world::World;

/// Every task call made, by execution ARN, task id and the call itself (state and input):
/// when each was made.
#[derive(Debug, Default)]
pub struct Lambda {
    pub calls: BTreeMap<(String, u64, String), Vec<Millis>>,
}

impl World {
    /// A task call arrives at its resource: recorded, and its outcome and duration drawn.
    /// A callback task's resource answers at once, and hands its token to a caller who
    /// answers (or not) later, perhaps before the worker has stored the token.
    pub fn task_call(&mut self, request: &TaskRequest) -> (Millis, TaskOutcome) {
        let execution = request.input["Payload"]["exec"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.lambda
            .calls
            .entry((
                execution,
                request.task,
                format!("{} {}", request.state_name, request.input),
            ))
            .or_default()
            .push(self.now);
        let (task, state) = (request.task, request.state_name.clone());
        self.note(|| format!("call task {task} ({state})"));
        if let Some(token) = &request.task_token {
            let latency = self.latency(5, 150);
            self.hand_token(token.clone(), latency);
            return (latency, Ok(json!({"StatusCode": 202})));
        }
        let duration = if self.rng.chance(self.settings.long_task_rate) {
            self.faults.count(Fault::LongTask);
            self.rng.between(50_000, 200_000)
        } else {
            self.latency(5, 800)
        };
        let outcome = if self.rng.chance(0.2) {
            // With large data, one cause in two up to past Step Functions' 32,768 characters (drawn only
            // then, so the schedules of the other kinds stay as they were).
            let cause = if self.settings.large_input_rate > 0.0 && self.rng.chance(0.5) {
                let size = usize::try_from(self.rng.between(20_000, 40_000)).unwrap_or(0);
                "c".repeat(size)
            } else {
                "the simulated function failed".to_owned()
            };
            Err(Failure::new("Sim.Flaky", cause))
        } else {
            let n = self.rng.between(0, 1000);
            Ok(json!({"StatusCode": 200, "Payload": {"n": n}}))
        };
        (duration, outcome)
    }

    /// The caller holding `token`: heartbeats now and then, then success, failure, or silence.
    fn hand_token(&mut self, token: String, call_latency: Millis) {
        let mut at = self.now + self.rng.between(0, 2_000);
        if at <= self.now + call_latency {
            self.faults.count(Fault::EarlyAnswer);
        }
        let heartbeats = if self.rng.chance(0.4) {
            self.rng.between(1, 6)
        } else {
            0
        };
        for _ in 0..heartbeats {
            self.answer_at(at, token.clone(), TaskAnswer::Heartbeat);
            at += self.rng.between(500, 4_000);
        }
        let roll = self.rng.below(10);
        let answer = match roll {
            0..=5 => Some(TaskAnswer::Success(json!({"approved": roll % 2 == 0}))),
            6 | 7 => Some(TaskAnswer::Failure(Failure::new("Sim.Rejected", "no"))),
            _ => None,
        };
        if let Some(answer) = answer {
            self.answer_at(at, token, answer);
        }
    }

    fn answer_at(&mut self, at: Millis, token: String, answer: TaskAnswer) {
        self.at(at, move |w| w.send_answer(token, answer, 0));
    }

    /// Sends an answer; a refusal of a token the stored record still waits for is a violation;
    /// a failure of the service is tried again, as AWS's SDKs do.
    fn send_answer(&mut self, token: String, answer: TaskAnswer, attempt: u32) {
        let what = kind(&answer);
        self.note(|| {
            format!(
                "answer {what} to {}",
                &token[token.len().saturating_sub(12)..]
            )
        });
        let call = Call::Answer {
            token: token.clone(),
            answer: answer.clone(),
        };
        self.start(call, move |w, answered| match answered.as_deref() {
            Ok([Ok(())]) => {}
            Ok([Err(name)]) if name == "TaskTimedOut" || name == "InvalidToken" => {
                if let Some(task) = w.waiting_task(&token) {
                    w.violations.push(format!(
                        "an answer ({}) to the live token of task {task} was refused with {name}",
                        kind(&answer)
                    ));
                }
            }
            _ if attempt < 3 => {
                let at = w.now + 200;
                w.at(at, move |w| w.send_answer(token, answer, attempt + 1));
            }
            _ => {}
        });
    }

    /// The task of the stored record that waits for `token`, if any.
    pub fn waiting_task(&self, token: &str) -> Option<u64> {
        let arn = quickstep_engine::execution::token::execution_of(token)?;
        let record = self.dynamo.execution(&arn)?;
        let stored = record
            .callbacks
            .iter()
            .find(|c| c.token == token)
            .map(|c| c.task);
        let calling = record.pending.iter().find_map(|effect| match effect {
            quickstep_engine::execution::Effect::Invoke(r)
                if r.task_token.as_deref() == Some(token) =>
            {
                Some(r.task)
            }
            _ => None,
        });
        stored
            .or(calling)
            .filter(|task| record.snapshot.awaits(*task))
    }
}

fn kind(answer: &TaskAnswer) -> &'static str {
    match answer {
        TaskAnswer::Success(_) => "success",
        TaskAnswer::Failure(_) => "failure",
        TaskAnswer::Heartbeat => "heartbeat",
    }
}

/// The input of a simulated function call names its execution (for counting calls).
pub fn payload() -> Value {
    json!({"exec.$": "$$.Execution.Id"})
}
