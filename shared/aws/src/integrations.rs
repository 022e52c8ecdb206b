//! The Task resources the deployed service runs for real: Lambda (through [`LambdaInvoker`]),
//! `arn:aws:states:::sqs:sendMessage` and `arn:aws:states:::events:putEvents`, with the result
//! shapes and error names Step Functions gives them. Any other resource is refused when a state
//! machine is stored (see [`TaskInvoker::supports`]).

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use quickstep::execution::TaskRequest;
use quickstep::failure::{names, Failure};
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use serde_json::{json, Map, Value};

use crate::lambda::LambdaInvoker;

const SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";
const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";

/// Runs every Task resource quickstep supports on AWS.
#[derive(Debug, Clone)]
pub struct AwsInvoker {
    lambda: LambdaInvoker,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
}

impl AwsInvoker {
    pub fn new(
        lambda: LambdaInvoker,
        sqs: aws_sdk_sqs::Client,
        events: aws_sdk_eventbridge::Client,
    ) -> Self {
        Self {
            lambda,
            sqs,
            events,
        }
    }
}

impl TaskInvoker for AwsInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        match request.resource.as_str() {
            SEND_MESSAGE => {
                let (client, input) = (self.sqs.clone(), request.input.clone());
                Invocation::Pending(Box::pin(async move { send_message(&client, &input).await }))
            }
            PUT_EVENTS => {
                let (client, input) = (self.events.clone(), request.input.clone());
                Invocation::Pending(Box::pin(async move { put_events(&client, &input).await }))
            }
            _ => self.lambda.invoke(request),
        }
    }

    fn supports(&self, resource: &str) -> bool {
        matches!(resource, SEND_MESSAGE | PUT_EVENTS) || LambdaInvoker::handles(resource)
    }
}

/// A parameter as text: strings as they are, other JSON serialized (Step Functions accepts a
/// JSON object as `MessageBody` or `Detail`).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn missing(integration: &str, field: &str) -> Failure {
    Failure::new(
        names::RUNTIME,
        format!("The parameters of {integration} must include '{field}'"),
    )
}

/// A service error as Step Functions names it: `<Service>.<ErrorCode>`.
fn service_failure(service: &str, code: Option<&str>, message: Option<&str>) -> Failure {
    Failure::new(
        format!("{service}.{}", code.unwrap_or("ServiceException")),
        message
            .unwrap_or("the service returned an error")
            .to_owned(),
    )
}

async fn send_message(client: &aws_sdk_sqs::Client, input: &Value) -> Result<Value, Failure> {
    let queue_url = input
        .get("QueueUrl")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("sqs:sendMessage", "QueueUrl"))?;
    let body = input
        .get("MessageBody")
        .map(text_of)
        .ok_or_else(|| missing("sqs:sendMessage", "MessageBody"))?;
    let mut call = client
        .send_message()
        .queue_url(queue_url)
        .message_body(body);
    if let Some(delay) = input.get("DelaySeconds").and_then(Value::as_i64) {
        call = call.delay_seconds(i32::try_from(delay).unwrap_or(i32::MAX));
    }
    if let Some(group) = input.get("MessageGroupId").and_then(Value::as_str) {
        call = call.message_group_id(group);
    }
    if let Some(dedup) = input.get("MessageDeduplicationId").and_then(Value::as_str) {
        call = call.message_deduplication_id(dedup);
    }
    match call.send().await {
        Ok(out) => {
            let mut result = Map::new();
            if let Some(md5) = out.md5_of_message_body() {
                result.insert("MD5OfMessageBody".into(), md5.into());
            }
            if let Some(id) = out.message_id() {
                result.insert("MessageId".into(), id.into());
            }
            Ok(Value::Object(result))
        }
        Err(e) => {
            use aws_sdk_sqs::error::ProvideErrorMetadata;
            Err(service_failure("SQS", e.code(), e.message()))
        }
    }
}

async fn put_events(client: &aws_sdk_eventbridge::Client, input: &Value) -> Result<Value, Failure> {
    let entries = input
        .get("Entries")
        .and_then(Value::as_array)
        .ok_or_else(|| missing("events:putEvents", "Entries"))?;
    let mut call = client.put_events();
    for entry in entries {
        let field = |name: &str| entry.get(name).map(text_of);
        let mut built = PutEventsRequestEntry::builder()
            .set_source(field("Source"))
            .set_detail_type(field("DetailType"))
            .set_detail(field("Detail"))
            .set_event_bus_name(field("EventBusName"));
        if let Some(resources) = entry.get("Resources").and_then(Value::as_array) {
            built = built.set_resources(Some(resources.iter().map(text_of).collect()));
        }
        call = call.entries(built.build());
    }
    let out = match call.send().await {
        Ok(out) => out,
        Err(e) => {
            use aws_sdk_eventbridge::error::ProvideErrorMetadata;
            return Err(service_failure("EventBridge", e.code(), e.message()));
        }
    };
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
        // As Step Functions reports it: the whole response is the cause.
        return Err(Failure::new(
            "EventBridge.FailedEntry",
            response.to_string(),
        ));
    }
    Ok(response)
}
