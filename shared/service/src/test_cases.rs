//! Step Functions Local's mocked testing: executions started as `<stateMachineArn>#<TestCase>`
//! answer the Task states their test case mocks from the mock config (the MockConfigFile
//! format, see [`quickstep_runtime::mock`]); every other Task calls its resource for real.
//!
//! Each execution of a test case counts its invocations from 0 on its own, as Step Functions
//! Local does, so two executions of the same case see the same responses. The service keeps
//! the test case of each execution in memory until the execution ends (and at most
//! [`REMEMBERED`] at once, forgetting the oldest): this is a local testing feature of one
//! process (`quickstep serve`), not something a deployment stores.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use quickstep_runtime::mock::{MockError, MockInvoker};
use serde_json::Value;

/// How many executions' test cases are remembered; the oldest is forgotten first.
pub const REMEMBERED: usize = 100_000;

/// A mock config, and the test case of each execution started with one.
#[derive(Debug)]
pub struct TestCases {
    config: Value,
    limit: usize,
    running: Mutex<Running>,
}

#[derive(Debug, Default)]
struct Running {
    /// By execution ARN: when it began (a sequence number) and its mocks.
    by_execution: HashMap<String, (u64, Arc<MockInvoker>)>,
    /// Execution ARNs by when they began, oldest first.
    order: BTreeMap<u64, String>,
    sequence: u64,
}

impl TestCases {
    /// Checks every test case of `config` up front, so a mistake in the file is reported when
    /// it is loaded, with its JSON pointer, not when an execution first uses it.
    pub fn new(config: Value) -> Result<Self, MockError> {
        Self::with_limit(config, REMEMBERED)
    }

    fn with_limit(config: Value, limit: usize) -> Result<Self, MockError> {
        let machines = config
            .get("StateMachines")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (machine, body) in &machines {
            let cases = body.get("TestCases").and_then(Value::as_object);
            for case in cases.into_iter().flat_map(|c| c.keys()) {
                MockInvoker::from_config(&config, machine, case)?;
            }
        }
        if machines.is_empty() {
            // Reports a missing or malformed StateMachines or MockedResponses the same way.
            MockInvoker::from_config(&config, "", "")?;
        }
        Ok(Self {
            config,
            limit,
            running: Mutex::new(Running::default()),
        })
    }

    /// Starts execution `execution_arn` of state machine `machine` on test case `case`, unless
    /// that execution already has one (a start repeated with the same name).
    pub fn begin(&self, execution_arn: &str, machine: &str, case: &str) -> Result<(), MockError> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.by_execution.contains_key(execution_arn) {
            return Ok(());
        }
        let mocks = Arc::new(MockInvoker::from_config(&self.config, machine, case)?);
        running.sequence += 1;
        let sequence = running.sequence;
        running
            .by_execution
            .insert(execution_arn.to_owned(), (sequence, mocks));
        running.order.insert(sequence, execution_arn.to_owned());
        while running.order.len() > self.limit {
            if let Some((_, oldest)) = running.order.pop_first() {
                running.by_execution.remove(&oldest);
            }
        }
        Ok(())
    }

    /// The mocks of execution `execution_arn`, if it was started on a test case.
    pub fn of(&self, execution_arn: &str) -> Option<Arc<MockInvoker>> {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running
            .by_execution
            .get(execution_arn)
            .map(|(_, mocks)| Arc::clone(mocks))
    }

    /// Forgets execution `execution_arn`: it ended.
    pub fn end(&self, execution_arn: &str) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((sequence, _)) = running.by_execution.remove(execution_arn) {
            running.order.remove(&sequence);
        }
    }
}

/// Splits `<stateMachineArn>#<TestCase>` into the ARN and the test case.
pub fn split(arn: &str) -> (&str, Option<&str>) {
    match arn.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (arn, None),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> Value {
        json!({
            "StateMachines": {"m": {"TestCases": {"Happy": {"Call": "Ok"}}}},
            "MockedResponses": {"Ok": {"0": {"Return": {"n": 1}}}}
        })
    }

    #[test]
    fn every_test_case_is_checked_when_loaded() {
        let mut bad = config();
        bad["StateMachines"]["m"]["TestCases"]["Sad"] = json!({"Call": "Missing"});
        let error = TestCases::new(bad).unwrap_err();
        assert_eq!(error.pointer, "/StateMachines/m/TestCases/Sad/Call");
        let error = TestCases::new(json!({"StateMachines": {}})).unwrap_err();
        assert!(error.message.contains("MockedResponses"), "{error}");
    }

    #[test]
    fn executions_keep_their_own_test_case() {
        let cases = TestCases::new(config()).unwrap();
        cases.begin("arn:1", "m", "Happy").unwrap();
        assert!(cases.of("arn:1").unwrap().mocks("Call"));
        assert!(cases.of("arn:2").is_none());
        let unknown = cases.begin("arn:2", "m", "Nope").unwrap_err();
        assert!(
            unknown.message.contains("no test case named 'Nope'"),
            "{unknown}"
        );
        cases.end("arn:1");
        assert!(cases.of("arn:1").is_none());
    }

    #[test]
    fn the_oldest_executions_are_forgotten_first() {
        let cases = TestCases::with_limit(config(), 3).unwrap();
        for n in 0..3 {
            cases.begin(&format!("arn:{n}"), "m", "Happy").unwrap();
        }
        cases.end("arn:1");
        cases.begin("arn:3", "m", "Happy").unwrap();
        cases.begin("arn:4", "m", "Happy").unwrap();
        assert!(cases.of("arn:0").is_none());
        assert!(cases.of("arn:1").is_none());
        for live in ["arn:2", "arn:3", "arn:4"] {
            assert!(cases.of(live).is_some(), "{live}");
        }
    }

    #[test]
    fn test_cases_split_off_the_arn() {
        assert_eq!(
            split("arn:x:stateMachine:m#Happy"),
            ("arn:x:stateMachine:m", Some("Happy"))
        );
        assert_eq!(
            split("arn:x:stateMachine:m"),
            ("arn:x:stateMachine:m", None)
        );
    }
}
