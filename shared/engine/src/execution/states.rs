//! The simple states: Pass, Choice, Wait, Succeed and Fail.

use serde_json::Value;

use super::inspection::Stage;
use super::jsonata_eval::States;
use super::snapshot::{Phase, Thread, ThreadId, Waiter};
use super::stepper::{Flow, Stepper};
use crate::definition::{
    ChoiceBranch, Condition, Fail, Pass, PathField, QueryLanguage, State, StringOrPath, Wait,
    WaitFor,
};
use crate::failure::{names, Failure};
use crate::jsonpath::Path;
use crate::timestamp;
pub(super) use crate::value_type::json_type;

impl Stepper<'_> {
    /// A Pass state's result (in JSONata, its input: `Output` is computed from it as it
    /// completes).
    pub(super) fn pass(&mut self, thread: &mut Thread, pass: &Pass) -> Result<Value, Failure> {
        if self.state_of(thread).language == QueryLanguage::Jsonata {
            return Ok(std::mem::take(&mut thread.input));
        }
        let result = match (&pass.result, &pass.parameters) {
            (Some(result), _) => {
                self.input_path(thread)?;
                result.clone()
            }
            (None, Some(parameters)) => {
                let effective = self.input_path(thread)?;
                let parameters = self.payload(thread, parameters, &effective, None)?;
                self.inspect(thread, Stage::Parameters, &parameters);
                parameters
            }
            (None, None) => {
                let whole = matches!(pass.result_path, PathField::Whole);
                self.take_input(thread, whole)?
            }
        };
        Ok(result)
    }

    /// A Succeed state's effective input, its result.
    pub(super) fn succeed(&mut self, thread: &mut Thread) -> Result<Value, Failure> {
        self.take_input(thread, true)
    }

    pub(super) fn choice(
        &mut self,
        thread: &mut Thread,
        state: &State,
        choices: &[ChoiceBranch],
        default: Option<usize>,
    ) -> Flow {
        let matched = match self.first_match(thread, choices) {
            Ok(m) => m,
            Err(f) => return self.failed(thread, f),
        };
        let next = match (matched, default) {
            (Some(branch), _) => branch.next,
            (None, Some(d)) => d,
            (None, None) => {
                let failure = Failure::new(
                    names::NO_CHOICE_MATCHED,
                    format!("No Matches! at state '{}'", state.name),
                );
                return self.failed(thread, failure);
            }
        };
        let assign = matched
            .and_then(|b| b.assign.as_ref())
            .or(state.assign.as_ref());
        // Without InputPath the effective input is the thread's, taken: if the state fails,
        // it goes back (a redrive runs the state again with it). A JSONPath Choice without
        // InputPath or OutputPath passes its input on as it is, measure and all.
        let whole = matches!(state.input_path, PathField::Whole);
        let measured = if state.language == QueryLanguage::JsonPath
            && whole
            && matches!(state.output_path, PathField::Whole)
        {
            thread.input_measured
        } else {
            super::snapshot::Measured::No
        };
        let outcome = match state.language {
            QueryLanguage::JsonPath => self.take_input(thread, true).and_then(|effective| {
                let assigned = match assign {
                    Some(a) => match self.evaluate_assign(thread, a, &effective, None) {
                        Ok(vars) => Some(vars),
                        Err(failure) => {
                            if whole {
                                thread.input = effective;
                            }
                            return Err(failure);
                        }
                    },
                    None => None,
                };
                match self.output_path(thread, &state.output_path, effective) {
                    Ok(output) => Ok((output, assigned)),
                    Err((failure, effective)) => {
                        if whole {
                            thread.input = effective;
                        }
                        Err(failure)
                    }
                }
            }),
            QueryLanguage::Jsonata => {
                let input = std::mem::take(&mut thread.input);
                let states = States::input(&input);
                let assigned = match assign {
                    Some(a) => self
                        .evaluate_assign(thread, a, &input, Some(states))
                        .map(Some),
                    None => Ok(None),
                };
                let output_template = matched
                    .and_then(|b| b.output.as_ref())
                    .or(state.output.as_ref());
                let output = match output_template {
                    Some(t) => self.jsonata(thread, t, "Output", states),
                    None => Ok(input.clone()),
                };
                // Back on the thread until it moves on (a failed state is redriven with it).
                thread.input = input;
                assigned.and_then(|a| output.map(|o| (o, a)))
            }
        };
        let (output, assigned) = match outcome {
            Ok(v) => v,
            Err(f) => return self.failed(thread, f),
        };
        // A JSONata Output can make more than the input: measured as every state's output is.
        let measured = if state.language == QueryLanguage::Jsonata {
            match super::dataflow::measure(&output, self.snap.options.payload_limit_bytes) {
                Some(measured) => measured,
                None => {
                    return self.failed(thread, super::stepper::data_limit_failure(&state.name))
                }
            }
        } else {
            measured
        };
        if let Some(vars) = assigned {
            super::variables::assign(&mut self.snap.scopes, thread.scope, vars);
        }
        self.record_exit(state, &output);
        self.goto(thread, next, output, measured);
        Flow::Continue
    }

    /// The first rule whose condition holds.
    fn first_match<'c>(
        &mut self,
        thread: &Thread,
        choices: &'c [ChoiceBranch],
    ) -> Result<Option<&'c ChoiceBranch>, Failure> {
        let effective = self.input_path(thread)?;
        for branch in choices {
            let holds = match &branch.condition {
                Condition::Rule(rule) => {
                    let holds = rule.evaluate(&self.eval_scope(thread, effective.as_ref(), None));
                    holds.map_err(|mut f| {
                        if f.error.as_deref() == Some(names::RUNTIME) {
                            f.cause = Some(format!(
                                "{}{}",
                                self.runtime_prefix(thread),
                                f.cause.unwrap_or_default()
                            ));
                        }
                        f
                    })?
                }
                Condition::Jsonata(template) => {
                    match self.jsonata(thread, template, "Condition", States::input(&thread.input))? {
                        Value::Bool(b) => b,
                        other => {
                            return Err(self.query_failure(
                                thread,
                                &format!(
                                    "The JSONata expression specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {other}",
                                    json_type(&other)
                                ),
                            ))
                        }
                    }
                }
            };
            if holds {
                return Ok(Some(branch));
            }
        }
        Ok(None)
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
            WaitFor::SecondsExpression(t) => self.jsonata(thread, t, "Seconds", States::input(&effective)).and_then(|v| {
                match v.as_i64() {
                    Some(s) if s >= 0 && (v.is_i64() || v.is_u64()) => Ok(self.now + s.saturating_mul(1000)),
                    _ => Err(self.query_failure(
                        thread,
                        &format!("The Seconds field must be a non-negative integer, but was: {v}"),
                    )),
                }
            }),
            WaitFor::TimestampExpression(t) => self.jsonata(thread, t, "Timestamp", States::input(&effective)).and_then(|v| {
                v.as_str().and_then(timestamp::parse_millis).ok_or_else(|| {
                    self.query_failure(
                        thread,
                        &format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                            plain_text(&v)
                        ),
                    )
                })
            }),
        };
        let until = match until {
            Ok(u) => u,
            Err(f) => {
                if matches!(self.state_of(thread).input_path, PathField::Whole) {
                    // The effective input was the thread's, taken: back for a redrive.
                    thread.input = effective;
                }
                return self.failed(thread, f);
            }
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

    /// The value a Wait state's `SecondsPath` or `TimestampPath` selects.
    fn wait_path_value(
        &mut self,
        thread: &Thread,
        field: &str,
        path: &Path,
        input: &Value,
    ) -> Result<Value, Failure> {
        self.select(thread, path, input).ok_or_else(|| {
            self.runtime_failure(
                thread,
                &format!(
                    "The {field} parameter does not reference an input value: {}",
                    path.text()
                ),
            )
        })
    }

    fn seconds_from_path(
        &mut self,
        thread: &Thread,
        path: &Path,
        input: &Value,
    ) -> Result<i64, Failure> {
        let value = self.wait_path_value(thread, "SecondsPath", path, input)?;
        match value.as_i64() {
            Some(s) if s < 0 => Err(self.runtime_failure(
                thread,
                &format!(
                    "The SecondsPath parameter references a negative value: {} == {}",
                    path.text(),
                    plain_text(&value)
                ),
            )),
            Some(s) if value.is_i64() || value.is_u64() => Ok(self.now + s.saturating_mul(1000)),
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
        let value = self.wait_path_value(thread, "TimestampPath", path, input)?;
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
            Some(StringOrPath::Expression(t)) => {
                let field = if name == "ErrorPath" { "Error" } else { "Cause" };
                self.jsonata(thread, t, field, States::input(input))?
            }
            Some(StringOrPath::Intrinsic(call)) => {
                call.evaluate(&mut self.eval_scope(thread, input, None), name)?
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
