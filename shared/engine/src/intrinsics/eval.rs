//! Evaluation of a parsed intrinsic call tree.
//!
//! Limits and rules follow the Step Functions developer guide ("Intrinsic functions for JSONPath
//! states"): ArrayRange at most 1000 items and a non-zero step, MathAdd integers in the Java `int`
//! range (non-integers rounded with `Math.round`), Base64 and Hash inputs at most 10,000
//! characters, Hash algorithms MD5/SHA-1/SHA-256/SHA-384/SHA-512, JsonMerge shallow only.
//! The conformance corpus (recorded on AWS) decides the details: StringSplit drops empty tokens,
//! StringToJson of blank text is null, Format prints objects as Java maps.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::java::{self, JavaRandom};
use super::{Arg, Call, Func, TemplatePiece};
use crate::failure::Failure;
use crate::jsonpath::Path;
use crate::scope::Scope;

const MAX_ENCODE_CHARS: usize = 10_000;
const MAX_RANGE_ITEMS: i64 = 1000;

/// An evaluated argument: its value, plus, for string literals, the placeholder split that
/// States.Format needs.
struct Evaluated<'a> {
    value: Value,
    pieces: Option<&'a [TemplatePiece]>,
}

pub(super) fn evaluate(call: &Call, scope: &mut dyn Scope, field: &str) -> Result<Value, Failure> {
    if let (Func::MathAdd, [a, b]) = (call.func, call.args.as_slice()) {
        let read: &dyn Scope = scope;
        if let (Some(a), Some(b)) = (in_place(a, read, field), in_place(b, read, field)) {
            return math_add(a?.as_ref(), b?.as_ref());
        }
    }
    let mut args = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(match arg {
            Arg::Literal(v) => Evaluated {
                value: v.clone(),
                pieces: None,
            },
            Arg::String { value, pieces } => Evaluated {
                value: Value::String(value.clone()),
                pieces: Some(pieces),
            },
            Arg::Path(path) => Evaluated {
                value: resolve(path, scope, field)?,
                pieces: None,
            },
            Arg::Call(inner) => Evaluated {
                value: evaluate(inner, scope, field)?,
                pieces: None,
            },
        });
    }
    apply(call.func, args, scope)
}

/// A literal or path argument read where it is, not copied; `None` for one that must be
/// computed (a string literal's placeholders, a nested call).
fn in_place<'s>(
    arg: &'s Arg,
    scope: &'s dyn Scope,
    field: &str,
) -> Option<Result<Cow<'s, Value>, Failure>> {
    match arg {
        Arg::Literal(v) => Some(Ok(Cow::Borrowed(v))),
        Arg::Path(path) => Some(
            scope
                .lookup(path)
                .ok_or_else(|| not_found(path, scope, field)),
        ),
        Arg::String { .. } | Arg::Call(_) => None,
    }
}

/// States.MathAdd of two arguments read in place: the intrinsic of every counting loop, spared
/// collecting copies of its numbers.
fn math_add(a: &Value, b: &Value) -> Result<Value, Failure> {
    let x = want_rounded_int(Func::MathAdd, a, "first argument")?;
    let y = want_rounded_int(Func::MathAdd, b, "second argument")?;
    Ok(Value::Number(Number::from(x + y)))
}

fn resolve(path: &Path, scope: &mut dyn Scope, field: &str) -> Result<Value, Failure> {
    match scope.lookup(path) {
        Some(v) => Ok(v.into_owned()),
        None => Err(not_found(path, scope, field)),
    }
}

/// The failure of a path argument that selects nothing.
fn not_found(path: &Path, scope: &dyn Scope, field: &str) -> Failure {
    let input = Path::parse("$")
        .ok()
        .and_then(|root| scope.lookup(&root).map(|v| v.to_string()))
        .unwrap_or_else(|| "null".into());
    Failure::runtime(format!(
        "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{input}'",
        path.text()
    ))
}

fn fail(func: Func, reason: impl std::fmt::Display) -> Failure {
    Failure::intrinsic(format!("Invalid arguments in {}: {reason}", func.name()))
}

use crate::value_type::json_type as type_name;

fn want_string(func: Func, v: Value, what: &str) -> Result<String, Failure> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(fail(
            func,
            format!("the {what} must be a string, got {}", type_name(&other)),
        )),
    }
}

fn want_array(func: Func, v: Value, what: &str) -> Result<Vec<Value>, Failure> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(fail(
            func,
            format!("the {what} must be an array, got {}", type_name(&other)),
        )),
    }
}

fn want_object(func: Func, v: Value, what: &str) -> Result<Map<String, Value>, Failure> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(fail(
            func,
            format!(
                "the {what} must be a JSON object, got {}",
                type_name(&other)
            ),
        )),
    }
}

/// An integer argument; numbers with a fraction are refused.
fn want_integer(func: Func, v: &Value, what: &str) -> Result<i64, Failure> {
    let exact = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    exact.ok_or_else(|| fail(func, format!("the {what} must be an integer, got {v}")))
}

/// A number rounded with Java's `Math.round`, within the Java `int` range.
fn want_rounded_int(func: Func, v: &Value, what: &str) -> Result<i64, Failure> {
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| java::math_round(f) as i64)),
        _ => None,
    };
    let Some(n) = n else {
        return Err(fail(func, format!("the {what} must be a number, got {v}")));
    };
    if i32::try_from(n).is_err() {
        return Err(fail(
            func,
            format!("the {what} must be between -2147483648 and 2147483647, got {v}"),
        ));
    }
    Ok(n)
}

fn check_length(func: Func, s: &str, what: &str) -> Result<(), Failure> {
    // Java counts UTF-16 code units.
    if s.encode_utf16().count() > MAX_ENCODE_CHARS {
        return Err(fail(
            func,
            format!("the {what} must not exceed {MAX_ENCODE_CHARS} characters"),
        ));
    }
    Ok(())
}

fn apply(func: Func, args: Vec<Evaluated<'_>>, scope: &mut dyn Scope) -> Result<Value, Failure> {
    let mut it = args.into_iter();
    // The parser enforces arity, so missing arguments only show up as Null here.
    let mut next = || it.next();
    let mut next_value = || -> Value { next().map_or(Value::Null, |a| a.value) };
    match func {
        Func::Format => {
            let Some(template) = next() else {
                return Err(fail(func, "a format string is required"));
            };
            let rest: Vec<Value> = std::iter::from_fn(&mut next).map(|a| a.value).collect();
            format(func, template, rest)
        }
        Func::StringToJson => {
            let s = want_string(func, next_value(), "argument")?;
            if s.trim().is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_str::<Value>(&s)
                .map_err(|e| fail(func, format!("the argument is not valid JSON text: {e}")))
        }
        Func::JsonToString => Ok(Value::String(next_value().to_string())),
        Func::Array => Ok(Value::Array(
            std::iter::from_fn(&mut next).map(|a| a.value).collect(),
        )),
        Func::ArrayPartition => {
            let items = want_array(func, next_value(), "first argument")?;
            let size_value = next_value();
            let size = want_integer(func, &size_value, "chunk size")?;
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| fail(func, "the chunk size must be a positive integer"))?;
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Func::ArrayContains => {
            let items = want_array(func, next_value(), "first argument")?;
            let needle = next_value();
            Ok(Value::Bool(items.contains(&needle)))
        }
        Func::ArrayRange => {
            let (a, b, c) = (next_value(), next_value(), next_value());
            let start = want_integer(func, &a, "start")?;
            let end = want_integer(func, &b, "end")?;
            let step = want_integer(func, &c, "step")?;
            if step == 0 {
                return Err(fail(func, "the step must not be 0"));
            }
            // In i128: `end - start` and `i64::MIN / -1` overflow i64 at its edges.
            let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
            let count = if (step > 0 && end >= start) || (step < 0 && end <= start) {
                (end - start) / step + 1
            } else {
                0
            };
            if count > i128::from(MAX_RANGE_ITEMS) {
                return Err(fail(
                    func,
                    format!("the range must not contain more than {MAX_RANGE_ITEMS} items"),
                ));
            }
            // Every item lies between start and end, so it is an i64 again.
            Ok(Value::Array(
                (0..count)
                    .filter_map(|i| i64::try_from(start + i * step).ok())
                    .map(Value::from)
                    .collect(),
            ))
        }
        Func::ArrayGetItem => {
            let items = want_array(func, next_value(), "first argument")?;
            let index_value = next_value();
            let index = want_integer(func, &index_value, "index")?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.into_iter().nth(i))
                .ok_or_else(|| fail(func, format!("the index {index} is out of bounds")))
        }
        Func::ArrayLength => {
            let items = want_array(func, next_value(), "argument")?;
            Ok(Value::from(items.len()))
        }
        Func::ArrayUnique => {
            let items = want_array(func, next_value(), "argument")?;
            let mut unique: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !unique.contains(&item) {
                    unique.push(item);
                }
            }
            Ok(Value::Array(unique))
        }
        Func::Base64Encode => {
            let s = want_string(func, next_value(), "argument")?;
            check_length(func, &s, "input string")?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        Func::Base64Decode => {
            let s = want_string(func, next_value(), "argument")?;
            check_length(func, &s, "input string")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| fail(func, format!("the argument is not valid base64: {e}")))?;
            // Java's `new String(bytes, UTF_8)` replaces malformed sequences with U+FFFD.
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Func::Hash => {
            let data = want_string(func, next_value(), "data")?;
            let algorithm = want_string(func, next_value(), "algorithm")?;
            check_length(func, &data, "data")?;
            crate::digest::hex_digest(&algorithm, data.as_bytes())
                .map(Value::String)
                .ok_or_else(|| {
                    fail(
                        func,
                        format!(
                            "the hash algorithm '{algorithm}' is not supported; use one of {}",
                            crate::digest::ALGORITHMS
                        ),
                    )
                })
        }
        Func::JsonMerge => {
            let mut left = want_object(func, next_value(), "first argument")?;
            let right = want_object(func, next_value(), "second argument")?;
            match next_value() {
                Value::Bool(false) => {}
                Value::Bool(true) => {
                    return Err(fail(
                        func,
                        "deep merge is not supported; the third argument must be false",
                    ))
                }
                other => {
                    return Err(fail(
                        func,
                        format!("the third argument must be a boolean, got {other}"),
                    ))
                }
            }
            // Shallow merge: keys of the second object replace those of the first.
            for (k, v) in right {
                left.insert(k, v);
            }
            Ok(Value::Object(left))
        }
        Func::MathRandom => {
            let (a, b) = (next_value(), next_value());
            let seed = next();
            let start = want_rounded_int(func, &a, "start")?;
            let end = want_rounded_int(func, &b, "end")?;
            if end <= start {
                return Err(fail(func, "the end must be greater than the start"));
            }
            let span = end - start;
            // Result in [start, end), like Java's `start + random.nextInt(end - start)`. With a
            // seed we use java.util.Random seeded with it (AWS runs on the JVM, so this is our best
            // guess for parity); without one, bits come from the engine's deterministic source.
            let offset = match seed {
                Some(seed) => {
                    let seed = want_rounded_int(func, &seed.value, "seed")?;
                    let bound = i32::try_from(span)
                        .map_err(|_| fail(func, "the range between start and end is too large"))?;
                    i64::from(JavaRandom::new(seed).next_int(bound))
                }
                None => {
                    let span = u64::try_from(span).unwrap_or(1);
                    i64::try_from(scope.random_u64() % span).unwrap_or(0)
                }
            };
            Ok(Value::from(start + offset))
        }
        Func::MathAdd => math_add(&next_value(), &next_value()),
        Func::StringSplit => {
            let s = want_string(func, next_value(), "first argument")?;
            let delimiters = want_string(func, next_value(), "second argument")?;
            let parts: Vec<Value> = if delimiters.is_empty() {
                vec![Value::String(s)]
            } else {
                s.split(|c: char| delimiters.contains(c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_owned()))
                    .collect()
            };
            Ok(Value::Array(parts))
        }
        Func::Uuid => {
            let hi = scope.random_u64().to_be_bytes();
            let lo = scope.random_u64().to_be_bytes();
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&hi);
            bytes[8..].copy_from_slice(&lo);
            Ok(Value::String(
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .hyphenated()
                    .to_string(),
            ))
        }
    }
}

fn format(func: Func, template: Evaluated<'_>, args: Vec<Value>) -> Result<Value, Failure> {
    let owned_pieces;
    let pieces: &[TemplatePiece] = match (template.pieces, &template.value) {
        (Some(pieces), _) => pieces,
        (None, Value::String(s)) => {
            owned_pieces = split_template(s);
            &owned_pieces
        }
        (None, other) => {
            return Err(fail(
                func,
                format!(
                    "the format string must be a string, got {}",
                    type_name(other)
                ),
            ))
        }
    };
    let placeholders = pieces
        .iter()
        .filter(|p| **p == TemplatePiece::Placeholder)
        .count();
    if placeholders != args.len() {
        return Err(fail(
            func,
            format!(
                "the format string has {placeholders} placeholder(s) but {} argument(s) were given",
                args.len()
            ),
        ));
    }
    let mut out = String::new();
    let mut values = args.iter();
    for piece in pieces {
        match piece {
            TemplatePiece::Text(t) => out.push_str(t),
            TemplatePiece::Placeholder => {
                if let Some(v) = values.next() {
                    out.push_str(&java::to_java_string(v));
                }
            }
        }
    }
    Ok(Value::String(out))
}

/// Splits a template that came from a path (no escape processing) at its `{}` placeholders.
fn split_template(s: &str) -> Vec<TemplatePiece> {
    let mut pieces = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{}") {
        pieces.push(TemplatePiece::Text(rest[..i].to_owned()));
        pieces.push(TemplatePiece::Placeholder);
        rest = &rest[i + 2..];
    }
    pieces.push(TemplatePiece::Text(rest.to_owned()));
    pieces
}
