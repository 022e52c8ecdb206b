//! The in-memory store.

use std::collections::HashMap;
use std::sync::Mutex;

use quickstep_engine::execution::HistoryEvent;
use serde_json::Value;

use crate::ports::{replace_if_version, Created, Listing, PortError, Store};
use crate::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord, Tags,
};

#[derive(Default)]
pub struct MemoryStore {
    machines: Mutex<HashMap<String, Vec<StateMachineRecord>>>,
    /// Each execution's record, without its history, and its history apart, as the DynamoDB
    /// adapter keeps them.
    executions: Mutex<HashMap<String, (ExecutionRecord, Vec<HistoryEvent>)>>,
    tags: Mutex<HashMap<String, Tags>>,
    published: Mutex<HashMap<String, Published>>,
    /// The longest record JSON a write may store (`None`: any), as the DynamoDB adapter
    /// refuses a record past its parts with `States.DataLimitExceeded`.
    record_limit_bytes: Option<usize>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryStore {
    /// A store that refuses to write an execution record of more than `bytes` of JSON, as the
    /// DynamoDB adapter refuses one past its parts (a terminal error naming
    /// `States.DataLimitExceeded`).
    pub fn with_record_limit(bytes: usize) -> Self {
        Self {
            record_limit_bytes: Some(bytes),
            ..Self::default()
        }
    }

    /// Whether `record` is within the record limit.
    fn check_size(&self, record: &ExecutionRecord) -> Result<(), PortError> {
        let Some(limit) = self.record_limit_bytes else {
            return Ok(());
        };
        let bytes = serde_json::to_string(record).map_or(usize::MAX, |json| json.len());
        if bytes > limit {
            return Err(PortError::Terminal(format!(
                "States.DataLimitExceeded: the record of execution {} is {bytes} bytes of JSON, \
                 more than the {limit} the store keeps",
                record.arn
            )));
        }
        Ok(())
    }

    /// Every execution record, with its history, for tests.
    pub fn executions(&self) -> Vec<ExecutionRecord> {
        lock(&self.executions)
            .values()
            .map(|(record, history)| with_history(record, history))
            .collect()
    }

    fn put_revision(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        asked: &Asked,
        now: i64,
        deleted: bool,
    ) -> StateMachineRecord {
        let mut machines = lock(&self.machines);
        let revisions = machines.entry(name.to_owned()).or_default();
        let (machine_type, settings) = StateMachineRecord::next(revisions.last(), asked);
        let record = StateMachineRecord {
            name: name.to_owned(),
            arn: arn.to_owned(),
            revision: revisions.len() as u64 + 1,
            definition: definition.clone(),
            created: now,
            machine_type,
            deleted,
            settings,
        };
        revisions.push(record.clone());
        record
    }
}

impl Store for MemoryStore {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        Ok(self.put_revision(name, arn, definition, asked, now, false))
    }

    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        let exists = lock(&self.machines)
            .get(name)
            .is_some_and(|r| StateMachineRecord::created_since(r).is_some());
        if exists {
            self.put_revision(name, arn, &Value::Null, &Asked::default(), now, true);
            lock(&self.tags).remove(name);
            lock(&self.published).remove(name);
        }
        Ok(())
    }

    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        Ok(lock(&self.published).get(name).cloned().unwrap_or_default())
    }

    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        let mut all = lock(&self.published);
        replace_if_version(all.entry(name.to_owned()).or_default(), published.clone())
    }

    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        Ok(lock(&self.tags).get(name).cloned().unwrap_or_default())
    }

    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let mut all = lock(&self.tags);
        let tags = Tags {
            version: expected_version,
            tags: tags.clone(),
        };
        replace_if_version(all.entry(name.to_owned()).or_default(), tags)
    }

    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        let entries = lock(&self.machines)
            .iter()
            .filter_map(|(name, revisions)| {
                let created = StateMachineRecord::created_since(revisions)?;
                let entry = MachineEntry {
                    name: name.clone(),
                    machine_type: revisions.last()?.machine_type,
                    created,
                };
                Some((name.clone(), entry))
            })
            .collect();
        Ok(Listing::page(entries, false, after, limit))
    }

    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        let entries = lock(&self.executions)
            .values()
            .map(|(record, _)| record)
            .filter(|r| r.state_machine_name == machine)
            .filter(|r| status.is_none_or(|s| r.status == s))
            .map(|r| {
                let entry = ExecutionEntry::of(r);
                (entry.listing_key(), entry)
            })
            .collect();
        Ok(Listing::page(entries, true, after, limit))
    }

    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        Ok(lock(&self.machines)
            .get(name)
            .and_then(|r| r.last().filter(|m| !m.deleted).cloned()))
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

    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        self.check_size(record)?;
        let mut executions = lock(&self.executions);
        if let Some((existing, _)) = executions.get(&record.arn) {
            return Ok(Created::Existing(Box::new(existing.clone())));
        }
        let new = record.take_new_events(None);
        executions.insert(record.arn.clone(), (record.clone(), new.events));
        Ok(Created::New)
    }

    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        Ok(lock(&self.executions)
            .get(arn)
            .map(|(record, _)| record.clone()))
    }

    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        Ok(lock(&self.executions)
            .get(arn)
            .map(|(record, history)| with_history(record, history)))
    }

    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected_version: u64,
    ) -> Result<(), PortError> {
        self.check_size(record)?;
        let mut executions = lock(&self.executions);
        match executions.get_mut(&record.arn) {
            Some((current, history)) if current.version() == expected_version => {
                let new = record.take_new_events(None);
                history.extend(new.events);
                *current = record.clone();
                Ok(())
            }
            _ => Err(PortError::Conflict),
        }
    }
}

/// `record` with its stored `history` and the events it holds itself after them.
fn with_history(record: &ExecutionRecord, history: &[HistoryEvent]) -> ExecutionRecord {
    let mut full = record.clone();
    full.prepend_events(history.to_vec());
    full
}
