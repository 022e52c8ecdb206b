//! A Task state's fields: its resource, timeouts, heartbeat and credentials.

use serde_json::{Map, Value};

use super::resource::{classify, recognize, ResourceKind};
use super::states::Names;
use super::Checker;
use crate::definition::{IntOrPath, Payload, Task};

impl Checker {
    pub(super) fn task(&mut self, obj: &Map<String, Value>, ptr: &str, names: &Names<'_>) -> Task {
        let (resource, kind) = match obj.get("Resource") {
            Some(Value::String(r)) => {
                let kind = match classify(r, self.options.express) {
                    Ok(kind) => kind,
                    Err(message) => {
                        self.problem(message, format!("{ptr}/Resource"));
                        recognize(r).unwrap_or(ResourceKind::Unrecognized)
                    }
                };
                (r.clone(), kind)
            }
            Some(_) => {
                self.problem(
                    "The value for the field 'Resource' must be a string",
                    format!("{ptr}/Resource"),
                );
                (String::new(), ResourceKind::Unrecognized)
            }
            None => {
                self.problem("These fields are required: [Resource]", ptr);
                (String::new(), ResourceKind::Unrecognized)
            }
        };
        const MAX_SECONDS: i64 = 99_999_999;
        let timeout_seconds = self.int_or_path(obj, "TimeoutSeconds", ptr, 1, MAX_SECONDS);
        let heartbeat_seconds = self.int_or_path(obj, "HeartbeatSeconds", ptr, 1, MAX_SECONDS);
        if let (Some(IntOrPath::Value(t)), Some(IntOrPath::Value(h))) =
            (&timeout_seconds, &heartbeat_seconds)
        {
            if h >= t {
                self.problem(
                    "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'",
                    format!("{ptr}/HeartbeatSeconds"),
                );
            }
        }
        Task {
            resource,
            kind,
            parameters: self.payload(obj, "Parameters", ptr),
            arguments: self.template(obj, "Arguments", ptr),
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
            timeout_seconds,
            heartbeat_seconds,
            credentials: self.credentials(obj, ptr),
        }
    }

    /// `Credentials`: an object with `RoleArn` (or `RoleArn.$` in JSONPath).
    pub(super) fn credentials(&mut self, obj: &Map<String, Value>, ptr: &str) -> Option<Payload> {
        let value = obj.get("Credentials")?;
        let cptr = format!("{ptr}/Credentials");
        match value {
            Value::Object(c) if c.contains_key("RoleArn") || c.contains_key("RoleArn.$") => {}
            Value::Object(_) => self.problem(
                "The field 'RoleArn' is required but was missing",
                cptr.clone(),
            ),
            _ => self.problem(
                "The value for the field 'Credentials' must be a JSON object",
                cptr.clone(),
            ),
        }
        Some(Payload::compile(value, &cptr, &mut self.problems))
    }
}
