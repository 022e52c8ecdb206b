//! The table: state machine revisions and execution records, kept as the JSON the DynamoDB
//! adapter stores, with conditional writes.

use std::collections::BTreeMap;

use quickstep_service::records::{ExecutionRecord, Published, StateMachineRecord, Tags};

#[derive(Debug, Default)]
pub struct Dynamo {
    pub machines: BTreeMap<String, Vec<StateMachineRecord>>,
    pub executions: BTreeMap<String, String>,
    pub tags: BTreeMap<String, Tags>,
    pub published: BTreeMap<String, Published>,
}

impl Dynamo {
    pub fn execution(&self, arn: &str) -> Option<ExecutionRecord> {
        serde_json::from_str(self.executions.get(arn)?).ok()
    }

    pub fn version_of(&self, arn: &str) -> Option<u64> {
        self.execution(arn).map(|r| r.version())
    }

    pub fn all(&self) -> Vec<ExecutionRecord> {
        self.executions
            .values()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect()
    }
}
