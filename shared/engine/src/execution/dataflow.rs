//! Input and output processing: InputPath, Parameters, ResultSelector, ResultPath, OutputPath,
//! with the errors AWS raises when a path does not match.

use std::borrow::Cow;

use serde_json::Value;

use super::context::{EvalScope, StateContext, Vars};
use super::inspection::Stage;
use super::snapshot::{Measured, Thread};
use super::stepper::Stepper;
use crate::definition::{PathField, Payload, PayloadError, StateKind, StateMachine};
use crate::failure::{names, Failure};
use crate::jsonpath::{Path, Segment};

impl Stepper<'_> {
    /// The prefix AWS puts on runtime failure causes.
    pub fn runtime_prefix(&self, thread: &Thread) -> String {
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). ",
            self.state_of(thread).name,
            thread.entered_event_id
        )
    }

    pub fn runtime_failure(&self, thread: &Thread, message: &str) -> Failure {
        Failure::runtime(format!("{}{message}", self.runtime_prefix(thread)))
    }

    /// The scope paths and templates of `thread`'s state are evaluated in, with `input` as `$`.
    pub fn eval_scope<'s>(
        &'s mut self,
        thread: &'s Thread,
        input: &'s Value,
        map_item: Option<(usize, &'s Value)>,
    ) -> EvalScope<'s> {
        let ctx = state_context(self.machine, self.task_token.as_deref(), thread, map_item);
        let vars = Vars {
            scopes: &self.snap.scopes,
            scope: thread.scope,
        };
        EvalScope::new(input, &self.snap.execution, ctx, &mut self.snap.rng, vars)
    }

    /// Evaluates a path against `input` (and the context), or `None` if it selects nothing.
    pub fn select(&mut self, thread: &Thread, path: &Path, input: &Value) -> Option<Value> {
        self.eval_scope(thread, input, None).resolve(path)
    }

    /// The effective input: `InputPath` applied to the raw input, borrowed when it is all of it.
    #[inline]
    pub fn input_path<'t>(&mut self, thread: &'t Thread) -> Result<Cow<'t, Value>, Failure> {
        let state = self.state_of(thread);
        let effective = match &state.input_path {
            PathField::Whole => Cow::Borrowed(&thread.input),
            PathField::Discard => Cow::Owned(Value::Object(serde_json::Map::new())),
            PathField::Path(path) => match self.select(thread, path, &thread.input) {
                Some(v) => Cow::Owned(v),
                None => return Err(self.runtime_failure(thread, &no_results(path))),
            },
        };
        if self.snap.inspection.is_some() {
            self.inspect(thread, Stage::InputPath, &effective);
        }
        Ok(effective)
    }

    /// The effective input as an owned value, taking the raw input rather than copying it when
    /// nothing else will need it (no `InputPath`, and `ResultPath` replaces the input).
    pub fn take_input(
        &mut self,
        thread: &mut Thread,
        result_path_whole: bool,
    ) -> Result<Value, Failure> {
        let whole = matches!(self.state_of(thread).input_path, PathField::Whole);
        if whole && result_path_whole && self.snap.inspection.is_none() {
            return Ok(std::mem::take(&mut thread.input));
        }
        self.input_path(thread).map(Cow::into_owned)
    }

    /// Applies `OutputPath`. On failure the value comes back with it, so that a state whose
    /// output was its input can put the input back.
    #[inline]
    pub fn output_path(
        &mut self,
        thread: &Thread,
        field: &PathField,
        value: Value,
    ) -> Result<Value, (Failure, Value)> {
        match field {
            PathField::Whole => Ok(value),
            PathField::Discard => Ok(Value::Object(serde_json::Map::new())),
            PathField::Path(path) => match self.select(thread, path, &value) {
                Some(v) => Ok(v),
                None => Err((self.runtime_failure(thread, &no_results(path)), value)),
            },
        }
    }

    /// Fills in a payload template with `input` as `$`.
    pub fn payload(
        &mut self,
        thread: &Thread,
        payload: &Payload,
        input: &Value,
        map_item: Option<(usize, &Value)>,
    ) -> Result<Value, Failure> {
        let result = payload.evaluate(&mut self.eval_scope(thread, input, map_item));
        result.map_err(|e| match e {
            PayloadError::PathNotFound { field, path } => self.runtime_failure(
                thread,
                &format!(
                    "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
                    super::stepper::input_text(input)
                ),
            ),
            PayloadError::Failed(mut failure) => {
                if failure.error.as_deref() == Some(names::RUNTIME)
                    || failure.error.as_deref() == Some(names::INTRINSIC_FAILURE)
                {
                    let prefix = self.runtime_prefix(thread);
                    failure.cause = Some(format!("{prefix}{}", failure.cause.unwrap_or_default()));
                }
                failure
            }
        })
    }

    /// Places `result` into `input` as `ResultPath` says. On failure the input comes back with
    /// the failure, unchanged, so a Catch can still use it.
    pub fn result_path(
        &mut self,
        field: &PathField,
        input: Value,
        result: Value,
    ) -> Result<Value, (Failure, Value)> {
        match field {
            PathField::Whole => Ok(result),
            PathField::Discard => Ok(input),
            PathField::Path(path) => path.insert(input, result).map_err(|input| {
                // AWS: `Unable to apply ReferencePath $.a.b to input "{\"a\":\"x\"}"`.
                let quoted =
                    serde_json::to_string(&super::stepper::input_text(&input)).unwrap_or_default();
                let failure = Failure::new(
                    names::RESULT_PATH_MATCH_FAILURE,
                    format!(
                        "Unable to apply ReferencePath {} to input {quoted}",
                        path.text()
                    ),
                );
                (failure, input)
            }),
        }
    }
}

/// What the context object says about `thread`'s current state.
pub fn state_context<'t>(
    machine: &'t StateMachine,
    task_token: Option<&'t str>,
    thread: &'t Thread,
    map_item: Option<(usize, &'t Value)>,
) -> StateContext<'t> {
    let state = machine.branch(thread.branch).state(thread.state);
    let retry_count = matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
    )
    .then_some(thread.retry_count);
    StateContext {
        name: &state.name,
        entered_time: thread.entered_time,
        retry_count,
        map_item,
        task_token,
    }
}

/// `Invalid path '$.a' : No results for path: $['a']`, as AWS words it.
pub fn no_results(path: &Path) -> String {
    format!(
        "Invalid path '{}' : No results for path: {}",
        path.text(),
        normalized(path)
    )
}

/// A path in Jayway's normalized form: `$['a'][0]`.
pub fn normalized(path: &Path) -> String {
    let Some(segments) = path.segments() else {
        return path.text().to_owned();
    };
    let mut out = String::from(if matches!(path.root(), crate::jsonpath::Root::Context) {
        "$$"
    } else {
        "$"
    });
    for s in segments {
        match s {
            Segment::Field(f) => {
                out.push_str("['");
                out.push_str(f);
                out.push_str("']");
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// True if `value` would serialize to more than `limit` bytes.
pub fn size_exceeds(value: &Value, limit: usize) -> bool {
    measure(value, limit).is_none()
}

/// What `value` is against the payload `limit`: `None` if its text would be longer. Walks the
/// value without serializing it, and stops as soon as its estimate passes a sixth of the limit
/// (within that, the walk's estimate is the measure); beyond, it is measured exactly.
pub(crate) fn measure(value: &Value, limit: usize) -> Option<Measured> {
    /// The estimated text size of a scalar; `None` for an array or object.
    fn scalar(v: &Value) -> Option<isize> {
        match v {
            Value::Null | Value::Bool(_) => Some(5),
            Value::Number(_) => Some(8),
            Value::String(s) => Some(isize::try_from(s.len()).unwrap_or(isize::MAX) + 2),
            Value::Array(_) | Value::Object(_) => None,
        }
    }
    /// Takes an item's size from the budget, its scalars without a call of their own: most
    /// of what a state's data holds.
    fn item(v: &Value, budget: &mut isize) -> bool {
        match scalar(v) {
            Some(size) => {
                *budget -= size;
                *budget < 0
            }
            None => walk(v, budget),
        }
    }
    fn walk(v: &Value, budget: &mut isize) -> bool {
        match v {
            Value::Array(items) => {
                *budget -= 2;
                for v in items {
                    if item(v, budget) {
                        return true;
                    }
                }
            }
            Value::Object(map) => {
                *budget -= 2;
                for (k, v) in map {
                    *budget -= isize::try_from(k.len()).unwrap_or(isize::MAX) + 4;
                    if item(v, budget) {
                        return true;
                    }
                }
            }
            scalar_value => *budget -= scalar(scalar_value).unwrap_or(0),
        }
        *budget < 0
    }
    // The walk's estimate is at most six times short of the text: a string's control
    // characters are written `\u00XX`, six bytes each, and a number takes up to 24 bytes, not
    // 8. Within a sixth of the limit it fits; beyond, it is measured exactly.
    let sixth = isize::try_from(limit / 6).unwrap_or(isize::MAX);
    let mut budget = sixth;
    if !walk(value, &mut budget) {
        return Some(Measured::Estimate(
            usize::try_from(sixth - budget).unwrap_or(0),
        ));
    }
    (!serialized_exceeds(value, limit)).then_some(Measured::Fits)
}

/// The walk's estimate of a value made of measured parts, if it is still within a sixth of
/// `limit` (a value whose estimate is, fits: see [`measure`]).
pub(crate) fn bound(parts: &[Measured], extra: usize, limit: usize) -> Option<Measured> {
    let mut total = extra;
    for part in parts {
        match part {
            Measured::Estimate(e) => total = total.saturating_add(*e),
            Measured::No | Measured::Fits => return None,
        }
    }
    (total <= limit / 6).then_some(Measured::Estimate(total))
}

/// True if `value` serializes to more than `limit` bytes: counted as it is written, without
/// keeping the text (a payload near the limit is hundreds of kilobytes), and stopped as soon as
/// the limit is passed.
fn serialized_exceeds(value: &Value, limit: usize) -> bool {
    struct Counter {
        written: usize,
        limit: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.written += buf.len();
            if self.written > self.limit {
                // Stops the serializer: the answer is known.
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { written: 0, limit };
    serde_json::to_writer(&mut counter, value).is_err()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_measure_is_the_walks_estimate_within_a_sixth_of_the_limit() {
        // {"a": "xy"}: braces 2, key 1 + 4, string 2 + 2.
        assert_eq!(
            measure(&json!({"a": "xy"}), 600),
            Some(Measured::Estimate(11))
        );
        // Past a sixth of the limit it is measured exactly: within, or over.
        assert_eq!(measure(&json!("x".repeat(200)), 600), Some(Measured::Fits));
        assert_eq!(measure(&json!("x".repeat(700)), 600), None);
    }

    #[test]
    fn a_bound_sums_estimates_and_stops_at_a_sixth_of_the_limit() {
        let e = Measured::Estimate;
        assert_eq!(bound(&[e(40), e(50)], 10, 600), Some(e(100)));
        assert_eq!(bound(&[e(40), e(50)], 11, 600), None);
        // A part only known to fit, or not measured, bounds nothing.
        assert_eq!(bound(&[e(1), Measured::Fits], 0, 600), None);
        assert_eq!(bound(&[e(1), Measured::No], 0, 600), None);
    }
}
