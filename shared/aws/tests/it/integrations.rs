//! The optimized service integrations of [`AwsInvoker`] against moto's server on loopback (one
//! per test): DynamoDB's getItem, putItem, updateItem and deleteItem with their results and
//! error names, one workflow running them through the service, the SQS and EventBridge error
//! names, and a fake endpoint showing the SDK retries nothing.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use quickstep_aws::events::EventBridgePublisher;
use quickstep_aws::integrations::AwsInvoker;
use quickstep_aws::lambda::LambdaInvoker;
use quickstep_aws::queue::SqsQueue;
use quickstep_aws::setup::create_resources;
use quickstep_aws::store::DynamoStore;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_engine::validate::ResourceKind;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::config::Config;
use quickstep_service::service::Service;
use quickstep_testing::http::serve;
use quickstep_testing::moto::{sdk_config, Moto};
use serde_json::{json, Value};

const GET_ITEM: &str = "arn:aws:states:::dynamodb:getItem";
const PUT_ITEM: &str = "arn:aws:states:::dynamodb:putItem";
const UPDATE_ITEM: &str = "arn:aws:states:::dynamodb:updateItem";
const DELETE_ITEM: &str = "arn:aws:states:::dynamodb:deleteItem";
const SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";
const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";
const TABLE: &str = "orders";

fn invoker(sdk: &SdkConfig) -> AwsInvoker {
    AwsInvoker::new(
        LambdaInvoker::new(&aws_sdk_lambda::Client::new(sdk)),
        aws_sdk_sqs::Client::new(sdk),
        aws_sdk_eventbridge::Client::new(sdk),
        aws_sdk_dynamodb::Client::new(sdk),
    )
}

/// Moto with a table keyed on the string `id`, and an invoker over it.
async fn start() -> (Moto, AwsInvoker) {
    let moto = Moto::start();
    let sdk = moto.config().await;
    create_table(&sdk, TABLE).await;
    (moto, invoker(&sdk))
}

async fn create_table(sdk: &SdkConfig, name: &str) {
    aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// What the invoker made of the task, and whether it answered without calling the service.
async fn run(
    invoker: &AwsInvoker,
    resource: &str,
    parameters: Value,
) -> (Result<Value, Failure>, bool) {
    let request = TaskRequest::new(1, "Call", resource, parameters);
    match invoker.invoke(&request) {
        Invocation::Ready(outcome) => (outcome, true),
        Invocation::Pending(future) => (future.await, false),
    }
}

async fn call(invoker: &AwsInvoker, resource: &str, parameters: Value) -> Value {
    match run(invoker, resource, parameters).await {
        (Ok(result), false) => result,
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The error name and cause of a call that failed after reaching the service.
async fn fail(invoker: &AwsInvoker, resource: &str, parameters: Value) -> (String, String) {
    match run(invoker, resource, parameters).await {
        (Err(failure), false) => (failure.error.unwrap(), failure.cause.unwrap()),
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The error name and cause of a task refused before any call.
async fn refuse(invoker: &AwsInvoker, resource: &str, parameters: Value) -> (String, String) {
    match run(invoker, resource, parameters).await {
        (Err(failure), true) => (failure.error.unwrap(), failure.cause.unwrap()),
        (outcome, ready) => panic!("{resource} gave {outcome:?} (answered at once: {ready})"),
    }
}

/// The fields of a result other than the SDK metadata, which is checked to be there.
fn without_metadata(mut result: Value) -> Value {
    let fields = result.as_object_mut().unwrap();
    let http = fields.remove("SdkHttpMetadata").expect("SdkHttpMetadata");
    assert_eq!(http["HttpStatusCode"], 200, "{http}");
    assert!(http["AllHttpHeaders"].is_object(), "{http}");
    assert!(http["HttpHeaders"].is_object(), "{http}");
    let response = fields
        .remove("SdkResponseMetadata")
        .expect("SdkResponseMetadata");
    assert!(
        response["RequestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{response}"
    );
    result
}

fn every_type() -> Value {
    json!({
        "id": {"S": "order-1"},
        "total": {"N": "42.5"},
        "blob": {"B": "AAEC/w=="},
        "tags": {"SS": ["red", "big"]},
        "sizes": {"NS": ["1", "2"]},
        "blobs": {"BS": ["AA==", "AQI="]},
        "customer": {"M": {"name": {"S": "Ada"}, "vip": {"BOOL": true}}},
        "lines": {"L": [{"S": "pen"}, {"N": "3"}, {"NULL": true}]},
        "note": {"NULL": true},
        "paid": {"BOOL": false}
    })
}

#[tokio::test]
async fn put_item_then_get_item_round_trips_every_data_type() {
    let (_moto, invoker) = start().await;
    let put = call(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": every_type()}),
    )
    .await;
    // Nothing asked back: the response is the SDK metadata alone.
    assert_eq!(without_metadata(put), json!({}));

    let got = call(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "order-1"}}, "ConsistentRead": true}),
    )
    .await;
    assert_eq!(without_metadata(got), json!({"Item": every_type()}));

    let projected = call(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "order-1"}},
               "ProjectionExpression": "#c.#n, #t",
               "ExpressionAttributeNames": {"#c": "customer", "#n": "name", "#t": "total"}}),
    )
    .await;
    assert_eq!(
        without_metadata(projected),
        json!({"Item": {"customer": {"M": {"name": {"S": "Ada"}}}, "total": {"N": "42.5"}}})
    );
}

#[tokio::test]
async fn get_item_of_a_missing_item_has_no_item() {
    let (_moto, invoker) = start().await;
    let got = call(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "nobody"}}}),
    )
    .await;
    assert_eq!(without_metadata(got), json!({}));
}

#[tokio::test]
async fn update_item_returns_the_new_item() {
    let (_moto, invoker) = start().await;
    call(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": {"id": {"S": "o1"}, "count": {"N": "1"}}}),
    )
    .await;
    let updated = call(
        &invoker,
        UPDATE_ITEM,
        json!({
            "TableName": TABLE, "Key": {"id": {"S": "o1"}},
            "UpdateExpression": "SET #c = #c + :one, #s = :status",
            "ConditionExpression": "attribute_exists(id)",
            "ExpressionAttributeNames": {"#c": "count", "#s": "status"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":status": {"S": "shipped"}},
            "ReturnValues": "ALL_NEW",
            "ReturnConsumedCapacity": "TOTAL"
        }),
    )
    .await;
    let updated = without_metadata(updated);
    assert_eq!(
        updated["Attributes"],
        json!({"id": {"S": "o1"}, "count": {"N": "2"}, "status": {"S": "shipped"}})
    );
    assert_eq!(updated["ConsumedCapacity"]["TableName"], TABLE, "{updated}");
    assert_eq!(updated.as_object().unwrap().len(), 2, "{updated}");
}

#[tokio::test]
async fn delete_item_returns_the_old_item_and_removes_it() {
    let (_moto, invoker) = start().await;
    let item = json!({"id": {"S": "o1"}, "lines": {"L": [{"S": "pen"}]}});
    call(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": item}),
    )
    .await;
    let deleted = call(
        &invoker,
        DELETE_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "o1"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await;
    assert_eq!(without_metadata(deleted), json!({"Attributes": item}));
    let got = call(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "o1"}}}),
    )
    .await;
    assert_eq!(without_metadata(got), json!({}));
}

#[tokio::test]
async fn put_item_returns_the_replaced_item_and_consumed_capacity() {
    let (_moto, invoker) = start().await;
    call(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": {"id": {"S": "o1"}, "v": {"N": "1"}}}),
    )
    .await;
    let put = call(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": {"id": {"S": "o1"}, "v": {"N": "2"}},
               "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    let put = without_metadata(put);
    assert_eq!(
        put["Attributes"],
        json!({"id": {"S": "o1"}, "v": {"N": "1"}})
    );
    assert_eq!(put["ConsumedCapacity"]["TableName"], TABLE, "{put}");
    assert!(
        put["ConsumedCapacity"]["CapacityUnits"].is_number(),
        "{put}"
    );
}

#[tokio::test]
async fn a_failed_condition_is_conditional_check_failed() {
    let (_moto, invoker) = start().await;
    let put = json!({"TableName": TABLE, "Item": {"id": {"S": "o1"}},
                     "ConditionExpression": "attribute_not_exists(id)"});
    call(&invoker, PUT_ITEM, put.clone()).await;
    let (error, cause) = fail(&invoker, PUT_ITEM, put).await;
    assert_eq!(error, "DynamoDB.ConditionalCheckFailedException");
    assert!(
        cause.contains(
            "(Service: AmazonDynamoDBv2; Status Code: 400; \
             Error Code: ConditionalCheckFailedException; Request ID: "
        ) && cause.ends_with("; Proxy: null)"),
        "{cause}"
    );
    let (error, _) = fail(
        &invoker,
        DELETE_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "o1"}},
               "ConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "status"},
               "ExpressionAttributeValues": {":s": {"S": "open"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.ConditionalCheckFailedException");
}

#[tokio::test]
async fn a_missing_table_is_resource_not_found() {
    let (_moto, invoker) = start().await;
    for (resource, parameters) in [
        (
            GET_ITEM,
            json!({"TableName": "nowhere", "Key": {"id": {"S": "1"}}}),
        ),
        (
            PUT_ITEM,
            json!({"TableName": "nowhere", "Item": {"id": {"S": "1"}}}),
        ),
    ] {
        let (error, cause) = fail(&invoker, resource, parameters).await;
        assert_eq!(error, "DynamoDB.ResourceNotFoundException", "{resource}");
        assert!(
            cause.starts_with("Requested resource not found")
                && cause.contains("Error Code: ResourceNotFoundException"),
            "{cause}"
        );
    }
}

#[tokio::test]
async fn errors_dynamodb_does_not_model_are_amazon_dynamodb_exceptions() {
    let (_moto, invoker) = start().await;
    let (error, cause) = fail(
        &invoker,
        UPDATE_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "o1"}},
               "UpdateExpression": "SET a = :missing"}),
    )
    .await;
    assert_eq!(error, "DynamoDB.AmazonDynamoDBException");
    assert!(cause.contains("Error Code: ValidationException"), "{cause}");
}

#[tokio::test]
async fn malformed_parameters_fail_before_the_call_naming_the_field() {
    let (_moto, invoker) = start().await;
    let (error, cause) = refuse(
        &invoker,
        PUT_ITEM,
        json!({"TableName": TABLE, "Item": {"id": "o1"},
               "ExpressionAttributeValues": {":total": {"N": 5}}}),
    )
    .await;
    assert_eq!(error, "States.Runtime");
    assert!(cause.starts_with("The Parameters '{"), "{cause}");
    assert!(
        cause.contains("The value for the field 'Item/id' must be an OBJECT")
            && cause.contains(
                "The value for the field 'ExpressionAttributeValues/:total/N' must be a STRING"
            ),
        "{cause}"
    );

    let (error, cause) = refuse(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "1"}}, "UpdateExpression": "SET a = b"}),
    )
    .await;
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("The field 'UpdateExpression' is not supported by Step Functions"),
        "{cause}"
    );

    let (error, cause) = refuse(&invoker, UPDATE_ITEM, json!({"Key": {"id": {"S": "1"}}})).await;
    assert_eq!(
        (error.as_str(), cause.as_str()),
        (
            "DynamoDB.AmazonDynamoDBException",
            "1 validation error detected: Value null at 'tableName' failed to satisfy \
             constraint: Member must not be null"
        )
    );

    let (error, cause) = refuse(
        &invoker,
        DELETE_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "1", "N": "1"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.AmazonDynamoDBException");
    assert!(cause.ends_with("(at 'Key/id')"), "{cause}");
}

#[tokio::test]
async fn supports_the_four_request_response_resources_only() {
    let invoker = invoker(&sdk_config("http://127.0.0.1:1").await);
    for resource in [GET_ITEM, PUT_ITEM, UPDATE_ITEM, DELETE_ITEM] {
        assert!(invoker.supports(&ResourceKind::of(resource)), "{resource}");
    }
    for resource in [
        "arn:aws:states:::dynamodb:getItem.sync",
        "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
        "arn:aws:states:::dynamodb:updateItem.sync:2",
        "arn:aws:states:::dynamodb:query",
    ] {
        assert!(!invoker.supports(&ResourceKind::of(resource)), "{resource}");
    }
}

#[tokio::test]
async fn no_resource_waits_for_a_task_token() {
    // Every call is request–response: for a `.waitForTaskToken` task the service calls the
    // resource without the suffix and does the waiting itself (quickstep_service::callback).
    let invoker = invoker(&sdk_config("http://127.0.0.1:1").await);
    for resource in [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::sqs:sendMessage",
        "arn:aws:states:::events:putEvents",
    ] {
        assert!(invoker.supports(&ResourceKind::of(resource)), "{resource}");
        let callback = format!("{resource}.waitForTaskToken");
        assert!(
            !invoker.supports(&ResourceKind::of(&callback)),
            "{callback}"
        );
    }
}

#[tokio::test]
async fn a_workflow_puts_an_item_then_reads_it_back() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let resources = create_resources(&sdk, "quickstep", "steps", "steps-dlq", "bus", 5)
        .await
        .unwrap();
    create_table(&sdk, TABLE).await;
    let service = Service::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &resources.table),
        SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), &resources.step_queue_url),
        EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), "bus"),
        Arc::new(invoker(&sdk)),
        Clock::Real,
        Config::default(),
    );
    service
        .put_state_machine(
            "record",
            &json!({"StartAt": "Put", "States": {
                "Put": {"Type": "Task", "Resource": PUT_ITEM,
                        "Parameters": {"TableName": TABLE, "Item": {
                            "id": {"S.$": "$.order"},
                            "total": {"N.$": "States.Format('{}', $.total)"},
                            "lines": {"L": [{"S": "pen"}, {"S": "ink"}]}}},
                        "ResultPath": null, "Next": "Get"},
                "Get": {"Type": "Task", "Resource": GET_ITEM,
                        "Parameters": {"TableName": TABLE, "Key": {"id": {"S.$": "$.order"}}},
                        "ResultSelector": {"total.$": "$.Item.total.N",
                                           "first.$": "$.Item.lines.L[0].S",
                                           "status.$": "$.SdkHttpMetadata.HttpStatusCode"},
                        "ResultPath": "$.stored", "End": true}}}),
        )
        .await
        .unwrap();
    let response = service
        .start_sync(
            "record",
            Some("r1"),
            json!({"order": "o-7", "total": 12.5}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(response["status"], "SUCCEEDED", "{response}");
    let output: Value = serde_json::from_str(response["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"order": "o-7", "total": 12.5,
               "stored": {"total": "12.5", "first": "pen", "status": 200}})
    );
}

#[tokio::test]
async fn sqs_and_eventbridge_errors_are_named_as_step_functions_names_them() {
    let (moto, invoker) = start().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.config().await);
    let queue_url = sqs
        .create_queue()
        .queue_name("outbox")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();

    let sent = call(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": queue_url, "MessageBody": {"order": 1}}),
    )
    .await;
    let sent = without_metadata(sent);
    assert!(
        sent["MessageId"].is_string() && sent["MD5OfMessageBody"].is_string(),
        "{sent}"
    );

    sqs.delete_queue()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
    let (error, cause) = fail(
        &invoker,
        SEND_MESSAGE,
        json!({"QueueUrl": queue_url, "MessageBody": "x"}),
    )
    .await;
    assert_eq!(error, "SQS.QueueDoesNotExistException", "{cause}");
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400;"),
        "{cause}"
    );

    let (error, cause) = refuse(&invoker, SEND_MESSAGE, json!({"QueueUrl": queue_url})).await;
    assert_eq!(
        (error.as_str(), cause.as_str()),
        (
            "SQS.AmazonSQSException",
            "The request must contain the parameter MessageBody."
        )
    );

    let unreachable = self::invoker(&sdk_config("http://127.0.0.1:1").await);
    let (error, cause) = fail(
        &unreachable,
        SEND_MESSAGE,
        json!({"QueueUrl": "http://127.0.0.1:1/123456789012/outbox", "MessageBody": "x"}),
    )
    .await;
    assert_eq!(error, "SQS.SdkClientException");
    assert!(
        cause.starts_with("Unable to execute HTTP request: "),
        "{cause}"
    );

    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Source": "quickstep", "DetailType": "t", "Detail": {"i": i}}))
        .collect();
    let (error, cause) = fail(&invoker, PUT_EVENTS, json!({"Entries": eleven})).await;
    assert_eq!(error, "EventBridge.AmazonEventBridgeException", "{cause}");
    assert!(
        cause.contains("(Service: AmazonEventBridge; Status Code: 400;"),
        "{cause}"
    );
}

#[tokio::test]
async fn the_sdk_retries_nothing() {
    let requests = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&requests);
    let endpoint = serve(Arc::new(move |_path: &str, _body: &str| {
        counted.fetch_add(1, Ordering::SeqCst);
        (
            "500 Internal Server Error",
            vec![("x-amzn-requestid", "r-500")],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}"#
                .to_owned(),
        )
    }));
    let invoker = invoker(&sdk_config(&endpoint).await);
    let (error, cause) = fail(
        &invoker,
        GET_ITEM,
        json!({"TableName": TABLE, "Key": {"id": {"S": "1"}}}),
    )
    .await;
    assert_eq!(error, "DynamoDB.InternalServerErrorException");
    assert_eq!(
        cause,
        "boom (Service: AmazonDynamoDBv2; Status Code: 500; Error Code: InternalServerError; \
         Request ID: r-500; Proxy: null)"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "one attempt, no retries"
    );
}
