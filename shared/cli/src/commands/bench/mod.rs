//! `quickstep bench`: executions per second of one workflow, in-process, on one core; the
//! memory a running execution holds; with `--floor`, the serde_json floor beside it.

mod floor;
mod memory;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quickstep_engine::execution::{ExecutionInfo, Options};
use quickstep_runtime::clock::Clock;
use quickstep_runtime::driver::LocalDriver;
use quickstep_runtime::mock::MockInvoker;
use serde_json::json;

use super::input;
use crate::execute;

#[derive(clap::Args)]
pub struct Args {
    /// The ASL definition (JSON).
    definition: PathBuf,
    /// The execution input (JSON file).
    #[arg(long)]
    input: Option<PathBuf>,
    #[command(flatten)]
    mocks: input::MockArgs,
    #[arg(long)]
    state_machine_name: Option<String>,
    /// How long to run.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Record execution history (off by default: the engine's own cost).
    #[arg(long)]
    history: bool,
    /// Also time W1's per-transition work written by hand with serde_json (as many transitions
    /// per execution as the workflow makes) and print the engine's cost as a multiple of it.
    /// For W1 (`../shared/bench/workloads/w1-pass-chain`) and its input.
    #[arg(long)]
    floor: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let definition = input::read_json(&args.definition, "definition")?;
    let execution_input = input::execution_input(args.input.as_deref(), None)?;
    let name = input::machine_name(args.state_machine_name.as_deref(), &args.definition);
    let machine = execute::check(&definition, false).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!("the definition is invalid:\n{}", lines.join("\n"))
    })?;
    let mock = Arc::new(match args.mocks.load()? {
        Some((config, case)) => {
            MockInvoker::from_config(&config, &name, &case).map_err(|e| e.to_string())?
        }
        None => MockInvoker::none(),
    });
    let options = Options {
        record_history: args.history,
        max_transitions_per_step: u32::MAX,
        ..Options::default()
    };
    let budget = Duration::try_from_secs_f64(args.seconds.max(0.01))
        .map_err(|_| format!("--seconds {} is not a duration", args.seconds))?;
    if args.floor {
        floor::check_input(&execution_input)?;
    }
    // First, in a process that has allocated little yet, so its growth is the executions'.
    let footprint = memory::footprint(&machine, &name, &execution_input, args.history);
    let driver = LocalDriver::new(Arc::new(machine), mock.clone(), Clock::virtual_at(0))
        .with_options(options);
    let started = Instant::now();
    let mut executions: u64 = 0;
    let mut transitions: u64 = 0;
    let mut last_status = "";
    // The input is parsed once and shared, as a Lambda handler would hold its event.
    let template = ExecutionInfo::local(&name, "bench", serde_json::Value::Null, 0);
    let shared_input = Arc::new(execution_input);
    while started.elapsed() < budget {
        // Check the clock every few runs only: Instant::now costs as much as a tiny workflow.
        for _ in 0..16 {
            mock.reset();
            let info = ExecutionInfo {
                input: Arc::clone(&shared_input),
                start_time: driver.clock().now(),
                ..template.clone()
            };
            let run = driver.run_sync(info, executions).ok_or(
                "a task in this workflow does not answer at once; bench needs mocked tasks",
            )?;
            executions += 1;
            transitions += run.snapshot.transitions;
            last_status = run.snapshot.status.name();
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let (e, t) = (executions as f64, transitions as f64);
    let mut report = json!({
        "executions": executions,
        "seconds": seconds,
        "executions_per_sec": e / seconds,
        "transitions_per_sec": t / seconds,
        "transitions_per_execution": t / e,
        "status": last_status,
        "history": args.history,
    });
    if let Some(f) = footprint {
        #[allow(clippy::cast_precision_loss)]
        let data = f.data as f64;
        report["memory_per_execution_bytes"] = json!(f.per_execution.round());
        report["data_bytes"] = json!(f.data);
        report["memory_per_data"] = json!(f.per_execution / data.max(1.0));
        report["memory_executions_held"] = json!(f.held);
        report["memory_executions_running"] = json!(f.running);
    }
    if args.floor {
        let per_execution = transitions / executions.max(1);
        let (floor_transitions, floor_seconds) = floor::run(&shared_input, per_execution, budget);
        #[allow(clippy::cast_precision_loss)]
        let rate = floor_transitions as f64 / floor_seconds;
        report["floor_transitions"] = json!(floor_transitions);
        report["floor_transitions_per_sec"] = json!(rate);
        report["floor_ratio"] = json!(rate / (t / seconds));
    }
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
