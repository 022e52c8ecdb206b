//! [`DynamoStore`]: the [`Store`] port over one DynamoDB table.
//!
//! # Table design
//!
//! One table (single-table design) with a string partition key `pk` and a string sort key `sk`,
//! billed on demand, with TTL on the number attribute `expiresAt` (epoch seconds):
//!
//! | item | `pk` | `sk` | other attributes |
//! | --- | --- | --- | --- |
//! | state machine revision | `SM#<name>` | `REV#<revision, 10 digits>` | `revision` (N), `record` (S: JSON [`StateMachineRecord`]) |
//! | execution | `EX#<execution ARN>` | `RECORD` | `version` (N), `status` (S), `expiresAt` (N), `dict` (N: the dictionary it was deflated with), and either `record` (B: the JSON of the [`ExecutionRecord`], deflated) or `parts` (N) + `partsKey` (S) |
//! | part of a large execution | `EX#<execution ARN>` | `<partsKey><n, 4 digits>` | `data` (B: one slice of the deflated JSON), `expiresAt` (N) |
//! | a batch of its history events (see [`history`]) | `EX#<execution ARN>` | `H#<first event id, 12 digits>#<random id>#<slice, 4 digits>` | `data` (B: a slice of the deflated JSON events), `expiresAt` (N); slice 0 also `slices` (N), `previous` (S), `dict` (N) |
//! | state machine, while it exists | `SM#<name>` | `MACHINE` | `created` (N, epoch ms), `type` (S) |
//! | its tags, once tagged | `SM#<name>` | `TAGS` | `version` (N), `tags` (S: JSON object) |
//! | its versions and aliases, once published | `SM#<name>` | `PUBLISHED` | `version` (N), `published` (S: JSON [`Published`]) |
//!
//! The execution and `MACHINE` items also carry the keys of the global secondary index
//! [`LISTING_INDEX`] (see [`listing`]): ListStateMachines and ListExecutions read it.
//!
//! - Revisions are immutable and never expire. The current revision is the last `REV#` item of
//!   the partition (queried descending, limit 1): no pointer item to keep in step. A new
//!   revision is written with `attribute_not_exists(pk)`, so two writers never share a number.
//! - An execution is created with `attribute_not_exists(pk)` (an existing one is read back
//!   and returned as [`Created::Existing`]) and replaced with `version = :expected`, the
//!   snapshot's optimistic-concurrency token. Executions expire [`EXECUTION_TTL`] after their
//!   last write.
//! - An execution's history is kept apart from its record ([`history`]): a write's new events
//!   stay in the record while that is cheaper than a batch of their own ([`encode_write`]),
//!   else they go into a batch written before the record, so a step never rewrites the
//!   history before it. [`Store::get_execution`] reads the record alone;
//!   [`Store::get_execution_with_history`] queries the partition once.
//! - Records are deflated ([`deflated`]: DynamoDB bills writes by the kilobyte) with a preset
//!   dictionary of what records are made of, named by `dict` (1), so a short execution's
//!   record with its whole history fits DynamoDB's first kilobyte; those written before, with
//!   `record` and `data` as JSON strings, or deflated without a dictionary (no `dict`), are
//!   still read (a binary from before either cannot read the newer: rolling back past them
//!   needs the records to end first).
//! - A record whose deflated JSON is longer than [`PART_BYTES`] (DynamoDB items hold 400 KB) is stored
//!   in parts: `partsKey` is `PART#<version, 20 digits>#<random id>#`, unique to the writer, so
//!   two writers racing for the same version never overwrite each other's parts. Parts are
//!   written before the execution item, so the item never points at missing parts; the parts
//!   a write replaces (or a lost race's) are deleted afterwards, and TTL removes any a crash
//!   or an unanswered write left behind (a write whose answer was lost may have stored its
//!   item, so its parts are kept). A reader that finds the parts of the item it read already
//!   gone reads again. Records needing more than [`MAX_PARTS`] parts are refused with a
//!   terminal error naming `States.DataLimitExceeded`.
//! - Deleting a state machine writes a deletion marker as its next revision (a record with
//!   `deleted`) and deletes its `MACHINE` item: its revisions stay for the executions that
//!   run them, and a state machine created again under the name numbers its revisions on.

pub mod capacity;
pub mod deflated;
pub mod history;
pub(crate) mod listing;
pub mod metered;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use quickstep_service::ports::{Created, Listing, PortError, Store};
use quickstep_service::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, MachineType, NewEvents, Published,
    StateMachineRecord, Tags,
};

use crate::errors::{port_error, surely_refused};
use capacity::{item_bytes, write_units};

pub use listing::LISTING_INDEX;

/// The largest record stored inline, in bytes deflated; longer ones go in parts this long.
pub const PART_BYTES: usize = 350_000;
/// The most parts one execution record may take: its JSON is at most this many parts long
/// (about 22 MB), and deflated it takes no more.
pub const MAX_PARTS: usize = 64;
/// How long an execution is kept after its last write.
pub const EXECUTION_TTL: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// How often a new revision is retried when another writer took the number first.
const REVISION_ATTEMPTS: usize = 5;
/// How often a read is retried when a concurrent write removed the parts it was reading.
const READ_ATTEMPTS: usize = 3;
const RECORD: &str = "RECORD";
const MACHINE: &str = "MACHINE";
const TAGS: &str = "TAGS";
const PUBLISHED: &str = "PUBLISHED";

/// State machines and executions in one DynamoDB table (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    execution_ttl: Duration,
}

/// A DynamoDB item: its attributes by name.
pub type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    /// A state machine's document `sk` (its tags, its versions and aliases) and the version
    /// its next write is conditional on, if it was ever written.
    async fn get_document<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        sk: &str,
    ) -> Result<Option<(u64, T)>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(sm_pk(name)))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error("DynamoDB GetItem (state machine document)", &e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let version = number(&item, "version").unwrap_or(0);
        let attribute = sk.to_lowercase();
        let json = text(&item, &attribute).unwrap_or("{}");
        let document = serde_json::from_str(json).map_err(|e| {
            PortError::Terminal(format!("state machine {name}: unreadable {attribute}: {e}"))
        })?;
        Ok(Some((version, document)))
    }

    /// Writes a state machine's document `sk` as version `expected_version + 1`, if its stored
    /// version is still `expected_version` (0: it was never written).
    async fn put_document<T: serde::Serialize>(
        &self,
        name: &str,
        sk: &str,
        document: &T,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let attribute = sk.to_lowercase();
        let json = serde_json::to_string(document)
            .map_err(|e| PortError::Terminal(format!("state machine {name}: {attribute}: {e}")))?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(sm_pk(name)))
            .item("sk", s(sk))
            .item("version", n(expected_version + 1))
            .item(&attribute, AttributeValue::S(json));
        let request = if expected_version == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(expected_version))
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(PortError::Conflict)
            }
            Err(e) => Err(port_error("DynamoDB PutItem (state machine document)", &e)),
        }
    }
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            execution_ttl: EXECUTION_TTL,
        }
    }

    /// Keeps executions this long after their last write instead of [`EXECUTION_TTL`].
    #[must_use]
    pub fn with_execution_ttl(mut self, ttl: Duration) -> Self {
        self.execution_ttl = ttl;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The highest revision stored for `name`, 0 if none.
    async fn latest_revision_item(&self, name: &str) -> Result<Option<Item>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :rev)")
            .expression_attribute_values(":pk", s(sm_pk(name)))
            .expression_attribute_values(":rev", s("REV#"))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error("DynamoDB Query (latest revision)", &e))?;
        Ok(out.items.and_then(|items| items.into_iter().next()))
    }

    fn expires_at(&self) -> AttributeValue {
        self.expires_after(self.execution_ttl)
    }

    /// Epoch seconds `ttl` from now, as TTL reads `expiresAt`.
    fn expires_after(&self, ttl: Duration) -> AttributeValue {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        n(now.saturating_add(ttl.as_secs()))
    }

    /// `record`'s write: see [`encode_write`].
    fn encode(
        &self,
        record: &mut ExecutionRecord,
    ) -> Result<(Item, Vec<Item>, NewEvents), PortError> {
        encode_write(
            record,
            &self.expires_at(),
            &self.expires_after(self.execution_ttl + history::HISTORY_GRACE),
        )
    }

    async fn write_parts(&self, parts: &[Item]) -> Result<(), PortError> {
        for part in parts {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(part.clone()))
                .send()
                .await
                .map_err(|e| port_error("DynamoDB PutItem (record part)", &e))?;
        }
        Ok(())
    }

    /// Deletes parts no item points at any more. Best effort: TTL removes what this misses.
    async fn delete_parts(&self, pk: &str, parts_key: &str, count: u64) {
        for i in 0..count {
            let _ = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(format!("{parts_key}{i:04}")))
                .send()
                .await;
        }
    }

    async fn delete_written_parts(&self, parts: &[Item]) {
        for part in parts {
            if let (Some(pk), Some(sk)) = (text(part, "pk"), text(part, "sk")) {
                let _ = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", s(pk))
                    .key("sk", s(sk))
                    .send()
                    .await;
            }
        }
    }

    /// After a failed write of the item that points at `parts`: deletes them only if DynamoDB
    /// surely refused the write. A write whose answer was lost (a timeout, a 5xx) may have
    /// stored the item, and deleting its parts would leave a record no one can read; if it did
    /// not, the parts are orphans that TTL removes.
    async fn delete_parts_if_refused<E>(
        &self,
        error: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
        parts: &[Item],
    ) {
        if surely_refused(error) {
            self.delete_written_parts(parts).await;
        }
    }

    /// The JSON of the parts `parts_key` of `pk`, or `None` if some are missing (a later
    /// write replaced them).
    async fn read_parts(
        &self,
        pk: &str,
        parts_key: &str,
        count: u64,
        dictionary: deflated::Dictionary,
    ) -> Result<Option<String>, PortError> {
        let items = self.query(pk, Some(parts_key), "record parts").await?;
        assembled(pk, &items, parts_key, count, dictionary)
    }

    /// Every item of partition `pk` (whose sort key begins with `prefix`, if given), read
    /// consistently; `what` names them in errors.
    async fn query(
        &self,
        pk: &str,
        prefix: Option<&str>,
        what: &str,
    ) -> Result<Vec<Item>, PortError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let request = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take());
            let request = match prefix {
                Some(prefix) => request
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix)),
                None => request.key_condition_expression("pk = :pk"),
            };
            let out = request
                .send()
                .await
                .map_err(|e| port_error(&format!("DynamoDB Query ({what})"), &e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

impl DynamoStore {
    /// Writes the next revision of `name` (a deletion marker if `deleted`), and keeps its
    /// `MACHINE` item: written when the state machine comes into being, deleted with it.
    async fn put_revision(
        &self,
        name: &str,
        arn: &str,
        definition: &serde_json::Value,
        asked: &Asked,
        now: i64,
        deleted: bool,
    ) -> Result<StateMachineRecord, PortError> {
        for _ in 0..REVISION_ATTEMPTS {
            let latest: Option<StateMachineRecord> = match self.latest_revision_item(name).await? {
                Some(item) => Some(decode(&item, "state machine", name)?),
                None => None,
            };
            let exists = latest.as_ref().is_some_and(|r| !r.deleted);
            let (machine_type, settings) = StateMachineRecord::next(latest.as_ref(), asked);
            let record = StateMachineRecord {
                name: name.to_owned(),
                arn: arn.to_owned(),
                revision: latest.as_ref().map_or(0, |r| r.revision) + 1,
                definition: definition.clone(),
                created: now,
                machine_type,
                deleted,
                settings,
            };
            let json = serde_json::to_string(&record).map_err(|e| {
                PortError::Terminal(format!("state machine {name} cannot be serialized: {e}"))
            })?;
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(revision_item(&record, json)))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match result {
                Ok(_) => {
                    // After the revision: a crash in between leaves a state machine that
                    // works but is not listed (or a deleted one still listed) until the next
                    // create or delete of the name, never a listed one that does not work.
                    if deleted {
                        self.unlist_machine(name).await?;
                    } else if !exists {
                        self.list_machine(name, record.machine_type, now).await?;
                    }
                    return Ok(record);
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                {
                    continue
                }
                Err(e) => return Err(port_error("DynamoDB PutItem (state machine)", &e)),
            }
        }
        Err(PortError::Conflict)
    }

    async fn list_machine(
        &self,
        name: &str,
        machine_type: MachineType,
        created: i64,
    ) -> Result<(), PortError> {
        let mut item = Item::from([
            ("pk".to_owned(), s(sm_pk(name))),
            ("sk".to_owned(), s(MACHINE)),
            ("created".to_owned(), n(created)),
            ("type".to_owned(), s(machine_type.as_str())),
        ]);
        listing::add_machine_keys(&mut item, name);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error("DynamoDB PutItem (state machine listing)", &e))?;
        Ok(())
    }

    async fn unlist_machine(&self, name: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(sm_pk(name)))
            .key("sk", s(MACHINE))
            .send()
            .await
            .map_err(|e| port_error("DynamoDB DeleteItem (state machine listing)", &e))?;
        Ok(())
    }
}

impl Store for DynamoStore {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &serde_json::Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        self.put_revision(name, arn, definition, asked, now, false)
            .await
    }

    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        if self.get_state_machine(name).await?.is_some() {
            self.put_revision(
                name,
                arn,
                &serde_json::Value::Null,
                &Asked::default(),
                now,
                true,
            )
            .await?;
            for document in [TAGS, PUBLISHED] {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", s(sm_pk(name)))
                    .key("sk", s(document))
                    .send()
                    .await
                    .map_err(|e| port_error("DynamoDB DeleteItem (state machine document)", &e))?;
            }
        }
        Ok(())
    }

    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        Ok(match self.get_document(name, TAGS).await? {
            Some((version, tags)) => Tags { version, tags },
            None => Tags::default(),
        })
    }

    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        self.put_document(name, TAGS, tags, expected_version).await
    }

    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        Ok(match self.get_document(name, PUBLISHED).await? {
            Some((version, published)) => Published {
                version,
                ..published
            },
            None => Published::default(),
        })
    }

    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        self.put_document(name, PUBLISHED, published, published.version)
            .await
    }

    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        self.machines_after(after, limit).await
    }

    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        self.executions_after(machine, status, after, limit).await
    }

    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        let latest: Option<StateMachineRecord> = self
            .latest_revision_item(name)
            .await?
            .map(|item| decode(&item, "state machine", name))
            .transpose()?;
        Ok(latest.filter(|record| !record.deleted))
    }

    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(sm_pk(name)))
            .key("sk", s(rev_sk(revision)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error("DynamoDB GetItem (revision)", &e))?;
        out.item
            .map(|item| decode(&item, "state machine", name))
            .transpose()
    }

    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        let (item, parts, new) = self.encode(record)?;
        if let Err(e) = self.write_parts(&parts).await {
            record.put_back(new);
            return Err(e);
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Created::New),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                record.put_back(new);
                self.delete_written_parts(&parts).await;
                match self.get_execution(&record.arn).await? {
                    Some(existing) => Ok(Created::Existing(Box::new(existing))),
                    None => Err(PortError::Retryable(format!(
                        "execution {} exists but could not be read back",
                        record.arn
                    ))),
                }
            }
            Err(e) => {
                record.put_back(new);
                self.delete_parts_if_refused(&e, &parts).await;
                Err(port_error("DynamoDB PutItem (new execution)", &e))
            }
        }
    }

    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        let pk = ex_pk(arn);
        for _ in 0..READ_ATTEMPTS {
            let out = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s(RECORD))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| port_error("DynamoDB GetItem (execution)", &e))?;
            let Some(item) = out.item else {
                return Ok(None);
            };
            let dictionary = dictionary_of(arn, &item)?;
            if let Some(stored) = item.get("record") {
                return record_of(arn, stored, dictionary).map(Some);
            }
            let (parts_key, count) = parts_of(arn, &item)?;
            if let Some(json) = self.read_parts(&pk, parts_key, count, dictionary).await? {
                return parse_record(arn, &json).map(Some);
            }
        }
        Err(PortError::Retryable(format!(
            "execution {arn}: its record kept changing while being read"
        )))
    }

    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        let pk = ex_pk(arn);
        for _ in 0..READ_ATTEMPTS {
            // One query reads the record, its parts and its history's batches.
            let items = self.query(&pk, None, "execution and history").await?;
            let Some(item) = items.iter().find(|i| text(i, "sk") == Some(RECORD)) else {
                return Ok(None);
            };
            let dictionary = dictionary_of(arn, item)?;
            let mut record = if let Some(stored) = item.get("record") {
                record_of(arn, stored, dictionary)?
            } else {
                let (parts_key, count) = parts_of(arn, item)?;
                match assembled(&pk, &items, parts_key, count, dictionary)? {
                    Some(json) => parse_record(arn, &json)?,
                    None => continue, // replaced while being read
                }
            };
            let events = history::chain(&pk, &items, record.stored_history.tail.as_deref())?;
            record.prepend_events(events);
            return Ok(Some(record));
        }
        Err(PortError::Retryable(format!(
            "execution {arn}: its record kept changing while being read"
        )))
    }

    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let (item, parts, new) = self.encode(record)?;
        if let Err(e) = self.write_parts(&parts).await {
            record.put_back(new);
            return Err(e);
        }
        // ALL_OLD returns the replaced item, so the parts it pointed at can be deleted without
        // another read (returned values cost no read capacity).
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                if let Some(old) = out.attributes {
                    if let (Some(parts_key), Some(count)) =
                        (text(&old, "partsKey"), number(&old, "parts"))
                    {
                        self.delete_parts(&ex_pk(&record.arn), parts_key, count)
                            .await;
                    }
                }
                Ok(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                record.put_back(new);
                self.delete_written_parts(&parts).await;
                Err(PortError::Conflict)
            }
            Err(e) => {
                record.put_back(new);
                self.delete_parts_if_refused(&e, &parts).await;
                Err(port_error("DynamoDB PutItem (execution)", &e))
            }
        }
    }
}

/// The record an execution item's `record` attribute holds, deflated with `dictionary`.
fn record_of(
    arn: &str,
    stored: &AttributeValue,
    dictionary: deflated::Dictionary,
) -> Result<ExecutionRecord, PortError> {
    let json = deflated::json_of(stored, dictionary)
        .map_err(|e| PortError::Terminal(format!("execution {arn}: {e}")))?;
    parse_record(arn, &json)
}

/// The dictionary an execution item's record (in it or in its parts) was deflated with.
fn dictionary_of(arn: &str, item: &Item) -> Result<deflated::Dictionary, PortError> {
    deflated::Dictionary::of(item).map_err(|e| PortError::Terminal(format!("execution {arn}: {e}")))
}

fn parse_record(arn: &str, json: &str) -> Result<ExecutionRecord, PortError> {
    serde_json::from_str(json)
        .map_err(|e| PortError::Terminal(format!("execution {arn}: unreadable record: {e}")))
}

/// Where the parts of an execution item stored in parts are, and how many there are.
fn parts_of<'a>(arn: &str, item: &'a Item) -> Result<(&'a str, u64), PortError> {
    match (text(item, "partsKey"), number(item, "parts")) {
        (Some(parts_key), Some(count)) => Ok((parts_key, count)),
        _ => Err(PortError::Terminal(format!(
            "execution {arn}: the item has neither a record nor parts"
        ))),
    }
}

/// The JSON of the `count` parts `parts_key` among `items` (in sort-key order), or `None` if
/// some are missing (a later write replaced them). Parts are slices of JSON deflated with
/// `dictionary` or (written before records were deflated) of JSON.
fn assembled(
    pk: &str,
    items: &[Item],
    parts_key: &str,
    count: u64,
    dictionary: deflated::Dictionary,
) -> Result<Option<String>, PortError> {
    let mut bytes = Vec::new();
    let mut json = String::new();
    let mut found = 0_u64;
    for item in items {
        if !text(item, "sk").is_some_and(|sk| sk.starts_with(parts_key)) {
            continue;
        }
        match item.get("data") {
            Some(AttributeValue::B(data)) => bytes.extend_from_slice(data.as_ref()),
            Some(AttributeValue::S(data)) => json.push_str(data),
            _ => return Ok(None),
        }
        found += 1;
    }
    if found != count {
        return Ok(None);
    }
    if bytes.is_empty() {
        return Ok(Some(json));
    }
    deflated::inflate(&bytes, dictionary)
        .map(Some)
        .map_err(|e| PortError::Terminal(format!("{pk}: {e}")))
}

/// The most write units the history events kept in a record may add to its writes: past
/// them, the events go into a batch, so every write of a long execution stays bounded.
pub const INLINE_HISTORY_UNITS: u64 = 4;

/// A write of `record`, expiring at `expires`: the execution item, and the items to write
/// before it (a batch of history events expiring at `history_expires`, the record's parts).
///
/// The history events not stored yet stay in the record when that is cheaper than a batch of
/// their own (each item is billed by the kilobyte, rounded up: a few events ride in the
/// record's last kilobyte for nothing, and a short execution's whole history stays in its one
/// item) and adds at most [`INLINE_HISTORY_UNITS`]; otherwise they are taken out of it into a
/// batch (see [`history`]). Either way the record is left as the item stores it. On an error
/// it is as it was (but for events stored before, see [`ExecutionRecord::put_back`]).
pub fn encode_write(
    record: &mut ExecutionRecord,
    expires: &AttributeValue,
    history_expires: &AttributeValue,
) -> Result<(Item, Vec<Item>, NewEvents), PortError> {
    record.drop_stored_events();
    if record.snapshot.history.is_empty() {
        let (item, parts) = encode_execution(record, expires)?;
        return Ok((item, parts, record.keep_events()));
    }
    let key = history::batch_key(record.stored_history.events + 1);
    let mut new = record.take_new_events(Some(key.clone()));
    let apart = history::batch_items(&ex_pk(&record.arn), &key, &new, history_expires)
        .and_then(|batch| Ok((batch, encode_execution(record, expires)?)));
    let (mut items, (item, parts)) = match apart {
        Ok(apart) => apart,
        Err(e) => {
            record.put_back(new);
            return Err(e);
        }
    };
    let without = units(std::iter::once(&item).chain(&parts));
    let batch = units(&items);
    // Worth a second encoding only for a record of one small item and a few events.
    if parts.is_empty()
        && item_bytes(&item) <= INLINE_ATTEMPT_BYTES
        && batch <= INLINE_HISTORY_UNITS + 1
    {
        record.put_back(new);
        if let Ok((inline, inline_parts)) = encode_execution(record, expires) {
            let with = units(std::iter::once(&inline).chain(&inline_parts));
            if with < without + batch && with <= without + INLINE_HISTORY_UNITS {
                return Ok((inline, inline_parts, record.keep_events()));
            }
        }
        new = record.take_new_events(Some(key));
    }
    items.extend(parts);
    Ok((item, items, new))
}

/// The largest record item (without its history) whose new events may stay in it.
const INLINE_ATTEMPT_BYTES: usize = 64 * 1024;

/// The write units of writing `items`, each on its own.
fn units<'a>(items: impl IntoIterator<Item = &'a Item>) -> u64 {
    items.into_iter().map(|i| write_units(item_bytes(i))).sum()
}

/// The execution item for `record`, expiring at `expires` (epoch seconds), and the parts to
/// write before it (none unless its deflated JSON is longer than [`PART_BYTES`]).
pub fn encode_execution(
    record: &ExecutionRecord,
    expires: &AttributeValue,
) -> Result<(Item, Vec<Item>), PortError> {
    let json = serde_json::to_string(record).map_err(|e| {
        PortError::Terminal(format!(
            "execution {} cannot be serialized: {e}",
            record.arn
        ))
    })?;
    if json.len() as u64 > deflated::MAX_JSON_BYTES {
        return Err(PortError::Terminal(format!(
            "States.DataLimitExceeded: the record of execution {} is {} bytes of JSON, more \
             than the {} the store keeps",
            record.arn,
            json.len(),
            deflated::MAX_JSON_BYTES
        )));
    }
    let bytes = deflated::deflate(&json)
        .map_err(|e| PortError::Terminal(format!("execution {}: {e}", record.arn)))?;
    let pk = ex_pk(&record.arn);
    let mut item = Item::from([
        ("pk".to_owned(), s(&pk)),
        ("sk".to_owned(), s(RECORD)),
        ("version".to_owned(), n(record.version())),
        ("status".to_owned(), s(&record.status)),
        ("expiresAt".to_owned(), expires.clone()),
    ]);
    // The record's bytes, in the item or in parts, are deflated with this dictionary.
    item.extend(deflated::Dictionary::One.attribute());
    listing::add_execution_keys(&mut item, record);
    if bytes.len() <= PART_BYTES {
        item.insert("record".to_owned(), deflated::binary(bytes));
        return Ok((item, Vec::new()));
    }
    let parts_key = format!(
        "PART#{:020}#{}#",
        record.version(),
        uuid::Uuid::new_v4().simple()
    );
    // MAX_PARTS at most, or one more for JSON that does not deflate at all.
    let parts = bytes
        .chunks(PART_BYTES)
        .enumerate()
        .map(|(i, slice)| {
            Item::from([
                ("pk".to_owned(), s(&pk)),
                ("sk".to_owned(), s(format!("{parts_key}{i:04}"))),
                ("data".to_owned(), deflated::binary(slice)),
                ("expiresAt".to_owned(), expires.clone()),
            ])
        })
        .collect::<Vec<_>>();
    item.insert("parts".to_owned(), n(parts.len()));
    item.insert("partsKey".to_owned(), s(parts_key));
    Ok((item, parts))
}

/// The item of a state machine revision, `json` being its record's JSON.
pub fn revision_item(record: &StateMachineRecord, json: String) -> Item {
    Item::from([
        ("pk".to_owned(), s(sm_pk(&record.name))),
        ("sk".to_owned(), s(rev_sk(record.revision))),
        ("revision".to_owned(), n(record.revision)),
        ("record".to_owned(), AttributeValue::S(json)),
    ])
}

fn sm_pk(name: &str) -> String {
    format!("SM#{name}")
}

fn rev_sk(revision: u64) -> String {
    format!("REV#{revision:010}")
}

fn ex_pk(arn: &str) -> String {
    format!("EX#{arn}")
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn decode<T: serde::de::DeserializeOwned>(
    item: &Item,
    what: &str,
    name: &str,
) -> Result<T, PortError> {
    let json = text(item, "record")
        .ok_or_else(|| PortError::Terminal(format!("{what} {name}: the item has no record")))?;
    serde_json::from_str(json)
        .map_err(|e| PortError::Terminal(format!("{what} {name}: unreadable record: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_number() {
        assert!(rev_sk(9) < rev_sk(10));
        assert_eq!(rev_sk(1), "REV#0000000001");
        assert_eq!(ex_pk("arn:x"), "EX#arn:x");
    }
}
