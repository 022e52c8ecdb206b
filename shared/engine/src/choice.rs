//! Choice rules of the JSONPath query language: compiling the `Choices` array of a Choice state
//! and evaluating its rules.
//!
//! A rule is compiled once into a tree whose leaves hold parsed paths, parsed timestamps and
//! split `StringMatches` patterns, so that evaluating it (a hot path: workflows loop through Choice
//! states) allocates nothing unless it fails.
//!
//! Semantics, as AWS behaves (checked against the recorded conformance corpus):
//! - A comparison whose `Variable` holds a value of the wrong type is simply false
//!   (`StringEquals` on a number, `BooleanEquals` on `"true"`, `TimestampEquals` on a string that is
//!   not an RFC 3339 timestamp, ...). The same holds for the value a `...Path` operand selects.
//! - A `Variable` (or `...Path` operand) that selects nothing fails the execution with
//!   `States.Runtime`, except under `IsPresent`, which is exactly the test for that. The cause is
//!   `Invalid path '<path>': The choice state's condition path references an invalid value.`;
//!   AWS prefixes it with `An error occurred while executing the state '<name>' (entered at the
//!   event id #<n>). `, which the caller knows and this module does not.
//! - Strings order as Java's `String.compareTo` (UTF-16 code units); numbers compare as doubles.
//! - `StringMatches` knows one wildcard, `*` (any run of characters, possibly empty); in the
//!   pattern text `\*` is a literal star and `\\` a literal backslash (in the JSON source these are
//!   written `"\\*"` and `"\\\\"`). A backslash before any other character stands for itself.
//! - Timestamps are RFC 3339 date-times with a mandatory offset (`Z` or `±hh:mm`) and at most nine
//!   fractional digits, compared as instants (so `...T01:00:00+01:00` equals `...T00:00:00Z`).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::failure::Failure;
use crate::jsonpath::Path;
use crate::problem::{pointer_escape, Problem};
use crate::scope::Scope;

/// A compiled Boolean expression of a Choice state (a choice rule without its `Next`).
#[derive(Debug, Clone)]
pub struct Rule {
    node: Node,
}

/// A top-level choice rule: the expression and the state it leads to when true.
#[derive(Debug, Clone)]
pub struct Choice {
    pub rule: Rule,
    pub next: String,
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare { variable: Path, test: Test },
}

/// The ordering a comparison asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Cmp {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Cmp::Eq => ordering == Ordering::Equal,
            Cmp::Lt => ordering == Ordering::Less,
            Cmp::Gt => ordering == Ordering::Greater,
            Cmp::Le => ordering != Ordering::Greater,
            Cmp::Ge => ordering != Ordering::Less,
        }
    }

    fn holds_f64(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Lt => a < b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Ge => a >= b,
        }
    }
}

/// The right-hand side of a comparison: a literal from the definition or a path into the data.
#[derive(Debug, Clone)]
enum Operand<T> {
    Literal(T),
    Path(Path),
}

/// The type test of an `Is...` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone)]
enum Test {
    String(Cmp, Operand<String>),
    Matches(Pattern),
    Numeric(Cmp, Operand<f64>),
    Boolean(Operand<bool>),
    Timestamp(Cmp, Operand<Instant>),
    IsPresent(bool),
    Is(Kind, bool),
}

impl Rule {
    /// Evaluates the rule against what `scope` sees.
    pub fn evaluate(&self, scope: &dyn Scope) -> Result<bool, Failure> {
        match &self.node {
            Node::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Node::Not(rule) => Ok(!rule.evaluate(scope)?),
            Node::Compare { variable, test } => {
                let value = scope.lookup(variable);
                if let Test::IsPresent(expected) = test {
                    return Ok(value.is_some() == *expected);
                }
                let Some(value) = value else {
                    return Err(invalid_path(variable));
                };
                test.apply(&value, scope)
            }
        }
    }

    /// Every path the rule reads (its `Variable`s and `...Path` operands), in definition order.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        match &self.node {
            Node::And(rules) | Node::Or(rules) => {
                for rule in rules {
                    rule.collect_paths(out);
                }
            }
            Node::Not(rule) => rule.collect_paths(out),
            Node::Compare { variable, test } => {
                out.push(variable);
                match test {
                    Test::String(_, Operand::Path(p))
                    | Test::Numeric(_, Operand::Path(p))
                    | Test::Boolean(Operand::Path(p))
                    | Test::Timestamp(_, Operand::Path(p)) => out.push(p),
                    _ => {}
                }
            }
        }
    }
}

fn invalid_path(path: &Path) -> Failure {
    Failure::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.text()
    ))
}

/// Resolves a `...Path` operand; a path that selects nothing fails like a missing `Variable`.
fn resolve<'s, T>(
    operand: &'s Operand<T>,
    scope: &'s dyn Scope,
    literal: impl FnOnce(&'s T) -> bool,
    from_value: impl FnOnce(&Value) -> bool,
) -> Result<bool, Failure> {
    match operand {
        Operand::Literal(v) => Ok(literal(v)),
        Operand::Path(path) => match scope.lookup(path) {
            Some(value) => Ok(from_value(&value)),
            None => Err(invalid_path(path)),
        },
    }
}

impl Test {
    fn apply(&self, value: &Value, scope: &dyn Scope) -> Result<bool, Failure> {
        match self {
            Test::String(cmp, operand) => {
                let Value::String(s) = value else {
                    return Ok(false);
                };
                resolve(
                    operand,
                    scope,
                    |lit| cmp.holds(java_compare(s, lit)),
                    |other| match other {
                        Value::String(o) => cmp.holds(java_compare(s, o)),
                        _ => false,
                    },
                )
            }
            Test::Matches(pattern) => Ok(match value {
                Value::String(s) => pattern.matches(s),
                _ => false,
            }),
            Test::Numeric(cmp, operand) => {
                let Some(n) = number(value) else {
                    return Ok(false);
                };
                resolve(
                    operand,
                    scope,
                    |lit| cmp.holds_f64(n, *lit),
                    |other| number(other).is_some_and(|o| cmp.holds_f64(n, o)),
                )
            }
            Test::Boolean(operand) => {
                let Value::Bool(b) = value else {
                    return Ok(false);
                };
                resolve(
                    operand,
                    scope,
                    |lit| b == lit,
                    |other| other.as_bool() == Some(*b),
                )
            }
            Test::Timestamp(cmp, operand) => {
                let Some(t) = value.as_str().and_then(Instant::parse) else {
                    return Ok(false);
                };
                resolve(
                    operand,
                    scope,
                    |lit| cmp.holds(t.cmp(lit)),
                    |other| {
                        other
                            .as_str()
                            .and_then(Instant::parse)
                            .is_some_and(|o| cmp.holds(t.cmp(&o)))
                    },
                )
            }
            Test::IsPresent(expected) => Ok(*expected),
            Test::Is(kind, expected) => {
                let is = match kind {
                    Kind::Null => value.is_null(),
                    Kind::Numeric => value.is_number(),
                    Kind::String => value.is_string(),
                    Kind::Boolean => value.is_boolean(),
                    Kind::Timestamp => value.as_str().and_then(Instant::parse).is_some(),
                };
                Ok(is == *expected)
            }
        }
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Java's `String.compareTo`: lexicographic over UTF-16 code units.
fn java_compare(a: &str, b: &str) -> Ordering {
    // UTF-8 byte order equals code point order, which equals UTF-16 order unless the first
    // difference sets a supplementary character against one in U+E000..=U+FFFF.
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let common = ab.iter().zip(bb).take_while(|(x, y)| x == y).count();
    if common == ab.len() || common == bb.len() {
        return ab.len().cmp(&bb.len());
    }
    if a.is_ascii() && b.is_ascii() {
        return ab[common].cmp(&bb[common]);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

// ---------------------------------------------------------------------------------------------
// StringMatches patterns

/// A `StringMatches` pattern split at its wildcards: the text must be
/// `pieces[0] * pieces[1] * ... * pieces[n]`.
#[derive(Debug, Clone)]
struct Pattern {
    pieces: Vec<String>,
}

impl Pattern {
    fn compile(text: &str) -> Self {
        let mut pieces = vec![String::new()];
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '\\')) => {
                        chars.next();
                        push_char(&mut pieces, next);
                    }
                    _ => push_char(&mut pieces, '\\'),
                },
                '*' => pieces.push(String::new()),
                other => push_char(&mut pieces, other),
            }
        }
        Self { pieces }
    }

    fn matches(&self, text: &str) -> bool {
        let Some((first, rest)) = self.pieces.split_first() else {
            return text.is_empty();
        };
        let Some((last, middle)) = rest.split_last() else {
            return text == first;
        };
        if text.len() < first.len() + last.len()
            || !text.starts_with(first.as_str())
            || !text.ends_with(last.as_str())
        {
            return false;
        }
        // The window between the fixed prefix and suffix; UTF-8 is self-synchronizing, so byte
        // searches for whole pieces only ever match at character boundaries.
        let mut window = &text.as_bytes()[first.len()..text.len() - last.len()];
        for piece in middle {
            match find(window, piece.as_bytes()) {
                Some(at) => window = &window[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

fn push_char(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/// An instant: seconds since the Unix epoch and nanoseconds, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Instant {
    seconds: i64,
    nanos: u32,
}

impl Instant {
    /// Parses an RFC 3339 date-time: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`.
    fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let digits = |from: usize, len: usize| -> Option<u32> {
            let slice = b.get(from..from + len)?;
            slice.iter().try_fold(0u32, |acc, d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
        };
        let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
        let year = digits(0, 4)?;
        let month = digits(5, 2)?;
        let day = digits(8, 2)?;
        let hour = digits(11, 2)?;
        let minute = digits(14, 2)?;
        let second = digits(17, 2)?;
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let count = i - start;
            if count == 0 || count > 9 {
                return None;
            }
            nanos = digits(start, count)? * 10u32.pow(u32::try_from(9 - count).ok()?);
        }
        let offset_seconds: i64 = match b.get(i)? {
            b'Z' | b'z' => {
                i += 1;
                0
            }
            sign @ (b'+' | b'-') => {
                let oh = digits(i + 1, 2)?;
                let om = digits(i + 4, 2)?;
                if !sep(i + 3, b":") || oh > 23 || om > 59 {
                    return None;
                }
                i += 6;
                let magnitude = i64::from(oh * 3600 + om * 60);
                if *sign == b'-' {
                    -magnitude
                } else {
                    magnitude
                }
            }
            _ => return None,
        };
        if i != b.len() {
            return None;
        }
        let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        let time = chrono::NaiveTime::from_hms_opt(hour, minute, second)?;
        let local = date.and_time(time).and_utc().timestamp();
        Some(Self {
            seconds: local - offset_seconds,
            nanos,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Compiling

const BOOLEAN_OPERATORS: [&str; 3] = ["And", "Or", "Not"];

/// Every comparison operator, with its family and ordering (`Cmp::Eq` for those without one).
const COMPARISONS: [(&str, Family, Cmp); 34] = [
    ("StringEquals", Family::String, Cmp::Eq),
    ("StringLessThan", Family::String, Cmp::Lt),
    ("StringGreaterThan", Family::String, Cmp::Gt),
    ("StringLessThanEquals", Family::String, Cmp::Le),
    ("StringGreaterThanEquals", Family::String, Cmp::Ge),
    ("StringEqualsPath", Family::StringPath, Cmp::Eq),
    ("StringLessThanPath", Family::StringPath, Cmp::Lt),
    ("StringGreaterThanPath", Family::StringPath, Cmp::Gt),
    ("StringLessThanEqualsPath", Family::StringPath, Cmp::Le),
    ("StringGreaterThanEqualsPath", Family::StringPath, Cmp::Ge),
    ("StringMatches", Family::Matches, Cmp::Eq),
    ("NumericEquals", Family::Numeric, Cmp::Eq),
    ("NumericLessThan", Family::Numeric, Cmp::Lt),
    ("NumericGreaterThan", Family::Numeric, Cmp::Gt),
    ("NumericLessThanEquals", Family::Numeric, Cmp::Le),
    ("NumericGreaterThanEquals", Family::Numeric, Cmp::Ge),
    ("NumericEqualsPath", Family::NumericPath, Cmp::Eq),
    ("NumericLessThanPath", Family::NumericPath, Cmp::Lt),
    ("NumericGreaterThanPath", Family::NumericPath, Cmp::Gt),
    ("NumericLessThanEqualsPath", Family::NumericPath, Cmp::Le),
    ("NumericGreaterThanEqualsPath", Family::NumericPath, Cmp::Ge),
    ("BooleanEquals", Family::Boolean, Cmp::Eq),
    ("BooleanEqualsPath", Family::BooleanPath, Cmp::Eq),
    ("TimestampEquals", Family::Timestamp, Cmp::Eq),
    ("TimestampLessThan", Family::Timestamp, Cmp::Lt),
    ("TimestampGreaterThan", Family::Timestamp, Cmp::Gt),
    ("TimestampLessThanEquals", Family::Timestamp, Cmp::Le),
    ("TimestampGreaterThanEquals", Family::Timestamp, Cmp::Ge),
    ("TimestampEqualsPath", Family::TimestampPath, Cmp::Eq),
    ("TimestampLessThanPath", Family::TimestampPath, Cmp::Lt),
    ("TimestampGreaterThanPath", Family::TimestampPath, Cmp::Gt),
    (
        "TimestampLessThanEqualsPath",
        Family::TimestampPath,
        Cmp::Le,
    ),
    (
        "TimestampGreaterThanEqualsPath",
        Family::TimestampPath,
        Cmp::Ge,
    ),
    ("IsPresent", Family::IsPresent, Cmp::Eq),
];

/// The type tests besides `IsPresent`.
const TYPE_TESTS: [(&str, Kind); 5] = [
    ("IsNull", Kind::Null),
    ("IsNumeric", Kind::Numeric),
    ("IsString", Kind::String),
    ("IsBoolean", Kind::Boolean),
    ("IsTimestamp", Kind::Timestamp),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringPath,
    Matches,
    Numeric,
    NumericPath,
    Boolean,
    BooleanPath,
    Timestamp,
    TimestampPath,
    IsPresent,
}

fn is_operator(name: &str) -> bool {
    BOOLEAN_OPERATORS.contains(&name)
        || COMPARISONS.iter().any(|(n, _, _)| *n == name)
        || TYPE_TESTS.iter().any(|(n, _)| *n == name)
}

/// Compiles the `Choices` array of a JSONPath Choice state.
///
/// `choices` is the raw `Choices` value and `pointer` its JSON pointer (such as
/// `/States/Check/Choices`). On failure every problem found is returned, each located at the
/// offending rule or field. `Default` and `States.NoChoiceMatched` are the caller's business, as is
/// the JSONPath-only `Assign` of a top-level rule, which is accepted here and not checked.
pub fn compile_choices(choices: &Value, pointer: &str) -> Result<Vec<Choice>, Vec<Problem>> {
    let mut problems = Vec::new();
    let Value::Array(items) = choices else {
        return Err(vec![Problem::schema(
            "Expected value of type Array",
            pointer,
        )]);
    };
    if items.is_empty() {
        return Err(vec![Problem::schema(
            "The field 'Choices' must contain at least one choice rule",
            pointer,
        )]);
    }
    let mut compiled = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = format!("{pointer}/{index}");
        let before = problems.len();
        let next = top_level_next(item, &at, &mut problems);
        let rule = compile_rule(item, &at, true, &mut problems);
        if let (Some(rule), Some(next), true) = (rule, next, problems.len() == before) {
            compiled.push(Choice { rule, next });
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(problems)
    }
}

fn top_level_next(item: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let Value::Object(map) = item else {
        return None;
    };
    match map.get("Next") {
        None => {
            problems.push(Problem::schema(
                "The field 'Next' is required but was missing",
                at,
            ));
            None
        }
        Some(Value::String(next)) => Some(next.clone()),
        Some(_) => {
            problems.push(Problem::schema(
                "Expected value of type String",
                format!("{at}/Next"),
            ));
            None
        }
    }
}

/// Compiles one rule; problems are pushed rather than returned so that every one is reported.
fn compile_rule(
    value: &Value,
    at: &str,
    top_level: bool,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let Value::Object(map) = value else {
        problems.push(Problem::schema("Expected value of type Object", at));
        return None;
    };
    let mut ok = true;
    for key in map.keys() {
        let allowed = is_operator(key)
            || key == "Variable"
            || key == "Comment"
            || (top_level && (key == "Next" || key == "Assign"));
        if !allowed {
            problems.push(Problem::schema(
                format!("Field '{key}' is not supported"),
                at,
            ));
            ok = false;
        }
    }
    let operators: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| is_operator(k))
        .collect();
    let operator = match operators.as_slice() {
        [one] => *one,
        [] => {
            problems.push(Problem::schema(
                "A choice rule must have exactly one comparison operator or one of And, Or, Not",
                at,
            ));
            return None;
        }
        _ => {
            problems.push(Problem::schema(
                format!(
                    "A choice rule must have exactly one comparison operator or one of And, Or, \
                     Not, but has {}",
                    operators.join(", ")
                ),
                at,
            ));
            return None;
        }
    };
    let field_at = format!("{at}/{}", pointer_escape(operator));
    let operand = map.get(operator).unwrap_or(&Value::Null);
    let node = if BOOLEAN_OPERATORS.contains(&operator) {
        if map.contains_key("Variable") {
            problems.push(Problem::schema("Field 'Variable' is not supported", at));
            ok = false;
        }
        compile_boolean(operator, operand, &field_at, problems)
    } else {
        compile_comparison(map, operator, operand, at, &field_at, problems)
    };
    match node {
        Some(node) if ok => Some(Rule { node }),
        _ => None,
    }
}

fn compile_boolean(
    operator: &str,
    operand: &Value,
    field_at: &str,
    problems: &mut Vec<Problem>,
) -> Option<Node> {
    if operator == "Not" {
        return compile_rule(operand, field_at, false, problems).map(|r| Node::Not(Box::new(r)));
    }
    let Value::Array(items) = operand else {
        problems.push(Problem::schema("Expected value of type Array", field_at));
        return None;
    };
    if items.is_empty() {
        problems.push(Problem::schema(
            format!("The field '{operator}' must contain at least one choice rule"),
            field_at,
        ));
        return None;
    }
    let before = problems.len();
    let rules: Vec<Rule> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| compile_rule(item, &format!("{field_at}/{i}"), false, problems))
        .collect();
    if problems.len() != before || rules.len() != items.len() {
        return None;
    }
    Some(if operator == "And" {
        Node::And(rules)
    } else {
        Node::Or(rules)
    })
}

fn compile_comparison(
    map: &Map<String, Value>,
    operator: &str,
    operand: &Value,
    at: &str,
    field_at: &str,
    problems: &mut Vec<Problem>,
) -> Option<Node> {
    let variable = match map.get("Variable") {
        None => {
            problems.push(Problem::schema(
                "The field 'Variable' is required but was missing",
                at,
            ));
            None
        }
        Some(v) => parse_path(v, "Variable", &format!("{at}/Variable"), problems),
    };
    let test = compile_test(operator, operand, field_at, problems);
    Some(Node::Compare {
        variable: variable?,
        test: test?,
    })
}

/// Parses a `Variable` or `...Path` value: a string holding a reference path.
fn parse_path(value: &Value, field: &str, at: &str, problems: &mut Vec<Problem>) -> Option<Path> {
    let parsed = value.as_str().and_then(|s| Path::parse_reference(s).ok());
    if parsed.is_none() {
        problems.push(Problem::schema(
            format!("The value for the field '{field}' must be a valid JSONPath"),
            at,
        ));
    }
    parsed
}

fn expect_type<T>(
    parsed: Option<T>,
    type_name: &str,
    at: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    if parsed.is_none() {
        problems.push(Problem::schema(
            format!("Expected value of type {type_name}"),
            at,
        ));
    }
    parsed
}

fn compile_test(
    operator: &str,
    operand: &Value,
    at: &str,
    problems: &mut Vec<Problem>,
) -> Option<Test> {
    if let Some((_, kind)) = TYPE_TESTS.iter().find(|(n, _)| *n == operator) {
        let expected = expect_type(operand.as_bool(), "Boolean", at, problems)?;
        return Some(Test::Is(*kind, expected));
    }
    let (_, family, cmp) = COMPARISONS.iter().find(|(n, _, _)| *n == operator)?;
    let cmp = *cmp;
    let path = |problems: &mut Vec<Problem>| parse_path(operand, operator, at, problems);
    Some(match family {
        Family::String => {
            let s = expect_type(operand.as_str(), "String", at, problems)?;
            Test::String(cmp, Operand::Literal(s.to_owned()))
        }
        Family::StringPath => Test::String(cmp, Operand::Path(path(problems)?)),
        Family::Matches => {
            let s = expect_type(operand.as_str(), "String", at, problems)?;
            Test::Matches(Pattern::compile(s))
        }
        Family::Numeric => {
            let n = expect_type(number(operand), "Number", at, problems)?;
            Test::Numeric(cmp, Operand::Literal(n))
        }
        Family::NumericPath => Test::Numeric(cmp, Operand::Path(path(problems)?)),
        Family::Boolean => {
            let b = expect_type(operand.as_bool(), "Boolean", at, problems)?;
            Test::Boolean(Operand::Literal(b))
        }
        Family::BooleanPath => Test::Boolean(Operand::Path(path(problems)?)),
        Family::Timestamp => {
            let s = expect_type(operand.as_str(), "String", at, problems)?;
            let Some(t) = Instant::parse(s) else {
                problems.push(Problem::schema(
                    "String does not match RFC3339 timestamp",
                    at,
                ));
                return None;
            };
            Test::Timestamp(cmp, Operand::Literal(t))
        }
        Family::TimestampPath => Test::Timestamp(cmp, Operand::Path(path(problems)?)),
        Family::IsPresent => {
            let expected = expect_type(operand.as_bool(), "Boolean", at, problems)?;
            Test::IsPresent(expected)
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
