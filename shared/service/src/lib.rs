//! quickstep as a service: what the Lambda functions do, over narrow ports.
//!
//! The functions in `functions/` are composition roots: they build AWS adapters of these
//! ports once at cold start and hand each event to this library. Tests use the in-memory
//! adapters in [`memory`].

pub mod api;
pub mod callback;
pub mod commit;
pub mod config;
pub mod control;
pub mod error;
pub mod memory;
pub mod nested;
pub mod page;
pub mod ports;
pub mod records;
pub mod redrive;
pub mod resources;
pub mod service;
pub mod stepfunctions;
pub mod sync;
pub mod telemetry;
pub mod test_cases;
pub mod trigger;
pub mod worker;
