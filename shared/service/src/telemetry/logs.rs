//! Execution logs as Step Functions writes them to CloudWatch Logs, so Logs Insights queries
//! written for Express workflows work unchanged: one JSON object per history event, with `id`,
//! `type`, `details` (the event's `<kind>EventDetails`, unwrapped), `previous_event_id`,
//! `event_timestamp` (ms), `execution_arn` and `redrive_count`, the numbers as strings; filtered
//! by the log level, and without input and output unless execution data is included.

use quickstep_engine::execution::HistoryEvent;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A state machine's `loggingConfiguration.level`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogLevel {
    #[default]
    Off,
    Fatal,
    Error,
    All,
}

impl LogLevel {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OFF" => Some(Self::Off),
            "FATAL" => Some(Self::Fatal),
            "ERROR" => Some(Self::Error),
            "ALL" => Some(Self::All),
            _ => None,
        }
    }

    /// Whether an event of type `kind` is logged at this level.
    pub fn logs(self, kind: &str) -> bool {
        match self {
            Self::Off => false,
            Self::Fatal => FATAL.contains(&kind),
            Self::Error => FATAL.contains(&kind) || ERROR.contains(&kind),
            Self::All => true,
        }
    }
}

/// The events FATAL logs.
const FATAL: &[&str] = &["ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"];

/// The events ERROR logs beside FATAL's (the developer guide's table).
const ERROR: &[&str] = &[
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapRunAborted",
    "MapRunFailed",
    "MapStateAborted",
    "MapStateFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
];

/// How an execution's events are logged: the level, and whether input and output are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSettings {
    pub level: LogLevel,
    #[serde(default)]
    pub include_data: bool,
}

impl LogSettings {
    pub fn is_off(&self) -> bool {
        self.level == LogLevel::Off
    }

    /// A state machine's `loggingConfiguration` (as the Step Functions API keeps it), or
    /// `default` (the deployment's) where it sets no level.
    pub fn of(logging: Option<&Value>, default: Self) -> Self {
        let Some(level) = logging
            .and_then(|l| l.get("level"))
            .and_then(Value::as_str)
            .and_then(LogLevel::parse)
        else {
            return default;
        };
        let include_data = logging
            .and_then(|l| l.get("includeExecutionData"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Self {
            level,
            include_data,
        }
    }
}

/// The most bytes of input or output, escaped in JSON, a log event carries, as CloudWatch Logs'
/// quotas make Step Functions cut them: 248 KiB.
pub const MAX_DATA_BYTES: usize = 248 * 1024;

/// Where to cut `text` so that, escaped in JSON, it takes at most [`MAX_DATA_BYTES`] (the
/// quota counts the escaped text: a string of quotes doubles); `None` if it fits whole.
fn escaped_cut(text: &str) -> Option<usize> {
    let mut size = 0;
    for (at, c) in text.char_indices() {
        size += match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if size > MAX_DATA_BYTES {
            return Some(at);
        }
    }
    None
}

/// The log event of `event`, if `settings` log it.
pub fn line(
    event: &HistoryEvent,
    execution_arn: &str,
    redrive_count: u32,
    settings: LogSettings,
) -> Option<String> {
    if !settings.level.logs(&event.kind) {
        return None;
    }
    let mut details = event
        .details
        .as_ref()
        .and_then(Value::as_object)
        .and_then(|d| d.values().next())
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (data, about) in [("input", "inputDetails"), ("output", "outputDetails")] {
        if !settings.include_data {
            details.remove(data);
            details.remove(about);
        } else if let Some(Value::String(text)) = details.get_mut(data) {
            if let Some(cut) = escaped_cut(text) {
                text.truncate(cut);
                details.insert(about.into(), json!({"truncated": true}));
            }
        }
    }
    let mut line = Map::new();
    line.insert("id".into(), event.id.to_string().into());
    line.insert("type".into(), event.kind.clone().into());
    line.insert("details".into(), Value::Object(details));
    line.insert(
        "previous_event_id".into(),
        event.previous_event_id.to_string().into(),
    );
    line.insert("event_timestamp".into(), event.timestamp.to_string().into());
    line.insert("execution_arn".into(), execution_arn.into());
    line.insert("redrive_count".into(), redrive_count.to_string().into());
    Some(Value::Object(line).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, details: Value) -> HistoryEvent {
        HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: 1_713_959_670_680,
            kind: kind.to_owned(),
            name: None,
            details: Some(details),
        }
    }

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:express:m:e:1";

    #[test]
    fn an_event_is_logged_in_step_functions_shape() {
        let exited = event(
            "PassStateExited",
            json!({"stateExitedEventDetails": {"name": "LogInput", "output": "{\"a\":1}",
                "outputDetails": {"truncated": false}}}),
        );
        let all = LogSettings {
            level: LogLevel::All,
            include_data: true,
        };
        let logged: Value = serde_json::from_str(&line(&exited, ARN, 0, all).unwrap()).unwrap();
        assert_eq!(
            logged,
            json!({"id": "3", "type": "PassStateExited",
                "details": {"name": "LogInput", "output": "{\"a\":1}", "outputDetails": {"truncated": false}},
                "previous_event_id": "2", "event_timestamp": "1713959670680",
                "execution_arn": ARN, "redrive_count": "0"})
        );
        let no_data = LogSettings {
            include_data: false,
            ..all
        };
        let logged: Value = serde_json::from_str(&line(&exited, ARN, 1, no_data).unwrap()).unwrap();
        assert_eq!(logged["details"], json!({"name": "LogInput"}));
        assert_eq!(logged["redrive_count"], "1");
    }

    #[test]
    fn levels_log_what_the_developer_guide_says() {
        for (level, logged) in [
            (LogLevel::Off, [false, false, false]),
            (LogLevel::Fatal, [true, false, false]),
            (LogLevel::Error, [true, true, false]),
            (LogLevel::All, [true, true, true]),
        ] {
            let kinds = ["ExecutionFailed", "TaskFailed", "TaskStateEntered"];
            let got: Vec<bool> = kinds.iter().map(|k| level.logs(k)).collect();
            assert_eq!(got, logged, "{level:?}");
        }
        let settings = LogSettings::of(
            Some(&json!({"level": "ERROR", "includeExecutionData": true})),
            LogSettings::default(),
        );
        assert_eq!(
            settings,
            LogSettings {
                level: LogLevel::Error,
                include_data: true
            }
        );
        let default = LogSettings {
            level: LogLevel::Fatal,
            include_data: false,
        };
        assert_eq!(LogSettings::of(None, default), default);
        assert_eq!(
            LogSettings::of(Some(&json!({"includeExecutionData": true})), default),
            default
        );
    }

    #[test]
    fn data_past_the_quota_is_cut_and_marked() {
        let big = "é".repeat(MAX_DATA_BYTES);
        let entered = event(
            "TaskStateEntered",
            json!({"stateEnteredEventDetails": {"name": "T", "input": big, "inputDetails": {"truncated": false}}}),
        );
        let all = LogSettings {
            level: LogLevel::All,
            include_data: true,
        };
        let logged: Value = serde_json::from_str(&line(&entered, ARN, 0, all).unwrap()).unwrap();
        let input = logged["details"]["input"].as_str().unwrap();
        assert!(input.len() <= MAX_DATA_BYTES && input.len() > MAX_DATA_BYTES - 4);
        assert_eq!(
            logged["details"]["inputDetails"],
            json!({"truncated": true})
        );
        // The quota counts escaped text: quotes take two bytes each.
        let quotes = "\"".repeat(MAX_DATA_BYTES * 3 / 4);
        let entered = event(
            "TaskStateEntered",
            json!({"stateEnteredEventDetails": {"name": "T", "input": quotes}}),
        );
        let logged: Value = serde_json::from_str(&line(&entered, ARN, 0, all).unwrap()).unwrap();
        let input = logged["details"]["input"].as_str().unwrap();
        assert_eq!(input.len(), MAX_DATA_BYTES / 2);
        assert_eq!(
            logged["details"]["inputDetails"],
            json!({"truncated": true})
        );
    }
}
