//! What a path or expression can see while a state runs.

use std::borrow::Cow;

use serde_json::Value;

use crate::jsonpath::Path;

/// Resolves paths against their roots: the state input (`$`), the context object (`$$`) and
/// workflow variables (`$name`).
pub trait Scope {
    /// The value the path selects, or `None` when it selects nothing.
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>>;

    /// Deterministic random bits for `States.UUID` and `States.MathRandom`: the engine never reads
    /// a random generator itself, it draws from the seed kept in the execution snapshot.
    fn random_u64(&mut self) -> u64;
}
