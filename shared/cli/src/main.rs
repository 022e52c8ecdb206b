//! The `quickstep` command line.

mod conformance;

fn main() {}
