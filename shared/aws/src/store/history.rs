//! An execution's history, stored apart from its record so that a step writes its own events
//! and not the whole history again (the write cost of an execution grows with its steps, not
//! with their square).
//!
//! Each write that has new events stores them as a **batch** before the record: items
//! `H#<first event id, 12 digits>#<random id>#<slice, 4 digits>` in the execution's partition,
//! each with `data` (B: a slice of the deflated JSON array of the events, at most
//! [`PART_BYTES`]) and `expiresAt`; slice 0 also has `slices` (N) and, unless it is the first
//! batch, `previous` (S: the key of the batch before it). The record's
//! [`StoredHistory`](quickstep_service::records::StoredHistory) names the last batch (`tail`)
//! and the last event id in it, so the batches a reader follows back from the record are
//! exactly those of the writes that won: a batch whose record write lost a race, or never
//! happened, is in no chain (the loser deletes its batch when DynamoDB surely refused the
//! write; TTL removes the rest).
//!
//! Batches expire [`HISTORY_GRACE`] after the record would, written when they are: an
//! execution may run for a year, and its record's expiry moves on with every write.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use quickstep_engine::execution::HistoryEvent;
use quickstep_service::ports::PortError;
use quickstep_service::records::NewEvents;

use super::{deflated, n, number, s, text, Item, MAX_PARTS, PART_BYTES};

/// How much longer than a record a batch of its history is kept: as long as an execution may
/// run (a year, as a Standard workflow may), so that a record never outlives its history.
pub const HISTORY_GRACE: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// The prefix of every batch item's sort key.
pub const PREFIX: &str = "H#";

/// Whether `item` is a slice of a history batch.
pub fn is_batch(item: &Item) -> bool {
    text(item, "sk").is_some_and(|sk| sk.starts_with(PREFIX))
}

/// The key of a new batch whose first event is `first`.
pub fn batch_key(first: u64) -> String {
    format!("{PREFIX}{first:012}#{}", uuid::Uuid::new_v4().simple())
}

/// The items of the batch `key` holding `new`'s events in partition `pk` (none if it has no
/// events), expiring at `expires`.
pub fn batch_items(
    pk: &str,
    key: &str,
    new: &NewEvents,
    expires: &AttributeValue,
) -> Result<Vec<Item>, PortError> {
    if new.events.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(&new.events)
        .map_err(|e| PortError::Terminal(format!("{pk}: history events: {e}")))?;
    if json.len() as u64 > deflated::MAX_JSON_BYTES {
        return Err(PortError::Terminal(format!(
            "States.DataLimitExceeded: one step's history events are {} bytes of JSON, more than \
             the {} the store keeps",
            json.len(),
            deflated::MAX_JSON_BYTES
        )));
    }
    let bytes = deflated::deflate(&json).map_err(|e| PortError::Terminal(format!("{pk}: {e}")))?;
    let slices: Vec<&[u8]> = bytes.chunks(PART_BYTES).collect();
    if slices.len() > MAX_PARTS + 1 {
        return Err(PortError::Terminal(format!(
            "States.DataLimitExceeded: one step's history events take {} items, more than {}",
            slices.len(),
            MAX_PARTS
        )));
    }
    let count = slices.len();
    Ok(slices
        .into_iter()
        .enumerate()
        .map(|(i, slice)| {
            let mut item = Item::from([
                ("pk".to_owned(), s(pk)),
                ("sk".to_owned(), s(format!("{key}#{i:04}"))),
                ("data".to_owned(), deflated::binary(slice)),
                ("expiresAt".to_owned(), expires.clone()),
            ]);
            if i == 0 {
                item.insert("slices".to_owned(), n(count));
                item.extend(deflated::Dictionary::One.attribute());
                if let Some(previous) = &new.previous.tail {
                    item.insert("previous".to_owned(), s(previous));
                }
            }
            item
        })
        .collect())
}

/// One batch as read: its slice 0 (which names the batch before it, how many slices it has
/// and the dictionary they were deflated with), and the slices found.
#[derive(Default)]
struct Batch<'a> {
    head: Option<&'a Item>,
    found: BTreeMap<u32, &'a [u8]>,
}

/// The history events of the chain that ends at batch `tail`, oldest first, from the items of
/// the execution's partition `pk` (those that are not batches are passed over).
pub fn chain(pk: &str, items: &[Item], tail: Option<&str>) -> Result<Vec<HistoryEvent>, PortError> {
    let mut batches: BTreeMap<&str, Batch<'_>> = BTreeMap::new();
    for item in items {
        let Some(sk) = text(item, "sk").filter(|_| is_batch(item)) else {
            continue;
        };
        let Some((key, slice)) = sk.rsplit_once('#') else {
            continue;
        };
        let (Ok(slice), Some(AttributeValue::B(data))) = (slice.parse::<u32>(), item.get("data"))
        else {
            continue;
        };
        let batch = batches.entry(key).or_default();
        batch.found.insert(slice, data.as_ref());
        if slice == 0 {
            batch.head = Some(item);
        }
    }
    let broken =
        |key: &str, why: &str| PortError::Terminal(format!("{pk}: history batch {key} {why}"));
    let mut chain = Vec::new();
    let mut next = tail;
    while let Some(key) = next {
        let batch = batches.get(key).ok_or_else(|| broken(key, "is missing"))?;
        let head = batch
            .head
            .filter(|head| number(head, "slices") == Some(batch.found.len() as u64))
            .ok_or_else(|| broken(key, "is missing slices"))?;
        let bytes: Vec<u8> = batch
            .found
            .values()
            .flat_map(|d| d.iter().copied())
            .collect();
        let dictionary = deflated::Dictionary::of(head).map_err(|e| broken(key, &e))?;
        let json = deflated::inflate(&bytes, dictionary).map_err(|e| broken(key, &e))?;
        let events: Vec<HistoryEvent> =
            serde_json::from_str(&json).map_err(|e| broken(key, &format!("is unreadable: {e}")))?;
        chain.push(events);
        next = text(head, "previous");
    }
    Ok(chain.into_iter().rev().flatten().collect())
}

#[cfg(test)]
mod tests {
    use quickstep_service::records::StoredHistory;
    use serde_json::json;

    use super::*;

    fn event(id: u64) -> HistoryEvent {
        serde_json::from_value(json!({
            "id": id, "previousEventId": id - 1, "timestamp": 0, "type": "PassStateEntered",
            "details": {"blob": format!("{id}").repeat(50)}
        }))
        .unwrap()
    }

    fn batch(key: &str, previous: Option<&str>, ids: std::ops::RangeInclusive<u64>) -> Vec<Item> {
        let new = NewEvents {
            events: ids.map(event).collect(),
            previous: StoredHistory {
                events: 0,
                tail: previous.map(str::to_owned),
            },
        };
        batch_items("EX#e", key, &new, &n(1)).unwrap()
    }

    fn ids(events: &[HistoryEvent]) -> Vec<u64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn the_chain_from_the_tail_is_the_history_and_orphans_are_passed_over() {
        let mut items = batch("H#1#a", None, 1..=3);
        items.extend(batch("H#4#b", Some("H#1#a"), 4..=5));
        // A writer that lost the race for the same version: its batch is in no chain.
        items.extend(batch("H#4#lost", Some("H#1#a"), 4..=9));
        items.extend(batch("H#6#c", Some("H#4#b"), 6..=6));
        assert_eq!(
            ids(&chain("EX#e", &items, Some("H#6#c")).unwrap()),
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            ids(&chain("EX#e", &items, Some("H#4#b")).unwrap()),
            [1, 2, 3, 4, 5]
        );
        assert!(chain("EX#e", &items, None).unwrap().is_empty());
    }

    #[test]
    fn a_batch_larger_than_an_item_is_sliced_and_read_whole() {
        // Incompressible details: the deflated JSON passes one item.
        let mut seed = 7_u64;
        let noise: String = (0..800_000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                char::from(b'a' + u8::try_from(seed >> 59).unwrap())
            })
            .collect();
        let mut big = event(1);
        big.details = Some(json!({"noise": noise}));
        let new = NewEvents {
            events: vec![big],
            previous: StoredHistory::default(),
        };
        let items = batch_items("EX#e", "H#1#x", &new, &n(1)).unwrap();
        assert!(items.len() > 1, "{} items", items.len());
        assert_eq!(ids(&chain("EX#e", &items, Some("H#1#x")).unwrap()), [1]);
    }

    #[test]
    fn a_broken_chain_is_an_error_naming_the_batch() {
        let mut items = batch("H#4#b", Some("H#1#a"), 4..=5);
        let missing = chain("EX#e", &items, Some("H#4#b")).unwrap_err();
        assert!(
            missing.to_string().contains("H#1#a is missing"),
            "{missing}"
        );
        items.extend(batch("H#1#a", None, 1..=3));
        items.retain(|i| text(i, "sk") != Some("H#4#b#0000"));
        let sliced = chain("EX#e", &items, Some("H#4#b")).unwrap_err();
        assert!(sliced.to_string().contains("H#4#b"), "{sliced}");
    }

    #[test]
    fn no_events_no_batch() {
        let new = NewEvents {
            events: Vec::new(),
            previous: StoredHistory::default(),
        };
        assert!(batch_items("EX#e", "H#1#x", &new, &n(1))
            .unwrap()
            .is_empty());
    }
}
