//! Metrics as CloudWatch's Embedded Metric Format: a JSON line in the function's log that
//! CloudWatch turns into metrics, with no API call. The execution metrics Step Functions
//! publishes (`ExecutionsStarted`, `ExecutionsSucceeded`, `ExecutionsFailed`,
//! `ExecutionsAborted`, `ExecutionsTimedOut`, `ExecutionTime`, and `ExecutionsRedriven`) per
//! state machine, in the namespace [`NAMESPACE`] (AWS/States is AWS's own); and the service's:
//! steps per execution, conditional-write conflicts, dropped duplicate deliveries, dead letters,
//! task invocations per integration.

use quickstep_engine::execution::{HistoryEvent, Millis};
use serde_json::{json, Map, Value};

/// The namespace quickstep's metrics are in.
pub const NAMESPACE: &str = "quickstep";

/// The dimension of the per-state-machine metrics, as Step Functions names it.
pub const STATE_MACHINE: &str = "StateMachineArn";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF line: `values` (name, value, unit) under the dimension set `dimensions` and, with
/// `aggregate`, also under none (one metric over every value of the dimensions, which an
/// alarm can watch: alarms cannot search).
pub fn line(
    at: Millis,
    dimensions: &[(&str, &str)],
    aggregate: bool,
    values: &[(&str, f64, Unit)],
) -> String {
    let mut root = Map::new();
    let names: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    let mut sets = vec![names];
    if aggregate && !dimensions.is_empty() {
        sets.push(Vec::new());
    }
    let metrics: Vec<Value> = values
        .iter()
        .map(|(name, _, unit)| json!({"Name": name, "Unit": unit.name()}))
        .collect();
    root.insert(
        "_aws".into(),
        json!({"Timestamp": at, "CloudWatchMetrics": [
            {"Namespace": NAMESPACE, "Dimensions": sets, "Metrics": metrics}]}),
    );
    for (key, value) in dimensions {
        root.insert((*key).into(), (*value).into());
    }
    for (name, value, _) in values {
        root.insert((*name).into(), json!(value));
    }
    Value::Object(root).to_string()
}

/// The execution metrics that `events` (new history events of one execution) make: a start,
/// a redrive, an end with its time since `start` and the `steps` (stored writes) it took.
pub fn of_events(
    events: &[HistoryEvent],
    state_machine_arn: &str,
    start: Millis,
    steps: u64,
) -> Vec<String> {
    let dimensions = [(STATE_MACHINE, state_machine_arn)];
    let mut lines = Vec::new();
    for event in events {
        let count = match event.kind.as_str() {
            "ExecutionStarted" => "ExecutionsStarted",
            "ExecutionRedriven" => "ExecutionsRedriven",
            "ExecutionSucceeded" => "ExecutionsSucceeded",
            "ExecutionFailed" => "ExecutionsFailed",
            "ExecutionAborted" => "ExecutionsAborted",
            "ExecutionTimedOut" => "ExecutionsTimedOut",
            _ => continue,
        };
        let mut values = vec![(count, 1.0, Unit::Count)];
        if !matches!(count, "ExecutionsStarted" | "ExecutionsRedriven") {
            #[allow(clippy::cast_precision_loss)]
            values.push((
                "ExecutionTime",
                (event.timestamp - start).max(0) as f64,
                Unit::Milliseconds,
            ));
            #[allow(clippy::cast_precision_loss)]
            values.push(("StepsPerExecution", steps as f64, Unit::Count));
        }
        lines.push(line(event.timestamp, &dimensions, true, &values));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, timestamp: Millis) -> HistoryEvent {
        HistoryEvent {
            id: 1,
            previous_event_id: 0,
            timestamp,
            kind: kind.to_owned(),
            name: None,
            details: None,
        }
    }

    #[test]
    fn an_execution_end_is_a_count_a_time_and_its_steps() {
        let arn = "arn:aws:states:us-east-1:1:stateMachine:m";
        let lines = of_events(
            &[
                event("ExecutionStarted", 1_000),
                event("PassStateEntered", 1_001),
                event("ExecutionFailed", 1_250),
            ],
            arn,
            1_000,
            3,
        );
        assert_eq!(lines.len(), 2);
        let end: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(
            end,
            json!({"_aws": {"Timestamp": 1_250, "CloudWatchMetrics": [{"Namespace": "quickstep",
                "Dimensions": [["StateMachineArn"], []],
                "Metrics": [{"Name": "ExecutionsFailed", "Unit": "Count"},
                            {"Name": "ExecutionTime", "Unit": "Milliseconds"},
                            {"Name": "StepsPerExecution", "Unit": "Count"}]}]},
                "StateMachineArn": arn, "ExecutionsFailed": 1.0, "ExecutionTime": 250.0,
                "StepsPerExecution": 3.0})
        );
        let start: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(start["ExecutionsStarted"], 1.0);
        assert!(start.get("ExecutionTime").is_none());
    }
}
