//! Workflow failures as data: an ASL error name and an optional cause, matched by `ErrorEquals`.

use serde::{Deserialize, Serialize};

/// The predefined error names of the Amazon States Language.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const PERMISSIONS: &str = "States.Permissions";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    pub const RUNTIME: &str = "States.Runtime";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
}

/// A failed state or execution: `{Error, Cause}` as AWS reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(rename = "Error", default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "Cause", default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    /// A failure with a name and no cause.
    pub fn bare(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            cause: None,
        }
    }

    /// `States.Runtime` failures cannot be caught or retried (not even by `States.ALL`).
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    pub fn error_name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// The error output a `Catch` passes on: `{"Error": ..., "Cause": ...}`. Both keys are always
    /// there; a missing (or empty) error or cause is `null`, as AWS records a callback task failed
    /// without an error name.
    pub fn to_error_output(&self) -> serde_json::Value {
        let text = |v: &Option<String>| match v.as_deref() {
            None | Some("") => serde_json::Value::Null,
            Some(s) => s.into(),
        };
        let mut map = serde_json::Map::new();
        map.insert("Error".into(), text(&self.error));
        map.insert("Cause".into(), text(&self.cause));
        serde_json::Value::Object(map)
    }
}
