//! What the fuzz targets share: how an input is cut into its parts, and the fixed documents a
//! part that is not JSON falls back to. Inputs are plain text so seeds stay readable: a target
//! that needs an expression and a document reads `<expression>\0<JSON document>`.

use serde_json::{json, Value};

mod deaths;

pub use deaths::report_deaths;

#[global_allocator]
static ALLOCATOR: deaths::Bounded = deaths::Bounded;

/// The most bytes of an input a target looks at: longer inputs are cut, so no input costs more
/// than a bounded amount of parsing however libFuzzer grows it.
pub const MAX_INPUT: usize = 64 * 1024;

/// Splits `data` at its first NUL byte into text (lossy UTF-8) and the bytes after it.
pub fn split_nul(data: &[u8]) -> (String, &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    match data.iter().position(|b| *b == 0) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => (String::from_utf8_lossy(data).into_owned(), &[]),
    }
}

/// The bytes as a JSON document, or [`sample_input`] when they are not one.
pub fn document(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| sample_input())
}

/// A state input with a bit of everything paths and expressions like to reach for.
pub fn sample_input() -> Value {
    json!({
        "a": {"b": [1, 2, {"c d": 3}], "x-y": 4, "s": "hello world", "n": null},
        "items": [
            {"id": 1, "price": 9.5, "tags": ["x", "y"], "ok": true},
            {"id": 2, "price": 0, "tags": [], "ok": false},
            {"id": -3, "price": 1e300, "tags": ["z"], "ok": null}
        ],
        "numbers": [0, -1, 2147483647, -2147483648, 9007199254740993_i64, 0.5],
        "text": "a,b;;c",
        "encoded": "aGVsbG8=",
        "json": "{\"k\": [1, 2]}",
        "empty": {}
    })
}

/// A context object (`$$`, `$states.context`) shaped as the engine builds it.
pub fn sample_context(input: &Value) -> Value {
    json!({
        "Execution": {
            "Id": "arn:aws:states:us-east-1:123456789012:execution:fuzz:run-1",
            "Input": input,
            "Name": "run-1",
            "RoleArn": "arn:aws:iam::123456789012:role/quickstep",
            "StartTime": "2024-01-01T00:00:00.000Z",
            "RedriveCount": 0
        },
        "State": {"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "State", "RetryCount": 0},
        "StateMachine": {
            "Id": "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz",
            "Name": "fuzz"
        },
        "Map": {"Item": {"Index": 1, "Value": {"id": 2}}},
        "Task": {"Token": "token-1"}
    })
}

/// Workflow variables (`$name` roots).
pub fn sample_variables() -> serde_json::Map<String, Value> {
    let Value::Object(vars) = json!({
        "var": {"a": [1, 2, 3]},
        "count": 3,
        "name": "fuzz",
        "list": ["a", "b", "a"]
    }) else {
        return serde_json::Map::new();
    };
    vars
}
