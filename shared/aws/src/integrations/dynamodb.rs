//! The optimized DynamoDB integration: `arn:aws:states:::dynamodb:getItem`, `:putItem`,
//! `:updateItem` and `:deleteItem` (request–response only: AWS offers no `.sync` or
//! `.waitForTaskToken` for them).
//!
//! The parameters are the API's request fields in PascalCase, attribute values in DynamoDB JSON
//! (see [`attribute_value`]); the result is the API's response in PascalCase (`Item`,
//! `Attributes`, `ConsumedCapacity`, `ItemCollectionMetrics`, whichever DynamoDB returned)
//! with the `SdkHttpMetadata` and `SdkResponseMetadata` Step Functions adds. A `getItem` that
//! finds nothing has no `Item`.
//!
//! Failures are named as Step Functions names them (see [`super::failures`]):
//! `DynamoDB.ConditionalCheckFailedException`, `DynamoDB.ResourceNotFoundException`,
//! `DynamoDB.ProvisionedThroughputExceededException`, …, and
//! `DynamoDB.AmazonDynamoDBException` for the errors DynamoDB's model does not declare (a
//! `ValidationException`). Parameters are checked before the call (see [`request`]):
//! - a field the action does not take, or a value of the wrong JSON type (attribute values
//!   that are not DynamoDB JSON included) cannot make a request: `States.Runtime`, naming each
//!   field by its path (`Key/id/N`);
//! - a required field left out or null (`TableName`, `Key`, `Item`), or an attribute value
//!   with no data type or several, is what DynamoDB would refuse with a `ValidationException`:
//!   `DynamoDB.AmazonDynamoDBException`, in DynamoDB's words.
//!
//! The legacy parameters (`AttributesToGet`, `AttributeUpdates`, `Expected`,
//! `ConditionalOperator`) are refused; their expression parameters replace them.

mod attribute_value;
mod request;

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::types::{Capacity, ConsumedCapacity, ItemCollectionMetrics};
use aws_sdk_dynamodb::Client;
use quickstep_engine::failure::Failure;
use quickstep_runtime::invoker::Invocation;
use serde_json::{json, Map, Value};

use self::attribute_value::{attributes_to_json, Attributes};
use self::request::Request;
use super::failures::DYNAMODB;
use super::sdk_metadata::HttpMetadata;

/// The modeled error an operation's error is: its variant's name, which is the shape's.
macro_rules! shape_of {
    ($error:ident: $($variant:ident),+ $(,)?) => {
        |err: &$error| match err {
            $($error::$variant(_) => Some(stringify!($variant)),)+
            _ => None,
        }
    };
}

/// [`shape_of!`] for the write operations, which share their errors.
macro_rules! write_shape {
    ($error:ident) => {
        shape_of!($error: ConditionalCheckFailedException, InternalServerError,
            InvalidEndpointException, ItemCollectionSizeLimitExceededException,
            ProvisionedThroughputExceededException, ReplicatedWriteConflictException,
            RequestLimitExceeded, ResourceNotFoundException, ThrottlingException,
            TransactionConflictException)
    };
}

/// Sends a write (`putItem`, `updateItem`, `deleteItem`: each its own SDK builder) with the
/// request fields the three share, and reads the response they share.
macro_rules! send_write {
    ($request:ident, $builder:ident, $metadata:ident, $error:ident) => {{
        let out = $builder
            .set_table_name($request.table_name)
            .set_condition_expression($request.condition_expression)
            .set_expression_attribute_names($request.names)
            .set_expression_attribute_values($request.values)
            .set_return_values($request.return_values)
            .set_return_consumed_capacity($request.return_consumed_capacity)
            .set_return_item_collection_metrics($request.return_item_collection_metrics)
            .set_return_values_on_condition_check_failure(
                $request.return_values_on_condition_check_failure,
            )
            .customize()
            .interceptor($metadata.clone())
            .send()
            .await
            .map_err(|e| DYNAMODB.failure(&e, write_shape!($error)))?;
        let result = written(
            out.attributes(),
            out.consumed_capacity(),
            out.item_collection_metrics(),
        );
        Ok((result, out.request_id().map(str::to_owned)))
    }};
}

/// One of the four DynamoDB actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `getItem`
    Get,
    /// `putItem`
    Put,
    /// `updateItem`
    Update,
    /// `deleteItem`
    Delete,
}

impl Action {
    /// The action a Task resource runs, if it is one of the four.
    pub(crate) fn of(resource: &str) -> Option<Self> {
        match resource {
            "arn:aws:states:::dynamodb:getItem" => Some(Self::Get),
            "arn:aws:states:::dynamodb:putItem" => Some(Self::Put),
            "arn:aws:states:::dynamodb:updateItem" => Some(Self::Update),
            "arn:aws:states:::dynamodb:deleteItem" => Some(Self::Delete),
            _ => None,
        }
    }

    /// The DynamoDB operation (and IAM action) it calls.
    pub(crate) fn operation(self) -> &'static str {
        match self {
            Self::Get => "GetItem",
            Self::Put => "PutItem",
            Self::Update => "UpdateItem",
            Self::Delete => "DeleteItem",
        }
    }
}

/// Runs `action` with `parameters`; parameters that make no valid request fail at once.
pub(crate) fn invoke(client: &Client, action: Action, parameters: &Value) -> Invocation {
    match Request::read(action, parameters) {
        Ok(request) => {
            let client = client.clone();
            Invocation::Pending(Box::pin(async move { request.send(&client).await }))
        }
        Err(failure) => Invocation::Ready(Err(failure)),
    }
}

impl Request {
    async fn send(self, client: &Client) -> Result<Value, Failure> {
        let metadata = HttpMetadata::default();
        let (mut result, request_id) = match self.action {
            Action::Get => self.get(client, &metadata).await,
            Action::Put => self.put(client, &metadata).await,
            Action::Update => self.update(client, &metadata).await,
            Action::Delete => self.delete(client, &metadata).await,
        }?;
        metadata.add_to(&mut result, request_id.as_deref());
        Ok(Value::Object(result))
    }

    async fn get(self, client: &Client, metadata: &HttpMetadata) -> Result<Response, Failure> {
        let out = client
            .get_item()
            .set_table_name(self.table_name)
            .set_key(self.key)
            .set_consistent_read(self.consistent_read)
            .set_expression_attribute_names(self.names)
            .set_projection_expression(self.projection_expression)
            .set_return_consumed_capacity(self.return_consumed_capacity)
            .customize()
            .interceptor(metadata.clone())
            .send()
            .await
            .map_err(|e| {
                DYNAMODB.failure(
                    &e,
                    shape_of!(GetItemError: InternalServerError, InvalidEndpointException,
                        ProvisionedThroughputExceededException, RequestLimitExceeded,
                        ResourceNotFoundException, ThrottlingException),
                )
            })?;
        let result = response(&[
            (
                "ConsumedCapacity",
                out.consumed_capacity().map(capacity_json),
            ),
            ("Item", out.item().map(attributes_to_json)),
        ]);
        Ok((result, out.request_id().map(str::to_owned)))
    }

    async fn put(self, client: &Client, metadata: &HttpMetadata) -> Result<Response, Failure> {
        let builder = client.put_item().set_item(self.item);
        send_write!(self, builder, metadata, PutItemError)
    }

    async fn update(self, client: &Client, metadata: &HttpMetadata) -> Result<Response, Failure> {
        let builder = client
            .update_item()
            .set_key(self.key)
            .set_update_expression(self.update_expression);
        send_write!(self, builder, metadata, UpdateItemError)
    }

    async fn delete(self, client: &Client, metadata: &HttpMetadata) -> Result<Response, Failure> {
        let builder = client.delete_item().set_key(self.key);
        send_write!(self, builder, metadata, DeleteItemError)
    }
}

/// A response's fields and its request id.
type Response = (Map<String, Value>, Option<String>);

/// A response object of the fields present, in the order given.
fn response(fields: &[(&str, Option<Value>)]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|(name, value)| Some(((*name).to_owned(), value.clone()?)))
        .collect()
}

/// The response of a write.
fn written(
    attributes: Option<&Attributes>,
    capacity: Option<&ConsumedCapacity>,
    metrics: Option<&ItemCollectionMetrics>,
) -> Map<String, Value> {
    response(&[
        ("Attributes", attributes.map(attributes_to_json)),
        ("ConsumedCapacity", capacity.map(capacity_json)),
        (
            "ItemCollectionMetrics",
            metrics.map(|m| {
                let mut metrics = Map::new();
                if let Some(key) = m.item_collection_key() {
                    metrics.insert("ItemCollectionKey".into(), attributes_to_json(key));
                }
                if let Some(range) = m.size_estimate_range_gb.as_deref() {
                    metrics.insert("SizeEstimateRangeGB".into(), json!(range));
                }
                Value::Object(metrics)
            }),
        ),
    ])
}

fn capacity_json(consumed: &ConsumedCapacity) -> Value {
    let mut object = Map::new();
    if let Some(table) = consumed.table_name() {
        object.insert("TableName".into(), table.into());
    }
    units(
        &mut object,
        consumed.capacity_units(),
        consumed.read_capacity_units(),
        consumed.write_capacity_units(),
    );
    if let Some(table) = consumed.table() {
        object.insert("Table".into(), capacity_of(table));
    }
    let indexes = |indexes: &HashMap<String, Capacity>| {
        let mut sorted: Vec<_> = indexes.iter().collect();
        sorted.sort_by_key(|(name, _)| *name);
        Value::Object(
            sorted
                .into_iter()
                .map(|(name, capacity)| (name.clone(), capacity_of(capacity)))
                .collect(),
        )
    };
    if let Some(local) = consumed.local_secondary_indexes() {
        object.insert("LocalSecondaryIndexes".into(), indexes(local));
    }
    if let Some(global) = consumed.global_secondary_indexes() {
        object.insert("GlobalSecondaryIndexes".into(), indexes(global));
    }
    Value::Object(object)
}

fn capacity_of(capacity: &Capacity) -> Value {
    let mut object = Map::new();
    units(
        &mut object,
        capacity.capacity_units(),
        capacity.read_capacity_units(),
        capacity.write_capacity_units(),
    );
    Value::Object(object)
}

fn units(object: &mut Map<String, Value>, all: Option<f64>, read: Option<f64>, write: Option<f64>) {
    for (name, units) in [
        ("CapacityUnits", all),
        ("ReadCapacityUnits", read),
        ("WriteCapacityUnits", write),
    ] {
        if let Some(units) = units {
            object.insert(name.into(), json!(units));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_the_four_request_response_resources() {
        let cases = [
            ("arn:aws:states:::dynamodb:getItem", Some(Action::Get)),
            ("arn:aws:states:::dynamodb:putItem", Some(Action::Put)),
            ("arn:aws:states:::dynamodb:updateItem", Some(Action::Update)),
            ("arn:aws:states:::dynamodb:deleteItem", Some(Action::Delete)),
            ("arn:aws:states:::dynamodb:putItem.sync", None),
            ("arn:aws:states:::dynamodb:putItem.waitForTaskToken", None),
            ("arn:aws:states:::dynamodb:query", None),
            ("arn:aws:states:::aws-sdk:dynamodb:getItem", None),
        ];
        for (resource, action) in cases {
            assert_eq!(Action::of(resource), action, "{resource}");
        }
    }

    #[test]
    fn writes_capacity_and_metrics_as_the_api_does() {
        let consumed = ConsumedCapacity::builder()
            .table_name("t")
            .capacity_units(1.0)
            .table(Capacity::builder().capacity_units(1.0).build())
            .global_secondary_indexes(
                "byName",
                Capacity::builder().read_capacity_units(0.5).build(),
            )
            .build();
        let metrics = ItemCollectionMetrics::builder()
            .item_collection_key("id", aws_sdk_dynamodb::types::AttributeValue::S("1".into()))
            .size_estimate_range_gb(0.0)
            .size_estimate_range_gb(1.0)
            .build();
        assert_eq!(
            Value::Object(written(None, Some(&consumed), Some(&metrics))),
            json!({
                "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0,
                    "Table": {"CapacityUnits": 1.0},
                    "GlobalSecondaryIndexes": {"byName": {"ReadCapacityUnits": 0.5}}},
                "ItemCollectionMetrics": {"ItemCollectionKey": {"id": {"S": "1"}},
                    "SizeEstimateRangeGB": [0.0, 1.0]}
            })
        );
    }
}
