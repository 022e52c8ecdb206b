//! `quickstep run`: one execution, one JSON object on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use quickstep_engine::execution::Options;
use quickstep_runtime::ids::{IdGenerator, RandomIds};

use super::input;
use crate::execute::{self, RealTasks, Setup};
use crate::ClockKind;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    workflow: input::WorkflowArgs,
    /// The execution's name (default: a random UUID).
    #[arg(long)]
    execution_name: Option<String>,
    /// Real time, or virtual time that jumps over waits and retry back-off.
    #[arg(long, value_enum, default_value_t = ClockKind::Real)]
    clock: ClockKind,
    /// Run as an Express state machine: no .sync or .waitForTaskToken, `express:` execution ARNs.
    #[arg(long)]
    express: bool,
    /// Where Tasks go: `mock` answers every Task from the mock file; `aws` calls the real
    /// integrations (Lambda, SQS, EventBridge, DynamoDB) through the AWS SDK, on whatever
    /// endpoint `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_<SERVICE>` names, for every Task the mock
    /// file does not mock (as Step Functions Local does).
    #[arg(long, value_enum, default_value_t = Tasks::Mock)]
    tasks: Tasks,
    /// With `--tasks aws`: call Lambda functions by bare name, not ARN, as local emulators
    /// such as `cargo lambda watch` expect.
    #[arg(long)]
    lambda_by_name: bool,
    /// Also write a page of the run: the graph coloured by what happened, its events, and each
    /// state's data on a click (see `quickstep graph`).
    #[arg(long)]
    html: Option<PathBuf>,
    /// Print one line per state as the run proceeds (time on the run's clock, state, what
    /// happened, its output or error) on standard error; in colour on a terminal.
    #[arg(long)]
    trace: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Tasks {
    Mock,
    Aws,
}

pub fn main(args: Args) -> Result<ExitCode, String> {
    let (definition, execution_input, state_machine_name) = args.workflow.load()?;
    let mocks = args.workflow.mocks.load()?;
    if args.lambda_by_name && args.tasks != Tasks::Aws {
        return Err("--lambda-by-name needs --tasks aws".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let real_tasks = match args.tasks {
        Tasks::Mock => None,
        Tasks::Aws => Some(real_tasks(&runtime, args.lambda_by_name)?),
    };
    let ids = RandomIds;
    let setup = Setup {
        state_machine_name,
        execution_name: args.execution_name.unwrap_or_else(|| ids.execution_name()),
        mocks,
        real_tasks,
        virtual_clock: args.clock == ClockKind::Virtual,
        express: args.express,
        // A workflow that loops forever ends (States.Runtime) at Step Functions' history quota
        // instead of running until memory runs out.
        options: Options {
            max_history_events: Some(25_000),
            ..Options::default()
        },
        seed: ids.seed(),
        trace: args.trace,
    };
    let (report, history) = runtime
        .block_on(execute::run(&definition, execution_input, &setup))
        .map_err(|e| e.to_string())?;
    if let Some(page) = &args.html {
        let mut events = serde_json::json!({"events": history});
        events["status"] = report["status"].clone();
        let execution = quickstep_graph::Execution::from_history(&events)?;
        let title = format!("{} · {}", setup.state_machine_name, setup.execution_name);
        super::graph::write_picture(
            &definition,
            &title,
            Some(&execution),
            quickstep_graph::Format::Html,
            page,
        )?;
    }
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// The real integrations, through the AWS SDK on the standard AWS configuration.
#[cfg(feature = "aws")]
fn real_tasks(
    runtime: &tokio::runtime::Runtime,
    lambda_by_name: bool,
) -> Result<RealTasks, String> {
    let sdk = runtime.block_on(quickstep_aws::config());
    let invoker = quickstep_aws::compose::task_invoker(&sdk, lambda_by_name);
    Ok(RealTasks(std::sync::Arc::new(invoker)))
}

/// A build without the `aws` feature has no real integrations.
#[cfg(not(feature = "aws"))]
fn real_tasks(_: &tokio::runtime::Runtime, _: bool) -> Result<RealTasks, String> {
    Err("--tasks aws needs quickstep built with its `aws` feature (the default)".into())
}
