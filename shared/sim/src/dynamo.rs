//! The table: state machine revisions and execution records, kept as the JSON the DynamoDB
//! adapter stores, with conditional writes; and each execution's history, stored apart in
//! batches chained from the record as the adapter chains them (a batch a lost race or a crash
//! left behind is in no chain, and is never read).

use std::collections::BTreeMap;

use quickstep_engine::execution::{HistoryEvent, Millis};
use quickstep_service::records::{ExecutionRecord, Published, StateMachineRecord, Tags};

/// A batch of history events: the batch before it in its chain, and the events' JSON.
#[derive(Debug, Clone)]
pub struct Batch {
    pub previous: Option<String>,
    pub events: String,
}

#[derive(Debug, Default)]
pub struct Dynamo {
    pub machines: BTreeMap<String, Vec<StateMachineRecord>>,
    pub executions: BTreeMap<String, String>,
    /// When each execution's record was last stored ended (a stop or a failure takes effect
    /// when its write lands, some time after the `stopDate` it decided).
    pub ended: BTreeMap<String, Millis>,
    /// History batches by execution ARN and batch key.
    pub batches: BTreeMap<(String, String), Batch>,
    /// How many batches were written, for unique keys.
    pub batches_written: u64,
    pub tags: BTreeMap<String, Tags>,
    pub published: BTreeMap<String, Published>,
}

impl Dynamo {
    pub fn execution(&self, arn: &str) -> Option<ExecutionRecord> {
        serde_json::from_str(self.executions.get(arn)?).ok()
    }

    /// Stores an execution's record, `ended` or not, at `now`.
    pub fn store_execution(&mut self, arn: String, json: String, ended: bool, now: Millis) {
        if ended {
            if !self.execution(&arn).is_some_and(|r| r.is_terminal()) {
                self.ended.insert(arn.clone(), now);
            }
        } else {
            self.ended.remove(&arn);
        }
        self.executions.insert(arn, json);
    }

    pub fn version_of(&self, arn: &str) -> Option<u64> {
        self.execution(arn).map(|r| r.version())
    }

    /// The record with its whole history: the batches of its chain, oldest first, then the
    /// events it holds itself. An error says where the chain is broken.
    pub fn with_history(&self, mut record: ExecutionRecord) -> Result<ExecutionRecord, String> {
        let mut batches = Vec::new();
        let mut next = record.stored_history.tail.clone();
        while let Some(key) = next {
            let batch = self
                .batches
                .get(&(record.arn.clone(), key.clone()))
                .ok_or_else(|| format!("{}: history batch {key} is missing", record.arn))?;
            batches.push(&batch.events);
            next = batch.previous.clone();
        }
        let mut history = Vec::new();
        for events in batches.into_iter().rev() {
            let events: Vec<HistoryEvent> = serde_json::from_str(events)
                .map_err(|e| format!("{}: unreadable history batch: {e}", record.arn))?;
            history.extend(events);
        }
        record.prepend_events(history);
        Ok(record)
    }

    /// Every record, with its whole history (or the error reading it).
    pub fn all(&self) -> Vec<Result<ExecutionRecord, String>> {
        self.executions
            .values()
            .filter_map(|json| serde_json::from_str(json).ok())
            .map(|record| self.with_history(record))
            .collect()
    }
}
