//! Temporary stand-in with the agreed API; replaced by the real module.
#![allow(dead_code, clippy::missing_const_for_fn)]
use serde_json::Value;
#[derive(Clone, Debug)]
pub struct Expression {
    text: String,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JsonataError {
    pub code: String,
    pub message: String,
}
pub trait Environment {
    fn now_millis(&self) -> i64;
    fn random_u64(&mut self) -> u64;
}
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub time_limit_ms: u64,
}
impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 500,
            time_limit_ms: 1000,
        }
    }
}
impl Expression {
    pub fn parse(text: &str) -> Result<Expression, JsonataError> {
        Ok(Self {
            text: text.to_owned(),
        })
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn evaluate(
        &self,
        _input: &Value,
        _bindings: &[(&str, &Value)],
        _env: &mut dyn Environment,
        _limits: Limits,
    ) -> Result<Option<Value>, JsonataError> {
        Ok(None)
    }
    pub fn variables(&self) -> Vec<String> {
        Vec::new()
    }
}
/// The code of the error for a result JSON cannot hold (a function, NaN).
pub const UNSUPPORTED_RESULT: &str = "Q0001";
pub fn template_expression(s: &str) -> Option<&str> {
    let t = s.strip_prefix("{%")?.strip_suffix("%}")?;
    Some(t)
}
