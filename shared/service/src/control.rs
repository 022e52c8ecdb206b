//! Looking at and ending executions: describe, history, stop, and the dead-letter queue's
//! handling of a step that kept failing.

use quickstep::execution::{self, Event};
use quickstep::failure::Failure;
use serde_json::{json, Value};

use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::{ExecutionRecord, StepMessage};
use crate::service::{sync_status, Service};
use crate::sync::describe_fields;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    async fn execution(&self, arn: &str) -> Result<ExecutionRecord, ServiceError> {
        self.store
            .get_execution(arn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("execution '{arn}' does not exist")))
    }

    /// DescribeExecution: status, input, output or error and cause, dates.
    pub async fn describe(&self, arn: &str) -> Result<Value, ServiceError> {
        Ok(describe_fields(&self.execution(arn).await?))
    }

    /// The execution's history events (AWS keeps none for Express executions; quickstep does).
    pub async fn history(&self, arn: &str) -> Result<Value, ServiceError> {
        let record = self.execution(arn).await?;
        Ok(json!({"events": record.snapshot.history}))
    }

    /// StopExecution: ends a running execution ABORTED. Stopping an ended one changes nothing.
    pub async fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<Value, ServiceError> {
        let mut record = self.execution(arn).await?;
        if !record.is_terminal() {
            let machine = self
                .machine(&record.state_machine_name, record.revision)
                .await?;
            let expected = record.version();
            execution::step_in_place(
                &machine,
                &mut record.snapshot,
                Event::Stop {
                    failure: Failure { error, cause },
                },
                self.clock.now(),
            );
            sync_status(&mut record);
            self.store
                .put_execution_if_version(&record, expected)
                .await?;
            let version = record.version();
            self.finish(record.clone(), version).await?;
        }
        #[allow(clippy::cast_precision_loss)]
        let stop = record.stop_date.unwrap_or_else(|| self.clock.now()) as f64 / 1000.0;
        Ok(json!({"stopDate": stop}))
    }

    /// A step message that kept failing reached the dead-letter queue: the execution can no
    /// longer advance, so it ends FAILED with `States.Runtime` rather than staying RUNNING.
    pub async fn dead_letter(&self, message: &StepMessage) -> Result<(), ServiceError> {
        let Some(mut record) = self.store.get_execution(&message.execution_arn).await? else {
            return Ok(());
        };
        if record.is_terminal() || record.version() != message.version {
            return Ok(());
        }
        let expected = record.version();
        record.status = "FAILED".into();
        record.error = Some("States.Runtime".into());
        record.cause = Some(
            "quickstep could not carry out a step of this execution: its step message failed repeatedly and was moved to the dead-letter queue."
                .into(),
        );
        record.stop_date = Some(self.clock.now());
        record.pending.clear();
        self.store
            .put_execution_if_version(&record, expected)
            .await?;
        self.finish(record, expected).await
    }
}
