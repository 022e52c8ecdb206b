//! JSONPath as Step Functions reads it (Jayway semantics).
//!
//! Two kinds of path occur in ASL:
//! - *reference paths* (`$.a.b[0]['c d']`): they name exactly one node, are the only kind allowed in
//!   `ResultPath`, and are by far the most common. They are parsed into segments and walked without
//!   allocation.
//! - *query paths* (wildcards, slices, filters, recursive descent): they select a list of nodes and
//!   are evaluated with `serde_json_path` (RFC 9535) after translating the few spellings Jayway
//!   accepts and RFC 9535 does not (`$.name-with-dash`).
//!
//! A path is rooted at the state's input (`$`), the context object (`$$`) or a workflow variable
//! (`$name`).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// What a path is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the current input (or, in `ResultSelector`, the task result).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    /// Negative indexes count from the end, as in Jayway.
    Index(i64),
}

#[derive(Debug, Clone)]
enum Kind {
    Reference(Vec<Segment>),
    Query(Box<serde_json_path::JsonPath>),
}

/// A parsed JSONPath, ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    kind: Kind,
}

/// A path that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath '{path}': {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

impl PathError {
    fn new(path: &str, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Path {
    /// Parses any path: reference or query, rooted at `$`, `$$` or `$variable`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let (root, rest) = split_root(text)?;
        match parse_reference_segments(rest) {
            Ok(segments) => Ok(Self {
                text: text.to_owned(),
                root,
                kind: Kind::Reference(segments),
            }),
            Err(reference_problem) => {
                let query = format!("${}", translate_to_rfc9535(rest));
                if ends_inside_unicode_escape(&query) {
                    return Err(PathError::new(text, reference_problem));
                }
                if nesting(&query) > MAX_QUERY_NESTING {
                    return Err(PathError::new(
                        text,
                        format!("brackets and parentheses nest more than {MAX_QUERY_NESTING} deep"),
                    ));
                }
                let parsed = serde_json_path::JsonPath::parse(&query)
                    .map_err(|_| PathError::new(text, reference_problem))?;
                Ok(Self {
                    text: text.to_owned(),
                    root,
                    kind: Kind::Query(Box::new(parsed)),
                })
            }
        }
    }

    /// Parses a reference path (one node, no wildcards or filters), as `ResultPath` requires.
    pub fn parse_reference(text: &str) -> Result<Self, PathError> {
        let path = Self::parse(text)?;
        if path.is_reference() {
            Ok(path)
        } else {
            Err(PathError::new(
                text,
                "a reference path may not contain wildcards, slices, filters or '..'",
            ))
        }
    }

    /// The path as written in the definition.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// True if the path names at most one node (no wildcards, slices or filters).
    pub fn is_reference(&self) -> bool {
        matches!(self.kind, Kind::Reference(_))
    }

    /// The segments of a reference path (empty for `$`), or `None` for a query path.
    pub fn segments(&self) -> Option<&[Segment]> {
        match &self.kind {
            Kind::Reference(s) => Some(s),
            Kind::Query(_) => None,
        }
    }

    /// Evaluates the path against `doc`, the value its root stands for.
    ///
    /// A reference path gives the node it names, or `None` if there is none. A query path gives
    /// the array of every node it selects (possibly empty), as Jayway does.
    pub fn select<'a>(&self, doc: &'a Value) -> Option<Cow<'a, Value>> {
        match &self.kind {
            Kind::Reference(segments) => walk(doc, segments).map(Cow::Borrowed),
            Kind::Query(query) => {
                let nodes = query.query(doc).all();
                Some(Cow::Owned(Value::Array(
                    nodes.into_iter().cloned().collect(),
                )))
            }
        }
    }

    /// Writes `value` at this reference path inside `doc`, creating missing objects on the way
    /// (the `ResultPath` rule). Fails, giving `doc` back unchanged, if the path crosses a value
    /// that is not an object, or an array index that does not exist.
    pub fn insert(&self, doc: Value, value: Value) -> Result<Value, Value> {
        let Kind::Reference(segments) = &self.kind else {
            return Err(doc);
        };
        if segments.is_empty() {
            return Ok(value);
        }
        if !can_insert(&doc, segments) {
            return Err(doc);
        }
        let mut doc = doc;
        if let Some(slot) = slot_for(&mut doc, segments) {
            *slot = value;
        }
        Ok(doc)
    }
}

/// True if [`slot_for`] will find or create a slot for `segments`.
fn can_insert(doc: &Value, segments: &[Segment]) -> bool {
    let mut current = Some(doc);
    for segment in segments {
        current = match (segment, current) {
            // Missing members are created as objects from here on.
            (Segment::Field(_), None | Some(Value::Null)) => None,
            (Segment::Field(name), Some(Value::Object(map))) => member(map, name),
            (Segment::Index(i), Some(Value::Array(items))) => {
                match resolve_index(*i, items.len()) {
                    Some(idx) => items.get(idx),
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    true
}

fn slot_for<'a>(doc: &'a mut Value, segments: &[Segment]) -> Option<&'a mut Value> {
    let mut current = doc;
    for segment in segments {
        current = match segment {
            Segment::Field(name) => {
                if current.is_null() {
                    *current = Value::Object(Map::new());
                }
                match current {
                    Value::Object(map) => map.entry(name.clone()).or_insert(Value::Null),
                    _ => return None,
                }
            }
            Segment::Index(i) => match current {
                Value::Array(items) => {
                    let idx = resolve_index(*i, items.len())?;
                    items.get_mut(idx)?
                }
                _ => return None,
            },
        };
    }
    Some(current)
}

fn resolve_index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok().filter(|&i| i < len)
    } else {
        let back = usize::try_from(i.unsigned_abs()).ok()?;
        len.checked_sub(back)
    }
}

/// Objects up to this many members are searched by comparing names, not by hashing the name.
const SCANNED_MEMBERS: usize = 8;

/// The member `name` of `map`. Most objects a workflow handles are small: comparing a handful
/// of short names costs a fraction of hashing one with the map's SipHash (W1's two lookups a
/// state were an eighth of its instructions), so small objects are scanned in order.
#[inline]
pub fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if map.len() <= SCANNED_MEMBERS {
        map.iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    } else {
        map.get(name)
    }
}

/// The node `segments` name inside `doc`, if any.
pub fn walk<'a>(doc: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    let mut current = doc;
    for segment in segments {
        current = match (segment, current) {
            (Segment::Field(name), Value::Object(map)) => member(map, name)?,
            (Segment::Index(i), Value::Array(items)) => {
                items.get(resolve_index(*i, items.len())?)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// Splits `$`, `$$` or `$name` from the rest of the path.
fn split_root(text: &str) -> Result<(Root, &str), PathError> {
    let Some(rest) = text.strip_prefix('$') else {
        return Err(PathError::new(text, "a path must begin with '$'"));
    };
    if let Some(rest) = rest.strip_prefix('$') {
        return Ok((Root::Context, rest));
    }
    let name_len = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        Ok((Root::Input, rest))
    } else {
        Ok((
            Root::Variable(rest[..name_len].to_owned()),
            &rest[name_len..],
        ))
    }
}

/// Parses `.a.b[0]['c']` into segments; fails (with a reason) on anything a reference path
/// cannot contain, so the caller can try it as a query.
fn parse_reference_segments(rest: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                i += 1;
                if bytes.get(i) == Some(&b'.') {
                    return Err("'..' is not allowed here".into());
                }
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'.' | b'[') {
                    i += 1;
                }
                let name = &rest[start..i];
                if name.is_empty() {
                    return Err("empty field name after '.'".into());
                }
                if name == "*" || name.contains(['(', ')', '?', '@', ' ', '\'', '"']) {
                    return Err(format!("unexpected characters in field name '{name}'"));
                }
                segments.push(Segment::Field(name.to_owned()));
            }
            b'[' => {
                let close = find_bracket_end(rest, i).ok_or_else(|| "unclosed '['".to_owned())?;
                let inner = rest[i + 1..close].trim();
                segments.push(parse_bracket(inner)?);
                i = close + 1;
            }
            c => return Err(format!("unexpected character '{}'", c as char)),
        }
    }
    Ok(segments)
}

/// Tracks whether a scan of path text is inside a quoted name (`'…'` or `"…"`, with
/// backslash escapes), so brackets and commas inside names are not taken for syntax.
#[derive(Debug, Default)]
pub(crate) struct Quotes {
    open: Option<char>,
    escaped: bool,
}

impl Quotes {
    /// Feeds the next character; true if it is part of a quoted name (its quotes included).
    pub(crate) fn feed(&mut self, c: char) -> bool {
        match self.open {
            Some(q) => {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == q {
                    self.open = None;
                }
                true
            }
            None if c == '\'' || c == '"' => {
                self.open = Some(c);
                true
            }
            None => false,
        }
    }
}

fn find_bracket_end(text: &str, open: usize) -> Option<usize> {
    let mut quotes = Quotes::default();
    text[open + 1..]
        .char_indices()
        .find(|&(_, c)| !quotes.feed(c) && c == ']')
        .map(|(offset, _)| open + 1 + offset)
}

fn parse_bracket(inner: &str) -> Result<Segment, String> {
    if let Some(quoted) = quoted_name(inner) {
        return Ok(Segment::Field(quoted));
    }
    inner
        .parse::<i64>()
        .map(Segment::Index)
        .map_err(|_| format!("'[{inner}]' is not a field name or an index"))
}

fn quoted_name(inner: &str) -> Option<String> {
    let quote = inner.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = inner.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        // Jayway: a backslash escapes the quote character (and itself); otherwise it is literal.
        if c == '\\' && matches!(chars.clone().next(), Some(n) if n == quote || n == '\\') {
            out.push(chars.next()?);
        } else if c == quote {
            // An unescaped quote inside: this is not a single quoted name (e.g. `['a','b']`).
            return None;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// How deep brackets and parentheses may nest in a query path. serde_json_path's parser takes
/// time exponential in the nesting of filters (`[?(@ [?(@ ...`: each level doubles it, so a
/// 100-character path can take minutes); ten levels (five nested filters) parse in well under a
/// millisecond, and no path a workflow needs nests deeper.
const MAX_QUERY_NESTING: usize = 10;

/// The deepest nesting of `[` and `(` in `query`, outside its quoted strings.
fn nesting(query: &str) -> usize {
    let (mut depth, mut deepest) = (0_usize, 0_usize);
    let mut quote: Option<char> = None;
    let mut chars = query.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
    }
    deepest
}

/// Whether `query` ends inside a `\u` escape (`\u`, `\uD`, or either after a high
/// surrogate): serde_json_path 0.7.2 panics on such a text (its `\u` parser is a streaming one,
/// and the end of the text reads as "incomplete", which it declares unreachable). No such text
/// is a valid path, since its string literal is not closed, so it is refused before.
fn ends_inside_unicode_escape(query: &str) -> bool {
    let Some(escape) = query.rfind("\\u") else {
        return false;
    };
    matches!(&query[escape + 2..], "" | "D")
}

/// Rewrites Jayway spellings that RFC 9535 does not accept: dotted names with characters outside
/// RFC 9535's member-name-shorthand (such as `-`) become bracketed names.
fn translate_to_rfc9535(rest: &str) -> String {
    let mut out = String::with_capacity(rest.len() + 8);
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        if depth == 0 && c == b'.' && bytes.get(i + 1).is_some_and(|n| *n != b'.' && *n != b'[') {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && !matches!(bytes[end], b'.' | b'[') {
                end += 1;
            }
            let name = &rest[start..end];
            let plain = name == "*"
                || name
                    .chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '_' || !ch.is_ascii());
            if plain && !name.starts_with(|ch: char| ch.is_ascii_digit()) {
                out.push('.');
                out.push_str(name);
            } else {
                out.push_str("['");
                out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push_str("']");
            }
            i = end;
            continue;
        }
        if c == b'[' {
            depth += 1;
        } else if c == b']' {
            depth = depth.saturating_sub(1);
        }
        let ch_len = rest[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[i..i + ch_len]);
        i += ch_len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(path: &str, doc: &Value) -> Option<Value> {
        Path::parse(path).unwrap().select(doc).map(Cow::into_owned)
    }

    /// Small objects are scanned and large ones hashed: either way every member is found,
    /// first and last, and a missing or merely similar name is not.
    #[test]
    fn members_are_found_in_small_and_large_objects() {
        for size in [0, 1, 2, SCANNED_MEMBERS, SCANNED_MEMBERS + 1, 40] {
            let doc: Map<String, Value> = (0..size).map(|i| (format!("k{i}"), json!(i))).collect();
            let doc = Value::Object(doc);
            for i in 0..size {
                assert_eq!(sel(&format!("$.k{i}"), &doc), Some(json!(i)), "size {size}");
            }
            assert_eq!(sel("$.k", &doc), None, "size {size}");
            assert_eq!(sel(&format!("$.k{size}"), &doc), None, "size {size}");
            // ResultPath finds the member too: below a number it cannot write.
            let inserted = Path::parse("$.k0.x").unwrap().insert(doc, json!(1));
            if size == 0 {
                assert_eq!(inserted, Ok(json!({"k0": {"x": 1}})));
            } else {
                assert!(inserted.is_err(), "size {size}");
            }
        }
    }

    /// Found by the fuzzers: nested filters took serde_json_path time exponential in their
    /// depth (a 327-byte path ran past 30 s). Deep nesting is refused at once; quoted brackets
    /// do not count; ordinary filters still parse.
    #[test]
    fn deeply_nested_queries_are_refused_before_they_are_parsed() {
        let deep = format!("${}", "[?(@ ".repeat(30));
        let started = std::time::Instant::now();
        let error = Path::parse(&deep).expect_err("refused");
        assert!(error.reason.contains("nest more than 10 deep"), "{error:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(nesting("$['[[[[[[[[[[[[']"), 1);
        assert_eq!(nesting("$[?(@.a == '(((((((((((((')]"), 2);
        assert_eq!(nesting("$.a[?(@.b[?(@.c > 1)])]"), 4);
        let doc = json!({"a": [{"b": [{"c": 2}]}, {"b": [{"c": 0}]}]});
        let found = Path::parse("$.a[?(@.b[?(@.c > 1)])]").unwrap();
        assert_eq!(
            found.select(&doc).map(Cow::into_owned),
            Some(json!([{"b": [{"c": 2}]}]))
        );
    }

    /// Found by the fuzzers: these made serde_json_path panic; they are invalid paths.
    #[test]
    fn a_text_ending_inside_a_unicode_escape_is_refused() {
        for text in [
            "$.a['b\\u",
            "$.a[\"b\\uD",
            "$[?(@.a == 'x\\uD800\\u",
            "$[?(@.a == 'x\\uD800\\uD",
            "$.Itdm\u{fffd}$t_fi['Tst\\tput_field\u{fffd}\":\"const$\\u",
        ] {
            let error = Path::parse(text).expect_err(text);
            assert_eq!(error.path, text, "{error:?}");
        }
        // A complete escape still parses.
        assert!(Path::parse("$[?(@.a == 'x\\u0041')]").is_ok());
    }

    #[test]
    fn reference_paths() {
        let doc = json!({"a": {"b": [1, 2, {"c d": 3}]}, "x-y": 4});
        let cases = [
            ("$", Some(doc.clone())),
            ("$.a.b[0]", Some(json!(1))),
            ("$.a.b[-1]['c d']", Some(json!(3))),
            ("$['a'][\"b\"][1]", Some(json!(2))),
            ("$.x-y", Some(json!(4))),
            ("$.missing", None),
            ("$.a.b[7]", None),
            ("$.a.b.c", None),
        ];
        for (path, expected) in cases {
            assert_eq!(sel(path, &doc), expected, "{path}");
            assert!(Path::parse(path).unwrap().is_reference(), "{path}");
        }
    }

    #[test]
    fn roots() {
        assert_eq!(
            Path::parse("$$.Execution.Id").unwrap().root(),
            &Root::Context
        );
        assert_eq!(
            Path::parse("$var.a").unwrap().root(),
            &Root::Variable("var".into())
        );
        assert_eq!(Path::parse("$.a").unwrap().root(), &Root::Input);
        assert!(Path::parse("a.b").is_err());
    }

    #[test]
    fn query_paths() {
        let doc = json!({"items": [{"v": 1, "s": 0}, {"v": 2, "s": 1}, {"v": 3, "s": 0}]});
        let cases = [
            ("$.items[*].v", json!([1, 2, 3])),
            ("$.items[1:].v", json!([2, 3])),
            ("$.items[:1]", json!([{"v": 1, "s": 0}])),
            ("$.items[?(@.s == 0)].v", json!([1, 3])),
            ("$..v", json!([1, 2, 3])),
            ("$.nothing[*]", json!([])),
        ];
        for (path, expected) in cases {
            let p = Path::parse(path).unwrap();
            assert!(!p.is_reference(), "{path}");
            assert_eq!(sel(path, &doc), Some(expected), "{path}");
        }
    }

    #[test]
    fn invalid_paths() {
        for path in ["", "x", "$.", "$[", "$.a[?(", "$['a"] {
            assert!(Path::parse(path).is_err(), "{path} should not parse");
        }
        assert!(Path::parse_reference("$.a[*]").is_err());
    }

    #[test]
    fn insert_creates_objects_and_fails_on_scalars() {
        let p = Path::parse_reference("$.a.b").unwrap();
        assert_eq!(
            p.insert(json!({"x": 1}), json!(2)).unwrap(),
            json!({"x": 1, "a": {"b": 2}})
        );
        assert!(p.insert(json!({"a": 5}), json!(2)).is_err());
        assert_eq!(
            Path::parse_reference("$")
                .unwrap()
                .insert(json!(1), json!(2))
                .unwrap(),
            json!(2)
        );
        assert_eq!(
            Path::parse_reference("$.l[1]")
                .unwrap()
                .insert(json!({"l": [0, 0]}), json!(9))
                .unwrap(),
            json!({"l": [0, 9]})
        );
    }
}
