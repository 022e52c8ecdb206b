//! The service's integration tests: the API, synchronous and asynchronous executions, callbacks,
//! nested executions, redrive, versions, telemetry and the Step Functions API.
//!
//! One test binary for the crate's integration tests (a binary per file linked the crate and
//! its dependencies once each): each file is a module.

// A test fails by panicking: unwrap, expect and panic are its assertions (clippy.toml allows
// them only in #[test] functions, not in the helpers around them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod callback;
mod delivery;
mod inline_start;
mod nested;
mod redrive;
mod service;
mod sfn;
mod stepfunctions;
mod telemetry;
mod test_cases;
mod test_state;
mod versions;
