//! One module per subcommand.

pub mod bench;
pub mod conformance;
#[cfg(feature = "aws")]
pub mod cost;
pub mod graph;
pub mod input;
pub mod jsonata;
pub mod jsonata_suite;
#[cfg(feature = "aws")]
pub mod pump;
pub mod run;
#[cfg(feature = "aws")]
pub mod serve;
#[cfg(feature = "aws")]
pub mod setup;
pub mod simulate;
pub mod trace;
pub mod validate;
