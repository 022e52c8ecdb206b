//! One execution from a definition document, input and mock file: the code path shared by
//! `quickstep run`, `quickstep bench` and the conformance runner.

use std::sync::Arc;

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{ExecutionInfo, Options, Snapshot, Status};
use quickstep_engine::problem::Problem;
use quickstep_engine::validate;
use quickstep_runtime::clock::Clock;
use quickstep_runtime::driver::LocalDriver;
use quickstep_runtime::invoker::TaskInvoker;
use quickstep_runtime::mock::{MockError, MockInvoker};
use quickstep_runtime::overlay::MockOverlay;
use serde_json::{json, Map, Value};

/// Everything `run` needs besides the definition and input.
#[derive(Debug, Clone)]
pub struct Setup {
    pub state_machine_name: String,
    pub execution_name: String,
    /// The mock file and the test case to use from it.
    pub mocks: Option<(Value, String)>,
    /// Real integrations for the Tasks the mock file does not mock (none: every Task is mocked).
    pub real_tasks: Option<RealTasks>,
    pub virtual_clock: bool,
    pub express: bool,
    pub options: Options,
    pub seed: u64,
    /// Print a line per state as the run proceeds (`quickstep run --trace`).
    pub trace: bool,
}

/// The real integrations a run calls.
#[derive(Clone)]
pub struct RealTasks(pub Arc<dyn TaskInvoker>);

impl std::fmt::Debug for RealTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RealTasks")
    }
}

impl Setup {
    /// The execution's identity: Express executions get AWS's `express:` ARN shape.
    pub fn execution_info(
        &self,
        input: Value,
        start_time: quickstep_engine::execution::Millis,
    ) -> ExecutionInfo {
        if self.express {
            let id = uuid_from_seed(self.seed);
            ExecutionInfo::local_express(
                &self.state_machine_name,
                &self.execution_name,
                &id,
                input,
                start_time,
            )
        } else {
            ExecutionInfo::local(
                &self.state_machine_name,
                &self.execution_name,
                input,
                start_time,
            )
        }
    }
}

/// A v4-shaped UUID from the run's seed, so an Express ARN is reproducible for a given seed.
fn uuid_from_seed(seed: u64) -> String {
    let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    uuid::Builder::from_random_bytes(
        [seed.to_le_bytes(), mixed.to_le_bytes()]
            .concat()
            .try_into()
            .unwrap_or([0; 16]),
    )
    .into_uuid()
    .to_string()
}

/// Validates a definition; on failure, the report `run` prints.
pub fn check(definition: &Value, express: bool) -> Result<StateMachine, Vec<Problem>> {
    validate::check_with(definition, validate::Options { express })
}

/// Builds the driver for a checked machine.
pub fn driver(machine: StateMachine, setup: &Setup) -> Result<LocalDriver, MockError> {
    let mocks = match &setup.mocks {
        Some((config, test_case)) => {
            MockInvoker::from_config(config, &setup.state_machine_name, test_case)?
        }
        None => MockInvoker::none(),
    };
    let invoker: Arc<dyn TaskInvoker> = match &setup.real_tasks {
        Some(RealTasks(real)) => Arc::new(MockOverlay::new(mocks, Arc::clone(real))),
        None => Arc::new(mocks),
    };
    let clock = if setup.virtual_clock {
        Clock::virtual_now()
    } else {
        Clock::Real
    };
    Ok(LocalDriver::new(Arc::new(machine), invoker, clock).with_options(setup.options))
}

/// Runs a definition to its end and gives the report `quickstep run` prints, and the
/// execution's whole history (empty for an invalid definition).
pub async fn run(
    definition: &Value,
    input: Value,
    setup: &Setup,
) -> Result<(Value, Value), MockError> {
    let machine = match check(definition, setup.express) {
        Ok(m) => m,
        Err(problems) => return Ok((invalid_report(&problems), Value::Array(Vec::new()))),
    };
    let mut driver = driver(machine, setup)?;
    let info = setup.execution_info(input, quickstep_runtime::clock::wall_clock());
    if setup.trace {
        driver = driver.with_observer(crate::commands::trace::observer());
    }
    let run = driver.run_execution(info, setup.seed).await;
    let history = serde_json::to_value(&run.snapshot.history).unwrap_or(Value::Null);
    Ok((report(&run.snapshot), history))
}

/// `{"status": "INVALID_DEFINITION", "error": <first code>, "cause": ..., "problems": [...]}`.
pub fn invalid_report(problems: &[Problem]) -> Value {
    let first = problems
        .first()
        .map_or("SCHEMA_VALIDATION_FAILED", |p| p.code);
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    json!({
        "status": "INVALID_DEFINITION",
        "error": first,
        "cause": format!("Invalid State Machine Definition: {}", listed.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ")),
        "problems": problems,
    })
}

/// `{"status", "output" | "error"/"cause", "events": [{"type", "name"?}]}`.
pub fn report(snapshot: &Snapshot) -> Value {
    let mut out = Map::new();
    out.insert("status".into(), snapshot.status.name().into());
    match &snapshot.status {
        Status::Succeeded { output } => {
            out.insert("output".into(), output.clone());
        }
        Status::Failed { failure } | Status::TimedOut { failure } | Status::Aborted { failure } => {
            if let Some(e) = &failure.error {
                out.insert("error".into(), e.clone().into());
            }
            if let Some(c) = &failure.cause {
                out.insert("cause".into(), c.clone().into());
            }
        }
        Status::Running => {
            out.insert("error".into(), "Quickstep.Stalled".into());
            out.insert(
                "cause".into(),
                "The execution is waiting for something that can never happen locally (a task that never answered).".into(),
            );
        }
    }
    let events: Vec<Value> = snapshot
        .history
        .iter()
        .map(|e| match &e.name {
            Some(name) => json!({"type": e.kind, "name": name}),
            None => json!({"type": e.kind}),
        })
        .collect();
    out.insert("events".into(), Value::Array(events));
    Value::Object(out)
}
