//! `quickstep serve`: the service in one process, speaking the Step Functions API (and
//! quickstep's REST routes), with asynchronous executions carried out by an in-process worker
//! through the same service code as on Lambda. In memory by default; durable with `--table`
//! and `--step-queue-url` (DynamoDB and SQS, on AWS or an emulator). Prints where it listens on
//! one line.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use quickstep_aws::events::EventBridgePublisher;
use quickstep_aws::integrations::OwnResources;
use quickstep_aws::queue::SqsQueue;
use quickstep_aws::store::DynamoStore;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::TaskInvoker;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryStore};
use quickstep_service::ports::{EventPublisher, StepQueue, Store};
use quickstep_service::service::Service;
use quickstep_service::test_cases::TestCases;

use crate::commands::input::read_json;
use crate::event_source::Settings;
use crate::serve::{durable, http, worker};
use crate::ClockKind;

#[derive(clap::Args)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8083)]
    port: u16,
    /// Real time, or virtual time that jumps over waits and retry back-off (in memory only).
    #[arg(long, value_enum, default_value_t = ClockKind::Real)]
    clock: ClockKind,
    /// Call Lambda functions by bare name, not ARN, as local emulators such as
    /// `cargo lambda watch` expect.
    #[arg(long)]
    lambda_by_name: bool,
    /// A mock config in Step Functions Local's MockConfigFile format (default: the file the
    /// SFN_MOCK_CONFIG variable names, as Step Functions Local reads it): executions started
    /// with `<stateMachineArn>#<TestCase>` answer the Tasks their test case mocks from it.
    #[arg(long)]
    mock_config: Option<PathBuf>,
    /// Keep state machines and executions in this DynamoDB table (as `quickstep setup` or the
    /// template creates it) instead of in memory; needs --step-queue-url.
    #[arg(long, requires = "step_queue_url")]
    table: Option<String>,
    /// The SQS step queue the in-process worker reads (as the deployed worker's event source
    /// mapping does); needs --table.
    #[arg(long, requires = "table")]
    step_queue_url: Option<String>,
    /// The step queue's dead-letter queue: read too, its messages end their executions FAILED.
    #[arg(long, requires = "table")]
    dead_letter_queue_url: Option<String>,
    /// The EventBridge bus failure events go to (default: they are kept in memory).
    #[arg(long, requires = "table")]
    event_bus: Option<String>,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let vars: HashMap<String, String> = std::env::vars().collect();
    let config = Config::from_vars(&vars).map_err(|e| e.to_string())?;
    if args.table.is_some() && args.clock == ClockKind::Virtual {
        return Err(
            "--clock virtual needs the in-memory queue: SQS delays messages in real time \
             (leave out --table and --step-queue-url, or use --clock real)"
                .into(),
        );
    }
    // Task tokens are keyed by the deployment's secret; a process of its own makes one up.
    let key = vars
        .get("QUICKSTEP_TOKEN_KEY")
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    quickstep_engine::execution::token::set_key(key.as_bytes());
    let mock_file = args
        .mock_config
        .clone()
        .or_else(|| vars.get("SFN_MOCK_CONFIG").map(PathBuf::from));
    let test_cases = match &mock_file {
        Some(file) => Some(
            TestCases::new(read_json(file, "mock config")?)
                .map_err(|e| format!("{}: {e}", file.display()))?,
        ),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        // Task resources are called for real through the AWS SDK, on whatever endpoints
        // AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> name, as Step Functions Local does.
        let sdk = quickstep_aws::config().await;
        let tasks = quickstep_aws::compose::task_invoker(&sdk, args.lambda_by_name);
        let mut described = Vec::new();
        if let Some(file) = &mock_file {
            described.push(format!("test cases from {}", file.display()));
        }
        let pieces = Pieces {
            args,
            config,
            test_cases,
        };
        match (&args.table, &args.step_queue_url) {
            (Some(table), Some(queue_url)) => {
                // Tasks never write the service's own table, queue or bus.
                let tasks = tasks.keeping_off(OwnResources {
                    table: table.clone(),
                    step_queue_url: queue_url.clone(),
                    bus: args.event_bus.clone().unwrap_or_default(),
                });
                described.insert(0, format!("DynamoDB table {table}, SQS queue {queue_url}"));
                let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
                let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url);
                let settings = Settings {
                    queue_url: queue_url.clone(),
                    dead_letter_queue_url: args.dead_letter_queue_url.clone(),
                    batch_size: 10,
                    visibility_timeout: durable::VISIBILITY_TIMEOUT_SECONDS,
                    max_receive_count: 3,
                    wait_time_seconds: 1,
                };
                let worker_sdk = sdk.clone();
                let tasks: Arc<dyn TaskInvoker> = Arc::new(tasks);
                match &args.event_bus {
                    Some(bus) => {
                        described.push(format!("failure events to {bus}"));
                        let bus =
                            EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), bus);
                        let run = |service| durable::run_worker(service, worker_sdk, settings);
                        pieces
                            .serve((store, queue, bus), tasks, Clock::Real, &described, run)
                            .await
                    }
                    None => {
                        let run = |service| durable::run_worker(service, worker_sdk, settings);
                        let publisher = MemoryPublisher::default();
                        pieces
                            .serve(
                                (store, queue, publisher),
                                tasks,
                                Clock::Real,
                                &described,
                                run,
                            )
                            .await
                    }
                }
            }
            _ => {
                let virtual_clock = args.clock == ClockKind::Virtual;
                let (queue, worker) = worker::channel(virtual_clock);
                let clock = if virtual_clock {
                    Clock::virtual_now()
                } else {
                    Clock::Real
                };
                described.insert(
                    0,
                    format!(
                        "in memory, {} clock",
                        if virtual_clock { "virtual" } else { "real" }
                    ),
                );
                let run = |service| async move {
                    worker.run(service).await;
                    Ok(())
                };
                let adapters = (MemoryStore::default(), queue, MemoryPublisher::default());
                pieces
                    .serve(adapters, Arc::new(tasks), clock, &described, run)
                    .await
            }
        }
    })
}

/// What every way of serving shares.
struct Pieces<'a> {
    args: &'a Args,
    config: Config,
    test_cases: Option<TestCases>,
}

impl Pieces<'_> {
    /// Builds the service on these adapters, listens, and runs `worker` beside the server.
    async fn serve<S, Q, P, W, F>(
        self,
        (store, queue, publisher): (S, Q, P),
        tasks: Arc<dyn TaskInvoker>,
        clock: Clock,
        described: &[String],
        worker: W,
    ) -> Result<ExitCode, String>
    where
        S: Store,
        Q: StepQueue,
        P: EventPublisher,
        W: FnOnce(Arc<Service<S, Q, P>>) -> F,
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        let mut service = Service::new(store, queue, publisher, tasks, clock, self.config);
        if let Some(test_cases) = self.test_cases {
            service = service.with_test_cases(test_cases);
        }
        let service = Arc::new(service);
        let address = format!("{}:{}", self.args.host, self.args.port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        println!(
            "quickstep serve: listening on http://{bound} ({}; Step Functions API and REST routes)",
            described.join(", ")
        );
        let worker = tokio::spawn(worker(Arc::clone(&service)));
        tokio::select! {
            served = http::serve(listener, service) => {
                served.map_err(|e| format!("the server stopped: {e}"))?;
            }
            stopped = worker => {
                let reason = match stopped {
                    Ok(Ok(())) => "it ended".to_owned(),
                    Ok(Err(e)) => e,
                    Err(e) => e.to_string(),
                };
                return Err(format!("the worker stopped: {reason}"));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
