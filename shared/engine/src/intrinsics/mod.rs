//! The Amazon States Language intrinsic functions (`States.Format(...)` and friends), as used in
//! JSONPath payload templates (`"key.$": "States.Array($.a, 1)"`).
//!
//! [`Intrinsic::parse`] turns the call text into a tree once; [`Intrinsic::evaluate`] runs it
//! against a [`Scope`]. Failures follow AWS: a path argument that selects nothing is a
//! `States.Runtime` failure, a bad argument value is a `States.IntrinsicFailure`.
//!
//! Causes are returned *without* the `An error occurred while executing the state 'X' (entered at
//! the event id #N). ` prefix AWS puts in front of runtime failures: the state executor knows the
//! state name and event id and prepends it.

mod eval;
mod java;
mod parse;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::failure::Failure;
use crate::jsonpath::Path;
use crate::scope::Scope;

/// A parsed intrinsic function call, ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Intrinsic {
    text: String,
    call: Call,
}

/// Intrinsic call text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IntrinsicParseError {
    pub message: String,
}

#[derive(Debug, Clone)]
struct Call {
    func: Func,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
enum Arg {
    /// A number, boolean or null literal.
    Literal(Value),
    /// A single-quoted string literal: its unescaped value, and the same text split at unescaped
    /// `{}` placeholders (escaped braces `\{` `\}` are text, not placeholders).
    String {
        value: String,
        pieces: Vec<TemplatePiece>,
    },
    Path(Path),
    Call(Box<Call>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePiece {
    Text(String),
    Placeholder,
}

macro_rules! funcs {
    ($($variant:ident = $name:literal, $min:expr, $max:expr;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Func { $($variant),* }

        impl Func {
            fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }

            fn name(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }

            /// Minimum and maximum (None: unbounded) argument counts.
            fn arity(self) -> (usize, Option<usize>) {
                match self { $(Self::$variant => ($min, $max)),* }
            }
        }
    };
}

funcs! {
    Format = "States.Format", 1, None;
    StringToJson = "States.StringToJson", 1, Some(1);
    JsonToString = "States.JsonToString", 1, Some(1);
    Array = "States.Array", 0, None;
    ArrayPartition = "States.ArrayPartition", 2, Some(2);
    ArrayContains = "States.ArrayContains", 2, Some(2);
    ArrayRange = "States.ArrayRange", 3, Some(3);
    ArrayGetItem = "States.ArrayGetItem", 2, Some(2);
    ArrayLength = "States.ArrayLength", 1, Some(1);
    ArrayUnique = "States.ArrayUnique", 1, Some(1);
    Base64Encode = "States.Base64Encode", 1, Some(1);
    Base64Decode = "States.Base64Decode", 1, Some(1);
    Hash = "States.Hash", 2, Some(2);
    JsonMerge = "States.JsonMerge", 3, Some(3);
    MathRandom = "States.MathRandom", 2, Some(3);
    MathAdd = "States.MathAdd", 2, Some(2);
    StringSplit = "States.StringSplit", 2, Some(2);
    Uuid = "States.UUID", 0, Some(0);
}

impl Intrinsic {
    /// True if the text looks like an intrinsic call ("States." prefix after trimming), so callers
    /// know to parse it as one rather than as a path.
    pub fn looks_like_call(text: &str) -> bool {
        text.trim().starts_with("States.")
    }

    /// Parses e.g. `States.Format('x {}', $.a, States.MathAdd(1, 2))`. Rejects unknown function
    /// names, wrong argument counts where they are fixed, malformed literals/paths and trailing
    /// garbage, with a message saying what and where.
    pub fn parse(text: &str) -> Result<Intrinsic, IntrinsicParseError> {
        let call = parse::parse_call_text(text)?;
        Ok(Intrinsic {
            text: text.to_owned(),
            call,
        })
    }

    /// The call as written in the definition.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every path argument in the call tree (for validation).
    pub fn paths(&self) -> Vec<&Path> {
        fn collect<'a>(call: &'a Call, out: &mut Vec<&'a Path>) {
            for arg in &call.args {
                match arg {
                    Arg::Path(p) => out.push(p),
                    Arg::Call(c) => collect(c, out),
                    Arg::Literal(_) | Arg::String { .. } => {}
                }
            }
        }
        let mut out = Vec::new();
        collect(&self.call, &mut out);
        out
    }

    /// Evaluates the call. `field` is the payload-template key being evaluated (e.g. "value.$"),
    /// for error messages.
    pub fn evaluate(&self, scope: &mut dyn Scope, field: &str) -> Result<Value, Failure> {
        eval::evaluate(&self.call, scope, field)
    }
}
