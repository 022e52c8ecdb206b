//! `arn:aws:states:::events:putEvents`: `Entries`, each with `Source`, `DetailType`, `Detail`
//! (a string, or JSON sent as its text), `EventBusName` and `Resources`. The result is the
//! PutEvents response, `{"Entries": [{"EventId"}…], "FailedEntryCount": 0}`; when an entry
//! failed, the task fails with `EventBridge.FailedEntry` and the whole response as cause.

use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use quickstep_engine::failure::Failure;
use quickstep_runtime::invoker::Invocation;
use serde_json::{json, Value};

use super::failures::{text_of, unusable_parameters, EVENTBRIDGE};

/// The resource.
pub(crate) const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";

/// Puts the events `parameters` describe; parameters without `Entries` fail at once.
pub(crate) fn invoke(client: &Client, parameters: &Value) -> Invocation {
    match entries(parameters) {
        Ok(entries) => {
            let client = client.clone();
            Invocation::Pending(Box::pin(async move { put_events(&client, entries).await }))
        }
        Err(failure) => Invocation::Ready(Err(failure)),
    }
}

fn entries(parameters: &Value) -> Result<Vec<PutEventsRequestEntry>, Failure> {
    let entries = parameters
        .get("Entries")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            unusable_parameters(
                parameters,
                &[r#"The field "Entries" is required"#.to_owned()],
            )
        })?;
    Ok(entries
        .iter()
        .map(|entry| {
            let field = |name: &str| entry.get(name).map(text_of);
            PutEventsRequestEntry::builder()
                .set_source(field("Source"))
                .set_detail_type(field("DetailType"))
                .set_detail(field("Detail"))
                .set_event_bus_name(field("EventBusName"))
                .set_resources(
                    entry
                        .get("Resources")
                        .and_then(Value::as_array)
                        .map(|resources| resources.iter().map(text_of).collect()),
                )
                .build()
        })
        .collect())
}

async fn put_events(
    client: &Client,
    entries: Vec<PutEventsRequestEntry>,
) -> Result<Value, Failure> {
    let out = client
        .put_events()
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| EVENTBRIDGE.failure(&e, shape))?;
    let results: Vec<Value> = out
        .entries()
        .iter()
        .map(|r| match (r.event_id(), r.error_code()) {
            (Some(id), _) => json!({"EventId": id}),
            (None, code) => json!({"ErrorCode": code, "ErrorMessage": r.error_message()}),
        })
        .collect();
    let failed = out.failed_entry_count();
    let response = json!({"Entries": results, "FailedEntryCount": failed});
    if failed > 0 {
        return Err(Failure::new(
            "EventBridge.FailedEntry",
            response.to_string(),
        ));
    }
    Ok(response)
}

/// The modeled error a PutEvents error is.
fn shape(err: &PutEventsError) -> Option<&'static str> {
    match err {
        PutEventsError::InternalException(_) => Some("InternalException"),
        _ => None,
    }
}
