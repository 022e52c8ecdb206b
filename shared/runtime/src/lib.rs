//! Running quickstep executions: the ports the engine's effects need (task invoker, clock, id
//! generator), their in-memory adapters, and the local driver that carries effects out in-process.
//!
//! ```
//! use std::sync::Arc;
//! use quickstep_engine::definition::StateMachine;
//! use quickstep_runtime::{clock::Clock, driver::LocalDriver, mock::MockInvoker};
//! use serde_json::json;
//!
//! let machine = StateMachine::from_json(&json!({
//!     "StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": true}}
//! })).unwrap();
//! let driver = LocalDriver::new(Arc::new(machine), Arc::new(MockInvoker::none()), Clock::virtual_at(0));
//! let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! let run = rt.block_on(driver.run("machine", "exec-1", json!({"x": 1}), 7));
//! assert_eq!(run.snapshot.status.name(), "SUCCEEDED"); // an hour of virtual time, at once
//! ```

pub mod clock;
pub mod driver;
pub mod ids;
pub mod invoker;
pub mod mock;
pub mod overlay;
