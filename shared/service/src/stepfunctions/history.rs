//! `GetExecutionHistory`: the engine's history events in Step Functions' shape, a page at a
//! time.

use quickstep_engine::execution::HistoryEvent;
use serde_json::{json, Map, Value};

use super::fault::Fault;
use super::paging::{Page, Paging};
use crate::records::epoch_seconds;

/// The events of one page: `{"events": [...], "nextToken"?: "..."}`.
pub fn page(
    history: &[HistoryEvent],
    paging: &Paging,
    reverse: bool,
    include_data: bool,
) -> Result<Value, Fault> {
    let Page { range, next_token } = paging.page(history.len())?;
    let events: Vec<Value> = range
        .map(|i| {
            let event = if reverse {
                &history[history.len() - 1 - i]
            } else {
                &history[i]
            };
            shaped(event, include_data)
        })
        .collect();
    let mut body = json!({ "events": events });
    if let Some(token) = next_token {
        body["nextToken"] = json!(token);
    }
    Ok(body)
}

/// One event as Step Functions returns it: `timestamp` in epoch seconds, `type`, `id`,
/// `previousEventId`, and its `…EventDetails` object (the state's name inside it); without
/// `include_data`, the details keep no `input` or `output`.
fn shaped(event: &HistoryEvent, include_data: bool) -> Value {
    let mut out = json!({
        "timestamp": epoch_seconds(event.timestamp),
        "type": event.kind,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    });
    let mut details = match &event.details {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    if event.name.is_some() && details.is_empty() {
        let key = format!("{}EventDetails", lower_first(&event.kind));
        details.insert(key, json!({}));
    }
    for value in details.values_mut() {
        if let Value::Object(fields) = value {
            if let Some(name) = &event.name {
                fields
                    .entry("name")
                    .or_insert_with(|| Value::String(name.clone()));
            }
            if !include_data {
                fields.remove("input");
                fields.remove("output");
            }
        }
    }
    if let Value::Object(map) = &mut out {
        map.extend(details);
    }
    out
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, kind: &str, name: Option<&str>, details: Option<Value>) -> HistoryEvent {
        HistoryEvent {
            id,
            previous_event_id: id.saturating_sub(1),
            timestamp: 1_700_000_000_500,
            kind: kind.into(),
            name: name.map(str::to_owned),
            details,
        }
    }

    #[test]
    fn events_take_step_functions_shape() {
        let history = [
            event(
                1,
                "ExecutionStarted",
                None,
                Some(
                    json!({"executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": false}}}),
                ),
            ),
            event(
                2,
                "PassStateEntered",
                Some("P"),
                Some(json!({"stateEnteredEventDetails": {"input": "{}"}})),
            ),
            event(3, "WaitStateEntered", Some("W"), None),
        ];
        let body = page(&history, &Paging::first(100), false, true).unwrap();
        assert_eq!(
            body["events"][0],
            json!({"timestamp": 1_700_000_000.5, "type": "ExecutionStarted", "id": 1,
                   "previousEventId": 0,
                   "executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": false}}})
        );
        assert_eq!(
            body["events"][1]["stateEnteredEventDetails"],
            json!({"input": "{}", "name": "P"})
        );
        assert_eq!(
            body["events"][2]["waitStateEnteredEventDetails"],
            json!({"name": "W"})
        );
        assert!(body.get("nextToken").is_none());
        // Without data, newest first, two a page.
        let body = page(&history, &Paging::first(2), true, false).unwrap();
        assert_eq!(body["events"][0]["id"], 3);
        assert_eq!(
            body["events"][1]["stateEnteredEventDetails"],
            json!({"name": "P"})
        );
        let token = body["nextToken"].as_str().unwrap().to_owned();
        let body = page(&history, &Paging::after(2, &token), true, false).unwrap();
        assert_eq!(body["events"][0]["id"], 1);
        assert!(body.get("nextToken").is_none());
    }
}
