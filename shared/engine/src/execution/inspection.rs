//! What one state did with its data, step by step, as Step Functions' TestState reports it
//! (`inspectionData`): recorded only for an execution started with [`super::start_inspected`],
//! and only while the inspected state runs.

use serde_json::{Map, Value};

use super::snapshot::Thread;
use super::stepper::Stepper;
use super::{stepper, ExecutionInfo, Options, Snapshot};
use crate::definition::StateMachine;
use crate::execution::{Effect, Millis};
use crate::failure::Failure;

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
    /// A Map state's items (JSONPath `ItemsPath`).
    pub after_items_path: Option<Value>,
    /// A Map state's iteration inputs, when it has an `ItemSelector`.
    pub after_item_selector: Option<Value>,
    /// A Map state's batches, when it has an `ItemBatcher`.
    pub after_item_batcher: Option<Value>,
    /// A Map state's `MaxConcurrency` (0: no limit) and tolerated failures, once evaluated.
    pub max_concurrency: Option<i64>,
    pub tolerated_failure_count: Option<i64>,
    pub tolerated_failure_percentage: Option<f64>,
    /// What a Map or Parallel state under inspection ends with instead of running its
    /// iterations or branches (TestState's mock).
    pub fanout_mock: Option<FanoutMock>,
    /// The first error the state failed with, before its Retriers and Catchers saw it.
    pub failure: Option<Failure>,
}

/// The mocked outcome of an inspected Map or Parallel state: its whole result (one entry per
/// iteration or branch) or its error; and, for a Map with tolerated failures, how many of its
/// iterations failed (over the tolerance, it fails with `States.ExceedToleratedFailureThreshold`).
#[derive(Debug, Clone, PartialEq)]
pub struct FanoutMock {
    pub outcome: Result<Value, Failure>,
    pub iteration_failures: u64,
}

impl Inspection {
    /// An inspection of state `state`.
    pub fn of(state: &str) -> Self {
        Self {
            state: state.to_owned(),
            ..Self::default()
        }
    }
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
    ItemsPath,
    ItemSelector,
    ItemBatcher,
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
            Stage::ItemsPath => &mut self.after_items_path,
            Stage::ItemSelector => &mut self.after_item_selector,
            Stage::ItemBatcher => &mut self.after_item_batcher,
        }
    }
}

/// Starts an execution as [`super::start`] does, with `variables` already assigned at the top
/// level, recording what the state `inspection.state` does with its data (see
/// [`Snapshot::inspection`]).
pub fn start_inspected(
    machine: &StateMachine,
    execution: ExecutionInfo,
    options: Options,
    seed: u64,
    now: Millis,
    inspection: Inspection,
    variables: Map<String, Value>,
) -> (Snapshot, Vec<Effect>) {
    let mut snapshot = Snapshot::new(execution, options, seed);
    if !variables.is_empty() {
        super::variables::assign(&mut snapshot.scopes, 0, variables);
    }
    snapshot.inspection = Some(Box::new(inspection));
    let effects = stepper::Stepper::new(machine, &mut snapshot, now).start();
    (snapshot, effects)
}

impl Stepper<'_> {
    /// The inspection, if the execution is inspected and `thread` is in the inspected state.
    fn inspection_of(&mut self, thread: &Thread) -> Option<&mut Inspection> {
        let name = &self.state_of(thread).name;
        self.snap
            .inspection
            .as_deref_mut()
            .filter(|inspection| &inspection.state == name)
    }

    /// Records `value` as the data after `stage`, if the execution is inspected and `thread`
    /// is in the inspected state (the first time only: a later visit changes nothing).
    #[inline]
    pub(crate) fn inspect(&mut self, thread: &Thread, stage: Stage, value: &Value) {
        // Checked here, inline: executions are rarely inspected.
        if self.snap.inspection.is_none() {
            return;
        }
        if let Some(inspection) = self.inspection_of(thread) {
            let slot = inspection.slot(stage);
            if slot.is_none() {
                *slot = Some(value.clone());
            }
        }
    }

    /// Records a Map state's evaluated limits, as [`Self::inspect`] records data.
    pub(crate) fn inspect_limits(
        &mut self,
        thread: &Thread,
        max_concurrency: i64,
        tolerated_count: Option<i64>,
        tolerated_percentage: Option<f64>,
    ) {
        if let Some(inspection) = self.inspection_of(thread) {
            if inspection.max_concurrency.is_none() {
                inspection.max_concurrency = Some(max_concurrency);
                inspection.tolerated_failure_count = tolerated_count;
                inspection.tolerated_failure_percentage = tolerated_percentage;
            }
        }
    }

    /// Records the first error the inspected state fails with.
    pub(crate) fn inspect_failure(&mut self, thread: &Thread, failure: &Failure) {
        if let Some(inspection) = self.inspection_of(thread) {
            if inspection.failure.is_none() {
                inspection.failure = Some(failure.clone());
            }
        }
    }

    /// The mocked outcome of `thread`'s Map or Parallel state, if it is the inspected state
    /// and TestState mocked it (taken: a later visit runs for real).
    pub(crate) fn fanout_mock(&mut self, thread: &Thread) -> Option<FanoutMock> {
        self.inspection_of(thread)?.fanout_mock.take()
    }
}
