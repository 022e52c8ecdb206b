//! JSONata expressions (`QueryLanguage: "JSONata"`), evaluated the way Step Functions does.
//!
//! ```
//! use quickstep_engine::jsonata::{Environment, Expression, Limits};
//! use serde_json::json;
//!
//! struct Fixed;
//! impl Environment for Fixed {
//!     fn now_millis(&self) -> i64 { 0 }
//!     fn random_u64(&mut self) -> u64 { 4 }
//! }
//!
//! let expr = Expression::parse("$sum($states.input.prices) * 2").unwrap();
//! let states = json!({"input": {"prices": [1, 2, 3]}});
//! let result = expr
//!     .evaluate(&json!({}), &[("states", &states)], &mut Fixed, Limits::default())
//!     .unwrap();
//! assert_eq!(result, Some(json!(12)));
//! ```
//!
//! The language itself is the `jsonata-core` crate (a port of jsonata-js 2.x that passes its
//! reference suite). This layer adds what Step Functions changes:
//! - the functions it adds: `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`, `$parse`
//!   (see `functions.rs` for their rules);
//! - `$eval`, the one built-in it removes, fails as a call of a non-function (T1006);
//! - `$now()` and `$millis()` read the engine's clock ([`Environment::now_millis`], once per
//!   evaluation, as jsonata-js does), and randomness comes from [`Environment::random_u64`], so a
//!   run on the virtual clock is reproducible;
//! - evaluation is bounded ([`Limits`]): nesting depth (D1011) and wall time (D1012) are checked
//!   by the crate at every evaluation step, deep recursion runs on heap-allocated stack segments
//!   (never overflowing the caller's thread stack), and sequences are capped at
//!   [`MAX_SEQUENCE_LENGTH`] items (D2014/D2015);
//! - arguments that would exhaust memory or crash jsonata-core are refused
//!   ([`codes::INVALID_ARGUMENT`]): a `$pad` width past [`MAX_STRING_LENGTH`] characters, where
//!   jsonata-js would run out of memory, `$parseInteger` text outside ASCII, date/time pictures
//!   with a component outside ASCII or wider than [`MAX_PICTURE_WIDTH`] (see `guard.rs`);
//! - a result must be JSON: a function, NaN or an infinity is [`codes::NOT_JSON`], a value
//!   nested deeper than [`MAX_RESULT_DEPTH`] is [`codes::RESULT_TOO_DEEP`].
//!
//! Error codes are jsonata-js's (`T2001`, `S0201`, `D3001`, ...) with the message jsonata-js
//! gives; the codes this layer adds start with `Q` and are listed in [`codes`].

mod functions;
mod guard;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::{with_stack, JArray, JValue};
use serde_json::Value;

/// The error codes this layer adds to jsonata-js's.
pub mod codes {
    /// The result is not a JSON value: a function (or a value holding one), NaN or an infinity.
    /// AWS reports it as "The JSONata expression '...' returned an unsupported result type."
    pub const NOT_JSON: &str = "Q1001";
    /// The result is nested deeper than [`super::MAX_RESULT_DEPTH`].
    pub const RESULT_TOO_DEEP: &str = "Q1002";
    /// `$parse` was given text that is not JSON.
    pub const PARSE_INVALID_JSON: &str = "Q1003";
    /// A Step Functions function (`$partition`, `$range`, `$hash`) was given an argument of the
    /// right type but an unusable value (a chunk size below 1, a step of 0, an unknown algorithm,
    /// a range of more than [`super::MAX_SEQUENCE_LENGTH`] items), or a built-in an argument it
    /// cannot be trusted with (a `$pad` width past [`super::MAX_STRING_LENGTH`], `$parseInteger`
    /// text outside ASCII, a date/time picture component outside ASCII or wider than
    /// [`super::MAX_PICTURE_WIDTH`]).
    pub const INVALID_ARGUMENT: &str = "Q1004";
    /// An error the crate raised without a jsonata code (should not happen; kept distinct).
    pub const UNCODED: &str = "Q1099";
    /// The nesting depth limit ([`super::Limits::max_depth`]) was exceeded.
    pub const DEPTH_EXCEEDED: &str = "D1011";
    /// The time limit ([`super::Limits::time_limit_ms`]) was exceeded.
    pub const TIME_EXCEEDED: &str = "D1012";
}

/// The most items a sequence (a range, a map, a filter, ...) may hold: jsonata-js's own limit on
/// the range operator (`[1..n]`, D2014), applied to every query result (D2015) and to `$range`.
pub const MAX_SEQUENCE_LENGTH: usize = 10_000_000;

pub use guard::{MAX_PICTURE_WIDTH, MAX_STRING_LENGTH};

/// The deepest nesting a result may have (an array or object counts one level). It is serde_json's
/// parsing limit, so every result can be stored in a snapshot and read back.
pub const MAX_RESULT_DEPTH: usize = 127;

/// A parsed JSONata expression (the text between `{%` and `%}`), compiled once per definition.
///
/// Cheap to clone (shared), and `Send + Sync`: parse once, evaluate from any thread.
#[derive(Clone)]
pub struct Expression {
    inner: Arc<Compiled>,
}

struct Compiled {
    text: String,
    ast: AstNode,
    /// Every `$name` the expression mentions (variables and called functions, bound or not).
    mentioned: BTreeSet<String>,
    /// The free variables: `mentioned` less the expression's own bindings and built-in functions.
    variables: Vec<String>,
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.inner.text).finish()
    }
}

/// A JSONata error with its code (e.g. "T2001", "S0201", "D3001") and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JsonataError {
    pub code: String,
    pub message: String,
}

impl JsonataError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Splits a crate message "T2001: text" into code and text.
    fn from_message(message: &str) -> Self {
        match find_code(message) {
            Some(at) => Self::new(
                &message[at..at + 5],
                message[at + 6..].trim_start().to_owned(),
            ),
            None => Self::new(codes::UNCODED, message),
        }
    }
}

/// The byte offset of the first `X9999:` code in `message` that starts it or follows a space.
fn find_code(message: &str) -> Option<usize> {
    let b = message.as_bytes();
    (0..b.len().saturating_sub(5)).find(|&i| {
        (i == 0 || b[i - 1] == b' ')
            && b[i].is_ascii_uppercase()
            && b[i + 1..i + 5].iter().all(u8::is_ascii_digit)
            && b[i + 5] == b':'
    })
}

impl From<EvaluatorError> for JsonataError {
    fn from(e: EvaluatorError) -> Self {
        Self::from_message(e.message())
    }
}

/// What an evaluation may do besides reading its input and bindings.
pub trait Environment {
    /// The engine's clock in ms since the epoch: `$now()` and `$millis()` must use this (virtual
    /// time stays deterministic).
    fn now_millis(&self) -> i64;
    /// Deterministic random bits (for `$random()` without a seed, `$uuid()`); never read a random
    /// generator yourself.
    fn random_u64(&mut self) -> u64;
}

/// Bounds on one evaluation; exceeding one is an error, never a crash or a hang.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The deepest evaluation nesting (jsonata-js's "stack" depth: each operator, path step and
    /// function call counts; a non-tail recursive call costs about three levels, a tail call
    /// none). Exceeding it is D1011.
    pub max_depth: usize,
    /// Wall-clock milliseconds one evaluation may take; checked at every evaluation step and
    /// every loop iteration of the higher-order functions. Exceeding it is D1012.
    pub time_limit_ms: u64,
    /// The longest sequence (range, mapped array, filter result…) an evaluation may build.
    /// Exceeding it is D2015 (D2014 for a range operator over JSONata's own 10,000,000).
    pub max_sequence_length: usize,
}

/// The engine's sequence cap: a million items is about 80 MB of evaluator values, which a small
/// Lambda worker survives; JSONata's own cap ([`MAX_SEQUENCE_LENGTH`]) is ten times that.
pub const ENGINE_MAX_SEQUENCE_LENGTH: usize = 1_000_000;

impl Default for Limits {
    /// Depth 1000 (about 300 nested non-tail calls; deep levels run on heap stack segments, so
    /// the caller's stack size does not matter), one second, and [`ENGINE_MAX_SEQUENCE_LENGTH`].
    fn default() -> Self {
        Self {
            max_depth: 1000,
            time_limit_ms: 1000,
            max_sequence_length: ENGINE_MAX_SEQUENCE_LENGTH,
        }
    }
}

impl Expression {
    pub fn parse(text: &str) -> Result<Expression, JsonataError> {
        guard::lambda_signatures(text)?;
        let mut ast = jsonata_core::parser::parse(text).map_err(|e| {
            let message = e.to_string();
            match find_code(&message) {
                Some(_) => JsonataError::from_message(&message),
                None => JsonataError::new(parse_error_code(&e), message),
            }
        })?;
        let mut walk = Walk::default();
        walk.node(&ast);
        // A range operator's bounds are checked by a host function (see guard.rs).
        let ranges = text.contains("..");
        guard::rewrite(&mut ast, &walk.mentioned, &walk.bound, ranges);
        let variables = walk
            .mentioned
            .iter()
            .filter(|name| {
                !walk.bound.contains(*name)
                    && !functions::is_builtin(name)
                    && !functions::ADDED.contains(&name.as_str())
            })
            .cloned()
            .collect();
        if ranges {
            // Not a variable: the host function the rewrite calls, registered as one.
            walk.mentioned.insert(guard::RANGE_BOUND.to_owned());
        }
        Ok(Expression {
            inner: Arc::new(Compiled {
                text: text.to_owned(),
                ast,
                mentioned: walk.mentioned,
                variables,
            }),
        })
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// Evaluates against `input` with named variable bindings (names without `$`), e.g. "states"
    /// -> {"input":..,"context":..}, and workflow variables.
    /// Ok(None) = undefined.
    ///
    /// Only the bindings the expression mentions are converted to the evaluator's values, so
    /// passing every workflow variable costs nothing for the ones it does not use.
    pub fn evaluate(
        &self,
        input: &Value,
        bindings: &[(&str, &Value)],
        env: &mut dyn Environment,
        limits: Limits,
    ) -> Result<Option<Value>, JsonataError> {
        self.evaluate_with_input(Some(input), bindings, env, limits)
    }

    /// [`Expression::evaluate`] with an input that may be undefined (`None`), as jsonata-js
    /// evaluates when given no input; the reference test suite has such cases.
    pub fn evaluate_with_input(
        &self,
        input: Option<&Value>,
        bindings: &[(&str, &Value)],
        env: &mut dyn Environment,
        limits: Limits,
    ) -> Result<Option<Value>, JsonataError> {
        let inner = &*self.inner;
        let mut context = Context::new();
        for (name, value) in bindings {
            if inner.mentioned.contains(*name) {
                context.bind((*name).to_owned(), to_jvalue(value));
            }
        }
        let options = EvaluatorOptions {
            timeout_ms: Some(limits.time_limit_ms),
            max_stack_depth: Some(limits.max_depth),
            max_sequence_length: Some(limits.max_sequence_length),
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(context, options);
        functions::register(&mut evaluator, &inner.mentioned, env)?;
        let data = input.map_or(JValue::Undefined, to_jvalue);
        let result = evaluator.evaluate(&inner.ast, &data)?;
        if result.is_undefined() {
            return Ok(None);
        }
        from_jvalue(&result, 0).map(Some)
    }

    /// The variables the expression reads from outside (names without `$`), sorted: every
    /// `$name` it mentions (as a value or called as a function), less the names it binds itself
    /// anywhere (`:=`, lambda parameters, `@$x`, `#$i`) and the built-in functions of JSONata and
    /// Step Functions. `$` and `$$` (the context) are not variables and are not listed.
    /// Best effort: a name both bound and read before its binding (`($y := $x; $x := 1)`) is
    /// not listed, nor is a workflow variable named like a built-in function (`$count`), which
    /// a binding of that name would shadow at run time.
    pub fn variables(&self) -> Vec<String> {
        self.inner.variables.clone()
    }
}

/// A code for the parse errors the crate leaves uncoded, as jsonata-js codes them.
fn parse_error_code(e: &jsonata_core::parser::ParserError) -> &'static str {
    use jsonata_core::parser::ParserError as P;
    match e {
        P::UnclosedComment => "S0106",
        P::InvalidNumber(_) => "S0102",
        _ => "S0201",
    }
}

/// Splits a Step Functions string that is exactly `{% expr %}` (leading/trailing whitespace
/// inside allowed, AWS requires the whole string to be the expression) into the expression text;
/// None otherwise.
pub fn template_expression(s: &str) -> Option<&str> {
    Some(s.strip_prefix("{%")?.strip_suffix("%}")?.trim())
}

/// Collects the `$names` an expression mentions and the ones it binds.
#[derive(Default)]
struct Walk {
    mentioned: BTreeSet<String>,
    bound: BTreeSet<String>,
}

impl Walk {
    fn name(&mut self, name: &str) {
        if !name.is_empty() {
            self.mentioned.insert(name.to_owned());
        }
    }

    fn node(&mut self, node: &AstNode) {
        with_stack(|| self.node_inner(node));
    }

    fn nodes<'a>(&mut self, nodes: impl IntoIterator<Item = &'a AstNode>) {
        for n in nodes {
            self.node(n);
        }
    }

    fn node_inner(&mut self, node: &AstNode) {
        match node {
            AstNode::Variable(name) => self.name(name),
            AstNode::Function { name, args, .. } => {
                self.name(name);
                self.nodes(args);
            }
            AstNode::Binary { op, lhs, rhs } => {
                if matches!(
                    op,
                    BinaryOp::ColonEqual | BinaryOp::FocusBind | BinaryOp::IndexBind
                ) {
                    if let AstNode::Variable(name) = &**lhs {
                        self.bound.insert(name.clone());
                    }
                }
                self.node(lhs);
                self.node(rhs);
            }
            AstNode::Lambda { params, body, .. } => {
                self.bound.extend(params.iter().cloned());
                self.node(body);
            }
            AstNode::Path { steps } => {
                for step in steps {
                    self.bound.extend(step.focus.iter().cloned());
                    self.bound.extend(step.index_var.iter().cloned());
                    self.node(&step.node);
                    for stage in &step.stages {
                        match stage {
                            Stage::Filter(n) => self.node(n),
                            Stage::Index(name) => {
                                self.bound.insert(name.clone());
                            }
                            Stage::KeepArray => {}
                        }
                    }
                }
            }
            AstNode::Unary { operand, .. } => self.node(operand),
            AstNode::Call { procedure, args } => {
                self.node(procedure);
                self.nodes(args);
            }
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                self.nodes(items);
            }
            AstNode::Object(pairs) => {
                for (k, v) in pairs {
                    self.node(k);
                    self.node(v);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                self.node(input);
                for (k, v) in pattern {
                    self.node(k);
                    self.node(v);
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                self.node(condition);
                self.node(then_branch);
                if let Some(e) = else_branch {
                    self.node(e);
                }
            }
            AstNode::FunctionApplication(inner) => self.node(inner),
            AstNode::Sort { input, terms } => {
                self.node(input);
                for (t, _) in terms {
                    self.node(t);
                }
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                self.node(location);
                self.node(update);
                if let Some(d) = delete {
                    self.node(d);
                }
            }
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. }
            | AstNode::ParentVariable(_)
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_) => {}
        }
    }
}

/// A JSON value as the evaluator's value. Arrays keep the crate's "flat" flag (no array inside),
/// as its own JSON reader sets it.
pub(crate) fn to_jvalue(value: &Value) -> JValue {
    match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => with_stack(|| {
            let flat = !items.iter().any(Value::is_array);
            JValue::Array(JArray::new_flat(
                items.iter().map(to_jvalue).collect(),
                flat,
            ))
        }),
        Value::Object(map) => with_stack(|| {
            JValue::object(map.iter().map(|(k, v)| (k.clone(), to_jvalue(v))).collect())
        }),
    }
}

/// An evaluator's value as JSON, the way jsonata-js results reach JSON: an undefined array item
/// becomes null and an undefined object member is left out (`JSON.stringify`); integral numbers
/// are integers. Functions, NaN and infinities are [`codes::NOT_JSON`].
pub(crate) fn from_jvalue(value: &JValue, depth: usize) -> Result<Value, JsonataError> {
    let not_json = |what: &str| {
        JsonataError::new(
            codes::NOT_JSON,
            format!("The result is not a JSON value: it is or holds {what}"),
        )
    };
    Ok(match value {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n).ok_or_else(|| not_json("a non-finite number"))?,
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            check_depth(depth)?;
            with_stack(|| {
                items
                    .iter()
                    .map(|v| from_jvalue(v, depth + 1))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map(Value::Array)?
        }
        JValue::Object(map) => {
            check_depth(depth)?;
            with_stack(|| {
                map.iter()
                    .filter(|(_, v)| !v.is_undefined())
                    .map(|(k, v)| Ok((k.clone(), from_jvalue(v, depth + 1)?)))
                    .collect::<Result<serde_json::Map<_, _>, JsonataError>>()
            })
            .map(Value::Object)?
        }
        JValue::Lambda(_) | JValue::Builtin { .. } => return Err(not_json("a function")),
        JValue::Regex { .. } => return Err(not_json("a regular expression")),
    })
}

fn check_depth(depth: usize) -> Result<(), JsonataError> {
    if depth >= MAX_RESULT_DEPTH {
        return Err(JsonataError::new(
            codes::RESULT_TOO_DEEP,
            format!("The result is nested deeper than {MAX_RESULT_DEPTH} levels"),
        ));
    }
    Ok(())
}

/// A finite number as JSON: an integer when it is one (and exact in an f64), else a float.
pub(crate) fn number(n: f64) -> Option<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() <= EXACT {
        // In range and integral, so the conversion is exact; -0 becomes 0 as in JSON.stringify.
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::from(n as i64));
    }
    serde_json::Number::from_f64(n).map(Value::Number)
}
