//! The functions Step Functions adds to JSONata, and the built-ins it changes.
//!
//! From the Step Functions developer guide ("Transforming data with JSONata"): JSONata 2.0.6 with
//! every built-in except `$eval` (use `$parse`), plus `$partition`, `$range`, `$hash`,
//! `$random([seed])`, `$uuid` and `$parse`. The recorded AWS executions in the conformance corpus
//! decide the details they show: `$partition([0], 4)` is `[[0]]` (an array of arrays, never
//! unwrapped), `$range(1, 9, 9)` is `1` (a sequence: one item is the item), `$parse("-0")` is `0`.
//! Where AWS documents nothing, the rules follow the intrinsic each function replaces
//! (`States.ArrayPartition`, `States.ArrayRange`, `States.Hash`, `States.MathRandom`,
//! `States.UUID`, `States.StringToJson`): integer arguments, a non-zero step, the five hash
//! algorithms, a seeded random drawn as `java.util.Random(seed).nextDouble()` (AWS runs on the
//! JVM; the numbers AWS gives for a seed are not recorded anywhere we have).
//!
//! Argument type errors are jsonata-js's T0410; unusable values are
//! [`codes::INVALID_ARGUMENT`](super::codes::INVALID_ARGUMENT).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::OnceLock;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::value::JValue;

use super::{codes, to_jvalue, Environment, JsonataError, ENGINE_MAX_SEQUENCE_LENGTH};

/// The functions Step Functions adds.
pub(super) const ADDED: [&str; 6] = ["partition", "range", "hash", "random", "uuid", "parse"];

/// JSONata's built-in functions (2.x), by name without `$`.
const BUILTINS: &[&str] = &[
    "string",
    "length",
    "substring",
    "substringBefore",
    "substringAfter",
    "uppercase",
    "lowercase",
    "trim",
    "pad",
    "contains",
    "split",
    "join",
    "match",
    "replace",
    "eval",
    "base64encode",
    "base64decode",
    "encodeUrlComponent",
    "encodeUrl",
    "decodeUrlComponent",
    "decodeUrl",
    "number",
    "abs",
    "floor",
    "ceil",
    "round",
    "power",
    "sqrt",
    "random",
    "formatNumber",
    "formatBase",
    "formatInteger",
    "parseInteger",
    "sum",
    "max",
    "min",
    "average",
    "boolean",
    "not",
    "exists",
    "count",
    "append",
    "sort",
    "reverse",
    "shuffle",
    "distinct",
    "zip",
    "keys",
    "lookup",
    "spread",
    "merge",
    "sift",
    "each",
    "error",
    "assert",
    "type",
    "map",
    "filter",
    "reduce",
    "single",
    "now",
    "millis",
    "fromMillis",
    "toMillis",
];

pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

fn error(code: &str, message: impl std::fmt::Display) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {message}"))
}

fn signature_error(index: usize, function: &str) -> EvaluatorError {
    error(
        "T0410",
        format!("Argument {index} of function {function} does not match function signature"),
    )
}

fn invalid(function: &str, message: impl std::fmt::Display) -> EvaluatorError {
    error(codes::INVALID_ARGUMENT, format!("${function}: {message}"))
}

fn arg(args: &[JValue], index: usize) -> &JValue {
    args.get(index).unwrap_or(&JValue::Undefined)
}

fn too_many(args: &[JValue], max: usize, function: &str) -> Result<(), EvaluatorError> {
    if args.len() > max {
        return Err(signature_error(max + 1, function));
    }
    Ok(())
}

/// An integer argument (a number with no fraction).
fn integer(args: &[JValue], index: usize, function: &str) -> Result<i64, EvaluatorError> {
    match arg(args, index) {
        JValue::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(*n as i64)
        }
        JValue::Number(_) => Err(invalid(
            function,
            format!("argument {} must be an integer", index + 1),
        )),
        _ => Err(signature_error(index + 1, function)),
    }
}

/// Registers the Step Functions functions and overrides the expression mentions (a function it
/// does not mention cannot be called, so it is not registered), reading the environment only
/// for what they need: the clock once, and one random seed when `$random` or `$uuid` appears.
pub(super) fn register(
    evaluator: &mut Evaluator,
    mentioned: &BTreeSet<String>,
    env: &mut dyn Environment,
) -> Result<(), JsonataError> {
    let mentions = |name: &str| mentioned.contains(name);
    let setup = |e: EvaluatorError| JsonataError::from(e);
    if mentions("now") || mentions("millis") {
        let now = env.now_millis();
        evaluator
            .register_fn_override("now", move |args: &[JValue]| now_fn(now, args))
            .map_err(setup)?;
        evaluator
            .register_fn_override("millis", move |args: &[JValue]| {
                too_many(args, 0, "millis")?;
                Ok(JValue::from(now))
            })
            .map_err(setup)?;
    }
    if mentions("random") || mentions("uuid") {
        let state = Rc::new(Cell::new(env.random_u64()));
        let rng = Rc::clone(&state);
        evaluator
            .register_fn_override("random", move |args: &[JValue]| random_fn(&rng, args))
            .map_err(setup)?;
        evaluator
            .register_fn("uuid", move |args: &[JValue]| {
                too_many(args, 0, "uuid")?;
                Ok(JValue::string(uuid_v4(&state)))
            })
            .map_err(setup)?;
    }
    if mentions("eval") {
        // Step Functions removes $eval: calling it is calling something that is not a function.
        evaluator
            .register_fn_override("eval", |_: &[JValue]| {
                Err(error("T1006", "Attempted to invoke a non-function"))
            })
            .map_err(setup)?;
    }
    if super::guard::GUARDED.iter().any(|g| mentions(g.name)) {
        for (name, refuse) in &super::guard::CHECKS {
            evaluator
                .register_fn(*name, move |args: &[JValue]| {
                    super::guard::check(*refuse, args)
                })
                .map_err(setup)?;
        }
        evaluator
            .register_fn(
                super::guard::SUBSTRING_POSITION,
                super::guard::substring_position,
            )
            .map_err(setup)?;
    }
    if mentions(super::guard::RANGE_BOUND) {
        evaluator
            .register_fn(super::guard::RANGE_BOUND, super::guard::range_bound)
            .map_err(setup)?;
    }
    if mentions("partition") {
        evaluator
            .register_fn("partition", partition_fn)
            .map_err(setup)?;
    }
    if mentions("range") {
        evaluator.register_fn("range", range_fn).map_err(setup)?;
    }
    if mentions("hash") {
        evaluator.register_fn("hash", hash_fn).map_err(setup)?;
    }
    if mentions("parse") {
        evaluator.register_fn("parse", parse_fn).map_err(setup)?;
    }
    Ok(())
}

/// `$now([picture [, timezone]])`: the evaluation's timestamp, formatted by `$fromMillis`.
fn now_fn(now: i64, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 2, "now")?;
    let refused =
        super::guard::date_picture(arg(args, 0)).or_else(|| super::guard::timezone(arg(args, 1)));
    if let Some(why) = refused {
        return Err(invalid("now", why));
    }
    static FROM_MILLIS: OnceLock<Option<AstNode>> = OnceLock::new();
    let ast = FROM_MILLIS
        .get_or_init(|| jsonata_core::parser::parse("$fromMillis($m, $p, $t)").ok())
        .as_ref()
        .ok_or_else(|| error(codes::UNCODED, "$now: cannot build $fromMillis"))?;
    let mut context = Context::new();
    context.bind("m".into(), JValue::from(now));
    for (name, value) in [("p", arg(args, 0)), ("t", arg(args, 1))] {
        if !value.is_undefined() {
            context.bind(name.into(), value.clone());
        }
    }
    Evaluator::with_context(context).evaluate(ast, &JValue::Null)
}

/// The next 64 bits of the evaluation's generator (splitmix64 over the seed the environment
/// gave).
fn next_u64(state: &Cell<u64>) -> u64 {
    let s = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
    state.set(s);
    let mut z = s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 53 random bits as a number in [0, 1).
#[allow(clippy::cast_precision_loss)]
fn unit_interval(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `$random([seed])`: a number in [0, 1); with a seed, always the same one for that seed.
fn random_fn(state: &Cell<u64>, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 1, "random")?;
    match arg(args, 0) {
        JValue::Undefined => Ok(JValue::Number(unit_interval(next_u64(state)))),
        JValue::Number(_) => {
            let seed = integer(args, 0, "random")?;
            Ok(JValue::Number(java_next_double(seed)))
        }
        _ => Err(signature_error(1, "random")),
    }
}

/// `new java.util.Random(seed).nextDouble()`.
#[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]
fn java_next_double(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut s = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        s = s.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        s >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    ((high << 27) + low) as f64 / (1u64 << 53) as f64
}

fn uuid_v4(state: &Cell<u64>) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64(state).to_be_bytes());
    bytes[8..].copy_from_slice(&next_u64(state).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// `$partition(array, size)`: the array cut into arrays of `size` items (the last may be
/// shorter). A single value counts as an array of one; an undefined array gives undefined.
fn partition_fn(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 2, "partition")?;
    let items: Vec<JValue> = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(items) => items.iter().cloned().collect(),
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
            return Err(signature_error(1, "partition"))
        }
        other => vec![other.clone()],
    };
    let size = integer(args, 1, "partition")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| invalid("partition", "the chunk size must be greater than 0"))?;
    Ok(JValue::array(
        items
            .chunks(size)
            .map(|chunk| JValue::array(chunk.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step)`: start, start + step, ... up to and including end.
fn range_fn(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 3, "range")?;
    let start = integer(args, 0, "range")?;
    let end = integer(args, 1, "range")?;
    let step = integer(args, 2, "range")?;
    if step == 0 {
        return Err(invalid("range", "the step must not be 0"));
    }
    let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
        (end - start) / step + 1
    } else {
        0
    };
    if usize::try_from(count).map_or(true, |c| c > ENGINE_MAX_SEQUENCE_LENGTH) {
        return Err(invalid(
            "range",
            format!("the range must not hold more than {ENGINE_MAX_SEQUENCE_LENGTH} items"),
        ));
    }
    Ok(JValue::sequence(
        (0..count).map(|i| JValue::from(start + i * step)).collect(),
    ))
}

/// `$hash(value, algorithm)`: the lowercase hex digest of the string's UTF-8 bytes.
fn hash_fn(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 2, "hash")?;
    let data = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.clone(),
        _ => return Err(signature_error(1, "hash")),
    };
    let JValue::String(algorithm) = arg(args, 1) else {
        return Err(signature_error(2, "hash"));
    };
    crate::digest::hex_digest(algorithm, data.as_bytes())
        .map(JValue::string)
        .ok_or_else(|| {
            invalid(
                "hash",
                format!(
                    "the algorithm '{algorithm}' is not supported; use one of {}",
                    crate::digest::ALGORITHMS
                ),
            )
        })
}

/// `$parse(text)`: the JSON value the text holds.
fn parse_fn(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 1, "parse")?;
    let text = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.clone(),
        _ => return Err(signature_error(1, "parse")),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        error(
            codes::PARSE_INVALID_JSON,
            format!("$parse: the argument is not valid JSON: {e}"),
        )
    })?;
    Ok(to_jvalue(&value))
}
