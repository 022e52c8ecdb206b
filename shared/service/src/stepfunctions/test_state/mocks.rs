//! TestState's `mock`: a state's result or error given instead of running it, and the rules
//! Step Functions sets on which states take one and what it must look like.

use quickstep_engine::failure::Failure;
use serde_json::Value;

use super::super::fault::Fault;
use super::super::request::{flag, optional_text};

/// What a mocked state ends with.
#[derive(Debug, Clone, PartialEq)]
pub enum Mock {
    Result(Value),
    Error(Failure),
}

impl Mock {
    pub fn outcome(&self) -> Result<Value, Failure> {
        match self {
            Self::Result(value) => Ok(value.clone()),
            Self::Error(failure) => Err(failure.clone()),
        }
    }
}

/// The state types that run only mocked: their branches or iterations are not run.
pub const FANOUT: &[&str] = &["Map", "Parallel"];
/// The state types that take no mock: nothing in them calls out.
const UNMOCKABLE: &[&str] = &["Pass", "Fail", "Succeed", "Choice", "Wait"];

/// `mock`: a `result` (a string of JSON) or an `errorOutput` (`error`, `cause`), not both.
pub fn mock(request: &Value) -> Result<Option<Mock>, Fault> {
    let Some(mock) = request.get("mock").filter(|m| !m.is_null()) else {
        return Ok(None);
    };
    let result = optional_text(mock, "result")?;
    let error = mock.get("errorOutput").filter(|e| !e.is_null());
    match (result, error) {
        (Some(_), Some(_)) => Err(Fault::validation(
            "A test mock should have only one of the following fields: [result, errorOutput].",
        )),
        (Some(text), None) => serde_json::from_str(&text)
            .map(|value| Some(Mock::Result(value)))
            .map_err(|_| Fault::validation("Mocked result must be valid JSON")),
        (None, Some(error)) => {
            let name = optional_text(error, "error")?.unwrap_or_default();
            let cause = optional_text(error, "cause")?.unwrap_or_default();
            Ok(Some(Mock::Error(Failure::new(name, cause))))
        }
        (None, None) => Err(Fault::validation(
            "A test mock should have one of the following fields: [result, errorOutput].",
        )),
    }
}

/// Whether the state `state` (of type `kind`) can be tested with `mock` (or without one).
pub fn check(kind: &str, state: &Value, mock: Option<&Mock>, request: &Value) -> Result<(), Fault> {
    let Some(mock) = mock else {
        if FANOUT.contains(&kind) {
            return Err(Fault::client(
                "InvalidDefinition",
                "TestState API does not support Map or Parallel states. Supported state types \
                 include: [Task, Wait, Pass, Succeed, Fail, Choice]",
            ));
        }
        return Ok(());
    };
    if UNMOCKABLE.contains(&kind) {
        return Err(Fault::validation(format!(
            "State type '{kind}' is not supported when a mock is specified"
        )));
    }
    if flag(request, "revealSecrets", false)? {
        return Err(Fault::validation(
            "TestState does not support RevealSecrets when a mock is specified.",
        ));
    }
    let Mock::Result(result) = mock else {
        return Ok(());
    };
    if !FANOUT.contains(&kind) {
        return Ok(());
    }
    let Value::Array(entries) = result else {
        return Err(Fault::validation("Mocked result must be an array."));
    };
    if kind == "Parallel" {
        let branches = state
            .get("Branches")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if entries.len() != branches {
            return Err(Fault::validation(format!(
                "Mocked result must have one entry for each branch of the Parallel state, in \
                 order: the state has {branches} branches, the result {} entries",
                entries.len()
            )));
        }
    }
    Ok(())
}

/// `stateConfiguration.<field>`: a whole number ≥ 0, 0 when not given.
pub fn configured_count(request: &Value, field: &str) -> Result<u64, Fault> {
    match request.get("stateConfiguration").and_then(|c| c.get(field)) {
        None | Some(Value::Null) => Ok(0),
        Some(n) => n.as_u64().ok_or_else(|| {
            Fault::validation(format!(
                "1 validation error detected: Value '{n}' at 'stateConfiguration.{field}' \
                 failed to satisfy constraint: Member must have value greater than or equal to 0"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(fault: Fault) -> String {
        match fault {
            Fault::Client { name, message } => format!("{name}: {message}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn mocks_are_read_and_checked_as_step_functions_checks_them() {
        let result = |text: &str| json!({"mock": {"result": text}});
        assert_eq!(
            mock(&result("[1, 2]")).unwrap(),
            Some(Mock::Result(json!([1, 2])))
        );
        assert_eq!(
            mock(&result("{nope")).map_err(name),
            Err("ValidationException: Mocked result must be valid JSON".to_owned())
        );
        let both = json!({"mock": {"result": "1", "errorOutput": {"error": "E"}}});
        assert!(mock(&both)
            .map_err(name)
            .unwrap_err()
            .contains("only one of"));

        let map = json!({"Type": "Map"});
        let parallel = json!({"Type": "Parallel", "Branches": [{}, {}]});
        let array = Mock::Result(json!([1, 2]));
        assert!(check("Map", &map, None, &json!({}))
            .map_err(name)
            .unwrap_err()
            .starts_with(
                "InvalidDefinition: TestState API does not support Map or Parallel states"
            ));
        assert!(check("Map", &map, Some(&array), &json!({})).is_ok());
        assert_eq!(
            check("Map", &map, Some(&Mock::Result(json!({}))), &json!({})).map_err(name),
            Err("ValidationException: Mocked result must be an array.".to_owned())
        );
        assert!(check("Parallel", &parallel, Some(&array), &json!({})).is_ok());
        assert!(check(
            "Parallel",
            &parallel,
            Some(&Mock::Result(json!([1]))),
            &json!({})
        )
        .is_err());
        assert_eq!(
            check("Pass", &json!({}), Some(&array), &json!({})).map_err(name),
            Err(
                "ValidationException: State type 'Pass' is not supported when a mock is specified"
                    .to_owned()
            )
        );
        let secrets = json!({"revealSecrets": true});
        assert!(check("Task", &json!({}), Some(&array), &secrets).is_err());
        assert!(check("Task", &json!({}), None, &secrets).is_ok());
    }
}
