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
    /// Its JSON pointer in the definition: `""` for the top level,
    /// `/States/P/Branches/0` or `/States/M/ItemProcessor` for the others.
    pub pointer: String,
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

    /// Every Task state, those of Parallel branches and Map processors included, in the order
    /// of the branches.
    pub fn tasks(&self) -> impl Iterator<Item = TaskAt<'_>> + '_ {
        self.branches.iter().flat_map(|branch| {
            branch
                .states
                .iter()
                .filter_map(move |state| match &state.kind {
                    StateKind::Task(task) => Some(TaskAt {
                        branch,
                        name: &state.name,
                        task,
                    }),
                    _ => None,
                })
        })
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

/// A Task state of a [`StateMachine`], and where it is.
pub struct TaskAt<'a> {
    branch: &'a Branch,
    name: &'a str,
    pub task: &'a Task,
}

impl TaskAt<'_> {
    /// The JSON pointer of its `Resource` (`/States/A/Resource`), made only when asked for.
    pub fn resource_pointer(&self) -> String {
        format!(
            "{}/States/{}/Resource",
            self.branch.pointer,
            crate::problem::pointer_escape(self.name)
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tasks_are_listed_with_the_pointer_of_their_resource() {
        let machine = StateMachine::from_json(&json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Parallel", "Next": "M", "Branches": [
                    {"StartAt": "In a branch", "States": {
                        "In a branch": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}
                    }}
                ]},
                "M": {"Type": "Map", "Next": "a/b~c", "ItemProcessor": {"StartAt": "Item", "States": {
                    "Item": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": true}
                }}},
                "a/b~c": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done"},
                "Done": {"Type": "Succeed"}
            }
        }))
        .unwrap();
        let tasks: Vec<(String, &str)> = machine
            .tasks()
            .map(|at| (at.resource_pointer(), at.task.resource.as_str()))
            .collect();
        assert_eq!(
            tasks,
            [
                (
                    "/States/a~1b~0c/Resource".to_owned(),
                    "arn:aws:states:::lambda:invoke"
                ),
                (
                    "/States/P/Branches/0/States/In a branch/Resource".to_owned(),
                    "arn:aws:states:::sqs:sendMessage"
                ),
                (
                    "/States/M/ItemProcessor/States/Item/Resource".to_owned(),
                    "arn:aws:lambda:us-east-1:111111111111:function:f"
                ),
            ]
        );
    }
}
