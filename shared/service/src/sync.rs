//! Synchronous executions: run inside the request, at most once, and answer with the result.

use std::sync::Arc;

use quickstep_engine::execution::{self, Event, Millis};
use quickstep_engine::failure::{names, Failure};
use quickstep_runtime::clock::Clock;
use quickstep_runtime::driver::LocalDriver;
use serde_json::{json, Value};

use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::record_of;
use crate::records::{epoch_seconds, ExecutionRecord, MachineType};
use crate::service::{Service, Target};

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Runs an execution of the current revision of `machine_name` to its end, within this
    /// call. It is never re-run: tasks retry only as the definition's Retry says. If it would
    /// outlive `deadline` (the invocation's), it ends TIMED_OUT with `States.Timeout` instead of
    /// being cut off. Answers in the shape of StartSyncExecution.
    pub async fn start_sync(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
        deadline: Option<Millis>,
    ) -> Result<Value, ServiceError> {
        self.start_sync_on(
            machine_name,
            execution_name,
            input,
            deadline,
            &Target::default(),
        )
        .await
    }

    /// [`Self::start_sync`] of the revision `target` names (a version's).
    pub(crate) async fn start_sync_on(
        &self,
        machine_name: &str,
        execution_name: Option<&str>,
        input: Value,
        deadline: Option<Millis>,
        target: &Target,
    ) -> Result<Value, ServiceError> {
        self.check_input(&input)?;
        let machine_record = self.target_revision(machine_name, target).await?;
        if machine_record.machine_type != MachineType::Express {
            // As Step Functions: synchronous executions are for Express state machines.
            return Err(ServiceError::TypeNotSupported(format!(
                "This operation is not supported by this type of state machine: '{}' is a \
                 STANDARD state machine; StartSyncExecution runs EXPRESS ones",
                machine_record.arn
            )));
        }
        let machine = self.machine(machine_name, machine_record.revision).await?;
        if let Some(at) = machine
            .tasks()
            .find(|at| at.task.kind.waits_for_task_token())
        {
            let pointer = at.resource_pointer();
            return Err(ServiceError::BadRequest(format!(
                "state machine '{machine_name}' has a Task that waits for a callback ({pointer}): \
                 a synchronous execution cannot wait for one; start it asynchronously \
                 (POST /state-machines/{machine_name}/executions)"
            )));
        }
        let name = self.execution_name(execution_name)?;
        let started = self.clock.now();
        let info = self.execution_info(&machine_record, &name, input, started);
        let seed = self.ids.seed();
        let tasks = self.tasks_of(&info.execution_arn, 0);
        // End it while there is still time to answer, not at Lambda's own kill time. A
        // deadline already past is none Lambda gave (a local emulator's): it is ignored.
        let deadline = deadline
            .filter(|d| *d > started)
            .map(|d| d.saturating_sub(self.config.sync_margin_ms));
        // On a virtual service clock (`quickstep serve --clock virtual`, tests), Waits and
        // back-off of a synchronous execution take no time either: it runs on a virtual clock
        // of its own, from now.
        let clock = if self.clock.is_virtual() {
            Clock::virtual_at(started)
        } else {
            Clock::Real
        };
        let driver =
            LocalDriver::new(Arc::clone(&machine), tasks, clock).with_options(self.options());
        let mut run = driver.run_until(info, seed, deadline).await;
        if !run.snapshot.status.is_terminal() {
            // Out of time: the engine ends it as AWS ends an execution past its timeout.
            execution::step_in_place(
                &machine,
                &mut run.snapshot,
                Event::TimeOut {
                    failure: Failure::new(
                        names::TIMEOUT,
                        "The execution did not finish before the deadline of the invocation \
                         running it.",
                    ),
                },
                self.clock.now(),
            );
        }
        let log = self.log_settings(&machine_record);
        let mut record = record_of(&machine_record, run.snapshot, Vec::new(), log);
        let telemetry = self.telemetry_of(&mut record);
        self.emit(&telemetry);
        record.version_arn.clone_from(&target.version_arn);
        record.alias_arn.clone_from(&target.alias_arn);
        self.publish_if_failed(&record).await?;
        record.status_event_sent = true;
        Ok(sync_response(&record, started, self.clock.now()))
    }
}

/// The StartSyncExecution response body.
fn sync_response(record: &ExecutionRecord, started: Millis, now: Millis) -> Value {
    let mut body = describe_fields(record);
    #[allow(clippy::cast_sign_loss)]
    let billed = ((now - started).max(0) as u64).div_ceil(100) * 100;
    body["billingDetails"] =
        json!({"billedDurationInMilliseconds": billed.max(100), "billedMemoryUsedInMB": 64});
    body
}

/// The fields DescribeExecution and StartSyncExecution share. Dates are epoch seconds, input
/// and output JSON text, as AWS's API returns them.
pub fn describe_fields(record: &ExecutionRecord) -> Value {
    let seconds = epoch_seconds;
    let mut body = json!({
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": seconds(record.start_date),
        "input": record.input.to_string(),
        "inputDetails": {"included": true},
    });
    if let Some(stop) = record.stop_date {
        body["stopDate"] = json!(seconds(stop));
    }
    if let Some(version) = &record.version_arn {
        body["stateMachineVersionArn"] = json!(version);
    }
    if let Some(alias) = &record.alias_arn {
        body["stateMachineAliasArn"] = json!(alias);
    }
    if let Some(output) = &record.output {
        body["output"] = json!(output.to_string());
        body["outputDetails"] = json!({"included": true});
    }
    if let Some(e) = &record.error {
        body["error"] = json!(e);
    }
    if let Some(c) = &record.cause {
        body["cause"] = json!(c);
    }
    body
}
