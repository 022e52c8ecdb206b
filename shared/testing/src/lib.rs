//! Test support shared by quickstep's test suites: moto's server on loopback, a fake HTTP
//! endpoint (Lambda's Invoke API, for instance), and `greeter`, a Lambda function to serve as a
//! Task locally (`src/bin/greeter.rs`).
//!
//! Only tests depend on this crate (as a dev-dependency); it panics, with a message saying
//! what is wrong, where a test would fail anyway.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod http;
pub mod moto;
