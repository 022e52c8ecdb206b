//! The `quickstep` command line: run, validate, benchmark and conformance-test ASL workflows on
//! the embedded default (in-memory stores, mocked tasks, real or virtual clock).

mod commands;
mod conformance;
#[cfg(feature = "aws")]
mod cost;
#[cfg(feature = "aws")]
mod event_source;
mod execute;
#[cfg(feature = "aws")]
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The allocator the Lambda functions use too, so that `quickstep bench` measures what they run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "quickstep",
    version,
    about = "Run AWS Step Functions workflows locally, exactly as AWS does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ClockKind {
    Real,
    Virtual,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workflow once and print its result as one JSON object.
    Run(commands::run::Args),
    /// Check a definition; print every problem, one a line, with its location.
    Validate(commands::validate::Args),
    /// Draw a state machine (and what an execution did): SVG, an HTML page, Mermaid or DOT.
    Graph(commands::graph::Args),
    /// Run a workflow repeatedly in-process and print throughput as JSON.
    Bench(commands::bench::Args),
    /// Run the conformance corpus recorded against AWS and compare.
    Conformance(commands::conformance::Args),
    /// What a workflow costs per million executions, on quickstep and on Step Functions.
    #[cfg(feature = "aws")]
    Cost(commands::cost::Args),
    /// Evaluate one JSONata expression the way the engine does; print one JSON object.
    Jsonata(commands::jsonata::Args),
    /// Run the JSONata reference test suite and compare.
    JsonataSuite(commands::jsonata_suite::Args),
    /// Create the AWS resources the functions use (idempotently); print them as JSON.
    #[cfg(feature = "aws")]
    Setup(commands::setup::Args),
    /// Play Lambda's SQS event source mapping locally: step queue → worker function.
    #[cfg(feature = "aws")]
    Pump(commands::pump::Args),
    /// Run the deterministic simulation of the asynchronous path under faults; check invariants.
    Simulate(commands::simulate::Args),
    /// Serve the Step Functions API (and the REST routes) from memory, with a worker in-process.
    #[cfg(feature = "aws")]
    Serve(commands::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => commands::run::main(args),
        Command::Validate(args) => commands::validate::main(&args),
        Command::Graph(args) => commands::graph::main(&args),
        Command::Bench(args) => commands::bench::main(&args),
        Command::Conformance(args) => commands::conformance::main(&args),
        #[cfg(feature = "aws")]
        Command::Cost(args) => commands::cost::main(&args),
        Command::Jsonata(args) => commands::jsonata::main(&args),
        Command::JsonataSuite(args) => commands::jsonata_suite::main(&args),
        #[cfg(feature = "aws")]
        Command::Setup(args) => commands::setup::main(&args),
        #[cfg(feature = "aws")]
        Command::Pump(args) => commands::pump::main(&args),
        Command::Simulate(args) => commands::simulate::main(&args),
        #[cfg(feature = "aws")]
        Command::Serve(args) => commands::serve::main(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("quickstep: {message}");
            ExitCode::from(2)
        }
    }
}
