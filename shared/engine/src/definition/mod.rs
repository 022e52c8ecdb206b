//! The checked definition: what validation makes of an ASL document, ready to execute.
//!
//! Everything that can be decided once per definition is decided here: state names are resolved
//! to indexes, paths and intrinsic calls are parsed, payload templates are compiled. The executor
//! never looks at the raw JSON again.

mod payload;
mod retry;
mod state;
mod template;

pub use payload::{Payload, PayloadEntry, PayloadError};
pub use retry::{error_matches, Catcher, Jitter, Retrier};
pub use state::{
    Assign, ChoiceBranch, Condition, Fail, IntOrPath, ItemBatcher, ItemSelector, ItemsSource, Map,
    NumberOrPath, Parallel, Pass, PathField, QueryLanguage, State, StateKind, StringOrPath, Task,
    Transition, Wait, WaitFor,
};
pub use template::Template;

/// Index of a state inside its [`Branch`].
pub type StateId = usize;

/// Index of a [`Branch`] inside the [`StateMachine`]. Branch 0 is the top level.
pub type BranchId = usize;

/// A list of states with a start: the top level, a Parallel branch or a Map item processor.
#[derive(Debug, Clone)]
pub struct Branch {
    pub start_at: StateId,
    pub states: Vec<State>,
}

impl Branch {
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id]
    }
}

/// A validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub timeout_seconds: Option<u64>,
    /// Every branch of the definition, flattened; `branches[0]` is the top level.
    pub branches: Vec<Branch>,
    /// The definition as given, for the API and the history.
    pub source: serde_json::Value,
}

impl StateMachine {
    pub fn branch(&self, id: BranchId) -> &Branch {
        &self.branches[id]
    }

    pub fn top(&self) -> &Branch {
        &self.branches[0]
    }

    /// Parses and validates a definition, collecting every problem.
    pub fn from_json(source: &serde_json::Value) -> Result<Self, Vec<crate::problem::Problem>> {
        crate::validate::check(source)
    }

    /// Parses text, then validates it.
    pub fn from_text(text: &str) -> Result<Self, Vec<crate::problem::Problem>> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            vec![crate::problem::Problem::new(
                crate::problem::INVALID_JSON_DESCRIPTION,
                format!("the definition is not valid JSON: {e}"),
                "",
            )]
        })?;
        Self::from_json(&value)
    }
}
