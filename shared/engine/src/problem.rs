//! A problem found in a definition, with where it is.

use std::fmt;

use serde::Serialize;

/// One problem in a state machine definition. Validation collects every problem, not the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// AWS's diagnostic code, such as `SCHEMA_VALIDATION_FAILED`.
    pub code: &'static str,
    /// What is wrong, in AWS's words where known.
    pub message: String,
    /// JSON pointer into the definition, such as `/States/Wait/Seconds`.
    pub location: String,
}

pub const SCHEMA_VALIDATION_FAILED: &str = "SCHEMA_VALIDATION_FAILED";
pub const INVALID_JSON_DESCRIPTION: &str = "INVALID_JSON_DESCRIPTION";
pub const MISSING_TRANSITION_TARGET: &str = "MISSING_TRANSITION_TARGET";
pub const UNREACHABLE_STATE: &str = "UNREACHABLE_STATE";
pub const NO_TERMINAL_STATE: &str = "NO_TERMINAL_STATE";
pub const DUPLICATE_STATE_NAME: &str = "DUPLICATE_STATE_NAME";

impl Problem {
    pub fn schema(message: impl Into<String>, location: impl Into<String>) -> Self {
        Self::new(SCHEMA_VALIDATION_FAILED, message, location)
    }

    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            location: location.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        write!(f, "{}: {} at {}", self.code, self.message, at)
    }
}

/// Escapes a state or field name for use inside a JSON pointer (RFC 6901).
pub fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
