//! What the service tells CloudWatch through its log ([`crate::ports::Telemetry`]): each
//! execution's history events as Step Functions logs them ([`logs`]), and metrics in the
//! Embedded Metric Format ([`metrics`]).
//!
//! An execution's events are written once its record is stored: the record counts the events
//! already logged, in the same conditional write that stores them, so a step that lost a race
//! or a delivery that came twice logs nothing twice; a process that dies between the write and
//! the log loses those lines, as Step Functions' own logs are best-effort.

pub mod logs;
pub mod metrics;

use quickstep_engine::execution::Millis;

use crate::ports::{EventPublisher, PortError, StepQueue, Store};
use crate::records::{ExecutionRecord, StateMachineRecord};
use crate::service::Service;
use logs::LogSettings;
use metrics::Unit;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// The lines to write once `record` is stored: its events not logged yet, as its log
    /// settings want them, and the metrics they make (none without telemetry). Marks them
    /// logged in `record`.
    pub(crate) fn telemetry_of(&self, record: &mut ExecutionRecord) -> Vec<String> {
        let history = &record.snapshot.history;
        // The snapshot holds the events after the stored ones (all of them, in a record
        // written before histories were stored apart): those past the last logged are new.
        let from = history.partition_point(|e| e.id <= record.logged_events);
        let new = &history[from..];
        let Some(last) = new.last().map(|e| e.id) else {
            return Vec::new();
        };
        if self.telemetry.is_none() {
            record.logged_events = last;
            return Vec::new();
        }
        let mut lines: Vec<String> = new
            .iter()
            .filter_map(|event| {
                logs::line(
                    event,
                    &record.arn,
                    record.snapshot.redrive_count,
                    record.log,
                )
            })
            .collect();
        lines.extend(metrics::of_events(
            new,
            &record.state_machine_arn,
            record.start_date,
            record.snapshot.version,
        ));
        record.logged_events = last;
        lines
    }

    /// Writes `lines` to the telemetry port.
    pub(crate) fn emit(&self, lines: &[String]) {
        if let Some(telemetry) = &self.telemetry {
            for line in lines {
                telemetry.write(line);
            }
        }
    }

    /// Counts one `name` of the service's own, under `dimensions` (none: service-wide).
    pub(crate) fn count(&self, name: &str, dimensions: &[(&str, &str)]) {
        let Some(telemetry) = &self.telemetry else {
            return;
        };
        let now: Millis = self.clock.now();
        telemetry.write(&metrics::line(
            now,
            dimensions,
            true,
            &[(name, 1.0, Unit::Count)],
        ));
    }

    /// Writes `record` if its stored version is still `expected`, as the store's conditional
    /// write does; once it is written, its new events are logged ([`Self::telemetry_of`]).
    pub(crate) async fn put_logged(
        &self,
        record: &mut ExecutionRecord,
        expected: u64,
    ) -> Result<(), PortError> {
        let lines = self.telemetry_of(record);
        self.store
            .put_execution_if_version(record, expected)
            .await?;
        self.emit(&lines);
        Ok(())
    }

    /// How executions of `machine` are logged: its `loggingConfiguration`, or the deployment's.
    pub(crate) fn log_settings(&self, machine: &StateMachineRecord) -> LogSettings {
        LogSettings::of(machine.settings.logging.as_ref(), self.config.log)
    }
}

/// The integration a Task resource calls, as the task-invocation metric names it:
/// `lambda:invoke` for `arn:aws:states:::lambda:invoke[.waitForTaskToken]`, `lambda` for a
/// function ARN, `activity` for an activity.
pub fn integration_of(resource: &str) -> &str {
    if let Some(service) = resource.strip_prefix("arn:aws:states:::") {
        return service
            .split_once(".waitForTaskToken")
            .or_else(|| service.split_once(".sync"))
            .map_or(service, |(base, _)| base);
    }
    if resource.contains(":lambda:") {
        "lambda"
    } else if resource.contains(":activity:") {
        "activity"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrations_are_named_by_their_resource() {
        assert_eq!(
            integration_of("arn:aws:states:::lambda:invoke"),
            "lambda:invoke"
        );
        assert_eq!(
            integration_of("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            "sqs:sendMessage"
        );
        assert_eq!(
            integration_of("arn:aws:states:::states:startExecution.sync:2"),
            "states:startExecution"
        );
        assert_eq!(
            integration_of("arn:aws:lambda:us-east-1:1:function:f"),
            "lambda"
        );
        assert_eq!(
            integration_of("arn:aws:states:us-east-1:1:activity:a"),
            "activity"
        );
    }
}
