//! Reading a DynamoDB Task's parameters into a [`Request`], before anything runs: which
//! fields each action takes, their JSON types, and what is required.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    ReturnConsumedCapacity, ReturnItemCollectionMetrics, ReturnValue,
    ReturnValuesOnConditionCheckFailure,
};
use quickstep_engine::failure::Failure;
use serde_json::Value;

use super::attribute_value::{attributes_from_json, child, must_be, Attributes, Problem};
use super::Action;
use crate::integrations::failures::{unusable_parameters, DYNAMODB};

/// The fields every write action takes.
const WRITE_FIELDS: [&str; 8] = [
    "TableName",
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
    "ReturnValues",
    "ReturnValuesOnConditionCheckFailure",
];

/// The parameters of DynamoDB's legacy API, which quickstep does not take.
const LEGACY_FIELDS: [&str; 4] = [
    "AttributesToGet",
    "AttributeUpdates",
    "ConditionalOperator",
    "Expected",
];

impl Action {
    /// Whether the action takes the parameter `field`.
    fn takes(self, field: &str) -> bool {
        match self {
            Self::Get => matches!(
                field,
                "TableName"
                    | "Key"
                    | "ConsistentRead"
                    | "ExpressionAttributeNames"
                    | "ProjectionExpression"
                    | "ReturnConsumedCapacity"
            ),
            Self::Put => field == "Item" || WRITE_FIELDS.contains(&field),
            Self::Update => {
                matches!(field, "Key" | "UpdateExpression") || WRITE_FIELDS.contains(&field)
            }
            Self::Delete => field == "Key" || WRITE_FIELDS.contains(&field),
        }
    }
}

/// One call's request, read from the Task's parameters before anything runs.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) action: Action,
    pub(super) table_name: Option<String>,
    pub(super) key: Option<Attributes>,
    pub(super) item: Option<Attributes>,
    pub(super) consistent_read: Option<bool>,
    pub(super) projection_expression: Option<String>,
    pub(super) update_expression: Option<String>,
    pub(super) condition_expression: Option<String>,
    pub(super) names: Option<HashMap<String, String>>,
    pub(super) values: Option<Attributes>,
    pub(super) return_values: Option<ReturnValue>,
    pub(super) return_consumed_capacity: Option<ReturnConsumedCapacity>,
    pub(super) return_item_collection_metrics: Option<ReturnItemCollectionMetrics>,
    pub(super) return_values_on_condition_check_failure:
        Option<ReturnValuesOnConditionCheckFailure>,
}

impl Request {
    /// The request `parameters` make for `action`, or why they make none.
    pub(super) fn read(action: Action, parameters: &Value) -> Result<Self, Failure> {
        let Some(fields) = parameters.as_object() else {
            return Err(unusable_parameters(
                parameters,
                &["The Parameters must be a JSON object".to_owned()],
            ));
        };
        let mut request = Self {
            action,
            table_name: None,
            key: None,
            item: None,
            consistent_read: None,
            projection_expression: None,
            update_expression: None,
            condition_expression: None,
            names: None,
            values: None,
            return_values: None,
            return_consumed_capacity: None,
            return_item_collection_metrics: None,
            return_values_on_condition_check_failure: None,
        };
        let mut unusable = Vec::new();
        let mut invalid = Vec::new();
        for (field, value) in fields {
            // A null member is an absent one, to the Java SDK Step Functions uses.
            if value.is_null() {
                continue;
            }
            if let Err(problem) = request.set(field, value) {
                match problem {
                    Problem::Unusable(message) => unusable.push(message),
                    Problem::Invalid(message) => invalid.push(message),
                }
            }
        }
        if !unusable.is_empty() {
            return Err(unusable_parameters(parameters, &unusable));
        }
        let given = |field: &str| fields.get(field).is_some_and(|v| !v.is_null());
        let required: &[(&str, &str)] = match action {
            Action::Put => &[("TableName", "tableName"), ("Item", "item")],
            _ => &[("TableName", "tableName"), ("Key", "key")],
        };
        let missing: Vec<&str> = required
            .iter()
            .filter(|(field, _)| !given(field))
            .map(|(_, member)| *member)
            .collect();
        if !missing.is_empty() {
            return Err(DYNAMODB.refusal(missing_members(&missing)));
        }
        match invalid.into_iter().next() {
            Some(message) => Err(DYNAMODB.refusal(message)),
            None => Ok(request),
        }
    }

    /// Takes the parameter `field`.
    fn set(&mut self, field: &str, value: &Value) -> Result<(), Problem> {
        if LEGACY_FIELDS.contains(&field) {
            return Err(Problem::Unusable(format!(
                "The field '{field}' belongs to DynamoDB's legacy API, which quickstep does not \
                 support: use the expression parameters instead"
            )));
        }
        let unsupported = || {
            Problem::Unusable(format!(
                "The field '{field}' is not supported by Step Functions"
            ))
        };
        if !self.action.takes(field) {
            return Err(unsupported());
        }
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| must_be(field, "a STRING"))
        };
        match field {
            "TableName" => self.table_name = Some(text()?),
            "Key" => self.key = Some(attributes_from_json(value, field)?),
            "Item" => self.item = Some(attributes_from_json(value, field)?),
            "ExpressionAttributeValues" => {
                self.values = Some(attributes_from_json(value, field)?);
            }
            "ExpressionAttributeNames" => self.names = Some(names(value, field)?),
            "ConsistentRead" => {
                self.consistent_read =
                    Some(value.as_bool().ok_or_else(|| must_be(field, "a BOOLEAN"))?);
            }
            "ProjectionExpression" => self.projection_expression = Some(text()?),
            "UpdateExpression" => self.update_expression = Some(text()?),
            "ConditionExpression" => self.condition_expression = Some(text()?),
            // DynamoDB refuses values it does not know; the SDK sends them as they are.
            "ReturnValues" => self.return_values = Some(text()?.as_str().into()),
            "ReturnConsumedCapacity" => {
                self.return_consumed_capacity = Some(text()?.as_str().into());
            }
            "ReturnItemCollectionMetrics" => {
                self.return_item_collection_metrics = Some(text()?.as_str().into());
            }
            "ReturnValuesOnConditionCheckFailure" => {
                self.return_values_on_condition_check_failure = Some(text()?.as_str().into());
            }
            _ => return Err(unsupported()),
        }
        Ok(())
    }
}

/// `ExpressionAttributeNames`: placeholders to attribute names.
fn names(value: &Value, field: &str) -> Result<HashMap<String, String>, Problem> {
    let placeholders = value
        .as_object()
        .ok_or_else(|| must_be(field, "an OBJECT"))?;
    placeholders
        .iter()
        .map(|(placeholder, name)| {
            let name = name
                .as_str()
                .ok_or_else(|| must_be(&child(field, placeholder), "a STRING"))?;
            Ok((placeholder.clone(), name.to_owned()))
        })
        .collect()
}

/// DynamoDB's refusal of a request without the required `members`.
fn missing_members(members: &[&str]) -> String {
    let count = members.len();
    let plural = if count == 1 { "" } else { "s" };
    let each: Vec<String> = members
        .iter()
        .map(|m| {
            format!("Value null at '{m}' failed to satisfy constraint: Member must not be null")
        })
        .collect();
    format!(
        "{count} validation error{plural} detected: {}",
        each.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(action: Action, parameters: Value) -> Result<Request, Failure> {
        Request::read(action, &parameters)
    }

    fn failure(action: Action, parameters: Value) -> (String, String) {
        let failure = read(action, parameters).unwrap_err();
        (failure.error.unwrap(), failure.cause.unwrap())
    }

    #[test]
    fn reads_every_parameter_of_a_write() {
        let request = read(
            Action::Update,
            json!({
                "TableName": "t", "Key": {"id": {"S": "1"}},
                "UpdateExpression": "SET #n = :v", "ConditionExpression": "attribute_exists(id)",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":v": {"N": "2"}},
                "ReturnValues": "ALL_NEW", "ReturnConsumedCapacity": "TOTAL",
                "ReturnItemCollectionMetrics": "SIZE",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
            }),
        )
        .unwrap();
        assert_eq!(request.table_name.as_deref(), Some("t"));
        assert_eq!(request.update_expression.as_deref(), Some("SET #n = :v"));
        assert_eq!(
            request.condition_expression.as_deref(),
            Some("attribute_exists(id)")
        );
        assert_eq!(request.names, Some([("#n".into(), "name".into())].into()));
        assert!(request.values.is_some_and(|v| v.len() == 1));
        assert_eq!(request.return_values, Some(ReturnValue::AllNew));
        assert_eq!(
            request.return_consumed_capacity,
            Some(ReturnConsumedCapacity::Total)
        );
        assert_eq!(
            request.return_item_collection_metrics,
            Some(ReturnItemCollectionMetrics::Size)
        );
        assert_eq!(
            request.return_values_on_condition_check_failure,
            Some(ReturnValuesOnConditionCheckFailure::AllOld)
        );
    }

    #[test]
    fn refuses_what_cannot_make_a_request_naming_each_field() {
        let (error, cause) = failure(
            Action::Get,
            json!({"TableName": 7, "Key": {"id": {"N": 1}}, "ConsistentRead": "yes",
                   "Item": {}, "ExpressionAttributeNames": {"#n": 1}}),
        );
        assert_eq!(error, "States.Runtime");
        for problem in [
            "The value for the field 'TableName' must be a STRING",
            "The value for the field 'Key/id/N' must be a STRING",
            "The value for the field 'ConsistentRead' must be a BOOLEAN",
            "The field 'Item' is not supported by Step Functions",
            "The value for the field 'ExpressionAttributeNames/#n' must be a STRING",
        ] {
            assert!(cause.contains(problem), "{problem} in {cause}");
        }
        assert!(cause.starts_with("The Parameters '{"), "{cause}");
        let (error, cause) = failure(
            Action::Put,
            json!({"TableName": "t", "Item": {}, "Expected": {}}),
        );
        assert_eq!(error, "States.Runtime");
        assert!(cause.contains("'Expected' belongs to DynamoDB's legacy API"));
        let (error, _) = failure(Action::Put, json!("not an object"));
        assert_eq!(error, "States.Runtime");
    }

    #[test]
    fn refuses_missing_members_as_dynamodb_does() {
        assert_eq!(
            failure(Action::Put, json!({"TableName": "t", "Item": null})),
            (
                "DynamoDB.AmazonDynamoDBException".to_owned(),
                "1 validation error detected: Value null at 'item' failed to satisfy \
                 constraint: Member must not be null"
                    .to_owned()
            )
        );
        assert_eq!(
            failure(Action::Delete, json!({})),
            (
                "DynamoDB.AmazonDynamoDBException".to_owned(),
                "2 validation errors detected: Value null at 'tableName' failed to satisfy \
                 constraint: Member must not be null; Value null at 'key' failed to satisfy \
                 constraint: Member must not be null"
                    .to_owned()
            )
        );
        let (error, cause) = failure(Action::Get, json!({"TableName": "t", "Key": {"id": {}}}));
        assert_eq!(error, "DynamoDB.AmazonDynamoDBException");
        assert!(cause.ends_with("(at 'Key/id')"), "{cause}");
    }
}
