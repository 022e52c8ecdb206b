//! Evaluating JSONata templates inside a state: `$states`, workflow variables, the engine's clock.

use serde_json::{Map, Value};

use super::context::{next_random, Vars};
use super::snapshot::Thread;
use super::stepper::Stepper;
use crate::definition::Template;
use crate::failure::{names, Failure};
use crate::jsonata::{Environment, Expression, Limits};

/// What `$states` holds for one evaluation.
#[derive(Clone, Copy)]
pub(super) struct States<'v> {
    pub input: &'v Value,
    pub result: Option<&'v Value>,
    pub error_output: Option<&'v Value>,
    pub map_item: Option<(usize, &'v Value)>,
}

impl<'v> States<'v> {
    pub fn input(input: &'v Value) -> Self {
        Self {
            input,
            result: None,
            error_output: None,
            map_item: None,
        }
    }
}

struct Env<'r> {
    now: i64,
    rng: &'r mut u64,
}

impl Environment for Env<'_> {
    fn now_millis(&self) -> i64 {
        self.now
    }

    fn random_u64(&mut self) -> u64 {
        next_random(self.rng)
    }
}

impl Stepper<'_> {
    /// Evaluates a template for the field `field` (as AWS names it in errors). An expression
    /// that gives nothing, fails, or gives a value JSON cannot hold is a
    /// `States.QueryEvaluationError` with AWS's cause.
    pub fn jsonata(
        &mut self,
        thread: &Thread,
        template: &Template,
        field: &str,
        states: States<'_>,
    ) -> Result<Value, Failure> {
        let mut states_value: Option<Value> = None;
        let mut evaluate = |expr: &Expression, path: &str| -> Result<Value, String> {
            let wanted = expr.variables();
            if states_value.is_none() && wanted.iter().any(|v| v == "states") {
                // The context object copies the execution input: build it only for expressions
                // whose text can reach it (a key spelled out elsewhere could not be named here).
                let with_context = expr.text().contains("context");
                states_value = Some(self.states_value(thread, states, with_context));
            }
            let vars = Vars {
                scopes: &self.snap.scopes,
                scope: thread.scope,
            };
            let mut bindings: Vec<(&str, &Value)> = Vec::with_capacity(wanted.len());
            for name in &wanted {
                if name == "states" {
                    if let Some(s) = &states_value {
                        bindings.push(("states", s));
                    }
                } else if let Some(v) = vars.get(name) {
                    bindings.push((name.as_str(), v));
                }
            }
            let mut env = Env {
                now: self.now,
                rng: &mut self.snap.rng,
            };
            let text = expr.text();
            match expr.evaluate(states.input, &bindings, &mut env, Limits::default()) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(format!(
                    "The JSONata expression '{text}' specified for the field '{path}' returned nothing (undefined)."
                )),
                Err(e) if e.code == crate::jsonata::codes::NOT_JSON => Err(format!(
                    "The JSONata expression '{text}' specified for the field '{path}' returned an unsupported result type."
                )),
                Err(e) => Err(format!(
                    "The JSONata expression '{text}' specified for the field '{path}' threw an error during evaluation. {}: {}",
                    e.code,
                    reference_message(&e)
                )),
            }
        };
        template
            .evaluate(field, &mut evaluate)
            .map_err(|message| self.query_failure(thread, &message))
    }

    pub fn query_failure(&self, thread: &Thread, message: &str) -> Failure {
        Failure::new(
            names::QUERY_EVALUATION_ERROR,
            format!("{}{message}", self.runtime_prefix(thread)),
        )
    }

    /// The `$states` object: `input`, `context`, and `result` or `errorOutput` where they exist.
    fn states_value(&mut self, thread: &Thread, states: States<'_>, with_context: bool) -> Value {
        let mut map = Map::new();
        map.insert("input".into(), states.input.clone());
        if with_context {
            let context = self
                .eval_scope(thread, states.input, states.map_item)
                .context_object();
            map.insert("context".into(), context);
        }
        if let Some(r) = states.result {
            map.insert("result".into(), r.clone());
        }
        if let Some(e) = states.error_output {
            map.insert("errorOutput".into(), e.clone());
        }
        Value::Object(map)
    }
}

/// The message as the JSONata reference implementation (which AWS runs) words it: jsonata-core
/// adds the function's name to T1006, the reference does not.
fn reference_message(e: &crate::jsonata::JsonataError) -> &str {
    if e.code == "T1006" {
        "Attempted to invoke a non-function"
    } else {
        &e.message
    }
}
