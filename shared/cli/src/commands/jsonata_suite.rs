//! `quickstep jsonata-suite`: the JSONata reference test suite (jsonata-js's, as JSON data) through
//! [`Expression`], with per-group pass counts and a ratchet.
//!
//! A case passes as the suite's README says: the result equals `result` as a JSON value (numbers
//! compared as numbers; `unordered` arrays as multisets), or `undefinedResult` and nothing came
//! back, or the evaluation failed with the expected `code`. The suite's U1001 is not a jsonata
//! code but its test harness's, raised when a case's `depth` or `timelimit` is exceeded; our
//! limit errors (D1011 depth, D1012 time) count as it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use quickstep_engine::jsonata::{codes, Environment, Expression, JsonataError, Limits};
use serde_json::{json, Value};

use super::input;

#[derive(clap::Args)]
pub struct Args {
    /// The suite directory (with groups/<group>/*.json and datasets/).
    #[arg(long, default_value = "../shared/jsonata-test-suite")]
    dir: PathBuf,
    /// Fail if fewer cases pass than this baseline file's `{"passed": N}`.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the figure of this run to the baseline file (raising the ratchet).
    #[arg(long, requires = "baseline")]
    write_baseline: bool,
    /// Print each failing case with what was expected and what came back.
    #[arg(long)]
    show_failures: bool,
    /// Only cases whose name (group/file) contains this text.
    #[arg(long)]
    filter: Option<String>,
}

/// The limits of a case that sets none: generous, since jsonata-js has none, yet bounded so the
/// whole suite ends quickly even if a case loops.
const DEFAULT_CASE_LIMITS: Limits = Limits {
    max_depth: 10_000,
    time_limit_ms: 5_000,
    // The reference suite is written against JSONata's own cap.
    max_sequence_length: quickstep_engine::jsonata::MAX_SEQUENCE_LENGTH,
};

/// A fixed clock and a fixed random sequence: the suite checks only the shape of `$now()`,
/// `$millis()` and `$random()`.
struct SuiteEnvironment {
    state: u64,
}

impl Environment for SuiteEnvironment {
    fn now_millis(&self) -> i64 {
        1_700_000_000_000
    }

    fn random_u64(&mut self) -> u64 {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.state
    }
}

struct Case {
    name: String,
    group: String,
    expr: String,
    input: Option<Value>,
    bindings: serde_json::Map<String, Value>,
    limits: Limits,
    expect: Expect,
    unordered: bool,
}

enum Expect {
    Result(Value),
    Undefined,
    Code(String),
    Unreadable(String),
}

pub fn main(args: &Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let cases = load(&args.dir)?;
    let cases: Vec<&Case> = cases
        .iter()
        .filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f)))
        .collect();
    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = run(case);
        let entry = groups.entry(case.group.as_str()).or_default();
        entry.1 += 1;
        if passes(case, &outcome) {
            entry.0 += 1;
        } else {
            failures.push((case, outcome));
        }
    }
    let passed: usize = groups.values().map(|(p, _)| p).sum();
    let total = cases.len();
    for (group, (p, t)) in &groups {
        println!("{group}: {p}/{t}");
    }
    if args.show_failures {
        for (case, outcome) in &failures {
            println!(
                "FAIL {}: {}\n  expected: {}\n  got:      {}",
                case.name,
                case.expr,
                describe_expect(&case.expect),
                describe_outcome(outcome)
            );
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let percent = if total == 0 {
        0.0
    } else {
        passed as f64 * 100.0 / total as f64
    };
    println!(
        "passed {passed}/{total} ({percent:.2} %) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &args.baseline {
        if args.write_baseline {
            let text = serde_json::to_string_pretty(&json!({ "passed": passed }))
                .map_err(|e| e.to_string())?;
            std::fs::write(path, text + "\n")
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("baseline written to {}", path.display());
        } else {
            let baseline = input::read_json(path, "baseline")?;
            let floor = baseline
                .get("passed")
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("baseline {} has no \"passed\" count", path.display()))?;
            if (passed as u64) < floor {
                eprintln!("jsonata suite: {passed} passed, below the baseline's {floor}");
                return Ok(ExitCode::from(1));
            }
            if (passed as u64) > floor {
                println!("ratchet: {passed} passed, above the baseline's {floor} (raise it with --write-baseline)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run(case: &Case) -> Result<Option<Value>, JsonataError> {
    let expr = Expression::parse(&case.expr)?;
    let bindings: Vec<(&str, &Value)> =
        case.bindings.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut env = SuiteEnvironment { state: 42 };
    expr.evaluate_with_input(case.input.as_ref(), &bindings, &mut env, case.limits)
}

fn passes(case: &Case, outcome: &Result<Option<Value>, JsonataError>) -> bool {
    match (&case.expect, outcome) {
        (Expect::Result(want), Ok(Some(got))) => {
            if case.unordered {
                same_unordered(want, got)
            } else {
                same(want, got)
            }
        }
        (Expect::Undefined, Ok(None)) => true,
        (Expect::Code(want), Err(e)) => {
            *want == e.code
                || (want == "U1001"
                    && (e.code == codes::DEPTH_EXCEEDED || e.code == codes::TIME_EXCEEDED))
        }
        _ => false,
    }
}

/// JSON equality with numbers compared by value (1 and 1.0 are the same number).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn same_unordered(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            let mut left: Vec<&Value> = y.iter().collect();
            x.iter().all(|item| {
                left.iter()
                    .position(|other| same(item, other))
                    .map(|i| left.swap_remove(i))
                    .is_some()
            })
        }
        _ => same(a, b),
    }
}

fn describe_expect(expect: &Expect) -> String {
    match expect {
        Expect::Result(v) => v.to_string(),
        Expect::Undefined => "undefined".into(),
        Expect::Code(c) => format!("error {c}"),
        Expect::Unreadable(e) => format!("(unreadable case) {e}"),
    }
}

fn describe_outcome(outcome: &Result<Option<Value>, JsonataError>) -> String {
    match outcome {
        Ok(Some(v)) => {
            let text = v.to_string();
            if text.chars().count() > 300 {
                format!("{}...", text.chars().take(300).collect::<String>())
            } else {
                text
            }
        }
        Ok(None) => "undefined".into(),
        Err(e) => format!("error {e}"),
    }
}

/// Every case of the suite, in file order; a file may hold one case or an array of them.
fn load(dir: &Path) -> Result<Vec<Case>, String> {
    let groups_dir = dir.join("groups");
    let mut datasets: BTreeMap<String, Value> = BTreeMap::new();
    let mut cases = Vec::new();
    for group in sorted_entries(&groups_dir)? {
        let group_name = file_name(&group);
        for file in sorted_entries(&group)? {
            if file.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let items = match input::read_json(&file, "case") {
                Ok(Value::Array(items)) => items,
                Ok(one) => vec![one],
                Err(e) => {
                    // A case Rust cannot read (a lone UTF-16 surrogate in a string: no Rust
                    // string holds one) counts, and fails.
                    cases.push(Case {
                        name: format!("{group_name}/{stem}"),
                        group: group_name.clone(),
                        expr: String::new(),
                        input: None,
                        bindings: serde_json::Map::new(),
                        limits: DEFAULT_CASE_LIMITS,
                        expect: Expect::Unreadable(e),
                        unordered: false,
                    });
                    continue;
                }
            };
            let several = items.len() > 1;
            for (i, item) in items.into_iter().enumerate() {
                let name = if several {
                    format!("{group_name}/{stem}[{i}]")
                } else {
                    format!("{group_name}/{stem}")
                };
                cases.push(case(&name, &group_name, &group, dir, &mut datasets, item)?);
            }
        }
    }
    Ok(cases)
}

fn case(
    name: &str,
    group: &str,
    group_dir: &Path,
    dir: &Path,
    datasets: &mut BTreeMap<String, Value>,
    item: Value,
) -> Result<Case, String> {
    let field = |key: &str| item.get(key);
    let expr = match (field("expr"), field("expr-file")) {
        (Some(Value::String(e)), _) => e.clone(),
        (_, Some(Value::String(f))) => input::read_text(&group_dir.join(f))?,
        _ => return Err(format!("{name}: no expr")),
    };
    let input = if let Some(data) = field("data") {
        Some(data.clone())
    } else {
        match field("dataset") {
            Some(Value::String(set)) => {
                if !datasets.contains_key(set) {
                    let path = dir.join("datasets").join(format!("{set}.json"));
                    datasets.insert(set.clone(), input::read_json(&path, "dataset")?);
                }
                datasets.get(set).cloned()
            }
            _ => None,
        }
    };
    let bindings = match field("bindings") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let number = |key: &str| field(key).and_then(Value::as_u64);
    let limits = Limits {
        max_depth: number("depth").map_or(DEFAULT_CASE_LIMITS.max_depth, |d| {
            usize::try_from(d).unwrap_or(usize::MAX)
        }),
        time_limit_ms: number("timelimit").unwrap_or(DEFAULT_CASE_LIMITS.time_limit_ms),
        ..DEFAULT_CASE_LIMITS
    };
    let code = field("code")
        .or_else(|| field("error").and_then(|e| e.get("code")))
        .and_then(Value::as_str);
    let expect = if let Some(code) = code {
        Expect::Code(code.to_owned())
    } else if field("undefinedResult") == Some(&Value::Bool(true)) {
        Expect::Undefined
    } else if let Some(result) = field("result") {
        Expect::Result(result.clone())
    } else {
        Expect::Undefined
    };
    Ok(Case {
        name: name.to_owned(),
        group: group.to_owned(),
        expr,
        input,
        bindings,
        limits,
        expect,
        unordered: field("unordered") == Some(&Value::Bool(true)),
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned()
}
