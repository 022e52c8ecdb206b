//! JSON value types as AWS names them in error messages.

/// The JSON type name AWS uses in messages: `null`, `boolean`, `number`, `string`, `array`,
/// `object`.
pub fn json_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
