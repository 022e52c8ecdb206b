//! What DynamoDB bills for an item: its size as DynamoDB counts it, and the read and write
//! units a request of that size consumes on demand (the Developer Guide's "Item sizes and
//! formats" and "DynamoDB read and write operations").

use aws_sdk_dynamodb::types::AttributeValue;

use super::Item;

/// A write unit covers a write of up to 1 KB; larger items take one per KB, rounded up.
pub const WRITE_UNIT_BYTES: usize = 1024;
/// A strongly consistent read unit covers up to 4 KB (an eventually consistent one twice that).
pub const READ_UNIT_BYTES: usize = 4096;

/// The item's size: for each attribute, its name's UTF-8 bytes and its value's size.
pub fn item_bytes(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_bytes(value))
        .sum()
}

/// A value's size: a string's UTF-8 bytes, a number's significant digits two to a byte plus
/// one, a binary's bytes, one byte for a boolean or null, and a list or map's elements with
/// three bytes for the container and one per element.
fn value_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_bytes(number),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| number_bytes(n)).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_bytes(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// A number's size: its significant digits (leading and trailing zeros trimmed), two to a
/// byte, rounded up, plus one.
fn number_bytes(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or(number);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    significant.len().div_ceil(2) + 1
}

/// The write units of writing (or deleting) an item of `bytes`: at least one.
pub fn write_units(bytes: usize) -> u64 {
    units(bytes, WRITE_UNIT_BYTES)
}

/// The read units of a strongly consistent read of `bytes` (a Query's items summed): at
/// least one, also for an item that is not there.
pub fn read_units(bytes: usize) -> u64 {
    units(bytes, READ_UNIT_BYTES)
}

fn units(bytes: usize, per_unit: usize) -> u64 {
    u64::try_from(bytes.div_ceil(per_unit).max(1)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn sizes_count_names_and_values_as_dynamodb_does() {
        // "pk" (2) + "EX#a" (4) + "sk" (2) + "RECORD" (6).
        let keys = item(&[
            ("pk", AttributeValue::S("EX#a".into())),
            ("sk", AttributeValue::S("RECORD".into())),
        ]);
        assert_eq!(item_bytes(&keys), 14);
        // UTF-8 bytes, not characters.
        assert_eq!(
            item_bytes(&item(&[("é", AttributeValue::S("€".into()))])),
            5
        );
        // Numbers: significant digits two to a byte, plus one; zeros at either end trimmed.
        for (number, bytes) in [
            ("7", 2),
            ("12", 2),
            ("123", 3),
            ("1000000", 2),
            ("1704067200", 5),
            ("0", 1),
            ("-3.25", 3),
        ] {
            assert_eq!(number_bytes(number), bytes, "{number}");
        }
        let nested = item(&[(
            "m",
            AttributeValue::M(
                [("ab".to_owned(), AttributeValue::Bool(true))]
                    .into_iter()
                    .collect(),
            ),
        )]);
        // "m" (1) + map (3) + element (1) + "ab" (2) + true (1).
        assert_eq!(item_bytes(&nested), 8);
    }

    #[test]
    fn units_round_up_and_never_go_below_one() {
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(350_000), 342);
        assert_eq!(read_units(0), 1);
        assert_eq!(read_units(4096), 1);
        assert_eq!(read_units(4097), 2);
    }
}
