//! `quickstep validate`: every problem, one a line.

use std::path::PathBuf;
use std::process::ExitCode;

use super::input;
use crate::execute;

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
    let problems = match serde_json::from_str(&text) {
        Ok(definition) => match execute::check(&definition, args.express) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        },
        Err(e) => vec![quickstep::problem::Problem::new(
            quickstep::problem::INVALID_JSON_DESCRIPTION,
            format!("the definition is not valid JSON: {e}"),
            "",
        )],
    };
    if problems.is_empty() {
        println!("{}: valid", args.definition.display());
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("{p}");
    }
    Ok(ExitCode::from(1))
}
