//! A generator of small state machines that use what the asynchronous path must get right:
//! Task (with Retry, Catch, TimeoutSeconds), callback tasks (`.waitForTaskToken`, with
//! HeartbeatSeconds), Wait, Choice, Parallel, Map, nested `startExecution`, Pass.

use serde_json::{json, Map, Value};

use crate::lambda::payload;
use crate::rng::Rng;

/// The child state machine nested executions start.
pub const CHILD: &str = "sim-child";

pub fn child() -> Value {
    let mut work = task(&mut Rng::new(0), false);
    work["End"] = json!(true);
    json!({"StartAt": "Work", "States": {"Work": work}})
}

/// A state machine of a few states, Parallel and Map nested up to two deep.
pub fn machine(rng: &mut Rng, child_arn: &str) -> Value {
    let mut states = Map::new();
    let start = sequence(rng, "S", 2, child_arn, &mut states, None);
    json!({"StartAt": start, "States": states})
}

/// Adds a chain of 1 to 4 states named `prefix0`, `prefix1`, ... ending at `then` (or End);
/// returns the first's name.
fn sequence(
    rng: &mut Rng,
    prefix: &str,
    depth: u32,
    child_arn: &str,
    states: &mut Map<String, Value>,
    then: Option<&str>,
) -> String {
    let n = 1 + rng.below(4);
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let next = names.get(i + 1).map(String::as_str).or(then);
        let mut state = state(rng, name, depth, child_arn, states, next);
        if let Some(object) = state.as_object_mut() {
            if object.get("Type") != Some(&json!("Choice")) {
                match next {
                    Some(next) => object.insert("Next".into(), json!(next)),
                    None => object.insert("End".into(), json!(true)),
                };
            }
        }
        states.insert(name.clone(), state);
    }
    names[0].clone()
}

fn state(
    rng: &mut Rng,
    name: &str,
    depth: u32,
    child_arn: &str,
    states: &mut Map<String, Value>,
    next: Option<&str>,
) -> Value {
    let kinds = if depth > 0 { 9 } else { 6 };
    match rng.below(kinds) {
        0 => json!({"Type": "Pass", "Result": {"at": name}, "ResultPath": format!("$.{name}")}),
        1 | 2 => {
            let retry = rng.chance(0.4);
            let mut t = task(rng, retry);
            t["ResultPath"] = json!(format!("$.{name}"));
            if rng.chance(0.3) {
                t["TimeoutSeconds"] = json!(rng.between(1, 90));
            }
            if rng.chance(0.3) {
                add_catch(&mut t, name, next, states);
            }
            t
        }
        3 => {
            let mut t = json!({
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "sim-callback",
                               "Payload": {"exec.$": "$$.Execution.Id", "token.$": "$$.Task.Token"}},
                "ResultPath": format!("$.{name}"),
                "TimeoutSeconds": rng.between(20, 300),
            });
            if rng.chance(0.5) {
                t["HeartbeatSeconds"] = json!(rng.between(2, 15));
            }
            if rng.chance(0.5) {
                add_catch(&mut t, name, next, states);
            }
            t
        }
        4 => json!({"Type": "Wait", "Seconds": rng.between(1, 120)}),
        5 => {
            let yes = format!("{name}Yes");
            let no = format!("{name}No");
            for branch in [&yes, &no] {
                let mut pass = json!({"Type": "Pass"});
                match next {
                    Some(n) => pass["Next"] = json!(n),
                    None => pass["End"] = json!(true),
                }
                states.insert(branch.clone(), pass);
            }
            json!({"Type": "Choice",
                   "Choices": [{"Variable": "$.flag", "BooleanEquals": true, "Next": yes}],
                   "Default": no})
        }
        6 => {
            let branches: Vec<Value> = (0..2)
                .map(|b| {
                    let mut inner = Map::new();
                    let start = sequence(
                        rng,
                        &format!("{name}B{b}S"),
                        depth - 1,
                        child_arn,
                        &mut inner,
                        None,
                    );
                    json!({"StartAt": start, "States": inner})
                })
                .collect();
            json!({"Type": "Parallel", "Branches": branches, "ResultPath": format!("$.{name}")})
        }
        7 => {
            let mut inner = Map::new();
            let start = sequence(
                rng,
                &format!("{name}I"),
                depth - 1,
                child_arn,
                &mut inner,
                None,
            );
            json!({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": rng.below(3),
                   "ItemProcessor": {"StartAt": start, "States": inner},
                   "ResultPath": format!("$.{name}")})
        }
        _ => json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"exec.$": "$$.Execution.Id"}},
            "ResultPath": format!("$.{name}"),
        }),
    }
}

/// A Catch of every error that goes on to `next` (or to a Succeed state of its own).
fn add_catch(t: &mut Value, name: &str, next: Option<&str>, states: &mut Map<String, Value>) {
    let to = next.map_or_else(|| format!("{name}Caught"), str::to_owned);
    if next.is_none() {
        states.insert(to.clone(), json!({"Type": "Succeed"}));
    }
    t["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "ResultPath": format!("$.{name}Error"), "Next": to}]);
}

/// A Lambda Task, with a Retry if asked.
fn task(rng: &mut Rng, retry: bool) -> Value {
    let mut t = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "sim-work", "Payload": payload()},
    });
    if retry {
        t["Retry"] = json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": rng.between(1, 5),
                             "MaxAttempts": rng.between(1, 3), "BackoffRate": 2.0}]);
    }
    t
}

/// An input for the generated machines.
pub fn input(rng: &mut Rng, large_rate: f64) -> Value {
    let items: Vec<Value> = (0..rng.below(4)).map(|i| json!({"i": i})).collect();
    let mut input = json!({"flag": rng.chance(0.5), "items": items});
    // Drawn only when asked for, so the schedules of the other kinds stay as they were.
    if large_rate > 0.0 && rng.chance(large_rate) {
        let size = usize::try_from(rng.between(200_000, 262_000)).unwrap_or(0);
        input["blob"] = Value::String("x".repeat(size));
    }
    input
}
