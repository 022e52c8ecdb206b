//! TestState's `context`: a context object given whole, checked as Step Functions checks it.
//! It replaces the one a new execution would have (nothing of that is merged in), and may be
//! given only with a mock.

use serde_json::Value;

use super::super::fault::Fault;
use super::super::request::optional_text;

/// What a field of the context object must hold.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Number,
    Any,
}

/// The fields each part of the context object may have.
const EXECUTION: &[(&str, Kind)] = &[
    ("Id", Kind::Text),
    ("Input", Kind::Any),
    ("Name", Kind::Text),
    ("RoleArn", Kind::Text),
    ("StartTime", Kind::Text),
    ("RedriveCount", Kind::Number),
    ("RedriveTime", Kind::Text),
];
const STATE: &[(&str, Kind)] = &[
    ("EnteredTime", Kind::Text),
    ("Name", Kind::Text),
    ("RetryCount", Kind::Number),
];
const STATE_MACHINE: &[(&str, Kind)] = &[("Id", Kind::Text), ("Name", Kind::Text)];
const TASK: &[(&str, Kind)] = &[("Token", Kind::Text)];

/// `context`, if given: a JSON object of `Execution`, `State`, `StateMachine` and (for a
/// `.sync` or `.waitForTaskToken` Task) `Task`.
pub fn context(request: &Value, mocked: bool, state: &Value) -> Result<Option<Value>, Fault> {
    let Some(text) = optional_text(request, "context")? else {
        return Ok(None);
    };
    if !mocked {
        return Err(Fault::validation(
            "The 'context' field may only be specified if a mock is specified in the same request.",
        ));
    }
    let invalid =
        |why: String| Fault::validation(format!("Invalid Context object provided: {why}"));
    let context: Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("it is not JSON: {e}")))?;
    let Value::Object(parts) = &context else {
        return Err(invalid("it must be a JSON object".to_owned()));
    };
    for (part, value) in parts {
        let fields = match part.as_str() {
            "Execution" => EXECUTION,
            "State" => STATE,
            "StateMachine" => STATE_MACHINE,
            "Task" if waits_for_an_answer(state) => TASK,
            "Task" => {
                return Err(invalid(
                    "Context object contains 'Task' when state is not a Task state with a \
                     '.sync' or '.waitForTaskToken' service integration pattern"
                        .to_owned(),
                ))
            }
            "Map" => {
                return Err(invalid(
                    "'Map' field is not supported when mocking a Context object".to_owned(),
                ))
            }
            other => return Err(invalid(format!("Field '{other}' is not allowed"))),
        };
        let Value::Object(values) = value else {
            return Err(invalid(format!("{part} must be an object")));
        };
        for (field, value) in values {
            let Some((_, kind)) = fields.iter().find(|(name, _)| name == field) else {
                return Err(invalid(format!("Field '{field}' is not allowed")));
            };
            let wrong = match kind {
                Kind::Text => (!value.is_string()).then_some("a string"),
                Kind::Number => (!value.is_number()).then_some("a number"),
                Kind::Any => None,
            };
            if let Some(expected) = wrong {
                return Err(invalid(format!("{part}.{field} must be {expected}")));
            }
        }
    }
    Ok(Some(context))
}

/// A Task whose resource ends `.sync` (or `.sync:2`) or `.waitForTaskToken`.
fn waits_for_an_answer(state: &Value) -> bool {
    state.get("Type").and_then(Value::as_str) == Some("Task")
        && state
            .get("Resource")
            .and_then(Value::as_str)
            .is_some_and(|r| r.ends_with(".waitForTaskToken") || r.contains(".sync"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked(context: &Value, state: &Value) -> Result<Option<Value>, String> {
        super::context(&json!({"context": context.to_string()}), true, state).map_err(|f| match f {
            Fault::Client { message, .. } => message,
            other => format!("{other:?}"),
        })
    }

    #[test]
    fn a_context_is_checked_as_step_functions_checks_it() {
        let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"});
        let full = json!({"Execution": {"Id": "x", "Input": {"a": [1]}, "StartTime": "t"},
            "State": {"Name": "S", "RetryCount": 0}, "StateMachine": {"Id": "m"}});
        assert_eq!(checked(&full, &task), Ok(Some(full.clone())));
        assert_eq!(checked(&json!({}), &task), Ok(Some(json!({}))));
        for (context, message) in [
            (json!({"Execution": {"Id": 1}}), "Execution.Id must be a string"),
            (json!({"Map": {}}), "'Map' field is not supported when mocking a Context object"),
            (json!({"Execution": {"pokemon": "x"}}), "Field 'pokemon' is not allowed"),
            (json!({"Pokedex": {}}), "Field 'Pokedex' is not allowed"),
            (json!({"Task": {"Token": "t"}}), "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"),
            (json!({"State": {"RetryCount": "1"}}), "State.RetryCount must be a number"),
        ] {
            assert_eq!(
                checked(&context, &task),
                Err(format!("Invalid Context object provided: {message}")),
                "{context}"
            );
        }
        let waits = json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"});
        let token = json!({"Task": {"Token": "abc"}});
        assert_eq!(checked(&token, &waits), Ok(Some(token.clone())));
        let unmocked = super::context(&json!({"context": "{}"}), false, &task);
        assert!(unmocked.is_err());
    }
}
