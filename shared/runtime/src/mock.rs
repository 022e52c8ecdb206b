//! Mocked tasks in AWS Step Functions Local's MockConfigFile format.
//!
//! ```json
//! {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<TaskState>": "<Response>"}}}},
//!  "MockedResponses": {"<Response>": {"0": {"Return": {}}, "1-2": {"Throw": {"Error": "E", "Cause": "c"}}}}}
//! ```
//! Invocation *n* of a state (from 0, every attempt, all Map iterations and Parallel branches
//! together) gets the response whose key is `"n"` or a range `"a-b"` containing it.

use std::collections::HashMap;
use std::sync::Mutex;

use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::{names, Failure};
use serde_json::Value;

use crate::invoker::{Invocation, TaskInvoker};

/// A mock file that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mock config {pointer}: {message}")]
pub struct MockError {
    pub pointer: String,
    pub message: String,
}

fn err(pointer: impl Into<String>, message: impl Into<String>) -> MockError {
    MockError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
enum Response {
    Return(Value),
    Throw(Failure),
}

#[derive(Debug, Clone)]
struct Sequence {
    name: String,
    /// (first, last, response), inclusive ranges.
    entries: Vec<(usize, usize, Response)>,
}

impl Sequence {
    fn get(&self, n: usize) -> Option<&Response> {
        self.entries
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&n))
            .map(|(_, _, r)| r)
    }
}

/// Serves Task states from a mock file's test case.
#[derive(Debug, Default)]
pub struct MockInvoker {
    state_machine: String,
    test_case: String,
    /// Task state name to its response sequence.
    states: HashMap<String, Sequence>,
    counts: Mutex<HashMap<String, usize>>,
}

impl MockInvoker {
    /// An invoker with no mocks: every task fails, saying how to mock it.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads test case `test_case` of state machine `state_machine` from a mock file.
    pub fn from_config(
        config: &Value,
        state_machine: &str,
        test_case: &str,
    ) -> Result<Self, MockError> {
        let Value::Object(top) = config else {
            return Err(err("/", "the mock config must be a JSON object"));
        };
        let responses = match top.get("MockedResponses") {
            Some(Value::Object(m)) => m,
            None => return Err(err("/", "the field 'MockedResponses' is required")),
            Some(_) => return Err(err("/MockedResponses", "must be an object")),
        };
        let machines = match top.get("StateMachines") {
            Some(Value::Object(m)) => m,
            None => return Err(err("/", "the field 'StateMachines' is required")),
            Some(_) => return Err(err("/StateMachines", "must be an object")),
        };
        let Some(machine) = machines.get(state_machine) else {
            let known: Vec<&String> = machines.keys().collect();
            return Err(err(
                "/StateMachines",
                format!("no state machine named '{state_machine}' (it has: {known:?}); pass --state-machine-name"),
            ));
        };
        let cases_ptr = format!("/StateMachines/{}/TestCases", escape(state_machine));
        let Some(Value::Object(cases)) = machine.get("TestCases") else {
            return Err(err(cases_ptr, "the field 'TestCases' must be an object"));
        };
        let Some(case) = cases.get(test_case) else {
            let known: Vec<&String> = cases.keys().collect();
            return Err(err(
                cases_ptr,
                format!("no test case named '{test_case}' (it has: {known:?})"),
            ));
        };
        let case_ptr = format!("{cases_ptr}/{}", escape(test_case));
        let Value::Object(case) = case else {
            return Err(err(
                case_ptr,
                "a test case must map state names to response names",
            ));
        };
        let mut states = HashMap::new();
        for (state, response_name) in case {
            let Value::String(response_name) = response_name else {
                return Err(err(
                    format!("{case_ptr}/{}", escape(state)),
                    "must be the name of a mocked response",
                ));
            };
            let Some(response) = responses.get(response_name) else {
                return Err(err(
                    format!("{case_ptr}/{}", escape(state)),
                    format!("no mocked response named '{response_name}' in MockedResponses"),
                ));
            };
            let sequence = parse_sequence(response_name, response)?;
            states.insert(state.clone(), sequence);
        }
        Ok(Self {
            state_machine: state_machine.to_owned(),
            test_case: test_case.to_owned(),
            states,
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets how often each state was invoked, so the next execution starts from response 0.
    pub fn reset(&self) {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    fn not_mocked(&self, state: &str) -> Failure {
        let machine = if self.state_machine.is_empty() {
            "<state machine name>"
        } else {
            &self.state_machine
        };
        let case = if self.test_case.is_empty() {
            "<test case>"
        } else {
            &self.test_case
        };
        Failure::new(
            names::RUNTIME,
            format!(
                "Task state '{state}' has no mock. Local runs serve tasks from a mock file: pass --mock-config FILE --test-case {case} where FILE has {{\"StateMachines\": {{\"{machine}\": {{\"TestCases\": {{\"{case}\": {{\"{state}\": \"{state}Response\"}}}}}}}}, \"MockedResponses\": {{\"{state}Response\": {{\"0\": {{\"Return\": {{}}}}}}}}}}"
            ),
        )
    }
}

impl MockInvoker {
    /// Whether the test case mocks the state `state_name`.
    pub fn mocks(&self, state_name: &str) -> bool {
        self.states.contains_key(state_name)
    }
}

impl TaskInvoker for MockInvoker {
    fn answers_callbacks(&self, request: &TaskRequest) -> bool {
        self.mocks(&request.state_name)
    }

    fn invoke(&self, request: &TaskRequest) -> Invocation {
        let Some(sequence) = self.states.get(&request.state_name) else {
            return Invocation::Ready(Err(self.not_mocked(&request.state_name)));
        };
        let n = {
            let mut counts = self
                .counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = counts.entry(request.state_name.clone()).or_insert(0);
            let n = *count;
            *count += 1;
            n
        };
        Invocation::Ready(match sequence.get(n) {
            Some(Response::Return(v)) => Ok(v.clone()),
            Some(Response::Throw(f)) => Err(f.clone()),
            None => Err(Failure::new(
                names::RUNTIME,
                format!(
                    "Task state '{}' was invoked {} times, but mocked response '{}' has no entry for invocation {n}",
                    request.state_name,
                    n + 1,
                    sequence.name
                ),
            )),
        })
    }
}

fn parse_sequence(name: &str, value: &Value) -> Result<Sequence, MockError> {
    let ptr = format!("/MockedResponses/{}", escape(name));
    let Value::Object(map) = value else {
        return Err(err(
            ptr,
            "a mocked response must map invocation numbers to responses",
        ));
    };
    let mut entries = Vec::with_capacity(map.len());
    for (key, response) in map {
        let entry_ptr = format!("{ptr}/{}", escape(key));
        let (first, last) = parse_range(key).ok_or_else(|| {
            err(
                entry_ptr.clone(),
                format!("'{key}' is not an invocation number or a range such as \"1-3\""),
            )
        })?;
        let response = match response {
            Value::Object(r) => match (r.get("Return"), r.get("Throw")) {
                (Some(v), None) => Response::Return(v.clone()),
                (None, Some(Value::Object(t))) => {
                    let field = |f: &str| t.get(f).and_then(Value::as_str).map(str::to_owned);
                    Response::Throw(Failure {
                        error: field("Error"),
                        cause: field("Cause"),
                    })
                }
                _ => {
                    return Err(err(
                        entry_ptr,
                        "a response must have exactly one of 'Return' or 'Throw' (an object)",
                    ))
                }
            },
            _ => return Err(err(entry_ptr, "a response must be an object")),
        };
        entries.push((first, last, response));
    }
    Ok(Sequence {
        name: name.to_owned(),
        entries,
    })
}

fn parse_range(key: &str) -> Option<(usize, usize)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(state: &str) -> TaskRequest {
        TaskRequest::new(1, state, "arn:aws:states:::lambda:invoke", json!({}))
    }

    fn outcome(i: Invocation) -> Result<Value, Failure> {
        match i {
            Invocation::Ready(o) => o,
            Invocation::Pending(_) => panic!("mocks answer at once"),
        }
    }

    #[test]
    fn serves_responses_in_order_with_ranges() {
        let config = json!({
            "StateMachines": {"M": {"TestCases": {"T": {"Call": "R"}}}},
            "MockedResponses": {"R": {
                "0": {"Throw": {"Error": "E", "Cause": "c"}},
                "1-2": {"Return": {"ok": true}}
            }}
        });
        let mock = MockInvoker::from_config(&config, "M", "T").unwrap();
        assert_eq!(
            outcome(mock.invoke(&request("Call"))),
            Err(Failure::new("E", "c"))
        );
        assert_eq!(
            outcome(mock.invoke(&request("Call"))),
            Ok(json!({"ok": true}))
        );
        assert_eq!(
            outcome(mock.invoke(&request("Call"))),
            Ok(json!({"ok": true}))
        );
        let past_end = outcome(mock.invoke(&request("Call"))).unwrap_err();
        assert!(past_end
            .cause
            .unwrap()
            .contains("no entry for invocation 3"));
        let unmocked = outcome(mock.invoke(&request("Other"))).unwrap_err();
        assert_eq!(unmocked.error.as_deref(), Some("States.Runtime"));
        assert!(unmocked.cause.unwrap().contains("--mock-config"));
    }

    #[test]
    fn bad_configs_name_the_place() {
        let cases = [
            (json!([]), "/"),
            (json!({"StateMachines": {}}), "/"),
            (
                json!({"StateMachines": {}, "MockedResponses": {}}),
                "/StateMachines",
            ),
            (
                json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}}, "MockedResponses": {}}),
                "/StateMachines/M/TestCases/T/S",
            ),
            (
                json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}}, "MockedResponses": {"R": {"x": {"Return": 1}}}}),
                "/MockedResponses/R/x",
            ),
            (
                json!({"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}}, "MockedResponses": {"R": {"0": {}}}}),
                "/MockedResponses/R/0",
            ),
        ];
        for (config, pointer) in cases {
            let e = MockInvoker::from_config(&config, "M", "T").unwrap_err();
            assert_eq!(e.pointer, pointer, "{config}: {e}");
        }
    }
}
