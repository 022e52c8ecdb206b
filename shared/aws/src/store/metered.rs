//! [`MeteredStore`]: any [`Store`] (in memory, for `quickstep cost`) billed as DynamoDB would
//! bill [`DynamoStore`](super::DynamoStore)'s requests for the same calls, item by item.
//!
//! Each call is billed as the requests the DynamoDB adapter makes for it (see the [store's
//! table design](super)): a strongly consistent GetItem or Query reads its items' size in
//! 4 KB units; a PutItem writes the larger of the old and the new item in 1 KB units, and a
//! conditional one that fails still writes the existing item's size; a record too long for
//! one item writes (and later deletes) its parts too; the listing index is written when an
//! execution item comes into it and again only when what it projects (status, stop date)
//! changes. Listings and a state machine's tags or versions, never part of an execution's
//! path, are billed as one read or write of their items.

use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;
use quickstep_service::ports::{Created, Listing, PortError, Store};
use quickstep_service::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord, Tags,
};

use super::capacity::{item_bytes, read_units, write_units};
use super::{encode_execution, encode_write, listing, revision_item, Item};

/// What DynamoDB bills, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DynamoBill {
    /// Requests made (each GetItem, Query, PutItem, DeleteItem).
    pub requests: u64,
    /// Read request units (strongly consistent reads).
    pub read_units: u64,
    /// Write request units, on the table and on its listing index.
    pub write_units: u64,
}

/// A store whose every call is billed (see the [module docs](self)).
pub struct MeteredStore<S> {
    inner: S,
    bill: Mutex<DynamoBill>,
    /// Time spent sizing what DynamoStore would not build (an item read back, the old item
    /// a write replaces): not the adapter's work, so not an invocation's.
    overhead: Mutex<std::time::Duration>,
    /// The bytes of each execution's history batches written so far, which a read of its
    /// whole history reads.
    history_bytes: Mutex<std::collections::HashMap<String, usize>>,
}

/// Any expiry: an epoch second of ten significant digits, as a real one nearly always is.
fn expiry() -> AttributeValue {
    AttributeValue::N("1799999999".to_owned())
}

impl<S: Store> MeteredStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            bill: Mutex::new(DynamoBill::default()),
            overhead: Mutex::new(std::time::Duration::ZERO),
            history_bytes: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The items DynamoStore writes for `record` (its new history's batch and its parts
    /// first, then the execution item), and the bytes of the batch; the record is left for
    /// the inner store to write.
    fn encode(&self, record: &ExecutionRecord) -> Result<(Item, Vec<Item>, usize), PortError> {
        let mut copy = self.sized(|| record.clone());
        let (item, items, _) = encode_write(&mut copy, &expiry(), &expiry())?;
        let batch = items
            .iter()
            .filter(|i| super::history::is_batch(i))
            .map(item_bytes)
            .sum();
        Ok((item, items, batch))
    }

    fn wrote_history(&self, arn: &str, bytes: usize) {
        *self
            .history_bytes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(arn.to_owned())
            .or_default() += bytes;
    }

    /// Time spent so far sizing items DynamoStore would not build (see the field).
    pub fn overhead(&self) -> std::time::Duration {
        *self
            .overhead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `size`, its time counted as the meter's own.
    fn sized<T>(&self, size: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = size();
        *self
            .overhead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += started.elapsed();
        out
    }

    /// What was billed so far.
    pub fn bill(&self) -> DynamoBill {
        *self.lock()
    }

    /// What was billed so far, and a fresh bill from here on.
    pub fn take_bill(&self) -> DynamoBill {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DynamoBill> {
        self.bill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self, bytes: usize) {
        let mut bill = self.lock();
        bill.requests += 1;
        bill.read_units += read_units(bytes);
    }

    /// One write request of `units` write units.
    fn write(&self, units: u64) {
        let mut bill = self.lock();
        bill.requests += 1;
        bill.write_units += units;
    }

    /// The execution's item and parts as stored now (not billed: the adapter learns the old
    /// item from its write's own answer).
    async fn stored(&self, arn: &str) -> Result<Option<(Item, Vec<Item>)>, PortError> {
        match self.inner.get_execution(arn).await? {
            Some(record) => self.sized(|| encode_execution(&record, &expiry()).map(Some)),
            None => Ok(None),
        }
    }

    /// A GetItem of the execution item, and the Query of its parts if it has them.
    fn read_execution(&self, stored: Option<&(Item, Vec<Item>)>) {
        match stored {
            None => self.read(0),
            Some((item, parts)) => {
                self.read(item_bytes(item));
                if !parts.is_empty() {
                    self.read(parts.iter().map(item_bytes).sum());
                }
            }
        }
    }

    fn write_items(&self, items: &[Item]) {
        for item in items {
            self.write(write_units(item_bytes(item)));
        }
    }

    /// The listing index's write for `new` replacing `old` (none if what it holds is the same).
    fn write_index(&self, old: Option<&Item>, new: &Item) {
        let before = old.and_then(listing::index_entry);
        if let Some(entry) = listing::index_entry(new) {
            if before.as_ref() != Some(&entry) {
                // Not a request of its own: the table write's, billed on the index.
                self.lock().write_units += write_units(item_bytes(&entry));
            }
        }
    }
}

fn revision_bytes(record: &StateMachineRecord) -> usize {
    let json = serde_json::to_string(record).unwrap_or_default();
    item_bytes(&revision_item(record, json))
}

impl<S: Store> Store for MeteredStore<S> {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &serde_json::Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        let latest = self.inner.get_state_machine(name).await?;
        self.read(latest.as_ref().map_or(0, revision_bytes));
        let record = self
            .inner
            .put_state_machine(name, arn, definition, asked, now)
            .await?;
        self.write(write_units(revision_bytes(&record)));
        if latest.is_none() {
            // The `MACHINE` item, and its listing index entry.
            self.write(1);
            self.lock().write_units += 1;
        }
        Ok(record)
    }

    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        self.read(0);
        self.inner.get_tags(name).await
    }

    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        self.write(1);
        self.inner.put_tags(name, tags, expected_version).await
    }

    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        self.read(0);
        self.inner.get_published(name).await
    }

    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        self.write(1);
        self.inner.put_published(name, published).await
    }

    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        self.read(0);
        self.write(1);
        self.write(1);
        self.inner.delete_state_machine(name, arn, now).await
    }

    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        self.read(0);
        self.inner.list_state_machines(after, limit).await
    }

    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        self.read(0);
        self.inner
            .list_executions(machine, status, after, limit)
            .await
    }

    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        let record = self.inner.get_state_machine(name).await?;
        self.read(record.as_ref().map_or(0, revision_bytes));
        Ok(record)
    }

    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        let record = self.inner.get_revision(name, revision).await?;
        self.read(record.as_ref().map_or(0, revision_bytes));
        Ok(record)
    }

    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        let (item, parts, batch) = self.encode(record)?;
        self.write_items(&parts);
        let created = self.inner.create_execution(record).await?;
        match &created {
            Created::New => {
                self.write(write_units(item_bytes(&item)));
                self.write_index(None, &item);
                self.wrote_history(&record.arn, batch);
            }
            Created::Existing(existing) => {
                // The failed condition writes the existing item's size; the parts and batch
                // written for nothing are deleted, and the existing execution read back.
                let stored = self.sized(|| encode_execution(existing, &expiry()))?;
                self.write(write_units(item_bytes(&stored.0)));
                self.write_items(&parts);
                self.read_execution(Some(&stored));
            }
        }
        Ok(created)
    }

    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        let record = self.inner.get_execution(arn).await?;
        // (DynamoStore inflates what it reads; sizing it here deflates it, which is not.)
        let stored = match &record {
            Some(record) => Some(self.sized(|| encode_execution(record, &expiry()))?),
            None => None,
        };
        self.read_execution(stored.as_ref());
        Ok(record)
    }

    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        // One Query of the partition: the record, its parts and its history's batches.
        let stored = self.stored(arn).await?;
        let history = self
            .history_bytes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(arn)
            .copied()
            .unwrap_or(0);
        let record = stored.as_ref().map_or(0, |(item, parts)| {
            item_bytes(item) + parts.iter().map(item_bytes).sum::<usize>()
        });
        self.read(record + history);
        self.inner.get_execution_with_history(arn).await
    }

    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let (item, parts, batch) = self.encode(record)?;
        let old = self.stored(&record.arn).await?;
        self.write_items(&parts);
        let old_bytes = old.as_ref().map_or(0, |(item, _)| item_bytes(item));
        match self
            .inner
            .put_execution_if_version(record, expected_version)
            .await
        {
            Ok(()) => {
                self.write(write_units(item_bytes(&item).max(old_bytes)));
                self.write_index(old.as_ref().map(|(item, _)| item), &item);
                self.wrote_history(&record.arn, batch);
                // The replaced parts are deleted.
                if let Some((_, old_parts)) = &old {
                    self.write_items(old_parts);
                }
                Ok(())
            }
            Err(PortError::Conflict) => {
                self.write(write_units(old_bytes));
                self.write_items(&parts);
                Err(PortError::Conflict)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use quickstep_service::memory::MemoryStore;
    use quickstep_service::records::MachineType;
    use serde_json::json;

    use super::*;

    fn asked() -> Asked {
        Asked::of_type(MachineType::Express)
    }

    #[tokio::test]
    async fn state_machine_reads_are_billed_by_the_revision_size() {
        let store = MeteredStore::new(MemoryStore::default());
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
        store
            .put_state_machine("m", "arn:m", &definition, &asked(), 0)
            .await
            .unwrap();
        // The latest revision's Query (none yet), the revision, the MACHINE item and its
        // index entry.
        assert_eq!(
            store.take_bill(),
            DynamoBill {
                requests: 3,
                read_units: 1,
                write_units: 3
            }
        );
        store.get_state_machine("m").await.unwrap().unwrap();
        assert_eq!(
            store.take_bill(),
            DynamoBill {
                requests: 1,
                read_units: 1,
                write_units: 0
            }
        );
        // A definition past 4 KB takes more units to read.
        let big = json!({"StartAt": "P", "Comment": "x".repeat(9000),
            "States": {"P": {"Type": "Pass", "End": true}}});
        store
            .put_state_machine("m", "arn:m", &big, &asked(), 0)
            .await
            .unwrap();
        store.take_bill();
        store.get_state_machine("m").await.unwrap().unwrap();
        assert_eq!(store.take_bill().read_units, 3);
    }
}
