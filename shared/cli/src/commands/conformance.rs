//! `quickstep conformance`: every recorded case through the same path as `quickstep run`.

use std::path::PathBuf;
use std::process::ExitCode;

use quickstep_engine::execution::Options;

use crate::conformance::{self, Baseline, Outcome};
use crate::execute::{self, Setup};

#[derive(clap::Args)]
pub struct Args {
    /// The corpus directory (with cases/<group>/<case>.json).
    #[arg(long, default_value = "../shared/conformance")]
    dir: PathBuf,
    /// Fail if a figure falls below this baseline file's.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the figures of this run to the baseline file (raising the ratchet).
    #[arg(long, requires = "baseline")]
    write_baseline: bool,
    /// Print each failing case with the first difference.
    #[arg(long)]
    show_failures: bool,
    /// Only cases whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
}

/// The most steps one case may take: a guard against cases that would loop forever.
const MAX_STEPS: u64 = 200_000;

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let cases = conformance::load_cases(&args.dir).map_err(|e| e.to_string())?;
    let cases: Vec<_> = cases
        .iter()
        .filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        let setup = Setup {
            state_machine_name: case.name.clone(),
            execution_name: "conformance".into(),
            mocks: case.mock_config.clone().map(|m| {
                (
                    m,
                    case.test_case.clone().unwrap_or_else(|| "Recorded".into()),
                )
            }),
            real_tasks: None,
            virtual_clock: true,
            express: case.workflow_type == "EXPRESS",
            options: Options::default(),
            seed: 1,
            trace: false,
        };
        let report = runtime.block_on(run_case(&case.definition, case.input.clone(), &setup));
        let outcome = Outcome::from_json(&report).map_err(|e| format!("{}: {e}", case.name))?;
        results.push((*case, conformance::compare(case, &outcome)));
    }
    let summary = conformance::summarize(&results);
    let mut stdout = std::io::stdout();
    summary
        .print(&mut stdout, args.show_failures)
        .map_err(|e| e.to_string())?;
    if let Some(path) = &args.baseline {
        if args.write_baseline {
            let text = serde_json::to_string_pretty(&summary.baseline_json())
                .map_err(|e| e.to_string())?;
            std::fs::write(path, text + "\n")
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("baseline written to {}", path.display());
        } else {
            let baseline = Baseline::load(path).map_err(|e| e.to_string())?;
            if let Err(message) = baseline.check(&summary) {
                eprintln!("{message}");
                return Ok(ExitCode::from(1));
            }
            for improvement in baseline.improvements(&summary) {
                println!("ratchet: {improvement} (raise the baseline with --write-baseline)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_case(
    definition: &serde_json::Value,
    input: serde_json::Value,
    setup: &Setup,
) -> serde_json::Value {
    let machine = match execute::check(definition, setup.express) {
        Ok(m) => m,
        Err(problems) => return execute::invalid_report(&problems),
    };
    match execute::driver(machine, setup) {
        Ok(driver) => {
            let driver = driver.with_max_steps(MAX_STEPS);
            let info = setup.execution_info(input, driver.clock().now());
            execute::report(&driver.run_execution(info, setup.seed).await.snapshot)
        }
        Err(e) => serde_json::json!({"status": "MOCK_CONFIG_ERROR", "error": e.to_string()}),
    }
}
