//! Creates the resources the adapters use, idempotently, on whatever endpoint the SDK
//! configuration resolves (AWS, or an emulator through `AWS_ENDPOINT_URL`).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use quickstep_service::ports::PortError;

use crate::errors::port_error;
use crate::store::listing::{LISTED_ATTRIBUTES, LIST_PK, LIST_SK};
use crate::store::LISTING_INDEX;

/// The TTL attribute of the store's table.
pub const TTL_ATTRIBUTE: &str = "expiresAt";
/// How long messages stay on the dead-letter queue (SQS's longest: 14 days).
const DLQ_RETENTION_SECONDS: u32 = 14 * 24 * 60 * 60;
/// How long to wait for a new table to become active.
const TABLE_WAIT: Duration = Duration::from_secs(120);

/// What [`create_resources`] created or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub step_queue_url: String,
    pub dlq_url: String,
    pub dlq_arn: String,
    pub bus_arn: String,
}

/// Creates (or finds) the store's table with TTL on `expiresAt`, the dead-letter queue, the
/// step queue redriving to it after `max_receive_count` receives, and the event bus (`default`
/// is used as it is). Running it again changes nothing but the redrive policy.
pub async fn create_resources(
    sdk: &SdkConfig,
    table: &str,
    step_queue: &str,
    dlq: &str,
    bus: &str,
    max_receive_count: u32,
) -> Result<Resources, PortError> {
    create_table(&aws_sdk_dynamodb::Client::new(sdk), table).await?;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = create_queue(&sqs, dlq).await?;
    sqs.set_queue_attributes()
        .queue_url(&dlq_url)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            DLQ_RETENTION_SECONDS.to_string(),
        )
        .send()
        .await
        .map_err(|e| port_error("SQS SetQueueAttributes (dead-letter queue)", &e))?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| port_error("SQS GetQueueAttributes", &e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| PortError::Terminal(format!("queue {dlq} has no ARN")))?;
    let step_queue_url = create_queue(&sqs, step_queue).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receive_count.to_string(),
    });
    sqs.set_queue_attributes()
        .queue_url(&step_queue_url)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|e| port_error("SQS SetQueueAttributes (redrive policy)", &e))?;
    let bus_arn = create_bus(&aws_sdk_eventbridge::Client::new(sdk), bus).await?;
    Ok(Resources {
        table: table.to_owned(),
        step_queue_url,
        dlq_url,
        dlq_arn,
        bus_arn,
    })
}

async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), PortError> {
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let schema = |e| PortError::Terminal(format!("table {table}: {e}"));
    let projection = Projection::builder()
        .projection_type(ProjectionType::Include)
        .set_non_key_attributes(Some(
            LISTED_ATTRIBUTES.iter().map(|a| (*a).to_owned()).collect(),
        ))
        .build();
    let listing = GlobalSecondaryIndex::builder()
        .index_name(LISTING_INDEX)
        .key_schema(key(LIST_PK, KeyType::Hash).map_err(schema)?)
        .key_schema(key(LIST_SK, KeyType::Range).map_err(schema)?)
        .projection(projection)
        .build()
        .map_err(schema)?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash).map_err(schema)?)
        .key_schema(key("sk", KeyType::Range).map_err(schema)?)
        .attribute_definitions(attribute("pk").map_err(schema)?)
        .attribute_definitions(attribute("sk").map_err(schema)?)
        .attribute_definitions(attribute(LIST_PK).map_err(schema)?)
        .attribute_definitions(attribute(LIST_SK).map_err(schema)?)
        .global_secondary_indexes(listing)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => return Err(port_error("DynamoDB CreateTable", &e)),
    }
    wait_active(client, table).await?;
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| port_error("DynamoDB DescribeTimeToLive", &e))?;
    let enabled = ttl.time_to_live_description().is_some_and(|d| {
        d.attribute_name() == Some(TTL_ATTRIBUTE)
            && matches!(
                d.time_to_live_status(),
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            )
    });
    if !enabled {
        let spec = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(schema)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| port_error("DynamoDB UpdateTimeToLive", &e))?;
    }
    Ok(())
}

async fn wait_active(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), PortError> {
    let deadline = tokio::time::Instant::now() + TABLE_WAIT;
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| port_error("DynamoDB DescribeTable", &e))?;
        let status = out.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(PortError::Retryable(format!(
                "table {table} is not active after {} s (status {status:?})",
                TABLE_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Creates a standard queue without attributes (so creating it again is never a conflict)
/// and returns its URL.
async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String, PortError> {
    client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| port_error("SQS CreateQueue", &e))?
        .queue_url
        .ok_or_else(|| PortError::Terminal(format!("queue {name}: CreateQueue gave no URL")))
}

async fn create_bus(client: &aws_sdk_eventbridge::Client, bus: &str) -> Result<String, PortError> {
    if bus != "default" {
        let created = client.create_event_bus().name(bus).send().await;
        match created {
            Ok(out) => {
                if let Some(arn) = out.event_bus_arn {
                    return Ok(arn);
                }
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
            Err(e) => return Err(port_error("EventBridge CreateEventBus", &e)),
        }
    }
    client
        .describe_event_bus()
        .name(bus)
        .send()
        .await
        .map_err(|e| port_error("EventBridge DescribeEventBus", &e))?
        .arn
        .ok_or_else(|| PortError::Terminal(format!("event bus {bus} has no ARN")))
}
