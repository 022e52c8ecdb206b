//! Payload templates: `Parameters`, `ItemSelector` and `ResultSelector`.
//!
//! A key ending in `.$` takes its value from a path or an intrinsic call; every other value is
//! copied. Templates are compiled once: parts without dynamic keys become one static value.

use serde_json::{Map, Value};

use crate::failure::Failure;
use crate::intrinsics::Intrinsic;
use crate::jsonpath::Path;
use crate::problem::{pointer_escape, Problem};
use crate::scope::Scope;

#[derive(Debug, Clone)]
pub enum Payload {
    Static(Value),
    Object(Vec<(String, PayloadEntry)>),
    Array(Vec<Payload>),
}

#[derive(Debug, Clone)]
pub enum PayloadEntry {
    Template(Payload),
    /// The field name as written (with `.$`), for error messages, and its path.
    Path {
        field: String,
        path: Path,
    },
    Intrinsic {
        field: String,
        call: Intrinsic,
    },
}

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// A path in field `field` selected nothing.
    PathNotFound { field: String, path: String },
    /// An intrinsic call failed.
    Failed(Failure),
}

impl Payload {
    /// Compiles a template, adding a problem for each bad `.$` value.
    pub fn compile(value: &Value, pointer: &str, problems: &mut Vec<Problem>) -> Self {
        match value {
            Value::Object(map) => {
                if !has_dynamic(value) {
                    return Self::Static(value.clone());
                }
                let mut entries = Vec::with_capacity(map.len());
                for (key, v) in map {
                    let child_pointer = format!("{pointer}/{}", pointer_escape(key));
                    if let Some(name) = key.strip_suffix(".$") {
                        if let Some(entry) = compile_dynamic(key, v, pointer, problems) {
                            entries.push((name.to_owned(), entry));
                        }
                    } else {
                        entries.push((
                            key.clone(),
                            PayloadEntry::Template(Self::compile(v, &child_pointer, problems)),
                        ));
                    }
                }
                Self::Object(entries)
            }
            Value::Array(items) if has_dynamic(value) => Self::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::compile(v, &format!("{pointer}/{i}"), problems))
                    .collect(),
            ),
            other => Self::Static(other.clone()),
        }
    }

    /// Fills in the template.
    pub fn evaluate(&self, scope: &mut dyn Scope) -> Result<Value, PayloadError> {
        match self {
            Self::Static(v) => Ok(v.clone()),
            Self::Array(items) => items
                .iter()
                .map(|p| p.evaluate(scope))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Self::Object(entries) => {
                let mut out = Map::with_capacity(entries.len());
                for (key, entry) in entries {
                    let value = match entry {
                        PayloadEntry::Template(t) => t.evaluate(scope)?,
                        PayloadEntry::Path { field, path } => match scope.lookup(path) {
                            Some(v) => v.into_owned(),
                            None => {
                                return Err(PayloadError::PathNotFound {
                                    field: field.clone(),
                                    path: path.text().to_owned(),
                                })
                            }
                        },
                        PayloadEntry::Intrinsic { field, call } => {
                            call.evaluate(scope, field).map_err(PayloadError::Failed)?
                        }
                    };
                    out.insert(key.clone(), value);
                }
                Ok(Value::Object(out))
            }
        }
    }

    /// Every path the template reads, for validation.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match self {
            Self::Static(_) => {}
            Self::Array(items) => items.iter().for_each(|p| p.collect_paths(out)),
            Self::Object(entries) => {
                for (_, entry) in entries {
                    match entry {
                        PayloadEntry::Template(t) => t.collect_paths(out),
                        PayloadEntry::Path { path, .. } => out.push(path),
                        PayloadEntry::Intrinsic { call, .. } => out.extend(call.paths()),
                    }
                }
            }
        }
    }
}

fn compile_dynamic(
    key: &str,
    value: &Value,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Option<PayloadEntry> {
    let invalid = || {
        Problem::schema(
            format!("The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"),
            pointer.to_owned(),
        )
    };
    let Value::String(text) = value else {
        problems.push(invalid());
        return None;
    };
    if Intrinsic::looks_like_call(text) {
        match Intrinsic::parse(text) {
            Ok(call) => Some(PayloadEntry::Intrinsic {
                field: key.to_owned(),
                call,
            }),
            Err(_) => {
                problems.push(invalid());
                None
            }
        }
    } else {
        match Path::parse(text) {
            Ok(path) => Some(PayloadEntry::Path {
                field: key.to_owned(),
                path,
            }),
            Err(_) => {
                problems.push(invalid());
                None
            }
        }
    }
}

fn has_dynamic(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| k.ends_with(".$") || has_dynamic(v)),
        Value::Array(items) => items.iter().any(has_dynamic),
        _ => false,
    }
}
