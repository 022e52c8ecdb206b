//! The in-memory store.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::ports::{Created, PortError, Store};
use crate::records::{ExecutionRecord, StateMachineRecord};

#[derive(Default)]
pub struct MemoryStore {
    machines: Mutex<HashMap<String, Vec<StateMachineRecord>>>,
    executions: Mutex<HashMap<String, ExecutionRecord>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryStore {
    /// Every execution record, for tests.
    pub fn executions(&self) -> Vec<ExecutionRecord> {
        lock(&self.executions).values().cloned().collect()
    }
}

impl Store for MemoryStore {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        let mut machines = lock(&self.machines);
        let revisions = machines.entry(name.to_owned()).or_default();
        let record = StateMachineRecord {
            name: name.to_owned(),
            arn: arn.to_owned(),
            revision: revisions.len() as u64 + 1,
            definition: definition.clone(),
            created: now,
        };
        revisions.push(record.clone());
        Ok(record)
    }

    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        Ok(lock(&self.machines)
            .get(name)
            .and_then(|r| r.last().cloned()))
    }

    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        Ok(lock(&self.machines)
            .get(name)
            .and_then(|r| r.iter().find(|m| m.revision == revision).cloned()))
    }

    async fn create_execution(&self, record: &ExecutionRecord) -> Result<Created, PortError> {
        let mut executions = lock(&self.executions);
        if let Some(existing) = executions.get(&record.arn) {
            return Ok(Created::Existing(Box::new(existing.clone())));
        }
        executions.insert(record.arn.clone(), record.clone());
        Ok(Created::New)
    }

    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        Ok(lock(&self.executions).get(arn).cloned())
    }

    async fn put_execution_if_version(
        &self,
        record: &ExecutionRecord,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let mut executions = lock(&self.executions);
        match executions.get(&record.arn) {
            Some(current) if current.version() == expected_version => {
                executions.insert(record.arn.clone(), record.clone());
                Ok(())
            }
            _ => Err(PortError::Conflict),
        }
    }
}
