//! placeholder, written by the intrinsics helper
