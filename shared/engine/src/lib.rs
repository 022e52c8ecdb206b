//! quickstep's Amazon States Language engine.

pub mod choice;
pub mod definition;
pub mod digest;
pub mod execution;
pub mod failure;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod problem;
pub mod scope;
pub mod timestamp;
pub mod validate;
pub mod value_type;
