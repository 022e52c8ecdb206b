//! `quickstep setup`: creates the table, the step queue with its dead-letter queue, and the
//! event bus the functions use, idempotently, on whatever endpoint the AWS configuration
//! resolves (`AWS_ENDPOINT_URL` for an emulator such as moto), and prints them as one JSON
//! object.

use std::process::ExitCode;

use aws_sdk_sqs::types::QueueAttributeName;
use quickstep_aws::setup::create_resources;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// The DynamoDB table.
    #[arg(long, default_value = "quickstep")]
    table: String,
    /// The SQS step queue.
    #[arg(long, default_value = "quickstep-steps")]
    step_queue: String,
    /// The step queue's dead-letter queue.
    #[arg(long, default_value = "quickstep-steps-dlq")]
    dead_letter_queue: String,
    /// The EventBridge bus failure events go to (`default` is used as it is).
    #[arg(long, default_value = "quickstep")]
    bus: String,
    /// Receives of a step message before SQS moves it to the dead-letter queue.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_receive_count: u32,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let report = runtime.block_on(setup(args))?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

async fn setup(args: &Args) -> Result<serde_json::Value, String> {
    let sdk = quickstep_aws::config().await;
    let resources = create_resources(
        &sdk,
        &args.table,
        &args.step_queue,
        &args.dead_letter_queue,
        &args.bus,
        args.max_receive_count,
    )
    .await
    .map_err(|e| {
        format!("setup failed (check AWS_REGION, credentials and AWS_ENDPOINT_URL): {e}")
    })?;
    let step_queue_arn = aws_sdk_sqs::Client::new(&sdk)
        .get_queue_attributes()
        .queue_url(&resources.step_queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "setup failed: SQS GetQueueAttributes: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| format!("setup failed: queue {} has no ARN", args.step_queue))?;
    Ok(json!({
        "table": resources.table,
        "stepQueueUrl": resources.step_queue_url,
        "stepQueueArn": step_queue_arn,
        "deadLetterQueueUrl": resources.dlq_url,
        "deadLetterQueueArn": resources.dlq_arn,
        "bus": args.bus,
        "busArn": resources.bus_arn,
        "maxReceiveCount": args.max_receive_count,
    }))
}
