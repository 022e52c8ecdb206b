//! `quickstep simulate`: the deterministic simulation of the asynchronous path (see the
//! `quickstep-sim` crate). Prints what it explored and ends with
//! `simulation: N schedules, M violations`; exits 1 on any violation, naming the seed that
//! replays it.

use std::process::ExitCode;

use clap::Args as ClapArgs;
use quickstep_sim::{explore, Settings};

#[derive(ClapArgs)]
pub struct Args {
    /// How many schedules to run.
    #[arg(long, default_value_t = 1000)]
    schedules: u64,
    /// The seed the schedules' seeds are drawn from (a failing schedule prints its own, which
    /// `--replay` runs alone).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop after this many seconds of wall-clock time, whatever `--schedules` says.
    #[arg(long)]
    seconds: Option<u64>,
    /// Run the one schedule with this seed (as printed by a failure), and print its violations.
    #[arg(long)]
    replay: Option<u64>,
    /// Run without faults: only latency, reordering and callers' timing.
    #[arg(long)]
    calm: bool,
    /// Run with many more faults, a short worker timeout and an early dead-letter queue.
    #[arg(long, conflicts_with = "calm")]
    stormy: bool,
    /// Run without faults but with task calls longer than the worker's timeout.
    #[arg(long, conflicts_with_all = ["calm", "stormy"])]
    slow_tasks: bool,
    /// Run with every fault and inputs of 200 to 262 KB.
    #[arg(long, conflicts_with_all = ["calm", "stormy", "slow_tasks"])]
    large_data: bool,
    /// Run, in one schedule in ten, these workflows (`NAME.asl.json`, input in
    /// `NAME.input.json`) under every fault, e.g. the benchmark workloads.
    #[arg(long, value_name = "DIR")]
    workloads: Option<std::path::PathBuf>,
    /// Run only schedules on the workloads of --workloads.
    #[arg(long, requires = "workloads", conflicts_with_all = ["calm", "stormy", "slow_tasks", "large_data"])]
    bench: bool,
    /// With --replay: print what happened, line by line.
    #[arg(long)]
    trace: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let mut base = Settings::default();
    if let Some(dir) = &args.workloads {
        let (workloads, skipped) = quickstep_sim::workloads::load(dir)?;
        println!(
            "workloads: {} from {} ({})",
            workloads.len(),
            dir.display(),
            workloads
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for reason in skipped {
            println!("  left out {reason}");
        }
        if workloads.is_empty() {
            return Err(format!("no workload to run in {}", dir.display()));
        }
        base.workloads = std::sync::Arc::new(workloads);
    }
    let settings = if args.bench {
        base.bench()
    } else if args.calm {
        Settings::calm()
    } else if args.stormy {
        base.stormy()
    } else if args.slow_tasks {
        Settings::slow_tasks()
    } else if args.large_data {
        Settings::large_data()
    } else {
        base
    };
    if let Some(seed) = args.replay {
        let (schedule, trace) = quickstep_sim::run_traced(seed, &settings, args.trace);
        for line in trace {
            println!("{line}");
        }
        println!("schedule {seed}: {} executions", schedule.executions);
        for (fault, n) in &schedule.faults.0 {
            println!("  {fault:?}: {n}");
        }
        for v in &schedule.violations {
            println!("violation: {v}");
        }
        println!(
            "simulation: 1 schedules, {} violations",
            schedule.violations.len()
        );
        return Ok(exit(schedule.violations.is_empty()));
    }
    let summary = explore(&settings, args.schedules, args.seed, args.seconds);
    println!(
        "explored {} schedules, {} executions (seed {})",
        summary.schedules, summary.executions, args.seed
    );
    println!("faults injected:");
    for (fault, n) in &summary.faults.0 {
        println!("  {fault:?}: {n}");
    }
    let violations: usize = summary.failures.iter().map(|f| f.violations.len()).sum();
    for failure in &summary.failures {
        let workloads = match (&args.workloads, failure.weather) {
            (Some(dir), quickstep_sim::Weather::Bench) => format!(" --workloads {}", dir.display()),
            _ => String::new(),
        };
        println!(
            "failing schedule: replay with `quickstep simulate --replay {}{}{workloads}`",
            failure.seed,
            failure.weather.flag()
        );
        for v in &failure.violations {
            println!("  violation: {v}");
        }
    }
    println!(
        "simulation: {} schedules, {violations} violations",
        summary.schedules
    );
    Ok(exit(violations == 0))
}

fn exit(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
