//! The service's own table, step queue and bus are out of the Tasks' reach.
//!
//! Tasks run with the function's role, and that role must read and write the table, send to
//! the step queue and put events on the bus for the service itself, so IAM cannot tell a
//! Task's `dynamodb:putItem` on the executions table from the store's own (the template denies
//! what the service never does itself: see its `TasksKeepOff` statements). A Task that could
//! write execution records, forge step messages or publish status changes would act with the
//! service's powers, so the invoker refuses such a call before making it, as IAM would refuse
//! it to a Step Functions state machine whose role has no access: the service's
//! `AccessDeniedException`, named as Step Functions names it (`DynamoDB.AmazonDynamoDBException`,
//! `SQS.AmazonSQSException`, `EventBridge.AmazonEventBridgeException`), which `Catch` handles.
//!
//! The check applies to the deployment's own credentials only: a Task with `Credentials`
//! calls as another role, whose own policy decides.

use quickstep_engine::failure::Failure;
use serde_json::Value;

use super::dynamodb::Action;
use super::failures::{Service, DYNAMODB, EVENTBRIDGE, SQS};
use super::{eventbridge, sqs};

/// The service's own resources, as its configuration names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnResources {
    /// The DynamoDB table's name (`QUICKSTEP_TABLE`).
    pub table: String,
    /// The step queue's URL (`QUICKSTEP_STEP_QUEUE_URL`).
    pub step_queue_url: String,
    /// The event bus's name or ARN (`QUICKSTEP_EVENT_BUS`).
    pub bus: String,
}

impl OwnResources {
    /// The refusal of a Task call to `resource` with `parameters` that would reach one of these
    /// resources, or `None` for any other call.
    pub(crate) fn refusal(&self, resource: &str, parameters: &Value) -> Option<Failure> {
        let text = |name: &str| parameters.get(name).and_then(Value::as_str);
        if let Some(action) = Action::of(resource) {
            let table = text("TableName")?;
            return (table_name(table) == table_name(&self.table)).then(|| {
                denied(
                    &DYNAMODB,
                    &format!("dynamodb:{}", action.operation()),
                    table,
                    "its own table",
                )
            });
        }
        match resource {
            sqs::SEND_MESSAGE => {
                let url = text("QueueUrl")?;
                (queue_path(url) == queue_path(&self.step_queue_url))
                    .then(|| denied(&SQS, "sqs:SendMessage", url, "its own step queue"))
            }
            eventbridge::PUT_EVENTS => {
                let entries = parameters.get("Entries").and_then(Value::as_array)?;
                let ours = bus_name(&self.bus);
                let bus = entries
                    .iter()
                    .filter_map(|e| e.get("EventBusName").and_then(Value::as_str))
                    .find(|bus| bus_name(bus) == ours)?;
                Some(denied(
                    &EVENTBRIDGE,
                    "events:PutEvents",
                    bus,
                    "its own event bus",
                ))
            }
            _ => None,
        }
    }
}

/// A table's name, given by name or ARN (`arn:aws:dynamodb:…:table/NAME`).
fn table_name(table: &str) -> &str {
    table.rsplit_once(":table/").map_or(table, |(_, name)| name)
}

/// A queue URL's `/ACCOUNT/NAME`, whichever of SQS's host names it uses.
fn queue_path(url: &str) -> &str {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    without_scheme
        .find('/')
        .map_or(without_scheme, |slash| &without_scheme[slash..])
        .trim_end_matches('/')
}

/// A bus's name, given by name or ARN (`arn:aws:events:…:event-bus/NAME`).
fn bus_name(bus: &str) -> &str {
    bus.rsplit_once(":event-bus/").map_or(bus, |(_, name)| name)
}

fn denied(service: &Service, action: &str, resource: &str, what: &str) -> Failure {
    service.refusal(format!(
        "quickstep is not authorized to perform: {action} on resource: {resource} for a Task: \
         it is {what}, which Task states may not use (Service: {}; Status Code: 400; \
         Error Code: AccessDeniedException; Request ID: null; Proxy: null)",
        service.java_name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn own() -> OwnResources {
        OwnResources {
            table: "quickstep-ExecutionsTable-ABC".into(),
            step_queue_url:
                "https://sqs.us-east-1.amazonaws.com/123456789012/quickstep-StepQueue-XYZ".into(),
            bus: "quickstep-events".into(),
        }
    }

    fn refused(resource: &str, parameters: &Value) -> Option<String> {
        own()
            .refusal(resource, parameters)
            .map(|f| f.error.unwrap_or_default())
    }

    #[test]
    fn refuses_the_services_own_table_by_name_or_arn() {
        for action in ["getItem", "putItem", "updateItem", "deleteItem"] {
            let resource = format!("arn:aws:states:::dynamodb:{action}");
            for table in [
                "quickstep-ExecutionsTable-ABC",
                "arn:aws:dynamodb:us-east-1:123456789012:table/quickstep-ExecutionsTable-ABC",
            ] {
                assert_eq!(
                    refused(&resource, &json!({"TableName": table, "Key": {}})).as_deref(),
                    Some("DynamoDB.AmazonDynamoDBException"),
                    "{action} {table}"
                );
            }
            assert_eq!(
                refused(&resource, &json!({"TableName": "orders", "Key": {}})),
                None
            );
        }
        let failure = own()
            .refusal(
                "arn:aws:states:::dynamodb:putItem",
                &json!({"TableName": "quickstep-ExecutionsTable-ABC"}),
            )
            .unwrap();
        let cause = failure.cause.unwrap();
        assert!(cause.contains("dynamodb:PutItem"), "{cause}");
        assert!(
            cause.contains("Error Code: AccessDeniedException"),
            "{cause}"
        );
    }

    #[test]
    fn refuses_the_step_queue_whatever_its_host_name() {
        for url in [
            "https://sqs.us-east-1.amazonaws.com/123456789012/quickstep-StepQueue-XYZ",
            "https://queue.amazonaws.com/123456789012/quickstep-StepQueue-XYZ/",
            "http://127.0.0.1:5000/123456789012/quickstep-StepQueue-XYZ",
        ] {
            assert_eq!(
                refused(
                    sqs::SEND_MESSAGE,
                    &json!({"QueueUrl": url, "MessageBody": "x"})
                )
                .as_deref(),
                Some("SQS.AmazonSQSException"),
                "{url}"
            );
        }
        for url in [
            "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
            "https://sqs.us-east-1.amazonaws.com/210987654321/quickstep-StepQueue-XYZ",
        ] {
            assert_eq!(
                refused(
                    sqs::SEND_MESSAGE,
                    &json!({"QueueUrl": url, "MessageBody": "x"})
                ),
                None,
                "{url}"
            );
        }
    }

    #[test]
    fn refuses_entries_for_the_services_own_bus() {
        let entries = |bus: Value| json!({"Entries": [{"Source": "a"}, {"Source": "b", "EventBusName": bus}]});
        for bus in [
            "quickstep-events",
            "arn:aws:events:us-east-1:123456789012:event-bus/quickstep-events",
        ] {
            assert_eq!(
                refused(eventbridge::PUT_EVENTS, &entries(json!(bus))).as_deref(),
                Some("EventBridge.AmazonEventBridgeException"),
                "{bus}"
            );
        }
        assert_eq!(
            refused(eventbridge::PUT_EVENTS, &entries(json!("orders"))),
            None
        );
        // No EventBusName: the account's default bus.
        assert_eq!(
            refused(
                eventbridge::PUT_EVENTS,
                &json!({"Entries": [{"Source": "a"}]})
            ),
            None
        );
    }

    #[test]
    fn other_resources_pass() {
        assert_eq!(
            refused(
                "arn:aws:states:::lambda:invoke",
                &json!({"FunctionName": "quickstep-events"})
            ),
            None
        );
    }
}
