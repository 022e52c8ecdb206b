//! The rules for Task resources: which ones the service runs itself, which a callback calls,
//! and which Tasks a definition holds. Every feature module reads them from here.

use quickstep_engine::problem::pointer_escape;
use serde_json::Value;

/// The suffix of a Task resource that waits for its token.
pub const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";

/// The resource a Task calls: without `.waitForTaskToken`, for a callback task.
pub fn called_resource(resource: &str) -> &str {
    resource
        .strip_suffix(WAIT_FOR_TASK_TOKEN)
        .unwrap_or(resource)
}

/// The resource the service runs itself.
pub const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// Whether the service itself runs `resource`.
pub fn runs(resource: &str) -> bool {
    resource == START_EXECUTION
}

/// Why a Task's resource cannot run here.
pub(crate) fn unsupported_message(resource: &str) -> String {
    let job = [".sync:2", ".sync"]
        .into_iter()
        .find(|pattern| resource.ends_with(pattern));
    match job {
        Some(pattern) => format!(
            "The resource {resource} is not supported by this quickstep deployment: its executions \
             run as Step Functions Express workflows do, which support no '.sync' service \
             integrations (this one is '{pattern}')"
        ),
        None => format!(
            "The resource {resource} is not supported by this quickstep deployment: it runs \
             Lambda functions (function ARNs and arn:aws:states:::lambda:invoke), \
             sqs:sendMessage, events:putEvents, dynamodb:getItem, putItem, updateItem and \
             deleteItem, and states:startExecution, each also as .waitForTaskToken where Step \
             Functions offers it, and none as .sync"
        ),
    }
}

/// Every Task state's resource with its JSON pointer (`/States/A/Resource`), nested Parallel
/// branches and Map processors included.
pub(crate) fn task_resources(definition: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_task_resources(definition, "", &mut found);
    found
}

fn collect_task_resources(definition: &Value, pointer: &str, found: &mut Vec<(String, String)>) {
    let Some(states) = definition.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let here = format!("{pointer}/States/{}", pointer_escape(name));
        if state.get("Type").and_then(Value::as_str) == Some("Task") {
            if let Some(resource) = state.get("Resource").and_then(Value::as_str) {
                found.push((format!("{here}/Resource"), resource.to_owned()));
            }
        }
        for field in ["Iterator", "ItemProcessor"] {
            if let Some(processor) = state.get(field) {
                collect_task_resources(processor, &format!("{here}/{field}"), found);
            }
        }
        if let Some(Value::Array(branches)) = state.get("Branches") {
            for (i, branch) in branches.iter().enumerate() {
                collect_task_resources(branch, &format!("{here}/Branches/{i}"), found);
            }
        }
    }
}
