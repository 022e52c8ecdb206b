//! Which fields each part of a definition may have.

pub const TOP_LEVEL: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "TimeoutSeconds",
    "Version",
    "QueryLanguage",
];

pub const BRANCH: &[&str] = &["Comment", "StartAt", "States", "ProcessorConfig"];

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

/// The fields allowed for a state of type `type_name` in a JSONata state, or `None` for an
/// unknown type.
pub fn for_jsonata_state(type_name: &str) -> Option<Vec<&'static str>> {
    let specific: &[&str] = match type_name {
        "Pass" => &["Next", "End", "Output", "Assign"],
        "Task" => &[
            "Next",
            "End",
            "Resource",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
        ],
        "Choice" => &["Choices", "Default", "Output", "Assign"],
        "Wait" => &["Next", "End", "Seconds", "Timestamp", "Output", "Assign"],
        "Succeed" => &["Output"],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &[
            "Next",
            "End",
            "Branches",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
        ],
        "Map" => &[
            "Next",
            "End",
            "Iterator",
            "ItemProcessor",
            "Items",
            "ItemSelector",
            "MaxConcurrency",
            "ToleratedFailureCount",
            "ToleratedFailurePercentage",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "Output",
            "Assign",
            "Retry",
            "Catch",
        ],
        _ => return None,
    };
    Some(COMMON.iter().chain(specific).copied().collect())
}

/// Fields only JSONPath states have (for "not supported in JSONata" messages).
pub const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "ErrorPath",
    "CausePath",
];

/// Fields only JSONata states have.
pub const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items", "Condition"];

/// The fields allowed for a state of type `type_name` in a JSONPath state (besides `Type`,
/// `Comment`), or `None` for an unknown type.
pub fn for_state(type_name: &str) -> Option<Vec<&'static str>> {
    let specific: &[&str] = match type_name {
        "Pass" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Result",
            "ResultPath",
            "Parameters",
            "Assign",
        ],
        "Task" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Resource",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default", "Assign"],
        "Wait" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "Assign",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Branches",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Assign",
        ],
        "Map" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Iterator",
            "ItemProcessor",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "Assign",
        ],
        _ => return None,
    };
    Some(COMMON.iter().chain(specific).copied().collect())
}

pub const ITEM_BATCHER: &[&str] = &[
    "MaxItemsPerBatch",
    "MaxItemsPerBatchPath",
    "MaxInputBytesPerBatch",
    "MaxInputBytesPerBatchPath",
    "BatchInput",
];

pub const RETRIER: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];

pub const CATCHER: &[&str] = &["ErrorEquals", "Next", "ResultPath", "Comment", "Assign"];

pub const JSONATA_CATCHER: &[&str] = &["ErrorEquals", "Next", "Output", "Comment", "Assign"];

pub const CHOICE_RULE_JSONATA: &[&str] = &["Condition", "Next", "Comment", "Assign", "Output"];
