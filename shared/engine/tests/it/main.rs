//! The engine's integration tests: malformed definitions, redrive, and snapshots resumed after
//! every step.
//!
//! One test binary for the crate's integration tests (a binary per file linked the crate and
//! its dependencies once each): each file is a module.

// A test fails by panicking: unwrap, expect and panic are its assertions (clippy.toml allows
// them only in #[test] functions, not in the helpers around them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod malformed;
mod redrive;
mod resume;
