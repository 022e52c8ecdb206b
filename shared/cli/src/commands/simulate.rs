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
    /// With --replay: print what happened, line by line.
    #[arg(long)]
    trace: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let settings = if args.calm {
        Settings::calm()
    } else if args.stormy {
        Settings::default().stormy()
    } else {
        Settings::default()
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
        let calm = if failure.calm {
            " --calm"
        } else if failure.stormy {
            " --stormy"
        } else {
            ""
        };
        println!(
            "failing schedule: replay with `quickstep simulate --replay {}{calm}`",
            failure.seed
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
