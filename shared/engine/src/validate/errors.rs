//! Retry and Catch: error names, retriers and catchers.

use serde_json::{Map, Value};

use super::fields;
use super::states::Names;
use super::Checker;
use crate::definition::{Catcher, Jitter, QueryLanguage, Retrier};

impl Checker {
    pub(super) fn error_equals(&mut self, obj: &Map<String, Value>, ptr: &str) -> Vec<String> {
        match obj.get("ErrorEquals") {
            Some(Value::Array(list)) if !list.is_empty() => {
                let names: Vec<String> = list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if names.len() != list.len() {
                    self.problem(
                        "The values of 'ErrorEquals' must be strings",
                        format!("{ptr}/ErrorEquals"),
                    );
                }
                if names.iter().any(|n| n == crate::failure::names::ALL) && names.len() > 1 {
                    self.problem(
                        "States.ALL must appear alone in ErrorEquals",
                        format!("{ptr}/ErrorEquals"),
                    );
                }
                names
            }
            Some(_) => {
                self.problem(
                    "The field 'ErrorEquals' must be a non-empty array of strings",
                    format!("{ptr}/ErrorEquals"),
                );
                Vec::new()
            }
            None => {
                self.problem("These fields are required: [ErrorEquals]", ptr);
                Vec::new()
            }
        }
    }

    pub(super) fn retry(&mut self, obj: &Map<String, Value>, ptr: &str) -> Vec<Retrier> {
        let Some(list) = self.array_of_objects(obj, "Retry", ptr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let rptr = format!("{ptr}/Retry/{i}");
            let Value::Object(r) = r else { continue };
            self.unknown_fields(r, fields::RETRIER, &rptr);
            let error_equals = self.error_equals(r, &rptr);
            let interval_seconds = self
                .bounded_u64(r, "IntervalSeconds", &rptr, 1, 99_999_999)
                .unwrap_or(1);
            let max_attempts = self
                .bounded_u64(r, "MaxAttempts", &rptr, 0, 99_999_999)
                .unwrap_or(3);
            let max_delay_seconds = self.bounded_u64(r, "MaxDelaySeconds", &rptr, 1, 31_622_400);
            let backoff_rate = match r.get("BackoffRate") {
                None => 2.0,
                Some(v) => match v.as_f64().filter(|b| *b >= 1.0) {
                    Some(b) => b,
                    None => {
                        self.problem("The value for the field 'BackoffRate' must be a number not less than 1.0", format!("{rptr}/BackoffRate"));
                        2.0
                    }
                },
            };
            let jitter = match r.get("JitterStrategy").map(Value::as_str) {
                None | Some(Some("NONE")) => Jitter::None,
                Some(Some("FULL")) => Jitter::Full,
                Some(_) => {
                    self.problem(
                        "The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                        format!("{rptr}/JitterStrategy"),
                    );
                    Jitter::None
                }
            };
            out.push(Retrier {
                error_equals,
                interval_seconds,
                max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
                backoff_rate,
                max_delay_seconds,
                jitter,
            });
        }
        out
    }

    pub(super) fn catch(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        names: &Names<'_>,
    ) -> Vec<Catcher> {
        let Some(list) = self.array_of_objects(obj, "Catch", ptr) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let cptr = format!("{ptr}/Catch/{i}");
            let Value::Object(c) = c else { continue };
            let allowed = if self.language == QueryLanguage::Jsonata {
                fields::JSONATA_CATCHER
            } else {
                fields::CATCHER
            };
            self.unknown_fields(c, allowed, &cptr);
            let error_equals = self.error_equals(c, &cptr);
            let result_path = self.path_field(c, "ResultPath", &cptr, true);
            let output = self.template(c, "Output", &cptr);
            let assign = self.assign(c, &cptr);
            let next = match c.get("Next") {
                Some(n) => self.target(n, &format!("{cptr}/Next"), names),
                None => {
                    self.problem("These fields are required: [Next]", cptr.clone());
                    None
                }
            };
            if let Some(next) = next {
                out.push(Catcher {
                    error_equals,
                    next,
                    result_path,
                    output,
                    assign,
                });
            }
        }
        out
    }
}
