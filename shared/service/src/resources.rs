//! The rules for Task resources: which ones the service runs itself, which a callback calls,
//! and why one cannot run. Every feature module reads them from here.

use quickstep_engine::validate::ResourceKind;

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

/// Whether the service itself runs a Task's resource of this kind.
pub fn runs(kind: &ResourceKind) -> bool {
    kind.is_request_response("states", "startExecution")
}

/// Why a Task's `resource` (of this kind) cannot run here.
pub(crate) fn unsupported_message(resource: &str, kind: &ResourceKind) -> String {
    match kind {
        ResourceKind::Service(i) if i.pattern.starts_with("sync") => format!(
            "The resource {resource} is not supported by this quickstep deployment: its executions \
             run as Step Functions Express workflows do, which support no '.sync' service \
             integrations (this one is '.{}')",
            i.pattern
        ),
        _ => format!(
            "The resource {resource} is not supported by this quickstep deployment: it runs \
             Lambda functions (function ARNs and arn:aws:states:::lambda:invoke), \
             sqs:sendMessage, events:putEvents, dynamodb:getItem, putItem, updateItem and \
             deleteItem, and states:startExecution, each also as .waitForTaskToken where Step \
             Functions offers it, and none as .sync"
        ),
    }
}
