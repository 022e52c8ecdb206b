//! `Retry` and `Catch`: which errors they match, and retry back-off.

use serde::{Deserialize, Serialize};

use super::{PathField, StateId};
use crate::failure::names;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Jitter {
    Full,
    None,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

impl Retrier {
    /// The wait before retry number `retries_so_far + 1` of this retrier, in milliseconds.
    /// `unit_random` in [0, 1) is used only with `JitterStrategy: FULL`.
    pub fn delay_ms(&self, retries_so_far: u32, unit_random: f64) -> u64 {
        let exponent = i32::try_from(retries_so_far).unwrap_or(i32::MAX);
        #[allow(clippy::cast_precision_loss)]
        let mut seconds = self.interval_seconds as f64 * self.backoff_rate.powi(exponent);
        if let Some(max) = self.max_delay_seconds {
            #[allow(clippy::cast_precision_loss)]
            let max = max as f64;
            seconds = seconds.min(max);
        }
        if self.jitter == Jitter::Full {
            seconds *= unit_random;
        }
        // Bounded above by the largest delay a definition can express; never negative.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = (seconds * 1000.0).clamp(0.0, 1e15) as u64;
        ms
    }
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateId,
    pub result_path: PathField,
    /// JSONata `Output` of the catcher.
    pub output: Option<super::Template>,
    pub assign: Option<super::Assign>,
}

/// True if an error named `error` is matched by `error_equals`, with the wildcard rules of ASL:
/// `States.ALL` matches every error but `States.Runtime` and `States.DataLimitExceeded`;
/// `States.TaskFailed` matches every error but `States.Timeout` (and those two).
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    if error == names::RUNTIME {
        return false;
    }
    error_equals.iter().any(|name| match name.as_str() {
        names::ALL => error != names::DATA_LIMIT_EXCEEDED,
        names::TASK_FAILED => error != names::TIMEOUT && error != names::DATA_LIMIT_EXCEEDED,
        other => other == error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn wildcard_rules() {
        let all = names_of(&["States.ALL"]);
        let task = names_of(&["States.TaskFailed"]);
        let cases = [
            (&all, "Custom", true),
            (&all, "States.Timeout", true),
            (&all, "States.Runtime", false),
            (&all, "States.DataLimitExceeded", false),
            (&task, "Lambda.Unknown", true),
            (&task, "States.Timeout", false),
            (&task, "States.Runtime", false),
        ];
        for (eq, err, expected) in cases {
            assert_eq!(error_matches(eq, err), expected, "{eq:?} vs {err}");
        }
        assert!(error_matches(
            &names_of(&["States.DataLimitExceeded"]),
            "States.DataLimitExceeded"
        ));
        assert!(!error_matches(&names_of(&["State.ALL"]), "Anything"));
    }

    #[test]
    fn backoff() {
        let r = Retrier {
            error_equals: vec![],
            interval_seconds: 2,
            max_attempts: 5,
            backoff_rate: 2.0,
            max_delay_seconds: Some(5),
            jitter: Jitter::None,
        };
        assert_eq!(r.delay_ms(0, 0.5), 2000);
        assert_eq!(r.delay_ms(1, 0.5), 4000);
        assert_eq!(r.delay_ms(2, 0.5), 5000);
        let full = Retrier {
            jitter: Jitter::Full,
            ..r
        };
        assert_eq!(full.delay_ms(1, 0.5), 2000);
    }
}
