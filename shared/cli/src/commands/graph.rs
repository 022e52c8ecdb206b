//! `quickstep graph`: a picture of a state machine, and of what an execution did.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use quickstep_graph::{render, Execution, Format};
use serde_json::Value;

use super::input;

#[derive(clap::Args)]
pub struct Args {
    /// The ASL definition (JSON).
    definition: PathBuf,
    /// What `quickstep run` printed for an execution of it: states coloured by what happened.
    #[arg(long, conflicts_with = "history")]
    execution: Option<PathBuf>,
    /// Its history, as GetExecutionHistory answers it (`{"events": [...]}`) or as the API's
    /// history route does.
    #[arg(long)]
    history: Option<PathBuf>,
    /// Where to write the picture; its extension chooses the format: .svg, .html (a page with
    /// the events, clicking a state shows its data), .mmd (Mermaid) or .dot (Graphviz).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// The picture's title (default: the definition file's name).
    #[arg(long)]
    title: Option<String>,
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let definition = input::read_json(&args.definition, "definition")?;
    let format = Format::of_path(&args.output).map_err(|e| e.to_string())?;
    let execution = match (&args.execution, &args.history) {
        (Some(path), _) | (None, Some(path)) => Some(read_execution(path)?),
        (None, None) => None,
    };
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| input::machine_name(None, &args.definition));
    write_picture(
        &definition,
        &title,
        execution.as_ref(),
        format,
        &args.output,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A run report or a history, read as an execution.
fn read_execution(path: &Path) -> Result<Execution, String> {
    let history = input::read_json(path, "execution")?;
    Execution::from_history(&history).map_err(|e| format!("execution {}: {e}", path.display()))
}

/// Draws `definition` (and `execution`) into `output`.
pub fn write_picture(
    definition: &Value,
    title: &str,
    execution: Option<&Execution>,
    format: Format,
    output: &Path,
) -> Result<(), String> {
    let picture = render(definition, title, execution, format)
        .map_err(|e| format!("cannot draw the definition: {e}"))?;
    std::fs::write(output, picture).map_err(|e| format!("cannot write {}: {e}", output.display()))
}
