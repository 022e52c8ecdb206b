//! The faults a schedule injects, counted by kind for the report.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// An invocation ended at an await point before the operation there took effect.
    CrashBeforeEffect,
    /// An invocation ended at an await point after the operation there took effect.
    CrashAfterEffect,
    /// A worker invocation reached its deadline and Lambda ended it.
    DeadlineKill,
    /// A request far slower than usual.
    SlowRequest,
    /// DynamoDB throttled a request.
    StoreThrottled,
    /// A DynamoDB write succeeded but its answer was lost (the caller saw an error).
    StoreLostAnswer,
    /// SQS refused a send.
    SendFailed,
    /// SQS delivered a message again (at-least-once).
    DuplicateDelivery,
    /// SQS delivered a message before the write that followed its send.
    EarlyDelivery,
    /// A message came back after its visibility timeout.
    Redelivery,
    /// A message was moved to the dead-letter queue.
    DeadLettered,
    /// EventBridge refused PutEvents.
    PublishFailed,
    /// A task call ran longer than the worker's time budget.
    LongTask,
    /// A task answer arrived before the worker had stored its token.
    EarlyAnswer,
    /// A caller stopped an execution.
    Stop,
}

#[derive(Debug, Clone, Default)]
pub struct Faults(pub BTreeMap<Fault, u64>);

impl Faults {
    pub fn count(&mut self, fault: Fault) {
        *self.0.entry(fault).or_default() += 1;
    }

    pub fn add(&mut self, other: &Faults) {
        for (fault, n) in &other.0 {
            *self.0.entry(*fault).or_default() += n;
        }
    }
}
