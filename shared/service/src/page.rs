//! The page of a stored execution (`GET /executions/{arn}/graph`): its state machine's graph,
//! coloured by what the execution did, its events, and each state's data on a click. A
//! deployed quickstep is its own console.

use quickstep_graph::{render, Execution, Format};
use serde_json::json;

use crate::error::ServiceError;
use crate::ports::{EventPublisher, PortError, StepQueue, Store};
use crate::service::Service;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// The HTML page of execution `arn`.
    pub async fn page(&self, arn: &str) -> Result<String, ServiceError> {
        let record = self.execution_with_history(arn).await?;
        let machine = self
            .store
            .get_revision(&record.state_machine_name, record.revision)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "revision {} of state machine '{}' does not exist",
                    record.revision, record.state_machine_name
                ))
            })?;
        let history = json!({"status": record.status, "events": record.snapshot.history});
        // A stored history or definition that cannot be drawn is the service's fault.
        let broken = |why: String| ServiceError::Port(PortError::Terminal(format!("{arn}: {why}")));
        let execution = Execution::from_history(&history).map_err(broken)?;
        let title = format!("{} · {}", record.state_machine_name, record.name);
        render(&machine.definition, &title, Some(&execution), Format::Html)
            .map_err(|e| broken(e.to_string()))
    }
}
