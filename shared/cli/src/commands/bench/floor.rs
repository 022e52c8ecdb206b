//! The serde_json floor: W1's per-transition work written by hand, with no engine around it.
//!
//! W1 (`../shared/bench/workloads/w1-pass-chain`) is a chain of Pass states, each of whose
//! `Parameters` are `{"a.$": "$.a", "n.$": "States.MathAdd($.n, 1)"}`. Any engine that holds
//! its data as serde_json values must at least do, per state, what [`transition`] does: read two
//! fields, copy one, add to the other, build the new object and drop the old. Its rate is the
//! floor the engine's own W1 figure is compared with (`quickstep bench --floor`).

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// The data an execution of W1 starts with must have an `a` and an integer `n`.
pub fn check_input(input: &Value) -> Result<(), String> {
    match (input.get("a"), input.get("n").and_then(Value::as_i64)) {
        (Some(_), Some(_)) => Ok(()),
        _ => Err("--floor times W1's work: the input must be an object with \"a\" and an integer \"n\", as ../shared/bench/workloads/w1-pass-chain.input.json".to_owned()),
    }
}

/// One execution of `states` W1 transitions on `input` (copied first, as an engine copies the
/// execution's input into its first state). Gives the last state's output.
pub fn execution(input: &Value, states: u64) -> Value {
    let mut data = input.clone();
    for _ in 0..states {
        data = transition(&data);
    }
    data
}

/// `{"a": $.a, "n": $.n + 1}`.
fn transition(data: &Value) -> Value {
    let a = data.get("a").cloned().unwrap_or(Value::Null);
    let n = data
        .get("n")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .saturating_add(1);
    let mut out = Map::with_capacity(2);
    out.insert("a".to_owned(), a);
    out.insert("n".to_owned(), Value::from(n));
    Value::Object(out)
}

/// Runs the hand-written floor for `budget`, `per_execution` transitions to an execution:
/// how many transitions it made, in how many seconds. Never inlined, so that an instruction
/// count (`tests/bench-instructions`) can tell its work from the engine's.
#[inline(never)]
pub fn run(input: &Value, per_execution: u64, budget: Duration) -> (u64, f64) {
    let started = Instant::now();
    let mut transitions: u64 = 0;
    while started.elapsed() < budget {
        for _ in 0..16 {
            std::hint::black_box(execution(std::hint::black_box(input), per_execution));
            transitions += per_execution;
        }
    }
    (transitions, started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use quickstep_engine::definition::StateMachine;
    use quickstep_engine::execution::{self, ExecutionInfo, Options, Status};
    use serde_json::json;

    use super::*;

    /// The floor does the work of W1's states: the engine, given a chain of them, agrees.
    #[test]
    fn does_what_w1_does() {
        let state = |next: Option<&str>| {
            let mut s = json!({"Type": "Pass",
                "Parameters": {"a.$": "$.a", "n.$": "States.MathAdd($.n, 1)"}});
            match next {
                Some(n) => s["Next"] = json!(n),
                None => s["End"] = json!(true),
            }
            s
        };
        let definition = json!({"StartAt": "P0", "States": {
            "P0": state(Some("P1")), "P1": state(Some("P2")), "P2": state(None)}});
        let machine = StateMachine::from_json(&definition).unwrap();
        let input = json!({"a": "x", "n": 4, "dropped": true});
        let info = ExecutionInfo::local("w1", "floor", input.clone(), 0);
        let (snapshot, _) = execution::start(&machine, info, Options::default(), 1, 0);
        let Status::Succeeded { output } = snapshot.status else {
            panic!("the chain did not succeed: {:?}", snapshot.status);
        };
        assert_eq!(output, json!({"a": "x", "n": 7}));
        assert_eq!(execution(&input, 3), output);
    }

    #[test]
    fn wants_w1s_input() {
        assert!(check_input(&json!({"a": "x", "n": 0})).is_ok());
        let refused = check_input(&json!({"a": "x"})).unwrap_err();
        assert!(refused.contains("integer \"n\""), "{refused}");
    }
}
