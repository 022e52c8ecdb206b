//! Telemetry kept in memory, for tests: every line written, in order.

use std::sync::Mutex;

use crate::ports::Telemetry;

#[derive(Debug, Default)]
pub struct MemoryTelemetry {
    lines: Mutex<Vec<String>>,
}

impl MemoryTelemetry {
    /// Every line written so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Telemetry for MemoryTelemetry {
    fn write(&self, line: &str) {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line.to_owned());
    }
}
