//! placeholder, written by the choice helper
