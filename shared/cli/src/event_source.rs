//! Lambda's SQS event source mapping, played locally: long-polls a step queue (and, if given,
//! its dead-letter queue), hands each batch as an `SqsEvent` to a [`Delivery`] (the worker
//! function through Lambda's Invoke API for `quickstep pump`, or the worker's own handler in
//! the same process for `quickstep serve --table`), deletes the messages not listed as batch
//! item failures and leaves the failed ones to reappear after the visibility timeout, as
//! Lambda does with `ReportBatchItemFailures`.
//!
//! A failed message already received `max_receive_count` times is moved to the dead-letter
//! queue here when one is given, which is what SQS's redrive policy (set by `quickstep setup`)
//! does on its next receive; so emulators without redrive behave the same.

use std::collections::HashSet;
use std::future::Future;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use serde_json::{json, Value};

/// The queues and how they are read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub queue_url: String,
    pub dead_letter_queue_url: Option<String>,
    /// Messages per batch (SQS returns at most 10 per receive).
    pub batch_size: i32,
    /// Seconds a received message stays invisible before a failed one reappears.
    pub visibility_timeout: i32,
    /// Receives of a failed message before it goes to the dead-letter queue.
    pub max_receive_count: u32,
    /// Seconds each receive of the step queue waits for messages (long polling).
    pub wait_time_seconds: i32,
}

/// Where a batch goes: answers the ids of the messages that failed, or why the whole batch
/// failed (then every message stays and reappears). `dead_letters`: the batch comes from the
/// dead-letter queue.
pub trait Delivery: Send + Sync {
    fn deliver(
        &self,
        event: Value,
        dead_letters: bool,
    ) -> impl Future<Output = Result<HashSet<String>, String>> + Send;
}

/// One queue the pump polls.
struct Source {
    url: String,
    arn: String,
    dead_letters: bool,
}

pub struct EventSource<D> {
    settings: Settings,
    sqs: aws_sdk_sqs::Client,
    delivery: D,
    region: String,
    sources: Vec<Source>,
}

impl<D: Delivery> EventSource<D> {
    /// Reads the queues' ARNs (the step queue's, and the dead-letter queue's if there is one).
    pub async fn new(
        settings: Settings,
        sdk: &aws_config::SdkConfig,
        delivery: D,
    ) -> Result<Self, String> {
        let mut source = Self {
            settings,
            sqs: aws_sdk_sqs::Client::new(sdk),
            delivery,
            region: sdk
                .region()
                .map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
            sources: Vec::new(),
        };
        let mut sources = vec![Source {
            arn: source.queue_arn(&source.settings.queue_url).await?,
            url: source.settings.queue_url.clone(),
            dead_letters: false,
        }];
        if let Some(dlq) = &source.settings.dead_letter_queue_url {
            sources.push(Source {
                arn: source.queue_arn(dlq).await?,
                url: dlq.clone(),
                dead_letters: true,
            });
        }
        source.sources = sources;
        Ok(source)
    }

    /// Polls every queue once (long-polling the step queue only; the dead-letter queue is
    /// looked at in passing) and reports each batch with `report`.
    pub async fn poll(&self, report: impl Fn(Value)) -> Result<(), String> {
        for source in &self.sources {
            let wait = if source.dead_letters {
                0
            } else {
                self.settings.wait_time_seconds
            };
            if let Some(batch) = self.batch(source, wait).await? {
                report(batch);
            }
        }
        Ok(())
    }

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
            .max_number_of_messages(self.settings.batch_size)
            .visibility_timeout(self.settings.visibility_timeout)
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
        let (failed, problem) = match self.delivery.deliver(payload, source.dead_letters).await {
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
            if let (false, Some(dlq)) = (source.dead_letters, &self.settings.dead_letter_queue_url)
            {
                if receive_count(message) >= self.settings.max_receive_count {
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
