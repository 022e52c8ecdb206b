//! RedriveExecution: an asynchronous execution that ended FAILED, TIMED_OUT or ABORTED starts
//! again in the top-level state it ended in, with that state's input and its variables, as
//! Step Functions redrives Standard workflows (Express ones cannot be redriven on AWS; every
//! stored quickstep execution can). A Parallel or Map state that failed runs again as a
//! whole, where Step Functions re-runs only its unsuccessful branches or iterations.
//!
//! The engine writes the redrive (an `ExecutionRedriven` event), so the history, the snapshot
//! and the record agree; the record is written conditionally on the version it was read at,
//! with its continuation message, as every step is.

use quickstep_engine::execution::{self, Millis};
use serde_json::{json, Value};

use crate::commit::pending_of;
use crate::error::ServiceError;
use crate::ports::{EventPublisher, StepQueue, Store};
use crate::records::sync_status;
use crate::records::{epoch_seconds, ExecutionRecord, RedriveToken};
use crate::service::Service;

/// How long after it ended an execution can be redriven, as on Step Functions: 14 days.
pub const REDRIVE_WINDOW_MS: Millis = 14 * 24 * 3600 * 1000;
/// How often one execution can be redriven, as on Step Functions.
pub const MAX_REDRIVES: u32 = 1000;
/// How many `clientToken`s an execution keeps, and for how long after their first use, as on
/// Step Functions: "idempotent responses for the last 10 client tokens used to successfully
/// redrive the execution", "valid for up to 15 minutes after they are first used".
pub const REDRIVE_TOKENS: usize = 10;
pub const REDRIVE_TOKEN_MS: Millis = 15 * 60 * 1000;

impl<S: Store, Q: StepQueue, P: EventPublisher> Service<S, Q, P> {
    /// Redrives execution `arn`; answers RedriveExecution's response. A `client_token` that
    /// redrove it within [`REDRIVE_TOKEN_MS`] answers that redrive's date again and changes
    /// nothing, whatever the execution has done since.
    pub async fn redrive(
        &self,
        arn: &str,
        client_token: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let mut record = self.execution(arn).await?;
        let now = self.clock.now();
        if let Some(earlier) = client_token.and_then(|token| {
            record
                .redrive_tokens
                .iter()
                .find(|t| t.token == token && now - t.at <= REDRIVE_TOKEN_MS)
        }) {
            return Ok(json!({"redriveDate": epoch_seconds(earlier.at)}));
        }
        if let Some(why) = not_redrivable(&record, now) {
            return Err(ServiceError::Refused {
                name: "ExecutionNotRedrivable",
                message: format!("Execution is not redrivable: '{arn}'. {why}"),
            });
        }
        let machine = self
            .machine(&record.state_machine_name, record.revision)
            .await?;
        let expected = record.version();
        let effects = execution::redrive(&machine, &mut record.snapshot, now).map_err(|why| {
            ServiceError::Refused {
                name: "ExecutionNotRedrivable",
                message: format!("Execution is not redrivable: '{arn}': {why}"),
            }
        })?;
        record.pending = pending_of(effects);
        if let Some(token) = client_token {
            record
                .redrive_tokens
                .retain(|t| now - t.at <= REDRIVE_TOKEN_MS);
            record.redrive_tokens.push(RedriveToken {
                token: token.to_owned(),
                at: now,
            });
            let extra = record.redrive_tokens.len().saturating_sub(REDRIVE_TOKENS);
            record.redrive_tokens.drain(..extra);
        }
        // Clears the end fields, and the callbacks and dispatches of the tasks that ended.
        sync_status(&mut record);
        self.send_continuation(&mut record, now).await?;
        // Conflict: the execution changed since it was read (another redrive); the caller
        // may try again.
        self.put_logged(&mut record, expected).await?;
        if record.is_terminal() {
            // Redriven into a state that ended it again at once: its event goes out as usual.
            self.finish(record).await?;
        }
        Ok(json!({"redriveDate": epoch_seconds(now)}))
    }
}

/// Why `record` cannot be redriven at `now`, if it cannot, in Step Functions' words.
pub fn not_redrivable(record: &ExecutionRecord, now: Millis) -> Option<String> {
    let snapshot = &record.snapshot;
    if !snapshot.redrivable() {
        return Some(match record.status.as_str() {
            "RUNNING" | "SUCCEEDED" => {
                format!("Execution is {} and cannot be redriven.", record.status)
            }
            _ => "Execution ended before it entered a state and cannot be redriven.".to_owned(),
        });
    }
    if snapshot.history_limit_reached().is_some() {
        return Some("Execution history event limit exceeded.".to_owned());
    }
    if snapshot.redrive_count >= MAX_REDRIVES {
        return Some(format!("Execution was redriven {MAX_REDRIVES} times."));
    }
    if record
        .stop_date
        .is_some_and(|stop| now - stop > REDRIVE_WINDOW_MS)
    {
        return Some("Execution redrivable period exceeded.".to_owned());
    }
    None
}

/// When the execution was last redriven, if it was (a snapshot written before it kept the
/// time: its `ExecutionRedriven` event, if the record holds it).
pub fn redrive_date(record: &ExecutionRecord) -> Option<Millis> {
    record.snapshot.redrive_time.or_else(|| {
        record
            .snapshot
            .history
            .iter()
            .rev()
            .find(|e| e.kind == "ExecutionRedriven")
            .map(|e| e.timestamp)
    })
}
