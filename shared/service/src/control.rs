//! Looking at and ending executions: describe, history, stop, and the dead-letter queue's
//! handling of a step that kept failing.

use quickstep_engine::execution::Event;
use quickstep_engine::failure::{names, Failure};
use serde_json::{json, Value};

use crate::commit::{apply, Action};
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::{epoch_seconds, ExecutionRecord, StepMessage};
use crate::service::Service;
use crate::sync::describe_fields;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(crate) async fn execution(&self, arn: &str) -> Result<ExecutionRecord, ServiceError> {
        self.store
            .get_execution(arn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("execution '{arn}' does not exist")))
    }

    /// DescribeExecution: status, input, output or error and cause, dates.
    pub async fn describe(&self, arn: &str) -> Result<Value, ServiceError> {
        Ok(describe_fields(&self.execution(arn).await?))
    }

    /// The execution with its whole history (see [`Store::get_execution_with_history`]).
    pub(crate) async fn execution_with_history(
        &self,
        arn: &str,
    ) -> Result<ExecutionRecord, ServiceError> {
        self.store
            .get_execution_with_history(arn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("execution '{arn}' does not exist")))
    }

    /// The execution's history events (AWS keeps none for Express executions; quickstep does).
    pub async fn history(&self, arn: &str) -> Result<Value, ServiceError> {
        let record = self.execution_with_history(arn).await?;
        Ok(json!({"events": record.snapshot.history}))
    }

    /// StopExecution: ends a running execution ABORTED. Stopping an ended one changes nothing.
    pub async fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<Value, ServiceError> {
        let record = self.execution(arn).await?;
        let record = self
            .end(
                record,
                Event::Stop {
                    failure: Failure { error, cause },
                },
            )
            .await?;
        let stop = record.stop_date.unwrap_or_else(|| self.clock.now());
        Ok(json!({"stopDate": epoch_seconds(stop)}))
    }

    /// A step message that kept failing reached the dead-letter queue: if the execution still
    /// needed it (it is the current version's, or owns calls not yet made), the execution can
    /// no longer advance, so it ends FAILED with `States.Runtime` rather than staying RUNNING.
    /// A message the execution had moved past is dropped; an ended execution whose failure
    /// event is still unpublished (its outbox message kept failing) publishes it.
    pub async fn dead_letter(&self, message: &StepMessage) -> Result<(), ServiceError> {
        self.count("DeadLetters", &[]);
        let Some(record) = self.store.get_execution(&message.execution_arn).await? else {
            return Ok(());
        };
        if record.is_terminal() {
            // An ended execution's outbox message that kept failing: its failure event is
            // published here, the last place that can.
            return self.finish(record).await;
        }
        let owns_calls = record.dispatch.values().any(|d| d.owner == message.claim);
        let current = record.version() == message.version && record.claim == message.claim;
        if !(current || owns_calls) {
            return Ok(());
        }
        self.end(
            record,
            Event::Fail {
                failure: Failure::new(
                    names::RUNTIME,
                    "quickstep could not carry out a step of this execution: its step message \
                     failed repeatedly and was moved to the dead-letter queue.",
                ),
            },
        )
        .await?;
        Ok(())
    }

    /// Ends a running execution with `event` (the engine writes the end, so the history, the
    /// snapshot and the record agree); returns the record as it stands after.
    async fn end(
        &self,
        mut record: ExecutionRecord,
        event: Event,
    ) -> Result<ExecutionRecord, ServiceError> {
        if record.is_terminal() {
            return Ok(record);
        }
        let machine = self
            .machine(&record.state_machine_name, record.revision)
            .await?;
        let expected = record.version();
        let action = Action::End(event);
        apply(
            &machine,
            &mut record,
            &action,
            self.clock.now(),
            self.config.max_task_dispatches,
        );
        let arn = record.arn.clone();
        self.commit(&machine, record, expected, &[action]).await?;
        self.execution(&arn).await
    }
}
