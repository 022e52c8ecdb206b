//! Execution records on the wire: their JSON deflated (RFC 1951) with a preset dictionary,
//! stored as binary.
//!
//! DynamoDB bills a write by the kilobyte of the whole item, and a record is rewritten at every
//! stored step with its history: a history's JSON, a few field names and the same data over
//! and over, deflates to a fifth or a tenth of its size, and each kilobyte saved pays for far
//! more compute than deflating it takes. Records written before this (JSON as a string
//! attribute, parts as strings; deflated without a dictionary) are still read.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The most JSON one record may have: the store writes no longer record (a function of
/// 128 MB must be able to read any it wrote), so only a corrupt or hostile item inflates past
/// it.
pub const MAX_JSON_BYTES: u64 = (super::MAX_PARTS * super::PART_BYTES) as u64;

/// The attribute naming the dictionary an item's deflated bytes were deflated with (absent:
/// none, as every item written before dictionaries).
pub const DICTIONARY_ATTRIBUTE: &str = "dict";

/// Dictionary 1: what records and history events are made of (a record of a sample workflow
/// of Pass, Task, Choice, Map and Wait states, as the store wrote it, and its last record).
/// Deflate finds in it the field names, event types and shapes a small record would otherwise
/// spell out, so the record of a short execution with its whole history deflates to about
/// half (the five-state example's: 1,014 bytes without, 430 with), which is what fits it in
/// DynamoDB's first kilobyte. Never changed: what was deflated with it is inflated with it; a
/// better dictionary is dictionary 2.
const DICTIONARY_1: &[u8] = include_bytes!("dictionary-1.json");

/// The preset dictionary stored bytes were deflated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dictionary {
    /// None: items written before dictionaries.
    None,
    /// [`DICTIONARY_1`], what every write uses now.
    One,
}

impl Dictionary {
    /// The dictionary of `item`'s deflated bytes, from its [`DICTIONARY_ATTRIBUTE`].
    pub fn of(item: &super::Item) -> Result<Self, String> {
        match item.get(DICTIONARY_ATTRIBUTE) {
            None => Ok(Self::None),
            Some(AttributeValue::N(id)) if id == "1" => Ok(Self::One),
            Some(other) => Err(format!(
                "deflated with dictionary {other:?}, which this version does not know (a newer \
                 quickstep wrote it)"
            )),
        }
    }

    /// The attribute that names this dictionary on an item (none for no dictionary).
    pub fn attribute(self) -> Option<(String, AttributeValue)> {
        match self {
            Self::None => None,
            Self::One => Some((
                DICTIONARY_ATTRIBUTE.to_owned(),
                AttributeValue::N("1".into()),
            )),
        }
    }

    fn bytes(self) -> Option<&'static [u8]> {
        match self {
            Self::None => None,
            Self::One => Some(DICTIONARY_1),
        }
    }
}

/// `json`, deflated with [`Dictionary::One`] (name it on the item: [`Dictionary::attribute`]).
pub fn deflate(json: &str) -> Result<Vec<u8>, String> {
    let failed = |e: &dyn std::fmt::Display| format!("the record cannot be deflated: {e}");
    let mut compress = Compress::new(Compression::default(), false);
    compress
        .set_dictionary(DICTIONARY_1)
        .map_err(|e| failed(&e))?;
    let input = json.as_bytes();
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        let read = usize::try_from(compress.total_in()).unwrap_or(usize::MAX);
        let status = compress
            .compress_vec(
                input.get(read..).unwrap_or_default(),
                &mut out,
                FlushCompress::Finish,
            )
            .map_err(|e| failed(&e))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
        // The output is full: room for more.
        out.reserve(out.capacity().max(64));
    }
}

/// The JSON deflated in `bytes` with `dictionary`.
pub fn inflate(bytes: &[u8], dictionary: Dictionary) -> Result<String, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("the deflated record is unreadable: {e}");
    let past = || format!("the deflated record inflates past {MAX_JSON_BYTES} bytes");
    let mut decompress = Decompress::new(false);
    if let Some(dictionary) = dictionary.bytes() {
        decompress
            .set_dictionary(dictionary)
            .map_err(|e| unreadable(&e))?;
    }
    let limit = usize::try_from(MAX_JSON_BYTES).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit) + 64);
    loop {
        let (read, written) = (decompress.total_in(), decompress.total_out());
        let at = usize::try_from(read).unwrap_or(usize::MAX);
        let status = decompress
            .decompress_vec(
                bytes.get(at..).unwrap_or_default(),
                &mut out,
                FlushDecompress::Finish,
            )
            .map_err(|e| unreadable(&e))?;
        if status == Status::StreamEnd {
            break;
        }
        if out.len() > limit {
            return Err(past());
        }
        if out.len() == out.capacity() {
            // Twice the room, but no more than one byte past the limit (`out` is within it).
            out.reserve(out.capacity().min(limit + 1 - out.len()).max(64));
        } else if decompress.total_in() == read && decompress.total_out() == written {
            // Room to write and nothing more read or written: the stream ends early.
            return Err(unreadable(&"it ends before its last block"));
        }
    }
    if out.len() > limit {
        return Err(past());
    }
    String::from_utf8(out).map_err(|e| unreadable(&e))
}

/// A binary attribute of `bytes` (a `Vec` is moved in, not copied).
pub fn binary(bytes: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

/// The JSON a record attribute holds: a string (as written before records were deflated) or
/// binary deflated with `dictionary`.
pub fn json_of(value: &AttributeValue, dictionary: Dictionary) -> Result<String, String> {
    match value {
        AttributeValue::S(json) => Ok(json.clone()),
        AttributeValue::B(blob) => inflate(blob.as_ref(), dictionary),
        _ => Err("the record is neither a string nor binary".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn deflated_without_dictionary(json: &str) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(json.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn records_round_trip_and_shrink() {
        let json = serde_json::json!({"history": (0..200).map(|i| serde_json::json!({
            "id": i, "type": "PassStateEntered", "details": {"input": "{\"order\":\"A-1001\"}"}
        })).collect::<Vec<_>>()})
        .to_string();
        let deflated = deflate(&json).unwrap();
        assert!(
            deflated.len() * 10 < json.len(),
            "{} of {}",
            deflated.len(),
            json.len()
        );
        assert_eq!(inflate(&deflated, Dictionary::One).unwrap(), json);
        assert_eq!(
            json_of(&binary(deflated.as_slice()), Dictionary::One).unwrap(),
            json
        );
        // Records stored as JSON text before are read as they are, and those deflated without
        // a dictionary without one.
        assert_eq!(
            json_of(&AttributeValue::S(json.clone()), Dictionary::One).unwrap(),
            json
        );
        let plain = deflated_without_dictionary(&json);
        assert_eq!(inflate(&plain, Dictionary::None).unwrap(), json);
        // The dictionary is part of the format: without it the bytes do not inflate to the
        // record.
        assert_ne!(inflate(&deflated, Dictionary::None).ok(), Some(json));
    }

    #[test]
    fn the_dictionary_halves_a_small_record() {
        // A record of another workflow than the dictionary's sample, with its history.
        let record = serde_json::json!({
            "arn": "arn:aws:states:eu-west-1:111122223333:express:orders:run-7",
            "name": "run-7", "status": "SUCCEEDED",
            "input": {"order": "C-3003", "lines": 2}, "output": {"shipped": true},
            "snapshot": {"format": 1, "version": 3, "status": {"status": "SUCCEEDED"},
                "history": [
                    {"id": 1, "previousEventId": 0, "timestamp": 1_767_225_600_000_i64,
                     "type": "ExecutionStarted", "details": {"executionStartedEventDetails": {
                        "input": "{\"order\":\"C-3003\",\"lines\":2}",
                        "inputDetails": {"truncated": false}}}},
                    {"id": 2, "previousEventId": 1, "timestamp": 1_767_225_600_004_i64,
                     "type": "TaskStateEntered", "name": "Ship", "details": {
                        "stateEnteredEventDetails": {"name": "Ship",
                        "input": "{\"order\":\"C-3003\",\"lines\":2}",
                        "inputDetails": {"truncated": false}}}},
                    {"id": 3, "previousEventId": 2, "timestamp": 1_767_225_600_031_i64,
                     "type": "ExecutionSucceeded", "details": {
                        "executionSucceededEventDetails": {"output": "{\"shipped\":true}",
                        "outputDetails": {"truncated": false}}}}]}})
        .to_string();
        let with = deflate(&record).unwrap().len();
        let without = deflated_without_dictionary(&record).len();
        assert!(with * 3 < without * 2, "{with} with, {without} without");
    }

    #[test]
    fn the_dictionary_is_named_on_the_item() {
        let mut item = super::super::Item::new();
        assert_eq!(Dictionary::of(&item), Ok(Dictionary::None));
        assert_eq!(Dictionary::None.attribute(), None);
        let (name, value) = Dictionary::One.attribute().unwrap();
        item.insert(name, value);
        assert_eq!(Dictionary::of(&item), Ok(Dictionary::One));
        item.insert(
            DICTIONARY_ATTRIBUTE.to_owned(),
            AttributeValue::N("9".into()),
        );
        let unknown = Dictionary::of(&item).unwrap_err();
        assert!(unknown.contains("newer quickstep"), "{unknown}");
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        for dictionary in [Dictionary::None, Dictionary::One] {
            assert!(inflate(b"not deflate at all \xff\xfe", dictionary).is_err());
            let mut cut = deflate(&"x".repeat(10_000)).unwrap();
            cut.truncate(cut.len() / 2);
            assert!(inflate(&cut, dictionary).is_err());
            assert!(inflate(&[], dictionary).is_err());
            assert!(json_of(&AttributeValue::Bool(true), dictionary).is_err());
        }
    }

    #[test]
    fn a_record_that_inflates_past_the_limit_is_refused() {
        // Zeros deflate a thousandfold: a small item, a huge record.
        let huge = "0".repeat(usize::try_from(MAX_JSON_BYTES).unwrap() + 10);
        let bytes = deflate(&huge).unwrap();
        assert!(bytes.len() < 100_000, "{}", bytes.len());
        let refused = inflate(&bytes, Dictionary::One).unwrap_err();
        assert!(refused.contains("past"), "{refused}");
    }
}
