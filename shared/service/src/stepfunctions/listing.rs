//! The operations that list, delete and look back: ListStateMachines, DeleteStateMachine,
//! ListExecutions and DescribeStateMachineForExecution.
//!
//! Step Functions lists executions of Standard state machines only; quickstep keeps every
//! asynchronous execution's record, so it lists them for either type (synchronous executions
//! are not stored, as on AWS).

use serde_json::{json, Value};

use super::arns;
use super::fault::Fault;
use super::paging::{invalid_token, Cursor};
use super::request::{optional_text, required_text};
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::{epoch_seconds as seconds, ExecutionEntry};
use crate::service::Service;

const MACHINE_MISSING: &str = "StateMachineDoesNotExist";
const EXECUTION_MISSING: &str = "ExecutionDoesNotExist";

/// The statuses ListExecutions filters by.
const STATUSES: &[&str] = &[
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    pub(super) async fn list_state_machines(&self, request: &Value) -> Result<Value, Fault> {
        let cursor = Cursor::of(request)?;
        let listing = self
            .store
            .list_state_machines(cursor.after.as_deref(), cursor.size)
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?;
        let machines: Vec<Value> = listing
            .items
            .iter()
            .map(|m| {
                json!({
                    "stateMachineArn": self.config.state_machine_arn(&m.name),
                    "name": m.name,
                    "type": m.machine_type.as_str(),
                    "creationDate": seconds(m.created),
                })
            })
            .collect();
        Ok(with_token(
            json!({"stateMachines": machines}),
            listing.next.as_deref(),
        ))
    }

    pub(super) async fn delete_state_machine(&self, request: &Value) -> Result<Value, Fault> {
        let arn = required_text(request, "stateMachineArn")?;
        let name = arns::state_machine_name(arn)?;
        // As Step Functions: deleting one that does not exist succeeds; executions that run
        // it go on to their end.
        self.store
            .delete_state_machine(name, &self.config.state_machine_arn(name), self.clock.now())
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?;
        self.forget_current(name);
        Ok(json!({}))
    }

    pub(super) async fn list_executions(&self, request: &Value) -> Result<Value, Fault> {
        if optional_text(request, "mapRunArn")?.is_some() {
            return Err(Fault::validation(
                "quickstep runs Map states inline; it has no Map Runs to list (mapRunArn)",
            ));
        }
        let Some(arn) = optional_text(request, "stateMachineArn")? else {
            return Err(Fault::validation(
                "Must provide a StateMachine ARN or MapRun ARN",
            ));
        };
        // Of a version or an alias: the executions that ran it or were started through it.
        let (machine, qualifier) = arns::state_machine(&arn)?;
        let qualified = qualifier.is_some().then(|| arn.clone());
        let status = optional_text(request, "statusFilter")?;
        if let Some(status) = status.as_deref().filter(|s| !STATUSES.contains(s)) {
            return Err(Fault::validation(format!(
                "1 validation error detected: Value '{status}' at 'statusFilter' failed to \
                 satisfy constraint: Member must satisfy enum value set: [{}]",
                STATUSES.join(", ")
            )));
        }
        let cursor = Cursor::of(request)?;
        if let Some(after) = cursor.after.as_deref() {
            if !is_execution_cursor(after) {
                return Err(invalid_token(after));
            }
        }
        // Executions of a deleted state machine stay describable, but it has no list.
        self.get_state_machine(machine)
            .await
            .map_err(|e| Fault::from_service(e, MACHINE_MISSING))?;
        let listing = self
            .store
            .list_executions(
                machine,
                status.as_deref(),
                cursor.after.as_deref(),
                cursor.size,
            )
            .await
            .map_err(|e| Fault::from_service(e.into(), MACHINE_MISSING))?;
        let state_machine_arn = self.config.state_machine_arn(machine);
        // A page of a version's or an alias's executions is the page of the state machine's
        // that holds them: it may hold fewer than maxResults, and the next page still follows.
        let executions: Vec<Value> = listing
            .items
            .iter()
            .filter(|e| {
                qualified.as_ref().is_none_or(|arn| {
                    e.version_arn.as_ref() == Some(arn) || e.alias_arn.as_ref() == Some(arn)
                })
            })
            .map(|e| summary(e, &state_machine_arn))
            .collect();
        Ok(with_token(
            json!({"executions": executions}),
            listing.next.as_deref(),
        ))
    }

    pub(super) async fn describe_state_machine_for_execution(
        &self,
        request: &Value,
    ) -> Result<Value, Fault> {
        let arn = arns::execution(required_text(request, "executionArn")?)?;
        let record = self
            .execution(arn)
            .await
            .map_err(|e| Fault::from_service(e, EXECUTION_MISSING))?;
        let machine = self
            .store
            .get_revision(&record.state_machine_name, record.revision)
            .await
            .map_err(|e| Fault::from_service(e.into(), EXECUTION_MISSING))?
            .ok_or_else(|| {
                Fault::client(
                    EXECUTION_MISSING,
                    format!("Execution Does Not Exist: '{arn}' (its state machine is gone)"),
                )
            })?;
        Ok(json!({
            "stateMachineArn": record.state_machine_arn,
            "name": record.state_machine_name,
            "definition": machine.definition.to_string(),
            "roleArn": format!("arn:aws:iam::{}:role/quickstep", self.config.account),
            "updateDate": seconds(machine.created),
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
            "revisionId": machine.revision.to_string(),
        }))
    }
}

/// An execution as ListExecutions shows it.
fn summary(entry: &ExecutionEntry, state_machine_arn: &str) -> Value {
    let mut summary = json!({
        "executionArn": entry.arn,
        "stateMachineArn": state_machine_arn,
        "name": arns::execution_name(&entry.arn).unwrap_or_default(),
        "status": entry.status,
        "startDate": seconds(entry.start_date),
    });
    if let Some(stop) = entry.stop_date {
        summary["stopDate"] = json!(seconds(stop));
    }
    if let Some(version) = &entry.version_arn {
        summary["stateMachineVersionArn"] = json!(version);
    }
    if let Some(alias) = &entry.alias_arn {
        summary["stateMachineAliasArn"] = json!(alias);
    }
    summary
}

/// A cursor of a list of executions: `<start date, 15 digits>#<execution ARN>`.
fn is_execution_cursor(cursor: &str) -> bool {
    cursor.split_once('#').is_some_and(|(start, arn)| {
        start.len() == 15
            && start.bytes().all(|b| b.is_ascii_digit())
            && arns::execution(arn).is_ok()
    })
}

fn with_token(mut body: Value, next: Option<&str>) -> Value {
    if let Some(token) = Cursor::token(next) {
        body["nextToken"] = json!(token);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_cursors_are_checked() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:order:run-1";
        assert!(is_execution_cursor(&format!("000001700000000#{arn}")));
        assert!(!is_execution_cursor(&format!("1700000000#{arn}")));
        assert!(!is_execution_cursor("000001700000000#order"));
        assert!(!is_execution_cursor("order"));
    }
}
