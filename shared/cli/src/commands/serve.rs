//! `quickstep serve`: the service in one process, in memory, speaking the Step Functions API
//! (and quickstep's REST routes), with asynchronous executions carried out by an in-process
//! worker through the same service code as on Lambda. Prints where it listens on one line.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use quickstep_runtime::clock::Clock;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryStore};
use quickstep_service::service::Service;
use quickstep_service::test_cases::TestCases;

use crate::commands::input::read_json;
use crate::serve::{http, worker};
use crate::ClockKind;

#[derive(clap::Args)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8083)]
    port: u16,
    /// Real time, or virtual time that jumps over waits and retry back-off.
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
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let vars: HashMap<String, String> = std::env::vars().collect();
    let config = Config::from_vars(&vars).map_err(|e| e.to_string())?;
    // Task tokens are keyed by the deployment's secret; a process of its own makes one up.
    let key = vars
        .get("QUICKSTEP_TOKEN_KEY")
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    quickstep::execution::token::set_key(key.as_bytes());
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
        let virtual_clock = args.clock == ClockKind::Virtual;
        let (queue, worker) = worker::channel(virtual_clock);
        let clock = if virtual_clock {
            Clock::virtual_now()
        } else {
            Clock::Real
        };
        let mut service = Service::new(
            MemoryStore::default(),
            queue,
            MemoryPublisher::default(),
            Arc::new(tasks),
            clock,
            config,
        );
        if let Some(test_cases) = test_cases {
            service = service.with_test_cases(test_cases);
        }
        let service = Arc::new(service);
        let address = format!("{}:{}", args.host, args.port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let mocks = mock_file
            .map(|f| format!(", test cases from {}", f.display()))
            .unwrap_or_default();
        println!(
            "quickstep serve: listening on http://{bound} (in memory, {} clock{mocks}; Step \
             Functions API and REST routes)",
            if virtual_clock { "virtual" } else { "real" }
        );
        tokio::spawn(worker.run(Arc::clone(&service)));
        http::serve(listener, service)
            .await
            .map_err(|e| format!("the server stopped: {e}"))?;
        Ok(ExitCode::SUCCESS)
    })
}
