//! Telemetry on AWS: each line on standard output, which Lambda sends to the function's
//! CloudWatch Logs log group (one log event a line), where Logs Insights reads the execution
//! logs and Embedded Metric Format lines become metrics, with no API call from the function.

use std::io::Write;

use quickstep_service::ports::Telemetry;

#[derive(Debug, Default, Clone, Copy)]
pub struct CloudWatchLog;

impl Telemetry for CloudWatchLog {
    fn write(&self, line: &str) {
        // One write of the whole line under the lock: lines from concurrent steps never mix.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}
