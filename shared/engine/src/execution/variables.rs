//! Workflow variables: lookup through nested scopes, and applying a state's `Assign`.
//!
//! A state's assignments are all evaluated against the values from before the state ran, then
//! applied together when the state ends, so no assignment sees another of the same state.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::snapshot::VariableScope;

/// Looks `name` up from scope `scope` outward.
pub(crate) fn lookup<'a>(
    scopes: &'a BTreeMap<u64, VariableScope>,
    scope: u64,
    name: &str,
) -> Option<&'a Value> {
    let mut current = Some(scope);
    while let Some(id) = current {
        // A scope with nothing assigned yet may not exist (the top level's is made lazily).
        let s = scopes.get(&id)?;
        if let Some(v) = crate::jsonpath::member(&s.vars, name) {
            return Some(v);
        }
        current = s.parent;
    }
    None
}

/// Sets every variable of `values` in `scope`.
pub(crate) fn assign(
    scopes: &mut BTreeMap<u64, VariableScope>,
    scope: u64,
    values: Map<String, Value>,
) {
    scopes.entry(scope).or_default().vars.extend(values);
}

/// Opens a scope for a branch or iteration; `parent` is `None` where outer variables must not be
/// visible (Distributed Map iterations, which AWS runs as child workflows).
pub(crate) fn open(scopes: &mut BTreeMap<u64, VariableScope>, id: u64, parent: Option<u64>) {
    scopes.insert(
        id,
        VariableScope {
            parent,
            vars: Map::new(),
        },
    );
}

pub(crate) fn close(scopes: &mut BTreeMap<u64, VariableScope>, id: u64) {
    if id != 0 {
        scopes.remove(&id);
    }
}
