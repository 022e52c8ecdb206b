//! DynamoDB JSON: attribute values written as the DynamoDB API writes them, one data type
//! each — `{"S": "text"}`, `{"N": "1.5"}` (numbers as strings), `{"B": "<base64>"}`,
//! `{"SS": […]}`, `{"NS": […]}`, `{"BS": […]}`, `{"M": {name: value…}}`, `{"L": [value…]}`,
//! `{"NULL": true}`, `{"BOOL": false}` — to the SDK's [`AttributeValue`] and back.
//!
//! A value that is not DynamoDB JSON (a string where an object belongs, an unknown data type,
//! `"N": 1`) is [`Problem::Unusable`]: Step Functions cannot build a request from it. One that
//! names no data type, or several, is [`Problem::Invalid`]: Step Functions sends it and
//! DynamoDB refuses it. Either names the value by its path from the parameter, JSON-pointer
//! style: `Key/id`, `Item/tags/L/0`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Attribute names to values: an item, a key, `ExpressionAttributeValues`.
pub(crate) type Attributes = HashMap<String, AttributeValue>;

/// Why a JSON value is not an attribute value DynamoDB takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not DynamoDB JSON: no request can be built from it.
    Unusable(String),
    /// DynamoDB JSON that DynamoDB refuses (a `ValidationException`).
    Invalid(String),
}

/// `name` under `path`, escaped as a JSON pointer token.
pub(crate) fn child(path: &str, name: &str) -> String {
    format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// The value at `path` is not of the JSON `kind` it must be.
pub(crate) fn must_be(path: &str, kind: &str) -> Problem {
    Problem::Unusable(format!("The value for the field '{path}' must be {kind}"))
}

/// An object of attribute values (an item, a key), found at `path`.
pub(crate) fn attributes_from_json(value: &Value, path: &str) -> Result<Attributes, Problem> {
    let fields = value
        .as_object()
        .ok_or_else(|| must_be(path, "an OBJECT"))?;
    fields
        .iter()
        .map(|(name, value)| Ok((name.clone(), from_json(value, &child(path, name))?)))
        .collect()
}

/// One attribute value, found at `path`.
fn from_json(value: &Value, path: &str) -> Result<AttributeValue, Problem> {
    let fields = value
        .as_object()
        .ok_or_else(|| must_be(path, "an OBJECT"))?;
    if let Some(unknown) = fields.keys().find(|k| !DATA_TYPES.contains(&k.as_str())) {
        return Err(Problem::Unusable(format!(
            "The field '{}' is not a DynamoDB data type (one of {})",
            child(path, unknown),
            DATA_TYPES.join(", ")
        )));
    }
    let mut typed = fields.iter();
    let (Some((data_type, inner)), None) = (typed.next(), typed.next()) else {
        let how = if fields.is_empty() {
            "is empty"
        } else {
            "has more than one datatypes set"
        };
        // DynamoDB's own words, and where the value was.
        return Err(Problem::Invalid(format!(
            "Supplied AttributeValue {how}, must contain exactly one of the supported datatypes \
             (at '{path}')"
        )));
    };
    let path = child(path, data_type);
    Ok(match data_type.as_str() {
        "S" => AttributeValue::S(string(inner, &path)?),
        "N" => AttributeValue::N(string(inner, &path)?),
        "B" => AttributeValue::B(binary(inner, &path)?),
        "SS" => AttributeValue::Ss(each(inner, &path, string)?),
        "NS" => AttributeValue::Ns(each(inner, &path, string)?),
        "BS" => AttributeValue::Bs(each(inner, &path, binary)?),
        "M" => AttributeValue::M(attributes_from_json(inner, &path)?),
        "L" => AttributeValue::L(each(inner, &path, from_json)?),
        "NULL" => AttributeValue::Null(boolean(inner, &path)?),
        _ => AttributeValue::Bool(boolean(inner, &path)?),
    })
}

fn string(value: &Value, path: &str) -> Result<String, Problem> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| must_be(path, "a STRING"))
}

fn boolean(value: &Value, path: &str) -> Result<bool, Problem> {
    value.as_bool().ok_or_else(|| must_be(path, "a BOOLEAN"))
}

fn binary(value: &Value, path: &str) -> Result<Blob, Problem> {
    let text = value.as_str().ok_or_else(|| must_be(path, "a STRING"))?;
    STANDARD
        .decode(text)
        .map(Blob::new)
        .map_err(|_| must_be(path, "base64-encoded binary data"))
}

/// The elements of the array at `path`, each read with `read`.
fn each<T>(
    value: &Value,
    path: &str,
    read: impl Fn(&Value, &str) -> Result<T, Problem>,
) -> Result<Vec<T>, Problem> {
    value
        .as_array()
        .ok_or_else(|| must_be(path, "an ARRAY"))?
        .iter()
        .enumerate()
        .map(|(i, v)| read(v, &child(path, &i.to_string())))
        .collect()
}

/// The data types, as DynamoDB JSON names them.
const DATA_TYPES: [&str; 10] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

/// Attribute values as DynamoDB JSON, names in order (DynamoDB gives them in none).
pub(crate) fn attributes_to_json(attributes: &Attributes) -> Value {
    let sorted: BTreeMap<&String, Value> = attributes
        .iter()
        .map(|(name, value)| (name, to_json(value)))
        .collect();
    Value::Object(
        sorted
            .into_iter()
            .map(|(name, value)| (name.clone(), value))
            .collect(),
    )
}

/// One attribute value as DynamoDB JSON. A data type this SDK does not know becomes `{}`, as
/// the Java SDK Step Functions uses turns any value it cannot read.
fn to_json(value: &AttributeValue) -> Value {
    let base64 = |b: &Blob| Value::String(STANDARD.encode(b.as_ref()));
    let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
    let (data_type, inner) = match value {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::B(b) => ("B", base64(b)),
        AttributeValue::Ss(v) => ("SS", strings(v)),
        AttributeValue::Ns(v) => ("NS", strings(v)),
        AttributeValue::Bs(v) => ("BS", Value::Array(v.iter().map(base64).collect())),
        AttributeValue::M(m) => ("M", attributes_to_json(m)),
        AttributeValue::L(l) => ("L", Value::Array(l.iter().map(to_json).collect())),
        AttributeValue::Null(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        _ => return Value::Object(Map::new()),
    };
    let mut object = Map::new();
    object.insert(data_type.to_owned(), inner);
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every data type, nested in a map and a list.
    fn every_type() -> Value {
        json!({
            "s": {"S": "text"},
            "n": {"N": "-1.5E3"},
            "b": {"B": "AAEC/w=="},
            "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2.5"]},
            "bs": {"BS": ["AA==", "AQI="]},
            "m": {"M": {"inner": {"S": "x"}, "deeper": {"M": {"n": {"N": "0"}}}}},
            "l": {"L": [{"S": "y"}, {"NULL": true}, {"L": []}]},
            "null": {"NULL": true},
            "bool": {"BOOL": false}
        })
    }

    #[test]
    fn reads_every_data_type() {
        let attributes = attributes_from_json(&every_type(), "Item").unwrap();
        let expected: Attributes = [
            ("s", AttributeValue::S("text".into())),
            ("n", AttributeValue::N("-1.5E3".into())),
            ("b", AttributeValue::B(Blob::new(vec![0, 1, 2, 255]))),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("ns", AttributeValue::Ns(vec!["1".into(), "2.5".into()])),
            (
                "bs",
                AttributeValue::Bs(vec![Blob::new(vec![0]), Blob::new(vec![1, 2])]),
            ),
            (
                "m",
                AttributeValue::M(
                    [
                        ("inner".to_owned(), AttributeValue::S("x".into())),
                        (
                            "deeper".to_owned(),
                            AttributeValue::M(
                                [("n".to_owned(), AttributeValue::N("0".into()))].into(),
                            ),
                        ),
                    ]
                    .into(),
                ),
            ),
            (
                "l",
                AttributeValue::L(vec![
                    AttributeValue::S("y".into()),
                    AttributeValue::Null(true),
                    AttributeValue::L(vec![]),
                ]),
            ),
            ("null", AttributeValue::Null(true)),
            ("bool", AttributeValue::Bool(false)),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        assert_eq!(attributes, expected);
    }

    #[test]
    fn writes_what_it_reads() {
        let attributes = attributes_from_json(&every_type(), "Item").unwrap();
        assert_eq!(attributes_to_json(&attributes), every_type());
    }

    #[test]
    fn writes_names_in_order() {
        let attributes: Attributes = ["b", "a", "c"]
            .into_iter()
            .map(|n| (n.to_owned(), AttributeValue::Bool(true)))
            .collect();
        let text = attributes_to_json(&attributes).to_string();
        assert_eq!(
            text,
            r#"{"a":{"BOOL":true},"b":{"BOOL":true},"c":{"BOOL":true}}"#
        );
    }

    #[test]
    fn names_the_path_of_what_it_cannot_read() {
        let unusable = |m: &str| Err(Problem::Unusable(m.to_owned()));
        let invalid = |m: &str| Err(Problem::Invalid(m.to_owned()));
        let cases = [
            (
                json!("id-1"),
                "Key",
                unusable("The value for the field 'Key' must be an OBJECT"),
            ),
            (
                json!({"id": "id-1"}),
                "Key",
                unusable("The value for the field 'Key/id' must be an OBJECT"),
            ),
            (
                json!({"id": {"N": 1}}),
                "Key",
                unusable("The value for the field 'Key/id/N' must be a STRING"),
            ),
            (
                json!({"id": {"X": "1"}}),
                "Key",
                unusable(
                    "The field 'Key/id/X' is not a DynamoDB data type \
                     (one of S, N, B, SS, NS, BS, M, L, NULL, BOOL)",
                ),
            ),
            (
                json!({"a/b": {"B": "not base64!"}}),
                "Item",
                unusable(
                    "The value for the field 'Item/a~1b/B' must be base64-encoded binary data",
                ),
            ),
            (
                json!({"tags": {"L": [{"S": "x"}, {"SS": "y"}]}}),
                "Item",
                unusable("The value for the field 'Item/tags/L/1/SS' must be an ARRAY"),
            ),
            (
                json!({"tags": {"NS": ["1", 2]}}),
                "Item",
                unusable("The value for the field 'Item/tags/NS/1' must be a STRING"),
            ),
            (
                json!({"m": {"M": {"x": {"BOOL": "true"}}}}),
                "Item",
                unusable("The value for the field 'Item/m/M/x/BOOL' must be a BOOLEAN"),
            ),
            (
                json!({"id": {}}),
                "Key",
                invalid(
                    "Supplied AttributeValue is empty, must contain exactly one of the \
                     supported datatypes (at 'Key/id')",
                ),
            ),
            (
                json!({"id": {"S": "1", "N": "1"}}),
                "Key",
                invalid(
                    "Supplied AttributeValue has more than one datatypes set, must contain \
                     exactly one of the supported datatypes (at 'Key/id')",
                ),
            ),
        ];
        for (value, path, expected) in cases {
            assert_eq!(attributes_from_json(&value, path), expected, "{value}");
        }
    }
}
