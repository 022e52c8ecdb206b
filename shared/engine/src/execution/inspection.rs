//! What one state did with its data, step by step, as Step Functions' TestState reports it
//! (`inspectionData`): recorded only for an execution started with [`super::start_inspected`],
//! and only while the inspected state runs.

use serde_json::{Map, Value};

use super::snapshot::Thread;
use super::stepper::Stepper;
use super::{stepper, ExecutionInfo, Options, Snapshot};
use crate::definition::StateMachine;
use crate::execution::{Effect, Millis};

/// The data of the inspected state after each stage of its processing; `None` where the
/// stage did not run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// The state inspected (the first one entered with this name).
    pub state: String,
    pub after_input_path: Option<Value>,
    pub after_parameters: Option<Value>,
    pub after_arguments: Option<Value>,
    pub result: Option<Value>,
    pub after_result_selector: Option<Value>,
    pub after_result_path: Option<Value>,
}

/// A stage of a state's data processing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    InputPath,
    Parameters,
    Arguments,
    Result,
    ResultSelector,
    ResultPath,
}

impl Inspection {
    fn slot(&mut self, stage: Stage) -> &mut Option<Value> {
        match stage {
            Stage::InputPath => &mut self.after_input_path,
            Stage::Parameters => &mut self.after_parameters,
            Stage::Arguments => &mut self.after_arguments,
            Stage::Result => &mut self.result,
            Stage::ResultSelector => &mut self.after_result_selector,
            Stage::ResultPath => &mut self.after_result_path,
        }
    }
}

/// Starts an execution as [`super::start`] does, with `variables` already assigned at the top
/// level, recording what the state `state` does with its data (see [`Snapshot::inspection`]).
pub fn start_inspected(
    machine: &StateMachine,
    execution: ExecutionInfo,
    options: Options,
    seed: u64,
    now: Millis,
    state: &str,
    variables: Map<String, Value>,
) -> (Snapshot, Vec<Effect>) {
    let mut snapshot = Snapshot::new(execution, options, seed);
    if !variables.is_empty() {
        super::variables::assign(&mut snapshot.scopes, 0, variables);
    }
    snapshot.inspection = Some(Box::new(Inspection {
        state: state.to_owned(),
        ..Inspection::default()
    }));
    let effects = stepper::Stepper::new(machine, &mut snapshot, now).start();
    (snapshot, effects)
}

impl Stepper<'_> {
    /// Records `value` as the data after `stage`, if the execution is inspected and `thread`
    /// is in the inspected state (the first time only: a later visit changes nothing).
    pub(crate) fn inspect(&mut self, thread: &Thread, stage: Stage, value: &Value) {
        let name = &self.state_of(thread).name;
        if let Some(inspection) = self.snap.inspection.as_deref_mut() {
            if &inspection.state == name {
                let slot = inspection.slot(stage);
                if slot.is_none() {
                    *slot = Some(value.clone());
                }
            }
        }
    }
}
