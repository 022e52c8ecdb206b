//! placeholder, written by the conformance helper
