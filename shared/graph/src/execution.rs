//! What an execution did, state by state, read from its history: the events of
//! GetExecutionHistory (`id`, `previousEventId`, `type`, `<kind>EventDetails`), the engine's own
//! history (details under `details`), or the short `{"type", "name"}` events of `quickstep run`.
//! Each event belongs to the state whose `...StateEntered` event its `previousEventId` chain
//! leads back to, so the iterations of a Map and the branches of a Parallel are told apart.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// What happened to one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Never entered.
    NotReached,
    /// Entered and not left, in an execution that has not ended.
    Running,
    /// Left after succeeding at once.
    Succeeded,
    /// Left after succeeding, having failed and been retried first.
    Retried,
    /// Failed and was caught: left for a Catcher's state.
    Caught,
    /// Failed, and the failure ended the execution (or the state did not leave).
    Failed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Self::NotReached => "not-reached",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Retried => "retried",
            Self::Caught => "caught",
            Self::Failed => "failed",
        }
    }
}

/// One state's part in the execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub outcome: Outcome,
    /// How often it was entered (a state in a Map's processor: once per iteration).
    pub entered: u32,
    /// Its failures, in order, retried or not: (error, cause).
    pub failures: Vec<(String, Option<String>)>,
    /// How often it was retried (its failures that did not end it).
    pub retries: u32,
    /// The input and output of its last visit, where the history has data.
    pub input: Option<String>,
    pub output: Option<String>,
}

/// The execution: its status and each state's visit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Execution {
    /// `SUCCEEDED`, `FAILED`, ... or `RUNNING` while no execution-ending event is there.
    pub status: String,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub visits: BTreeMap<String, Visit>,
    /// The events, each as (id, type, state it belongs to, details).
    pub events: Vec<Event>,
    /// The moves it made: (state left, state entered next).
    pub transitions: BTreeSet<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub kind: String,
    pub state: Option<String>,
    /// Seconds since the epoch, when the history has times.
    pub timestamp: Option<f64>,
    pub details: Option<Value>,
}

/// Per-visit bookkeeping while reading.
#[derive(Default)]
struct Open {
    failed_last: bool,
    failures: u32,
}

impl Execution {
    /// Reads a history: an array of events, or an object with `events` (GetExecutionHistory,
    /// `quickstep run`'s report).
    pub fn from_history(history: &Value) -> Result<Self, String> {
        let events = match history {
            Value::Array(events) => events,
            Value::Object(o) => match o.get("events") {
                Some(Value::Array(events)) => events,
                _ => {
                    return Err(
                        "a history is an array of events, or an object with \"events\"".into(),
                    )
                }
            },
            _ => {
                return Err("a history is an array of events, or an object with \"events\"".into())
            }
        };
        let mut execution = Self {
            status: "RUNNING".to_owned(),
            ..Self::default()
        };
        if let Some(status) = history.get("status").and_then(Value::as_str) {
            execution.status = status.to_owned();
        }
        let mut state_of: BTreeMap<u64, Option<String>> = BTreeMap::new();
        let mut open: BTreeMap<String, Open> = BTreeMap::new();
        for (i, event) in events.iter().enumerate() {
            let Value::Object(fields) = event else {
                return Err(format!("/events/{i}: an event is a JSON object"));
            };
            let kind = fields
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("/events/{i}/type: an event needs its type"))?
                .to_owned();
            #[allow(clippy::cast_possible_truncation)]
            let id = fields
                .get("id")
                .and_then(Value::as_u64)
                .unwrap_or(i as u64 + 1);
            let previous = fields
                .get("previousEventId")
                .and_then(Value::as_u64)
                .unwrap_or(id.saturating_sub(1));
            let details = details_of(fields);
            let detail = |field: &str| {
                details
                    .as_ref()
                    .and_then(|d| d.get(field))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let name = fields
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| detail("name"));
            let inherited = state_of.get(&previous).cloned().flatten();
            let state = if kind.ends_with("StateEntered") {
                name.clone()
            } else if kind.ends_with("StateExited") {
                name.clone().or(inherited.clone())
            } else if kind.starts_with("Execution") {
                None
            } else {
                inherited.clone()
            };
            // After a state's exit its thread belongs to no state until the next is entered.
            state_of.insert(
                id,
                if kind.ends_with("StateExited") {
                    None
                } else {
                    state.clone()
                },
            );
            let timestamp = fields.get("timestamp").and_then(Value::as_f64).map(|t| {
                // The engine's history counts milliseconds, Step Functions' answers seconds.
                if t > 1e11 {
                    t / 1000.0
                } else {
                    t
                }
            });
            execution.events.push(Event {
                id,
                kind: kind.clone(),
                state: state.clone(),
                timestamp,
                details: details.clone(),
            });

            if kind.starts_with("Execution") {
                match kind.as_str() {
                    "ExecutionSucceeded" => execution.status = "SUCCEEDED".into(),
                    "ExecutionFailed" => execution.status = "FAILED".into(),
                    "ExecutionTimedOut" => execution.status = "TIMED_OUT".into(),
                    "ExecutionAborted" => execution.status = "ABORTED".into(),
                    "ExecutionStarted" | "ExecutionRedriven" => execution.status = "RUNNING".into(),
                    _ => {}
                }
                if kind != "ExecutionSucceeded" && kind != "ExecutionStarted" {
                    if let Some(error) = detail("error") {
                        execution.error = Some(error.clone());
                        execution.cause = detail("cause");
                        // The state the execution ended in (a Fail state, or one whose error
                        // nothing caught) shows the error, if no event of its own did.
                        if let Some(visit) = inherited.and_then(|s| execution.visits.get_mut(&s)) {
                            if visit.failures.is_empty() {
                                visit.failures.push((error, execution.cause.clone()));
                            }
                        }
                    }
                }
                continue;
            }
            let Some(state) = state else { continue };
            let visit = execution.visits.entry(state.clone()).or_insert(Visit {
                outcome: Outcome::Running,
                entered: 0,
                failures: Vec::new(),
                retries: 0,
                input: None,
                output: None,
            });
            let bookkeeping = open.entry(state.clone()).or_default();
            if kind.ends_with("StateEntered") {
                visit.entered += 1;
                visit.outcome = Outcome::Running;
                visit.input = detail("input").or(visit.input.take());
                *bookkeeping = Open::default();
            } else if kind.ends_with("StateExited") {
                visit.output = detail("output").or(visit.output.take());
                visit.outcome = if bookkeeping.failed_last {
                    Outcome::Caught
                } else if bookkeeping.failures > 0 {
                    Outcome::Retried
                } else if visit.outcome == Outcome::Caught || visit.outcome == Outcome::Retried {
                    visit.outcome
                } else {
                    Outcome::Succeeded
                };
            } else if is_failure(&kind) {
                let error = detail("error").unwrap_or_default();
                visit.failures.push((error, detail("cause")));
                bookkeeping.failed_last = true;
                bookkeeping.failures += 1;
                visit.outcome = Outcome::Failed;
            } else if kind.ends_with("Scheduled")
                || kind.ends_with("Started")
                || kind.ends_with("Succeeded")
            {
                if bookkeeping.failed_last
                    && (kind.ends_with("Scheduled") || kind.ends_with("Started"))
                {
                    // Scheduled again after a failure: a retry.
                    visit.retries += 1;
                    bookkeeping.failed_last = false;
                    visit.outcome = Outcome::Running;
                } else if kind.ends_with("Succeeded") {
                    bookkeeping.failed_last = false;
                }
            }
        }
        let by_id: BTreeMap<u64, &Event> = execution.events.iter().map(|e| (e.id, e)).collect();
        let mut transitions = BTreeSet::new();
        for (event, raw) in execution.events.iter().zip(events) {
            if !event.kind.ends_with("StateEntered") {
                continue;
            }
            #[allow(clippy::cast_possible_truncation)]
            let previous = raw
                .get("previousEventId")
                .and_then(Value::as_u64)
                .unwrap_or(event.id.saturating_sub(1));
            let left = by_id
                .get(&previous)
                .filter(|p| p.kind.ends_with("StateExited"))
                .and_then(|p| p.state.clone());
            if let (Some(left), Some(entered)) = (left, event.state.clone()) {
                transitions.insert((left, entered));
            }
        }
        execution.transitions = transitions;
        let ended = execution.status != "RUNNING";
        let failed = matches!(
            execution.status.as_str(),
            "FAILED" | "TIMED_OUT" | "ABORTED"
        );
        for visit in execution.visits.values_mut() {
            if visit.outcome == Outcome::Running && ended {
                visit.outcome = if failed {
                    Outcome::Failed
                } else {
                    Outcome::Succeeded
                };
            }
        }
        Ok(execution)
    }

    /// What happened to `state`.
    pub fn outcome(&self, state: &str) -> Outcome {
        self.visits
            .get(state)
            .map_or(Outcome::NotReached, |v| v.outcome)
    }
}

/// Whether an event of type `kind` is a failure of the work a state does (not a Map
/// iteration's, which its processor's states show, nor the execution's).
pub fn is_failure(kind: &str) -> bool {
    kind.ends_with("Failed") && !kind.starts_with("MapIteration") || kind.ends_with("TimedOut")
}

/// The event's details object: `<kind>EventDetails` at the top (Step Functions' shape) or
/// inside `details` (the engine's).
fn details_of(fields: &Map<String, Value>) -> Option<Value> {
    let find = |object: &Map<String, Value>| {
        object
            .iter()
            .find(|(k, v)| k.ends_with("EventDetails") && v.is_object())
            .map(|(_, v)| v.clone())
    };
    find(fields).or_else(|| match fields.get("details") {
        Some(Value::Object(inner)) => find(inner),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: u64, previous: u64, kind: &str, details: Value) -> Value {
        let mut e =
            json!({"id": id, "previousEventId": previous, "type": kind, "timestamp": 1.7e9});
        if !details.is_null() {
            let key = format!("{}{}EventDetails", kind[..1].to_lowercase(), &kind[1..]);
            e[key] = details;
        }
        e
    }

    #[test]
    fn a_history_tells_each_states_outcome() {
        let entered = |name: &str, input: &str| json!({"name": name, "input": input});
        let history = json!({"events": [
            event(1, 0, "ExecutionStarted", json!({"input": "{}"})),
            event(2, 1, "TaskStateEntered", entered("Charge", "{\"n\":1}")),
            event(3, 2, "TaskScheduled", json!({})),
            event(4, 3, "TaskFailed", json!({"error": "Busy", "cause": "later"})),
            event(5, 4, "TaskScheduled", json!({})),
            event(6, 5, "TaskSucceeded", json!({})),
            event(7, 6, "TaskStateExited", json!({"name": "Charge", "output": "{\"paid\":true}"})),
            event(8, 7, "TaskStateEntered", entered("Ship", "{}")),
            event(9, 8, "TaskScheduled", json!({})),
            event(10, 9, "TaskFailed", json!({"error": "Lost", "cause": "gone"})),
            event(11, 10, "TaskStateExited", json!({"name": "Ship", "output": "{}"})),
            event(12, 11, "PassStateEntered", entered("Sorry", "{}")),
            event(13, 12, "TaskStateEntered", entered("Never", "{}")),
            event(14, 13, "ExecutionFailed", json!({"error": "Lost", "cause": "gone"})),
        ]});
        let execution = Execution::from_history(&history).unwrap();
        assert_eq!(execution.status, "FAILED");
        assert_eq!(execution.error.as_deref(), Some("Lost"));
        let charge = &execution.visits["Charge"];
        assert_eq!(
            (charge.outcome, charge.retries, charge.entered),
            (Outcome::Retried, 1, 1)
        );
        assert_eq!(charge.output.as_deref(), Some("{\"paid\":true}"));
        assert_eq!(execution.outcome("Ship"), Outcome::Caught);
        assert_eq!(
            execution.visits["Ship"].failures,
            [("Lost".to_owned(), Some("gone".to_owned()))]
        );
        assert_eq!(
            execution.outcome("Sorry"),
            Outcome::Failed,
            "entered, never left, execution failed"
        );
        assert_eq!(execution.outcome("Elsewhere"), Outcome::NotReached);
        assert_eq!(execution.events[3].state.as_deref(), Some("Charge"));
        assert!(execution
            .transitions
            .contains(&("Charge".to_owned(), "Ship".to_owned())));
        assert!(execution
            .transitions
            .contains(&("Ship".to_owned(), "Sorry".to_owned())));
    }

    #[test]
    fn map_iterations_count_and_the_short_report_reads() {
        // quickstep run's report: types and names only, one event after another.
        let report = json!({"status": "SUCCEEDED", "events": [
            {"type": "ExecutionStarted"},
            {"type": "MapStateEntered", "name": "Each"},
            {"type": "MapStateStarted"},
            {"type": "PassStateEntered", "name": "Item"},
            {"type": "PassStateExited", "name": "Item"},
            {"type": "PassStateEntered", "name": "Item"},
            {"type": "PassStateExited", "name": "Item"},
            {"type": "MapStateSucceeded"},
            {"type": "MapStateExited", "name": "Each"},
            {"type": "ExecutionSucceeded"}]});
        let execution = Execution::from_history(&report).unwrap();
        assert_eq!(execution.status, "SUCCEEDED");
        assert_eq!(execution.visits["Item"].entered, 2);
        assert_eq!(execution.outcome("Each"), Outcome::Succeeded);
        assert!(Execution::from_history(&json!({"events": [{"id": 1}]}))
            .unwrap_err()
            .contains("/events/0/type"));
    }
}
