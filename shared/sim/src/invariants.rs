//! What must hold after every schedule, whatever faults it met.

use std::collections::BTreeMap;

use quickstep_engine::execution::Millis;

use crate::faults::Fault;
use crate::world::World;

/// The most times one task attempt may be called: each delivery of the message that owns it
/// (at most `maxReceiveCount` receives, each possibly duplicated once) may call it, and a call
/// abandoned at a worker's time budget is made again at most `max_task_dispatches` times.
pub fn call_bound(world: &World) -> usize {
    let receives = world.settings.max_receive_count as usize + 1;
    let dispatches = world.settings.max_task_dispatches as usize;
    receives * 2 * dispatches
}

/// How long past its deadline an execution may still be RUNNING: a timer's message lost to
/// crashes comes back after each visibility timeout until it is dead-lettered, which ends it.
pub fn slack(world: &World) -> Millis {
    world.settings.visibility_timeout_ms * (i64::from(world.settings.max_receive_count) + 2)
        + 60_000
}

/// Checks the world at the end of a schedule; `accepted` are the executions whose start was
/// answered with success.
pub fn check(world: &World, accepted: &[String], start: Millis) -> Vec<String> {
    let mut violations = world.violations.clone();
    let mut records = Vec::new();
    for read in world.dynamo.all() {
        match read {
            Ok(record) => records.push(record),
            Err(why) => violations.push(why),
        }
    }
    let by_arn: BTreeMap<&str, _> = records.iter().map(|r| (r.arn.as_str(), r)).collect();
    for arn in accepted {
        if !by_arn.contains_key(arn.as_str()) {
            violations.push(format!("{arn}: accepted, but no record exists"));
        }
    }
    let cap = i64::try_from(world.settings.execution_timeout_seconds).unwrap_or(0) * 1000;
    let calm = world.settings.is_calm();
    for record in &records {
        let arn = &record.arn;
        let status = record.snapshot.status.name();
        if record.status != status {
            violations.push(format!(
                "{arn}: the record says {} but the snapshot {status}",
                record.status
            ));
        }
        if status == "RUNNING" {
            violations.push(format!("{arn}: still RUNNING at the end"));
            continue;
        }
        // The history stored apart and the record's own make the whole history, each event
        // once, in order: no batch of a lost race, none lost to a crash.
        let ids: Vec<u64> = record.snapshot.history.iter().map(|e| e.id).collect();
        if !ids.iter().copied().eq(1..=record.snapshot.events()) {
            violations.push(format!(
                "{arn}: its history has events {ids:?} of {}",
                record.snapshot.events()
            ));
        }
        let last = record.snapshot.history.last().map(|e| e.kind.as_str());
        let expected = match status {
            "SUCCEEDED" => "ExecutionSucceeded",
            "FAILED" => "ExecutionFailed",
            "TIMED_OUT" => "ExecutionTimedOut",
            _ => "ExecutionAborted",
        };
        if last != Some(expected) {
            violations.push(format!(
                "{arn}: {status} but its history ends with {last:?}"
            ));
        }
        let deadline = record.start_date.max(start) + cap;
        if let Some(stop) = record.stop_date {
            if stop > deadline + slack(world) {
                violations.push(format!(
                    "{arn}: ended {} s past its deadline",
                    (stop - deadline) / 1000
                ));
            }
        }
        let events: Vec<_> = world
            .bus
            .events
            .iter()
            .filter(|(_, e)| &e.execution_arn == arn)
            .map(|(_, e)| e)
            .collect();
        let failed = matches!(status, "FAILED" | "TIMED_OUT" | "ABORTED");
        match (failed, events.first()) {
            (true, None) => violations.push(format!("{arn}: {status} but no status event")),
            (false, Some(_)) => violations.push(format!("{arn}: {status} yet a status event")),
            (true, Some(first)) => {
                if first.status != status {
                    violations.push(format!(
                        "{arn}: {status} but its event says {}",
                        first.status
                    ));
                }
                if events.iter().any(|e| *e != *first) {
                    violations.push(format!("{arn}: differing status events"));
                }
            }
            (false, None) => {}
        }
    }
    if world.settings.spares_messages() {
        // Nothing failed a message, so a slow task call is the only thing that could have run
        // an invocation into its deadline: the worker must have handed it over in time.
        for fault in [Fault::DeadlineKill, Fault::DeadLettered] {
            if let Some(n) = world.faults.0.get(&fault).filter(|n| **n > 0) {
                violations.push(format!(
                    "{fault:?} {n} times with no fault that fails a message: the worker did \
                     not hand its work over before its deadline"
                ));
            }
        }
    }
    let bound = call_bound(world);
    // A call is late past the invocation timeout after the execution's end was stored: a
    // worker that read it running before then may still call (a stop or failure decides its
    // `stopDate` before its write lands, which takes as long as the store takes to answer).
    let ended = &world.dynamo.ended;
    for record in records.iter().filter(|r| r.is_terminal()) {
        if !ended.contains_key(&record.arn) {
            violations.push(format!("{}: ended, but not when", record.arn));
        }
    }
    for ((arn, task, _), calls) in &world.lambda.calls {
        let limit = if calm { 1 } else { bound };
        if calls.len() > limit {
            violations.push(format!(
                "{arn}: task {task} was called {} times (bound {limit})",
                calls.len()
            ));
        }
        if let Some(stop) = ended.get(arn.as_str()) {
            let late = calls
                .iter()
                .filter(|at| **at > stop + world.settings.worker_timeout_ms)
                .count();
            if late > 0 {
                violations.push(format!(
                    "{arn}: task {task} was called after the execution ended"
                ));
            }
        }
    }
    violations
}
