//! Reading the files and JSON a command is given, with errors that name them.

use std::io::Read;
use std::path::Path;
use std::path::PathBuf;

use serde_json::Value;

pub fn read_text(path: &Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub fn read_json(path: &Path, what: &str) -> Result<Value, String> {
    let text = read_text(path)?;
    parse_json(&text, &format!("{what} {}", path.display()))
}

pub fn parse_json(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{what} is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })
}

/// The input from `--input FILE|-` or `--input-json TEXT`; `{}` when neither is given.
pub fn execution_input(file: Option<&Path>, json: Option<&str>) -> Result<Value, String> {
    match (file, json) {
        (Some(_), Some(_)) => Err("give --input or --input-json, not both".into()),
        (Some(f), None) => read_json(f, "input"),
        (None, Some(j)) => parse_json(j, "--input-json"),
        (None, None) => Ok(Value::Object(serde_json::Map::new())),
    }
}

/// The state machine name: given, or the definition file's stem.
pub fn machine_name(given: Option<&str>, definition: &Path) -> String {
    given.map_or_else(
        || {
            definition.file_stem().and_then(|s| s.to_str()).map_or_else(
                || "StateMachine".to_owned(),
                |s| s.trim_end_matches(".asl").to_owned(),
            )
        },
        str::to_owned,
    )
}

/// A workflow to run and what to run it with, shared by `run` and `cost`.
#[derive(clap::Args, Debug)]
pub struct WorkflowArgs {
    /// The ASL definition (JSON).
    pub definition: PathBuf,
    /// The execution input: a JSON file, or - for standard input.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The execution input as JSON text.
    #[arg(long)]
    pub input_json: Option<String>,
    #[command(flatten)]
    pub mocks: MockArgs,
    /// The state machine's name (default: the definition file's name); also the mock file's key.
    #[arg(long)]
    pub state_machine_name: Option<String>,
}

impl WorkflowArgs {
    /// The definition document, the execution input, and the state machine's name.
    pub fn load(&self) -> Result<(Value, Value, String), String> {
        Ok((
            read_json(&self.definition, "definition")?,
            execution_input(self.input.as_deref(), self.input_json.as_deref())?,
            machine_name(self.state_machine_name.as_deref(), &self.definition),
        ))
    }
}

/// `--mock-config FILE --test-case NAME`, shared by the commands that run workflows.
#[derive(clap::Args, Debug, Default)]
pub struct MockArgs {
    /// A mock file in AWS Step Functions Local's MockConfigFile format.
    #[arg(long, requires = "test_case")]
    pub mock_config: Option<PathBuf>,
    /// The test case to use from the mock file.
    #[arg(long, requires = "mock_config")]
    pub test_case: Option<String>,
}

impl MockArgs {
    /// The parsed mock file and the test case, if given.
    pub fn load(&self) -> Result<Option<(Value, String)>, String> {
        match (&self.mock_config, &self.test_case) {
            (Some(file), Some(case)) => Ok(Some((read_json(file, "mock config")?, case.clone()))),
            _ => Ok(None),
        }
    }
}
