//! JSONata templates: a JSON value in which every string that is entirely `{% … %}` is a JSONata
//! expression (`Arguments`, `Output`, `Assign`, `Items`, `Condition`, …). Expressions are parsed
//! once, when the definition is checked; parts without expressions are kept as one static value.

use serde_json::{Map, Value};

use crate::jsonata::{template_expression, Expression};
use crate::problem::{pointer_escape, Problem};

#[derive(Debug, Clone)]
pub enum Template {
    Static(Value),
    Expression(Box<Expression>),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

impl Template {
    /// Compiles a template, adding a problem (at the string's pointer) for each expression that
    /// does not parse.
    pub fn compile(value: &Value, pointer: &str, problems: &mut Vec<Problem>) -> Self {
        if !has_expression(value) {
            return Self::Static(value.clone());
        }
        match value {
            Value::String(s) => match template_expression(s).map(Expression::parse) {
                Some(Ok(expr)) => Self::Expression(Box::new(expr)),
                Some(Err(e)) => {
                    problems.push(Problem::schema(
                        format!("The JSONata expression '{s}' is not valid: {e}"),
                        pointer,
                    ));
                    Self::Static(Value::Null)
                }
                None => Self::Static(value.clone()),
            },
            Value::Object(map) => Self::Object(
                map.iter()
                    .map(|(k, v)| {
                        let child = format!("{pointer}/{}", pointer_escape(k));
                        (k.clone(), Self::compile(v, &child, problems))
                    })
                    .collect(),
            ),
            Value::Array(items) => Self::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::compile(v, &format!("{pointer}/{i}"), problems))
                    .collect(),
            ),
            other => Self::Static(other.clone()),
        }
    }

    /// The single expression, if the whole template is one `{% … %}` string.
    pub fn as_expression(&self) -> Option<&Expression> {
        match self {
            Self::Expression(e) => Some(e),
            _ => None,
        }
    }

    /// Every expression in the template.
    pub fn expressions(&self) -> Vec<&Expression> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Expression>) {
        match self {
            Self::Static(_) => {}
            Self::Expression(e) => out.push(e),
            Self::Object(entries) => entries.iter().for_each(|(_, t)| t.collect(out)),
            Self::Array(items) => items.iter().for_each(|t| t.collect(out)),
        }
    }

    /// Fills in the template. `eval` evaluates each expression, given the field path AWS names
    /// in errors (`Arguments`, `Arguments/FunctionName`, `Items/1`); it decides what an
    /// undefined result means (for Step Functions, always an error).
    pub fn evaluate<E>(
        &self,
        path: &str,
        eval: &mut impl FnMut(&Expression, &str) -> Result<Value, E>,
    ) -> Result<Value, E> {
        match self {
            Self::Static(v) => Ok(v.clone()),
            Self::Expression(e) => eval(e, path),
            Self::Object(entries) => {
                let mut out = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    let child = format!("{path}/{k}");
                    out.insert(k.clone(), t.evaluate(&child, eval)?);
                }
                Ok(Value::Object(out))
            }
            Self::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    out.push(t.evaluate(&format!("{path}/{i}"), eval)?);
                }
                Ok(Value::Array(out))
            }
        }
    }
}

fn has_expression(value: &Value) -> bool {
    match value {
        Value::String(s) => template_expression(s).is_some(),
        Value::Object(map) => map.values().any(has_expression),
        Value::Array(items) => items.iter().any(has_expression),
        _ => false,
    }
}
