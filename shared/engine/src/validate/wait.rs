//! A Wait state's duration or timestamp.

use serde_json::{Map, Value};

use super::Checker;
use crate::definition::{Wait, WaitFor};
use crate::timestamp;

impl Checker {
    pub(super) fn wait(&mut self, obj: &Map<String, Value>, ptr: &str) -> Wait {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|f| obj.contains_key(*f))
            .collect();
        if given.len() != 1 {
            self.problem(
                "A Wait state must have exactly one of the fields [Seconds, SecondsPath, Timestamp, TimestampPath]",
                ptr,
            );
            return Wait {
                wait_for: WaitFor::Seconds(0),
            };
        }
        let field = given[0];
        if obj.get(field).is_some_and(|v| self.is_expression(v)) {
            let template = self.template(obj, field, ptr);
            return Wait {
                wait_for: match (field, template) {
                    ("Seconds", Some(t)) => WaitFor::SecondsExpression(t),
                    (_, Some(t)) => WaitFor::TimestampExpression(t),
                    _ => WaitFor::Seconds(0),
                },
            };
        }
        let wait_for = match field {
            "Seconds" => match obj
                .get("Seconds")
                .and_then(Value::as_i64)
                .filter(|n| (0..=99_999_999).contains(n))
            {
                Some(n) => WaitFor::Seconds(n),
                None => {
                    self.problem(
                        "The value for the field 'Seconds' must be an integer between 0 and 99999999",
                        format!("{ptr}/Seconds"),
                    );
                    WaitFor::Seconds(0)
                }
            },
            "Timestamp" => match obj
                .get("Timestamp")
                .and_then(Value::as_str)
                .and_then(timestamp::parse_millis)
            {
                Some(ms) => WaitFor::Timestamp(ms),
                None => {
                    self.problem(
                        "String does not match RFC3339 timestamp",
                        format!("{ptr}/Timestamp"),
                    );
                    WaitFor::Seconds(0)
                }
            },
            "SecondsPath" => self
                .path(obj, "SecondsPath", ptr)
                .map_or(WaitFor::Seconds(0), WaitFor::SecondsPath),
            _ => self
                .path(obj, "TimestampPath", ptr)
                .map_or(WaitFor::Seconds(0), WaitFor::TimestampPath),
        };
        Wait { wait_for }
    }
}
