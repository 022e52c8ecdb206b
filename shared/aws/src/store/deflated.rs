//! Execution records on the wire: their JSON deflated (RFC 1951), stored as binary.
//!
//! DynamoDB bills a write by the kilobyte of the whole item, and a record is rewritten at every
//! stored step with its history: a history's JSON, a few field names and the same data over
//! and over, deflates to a fifth or a tenth of its size, and each kilobyte saved pays for far
//! more compute than deflating it takes. Records written before this (JSON as a string
//! attribute, parts as strings) are still read.

use std::io::{Read, Write};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;

/// The most JSON one record may have: the store writes no longer record (a function of
/// 128 MB must be able to read any it wrote), so only a corrupt or hostile item inflates past
/// it.
pub const MAX_JSON_BYTES: u64 = (super::MAX_PARTS * super::PART_BYTES) as u64;

/// `json`, deflated.
pub fn deflate(json: &str) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(json.as_bytes());
    encoder.finish().unwrap_or_default()
}

/// The JSON deflated in `bytes`.
pub fn inflate(bytes: &[u8]) -> Result<String, String> {
    let mut json = String::new();
    DeflateDecoder::new(bytes)
        .take(MAX_JSON_BYTES + 1)
        .read_to_string(&mut json)
        .map_err(|e| format!("the deflated record is unreadable: {e}"))?;
    if json.len() as u64 > MAX_JSON_BYTES {
        return Err(format!(
            "the deflated record inflates past {MAX_JSON_BYTES} bytes"
        ));
    }
    Ok(json)
}

/// A binary attribute of `bytes` (a `Vec` is moved in, not copied).
pub fn binary(bytes: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

/// The JSON a record attribute holds: a string (as written before records were deflated) or
/// deflated binary.
pub fn json_of(value: &AttributeValue) -> Result<String, String> {
    match value {
        AttributeValue::S(json) => Ok(json.clone()),
        AttributeValue::B(blob) => inflate(blob.as_ref()),
        _ => Err("the record is neither a string nor binary".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_shrink() {
        let json = serde_json::json!({"history": (0..200).map(|i| serde_json::json!({
            "id": i, "type": "PassStateEntered", "details": {"input": "{\"order\":\"A-1001\"}"}
        })).collect::<Vec<_>>()})
        .to_string();
        let deflated = deflate(&json);
        assert!(
            deflated.len() * 10 < json.len(),
            "{} of {}",
            deflated.len(),
            json.len()
        );
        assert_eq!(inflate(&deflated).unwrap(), json);
        assert_eq!(json_of(&binary(deflated.as_slice())).unwrap(), json);
        // Records stored as JSON text before are read as they are.
        assert_eq!(json_of(&AttributeValue::S(json.clone())).unwrap(), json);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        assert!(inflate(b"not deflate at all \xff\xfe").is_err());
        let mut cut = deflate(&"x".repeat(10_000));
        cut.truncate(cut.len() / 2);
        assert!(inflate(&cut).is_err());
        assert!(json_of(&AttributeValue::Bool(true)).is_err());
    }
}
