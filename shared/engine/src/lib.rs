//! quickstep's Amazon States Language engine: a pure step function over a serializable
//! execution snapshot.
//!
//! A definition is checked once into a [`definition::StateMachine`] (every problem with its
//! JSON pointer, as [`problem::Problem`]s). [`execution::start`] runs an execution as far as
//! it can go without the outside world and returns its [`execution::Snapshot`] with the
//! [`execution::Effect`]s a driver must carry out (call a task, start a timer, yield);
//! [`execution::step`] applies what came of one ([`execution::Event`]: a task's result or
//! failure, a timer, a stop) and returns the next effects. The engine does no I/O and reads
//! no clock: time and randomness come in as arguments, so a snapshot stored between steps
//! resumes anywhere, and a run replays exactly.
//!
//! ```
//! use quickstep_engine::definition::StateMachine;
//! use quickstep_engine::execution::{self, Effect, Event, ExecutionInfo, Options, Status};
//! use serde_json::json;
//!
//! let machine = StateMachine::from_json(&json!({
//!     "StartAt": "Charge",
//!     "States": {
//!         "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
//!                    "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
//!                    "ResultSelector": {"charged.$": "$.Payload"}, "End": true}
//!     }
//! }))
//! .map_err(|problems| format!("{problems:?}"))?;
//! let info = ExecutionInfo::local("orders", "order-1", json!({"total": 45}), 0);
//! let (snapshot, effects) = execution::start(&machine, info, Options::default(), 7, 0);
//! // The driver calls the task (here: answers it at once) and steps the execution on.
//! let Some(Effect::Invoke(call)) = effects.first() else {
//!     return Err("expected a task call".into());
//! };
//! assert_eq!(call.input, json!({"FunctionName": "charge", "Payload": {"total": 45}}));
//! let (snapshot, _) = execution::step(
//!     &machine,
//!     snapshot,
//!     Event::TaskSucceeded { task: call.task, output: json!({"Payload": true}) },
//!     10,
//! );
//! assert_eq!(snapshot.status, Status::Succeeded { output: json!({"charged": true}) });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod choice;
pub mod definition;
pub mod digest;
pub mod execution;
pub mod failure;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod problem;
pub mod scope;
pub mod timestamp;
pub mod validate;
pub mod value_type;
