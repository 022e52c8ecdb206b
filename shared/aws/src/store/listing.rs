//! ListStateMachines and ListExecutions over the global secondary index [`LISTING_INDEX`].
//!
//! | item | `listPk` | `listSk` | projected |
//! | --- | --- | --- | --- |
//! | state machine (`MACHINE`) | `SM` | `<name>` | `created`, `type` |
//! | execution (`RECORD`) | `EXOF#<state machine name>` | `<start date, epoch ms, 15 digits>#<execution ARN>` | `status`, `stopDate` |
//!
//! The index keys of an execution never change, and its projected attributes change only
//! when its status does, so the index costs a write at the start and one at the end of an
//! execution, not one per step. Index reads are eventually consistent, as Step Functions'
//! own lists are. A page's cursor is the `listSk` of its last item: with the index's
//! partition key it names the item's whole key, from which the next query starts.

use quickstep_service::ports::{Listing, PortError};
use quickstep_service::records::{ExecutionEntry, ExecutionRecord, MachineEntry, MachineType};

use super::{ex_pk, n, s, sm_pk, text, DynamoStore, Item, MACHINE, RECORD};
use crate::errors::port_error;

/// The name of the table's listing index (the template and the table set-up create it).
pub const LISTING_INDEX: &str = "Listing";
/// The index's partition and sort key attributes.
pub const LIST_PK: &str = "listPk";
pub const LIST_SK: &str = "listSk";
/// The attributes the index keeps beside its keys.
pub const LISTED_ATTRIBUTES: [&str; 6] = [
    "status",
    "stopDate",
    "created",
    "type",
    VERSION_ARN,
    ALIAS_ARN,
];
/// The version an execution runs and the alias it was started through (ListExecutions of a
/// version or an alias filters by them).
const VERSION_ARN: &str = "versionArn";
const ALIAS_ARN: &str = "aliasArn";
/// The partition of the index that lists state machines.
const MACHINES: &str = "SM";

fn executions_of(machine: &str) -> String {
    format!("EXOF#{machine}")
}

/// Adds the index keys (and the stop date it projects) to an execution item.
pub(super) fn add_execution_keys(item: &mut Item, record: &ExecutionRecord) {
    let entry = ExecutionEntry::of(record);
    item.insert(
        LIST_PK.to_owned(),
        s(executions_of(&record.state_machine_name)),
    );
    item.insert(LIST_SK.to_owned(), s(entry.listing_key()));
    if let Some(stop) = record.stop_date {
        item.insert("stopDate".to_owned(), n(stop));
    }
    if let Some(version) = &record.version_arn {
        item.insert(VERSION_ARN.to_owned(), s(version));
    }
    if let Some(alias) = &record.alias_arn {
        item.insert(ALIAS_ARN.to_owned(), s(alias));
    }
}

/// What the listing index holds of a table item: the table's and the index's keys and the
/// projected attributes; `None` for an item the index does not hold (no index keys).
pub(super) fn index_entry(item: &Item) -> Option<Item> {
    item.get(LIST_PK)?;
    let kept = ["pk", "sk", LIST_PK, LIST_SK]
        .into_iter()
        .chain(LISTED_ATTRIBUTES);
    Some(
        kept.filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
            .collect(),
    )
}

/// Adds the index keys to a state machine's `MACHINE` item.
pub(super) fn add_machine_keys(item: &mut Item, name: &str) {
    item.insert(LIST_PK.to_owned(), s(MACHINES));
    item.insert(LIST_SK.to_owned(), s(name));
}

/// A signed number attribute (dates are epoch milliseconds).
fn millis(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

impl DynamoStore {
    pub(super) async fn machines_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(LISTING_INDEX)
            .key_condition_expression("listPk = :pk")
            .expression_attribute_values(":pk", s(MACHINES))
            .set_exclusive_start_key(after.map(|name| {
                Item::from([
                    (LIST_PK.to_owned(), s(MACHINES)),
                    (LIST_SK.to_owned(), s(name)),
                    ("pk".to_owned(), s(sm_pk(name))),
                    ("sk".to_owned(), s(MACHINE)),
                ])
            }))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| port_error("DynamoDB Query (state machines)", &e))?;
        let mut items = Vec::new();
        for item in out.items() {
            let (Some(name), Some(created)) = (text(item, LIST_SK), millis(item, "created")) else {
                return Err(PortError::Terminal(
                    "a state machine's listing item has no name or creation date".into(),
                ));
            };
            // Listing items written before types were kept: Express, as those ran.
            let machine_type = match text(item, "type") {
                Some("STANDARD") => MachineType::Standard,
                _ => MachineType::Express,
            };
            items.push(MachineEntry {
                name: name.to_owned(),
                machine_type,
                created,
            });
        }
        let more = out.last_evaluated_key.is_some_and(|key| !key.is_empty());
        let next = more
            .then(|| items.last().map(|m: &MachineEntry| m.name.clone()))
            .flatten();
        Ok(Listing { items, next })
    }

    pub(super) async fn executions_after(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        let partition = executions_of(machine);
        let mut start = match after {
            Some(cursor) => Some(execution_key(&partition, cursor)?),
            None => None,
        };
        let mut items: Vec<(String, ExecutionEntry)> = Vec::new();
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(LISTING_INDEX)
                .key_condition_expression("listPk = :pk")
                .expression_attribute_values(":pk", s(&partition))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX));
            if let Some(status) = status {
                query = query
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status));
            }
            let out = query
                .send()
                .await
                .map_err(|e| port_error("DynamoDB Query (executions)", &e))?;
            for item in out.items() {
                items.push(execution_entry(item)?);
            }
            let more = out.last_evaluated_key.filter(|key| !key.is_empty());
            match more {
                // A filtered page may hold fewer than asked: read on until the page is full.
                Some(key) if items.len() < limit => start = Some(key),
                Some(_) => {
                    let next = items.last().map(|(cursor, _)| cursor.clone());
                    let items = items.into_iter().map(|(_, entry)| entry).collect();
                    return Ok(Listing { items, next });
                }
                None => {
                    let items = items.into_iter().map(|(_, entry)| entry).collect();
                    return Ok(Listing { items, next: None });
                }
            }
        }
    }
}

/// The whole key of the execution item a cursor names, for the query to start after it.
fn execution_key(partition: &str, cursor: &str) -> Result<Item, PortError> {
    let Some((_, arn)) = cursor.split_once('#') else {
        return Err(PortError::Terminal(format!(
            "'{cursor}' is not a cursor of a list of executions"
        )));
    };
    Ok(Item::from([
        (LIST_PK.to_owned(), s(partition)),
        (LIST_SK.to_owned(), s(cursor)),
        ("pk".to_owned(), s(ex_pk(arn))),
        ("sk".to_owned(), s(RECORD)),
    ]))
}

/// An execution as the index projects it, with its cursor.
fn execution_entry(item: &Item) -> Result<(String, ExecutionEntry), PortError> {
    let cursor = text(item, LIST_SK).unwrap_or_default();
    let parsed = cursor
        .split_once('#')
        .and_then(|(start, arn)| Some((start.parse::<i64>().ok()?, arn)));
    let (Some((start_date, arn)), Some(status)) = (parsed, text(item, "status")) else {
        return Err(PortError::Terminal(format!(
            "an execution's listing item '{cursor}' has no start date, ARN or status"
        )));
    };
    let entry = ExecutionEntry {
        arn: arn.to_owned(),
        status: status.to_owned(),
        start_date,
        stop_date: millis(item, "stopDate"),
        version_arn: text(item, VERSION_ARN).map(str::to_owned),
        alias_arn: text(item, ALIAS_ARN).map(str::to_owned),
    };
    Ok((cursor.to_owned(), entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn a_cursor_names_the_whole_key_of_its_item() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:order:run#1";
        let key = execution_key("EXOF#order", &format!("000001700000000#{arn}")).unwrap();
        assert_eq!(key["pk"], s(format!("EX#{arn}")));
        assert_eq!(key[LIST_SK], s(format!("000001700000000#{arn}")));
        assert!(execution_key("EXOF#order", "nothing").is_err());
    }

    #[test]
    fn an_index_item_reads_back_as_its_entry() {
        let item = Item::from([
            (LIST_SK.to_owned(), s("000000000001500#arn:x")),
            ("status".to_owned(), s("SUCCEEDED")),
            ("stopDate".to_owned(), AttributeValue::N("2500".into())),
        ]);
        let (cursor, entry) = execution_entry(&item).unwrap();
        assert_eq!(cursor, "000000000001500#arn:x");
        assert_eq!(
            (entry.arn.as_str(), entry.start_date, entry.stop_date),
            ("arn:x", 1500, Some(2500))
        );
    }
}
