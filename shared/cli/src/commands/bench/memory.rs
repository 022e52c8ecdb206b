//! Memory per running execution: many executions started and left running after their first
//! state, the process's growth in resident memory divided by their number, beside the size of
//! the data each one carries (its input, as JSON).
//!
//! Resident memory, not a count of bytes asked of the allocator: what a host running many
//! executions at once pays, the allocator's own overhead included.

use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{self, ExecutionInfo, Options, Snapshot};
use serde_json::Value;

/// How many executions are held at most: enough that the page size and the allocator's free
/// lists are lost in the measure.
const HELD: usize = 10_000;

/// How much memory they may take (large inputs, Maps): enough for the same reason, and far
/// from a small machine's limit.
const BUDGET: u64 = 256 << 20;

pub struct Footprint {
    /// Resident bytes per running execution.
    pub per_execution: f64,
    /// The execution's input, in bytes of JSON.
    pub data: usize,
    /// How many executions were held, and how many of them were still running (a workflow of
    /// one state ends at once).
    pub held: usize,
    pub running: usize,
}

/// Starts executions of `machine` ([`HELD`] of them, or as many as [`BUDGET`] holds), each with
/// its own copy of `input` (as each request parses its own) and history if `record_history`,
/// stopping each after its first transition; `None` where the operating system does not say
/// how much memory the process holds (not Linux).
pub fn footprint(
    machine: &StateMachine,
    name: &str,
    input: &Value,
    record_history: bool,
) -> Option<Footprint> {
    let options = Options {
        record_history,
        max_transitions_per_step: 1,
        ..Options::default()
    };
    let before = resident_bytes()?;
    let mut held: Vec<Snapshot> = Vec::with_capacity(HELD);
    let mut after = before;
    while held.len() < HELD && after.saturating_sub(before) < BUDGET {
        let i = held.len();
        let info = ExecutionInfo::local(name, &format!("memory-{i}"), input.clone(), 0);
        let (snapshot, _effects) = execution::start(machine, info, options, i as u64, 0);
        held.push(snapshot);
        // Reading the figure costs more than a small execution: every few, or every one when
        // few fit or the budget is half spent.
        if i % 64 == 63 || held.len() < 64 || after.saturating_sub(before) > BUDGET / 2 {
            after = resident_bytes()?;
        }
    }
    let after = resident_bytes()?;
    let running = held.iter().filter(|s| !s.status.is_terminal()).count();
    #[allow(clippy::cast_precision_loss)]
    let per_execution = after.saturating_sub(before) as f64 / held.len() as f64;
    Some(Footprint {
        per_execution,
        data: serde_json::to_vec(input).map_or(0, |bytes| bytes.len()),
        held: held.len(),
        running,
    })
}

/// The process's resident memory (Linux: `VmRSS` in `/proc/self/status`).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
