//! Step Functions Local's MockConfigFile: any JSON is read for the first state machine and test
//! case it names, and every mocked state of the case is invoked past the end of its responses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::validate::ResourceKind;
use quickstep_fuzz::MAX_INPUT;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_runtime::mock::MockInvoker;
use serde_json::{json, Value};

/// Invocations per mocked state: enough to walk through the ranges a small file declares.
const INVOCATIONS: u64 = 6;

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let data = &data[..data.len().min(MAX_INPUT)];
    let Ok(config) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let first_key = |v: Option<&Value>| -> String {
        v.and_then(Value::as_object)
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_else(|| "M".to_owned())
    };
    let machine = first_key(config.get("StateMachines"));
    let cases = config
        .get("StateMachines")
        .and_then(|m| m.get(&machine))
        .and_then(|m| m.get("TestCases"));
    let case = first_key(cases);
    let states: Vec<String> = cases
        .and_then(|c| c.get(&case))
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    let Ok(mock) = MockInvoker::from_config(&config, &machine, &case) else {
        return;
    };
    for (i, state) in states
        .iter()
        .chain(std::iter::once(&"Unmocked".to_owned()))
        .enumerate()
    {
        for n in 0..INVOCATIONS {
            let request = TaskRequest::new(
                i as u64 * INVOCATIONS + n,
                state,
                "arn:aws:states:::lambda:invoke",
                json!({}),
            );
            let _ = mock.mocks(state);
            let _ = mock.supports(&ResourceKind::of(&request.resource));
            match mock.invoke(&request) {
                Invocation::Ready(_) => {}
                Invocation::Pending(_) => panic!("a mock must answer at once"),
            }
        }
    }
    mock.reset();
});
