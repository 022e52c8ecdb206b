//! The CLI's integration tests: the quickstep binary's commands, run as a user runs them.
//!
//! One test binary for the crate's integration tests (a binary per file linked the crate and
//! its dependencies once each): each file is a module.

// A test fails by panicking: unwrap, expect and panic are its assertions (clippy.toml allows
// them only in #[test] functions, not in the helpers around them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod common;
mod cost_cli;
mod graph_cli;
mod jsonata_cli;
mod local_aws;
mod sdk_sfn;
mod serve_durable;
