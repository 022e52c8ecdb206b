//! Which `Resource` ARNs a Task may name.

/// What a Task's resource is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// A Lambda function ARN used directly (history records `LambdaFunction*` events).
    LambdaFunction,
    /// An activity ARN.
    Activity,
    /// An optimized or AWS SDK service integration: `arn:aws:states:::service:action[.pattern]`.
    Service(Integration),
    /// A resource the checker refused: a state machine holding one never runs.
    Unrecognized,
}

impl ResourceKind {
    /// What `resource` is: [`recognize`]'s answer, or `Unrecognized`.
    pub fn of(resource: &str) -> Self {
        recognize(resource).unwrap_or(Self::Unrecognized)
    }

    /// What a callback task calls: the same resource without `.waitForTaskToken` (a service
    /// calls it as a request–response task, then waits for the token itself).
    pub fn called(&self) -> Self {
        match self {
            Self::Service(i) if i.pattern == "waitForTaskToken" => Self::Service(Integration {
                pattern: String::new(),
                ..i.clone()
            }),
            other => other.clone(),
        }
    }

    /// Whether it is the integration `service:action`, called request–response (no pattern).
    pub fn is_request_response(&self, service: &str, action: &str) -> bool {
        matches!(self, Self::Service(i)
            if i.service == service && i.action == action && i.pattern.is_empty())
    }

    /// The family of the history events of its calls: `LambdaFunction*` for a Lambda function
    /// used directly, `Activity*` for an activity, `Task*` for a service integration.
    pub fn event_family(&self) -> &'static str {
        match self {
            Self::LambdaFunction => "LambdaFunction",
            Self::Activity => "Activity",
            Self::Service(_) | Self::Unrecognized => "Task",
        }
    }

    /// Whether its call is answered later, through a task token (`.waitForTaskToken`,
    /// `.sync`, `.sync:2`).
    pub fn has_token(&self) -> bool {
        matches!(self, Self::Service(i) if !i.pattern.is_empty())
    }

    /// Whether it waits for the token's answer (`.waitForTaskToken`).
    pub fn waits_for_task_token(&self) -> bool {
        matches!(self, Self::Service(i) if i.pattern == "waitForTaskToken")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub service: String,
    pub action: String,
    /// `""`, `"sync"`, `"sync:2"` or `"waitForTaskToken"`.
    pub pattern: String,
}

/// Services with optimized integrations, and the actions each supports.
const OPTIMIZED: &[(&str, &[&str])] = &[
    ("lambda", &["invoke"]),
    (
        "dynamodb",
        &["getItem", "putItem", "updateItem", "deleteItem"],
    ),
    ("sqs", &["sendMessage"]),
    ("sns", &["publish"]),
    ("events", &["putEvents"]),
    ("states", &["startExecution"]),
    ("apigateway", &["invoke"]),
    ("ecs", &["runTask"]),
    ("batch", &["submitJob"]),
    ("glue", &["startJobRun"]),
    (
        "athena",
        &[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ],
    ),
    (
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
            "retryBuild",
            "retryBuildBatch",
            "stopBuildBatch",
            "deleteBuildBatch",
        ],
    ),
    (
        "eks",
        &[
            "createCluster",
            "deleteCluster",
            "createFargateProfile",
            "deleteFargateProfile",
            "createNodegroup",
            "deleteNodegroup",
            "runJob",
            "call",
        ],
    ),
    (
        "emr",
        &[
            "createCluster",
            "terminateCluster",
            "addStep",
            "cancelStep",
            "setClusterTerminationProtection",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        ],
    ),
    (
        "emr-containers",
        &[
            "startJobRun",
            "createVirtualCluster",
            "deleteVirtualCluster",
        ],
    ),
    (
        "emr-serverless",
        &[
            "createApplication",
            "startApplication",
            "stopApplication",
            "deleteApplication",
            "startJobRun",
            "cancelJobRun",
        ],
    ),
    (
        "sagemaker",
        &[
            "createTrainingJob",
            "createTransformJob",
            "createModel",
            "createEndpointConfig",
            "createEndpoint",
            "updateEndpoint",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createProcessingJob",
        ],
    ),
    ("glue:databrew", &["startJobRun"]),
    ("mediaconvert", &["createJob"]),
    ("bedrock", &["invokeModel", "createModelCustomizationJob"]),
    ("http", &["invoke"]),
];

/// Classifies a resource, or says why it is not recognized, in AWS's words.
pub fn classify(resource: &str, express: bool) -> Result<ResourceKind, String> {
    let kind = recognize(resource).ok_or_else(|| {
        format!(
            "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
        )
    })?;
    if express {
        match &kind {
            ResourceKind::Activity => {
                return Err("Express state machine does not support activities".into())
            }
            ResourceKind::Service(i) if i.pattern.starts_with("sync") => {
                return Err(
                    "Express state machine does not support '.sync' service integration".into(),
                )
            }
            ResourceKind::Service(i) if i.pattern == "waitForTaskToken" => return Err(
                "Express state machine does not support '.waitForTaskToken' service integration "
                    .into(),
            ),
            _ => {}
        }
    }
    Ok(kind)
}

/// What `resource` is, if it is a resource a Task may name (whatever the state machine's type).
pub fn recognize(resource: &str) -> Option<ResourceKind> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() {
        return None;
    }
    match (parts[2], parts[5]) {
        ("lambda", rest) if rest.starts_with("function:") => Some(ResourceKind::LambdaFunction),
        ("states", rest) if rest.starts_with("activity:") => Some(ResourceKind::Activity),
        ("states", rest) if parts[3].is_empty() && parts[4].is_empty() => integration(rest),
        _ => None,
    }
}

fn integration(rest: &str) -> Option<ResourceKind> {
    let (service, action_pattern) = if let Some(sdk) = rest.strip_prefix("aws-sdk:") {
        let (service, action) = sdk.split_once(':')?;
        (format!("aws-sdk:{service}"), action)
    } else if let Some(brew) = rest.strip_prefix("glue:databrew:") {
        ("glue:databrew".to_owned(), brew)
    } else {
        let (service, action) = rest.split_once(':')?;
        (service.to_owned(), action)
    };
    let (action, pattern) = match action_pattern.split_once('.') {
        Some((a, p)) => (a, p),
        None => (action_pattern, ""),
    };
    if !matches!(pattern, "" | "sync" | "sync:2" | "waitForTaskToken") || action.is_empty() {
        return None;
    }
    if !service.starts_with("aws-sdk:") {
        let (_, actions) = OPTIMIZED.iter().find(|(s, _)| *s == service)?;
        if !actions.contains(&action) {
            return None;
        }
    }
    Some(ResourceKind::Service(Integration {
        service,
        action: action.to_owned(),
        pattern: pattern.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_resources() {
        let ok = [
            "arn:aws:lambda:us-east-1:111111111111:function:f",
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "arn:aws:states:::dynamodb:putItem",
            "arn:aws:states:::aws-sdk:s3:getObject",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:us-east-1:111111111111:activity:a",
        ];
        for r in ok {
            assert!(classify(r, false).is_ok(), "{r}");
        }
        let bad = [
            "arn:aws:states:::dynamodb:query",
            "not-an-arn",
            "arn:aws:states:::lambda:invoke.later",
            "arn:aws:s3:::bucket",
        ];
        for r in bad {
            assert!(classify(r, false).is_err(), "{r}");
        }
        assert!(classify("arn:aws:states:::states:startExecution.sync", true).is_err());
        assert!(classify("arn:aws:states:::sns:publish.waitForTaskToken", true).is_err());
        assert!(classify("arn:aws:states:us-east-1:111111111111:activity:a", true).is_err());
    }

    #[test]
    fn a_callback_calls_its_resource_request_response() {
        let callback = ResourceKind::of("arn:aws:states:::sqs:sendMessage.waitForTaskToken");
        assert!(!callback.is_request_response("sqs", "sendMessage"));
        let called = callback.called();
        assert!(called.is_request_response("sqs", "sendMessage"));
        assert!(!called.is_request_response("sqs", "sendMessageBatch"));
        assert!(!called.is_request_response("sns", "sendMessage"));
        // Only the token's wait is taken off: a job stays a job, a function a function.
        let job = ResourceKind::of("arn:aws:states:::states:startExecution.sync");
        assert_eq!(job.called(), job);
        assert!(!job.is_request_response("states", "startExecution"));
        let function = ResourceKind::of("arn:aws:lambda:us-east-1:111111111111:function:f:live");
        assert_eq!(function.called(), ResourceKind::LambdaFunction);
        assert!(!function.is_request_response("lambda", "invoke"));
    }

    #[test]
    fn kinds_name_their_event_family_and_token() {
        let kind = ResourceKind::of;
        let lambda = kind("arn:aws:lambda:us-east-1:111111111111:function:f");
        assert_eq!(lambda.event_family(), "LambdaFunction");
        assert!(!lambda.has_token());
        let activity = kind("arn:aws:states:us-east-1:111111111111:activity:a");
        assert_eq!(activity.event_family(), "Activity");
        let callback = kind("arn:aws:states:::sqs:sendMessage.waitForTaskToken");
        assert_eq!(callback.event_family(), "Task");
        assert!(callback.has_token() && callback.waits_for_task_token());
        let job = kind("arn:aws:states:::states:startExecution.sync:2");
        assert!(job.has_token() && !job.waits_for_task_token());
        let call = kind("arn:aws:states:::lambda:invoke");
        assert!(!call.has_token() && !call.waits_for_task_token());
        assert_eq!(kind("not-an-arn"), ResourceKind::Unrecognized);
        // Recognized whatever the type: Express refuses it, but it is still an activity.
        assert_eq!(activity, ResourceKind::Activity);
    }
}
