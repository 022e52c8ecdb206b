//! Fields given as a value or as a path (`Seconds` or `SecondsPath`), paths and payload
//! templates, and the shapes shared by every state's fields.

use serde_json::{Map, Value};

use super::Checker;
use crate::definition::{IntOrPath, PathField, Payload, StringOrPath};
use crate::intrinsics::Intrinsic;
use crate::jsonpath::{Path, Root};

impl Checker {
    /// `InputPath`, `OutputPath`, `ResultPath` (reference paths only, rooted at `$`), `ItemsPath`.
    pub(super) fn path_field(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        reference: bool,
    ) -> PathField {
        match obj.get(field) {
            None => PathField::Whole,
            Some(Value::Null) => PathField::Discard,
            Some(Value::String(text)) => {
                let parsed = if reference {
                    // ResultPath writes into the state's input: a reference path rooted at `$`.
                    Path::parse_reference(text)
                        .ok()
                        .filter(|p| *p.root() == Root::Input)
                } else {
                    Path::parse(text).ok()
                };
                match parsed {
                    Some(p) => PathField::Path(p),
                    None => {
                        let kind = if reference {
                            "a valid Reference Path"
                        } else {
                            "a valid JSONPath"
                        };
                        self.problem(
                            format!("The value for the field '{field}' must be {kind}"),
                            format!("{ptr}/{field}"),
                        );
                        PathField::Whole
                    }
                }
            }
            Some(_) => {
                self.problem(
                    format!("The value for the field '{field}' must be a string or null"),
                    format!("{ptr}/{field}"),
                );
                PathField::Whole
            }
        }
    }

    pub(super) fn path(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<Path> {
        match obj.get(field)? {
            Value::String(text) => match Path::parse(text) {
                Ok(p) => Some(p),
                Err(_) => {
                    self.problem(
                        format!("The value for the field '{field}' must be a valid JSONPath"),
                        format!("{ptr}/{field}"),
                    );
                    None
                }
            },
            _ => {
                self.problem(
                    format!("The value for the field '{field}' must be a valid JSONPath"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }

    pub(super) fn payload(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<Payload> {
        let value = obj.get(field)?;
        Some(Payload::compile(
            value,
            &format!("{ptr}/{field}"),
            &mut self.problems,
        ))
    }

    /// True (and a problem recorded) if both `field` and `{field}Path` are given: the two are
    /// alternatives.
    pub(super) fn field_and_path_both_set(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> bool {
        let path_field = format!("{field}Path");
        let both = obj.contains_key(field) && obj.contains_key(&path_field);
        if both {
            self.problem(
                format!("The fields '{field}' and '{path_field}' cannot both be set"),
                ptr,
            );
        }
        both
    }

    /// A field that may be given literally or as `{field}Path`, but not both.
    pub(super) fn int_or_path(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        min: i64,
        max: i64,
    ) -> Option<IntOrPath> {
        if self.field_and_path_both_set(obj, field, ptr) {
            return None;
        }
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.contains_key(&path_field)) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, field, ptr).map(IntOrPath::Expression)
            }
            (Some(v), _) => match v.as_i64().filter(|n| (min..=max).contains(n)) {
                Some(n) if v.is_i64() || v.is_u64() => Some(IntOrPath::Value(n)),
                _ => {
                    self.problem(
                        format!("The value for the field '{field}' must be an integer between {min} and {max}"),
                        format!("{ptr}/{field}"),
                    );
                    None
                }
            },
            (None, true) => self.path(obj, &path_field, ptr).map(IntOrPath::Path),
            (None, false) => None,
        }
    }

    pub(super) fn string_or_path(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<StringOrPath> {
        if self.field_and_path_both_set(obj, field, ptr) {
            return None;
        }
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, field, ptr).map(StringOrPath::Expression)
            }
            (Some(Value::String(s)), _) => Some(StringOrPath::Value(s.clone())),
            (Some(_), _) => {
                self.problem(
                    format!("The value for the field '{field}' must be a string"),
                    format!("{ptr}/{field}"),
                );
                None
            }
            (None, Some(Value::String(text))) if Intrinsic::looks_like_call(text) => {
                match Intrinsic::parse(text) {
                    Ok(call) => Some(StringOrPath::Intrinsic(call)),
                    Err(e) => {
                        self.problem(
                            format!("The value for the field '{path_field}' must be a valid JSONPath or a valid intrinsic function call: {e}"),
                            format!("{ptr}/{path_field}"),
                        );
                        None
                    }
                }
            }
            (None, Some(_)) => self.path(obj, &path_field, ptr).map(StringOrPath::Path),
            (None, None) => None,
        }
    }

    pub(super) fn array_of_objects<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        field: &str,
        ptr: &str,
    ) -> Option<&'v Vec<Value>> {
        match obj.get(field)? {
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    if !v.is_object() {
                        self.problem(
                            format!("Each entry of '{field}' must be a JSON object"),
                            format!("{ptr}/{field}/{i}"),
                        );
                    }
                }
                Some(list)
            }
            _ => {
                self.problem(
                    format!("The field '{field}' must be an array"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }

    pub(super) fn bounded_u64(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        ptr: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let v = obj.get(field)?;
        match v.as_u64().filter(|n| (min..=max).contains(n)) {
            Some(n) => Some(n),
            None => {
                self.problem(
                    format!("The value for the field '{field}' must be an integer between {min} and {max}"),
                    format!("{ptr}/{field}"),
                );
                None
            }
        }
    }
}
