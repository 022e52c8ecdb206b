//! `greeter`: a small Lambda function for trying workflows with real Lambda tasks locally,
//! served by `cargo lambda watch` (see the README's local loop and `tests/local-loop`).
//!
//! `{"name": "Ada"}` answers `{"greeting": "Hello, Ada!"}`. `{"fail": "<ErrorType>"}` fails
//! with that error type, as a function that throws it would, so a workflow's Retry and Catch
//! can be tried against real invocations.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::{json, Value};

async fn greet(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let input = event.payload;
    if let Some(error_type) = input.get("fail").and_then(Value::as_str) {
        return Err(Diagnostic {
            error_type: error_type.to_owned(),
            error_message: format!("greeter was asked to fail with {error_type}"),
        });
    }
    let name = input.get("name").and_then(Value::as_str).unwrap_or("world");
    Ok(json!({"greeting": format!("Hello, {name}!")}))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(greet)).await
}

#[cfg(test)]
mod tests {
    use lambda_runtime::Context;

    use super::*;

    async fn call(payload: Value) -> Result<Value, Diagnostic> {
        greet(LambdaEvent::new(payload, Context::default())).await
    }

    #[tokio::test]
    async fn greets_by_name_and_fails_on_request() {
        assert_eq!(
            call(json!({"name": "Ada"})).await,
            Ok(json!({"greeting": "Hello, Ada!"}))
        );
        let failure = call(json!({"fail": "OrderRejected"})).await.unwrap_err();
        assert_eq!(failure.error_type, "OrderRejected");
    }
}
