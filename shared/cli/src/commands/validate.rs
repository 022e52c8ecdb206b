//! `quickstep validate`: every problem, one a line.

use std::path::PathBuf;
use std::process::ExitCode;

use super::input;

#[derive(clap::Args)]
pub struct Args {
    /// The ASL definition (JSON).
    definition: PathBuf,
    /// Validate as an Express state machine.
    #[arg(long)]
    express: bool,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let text = input::read_text(&args.definition)?;
    let problems = quickstep_engine::validate::problems_in_text(
        &text,
        quickstep_engine::validate::Options {
            express: args.express,
        },
    );
    if problems.is_empty() {
        println!("{}: valid", args.definition.display());
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{p}");
    }
    Ok(ExitCode::from(1))
}
