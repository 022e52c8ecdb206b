//! A state machine's `roleArn`, `loggingConfiguration` and `tracingConfiguration`, as
//! CreateStateMachine and UpdateStateMachine take them and DescribeStateMachine gives them
//! back. quickstep keeps them with each revision; the functions run with their own role, and
//! logging and tracing follow the deployment (what they ask for is kept as asked).

use serde_json::{json, Value};

use super::fault::Fault;
use super::request::optional_text;
use crate::records::MachineSettings;

const LOG_LEVELS: &[&str] = &["ALL", "ERROR", "FATAL", "OFF"];

/// The settings a request gives (what it leaves out stays as it is).
pub fn asked(request: &Value) -> Result<MachineSettings, Fault> {
    let role_arn = optional_text(request, "roleArn")?;
    let logging = match request.get("loggingConfiguration") {
        None | Some(Value::Null) => None,
        Some(Value::Object(logging)) => {
            let level = logging
                .get("level")
                .and_then(Value::as_str)
                .unwrap_or("OFF");
            if !LOG_LEVELS.contains(&level) {
                return Err(Fault::validation(format!(
                    "1 validation error detected: Value '{level}' at 'loggingConfiguration.level' \
                     failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    LOG_LEVELS.join(", ")
                )));
            }
            let include = logging.get("includeExecutionData");
            if include.is_some_and(|i| !i.is_boolean()) {
                return Err(Fault::validation(
                    "'loggingConfiguration.includeExecutionData' must be true or false",
                ));
            }
            Some(Value::Object(logging.clone()))
        }
        Some(_) => {
            return Err(Fault::validation(
                "'loggingConfiguration' must be an object",
            ))
        }
    };
    let tracing = match request.get("tracingConfiguration") {
        None | Some(Value::Null) => None,
        Some(Value::Object(tracing)) if tracing.get("enabled").is_none_or(Value::is_boolean) => {
            Some(Value::Object(tracing.clone()))
        }
        Some(_) => {
            return Err(Fault::validation(
                "'tracingConfiguration' must be an object with 'enabled' true or false",
            ))
        }
    };
    Ok(MachineSettings {
        role_arn,
        logging,
        tracing,
    })
}

/// DescribeStateMachine's `roleArn`, `loggingConfiguration` and `tracingConfiguration`:
/// as set, or what quickstep uses when they were not (`default_role`, logging off, no
/// tracing).
pub fn described(settings: &MachineSettings, default_role: String, answer: &mut Value) {
    answer["roleArn"] = json!(settings.role_arn.clone().unwrap_or(default_role));
    let mut logging = json!({"level": "OFF", "includeExecutionData": false});
    if let Some(Value::Object(set)) = &settings.logging {
        for (key, value) in set {
            logging[key] = value.clone();
        }
    }
    answer["loggingConfiguration"] = logging;
    answer["tracingConfiguration"] = settings
        .tracing
        .clone()
        .unwrap_or_else(|| json!({"enabled": false}));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_checked_and_described() {
        let asked = asked(&json!({
            "roleArn": "arn:aws:iam::1:role/r",
            "loggingConfiguration": {"level": "ERROR", "includeExecutionData": true},
            "tracingConfiguration": {"enabled": true}
        }))
        .unwrap();
        let mut answer = json!({});
        described(&asked, "default".into(), &mut answer);
        assert_eq!(answer["roleArn"], "arn:aws:iam::1:role/r");
        assert_eq!(
            answer["loggingConfiguration"],
            json!({"level": "ERROR", "includeExecutionData": true})
        );
        assert_eq!(answer["tracingConfiguration"], json!({"enabled": true}));
        let mut unset = json!({});
        described(&MachineSettings::default(), "default".into(), &mut unset);
        assert_eq!(unset["roleArn"], "default");
        assert_eq!(unset["loggingConfiguration"]["level"], "OFF");
        for bad in [
            json!({"loggingConfiguration": {"level": "LOUD"}}),
            json!({"loggingConfiguration": {"includeExecutionData": "yes"}}),
            json!({"tracingConfiguration": {"enabled": 1}}),
            json!({"roleArn": 7}),
        ] {
            assert!(super::asked(&bad).is_err(), "{bad}");
        }
    }
}
