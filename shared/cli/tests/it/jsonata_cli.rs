//! Golden tests of `quickstep jsonata` and `quickstep jsonata-suite`, run on the built binary.
use crate::common;

use common::{quickstep, repo, stdout_json, temp_file};

use serde_json::{json, Value};

/// Evaluates `expr` with extra arguments; expects exit 0 and returns the printed object.
fn jsonata(name: &str, expr: &str, extra: &[&str]) -> Value {
    let file = temp_file(name, expr);
    let mut args = vec!["jsonata", file.as_str()];
    args.extend(extra);
    let out = quickstep(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{expr}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

#[test]
fn evaluates_with_input_and_bindings() {
    let input = temp_file("input.json", r#"{"a": 2}"#);
    let bindings = temp_file(
        "bindings.json",
        r#"{"states": {"input": {"items": [1, 2, 3]}}, "factor": 10}"#,
    );
    let got = jsonata(
        "sum.jsonata",
        "$sum($states.input.items) * $factor + a",
        &["--input", &input, "--bindings", &bindings],
    );
    assert_eq!(got, json!({"result": 62}));
}

#[test]
fn accepts_the_template_delimiters() {
    let got = jsonata("template.jsonata", "{% $partition([1, 2, 3], 2) %}\n", &[]);
    assert_eq!(got, json!({"result": [[1, 2], [3]]}));
}

#[test]
fn undefined_is_reported_as_such() {
    assert_eq!(
        jsonata("undefined.jsonata", "$doesNotExist", &[]),
        json!({"undefined": true})
    );
}

#[test]
fn errors_are_results_too() {
    assert_eq!(
        jsonata("t2001.jsonata", "'a' + 1", &[]),
        json!({"error": {
            "code": "T2001",
            "message": "The left side of the + operator must evaluate to a number"
        }})
    );
    assert_eq!(
        jsonata("eval.jsonata", "$eval('1')", &[])["error"]["code"],
        "T1006"
    );
    assert_eq!(
        jsonata("syntax.jsonata", "(1 + ", &[])["error"]["code"],
        "S0207"
    );
    assert_eq!(
        jsonata("function.jsonata", "function($x) { $x }", &[])["error"]["code"],
        "Q1001"
    );
}

#[test]
fn limits_can_be_set() {
    let deep = "($f := function($n){$n = 0 ? 0 : 1 + $f($n-1)}; $f(1000))";
    assert_eq!(
        jsonata("deep.jsonata", deep, &["--depth-limit", "50"])["error"]["code"],
        "D1011"
    );
    assert_eq!(
        jsonata("deep2.jsonata", deep, &["--depth-limit", "5000"]),
        json!({"result": 1000})
    );
    let endless = "($f := function() { $f() }; $f())";
    assert_eq!(
        jsonata("endless.jsonata", endless, &["--time-limit-ms", "100"])["error"]["code"],
        "D1012"
    );
}

#[test]
fn clock_and_random_are_live() {
    let got = jsonata(
        "now.jsonata",
        "[$now(), $millis(), $random(), $uuid()]",
        &[],
    );
    let items = got["result"].as_array().unwrap();
    let now = items[0].as_str().unwrap();
    assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
    assert!(items[1].as_i64().unwrap() > 1_700_000_000_000);
    let r = items[2].as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    assert_eq!(items[3].as_str().unwrap().len(), 36);
}

#[test]
fn usage_errors_exit_2() {
    let missing = quickstep(&["jsonata", "/nonexistent/expr.jsonata"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
    let expr = temp_file("one.jsonata", "1");
    let bad = temp_file("bad.json", "{nope");
    let out = quickstep(&["jsonata", &expr, "--input", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let out = quickstep(&["jsonata", &expr, "--bindings", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let array = temp_file("array.json", "[1]");
    let out = quickstep(&["jsonata", &expr, "--bindings", &array]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("object"));
}

/// The reference suite's ratchet: reads ../shared/jsonata-test-suite beside the checkout.
#[test]
fn the_reference_suite_stays_at_its_baseline() {
    let dir = repo().join("../shared/jsonata-test-suite");
    assert!(
        dir.join("groups").is_dir(),
        "the JSONata reference suite is not at {}",
        dir.display()
    );
    let dir = dir.to_string_lossy().into_owned();
    let out = quickstep(&[
        "jsonata-suite",
        "--dir",
        &dir,
        "--baseline",
        "tests/jsonata-suite-baseline.json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("function-sum: "), "{stdout}");
    assert!(stdout.contains("passed "), "{stdout}");
}
