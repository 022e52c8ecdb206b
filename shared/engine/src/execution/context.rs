//! The context object (`$$`) and the scope paths are evaluated in.

use std::borrow::Cow;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::snapshot::{ExecutionInfo, Millis, VariableScope};
use crate::jsonpath::{Path, Root, Segment};
use crate::scope::Scope;
use crate::timestamp::format_millis;

/// What the context object says about the current state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateContext<'a> {
    pub name: &'a str,
    pub entered_time: Millis,
    /// `Some` for states that can retry (Task, Parallel, Map).
    pub retry_count: Option<u32>,
    /// `$$.Map.Item`, while a Map state selects an item.
    pub map_item: Option<(usize, &'a Value)>,
    /// `$$.Task.Token`, while a `.waitForTaskToken` task's parameters are evaluated.
    pub task_token: Option<&'a str>,
}

/// A scope over a state's input and the context object, built lazily: most paths never touch `$$`.
pub(crate) struct EvalScope<'a> {
    pub input: &'a Value,
    pub execution: &'a ExecutionInfo,
    pub state: StateContext<'a>,
    pub rng: &'a mut u64,
    /// Workflow variables: every scope, and the one the state runs in.
    pub vars: Vars<'a>,
    context: Option<Value>,
}

/// A view of the workflow variables a state can read.
#[derive(Clone, Copy)]
pub(crate) struct Vars<'a> {
    pub scopes: &'a BTreeMap<u64, VariableScope>,
    pub scope: u64,
}

impl<'a> Vars<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        super::variables::lookup(self.scopes, self.scope, name)
    }
}

impl<'a> EvalScope<'a> {
    pub fn new(
        input: &'a Value,
        execution: &'a ExecutionInfo,
        state: StateContext<'a>,
        rng: &'a mut u64,
        vars: Vars<'a>,
    ) -> Self {
        Self {
            input,
            execution,
            state,
            rng,
            vars,
            context: None,
        }
    }

    /// Builds the context object (only when a `$$` path needs more than `Execution.Input`).
    pub fn context_object(&self) -> Value {
        let e = self.execution;
        if let Some(given) = &e.context {
            return (**given).clone();
        }
        let mut execution = Map::new();
        execution.insert("Id".into(), e.execution_arn.clone().into());
        execution.insert("Input".into(), (*e.input).clone());
        execution.insert("StartTime".into(), format_millis(e.start_time).into());
        execution.insert("Name".into(), e.name.clone().into());
        execution.insert("RoleArn".into(), e.role_arn.clone().into());
        if !e.express {
            execution.insert("RedriveCount".into(), 0.into());
        }
        let mut machine = Map::new();
        machine.insert("Id".into(), e.state_machine_arn.clone().into());
        machine.insert("Name".into(), e.state_machine_name.clone().into());
        let mut state = Map::new();
        state.insert("Name".into(), self.state.name.into());
        state.insert(
            "EnteredTime".into(),
            format_millis(self.state.entered_time).into(),
        );
        if let Some(n) = self.state.retry_count {
            state.insert("RetryCount".into(), n.into());
        }
        let mut ctx = Map::new();
        ctx.insert("Execution".into(), Value::Object(execution));
        ctx.insert("StateMachine".into(), Value::Object(machine));
        ctx.insert("State".into(), Value::Object(state));
        if let Some(token) = self.state.task_token {
            let mut task = Map::new();
            task.insert("Token".into(), token.into());
            ctx.insert("Task".into(), Value::Object(task));
        }
        if let Some((index, value)) = self.state.map_item {
            let mut item = Map::new();
            item.insert("Index".into(), index.into());
            item.insert("Value".into(), value.clone());
            let mut map = Map::new();
            map.insert("Item".into(), Value::Object(item));
            ctx.insert("Map".into(), Value::Object(map));
        }
        Value::Object(ctx)
    }

    fn lookup_context(&mut self, path: &Path) -> Option<Cow<'_, Value>> {
        // `$$.Execution.Input...` is common and needs no context object.
        if let Some([Segment::Field(a), Segment::Field(b), rest @ ..]) = path.segments() {
            if a == "Execution" && b == "Input" && self.execution.context.is_none() {
                return crate::jsonpath::walk(&self.execution.input, rest).map(Cow::Borrowed);
            }
        }
        if self.context.is_none() {
            self.context = Some(self.context_object());
        }
        let ctx = self.context.as_ref()?;
        path.select(ctx)
    }
}

impl Scope for EvalScope<'_> {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        match path.root() {
            Root::Input => path.select(self.input),
            Root::Context => {
                if let Some([Segment::Field(a), Segment::Field(b), rest @ ..]) = path.segments() {
                    if a == "Execution" && b == "Input" && self.execution.context.is_none() {
                        return crate::jsonpath::walk(&self.execution.input, rest)
                            .map(Cow::Borrowed);
                    }
                }
                match &self.context {
                    Some(ctx) => path.select(ctx),
                    None => path
                        .select(&self.context_object())
                        .map(|v| Cow::Owned(v.into_owned())),
                }
            }
            Root::Variable(name) => path.select(self.vars.get(name)?),
        }
    }

    fn random_u64(&mut self) -> u64 {
        next_random(self.rng)
    }
}

impl EvalScope<'_> {
    /// Resolves a path, building and caching the context object if it is needed.
    pub fn resolve(&mut self, path: &Path) -> Option<Value> {
        match path.root() {
            Root::Context => self.lookup_context(path).map(Cow::into_owned),
            _ => self.lookup(path).map(Cow::into_owned),
        }
    }
}

/// SplitMix64: small, fast, and good enough for jitter and UUIDs; its state lives in the
/// snapshot so a resumed execution draws the same numbers.
pub(crate) fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1).
pub(crate) fn unit_random(state: &mut u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let x = (next_random(state) >> 11) as f64;
    x / (1u64 << 53) as f64
}
