//! One module per subcommand.

pub mod bench;
pub mod conformance;
pub mod cost;
pub mod graph;
pub mod input;
pub mod jsonata;
pub mod jsonata_suite;
pub mod pump;
pub mod run;
pub mod serve;
pub mod setup;
pub mod simulate;
pub mod trace;
pub mod validate;
