//! The states of a checked definition, one variant per ASL state type.

use serde_json::Value;

use super::{BranchId, Catcher, Payload, Retrier, StateId, Template};
use crate::jsonpath::Path;

/// Which language a state's fields are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

/// `Assign`: workflow variables a state sets when it ends.
#[derive(Debug, Clone)]
pub enum Assign {
    /// JSONPath states: a payload template (`"name.$": path or intrinsic`).
    JsonPath(Payload),
    /// JSONata states: a template whose `{% %}` strings are expressions.
    Jsonata(Template),
}

/// One rule of a Choice state.
#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub condition: Condition,
    pub next: StateId,
    pub assign: Option<Assign>,
    /// JSONata only: the state's output when this rule matches.
    pub output: Option<Template>,
}

#[derive(Debug, Clone)]
pub enum Condition {
    /// A JSONPath Boolean rule (`Variable`, comparison operators, And/Or/Not).
    Rule(crate::choice::Rule),
    /// A JSONata `Condition` expression.
    Jsonata(Template),
}

/// `InputPath`, `OutputPath`, `ResultPath` and `ItemsPath`: absent means `$`, `null` discards.
#[derive(Debug, Clone, Default)]
pub enum PathField {
    /// Not given: `$` (the whole value).
    #[default]
    Whole,
    /// Given as `null`.
    Discard,
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(StateId),
    End,
}

/// A field given either as a literal or through a path to the state's input (`FooPath`).
#[derive(Debug, Clone)]
pub enum IntOrPath {
    Value(i64),
    Path(Path),
    /// JSONata: `{% … %}` evaluated when the state runs.
    Expression(Template),
}

#[derive(Debug, Clone)]
pub enum NumberOrPath {
    Value(f64),
    Path(Path),
    Expression(Template),
}

#[derive(Debug, Clone)]
pub enum StringOrPath {
    Value(String),
    Path(Path),
    /// `ErrorPath`/`CausePath` may be an intrinsic call as well.
    Intrinsic(crate::intrinsics::Intrinsic),
    /// JSONata: `Error`/`Cause` as `{% … %}`.
    Expression(Template),
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub input_path: PathField,
    pub output_path: PathField,
    pub transition: Transition,
    pub kind: StateKind,
    pub language: QueryLanguage,
    pub assign: Option<Assign>,
    /// JSONata `Output`.
    pub output: Option<Template>,
}

impl State {
    /// The `Type` as AWS writes it (and as history event names begin).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice { .. } => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(Pass),
    Task(Box<Task>),
    Choice {
        choices: Vec<ChoiceBranch>,
        default: Option<StateId>,
    },
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Box<Parallel>),
    Map(Box<Map>),
}

#[derive(Debug, Clone)]
pub struct Pass {
    pub result: Option<Value>,
    pub parameters: Option<Payload>,
    pub result_path: PathField,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: String,
    /// What the resource is, as the checker recognized it.
    pub kind: crate::validate::ResourceKind,
    pub parameters: Option<Payload>,
    /// JSONata `Arguments`.
    pub arguments: Option<Template>,
    pub result_selector: Option<Payload>,
    pub result_path: PathField,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout_seconds: Option<IntOrPath>,
    pub heartbeat_seconds: Option<IntOrPath>,
    pub credentials: Option<Payload>,
}

#[derive(Debug, Clone)]
pub enum WaitFor {
    Seconds(i64),
    SecondsPath(Path),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    TimestampPath(Path),
    /// JSONata `Seconds: "{% … %}"`.
    SecondsExpression(Template),
    /// JSONata `Timestamp: "{% … %}"`.
    TimestampExpression(Template),
}

#[derive(Debug, Clone)]
pub struct Wait {
    pub wait_for: WaitFor,
}

#[derive(Debug, Clone)]
pub struct Fail {
    pub error: Option<StringOrPath>,
    pub cause: Option<StringOrPath>,
}

#[derive(Debug, Clone)]
pub struct Parallel {
    pub branches: Vec<BranchId>,
    pub parameters: Option<Payload>,
    pub arguments: Option<Template>,
    pub result_selector: Option<Payload>,
    pub result_path: PathField,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// Where a Map state's items come from.
#[derive(Debug, Clone)]
pub enum ItemsSource {
    /// `ItemsPath` (default `$`) applied to the effective input.
    Path(PathField),
    /// JSONata `Items`: an array, or an expression that gives one (default: the state input).
    Jsonata(Option<Template>),
}

/// `ItemSelector` (or the older `Parameters`) of a Map state.
#[derive(Debug, Clone)]
pub enum ItemSelector {
    JsonPath(Payload),
    Jsonata(Template),
}

#[derive(Debug, Clone)]
pub struct Map {
    pub processor: BranchId,
    pub items: ItemsSource,
    /// `ItemSelector`, or the older `Parameters`.
    pub item_selector: Option<ItemSelector>,
    pub max_concurrency: IntOrPath,
    pub tolerated_failure_count: Option<IntOrPath>,
    pub tolerated_failure_percentage: Option<NumberOrPath>,
    pub result_selector: Option<Payload>,
    pub result_path: PathField,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`: run inline, but record Map Run events.
    pub distributed: bool,
    /// `ItemBatcher` (Distributed mode): each iteration gets a batch of items.
    pub item_batcher: Option<ItemBatcher>,
}

/// `ItemBatcher`: each iteration's input is `{"BatchInput": ..., "Items": [...]}`.
#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<IntOrPath>,
    pub max_input_bytes_per_batch: Option<IntOrPath>,
    pub batch_input: Option<Payload>,
}
