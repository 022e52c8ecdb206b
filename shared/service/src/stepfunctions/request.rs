//! Reading the fields of a request body, with the errors Step Functions gives for a missing
//! or mistyped one.

use serde_json::Value;

use super::fault::Fault;

pub fn required_text<'a>(request: &'a Value, field: &str) -> Result<&'a str, Fault> {
    match request.get(field) {
        Some(Value::String(text)) => Ok(text),
        None | Some(Value::Null) => Err(missing(field)),
        Some(other) => Err(Fault::client(
            "SerializationException",
            format!("'{field}' must be a string, not {other}"),
        )),
    }
}

pub fn missing(field: &str) -> Fault {
    Fault::validation(format!(
        "1 validation error detected: Value null at '{field}' failed to satisfy constraint: \
         Member must not be null"
    ))
}

pub fn optional_text(request: &Value, field: &str) -> Result<Option<String>, Fault> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => required_text(request, field).map(|t| Some(t.to_owned())),
    }
}

pub fn flag(request: &Value, field: &str, default: bool) -> Result<bool, Fault> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Fault::client(
            "SerializationException",
            format!("'{field}' must be a boolean, not {other}"),
        )),
    }
}
