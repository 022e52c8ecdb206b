//! One module per subcommand.

pub mod bench;
pub mod conformance;
pub mod input;
pub mod run;
pub mod validate;
