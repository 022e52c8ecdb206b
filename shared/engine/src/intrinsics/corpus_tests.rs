//! Runs the intrinsic calls of the conformance corpus (executions recorded on AWS) and compares
//! with the recorded results.
//!
//! Covered: every case whose definition is a single JSONPath Pass state, whose features include
//! `intrinsics` and not `assign`/`jsonata`. The Pass state is run just far enough for these cases
//! (InputPath, Parameters with `.$` paths and intrinsics, ResultPath, OutputPath).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path as FsPath, PathBuf};

use serde_json::{json, Map, Value};

use super::tests::TestScope;
use super::Intrinsic;
use crate::failure::{names, Failure};
use crate::jsonpath::Path;
use crate::scope::Scope;

const CASES_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/cases"
);

fn case_files(dir: &FsPath, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}"));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

enum Outcome {
    Succeeded(Value),
    Failed(Failure),
    InvalidDefinition(String),
}

fn eval_template(template: &Value, scope: &mut TestScope) -> Result<Value, Outcome> {
    let Value::Object(map) = template else {
        return Ok(template.clone());
    };
    let mut out = Map::new();
    for (key, value) in map {
        if let (Some(name), Value::String(text)) = (key.strip_suffix(".$"), value) {
            let result = if Intrinsic::looks_like_call(text) {
                let call =
                    Intrinsic::parse(text).map_err(|e| Outcome::InvalidDefinition(e.message))?;
                call.evaluate(scope, key).map_err(Outcome::Failed)?
            } else {
                let path =
                    Path::parse(text).map_err(|e| Outcome::InvalidDefinition(e.to_string()))?;
                match scope.lookup(&path) {
                    Some(v) => v.into_owned(),
                    None => {
                        return Err(Outcome::Failed(Failure::runtime(format!(
                            "The JSONPath '{text}' specified for the field '{key}' could not be found in the input '{}'",
                            scope.input
                        ))))
                    }
                }
            };
            out.insert(name.to_owned(), result);
        } else {
            out.insert(key.clone(), eval_template(value, scope)?);
        }
    }
    Ok(Value::Object(out))
}

fn run_pass(name: &str, state: &Value, input: &Value, context: Value) -> Outcome {
    let path_field = |field: &str| -> Result<Option<Path>, Outcome> {
        match state.get(field) {
            None => Ok(Path::parse("$").ok()),
            Some(Value::Null) => Ok(None),
            Some(Value::String(p)) => Path::parse(p)
                .map(Some)
                .map_err(|e| Outcome::InvalidDefinition(e.to_string())),
            Some(other) => Err(Outcome::InvalidDefinition(format!("{field}: {other}"))),
        }
    };
    let run =
        || -> Result<Value, Outcome> {
            let input_path = path_field("InputPath")?;
            let result_path = path_field("ResultPath")?;
            let output_path = path_field("OutputPath")?;
            let effective = match &input_path {
                Some(p) => p.select(input).map(|v| v.into_owned()).ok_or_else(|| {
                    Outcome::Failed(Failure::runtime("InputPath selected nothing"))
                })?,
                None => json!({}),
            };
            let mut scope = TestScope::new(effective.clone());
            scope.context = context;
            let result = match state.get("Parameters") {
                Some(template) => eval_template(template, &mut scope)?,
                None => state.get("Result").cloned().unwrap_or(effective),
            };
            let combined = match &result_path {
                Some(p) => p.insert(input.clone(), result).map_err(|_| {
                    Outcome::Failed(Failure::bare(names::RESULT_PATH_MATCH_FAILURE))
                })?,
                None => input.clone(),
            };
            match &output_path {
                Some(p) => p.select(&combined).map(|v| v.into_owned()).ok_or_else(|| {
                    Outcome::Failed(Failure::runtime("OutputPath selected nothing"))
                }),
                None => Ok(json!({})),
            }
        };
    match run() {
        Ok(v) => Outcome::Succeeded(v),
        Err(Outcome::Failed(mut f)) => {
            if f.error_name() == names::RUNTIME {
                f.cause = f.cause.map(|c| {
                    format!(
                        "An error occurred while executing the state '{name}' (entered at the event id #2). {c}"
                    )
                });
            }
            Outcome::Failed(f)
        }
        Err(other) => other,
    }
}

/// The README's comparison rules: whole-token placeholders match anything; strings containing
/// tokens match with each token standing for any text (the account id for any 12 digits).
struct Matcher {
    placeholders: bool,
    tokens: Vec<String>,
}

impl Matcher {
    fn string_matches(&self, expected: &str, actual: &Value) -> bool {
        if actual.as_str() == Some(expected) {
            return true;
        }
        if !self.placeholders {
            return false;
        }
        if self.tokens.iter().any(|t| t == expected) {
            return true;
        }
        let Some(actual) = actual.as_str() else {
            return false;
        };
        let mut pattern = regex::escape(expected);
        let mut tokens: Vec<&String> = self.tokens.iter().collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
        for token in tokens {
            let replacement = if token == "111111111111" {
                "[0-9]{12}"
            } else {
                ".*"
            };
            pattern = pattern.replace(&regex::escape(token), replacement);
        }
        let generic = regex::Regex::new(r"<[^<>]*>").unwrap();
        let pattern = generic.replace_all(&pattern, ".*");
        regex::Regex::new(&format!("^(?s:{pattern})$"))
            .unwrap()
            .is_match(actual)
    }

    fn matches(&self, expected: &Value, actual: &Value) -> bool {
        match (expected, actual) {
            (Value::String(e), a) => self.string_matches(e, a),
            (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
            (Value::Array(e), Value::Array(a)) => {
                e.len() == a.len() && e.iter().zip(a).all(|(e, a)| self.matches(e, a))
            }
            (Value::Object(e), Value::Object(a)) => {
                e.len() == a.len()
                    && e.iter()
                        .all(|(k, ev)| a.get(k).is_some_and(|av| self.matches(ev, av)))
            }
            (e, a) => e == a,
        }
    }
}

fn context_for(name: &str, input: &Value) -> Value {
    json!({
        "Execution": {
            "Id": format!("arn:aws:states:us-east-1:123456789012:execution:{name}:exec-name"),
            "Input": input,
            "Name": "exec-name",
            "RoleArn": "arn:aws:iam::123456789012:role/role",
            "StartTime": "2024-01-01T00:00:00.000Z",
        },
        "State": {"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "State"},
        "StateMachine": {
            "Id": format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
            "Name": name,
        },
    })
}

#[test]
fn conformance_corpus_intrinsics() {
    let dir = FsPath::new(CASES_DIR);
    assert!(
        dir.is_dir(),
        "conformance corpus not found: looked for the directory {CASES_DIR}"
    );
    let mut files = Vec::new();
    case_files(dir, &mut files);
    files.sort();
    let mut covered = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let case: Value = serde_json::from_str(&text).unwrap();
        let features: Vec<&str> = case["features"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !features.contains(&"intrinsics")
            || features.contains(&"assign")
            || features.contains(&"jsonata")
        {
            continue;
        }
        let Some(states) = case["definition"]["States"].as_object() else {
            continue;
        };
        let Some((state_name, state)) = states.iter().next() else {
            continue;
        };
        if states.len() != 1
            || state["Type"] != "Pass"
            || case["definition"].get("QueryLanguage").is_some()
        {
            continue;
        }
        covered += 1;
        let name = case["name"].as_str().unwrap_or_default();
        let input = &case["input"];
        let expect = &case["expect"];
        let matcher = Matcher {
            placeholders: case["placeholders"] == true,
            tokens: case["placeholder_tokens"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let outcome = run_pass(state_name, state, input, context_for(name, input));
        let ok = match (expect["status"].as_str().unwrap_or_default(), &outcome) {
            ("SUCCEEDED", Outcome::Succeeded(out)) => matcher.matches(&expect["output"], out),
            ("FAILED", Outcome::Failed(f)) => {
                expect["error"].as_str() == Some(f.error_name())
                    && match expect.get("cause") {
                        None => true,
                        Some(Value::String(c)) => matcher
                            .string_matches(c, &Value::String(f.cause.clone().unwrap_or_default())),
                        Some(c) => {
                            let actual: Value = f
                                .cause
                                .as_deref()
                                .and_then(|s| serde_json::from_str(s).ok())
                                .unwrap_or(Value::Null);
                            matcher.matches(c, &actual)
                        }
                    }
            }
            ("INVALID_DEFINITION", Outcome::InvalidDefinition(_)) => true,
            _ => false,
        };
        if !ok {
            let got = match &outcome {
                Outcome::Succeeded(v) => format!("SUCCEEDED {v}"),
                Outcome::Failed(f) => format!("FAILED {f:?}"),
                Outcome::InvalidDefinition(m) => format!("INVALID_DEFINITION {m}"),
            };
            failures.push(format!("{}: expected {expect}, got {got}", file.display()));
        }
    }
    eprintln!(
        "intrinsics corpus: {} of {covered} cases pass",
        covered - failures.len()
    );
    assert!(covered >= 95, "only {covered} corpus cases covered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn placeholder_matching_is_not_vacuous() {
    let m = Matcher {
        placeholders: true,
        tokens: vec!["<uuid:1>".into(), "111111111111".into()],
    };
    assert!(m.string_matches("<uuid:1>", &json!("anything")));
    assert!(m.string_matches("arn:111111111111:<x>", &json!("arn:123456789012:abc")));
    assert!(!m.string_matches("arn:111111111111:<x>", &json!("arn:12345:abc")));
    assert!(!m.string_matches("plain", &json!("other")));
    assert!(m.matches(&json!({"a": [1, "x"]}), &json!({"a": [1.0, "x"]})));
    assert!(!m.matches(&json!({"a": [1, "x"]}), &json!({"a": [1, "y"]})));
    assert!(!m.matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    let exact = Matcher {
        placeholders: false,
        tokens: Vec::new(),
    };
    assert!(!exact.string_matches("<uuid:1>", &json!("anything")));
}
