//! Validation: turns an ASL document into a checked [`StateMachine`], listing every problem.
//!
//! Each problem carries a JSON pointer into the document and, where the conformance corpus shows
//! them, AWS's own words.

mod choice;
mod errors;
mod fanout;
mod fields;
mod resource;
mod states;
mod task;
mod values;
mod wait;

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

use crate::definition::{
    Branch, BranchId, QueryLanguage, State, StateKind, StateMachine, Transition,
};
use crate::problem::{pointer_escape, Problem, NO_TERMINAL_STATE, UNREACHABLE_STATE};

pub use resource::{Integration, ResourceKind};

/// What kind of state machine is being validated (Express forbids `.sync` and callbacks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub express: bool,
}

/// Checks a definition with the default options.
pub fn check(source: &Value) -> Result<StateMachine, Vec<Problem>> {
    check_with(source, Options::default())
}

/// Checks a definition.
/// Every problem of a definition given as JSON text (`quickstep validate`,
/// ValidateStateMachineDefinition): text that is not JSON is one `INVALID_JSON_DESCRIPTION`.
pub fn problems_in_text(text: &str, options: Options) -> Vec<Problem> {
    match serde_json::from_str::<Value>(text) {
        Ok(definition) => check_with(&definition, options).err().unwrap_or_default(),
        Err(e) => vec![Problem::new(
            crate::problem::INVALID_JSON_DESCRIPTION,
            format!("the definition is not valid JSON: {e}"),
            "",
        )],
    }
}

pub fn check_with(source: &Value, options: Options) -> Result<StateMachine, Vec<Problem>> {
    let mut checker = Checker {
        problems: Vec::new(),
        branches: Vec::new(),
        options,
        top_language: QueryLanguage::JsonPath,
        language: QueryLanguage::JsonPath,
    };
    let Value::Object(top) = source else {
        return Err(vec![Problem::schema(
            "The state machine definition must be a JSON object",
            "",
        )]);
    };
    checker.unknown_fields(top, fields::TOP_LEVEL, "");
    match top.get("QueryLanguage") {
        None => {}
        Some(Value::String(s)) if s == "JSONPath" => {}
        Some(Value::String(s)) if s == "JSONata" => checker.top_language = QueryLanguage::Jsonata,
        Some(_) => checker.problem(
            "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
            "/QueryLanguage",
        ),
    }
    let timeout_seconds = match top.get("TimeoutSeconds") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Some(n),
            _ => {
                checker.problem(
                    "The value for the field 'TimeoutSeconds' must be a positive integer",
                    "/TimeoutSeconds",
                );
                None
            }
        },
    };
    if let Some(version) = top.get("Version") {
        if version.as_str() != Some("1.0") {
            checker.problem(
                "The value for the field 'Version' must be '1.0'",
                "/Version",
            );
        }
    }
    let comment = top
        .get("Comment")
        .and_then(Value::as_str)
        .map(str::to_owned);
    checker.branch(top, "", true);
    if checker.problems.is_empty() {
        Ok(StateMachine {
            comment,
            timeout_seconds,
            branches: checker.branches,
            source: source.clone(),
        })
    } else {
        Err(checker.problems)
    }
}

pub(crate) struct Checker {
    problems: Vec<Problem>,
    branches: Vec<Branch>,
    options: Options,
    /// The state machine's `QueryLanguage`, every state's default.
    top_language: QueryLanguage,
    /// The language of the state being checked.
    language: QueryLanguage,
}

impl Checker {
    fn problem(&mut self, message: impl Into<String>, location: impl Into<String>) {
        self.problems.push(Problem::schema(message, location));
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, allowed: &[&str], pointer: &str) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                self.problem(
                    format!("The field '{key}' is not supported by Step Functions"),
                    format!("{pointer}/{}", pointer_escape(key)),
                );
            }
        }
    }

    /// Checks one list of states (top level, Parallel branch, Map processor) and stores it.
    /// Returns its id (reserved before its inner branches, so the top level is 0).
    fn branch(&mut self, obj: &Map<String, Value>, pointer: &str, top_level: bool) -> BranchId {
        let saved_language = self.language;
        let id = self.branch_inner(obj, pointer, top_level);
        self.language = saved_language;
        id
    }

    fn branch_inner(
        &mut self,
        obj: &Map<String, Value>,
        pointer: &str,
        top_level: bool,
    ) -> BranchId {
        let id = self.branches.len();
        self.branches.push(Branch {
            start_at: 0,
            states: Vec::new(),
            pointer: pointer.to_owned(),
        });
        if !top_level {
            self.unknown_fields(obj, fields::BRANCH, pointer);
        }
        let missing: Vec<&str> = ["States", "StartAt"]
            .into_iter()
            .filter(|f| !obj.contains_key(*f))
            .collect();
        if !missing.is_empty() {
            self.problem(
                format!("These fields are required: [{}]", missing.join(", ")),
                if pointer.is_empty() { "/" } else { pointer }.to_owned(),
            );
        }
        let states_pointer = format!("{pointer}/States");
        let empty = Map::new();
        let states_obj = match obj.get("States") {
            Some(Value::Object(m)) => m,
            Some(_) => {
                self.problem(
                    "The field 'States' must be an object",
                    states_pointer.clone(),
                );
                &empty
            }
            None => &empty,
        };
        if states_obj.is_empty() && obj.contains_key("States") {
            self.problem(
                "The field 'States' must contain at least one state",
                states_pointer.clone(),
            );
        }
        let names: HashMap<&str, usize> = states_obj
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        for name in states_obj.keys() {
            if name.is_empty() || name.chars().count() > 80 {
                self.problem(
                    "State names must be between 1 and 80 characters long",
                    format!("{states_pointer}/{}", pointer_escape(name)),
                );
            }
        }
        let start_at = match obj.get("StartAt") {
            Some(Value::String(s)) => {
                if let Some(&i) = names.get(s.as_str()) {
                    Some(i)
                } else {
                    self.problems.push(Problem::new(
                        crate::problem::MISSING_TRANSITION_TARGET,
                        format!("Missing 'Next' target: {s}"),
                        format!("{pointer}/StartAt"),
                    ));
                    None
                }
            }
            Some(_) => {
                self.problem(
                    "The field 'StartAt' must be a string",
                    format!("{pointer}/StartAt"),
                );
                None
            }
            None => None,
        };
        let mut states = Vec::with_capacity(states_obj.len());
        for (name, state) in states_obj {
            let state_pointer = format!("{states_pointer}/{}", pointer_escape(name));
            if let Some(s) = self.state(name, state, &state_pointer, &names) {
                states.push(s);
            }
        }
        if states.len() == states_obj.len() {
            if let Some(start) = start_at {
                self.graph_checks(&states, start, &states_pointer);
            }
        }
        self.branches[id] = Branch {
            start_at: start_at.unwrap_or(0),
            states,
            pointer: pointer.to_owned(),
        };
        id
    }

    /// Reachability from `StartAt` and the presence of a terminal state.
    fn graph_checks(&mut self, states: &[State], start: usize, states_pointer: &str) {
        let mut seen = vec![false; states.len()];
        let mut queue = VecDeque::from([start]);
        seen[start] = true;
        let mut terminal = false;
        while let Some(i) = queue.pop_front() {
            let state = &states[i];
            let mut targets: Vec<usize> = Vec::new();
            match &state.kind {
                StateKind::Choice { choices, default } => {
                    targets.extend(choices.iter().map(|c| c.next));
                    targets.extend(*default);
                }
                StateKind::Succeed | StateKind::Fail(_) => terminal = true,
                kind => {
                    if let Transition::Next(n) = state.transition {
                        targets.push(n);
                    } else {
                        terminal = true;
                    }
                    let catch = match kind {
                        StateKind::Task(t) => &t.catch[..],
                        StateKind::Parallel(p) => &p.catch[..],
                        StateKind::Map(m) => &m.catch[..],
                        _ => &[],
                    };
                    targets.extend(catch.iter().map(|c| c.next));
                }
            }
            for t in targets {
                if !seen[t] {
                    seen[t] = true;
                    queue.push_back(t);
                }
            }
        }
        for (state, reached) in states.iter().zip(&seen) {
            if !reached {
                self.problems.push(Problem::new(
                    UNREACHABLE_STATE,
                    format!("State \"{}\" is not reachable.", state.name),
                    format!("{states_pointer}/{}", pointer_escape(&state.name)),
                ));
            }
        }
        if !terminal {
            self.problems.push(Problem::new(
                NO_TERMINAL_STATE,
                "No terminal state found in machine.",
                states_pointer.to_owned(),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
