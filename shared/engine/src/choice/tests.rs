use std::borrow::Cow;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::*;
use crate::jsonpath::Root;

/// A scope over an input, a context object and variables.
struct TestScope {
    input: Value,
    context: Value,
    variables: Map<String, Value>,
}

impl TestScope {
    fn new(input: Value) -> Self {
        Self {
            context: json!({"Execution": {"Input": input.clone()}}),
            input,
            variables: Map::new(),
        }
    }
}

impl Scope for TestScope {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        match path.root() {
            Root::Input => path.select(&self.input),
            Root::Context => path.select(&self.context),
            Root::Variable(name) => path.select(self.variables.get(name)?),
        }
    }

    fn random_u64(&mut self) -> u64 {
        0
    }
}

fn rule(json: Value) -> Rule {
    let mut r = json;
    r.as_object_mut().unwrap().insert("Next".into(), json!("N"));
    let choices = Value::Array(vec![r]);
    match compile_choices(&choices, "/States/C/Choices") {
        Ok(mut c) => c.remove(0).rule,
        Err(p) => panic!("{choices} should compile: {p:?}"),
    }
}

fn eval(r: Value, input: Value) -> Result<bool, Failure> {
    rule(r).evaluate(&TestScope::new(input))
}

/// `(rule, input, expected)` triples.
fn check(cases: &[(Value, Value, bool)]) {
    for (r, input, expected) in cases {
        assert_eq!(
            eval(r.clone(), input.clone()),
            Ok(*expected),
            "{r} on {input}"
        );
    }
}

#[test]
fn string_operators() {
    let v = |op: &str, operand: &str| json!({"Variable": "$.v", op: operand});
    check(&[
        (v("StringEquals", "a"), json!({"v": "a"}), true),
        (v("StringEquals", "a"), json!({"v": "A"}), false),
        (v("StringEquals", "1"), json!({"v": 1}), false),
        (v("StringEquals", "null"), json!({"v": null}), false),
        (v("StringLessThan", "AB"), json!({"v": "A"}), true),
        (v("StringLessThan", "A"), json!({"v": "A"}), false),
        (v("StringLessThanEquals", "A"), json!({"v": "A"}), true),
        (v("StringGreaterThan", "A "), json!({"v": "A"}), false),
        (v("StringGreaterThan", "A"), json!({"v": "a"}), true),
        (v("StringGreaterThanEquals", "A"), json!({"v": "AB"}), true),
        (v("StringGreaterThanEquals", "b"), json!({"v": "a"}), false),
        // Java orders by UTF-16 code units: U+FF21 (one unit 0xFF21) sorts after U+1F600
        // (surrogates 0xD83D 0xDE00), although its code point is lower.
        (
            v("StringGreaterThan", "\u{1F600}"),
            json!({"v": "\u{FF21}"}),
            true,
        ),
        (
            v("StringLessThan", "\u{FF21}"),
            json!({"v": "\u{1F600}"}),
            true,
        ),
        (v("StringLessThan", "é"), json!({"v": "e"}), true),
    ]);
    let p = |op: &str| json!({"Variable": "$.v", op: "$.w"});
    check(&[
        (p("StringEqualsPath"), json!({"v": "x", "w": "x"}), true),
        (
            p("StringEqualsPath"),
            json!({"v": "\t\n", "w": "\t\r\n"}),
            false,
        ),
        (p("StringEqualsPath"), json!({"v": "1", "w": 1}), false),
        (p("StringLessThanPath"), json!({"v": "a", "w": "b"}), true),
        (
            p("StringGreaterThanPath"),
            json!({"v": "a", "w": "b"}),
            false,
        ),
        (
            p("StringLessThanEqualsPath"),
            json!({"v": "b", "w": "b"}),
            true,
        ),
        (
            p("StringGreaterThanEqualsPath"),
            json!({"v": "A", "w": "AB"}),
            false,
        ),
    ]);
}

#[test]
fn string_matches_and_escapes() {
    let m = |pattern: &str, text: &str| {
        eval(
            json!({"Variable": "$.v", "StringMatches": pattern}),
            json!({ "v": text }),
        )
    };
    let cases: &[(&str, &str, bool)] = &[
        ("log-*.txt", "log-1.txt", true),
        ("log-*.txt", "log-.txt", true),
        ("log-*.txt", "log-1.txt.bak", false),
        ("*", "", true),
        ("*", "anything", true),
        ("", "", true),
        ("", "x", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "acb", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("*x*", "abxcd", true),
        ("*x*", "abcd", false),
        ("**", "", true),
        ("exact", "exact", true),
        ("exact", "exactly", false),
        ("é*ü", "éaü", true),
        // `\*` is a literal star.
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("\\**", "*abc", true),
        ("\\**", "abc", false),
        // `\\` is a literal backslash, and the star after it a wildcard.
        ("a\\\\*", "a\\xyz", true),
        ("a\\\\*", "axyz", false),
        ("a\\\\", "a\\", true),
        // Any other backslash stands for itself.
        ("a\\b", "a\\b", true),
        ("a\\", "a\\", true),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(m(pattern, text), Ok(*expected), "{pattern:?} on {text:?}");
    }
    check(&[
        (
            json!({"Variable": "$.v", "StringMatches": "*"}),
            json!({"v": 1}),
            false,
        ),
        (
            json!({"Variable": "$.v", "StringMatches": "*"}),
            json!({"v": null}),
            false,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    let v = |op: &str, operand: Value| json!({"Variable": "$.v", op: operand});
    check(&[
        (v("NumericEquals", json!(1)), json!({"v": 1.0}), true),
        (v("NumericEquals", json!(0)), json!({"v": 0.0}), true),
        (v("NumericEquals", json!(2.22)), json!({"v": 2.22}), true),
        (v("NumericEquals", json!(1)), json!({"v": 1.1}), false),
        (v("NumericEquals", json!(1)), json!({"v": "1"}), false),
        (v("NumericEquals", json!(1)), json!({"v": true}), false),
        (v("NumericEquals", json!(0)), json!({"v": null}), false),
        (v("NumericEquals", json!(-5)), json!({"v": -5}), true),
        (v("NumericLessThan", json!(1)), json!({"v": 0}), true),
        (v("NumericLessThan", json!(1)), json!({"v": 1}), false),
        (v("NumericGreaterThan", json!(0)), json!({"v": 1}), true),
        (v("NumericGreaterThan", json!(0)), json!({"v": 0.0}), false),
        (v("NumericLessThanEquals", json!(0)), json!({"v": 0}), true),
        (
            v("NumericGreaterThanEquals", json!(1)),
            json!({"v": 0}),
            false,
        ),
        (
            v("NumericGreaterThanEquals", json!(1e300)),
            json!({"v": 1e301}),
            true,
        ),
    ]);
    let p = |op: &str| json!({"Variable": "$.v", op: "$.w"});
    check(&[
        (p("NumericEqualsPath"), json!({"v": 0, "w": 0.0}), true),
        (p("NumericEqualsPath"), json!({"v": 1, "w": "1"}), false),
        (p("NumericLessThanPath"), json!({"v": 0, "w": 1}), true),
        (p("NumericGreaterThanPath"), json!({"v": 0, "w": 1}), false),
        (
            p("NumericLessThanEqualsPath"),
            json!({"v": 1, "w": 0}),
            false,
        ),
        (
            p("NumericGreaterThanEqualsPath"),
            json!({"v": 1, "w": 1}),
            true,
        ),
    ]);
}

#[test]
fn boolean_operators() {
    check(&[
        (
            json!({"Variable": "$.v", "BooleanEquals": true}),
            json!({"v": true}),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": false}),
            json!({"v": false}),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": true}),
            json!({"v": false}),
            false,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": true}),
            json!({"v": "true"}),
            false,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": false}),
            json!({"v": 0}),
            false,
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": false}),
            json!({"v": null}),
            false,
        ),
        (
            json!({"Variable": "$.v", "BooleanEqualsPath": "$.w"}),
            json!({"v": false, "w": false}),
            true,
        ),
        (
            json!({"Variable": "$.v", "BooleanEqualsPath": "$.w"}),
            json!({"v": 1, "w": true}),
            false,
        ),
        (
            json!({"Variable": "$.v", "BooleanEqualsPath": "$.w"}),
            json!({"v": true, "w": "true"}),
            false,
        ),
    ]);
}

#[test]
fn timestamp_parsing() {
    let valid = [
        "2016-03-14T01:59:00Z",
        "2016-03-14t01:59:00z",
        "2016-03-05T21:29:29.243167252Z",
        "2016-03-14T01:59:00.5+01:30",
        "2016-02-29T00:00:00-00:00",
    ];
    for t in valid {
        assert!(Instant::parse(t).is_some(), "{t} should parse");
    }
    let invalid = [
        "2016-13-05T21:29:29Z",
        "05-12-2016T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05T21:29:29",
        "2023-02-24 12:15:56.832957",
        "2023-02-24 12:15:56Z",
        "2023-02-24",
        "2015-02-29T00:00:00Z",
        "2016-03-14T01:59:00.Z",
        "2016-03-14T01:59:00.1234567891Z",
        "2016-03-14T01:59Z",
        "2016-03-14T01:59:60Z",
        "2016-03-14T01:59:00+0100",
        "2016-03-14T01:59:00Z ",
        "",
        "date",
    ];
    for t in invalid {
        assert!(Instant::parse(t).is_none(), "{t} should not parse");
    }
    assert_eq!(
        Instant::parse("2016-03-14T02:59:00+01:00"),
        Instant::parse("2016-03-14T01:59:00Z")
    );
    assert!(Instant::parse("2016-03-14T01:59:00.1Z") > Instant::parse("2016-03-14T01:59:00.09Z"));
}

#[test]
fn timestamp_operators() {
    let v = |op: &str, operand: &str| json!({"Variable": "$.v", op: operand});
    let t = "2016-03-14T01:59:00Z";
    check(&[
        (v("TimestampEquals", t), json!({"v": t}), true),
        (
            v("TimestampEquals", t),
            json!({"v": "2016-03-14T02:59:00+01:00"}),
            true,
        ),
        (
            v("TimestampEquals", t),
            json!({"v": "2016-03-14T01:59:00.000Z"}),
            true,
        ),
        (
            v("TimestampEquals", t),
            json!({"v": "2016-03-14T01:59:00"}),
            false,
        ),
        (v("TimestampEquals", t), json!({"v": 0}), false),
        (v("TimestampEquals", t), json!({"v": null}), false),
        (
            v("TimestampLessThan", t),
            json!({"v": "2016-03-14T01:58:59Z"}),
            true,
        ),
        (v("TimestampLessThan", t), json!({"v": t}), false),
        (
            v("TimestampGreaterThan", t),
            json!({"v": "2016-03-14T01:59:00.001Z"}),
            true,
        ),
        (v("TimestampLessThanEquals", t), json!({"v": t}), true),
        (
            v("TimestampGreaterThanEquals", t),
            json!({"v": "2015-01-01T00:00:00Z"}),
            false,
        ),
    ]);
    let p = |op: &str| json!({"Variable": "$.v", op: "$.w"});
    check(&[
        (p("TimestampEqualsPath"), json!({"v": t, "w": t}), true),
        (
            p("TimestampEqualsPath"),
            json!({"v": t, "w": "nope"}),
            false,
        ),
        (
            p("TimestampLessThanPath"),
            json!({"v": "2015-01-01T00:00:00Z", "w": t}),
            true,
        ),
        (
            p("TimestampGreaterThanPath"),
            json!({"v": "2015-01-01T00:00:00Z", "w": t}),
            false,
        ),
        (
            p("TimestampLessThanEqualsPath"),
            json!({"v": t, "w": t}),
            true,
        ),
        (
            p("TimestampGreaterThanEqualsPath"),
            json!({"v": t, "w": t}),
            true,
        ),
    ]);
}

type TypeCheck = fn(&Value) -> bool;

#[test]
fn type_tests() {
    let values = [
        json!(null),
        json!(1),
        json!(1.5),
        json!("s"),
        json!("2016-03-14T01:59:00Z"),
        json!(true),
        json!([]),
        json!({}),
    ];
    let expectations: [(&str, TypeCheck); 6] = [
        ("IsPresent", |_| true),
        ("IsNull", Value::is_null),
        ("IsNumeric", Value::is_number),
        ("IsString", Value::is_string),
        ("IsBoolean", Value::is_boolean),
        ("IsTimestamp", |v| v == "2016-03-14T01:59:00Z"),
    ];
    for value in &values {
        for (op, expected) in &expectations {
            for flag in [true, false] {
                assert_eq!(
                    eval(json!({"Variable": "$.v", *op: flag}), json!({ "v": value })),
                    Ok(expected(value) == flag),
                    "{op}: {flag} on {value}"
                );
            }
        }
    }
    assert_eq!(
        eval(json!({"Variable": "$.v", "IsPresent": true}), json!({})),
        Ok(false)
    );
    assert_eq!(
        eval(json!({"Variable": "$.v", "IsPresent": false}), json!({})),
        Ok(true)
    );
}

#[test]
fn missing_paths_fail_with_states_runtime() {
    let failure = |path: &str| {
        Err(Failure::runtime(format!(
            "Invalid path '{path}': The choice state's condition path references an invalid value."
        )))
    };
    for op in [
        json!({"StringEquals": "x"}),
        json!({"IsNull": true}),
        json!({"IsString": false}),
        json!({"NumericEquals": 1}),
        json!({"StringMatches": "*"}),
    ] {
        let mut r = op.clone();
        r["Variable"] = json!("$.missing");
        assert_eq!(eval(r, json!({"v": 1})), failure("$.missing"), "{op}");
    }
    assert_eq!(
        eval(
            json!({"Variable": "$.v", "NumericEqualsPath": "$.w"}),
            json!({"v": 1})
        ),
        failure("$.w")
    );
    // The operand is only read when the variable has the right type.
    assert_eq!(
        eval(
            json!({"Variable": "$.v", "NumericEqualsPath": "$.w"}),
            json!({"v": "1"})
        ),
        Ok(false)
    );
    assert_eq!(
        eval(
            json!({"Variable": "$.a.b", "IsNull": true}),
            json!({"a": 3})
        ),
        failure("$.a.b")
    );
}

#[test]
fn boolean_combinators() {
    let gt = |n: i64| json!({"Variable": "$.v", "NumericGreaterThan": n});
    check(&[
        (json!({"And": [gt(1), gt(2)]}), json!({"v": 3}), true),
        (json!({"And": [gt(1), gt(5)]}), json!({"v": 3}), false),
        (json!({"Or": [gt(5), gt(2)]}), json!({"v": 3}), true),
        (json!({"Or": [gt(5), gt(6)]}), json!({"v": 3}), false),
        (json!({"Not": gt(5)}), json!({"v": 3}), true),
        (json!({"Not": {"Not": gt(5)}}), json!({"v": 3}), false),
        (
            json!({"And": [{"Or": [gt(10), {"Not": gt(5)}]}, {"Not": {"And": [gt(0), gt(9)]}}]}),
            json!({"v": 3}),
            true,
        ),
    ]);
    // Short-circuit: a missing path after the deciding rule is never read.
    let missing = json!({"Variable": "$.missing", "NumericEquals": 1});
    check(&[
        (
            json!({"Or": [gt(1), missing.clone()]}),
            json!({"v": 3}),
            true,
        ),
        (
            json!({"And": [gt(5), missing.clone()]}),
            json!({"v": 3}),
            false,
        ),
    ]);
    assert!(eval(json!({"And": [gt(1), missing]}), json!({"v": 3})).is_err());
}

#[test]
fn roots_and_paths() {
    let mut scope = TestScope::new(json!({"a": [1, {"b": "x"}]}));
    scope.variables.insert("var".into(), json!({"n": 7}));
    let r = rule(json!({"And": [
        {"Variable": "$.a[1].b", "StringEquals": "x"},
        {"Variable": "$var.n", "NumericEqualsPath": "$$.Execution.Input.a[0]"},
        {"Not": {"Variable": "$['a'][-1]['b']", "IsNull": true}},
    ]}));
    assert_eq!(r.evaluate(&scope), Ok(false));
    scope.variables.insert("var".into(), json!({"n": 1}));
    assert_eq!(r.evaluate(&scope), Ok(true));
    let paths: Vec<&str> = r.paths().into_iter().map(Path::text).collect();
    assert_eq!(
        paths,
        [
            "$.a[1].b",
            "$var.n",
            "$$.Execution.Input.a[0]",
            "$['a'][-1]['b']"
        ]
    );
}

fn problems(choices: Value) -> Vec<(String, String)> {
    match compile_choices(&choices, "/States/C/Choices") {
        Ok(_) => panic!("{choices} should not compile"),
        Err(p) => {
            assert!(p
                .iter()
                .all(|p| p.code == crate::problem::SCHEMA_VALIDATION_FAILED));
            p.into_iter().map(|p| (p.location, p.message)).collect()
        }
    }
}

fn locations(choices: Value) -> Vec<String> {
    problems(choices).into_iter().map(|(l, _)| l).collect()
}

#[test]
fn validation_problems_are_located() {
    let ok = json!({"Variable": "$.v", "IsNull": true, "Next": "N"});
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["/States/C/Choices"]),
        (json!([]), vec!["/States/C/Choices"]),
        (json!([ok, 5]), vec!["/States/C/Choices/1"]),
        // Next required at the top level...
        (
            json!([{"Variable": "$.v", "IsNull": true}]),
            vec!["/States/C/Choices/0"],
        ),
        (
            json!([{"Variable": "$.v", "IsNull": true, "Next": 1}]),
            vec!["/States/C/Choices/0/Next"],
        ),
        // ...and not allowed below it.
        (
            json!([{"Not": {"Variable": "$.v", "IsNull": true, "Next": "N"}, "Next": "N"}]),
            vec!["/States/C/Choices/0/Not"],
        ),
        (
            json!([{"And": [ok.clone()], "Next": "N"}]),
            vec!["/States/C/Choices/0/And/0"],
        ),
        // Exactly one comparison.
        (
            json!([{"Variable": "$.v", "Next": "N"}]),
            vec!["/States/C/Choices/0"],
        ),
        (
            json!([{"Variable": "$.v", "IsNull": true, "IsString": true, "Next": "N"}]),
            vec!["/States/C/Choices/0"],
        ),
        (
            json!([{"Variable": "$.v", "IsNull": true, "And": [], "Next": "N"}]),
            vec!["/States/C/Choices/0"],
        ),
        // Variable required, and a valid reference path.
        (
            json!([{"IsNull": true, "Next": "N"}]),
            vec!["/States/C/Choices/0"],
        ),
        (
            json!([{"Variable": "v", "IsNull": true, "Next": "N"}]),
            vec!["/States/C/Choices/0/Variable"],
        ),
        (
            json!([{"Variable": "$.a[*]", "IsNull": true, "Next": "N"}]),
            vec!["/States/C/Choices/0/Variable"],
        ),
        (
            json!([{"Variable": 3, "IsNull": true, "Next": "N"}]),
            vec!["/States/C/Choices/0/Variable"],
        ),
        (
            json!([{"Variable": "$.v", "StringEqualsPath": "nope", "Next": "N"}]),
            vec!["/States/C/Choices/0/StringEqualsPath"],
        ),
        // And/Or need non-empty arrays of rules; Not an object.
        (
            json!([{"And": [], "Next": "N"}]),
            vec!["/States/C/Choices/0/And"],
        ),
        (
            json!([{"Or": {}, "Next": "N"}]),
            vec!["/States/C/Choices/0/Or"],
        ),
        (
            json!([{"Not": [], "Next": "N"}]),
            vec!["/States/C/Choices/0/Not"],
        ),
        (
            json!([{"Or": [{"Not": {"Variable": "$.v", "IsNull": "yes"}}], "Next": "N"}]),
            vec!["/States/C/Choices/0/Or/0/Not/IsNull"],
        ),
        // Operand types.
        (
            json!([{"Variable": "$.v", "StringEquals": 1, "Next": "N"}]),
            vec!["/States/C/Choices/0/StringEquals"],
        ),
        (
            json!([{"Variable": "$.v", "StringMatches": null, "Next": "N"}]),
            vec!["/States/C/Choices/0/StringMatches"],
        ),
        (
            json!([{"Variable": "$.v", "NumericLessThan": "1", "Next": "N"}]),
            vec!["/States/C/Choices/0/NumericLessThan"],
        ),
        (
            json!([{"Variable": "$.v", "BooleanEquals": "true", "Next": "N"}]),
            vec!["/States/C/Choices/0/BooleanEquals"],
        ),
        (
            json!([{"Variable": "$.v", "IsPresent": 1, "Next": "N"}]),
            vec!["/States/C/Choices/0/IsPresent"],
        ),
        (
            json!([{"Variable": "$.v", "TimestampEquals": "2016-03-14", "Next": "N"}]),
            vec!["/States/C/Choices/0/TimestampEquals"],
        ),
        (
            json!([{"Variable": "$.v", "TimestampEquals": 5, "Next": "N"}]),
            vec!["/States/C/Choices/0/TimestampEquals"],
        ),
        // Unknown fields; JSONata's Condition has no place in a JSONPath rule.
        (
            json!([{"Variable": "$.v", "IsNull": true, "Next": "N", "Extra": 1}]),
            vec!["/States/C/Choices/0"],
        ),
        (
            json!([{"Condition": true, "Next": "N"}]),
            vec!["/States/C/Choices/0", "/States/C/Choices/0"],
        ),
        // Every problem is reported, not just the first.
        (
            json!([
                {"Variable": "$.v", "NumericEquals": "x", "Next": "N"},
                ok,
                {"And": [{"Variable": "bad", "IsNull": true}, {"Variable": "$.v", "BooleanEquals": 1}], "Next": "N"}
            ]),
            vec![
                "/States/C/Choices/0/NumericEquals",
                "/States/C/Choices/2/And/0/Variable",
                "/States/C/Choices/2/And/1/BooleanEquals",
            ],
        ),
    ];
    for (choices, expected) in cases {
        assert_eq!(locations(choices.clone()), expected, "{choices}");
    }
}

#[test]
fn validation_messages() {
    let first = |choices: Value| problems(choices).remove(0).1;
    assert_eq!(
        first(json!([{"Variable": "$.v", "IsNull": true}])),
        "The field 'Next' is required but was missing"
    );
    assert_eq!(
        first(json!([{"Variable": "$.v", "TimestampEquals": "x", "Next": "N"}])),
        "String does not match RFC3339 timestamp"
    );
    assert_eq!(
        first(json!([{"Variable": "$.v", "StringEquals": 1, "Next": "N"}])),
        "Expected value of type String"
    );
    assert_eq!(
        first(json!([{"Variable": "x", "IsNull": true, "Next": "N"}])),
        "The value for the field 'Variable' must be a valid JSONPath"
    );
    assert_eq!(
        first(json!([{"Variable": "$.v", "IsNull": true, "Next": "N", "Foo": 1}])),
        "Field 'Foo' is not supported"
    );
}

#[test]
fn compiled_choices_keep_order_and_next() {
    let choices = compile_choices(
        &json!([
            {"Variable": "$.v", "NumericEquals": 1, "Next": "One", "Comment": "c"},
            {"Not": {"Variable": "$.v", "NumericEquals": 1, "Comment": "nested"}, "Next": "Other", "Assign": {"x": 1}},
        ]),
        "/States/C/Choices",
    )
    .unwrap();
    let next: Vec<&str> = choices.iter().map(|c| c.next.as_str()).collect();
    assert_eq!(next, ["One", "Other"]);
    let scope = TestScope::new(json!({"v": 2}));
    assert_eq!(choices[0].rule.evaluate(&scope), Ok(false));
    assert_eq!(choices[1].rule.evaluate(&scope), Ok(true));
}

// ---------------------------------------------------------------------------------------------
// The conformance corpus

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/cases"
    ))
}

/// What the recorded execution shows the Choice state did.
#[derive(Debug, PartialEq)]
enum Outcome {
    Next(String),
    Failed(String),
}

/// The outcome recorded for a case whose start state is `start`, if the record shows it.
fn recorded_outcome(case: &Value, start: &str) -> Option<Outcome> {
    let expect = &case["expect"];
    if let Some(events) = expect["events"].as_array() {
        let exited = events
            .iter()
            .position(|e| e["type"] == "ChoiceStateExited" && e["name"] == start);
        if let Some(exited) = exited {
            return events[exited + 1..]
                .iter()
                .find(|e| {
                    e["type"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("StateEntered"))
                })
                .and_then(|e| e["name"].as_str())
                .map(|n| Outcome::Next(n.to_owned()));
        }
        if expect["status"] == "FAILED" {
            return expect["error"]
                .as_str()
                .map(|e| Outcome::Failed(e.to_owned()));
        }
        return None;
    }
    // No history: the states the Choice can lead to are Pass states that end the execution, so
    // the one whose `Result` is the recorded output is the one taken.
    if expect["status"] != "SUCCEEDED" {
        return None;
    }
    let states = &case["definition"]["States"];
    let choice = &states[start];
    let mut targets: Vec<&str> = choice["Choices"]
        .as_array()?
        .iter()
        .filter_map(|c| c["Next"].as_str())
        .chain(choice["Default"].as_str())
        .collect();
    targets.sort_unstable();
    targets.dedup();
    let matching: Vec<&str> = targets
        .into_iter()
        .filter(|t| {
            let s = &states[*t];
            s["Type"] == "Pass"
                && s["End"] == true
                && s.get("Result") == Some(&expect["output"])
                && s.get("ResultPath").is_none()
                && s.get("OutputPath").is_none()
        })
        .collect();
    match matching.as_slice() {
        [one] => Some(Outcome::Next((*one).to_owned())),
        _ => None,
    }
}

/// LocalStack's snapshot transformer replaced the timestamps of the timestamp cases by the
/// placeholder `"date"`, in the definition and in the input. The values are restored from the
/// test that recorded them (`test_timestamp_operators.py` at the corpus' LocalStack revision):
/// `T0 = 2012-10-09T19:00:55Z`, `T1 = 2012-10-09T19:00:56Z`, the base comparisons
/// `[(T0, T0), (T0, T1), (T1, T0)]` as `(Variable, operand)`; `test_timestamp_equals` first runs
/// 14 type comparisons against `T0`; the `GreaterThan...Path` tests run `[(T0, T1)]` only and the
/// `LessThan...Path` tests `[(T1, T0)]`. Returns false for a case the table does not know.
fn restore_placeholders(case_name: &str, choices: &mut Value, input: &mut Value) -> bool {
    const T0: &str = "2012-10-09T19:00:55Z";
    const T1: &str = "2012-10-09T19:00:56Z";
    const BASE: [(&str, &str); 3] = [(T0, T0), (T0, T1), (T1, T0)];
    let Some(rest) = case_name.strip_prefix("test_timestamp_operators.") else {
        return true;
    };
    let Some((test, index)) = rest.split_once("__c") else {
        return false;
    };
    let Ok(index) = index.parse::<usize>() else {
        return false;
    };
    let (variable, operand) = match test {
        "test_timestamp_equals" if index < 14 => (None, T0),
        "test_timestamp_equals" => match BASE.get(index - 14) {
            Some((v, o)) => (Some(*v), *o),
            None => return false,
        },
        "test_timestamp_greater_than_path" | "test_timestamp_greater_than_equals_path"
            if index == 0 =>
        {
            (Some(T0), T1)
        }
        "test_timestamp_less_than_path" | "test_timestamp_less_than_equals_path" if index == 0 => {
            (Some(T1), T0)
        }
        _ => match BASE.get(index) {
            Some((v, o)) => (Some(*v), *o),
            None => return false,
        },
    };
    let date = json!("date");
    if let Some(v) = variable {
        if input["Variable"] != date {
            return false;
        }
        input["Variable"] = json!(v);
    }
    if input["Value"] == date {
        input["Value"] = json!(operand);
    }
    for rule in choices.as_array_mut().into_iter().flatten() {
        for (key, value) in rule.as_object_mut().into_iter().flatten() {
            if key.starts_with("Timestamp") && *value == date {
                *value = json!(operand);
            }
        }
    }
    true
}

#[test]
fn conformance_corpus() {
    let dir = corpus_dir();
    assert!(
        dir.is_dir(),
        "conformance corpus not found: looked for {}",
        dir.display()
    );
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    let (mut covered, mut passed, mut skipped) = (0, 0, Vec::new());
    let mut failures = Vec::new();
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let features = case["features"].as_array().cloned().unwrap_or_default();
        if features.iter().any(|f| f == "jsonata" || f == "assign") {
            continue;
        }
        let definition = &case["definition"];
        let Some(start) = definition["StartAt"].as_str() else {
            continue;
        };
        let state = &definition["States"][start];
        if state["Type"] != "Choice" {
            continue;
        }
        let name = file
            .strip_prefix(&dir)
            .unwrap_or(file)
            .display()
            .to_string();
        let mut input = case["input"].clone();
        let mut choices_json = state["Choices"].clone();
        let case_name = case["name"].as_str().unwrap_or_default();
        if !restore_placeholders(case_name, &mut choices_json, &mut input) {
            skipped.push(format!("{name}: timestamps replaced by placeholders"));
            continue;
        }
        let pointer = format!("/States/{}/Choices", pointer_escape(start));
        let compiled = compile_choices(&choices_json, &pointer);
        if case["expect"]["status"] == "INVALID_DEFINITION" {
            covered += 1;
            if compiled.is_err() {
                passed += 1;
            } else {
                failures.push(format!("{name}: should be an invalid definition"));
            }
            continue;
        }
        let Some(expected) = recorded_outcome(&case, start) else {
            skipped.push(format!(
                "{name}: the record does not show the Choice outcome"
            ));
            continue;
        };
        covered += 1;
        let choices = match compiled {
            Ok(c) => c,
            Err(p) => {
                failures.push(format!("{name}: does not compile: {p:?}"));
                continue;
            }
        };
        let scope = TestScope::new(input.clone());
        let mut actual = None;
        for choice in &choices {
            match choice.rule.evaluate(&scope) {
                Ok(true) => {
                    actual = Some(Outcome::Next(choice.next.clone()));
                    break;
                }
                Ok(false) => {}
                Err(f) => {
                    actual = Some(Outcome::Failed(f.error_name().to_owned()));
                    break;
                }
            }
        }
        let actual = actual.unwrap_or_else(|| match state["Default"].as_str() {
            Some(d) => Outcome::Next(d.to_owned()),
            None => Outcome::Failed(crate::failure::names::NO_CHOICE_MATCHED.to_owned()),
        });
        if actual == expected {
            passed += 1;
        } else {
            failures.push(format!(
                "{name}: expected {expected:?}, got {actual:?} (input {input})"
            ));
        }
    }
    eprintln!(
        "choice conformance: {passed}/{covered} covered cases pass, {} skipped",
        skipped.len()
    );
    for s in &skipped {
        eprintln!("  skipped {s}");
    }
    assert!(
        covered > 300,
        "only {covered} cases covered; is the corpus complete?"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
