//! The simple states: Pass, Choice, Wait, Succeed and Fail.

use serde_json::Value;

use super::context::EvalScope;
use super::snapshot::{Phase, Thread, ThreadId, Waiter};
use super::stepper::{Flow, Stepper};
use crate::choice::Choice;
use crate::definition::{Fail, Pass, PathField, StringOrPath, Wait, WaitFor};
use crate::failure::{names, Failure};
use crate::jsonpath::Path;
use crate::timestamp;

impl Stepper<'_> {
    pub(super) fn pass(&mut self, thread: &mut Thread, pass: &Pass) -> Result<(), Failure> {
        let result = match (&pass.result, &pass.parameters) {
            (Some(result), _) => {
                self.input_path(thread)?;
                result.clone()
            }
            (None, Some(parameters)) => {
                let effective = self.input_path(thread)?;
                self.payload(thread, parameters, &effective, None)?
            }
            (None, None) => {
                let whole = matches!(pass.result_path, PathField::Whole);
                self.take_input(thread, whole)?
            }
        };
        thread.phase = Phase::Complete(result);
        Ok(())
    }

    pub(super) fn succeed(&mut self, thread: &mut Thread) -> Result<(), Failure> {
        let effective = self.take_input(thread, true)?;
        thread.phase = Phase::Complete(effective);
        Ok(())
    }

    pub(super) fn choice(
        &mut self,
        thread: &mut Thread,
        choices: &[(Choice, usize)],
        default: Option<usize>,
    ) -> Flow {
        let next = {
            let effective = match self.input_path(thread) {
                Ok(v) => v,
                Err(f) => return self.failed(thread, f),
            };
            let ctx = super::dataflow::state_context(
                self.machine,
                self.task_token.as_deref(),
                thread,
                None,
            );
            let scope = EvalScope::new(
                effective.as_ref(),
                &self.snap.execution,
                ctx,
                &mut self.snap.rng,
            );
            let mut found = Ok(None);
            for (choice, next) in choices {
                match choice.rule.evaluate(&scope) {
                    Ok(true) => {
                        found = Ok(Some(*next));
                        break;
                    }
                    Ok(false) => {}
                    Err(f) => {
                        found = Err(f);
                        break;
                    }
                }
            }
            found
        };
        let next = match next {
            Ok(Some(n)) => n,
            Ok(None) => match default {
                Some(d) => d,
                None => {
                    let name = &self.state_of(thread).name;
                    let failure = Failure::new(
                        names::NO_CHOICE_MATCHED,
                        format!("No Matches! at state '{name}'"),
                    );
                    return self.failed(thread, failure);
                }
            },
            Err(mut f) => {
                if f.error.as_deref() == Some(names::RUNTIME) {
                    f.cause = Some(format!(
                        "{}{}",
                        self.runtime_prefix(thread),
                        f.cause.unwrap_or_default()
                    ));
                }
                return self.failed(thread, f);
            }
        };
        let state = self.state_of(thread);
        let effective = match self.take_input(thread, true) {
            Ok(v) => v,
            Err(f) => return self.failed(thread, f),
        };
        let output = match self.output_path(thread, &state.output_path, effective) {
            Ok(v) => v,
            Err(f) => return self.failed(thread, f),
        };
        self.record_exit(state, &output);
        self.goto(thread, next, output);
        Flow::Continue
    }

    pub(super) fn failed(&mut self, thread: &mut Thread, failure: Failure) -> Flow {
        thread.phase = Phase::Failed(failure);
        Flow::Continue
    }

    pub(super) fn wait(&mut self, tid: ThreadId, thread: &mut Thread, wait: &Wait) -> Flow {
        let effective = match self.take_input(thread, true) {
            Ok(v) => v,
            Err(f) => return self.failed(thread, f),
        };
        let until = match &wait.wait_for {
            WaitFor::Seconds(s) => Ok(self.now + s.saturating_mul(1000)),
            WaitFor::Timestamp(ms) => Ok(*ms),
            WaitFor::SecondsPath(path) => self.seconds_from_path(thread, path, &effective),
            WaitFor::TimestampPath(path) => self.timestamp_from_path(thread, path, &effective),
        };
        let until = match until {
            Ok(u) => u,
            Err(f) => return self.failed(thread, f),
        };
        if until <= self.now {
            thread.phase = Phase::Complete(effective);
            return Flow::Continue;
        }
        let timer = self.timer(Waiter::Timer(tid), until);
        thread.phase = Phase::AwaitWait {
            timer,
            output: effective,
        };
        Flow::Park
    }

    fn seconds_from_path(
        &mut self,
        thread: &Thread,
        path: &Path,
        input: &Value,
    ) -> Result<i64, Failure> {
        let Some(value) = self.select(thread, path, input) else {
            return Err(self.runtime_failure(
                thread,
                &format!(
                    "The SecondsPath parameter does not reference an input value: {}",
                    path.text()
                ),
            ));
        };
        match value.as_i64() {
            Some(s) if s >= 0 && (value.is_i64() || value.is_u64()) => {
                Ok(self.now + s.saturating_mul(1000))
            }
            _ => Err(self.runtime_failure(
                thread,
                &format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                    path.text(),
                    plain_text(&value)
                ),
            )),
        }
    }

    fn timestamp_from_path(
        &mut self,
        thread: &Thread,
        path: &Path,
        input: &Value,
    ) -> Result<i64, Failure> {
        let Some(value) = self.select(thread, path, input) else {
            return Err(self.runtime_failure(
                thread,
                &format!(
                    "The TimestampPath parameter does not reference an input value: {}",
                    path.text()
                ),
            ));
        };
        value.as_str().and_then(timestamp::parse_millis).ok_or_else(|| {
            self.runtime_failure(
                thread,
                &format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                    path.text(),
                    plain_text(&value)
                ),
            )
        })
    }

    /// The Fail state's error and cause.
    pub(super) fn fail(&mut self, thread: &Thread, fail: &Fail) -> Result<Failure, Failure> {
        let input = thread.input.clone();
        let error = self.fail_field(thread, fail.error.as_ref(), "ErrorPath", &input)?;
        let cause = self.fail_field(thread, fail.cause.as_ref(), "CausePath", &input)?;
        Ok(Failure { error, cause })
    }

    fn fail_field(
        &mut self,
        thread: &Thread,
        field: Option<&StringOrPath>,
        name: &str,
        input: &Value,
    ) -> Result<Option<String>, Failure> {
        let value = match field {
            None => return Ok(None),
            Some(StringOrPath::Value(s)) => return Ok(Some(s.clone())),
            Some(StringOrPath::Path(path)) => self.select(thread, path, input).ok_or_else(|| {
                self.runtime_failure(
                    thread,
                    &format!(
                        "The JSONPath '{}' specified for the field '{name}' could not be found in the input '{}'",
                        path.text(),
                        super::stepper::input_text(input)
                    ),
                )
            })?,
            Some(StringOrPath::Intrinsic(call)) => {
                let ctx = super::dataflow::state_context(self.machine, self.task_token.as_deref(), thread, None);
                let mut scope = EvalScope::new(input, &self.snap.execution, ctx, &mut self.snap.rng);
                call.evaluate(&mut scope, name)?
            }
        };
        match value {
            Value::String(s) => Ok(Some(s)),
            other => Err(self.runtime_failure(
                thread,
                &format!("The {name} field must reference a string value, but found: {other}"),
            )),
        }
    }
}

/// A value as AWS quotes it in messages: strings bare, everything else as JSON.
pub(super) fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
