//! Configuration, read once at cold start.

use crate::telemetry::logs::{LogLevel, LogSettings};
use std::collections::HashMap;

/// What the functions need to know about their deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub region: String,
    pub account: String,
    /// The largest execution input, and state data, in bytes (AWS: 256 KiB).
    pub payload_limit_bytes: usize,
    /// Rounds of task calls and timers one worker invocation carries out before it stores the
    /// snapshot and hands over to the next step message.
    pub max_rounds_per_step: u32,
    /// The deployment's cap on how long an execution may run, in seconds (the earlier of this
    /// and a definition's `TimeoutSeconds` applies); `None`: only the definition's.
    pub execution_timeout_seconds: Option<u64>,
    /// How long before its invocation's deadline a worker stops starting work and hands over
    /// to the next step message, in ms (the time to write the record and send the message).
    pub step_margin_ms: i64,
    /// How many worker invocations may run out of time on one task call before it fails with
    /// `States.Timeout`.
    pub max_task_dispatches: u32,
    /// How many times a step message that came before its record's write is sent again (with
    /// delays of 1, 2, 4, ... seconds) before it is taken as never to be written.
    pub max_early_resends: u32,
    /// How long, in ms, an asynchronous start runs its execution before it answers
    /// (`QUICKSTEP_START_INLINE_MS`; 0, the default: none, as Step Functions answers at once).
    /// Within it, the start makes the execution's task calls and applies their outcomes as a
    /// worker step would, waiting for a call still running when it passes until the
    /// invocation's deadline (less [`Self::sync_margin_ms`]); it then stores the record once.
    /// An execution that ends within it costs one write and no step message, worker
    /// invocation or further read; one that does not goes on in the worker as any other.
    /// Starts of a named execution read first whether the name is taken, so that a repeated
    /// start never calls its tasks again; executions started by a `startExecution` task never
    /// run inline (their parent's step would wait for them).
    pub start_inline_ms: i64,
    /// How long before its invocation's deadline a synchronous execution is ended TIMED_OUT,
    /// in ms, so that the caller gets the answer rather than Lambda's timeout.
    pub sync_margin_ms: i64,
    /// How many checked state machine revisions a process keeps.
    pub max_cached_machines: usize,
    /// How long, in ms, a process starts executions of the current revision it last read
    /// without reading it again (0: every start reads it). Step Functions' own updates are
    /// eventually consistent: starts within a few seconds of an update may run the previous
    /// definition. A process that updates a state machine itself starts the new one at once.
    pub current_revision_ms: i64,
    /// The most history events an execution may have before it fails with `States.Runtime`
    /// (Step Functions' quota: 25,000).
    pub max_history_events: u64,
    /// How deep `startExecution` tasks may nest (a child of a child ...) before the start fails
    /// with `StepFunctions.ExecutionLimitExceededException`.
    pub max_nesting_depth: u32,
    /// How executions of a state machine without a `loggingConfiguration` level are logged
    /// (`QUICKSTEP_LOG_LEVEL`: OFF, FATAL, ERROR or ALL; `QUICKSTEP_LOG_INCLUDE_EXECUTION_DATA`).
    pub log: LogSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            payload_limit_bytes: 256 * 1024,
            max_rounds_per_step: 25,
            execution_timeout_seconds: None,
            step_margin_ms: 10_000,
            max_task_dispatches: 3,
            max_early_resends: 8,
            start_inline_ms: 0,
            sync_margin_ms: 1_500,
            max_cached_machines: 256,
            current_revision_ms: 2_000,
            max_history_events: 25_000,
            max_nesting_depth: 10,
            log: LogSettings::default(),
        }
    }
}

/// A configuration variable that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads `AWS_REGION` and the `QUICKSTEP_*` variables the fields name from `vars` (the
    /// process environment at cold start), defaulting what is absent.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let number = |name: &str, default: usize| -> Result<usize, ConfigError> {
            match vars.get(name) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| ConfigError {
                    name: name.into(),
                    value: v.clone(),
                    reason: "expected a whole number".into(),
                }),
            }
        };
        Ok(Self {
            region: vars
                .get("AWS_REGION")
                .cloned()
                .unwrap_or_else(|| defaults.region.clone()),
            account: vars
                .get("QUICKSTEP_ACCOUNT_ID")
                .cloned()
                .unwrap_or_else(|| defaults.account.clone()),
            payload_limit_bytes: number(
                "QUICKSTEP_PAYLOAD_LIMIT_BYTES",
                defaults.payload_limit_bytes,
            )?,
            max_rounds_per_step: u32::try_from(number(
                "QUICKSTEP_MAX_ROUNDS_PER_STEP",
                defaults.max_rounds_per_step as usize,
            )?)
            .unwrap_or(u32::MAX),
            execution_timeout_seconds: match vars.get("QUICKSTEP_EXECUTION_TIMEOUT_SECONDS") {
                None => None,
                Some(v) => Some(
                    v.parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| ConfigError {
                            name: "QUICKSTEP_EXECUTION_TIMEOUT_SECONDS".into(),
                            value: v.clone(),
                            reason: "expected a whole number of seconds, at least 1".into(),
                        })?,
                ),
            },
            step_margin_ms: i64::try_from(number(
                "QUICKSTEP_STEP_MARGIN_MS",
                usize::try_from(defaults.step_margin_ms).unwrap_or(0),
            )?)
            .unwrap_or(i64::MAX),
            start_inline_ms: i64::try_from(number(
                "QUICKSTEP_START_INLINE_MS",
                usize::try_from(defaults.start_inline_ms).unwrap_or(0),
            )?)
            .unwrap_or(i64::MAX),
            current_revision_ms: i64::try_from(number(
                "QUICKSTEP_CURRENT_REVISION_MS",
                usize::try_from(defaults.current_revision_ms).unwrap_or(0),
            )?)
            .unwrap_or(i64::MAX),
            max_history_events: number(
                "QUICKSTEP_MAX_HISTORY_EVENTS",
                usize::try_from(defaults.max_history_events).unwrap_or(usize::MAX),
            )? as u64,
            max_nesting_depth: u32::try_from(number(
                "QUICKSTEP_MAX_NESTING_DEPTH",
                defaults.max_nesting_depth as usize,
            )?)
            .unwrap_or(u32::MAX),
            log: LogSettings {
                level: match vars.get("QUICKSTEP_LOG_LEVEL") {
                    None => defaults.log.level,
                    Some(v) => LogLevel::parse(v).ok_or_else(|| ConfigError {
                        name: "QUICKSTEP_LOG_LEVEL".into(),
                        value: v.clone(),
                        reason: "expected OFF, FATAL, ERROR or ALL".into(),
                    })?,
                },
                include_data: match vars.get("QUICKSTEP_LOG_INCLUDE_EXECUTION_DATA") {
                    None => defaults.log.include_data,
                    Some(v) => v.parse().map_err(|_| ConfigError {
                        name: "QUICKSTEP_LOG_INCLUDE_EXECUTION_DATA".into(),
                        value: v.clone(),
                        reason: "expected true or false".into(),
                    })?,
                },
            },
            ..defaults
        })
    }

    pub fn state_machine_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.region, self.account
        )
    }

    /// Express-style execution ARNs, as AWS names Express executions.
    pub fn execution_arn(&self, machine: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:express:{machine}:{name}",
            self.region, self.account
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn absent_variables_take_the_defaults() {
        assert_eq!(Config::from_vars(&vars(&[])), Ok(Config::default()));
    }

    #[test]
    fn every_variable_is_read() {
        let config = Config::from_vars(&vars(&[
            ("AWS_REGION", "eu-west-1"),
            ("QUICKSTEP_ACCOUNT_ID", "111122223333"),
            ("QUICKSTEP_PAYLOAD_LIMIT_BYTES", "1024"),
            ("QUICKSTEP_MAX_ROUNDS_PER_STEP", "3"),
            ("QUICKSTEP_EXECUTION_TIMEOUT_SECONDS", "300"),
            ("QUICKSTEP_START_INLINE_MS", "750"),
        ]))
        .unwrap();
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(config.account, "111122223333");
        assert_eq!(config.payload_limit_bytes, 1024);
        assert_eq!(config.max_rounds_per_step, 3);
        assert_eq!(config.execution_timeout_seconds, Some(300));
        assert_eq!(config.start_inline_ms, 750);
    }

    #[test]
    fn an_unusable_value_is_named() {
        for (name, value) in [
            ("QUICKSTEP_PAYLOAD_LIMIT_BYTES", "lots"),
            ("QUICKSTEP_EXECUTION_TIMEOUT_SECONDS", "0"),
            ("QUICKSTEP_EXECUTION_TIMEOUT_SECONDS", "-5"),
            ("QUICKSTEP_START_INLINE_MS", "-1"),
        ] {
            let e = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
            assert_eq!((e.name.as_str(), e.value.as_str()), (name, value));
        }
    }
}
