//! `quickstep pump`: Lambda's SQS event source mapping, played locally. It long-polls the step
//! queue (and, if given, its dead-letter queue), invokes the worker function through Lambda's
//! Invoke HTTP API (what `cargo lambda watch` serves) with an `SqsEvent` of each batch, deletes
//! the messages not listed in the response's `batchItemFailures` and leaves the failed ones to
//! reappear after the visibility timeout, as Lambda does with `ReportBatchItemFailures`.
//!
//! A failed message already received `--max-receive-count` times is moved to the dead-letter
//! queue by the pump itself when `--dead-letter-queue-url` is given, which is what SQS's
//! redrive policy (set by `quickstep setup`) does on its next receive; so emulators without
//! redrive behave the same. Each batch is reported as one JSON line on standard output.

use std::collections::HashSet;
use std::process::ExitCode;

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use serde_json::{json, Value};

const DEFAULT_FUNCTION_URL: &str =
    "http://127.0.0.1:9000/2015-03-31/functions/quickstep-worker/invocations";

#[derive(clap::Args)]
pub struct Args {
    /// The step queue's URL.
    #[arg(long)]
    queue_url: String,
    /// The dead-letter queue's URL: polled too, its messages sent to the same function (which
    /// ends their executions FAILED).
    #[arg(long)]
    dead_letter_queue_url: Option<String>,
    /// The worker's Invoke URL: `<origin>/2015-03-31/functions/<name>/invocations`.
    #[arg(long, default_value = DEFAULT_FUNCTION_URL)]
    function_url: String,
    /// Messages per batch (SQS returns at most 10 per receive).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=10))]
    batch_size: i32,
    /// Seconds a received message stays invisible before a failed one reappears.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i32).range(0..=43_200))]
    visibility_timeout: i32,
    /// Receives of a failed message before it goes to the dead-letter queue.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_receive_count: u32,
    /// Seconds each receive waits for messages (long polling).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i32).range(0..=20))]
    wait_time_seconds: i32,
    /// Process one receive (from each queue) and exit.
    #[arg(long)]
    once: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(pump(args))?;
    Ok(ExitCode::SUCCESS)
}

/// One queue the pump polls.
struct Source {
    url: String,
    arn: String,
    dead_letters: bool,
}

struct Pump<'a> {
    args: &'a Args,
    sqs: aws_sdk_sqs::Client,
    lambda: aws_sdk_lambda::Client,
    function: String,
    region: String,
}

async fn pump(args: &Args) -> Result<(), String> {
    let (origin, function) = split_function_url(&args.function_url)?;
    let sdk = quickstep_aws::config().await;
    let lambda_config = aws_sdk_lambda::config::Builder::from(&sdk)
        .endpoint_url(origin)
        .build();
    let pump = Pump {
        args,
        sqs: aws_sdk_sqs::Client::new(&sdk),
        lambda: aws_sdk_lambda::Client::from_conf(lambda_config),
        function,
        region: sdk
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
    };
    let mut sources = vec![Source {
        arn: pump.queue_arn(&args.queue_url).await?,
        url: args.queue_url.clone(),
        dead_letters: false,
    }];
    if let Some(dlq) = &args.dead_letter_queue_url {
        sources.push(Source {
            arn: pump.queue_arn(dlq).await?,
            url: dlq.clone(),
            dead_letters: true,
        });
    }
    loop {
        for source in &sources {
            // Long-poll the step queue only; the dead-letter queue is looked at in passing.
            let wait = if source.dead_letters {
                0
            } else {
                args.wait_time_seconds
            };
            if let Some(report) = pump.batch(source, wait).await? {
                println!("{report}");
            }
        }
        if args.once {
            return Ok(());
        }
    }
}

impl Pump<'_> {
    async fn queue_arn(&self, url: &str) -> Result<String, String> {
        self.sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot read queue {url} (check AWS_REGION, credentials and \
                     AWS_ENDPOINT_URL): {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| format!("queue {url} has no ARN"))
    }

    /// Receives one batch, runs it through the function, settles its messages; `None` if the
    /// queue had nothing.
    async fn batch(&self, source: &Source, wait: i32) -> Result<Option<Value>, String> {
        let messages = self
            .sqs
            .receive_message()
            .queue_url(&source.url)
            .max_number_of_messages(self.args.batch_size)
            .visibility_timeout(self.args.visibility_timeout)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "SQS ReceiveMessage from {}: {}",
                    source.url,
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let payload = sqs_event(&messages, &source.arn, &self.region);
        let (failed, problem) = match self.invoke(&payload).await {
            Ok(failed) => (failed, None),
            // The whole batch failed: every message stays and reappears.
            Err(problem) => (
                messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned))
                    .collect(),
                Some(problem),
            ),
        };
        let mut delete = Vec::new();
        let mut moved = 0;
        for message in &messages {
            let id = message.message_id().unwrap_or_default();
            if !failed.contains(id) {
                delete.push(message);
                continue;
            }
            if let (false, Some(dlq)) = (source.dead_letters, &self.args.dead_letter_queue_url) {
                if receive_count(message) >= self.args.max_receive_count {
                    self.sqs
                        .send_message()
                        .queue_url(dlq)
                        .message_body(message.body().unwrap_or_default())
                        .send()
                        .await
                        .map_err(|e| {
                            format!(
                                "SQS SendMessage to {dlq}: {}",
                                aws_sdk_sqs::error::DisplayErrorContext(&e)
                            )
                        })?;
                    delete.push(message);
                    moved += 1;
                }
            }
        }
        self.delete(&source.url, &delete).await?;
        let mut report = json!({
            "queue": source.url,
            "received": messages.len(),
            "deleted": delete.len() - moved,
            "failed": failed.len(),
            "movedToDeadLetterQueue": moved,
        });
        if let Some(problem) = problem {
            report["error"] = json!(problem);
        }
        Ok(Some(report))
    }

    /// Invokes the function with the batch; the ids of the messages it reports as failed.
    async fn invoke(&self, payload: &Value) -> Result<HashSet<String>, String> {
        let out = self
            .lambda
            .invoke()
            .function_name(&self.function)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "invoking {} failed: {}",
                    self.function,
                    DisplayErrorContext(&e)
                )
            })?;
        let body = out
            .payload()
            .map(|p| p.as_ref().to_vec())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        if let Some(kind) = out.function_error() {
            return Err(format!(
                "{} raised an error ({kind}): {text}",
                self.function
            ));
        }
        // No response, or `null`, is a batch without failures.
        if text.trim().is_empty() || text.trim() == "null" {
            return Ok(HashSet::new());
        }
        let response: SqsBatchResponse = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} answered what is not a batch response ({e}): {text}",
                self.function
            )
        })?;
        Ok(response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect())
    }

    async fn delete(&self, url: &str, messages: &[&Message]) -> Result<(), String> {
        if messages.is_empty() {
            return Ok(());
        }
        let mut entries = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            entries.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .build()
                    .map_err(|e| format!("SQS DeleteMessageBatch: {e}"))?,
            );
        }
        let out = self
            .sqs
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "SQS DeleteMessageBatch on {url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        if let Some(failed) = out.failed().first() {
            // The message reappears and is handled again: harmless, the worker drops repeats.
            eprintln!(
                "quickstep: SQS DeleteMessageBatch on {url}: {} messages not deleted ({}: {})",
                out.failed().len(),
                failed.code(),
                failed.message().unwrap_or_default()
            );
        }
        Ok(())
    }
}

/// `<origin>/2015-03-31/functions/<name>/invocations` → (origin, name).
fn split_function_url(url: &str) -> Result<(String, String), String> {
    let bad = || {
        format!(
            "--function-url {url} is not a Lambda Invoke URL: expected \
             <scheme>://<host>[:port]/2015-03-31/functions/<name>/invocations"
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, path) = rest.split_once('/').ok_or_else(bad)?;
    let function = path
        .strip_prefix("2015-03-31/functions/")
        .and_then(|p| p.strip_suffix("/invocations"))
        .filter(|f| !f.is_empty() && !f.contains('/'))
        .ok_or_else(bad)?;
    if scheme.is_empty() || authority.is_empty() {
        return Err(bad());
    }
    Ok((format!("{scheme}://{authority}"), function.to_owned()))
}

fn receive_count(message: &Message) -> u32 {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// The event Lambda's SQS event source mapping gives a function for `messages`.
fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                .collect();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_urls_split_into_origin_and_name() {
        assert_eq!(
            split_function_url(DEFAULT_FUNCTION_URL),
            Ok((
                "http://127.0.0.1:9000".to_owned(),
                "quickstep-worker".to_owned()
            ))
        );
        for bad in [
            "127.0.0.1:9000/2015-03-31/functions/w/invocations",
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9000/2015-03-31/functions//invocations",
            "http://127.0.0.1:9000/functions/w/invocations",
        ] {
            assert!(split_function_url(bad).is_err(), "{bad}");
        }
    }
}
