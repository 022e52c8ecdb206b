//! What the service stores and sends: state machine revisions, execution records, step
//! messages and status-change events.

use quickstep_engine::execution::{Effect, HistoryEvent, Millis, Snapshot, Status};

use crate::telemetry::logs::LogSettings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A time as the Step Functions API writes it: seconds since the epoch, with milliseconds.
#[allow(clippy::cast_precision_loss)]
pub fn epoch_seconds(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// One immutable revision of a state machine's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineRecord {
    pub name: String,
    pub arn: String,
    pub revision: u64,
    pub definition: Value,
    pub created: Millis,
    /// `STANDARD` or `EXPRESS`, as created (revisions stored before types were kept: Express,
    /// as every quickstep execution ran).
    #[serde(rename = "type", default)]
    pub machine_type: MachineType,
    /// A deletion marker: the state machine was deleted at `created`. Its earlier revisions
    /// stay, so executions that started before go on, and a state machine created again
    /// under the name numbers its revisions after this one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Its role, logging and tracing configuration, as the Step Functions API set them.
    #[serde(default, skip_serializing_if = "MachineSettings::is_unset")]
    pub settings: MachineSettings,
}

/// What a state machine keeps beside its definition and type, as the Step Functions API gives
/// them: its `roleArn`, `loggingConfiguration` and `tracingConfiguration` (none: never set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<Value>,
}

impl MachineSettings {
    pub fn is_unset(&self) -> bool {
        self == &Self::default()
    }

    /// These settings over `current`: what these leave unset stays as it is.
    #[must_use]
    pub fn over(&self, current: &Self) -> Self {
        Self {
            role_arn: self.role_arn.clone().or_else(|| current.role_arn.clone()),
            logging: self.logging.clone().or_else(|| current.logging.clone()),
            tracing: self.tracing.clone().or_else(|| current.tracing.clone()),
        }
    }
}

/// What a new revision asks for beside its definition; what it leaves unset stays as the
/// current revision has it (a new state machine is Express, with no settings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Asked {
    pub machine_type: Option<MachineType>,
    pub settings: MachineSettings,
}

impl Asked {
    pub fn of_type(machine_type: MachineType) -> Self {
        Self {
            machine_type: Some(machine_type),
            ..Self::default()
        }
    }
}

/// A state machine's type. Both run the same way in quickstep; the type decides what the
/// Step Functions API allows (StartSyncExecution is for Express ones, as on AWS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MachineType {
    Standard,
    #[default]
    Express,
}

impl MachineType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::Express => "EXPRESS",
        }
    }
}

impl StateMachineRecord {
    /// The type and settings of the next revision after `latest`: what `asked` says, the
    /// rest as the latest one has it (Express, and no settings, for a new state machine).
    pub fn next(latest: Option<&Self>, asked: &Asked) -> (MachineType, MachineSettings) {
        let current = latest.filter(|r| !r.deleted);
        let machine_type = asked
            .machine_type
            .or_else(|| current.map(|r| r.machine_type))
            .unwrap_or_default();
        let settings = match current {
            Some(r) => asked.settings.over(&r.settings),
            None => asked.settings.clone(),
        };
        (machine_type, settings)
    }

    /// When the state machine with these revisions (in order) was created, unless it is
    /// deleted or has none: the first revision after the last deletion.
    pub fn created_since(revisions: &[Self]) -> Option<Millis> {
        if revisions.last().is_none_or(|r| r.deleted) {
            return None;
        }
        let first = revisions
            .iter()
            .rposition(|r| r.deleted)
            .map_or(0, |deleted| deleted + 1);
        Some(revisions[first].created)
    }
}

/// A state machine's tags, with the version their next write is conditional on (0: never
/// tagged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    pub version: u64,
    pub tags: BTreeMap<String, String>,
}

/// A state machine's published versions and its aliases, with the version of this document
/// its next write is conditional on (0: never written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    #[serde(skip)]
    pub version: u64,
    /// The number the last version published got (numbers are never used again).
    pub last_number: u64,
    /// Oldest first.
    pub versions: Vec<Version>,
    /// By name.
    pub aliases: BTreeMap<String, Alias>,
}

/// A published version: an immutable revision of the state machine, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub number: u64,
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created: Millis,
}

/// An alias: a name whose executions run one or two versions, chosen by weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// (version number, weight in percent); the weights add up to 100.
    pub routing: Vec<(u64, u8)>,
    pub created: Millis,
    pub updated: Millis,
}

/// A document written conditionally on its version: a state machine's tags, its versions and
/// aliases.
pub trait Versioned {
    /// The version its next write is conditional on (0: never written).
    fn written(&self) -> u64;
    fn set_written(&mut self, version: u64);
}

impl Versioned for Tags {
    fn written(&self) -> u64 {
        self.version
    }

    fn set_written(&mut self, version: u64) {
        self.version = version;
    }
}

impl Versioned for Published {
    fn written(&self) -> u64 {
        self.version
    }

    fn set_written(&mut self, version: u64) {
        self.version = version;
    }
}

impl Published {
    pub fn version(&self, number: u64) -> Option<&Version> {
        self.versions.iter().find(|v| v.number == number)
    }
}

/// A state machine as ListStateMachines shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineEntry {
    pub name: String,
    pub machine_type: MachineType,
    /// When it was created (the first revision after any deletion).
    pub created: Millis,
}

/// An execution as ListExecutions shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionEntry {
    pub arn: String,
    pub status: String,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// The version it runs and the alias it was started through, if any.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

impl ExecutionEntry {
    pub fn of(record: &ExecutionRecord) -> Self {
        Self {
            arn: record.arn.clone(),
            status: record.status.clone(),
            start_date: record.start_date,
            stop_date: record.stop_date,
            version_arn: record.version_arn.clone(),
            alias_arn: record.alias_arn.clone(),
        }
    }

    /// Where a listing of its state machine's executions (newest first) has this one: the
    /// start date, then the ARN. Also the cursor a page of the listing ends on.
    pub fn listing_key(&self) -> String {
        format!("{:015}#{}", self.start_date.max(0), self.arn)
    }
}

/// An execution: its identity, its outcome once ended, and (asynchronous executions) the
/// snapshot and the effects still to carry out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionRecord {
    pub arn: String,
    pub name: String,
    pub state_machine_name: String,
    pub state_machine_arn: String,
    pub revision: u64,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// The FAILED/TIMED_OUT/ABORTED event has been published (so a retried step does not
    /// publish it twice, and a crash before publishing does not lose it); true from the end
    /// of a SUCCEEDED execution, which has none.
    #[serde(default)]
    pub status_event_sent: bool,
    pub snapshot: Snapshot,
    /// Effects the engine asked for that have not been carried out yet.
    pub pending: Vec<Effect>,
    /// Tasks whose resource was called and that wait for their token (`.waitForTaskToken`).
    #[serde(default)]
    pub callbacks: Vec<Callback>,
    /// Which step message carries out each pending task call, by task id (see
    /// [`crate::worker`]): only that message's steps call it, so an answer or a heartbeat that
    /// rewrites the record never has a call that is already running made again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dispatch: BTreeMap<u64, Dispatch>,
    /// The claim of the commit that wrote this version: its message (and no other of the same
    /// version, such as one a writer that lost a race sent) fires timers and resumes.
    #[serde(default)]
    pub claim: u64,
    /// How deep in a chain of `startExecution` tasks this execution was started (0: by a
    /// client), so that a workflow that starts itself ends instead of fanning out forever.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u32,
    /// The version it runs, when it was started through a version or an alias ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_arn: Option<String>,
    /// The alias it was started through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_arn: Option<String>,
    /// The `clientToken`s of the last redrives (see [`crate::redrive`]), so that a retried
    /// RedriveExecution answers as the first did instead of redriving again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redrive_tokens: Vec<RedriveToken>,
    /// How its events are logged: its state machine's `loggingConfiguration` when it started,
    /// or the deployment's default.
    #[serde(default, skip_serializing_if = "LogSettings::is_off")]
    pub log: LogSettings,
    /// The id of the last history event logged (see [`crate::telemetry`]).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub logged_events: u64,
    /// The history events the store keeps apart from the record (see [`StoredHistory`]).
    #[serde(default, skip_serializing_if = "StoredHistory::is_empty")]
    pub stored_history: StoredHistory,
}

/// The history events a store keeps apart from the record, so that a step writes its own
/// events and not the whole history again: the snapshot in a record read from the store
/// holds only the events after these (those the store chose to keep in the record), and
/// [`crate::ports::Store::get_execution_with_history`] reads them all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredHistory {
    /// The id of the last event stored apart (0: none).
    pub events: u64,
    /// The store's key for the last batch of them (a store that chains its batches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<String>,
}

impl StoredHistory {
    pub fn is_empty(&self) -> bool {
        self.events == 0 && self.tail.is_none()
    }
}

/// The events a write stores apart from its record, as [`ExecutionRecord::take_new_events`]
/// took them out of it (none: the write keeps them in the record).
#[derive(Debug)]
pub struct NewEvents {
    /// Oldest first.
    pub events: Vec<HistoryEvent>,
    /// Where the stored events ended before (a chain's previous batch).
    pub previous: StoredHistory,
}

/// A RedriveExecution `clientToken` that redrove an execution, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedriveToken {
    pub token: String,
    pub at: Millis,
}

/// Who carries out a pending task call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The claim of the step message that calls it ([`StepMessage::claim`]; 0: none yet).
    pub owner: u64,
    /// How many steps called it and ran out of time before it answered.
    pub abandoned: u32,
}

/// A task that waits for `SendTaskSuccess` or `SendTaskFailure` with its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub task: u64,
    pub token: String,
}

impl ExecutionRecord {
    /// The optimistic-concurrency token: the snapshot's version.
    pub fn version(&self) -> u64 {
        self.snapshot.version
    }

    pub fn is_terminal(&self) -> bool {
        self.status != "RUNNING"
    }

    /// Takes the history out of the snapshot for a write that stores it apart: returns the
    /// events not stored yet, and points [`Self::stored_history`] past them, at the batch
    /// `tail` (kept as it was if `tail` is `None`). If there are none, nothing changes but the
    /// history is emptied. Should the write fail, [`Self::put_back`] undoes this.
    pub fn take_new_events(&mut self, tail: Option<String>) -> NewEvents {
        self.drop_stored_events();
        let previous = self.stored_history.clone();
        let events = std::mem::take(&mut self.snapshot.history);
        if let Some(last) = events.last() {
            self.stored_history.events = last.id;
            if tail.is_some() {
                self.stored_history.tail = tail;
            }
        }
        NewEvents { events, previous }
    }

    /// Makes the record as it was before [`Self::take_new_events`] (but for the events that
    /// were stored before, which it no longer holds): the events taken go back before those
    /// it holds.
    pub fn put_back(&mut self, taken: NewEvents) {
        self.prepend_events(taken.events);
        self.stored_history = taken.previous;
    }

    /// What a write that keeps the record's new events in it takes out: nothing.
    pub fn keep_events(&self) -> NewEvents {
        NewEvents {
            events: Vec::new(),
            previous: self.stored_history.clone(),
        }
    }

    /// Puts `earlier` events (the stored history, read back) before those the record holds.
    pub fn prepend_events(&mut self, earlier: Vec<HistoryEvent>) {
        let own = std::mem::replace(&mut self.snapshot.history, earlier);
        self.snapshot.history.extend(own);
    }

    /// Drops the history events that are stored apart already (a record read with its whole
    /// history holds them): what is left is what a write has to store.
    pub fn drop_stored_events(&mut self) {
        let stored = self.stored_history.events;
        self.snapshot.history.retain(|e| e.id > stored);
    }
}

/// A message on the step queue: continue execution `execution_arn` from snapshot `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMessage {
    pub execution_arn: String,
    pub version: u64,
    /// How often the message was sent again because it arrived before the write of its version
    /// could be read (SQS may deliver a message before the write that follows its send).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub early: u32,
    /// The claim of the commit that sent it: the pending calls whose [`Dispatch::owner`] is
    /// this are the message's to make. Unique per commit attempt, since two writers racing
    /// from the same version write the same version number.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub claim: u64,
}

impl StepMessage {
    /// The message that continues `execution_arn` from `version`.
    pub fn new(execution_arn: &str, version: u64) -> Self {
        Self {
            execution_arn: execution_arn.to_owned(),
            version,
            early: 0,
            claim: 0,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// The detail of an `Execution Status Change` event, with the fields AWS's Step Functions
/// status-change event has. Like AWS's, it leaves out the input (`inputDetails.included:
/// false`, `input: null`) when the escaped input and output together pass 248 KiB, and the
/// output when it alone does, so that the event always fits EventBridge's 256 KB entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: String,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub input: Option<String>,
    pub input_details: DataDetails,
    pub output: Option<String>,
    pub output_details: DataDetails,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// Whether the input or output is in the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataDetails {
    pub included: bool,
}

/// Step Functions' threshold for data in a status-change event.
pub const EVENT_DATA_LIMIT_BYTES: usize = 248 * 1024;
/// The longest cause kept in a status-change event (a Fail state's `Cause` holds as much).
pub const EVENT_CAUSE_LIMIT_CHARS: usize = 32_768;

impl StatusChange {
    pub fn of(record: &ExecutionRecord) -> Self {
        let input = record.input.to_string();
        let output = record.output.as_ref().map(Value::to_string);
        let escaped = |text: &str| serde_json::to_string(text).map_or(usize::MAX, |e| e.len());
        let output_size = output.as_deref().map_or(0, escaped);
        let output_included = output_size <= EVENT_DATA_LIMIT_BYTES;
        let kept_output = if output_included { output_size } else { 0 };
        let input_included = escaped(&input).saturating_add(kept_output) <= EVENT_DATA_LIMIT_BYTES;
        let cause = record
            .cause
            .as_ref()
            .map(|c| c.chars().take(EVENT_CAUSE_LIMIT_CHARS).collect::<String>());
        let mut event = Self {
            execution_arn: record.arn.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            name: record.name.clone(),
            status: record.status.clone(),
            start_date: record.start_date,
            stop_date: record.stop_date,
            input: input_included.then_some(input),
            input_details: DataDetails {
                included: input_included,
            },
            output: output.filter(|_| output_included),
            output_details: DataDetails {
                included: output_included,
            },
            error: record.error.clone(),
            cause,
        };
        // Data under the threshold and a long cause can still pass the entry limit together:
        // the data goes first.
        if event.size() > EVENT_ENTRY_BUDGET_BYTES {
            event.input = None;
            event.input_details.included = false;
        }
        if event.size() > EVENT_ENTRY_BUDGET_BYTES {
            event.output = None;
            event.output_details.included = false;
        }
        event
    }

    /// The detail's size as JSON.
    pub fn size(&self) -> usize {
        serde_json::to_string(self).map_or(usize::MAX, |s| s.len())
    }
}

/// EventBridge's entry limit (256 KB) less room for the source, detail type and resources.
pub const EVENT_ENTRY_BUDGET_BYTES: usize = 256 * 1024 - 4 * 1024;

/// The event source and detail type of failure events.
pub const EVENT_SOURCE: &str = "quickstep";
pub const EVENT_DETAIL_TYPE: &str = "Execution Status Change";

/// An execution name as StartExecution accepts it: 1 to 80 characters, none of them
/// whitespace, a control character, or one of `< > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /`.
pub fn valid_execution_name(name: &str) -> bool {
    (1..=80).contains(&name.chars().count())
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c))
}

/// A record for an execution whose snapshot is `snapshot`, with `pending` effects to carry out.
pub(crate) fn record_of(
    machine: &StateMachineRecord,
    snapshot: Snapshot,
    pending: Vec<Effect>,
    log: LogSettings,
) -> ExecutionRecord {
    let info = &snapshot.execution;
    let mut record = ExecutionRecord {
        arn: info.execution_arn.clone(),
        name: info.name.clone(),
        state_machine_name: machine.name.clone(),
        state_machine_arn: machine.arn.clone(),
        revision: machine.revision,
        status: "RUNNING".into(),
        input: (*info.input).clone(),
        output: None,
        error: None,
        cause: None,
        start_date: info.start_time,
        stop_date: None,
        status_event_sent: false,
        snapshot,
        pending,
        callbacks: Vec::new(),
        dispatch: std::collections::BTreeMap::new(),
        claim: 0,
        depth: 0,
        version_arn: None,
        alias_arn: None,
        redrive_tokens: Vec::new(),
        log,
        logged_events: 0,
        stored_history: StoredHistory::default(),
    };
    sync_status(&mut record);
    record
}

/// Copies the snapshot's status into the record's summary fields, and drops the callbacks and
/// timers the snapshot no longer waits for.
pub(crate) fn sync_status(record: &mut ExecutionRecord) {
    let status = record.snapshot.status.clone();
    record.status = status.name().to_owned();
    match status {
        // Running (also again, after a redrive): nothing of an end stays on the record.
        Status::Running => {
            record.output = None;
            record.error = None;
            record.cause = None;
            record.stop_date = None;
            record.status_event_sent = false;
        }
        Status::Succeeded { output } => {
            record.output = Some(output);
            // No status-change event for a success: none to publish, so the end's own write
            // says so, and no second write marks it published.
            record.status_event_sent = true;
        }
        Status::Failed { failure } | Status::TimedOut { failure } | Status::Aborted { failure } => {
            record.error = failure.error;
            record.cause = failure.cause;
        }
    }
    if record.status != "RUNNING" {
        record.stop_date = record.snapshot.stop_time();
        record.pending.clear();
    }
    // What the execution no longer waits for: callbacks and calls of tasks that ended (timed
    // out, or the execution did), timers that were cancelled or restarted.
    let ExecutionRecord {
        snapshot,
        callbacks,
        pending,
        dispatch,
        ..
    } = record;
    callbacks.retain(|c| snapshot.awaits(c.task));
    pending.retain(|effect| match effect {
        Effect::StartTimer { timer, .. } => snapshot.awaits(*timer),
        Effect::Invoke(request) => snapshot.awaits(request.task),
        _ => true,
    });
    dispatch.retain(|task, _| {
        pending
            .iter()
            .any(|effect| matches!(effect, Effect::Invoke(r) if r.task == *task))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickstep_engine::definition::StateMachine;
    use quickstep_engine::execution::{start, ExecutionInfo, Options};
    use serde_json::json;

    fn failed(input: Value, cause: &str) -> ExecutionRecord {
        let machine = StateMachine::from_json(&json!({
            "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}
        }))
        .unwrap();
        let info = ExecutionInfo::local("M", "e", input.clone(), 0);
        let (snapshot, _) = start(&machine, info, Options::default(), 1, 0);
        ExecutionRecord {
            arn: "arn:e".into(),
            name: "e".into(),
            state_machine_name: "M".into(),
            state_machine_arn: "arn:m".into(),
            revision: 1,
            status: "FAILED".into(),
            input,
            output: None,
            error: Some("E".into()),
            cause: Some(cause.into()),
            start_date: 0,
            stop_date: Some(1),
            status_event_sent: false,
            snapshot,
            pending: Vec::new(),
            callbacks: Vec::new(),
            dispatch: BTreeMap::new(),
            claim: 0,
            depth: 0,
            version_arn: None,
            alias_arn: None,
            redrive_tokens: Vec::new(),
            log: LogSettings::default(),
            logged_events: 0,
            stored_history: StoredHistory::default(),
        }
    }

    #[test]
    fn a_small_event_carries_its_input() {
        let event = StatusChange::of(&failed(json!({"a": 1}), "why"));
        assert_eq!(event.input.as_deref(), Some(r#"{"a":1}"#));
        assert!(event.input_details.included);
        assert_eq!(event.cause.as_deref(), Some("why"));
        let detail = serde_json::to_value(&event).unwrap();
        assert_eq!(detail["inputDetails"], json!({"included": true}));
    }

    #[test]
    fn data_over_the_threshold_is_left_out_as_aws_leaves_it_out() {
        // Quotes escape to two bytes: 130 KiB of them is 260 KiB escaped.
        let input = json!({"q": "\"".repeat(130 * 1024)});
        let event = StatusChange::of(&failed(input, "why"));
        assert_eq!(event.input, None);
        assert!(!event.input_details.included);
        assert!(event.size() <= EVENT_ENTRY_BUDGET_BYTES);
    }

    #[test]
    fn a_long_cause_is_cut_and_the_event_still_fits() {
        let input = json!({"blob": "x".repeat(240 * 1024)});
        let event = StatusChange::of(&failed(input, &"c".repeat(100_000)));
        assert_eq!(
            event.cause.as_ref().map(|c| c.chars().count()),
            Some(EVENT_CAUSE_LIMIT_CHARS)
        );
        assert!(event.size() <= EVENT_ENTRY_BUDGET_BYTES, "{}", event.size());
        assert!(!event.input_details.included);
    }
}
