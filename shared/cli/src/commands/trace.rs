//! `quickstep run --trace`: one line per state as the run proceeds, on standard error: the
//! time on the run's clock, the state, what happened, and the start of its output or its error.
//! In colour when standard error is a terminal (and `NO_COLOR` is not set).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use quickstep_engine::execution::{HistoryEvent, Millis};
use quickstep_graph::execution::is_failure;
use quickstep_graph::model::shorten;
use quickstep_runtime::driver::Observer;
use serde_json::Value;

/// Which state each event so far belongs to, by id.
type States = HashMap<u64, Option<String>>;

/// How much of an output or a cause a line shows.
const SHOWN: usize = 72;

/// The observer that prints the lines; times count from the run's first event.
pub fn observer() -> Observer {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let seen: Mutex<(Option<Millis>, States)> = Mutex::new((None, HashMap::new()));
    Arc::new(move |event: &HistoryEvent| {
        let Ok(mut seen) = seen.lock() else {
            return;
        };
        let (start, states) = &mut *seen;
        let start = *start.get_or_insert(event.timestamp);
        if let Some(line) = line(event, start, states, colour) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    })
}

/// The line for `event`, if it says something a person reads: a state left, a failure, the end.
fn line(event: &HistoryEvent, start: Millis, states: &mut States, colour: bool) -> Option<String> {
    let kind = event.kind.as_str();
    let inherited = states.get(&event.previous_event_id).cloned().flatten();
    let state = if kind.ends_with("StateEntered") {
        event.name.clone()
    } else if kind.ends_with("StateExited") || kind.starts_with("Execution") {
        None
    } else {
        inherited
    };
    states.insert(event.id, state.clone());
    let details = event
        .details
        .as_ref()
        .and_then(Value::as_object)
        .and_then(|d| d.values().next());
    let field = |name: &str| {
        details
            .and_then(|d| d.get(name))
            .and_then(Value::as_str)
            .map(|t| shorten(t, SHOWN))
    };
    #[allow(clippy::cast_precision_loss)]
    let time = format!("{:>+10.3} s", (event.timestamp - start) as f64 / 1000.0);
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let failure = || {
        let error = field("error").unwrap_or_default();
        match field("cause") {
            Some(cause) if !cause.is_empty() => format!("{error}: {cause}"),
            _ => error,
        }
    };
    if let Some(kind_name) = kind.strip_suffix("StateExited") {
        let name = event.name.as_deref().unwrap_or("?");
        return Some(format!(
            "{}  {:<24} {:<14} {}  {}",
            paint("2", &time),
            name,
            kind_name,
            paint("32", &format!("{:<9}", "done")),
            field("output").unwrap_or_default()
        ));
    }
    if kind.starts_with("Execution") {
        let (status, text, code) = match kind {
            "ExecutionSucceeded" => ("SUCCEEDED", field("output").unwrap_or_default(), "1;32"),
            "ExecutionFailed" => ("FAILED", failure(), "1;31"),
            "ExecutionTimedOut" => ("TIMED_OUT", failure(), "1;31"),
            "ExecutionAborted" => ("ABORTED", failure(), "1;31"),
            _ => return None,
        };
        return Some(format!(
            "{}  {:<24} {:<14} {}  {text}",
            paint("2", &time),
            "(execution)",
            "",
            paint(code, &format!("{status:<9}"))
        ));
    }
    if is_failure(kind) {
        let name = state.unwrap_or_default();
        return Some(format!(
            "{}  {:<24} {:<14} {}  {}",
            paint("2", &time),
            name,
            kind.trim_end_matches("Failed").trim_end_matches("TimedOut"),
            paint(
                "31",
                &format!(
                    "{:<9}",
                    if kind.ends_with("TimedOut") {
                        "timed out"
                    } else {
                        "failed"
                    }
                )
            ),
            failure()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: u64, kind: &str, name: Option<&str>, details: Value) -> HistoryEvent {
        HistoryEvent {
            id,
            previous_event_id: id - 1,
            timestamp: 1_000 + i64::try_from(id).unwrap() * 500,
            kind: kind.to_owned(),
            name: name.map(str::to_owned),
            details: Some(details),
        }
    }

    #[test]
    fn lines_say_what_each_state_did() {
        let mut states = HashMap::new();
        let events = [
            event(
                1,
                "TaskStateEntered",
                Some("Charge"),
                json!({"stateEnteredEventDetails": {}}),
            ),
            event(
                2,
                "LambdaFunctionFailed",
                None,
                json!({"lambdaFunctionFailedEventDetails": {"error": "Busy", "cause": "later"}}),
            ),
            event(
                3,
                "TaskStateExited",
                Some("Charge"),
                json!({"stateExitedEventDetails": {"output": "{\"paid\":true}"}}),
            ),
            event(
                4,
                "ExecutionSucceeded",
                None,
                json!({"executionSucceededEventDetails": {"output": "{}"}}),
            ),
        ];
        let lines: Vec<String> = events
            .iter()
            .filter_map(|e| line(e, 1_000, &mut states, false))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[0],
            "    +1.000 s  Charge                   LambdaFunction failed     Busy: later"
        );
        assert_eq!(
            lines[1],
            "    +1.500 s  Charge                   Task           done       {\"paid\":true}"
        );
        assert!(lines[2].contains("(execution)") && lines[2].contains("SUCCEEDED"));
        let coloured = line(&events[2], 1_000, &mut states, true).unwrap();
        assert!(coloured.contains("\u{1b}[32mdone"));
    }
}
