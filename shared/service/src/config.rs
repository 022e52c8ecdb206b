//! Configuration, read once at cold start.

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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            payload_limit_bytes: 256 * 1024,
            max_rounds_per_step: 25,
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
    /// Reads `AWS_REGION`, `QUICKSTEP_ACCOUNT_ID`, `QUICKSTEP_PAYLOAD_LIMIT_BYTES` and
    /// `QUICKSTEP_MAX_ROUNDS_PER_STEP` from `vars` (the process environment at cold start),
    /// defaulting what is absent.
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
            region: vars.get("AWS_REGION").cloned().unwrap_or(defaults.region),
            account: vars
                .get("QUICKSTEP_ACCOUNT_ID")
                .cloned()
                .unwrap_or(defaults.account),
            payload_limit_bytes: number(
                "QUICKSTEP_PAYLOAD_LIMIT_BYTES",
                defaults.payload_limit_bytes,
            )?,
            max_rounds_per_step: u32::try_from(number(
                "QUICKSTEP_MAX_ROUNDS_PER_STEP",
                defaults.max_rounds_per_step as usize,
            )?)
            .unwrap_or(u32::MAX),
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
