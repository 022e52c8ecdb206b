//! Measures what the synchronous API path adds over the bare engine, warm, on the in-memory
//! adapters (so the figure is quickstep's own cost, not DynamoDB's or the network's):
//!
//! ```sh
//! cargo run --release -p quickstep-service --example sync_latency -- DEFINITION INPUT [RUNS]
//! ```
//! Prints one JSON object with the median and p99 of each, in microseconds.

use std::sync::Arc;
use std::time::Instant;

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{self, ExecutionInfo, Options};
use quickstep_runtime::clock::Clock;
use quickstep_runtime::mock::MockInvoker;
use quickstep_service::api::Request;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::service::Service;
use serde_json::{json, Value};

fn percentile(mut samples: Vec<f64>, p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[i]
}

fn read(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(definition), Some(input)) = (args.get(1), args.get(2)) else {
        return Err("usage: sync_latency DEFINITION INPUT [RUNS]".into());
    };
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(20_000);
    let definition = read(definition)?;
    let input = read(input)?;
    let body = serde_json::to_vec(&input).map_err(|e| e.to_string())?;

    let machine = StateMachine::from_json(&definition).map_err(|p| format!("{p:?}"))?;
    let mut bare = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        let info = ExecutionInfo::local("m", "e", input.clone(), 0);
        let (snapshot, _) = execution::start(&machine, info, Options::default(), i as u64, 0);
        std::hint::black_box(&snapshot);
        bare.push(started.elapsed().as_secs_f64() * 1e6);
    }

    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(MockInvoker::none()),
        Clock::Real,
        Config::default(),
    );
    service
        .put_state_machine("m", &definition)
        .await
        .map_err(|e| e.to_string())?;
    let request = Request {
        method: "POST".into(),
        path: "/state-machines/m/sync".into(),
        query: Vec::new(),
        body,
        deadline: None,
        target: None,
    };
    let mut api = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let response = service.handle(&request).await;
        std::hint::black_box(&response);
        api.push(started.elapsed().as_secs_f64() * 1e6);
        if response.status != 200 {
            return Err(format!(
                "the API answered {}: {}",
                response.status, response.body
            ));
        }
    }
    let (bare_median, api_median) = (percentile(bare.clone(), 0.5), percentile(api.clone(), 0.5));
    println!(
        "{}",
        json!({
            "runs": runs,
            "engine_median_us": bare_median,
            "engine_p99_us": percentile(bare, 0.99),
            "api_sync_median_us": api_median,
            "api_sync_p99_us": percentile(api, 0.99),
            "added_median_us": api_median - bare_median,
        })
    );
    Ok(())
}
