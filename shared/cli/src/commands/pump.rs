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
use serde_json::Value;

use crate::event_source::{Delivery, EventSource, Settings};

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

/// The worker function behind Lambda's Invoke API.
struct LambdaFunction {
    lambda: aws_sdk_lambda::Client,
    function: String,
}

async fn pump(args: &Args) -> Result<(), String> {
    let (origin, function) = split_function_url(&args.function_url)?;
    let sdk = quickstep_aws::config().await;
    let lambda_config = aws_sdk_lambda::config::Builder::from(&sdk)
        .endpoint_url(origin)
        .build();
    let settings = Settings {
        queue_url: args.queue_url.clone(),
        dead_letter_queue_url: args.dead_letter_queue_url.clone(),
        batch_size: args.batch_size,
        visibility_timeout: args.visibility_timeout,
        max_receive_count: args.max_receive_count,
        wait_time_seconds: args.wait_time_seconds,
    };
    let delivery = LambdaFunction {
        lambda: aws_sdk_lambda::Client::from_conf(lambda_config),
        function,
    };
    let pump = EventSource::new(settings, &sdk, delivery).await?;
    loop {
        pump.poll(|report| println!("{report}")).await?;
        if args.once {
            return Ok(());
        }
    }
}

impl Delivery for LambdaFunction {
    /// Invokes the function with the batch; the ids of the messages it reports as failed.
    async fn deliver(&self, payload: Value, _: bool) -> Result<HashSet<String>, String> {
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
