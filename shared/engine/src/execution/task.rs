//! The Task state: schedule the task effect, then take its outcome, timeout or heartbeat timeout.

use serde_json::{json, Value};

use super::dataflow::{no_results, size_exceeds};
use super::inspection::Stage;
use super::jsonata_eval::States;
use super::snapshot::{Phase, Thread, ThreadId, Waiter};
use super::stepper::{data_limit_failure, failure_details, input_text, Flow, Stepper};
use super::{Effect, TaskRequest};
use crate::definition::{IntOrPath, Task};
use crate::failure::{names, Failure};

/// `arn:aws:states:::lambda:invoke` gives `("lambda", "invoke")`, as `TaskScheduled` records them.
fn resource_type_and_name(resource: &str) -> (String, String) {
    let rest = resource.splitn(6, ':').nth(5).unwrap_or(resource);
    match rest.split_once(':') {
        Some((service, action)) => (service.to_owned(), action.to_owned()),
        None => (rest.to_owned(), String::new()),
    }
}

impl<'a> Stepper<'a> {
    pub(super) fn task(&mut self, tid: ThreadId, thread: &mut Thread, task: &Task) -> Flow {
        match self.schedule(tid, thread, task) {
            Ok(()) => Flow::Park,
            Err(failure) => self.failed(thread, failure),
        }
    }

    fn schedule(&mut self, tid: ThreadId, thread: &mut Thread, task: &Task) -> Result<(), Failure> {
        self.task_token = task.kind.has_token().then(|| self.new_task_token());
        let prepared = self.task_input(thread, task);
        let task_token = self.task_token.take();
        let (input, timeout_seconds, heartbeat_seconds, credentials) = prepared?;
        if let Some(problem) = parameter_problem(&task.resource, &input) {
            return Err(self.runtime_failure(
                thread,
                &format!(
                    "The Parameters '{}' could not be used to start the Task: [{problem}]",
                    input_text(&input)
                ),
            ));
        }
        let id = self.next_id();
        self.snap.waits.insert(id, Waiter::Task(tid));
        let timeout =
            timeout_seconds.map(|s| self.timer(Waiter::TaskTimeout(tid), self.now + to_ms(s)));
        let heartbeat = heartbeat_seconds
            .map(|s| self.timer(Waiter::HeartbeatTimeout(tid), self.now + to_ms(s)));
        let family = task.kind.event_family();
        let resource = task.resource.as_str();
        if family == "LambdaFunction" {
            self.record(&format!("{family}Scheduled"), None, || {
                let mut d = json!({"resource": resource, "input": input_text(&input), "inputDetails": {"truncated": false}});
                if let Some(t) = timeout_seconds {
                    d["timeoutInSeconds"] = t.into();
                }
                json!({"lambdaFunctionScheduledEventDetails": d})
            });
            self.record(&format!("{family}Started"), None, || json!({}));
        } else {
            let (resource_type, name) = resource_type_and_name(resource);
            self.record(&format!("{family}Scheduled"), None, || {
                let mut d = json!({"resourceType": resource_type, "resource": name, "region": "us-east-1",
                    "parameters": input_text(&input)});
                if let Some(t) = timeout_seconds {
                    d["timeoutInSeconds"] = t.into();
                }
                if let Some(h) = heartbeat_seconds {
                    d["heartbeatInSeconds"] = h.into();
                }
                json!({"taskScheduledEventDetails": d})
            });
            let (resource_type, name) = resource_type_and_name(resource);
            self.record(&format!("{family}Started"), None, || {
                json!({"taskStartedEventDetails": {"resourceType": resource_type, "resource": name}})
            });
        }
        self.effects.push(Effect::Invoke(Box::new(TaskRequest {
            task: id,
            state_name: self.state_of(thread).name.clone(),
            resource: task.resource.clone(),
            input,
            timeout_seconds,
            heartbeat_seconds,
            credentials,
            retry_count: thread.retry_count,
            task_token,
        })));
        thread.phase = Phase::AwaitTask {
            task: id,
            timeout,
            heartbeat,
            heartbeat_seconds,
        };
        Ok(())
    }

    /// A task token: opaque, unique within the execution, drawn from the execution's generator.
    fn new_task_token(&mut self) -> String {
        let a = super::context::next_random(&mut self.snap.rng);
        let b = super::context::next_random(&mut self.snap.rng);
        let nonce = format!("{a:016x}{b:016x}");
        if self.snap.options.task_tokens_name_execution {
            super::token::encode(&self.snap.execution.execution_arn, &nonce)
        } else {
            format!("{}-{nonce}", self.snap.execution.name)
        }
    }

    /// `SendTaskHeartbeat` for the task awaited as `task`: its heartbeat timer starts again.
    /// Nothing happens if the task is no longer awaited or has no `HeartbeatSeconds`.
    pub(super) fn task_heartbeat(&mut self, task: u64) {
        let Some(Waiter::Task(tid)) = self.snap.waits.get(&task).cloned() else {
            return;
        };
        let Some(thread) = self.snap.threads.get(&tid) else {
            return;
        };
        let Phase::AwaitTask {
            heartbeat: Some(old),
            heartbeat_seconds: Some(seconds),
            ..
        } = thread.phase
        else {
            return;
        };
        self.snap.waits.remove(&old);
        let new = self.timer(Waiter::HeartbeatTimeout(tid), self.now + to_ms(seconds));
        if let Some(Phase::AwaitTask { heartbeat, .. }) =
            self.snap.threads.get_mut(&tid).map(|t| &mut t.phase)
        {
            *heartbeat = Some(new);
        }
    }

    /// The task's parameters, timeouts and credentials: from `InputPath`/`Parameters` (JSONPath)
    /// or `Arguments` (JSONata; by default the state input).
    #[allow(clippy::type_complexity)]
    fn task_input(
        &mut self,
        thread: &Thread,
        task: &Task,
    ) -> Result<(Value, Option<u64>, Option<u64>, Option<Value>), Failure> {
        let effective = self.input_path(thread)?;
        let input = match (&task.arguments, &task.parameters) {
            (Some(args), _) => {
                let arguments =
                    self.jsonata(thread, args, "Arguments", States::input(&thread.input))?;
                self.inspect(thread, Stage::Arguments, &arguments);
                arguments
            }
            (None, Some(p)) => {
                let parameters = self.payload(thread, p, &effective, None)?;
                self.inspect(thread, Stage::Parameters, &parameters);
                parameters
            }
            (None, None) => effective.as_ref().clone(),
        };
        let timeout = self.seconds(
            thread,
            task.timeout_seconds.as_ref(),
            "TimeoutSeconds",
            &effective,
        )?;
        let heartbeat = self.seconds(
            thread,
            task.heartbeat_seconds.as_ref(),
            "HeartbeatSeconds",
            &effective,
        )?;
        let credentials = match &task.credentials {
            Some(c) => Some(self.payload(thread, c, &effective, None)?),
            None => None,
        };
        Ok((input, timeout, heartbeat, credentials))
    }

    /// `TimeoutSeconds`/`TimeoutSecondsPath` and the heartbeat equivalents.
    fn seconds(
        &mut self,
        thread: &Thread,
        field: Option<&IntOrPath>,
        name: &str,
        input: &Value,
    ) -> Result<Option<u64>, Failure> {
        match field {
            None => Ok(None),
            Some(IntOrPath::Value(n)) => Ok(u64::try_from(*n).ok()),
            Some(IntOrPath::Expression(t)) => {
                let value = self.jsonata(thread, t, name, States::input(input))?;
                match value.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(self.query_failure(
                        thread,
                        &format!("The timeout must be a positive integer, but was: {value}"),
                    )),
                }
            }
            Some(IntOrPath::Path(path)) => {
                let Some(value) = self.select(thread, path, input) else {
                    return Err(self.runtime_failure(thread, &no_results(path)));
                };
                match value.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(self.runtime_failure(
                        thread,
                        &format!(
                            "The value of the field '{}' must be a positive integer: {} == {value}",
                            path.text(),
                            path.text()
                        ),
                    )),
                }
            }
        }
    }

    /// A task effect's outcome arrived.
    pub(super) fn task_outcome(&mut self, task: u64, outcome: Result<Value, Failure>) {
        let Some(Waiter::Task(tid)) = self.snap.waits.remove(&task) else {
            return;
        };
        let Some(mut thread) = self.snap.threads.remove(&tid) else {
            return;
        };
        if !matches!(thread.phase, Phase::AwaitTask { task: t, .. } if t == task) {
            self.snap.threads.insert(tid, thread);
            return;
        }
        self.cancel_waits_of(&thread);
        let task_state = self.task_state(&thread);
        let resource = task_state.map_or("", |t| t.resource.as_str());
        let family = task_state.map_or("Task", |t| t.kind.event_family());
        let (resource_type, name) = resource_type_and_name(resource);
        let limit = self.snap.options.payload_limit_bytes;
        thread.phase = match outcome {
            Ok(output) => {
                self.record(&format!("{family}Succeeded"), None, || {
                    let mut d = json!({"output": input_text(&output), "outputDetails": {"truncated": false}});
                    if family == "Task" {
                        d["resourceType"] = resource_type.clone().into();
                        d["resource"] = name.clone().into();
                    }
                    json!({"taskSucceededEventDetails": d})
                });
                if size_exceeds(&output, limit) {
                    Phase::Failed(data_limit_failure(if family == "LambdaFunction" {
                        resource
                    } else {
                        &resource_type
                    }))
                } else {
                    Phase::Complete(output)
                }
            }
            Err(failure) => {
                let timed_out = matches!(
                    failure.error.as_deref(),
                    Some(names::TIMEOUT | names::HEARTBEAT_TIMEOUT)
                );
                let kind = if timed_out { "TimedOut" } else { "Failed" };
                self.record(&format!("{family}{kind}"), None, || {
                    let mut d = failure_details(&failure);
                    if family == "Task" {
                        d["resourceType"] = resource_type.clone().into();
                        d["resource"] = name.clone().into();
                    }
                    json!({"taskFailedEventDetails": d})
                });
                Phase::Failed(failure)
            }
        };
        self.snap.threads.insert(tid, thread);
        self.snap.ready.push_back(tid);
    }

    /// The Task state `thread` is in.
    fn task_state(&self, thread: &Thread) -> Option<&'a Task> {
        match &self.state_of(thread).kind {
            crate::definition::StateKind::Task(t) => Some(t),
            _ => None,
        }
    }

    /// The task's `TimeoutSeconds` or `HeartbeatSeconds` passed first.
    pub(super) fn task_timed_out(&mut self, tid: ThreadId, heartbeat: bool) {
        let Some(mut thread) = self.snap.threads.remove(&tid) else {
            return;
        };
        if !matches!(thread.phase, Phase::AwaitTask { .. }) {
            self.snap.threads.insert(tid, thread);
            return;
        }
        self.cancel_waits_of(&thread);
        let family = self
            .task_state(&thread)
            .map_or("Task", |t| t.kind.event_family());
        // AWS reports an expired heartbeat as States.Timeout too (recorded against AWS); the
        // timer kinds differ only in which deadline they watch.
        let _ = heartbeat;
        let failure = Failure::bare(names::TIMEOUT);
        self.record(
            &format!("{family}TimedOut"),
            None,
            || json!({"taskTimedOutEventDetails": failure_details(&failure)}),
        );
        thread.phase = Phase::Failed(failure);
        self.snap.threads.insert(tid, thread);
        self.snap.ready.push_back(tid);
    }
}

/// What AWS checks in an integration's parameters before it starts the task.
fn parameter_problem(resource: &str, parameters: &Value) -> Option<&'static str> {
    if resource.starts_with("arn:aws:states:::apigateway:invoke") {
        // Headers map each name to a list of values.
        let headers = parameters.get("Headers")?;
        let valid = headers.as_object().is_some_and(|h| {
            h.values()
                .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        });
        if !valid {
            return Some("The value of the field 'Headers' has an invalid format");
        }
    }
    None
}

fn to_ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000)
}
