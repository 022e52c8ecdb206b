//! A state machine definition: any bytes that are JSON go through parsing and validation
//! (`StateMachine::from_json`), which must answer with a machine or a list of problems.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quickstep_engine::definition::StateMachine;
use quickstep_fuzz::MAX_INPUT;

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let data = &data[..data.len().min(MAX_INPUT)];
    let Ok(source) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match StateMachine::from_json(&source) {
        Ok(machine) => {
            let _ = machine.top();
        }
        Err(problems) => {
            for problem in &problems {
                let _ = problem.to_string();
            }
        }
    }
});
