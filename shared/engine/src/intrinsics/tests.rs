//! Table-driven tests of every intrinsic function: results, failures and parsing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;

use serde_json::{json, Value};

use super::Intrinsic;
use crate::failure::{names, Failure};
use crate::jsonpath::{Path, Root};
use crate::scope::Scope;

/// A scope over fixed documents, with a simple deterministic random source.
pub(super) struct TestScope {
    pub input: Value,
    pub context: Value,
    pub variables: serde_json::Map<String, Value>,
    pub state: u64,
}

impl TestScope {
    pub fn new(input: Value) -> Self {
        Self {
            input,
            context: json!({"Execution": {"Name": "exec-1"}}),
            variables: serde_json::Map::new(),
            state: 0x1234_5678,
        }
    }
}

impl Scope for TestScope {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        let doc = match path.root() {
            Root::Input => &self.input,
            Root::Context => &self.context,
            Root::Variable(name) => self.variables.get(name)?,
        };
        path.select(doc)
    }

    fn random_u64(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn eval_in(text: &str, input: Value) -> Result<Value, Failure> {
    let call = Intrinsic::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    call.evaluate(&mut TestScope::new(input), "r.$")
}

fn eval(text: &str) -> Result<Value, Failure> {
    eval_in(
        text,
        json!({
            "s": "a,b", "n": 3, "f": 1.5, "o": {"x": 1, "y": [1, "two"]}, "arr": [1, 2, 2, 3],
            "t": "x {} y", "nul": null
        }),
    )
}

#[test]
fn results() {
    let cases: &[(&str, Value)] = &[
        ("States.Format('a{}b{}', 1, 'x')", json!("a1bx")),
        ("States.Format('{}', $.o)", json!("{x=1, y=[1, two]}")),
        ("States.Format('{} {} {}', 1.5, true, null)", json!("1.5 true null")),
        ("States.Format('v={}', 1.0)", json!("v=1.0")),
        ("States.Format('\\{\\}{}\\\\\\'', 'z')", json!("{}z\\'")),
        ("States.Format($.t, $.n)", json!("x 3 y")),
        ("States.Format('no placeholders')", json!("no placeholders")),
        ("States.StringToJson('{\"a\": [1, 2]}')", json!({"a": [1, 2]})),
        ("States.StringToJson('  ')", json!(null)),
        ("States.JsonToString($.o)", json!("{\"x\":1,\"y\":[1,\"two\"]}")),
        ("States.JsonToString($.f)", json!("1.5")),
        ("States.JsonToString('s')", json!("\"s\"")),
        ("States.Array()", json!([])),
        ("States.Array(1, 'a', $.o.x, States.Array(true))", json!([1, "a", 1, [true]])),
        ("States.ArrayPartition($.arr, 3)", json!([[1, 2, 2], [3]])),
        ("States.ArrayPartition(States.Array(), 3)", json!([])),
        ("States.ArrayContains($.arr, 2)", json!(true)),
        ("States.ArrayContains($.arr, '2')", json!(false)),
        ("States.ArrayRange(1, 9, 2)", json!([1, 3, 5, 7, 9])),
        ("States.ArrayRange(10, 0, -5)", json!([10, 5, 0])),
        ("States.ArrayRange(5, 0, 1)", json!([])),
        ("States.ArrayRange(1, 1000, 1)", Value::Array((1..=1000).map(Value::from).collect())),
        ("States.ArrayGetItem($.arr, 3)", json!(3)),
        ("States.ArrayLength($.arr)", json!(4)),
        ("States.ArrayUnique($.arr)", json!([1, 2, 3])),
        ("States.ArrayUnique(States.Array($.o, $.o, 1))", json!([{"x": 1, "y": [1, "two"]}, 1])),
        ("States.Base64Encode('Data to encode')", json!("RGF0YSB0byBlbmNvZGU=")),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!("Data to encode")),
        ("States.Hash('input data', 'MD5')", json!("812f45842bc6d66ee14572ce20db8e86")),
        ("States.Hash('input data', 'SHA-1')", json!("aaff4a450a104cd177d28d18d74485e8cae074b7")),
        (
            "States.JsonMerge(States.StringToJson('{\"a\": {\"p\": 1}, \"b\": 1}'), States.StringToJson('{\"a\": {\"q\": 2}}'), false)",
            json!({"a": {"q": 2}, "b": 1}),
        ),
        ("States.MathAdd(1, -2)", json!(-1)),
        ("States.MathAdd($.f, 0)", json!(2)),
        ("States.MathAdd(-1.5, 0)", json!(-1)),
        ("States.MathAdd(2147483647, 0)", json!(2_147_483_647)),
        ("States.MathRandom(5, 6)", json!(5)),
        ("States.MathRandom(0, 100, 42)", json!(30)),
        ("States.StringSplit($.s, ',')", json!(["a", "b"])),
        ("States.StringSplit('a.b+c,,d', '.+,')", json!(["a", "b", "c", "d"])),
        ("States.StringSplit('abc', ',')", json!(["abc"])),
        ("States.ArrayGetItem(States.StringSplit('a-b-c', '-'), States.MathAdd(States.ArrayLength(States.StringSplit('a-b-c', '-')), -1))", json!("c")),
        ("States.Format('{}', $$.Execution.Name)", json!("exec-1")),
        ("  States.Array( 1 ,  2 )  ", json!([1, 2])),
    ];
    for (text, expected) in cases {
        match eval(text) {
            Ok(v) => assert_eq!(&v, expected, "{text}"),
            Err(e) => panic!("{text}: unexpected failure {e:?}"),
        }
    }
}

#[test]
fn failures() {
    let intrinsic = names::INTRINSIC_FAILURE;
    let cases: &[(&str, &str, &str)] = &[
        ("States.Format('{} {}', 1)", intrinsic, "placeholder"),
        ("States.Format($.n)", intrinsic, "format string must be a string"),
        ("States.StringToJson('{')", intrinsic, "not valid JSON"),
        ("States.StringToJson($.n)", intrinsic, "must be a string"),
        ("States.ArrayPartition($.arr, 0)", intrinsic, "positive integer"),
        ("States.ArrayPartition($.s, 1)", intrinsic, "must be an array"),
        ("States.ArrayPartition($.arr, 1.5)", intrinsic, "integer"),
        ("States.ArrayContains($.o, 1)", intrinsic, "must be an array"),
        ("States.ArrayRange(1, 2, 0)", intrinsic, "must not be 0"),
        ("States.ArrayRange(1, 1001, 1)", intrinsic, "1000"),
        ("States.ArrayRange(1.5, 3, 1)", intrinsic, "integer"),
        ("States.ArrayGetItem($.arr, 4)", intrinsic, "out of bounds"),
        ("States.ArrayGetItem($.arr, -1)", intrinsic, "out of bounds"),
        ("States.ArrayLength($.n)", intrinsic, "must be an array"),
        ("States.ArrayUnique($.nul)", intrinsic, "must be an array"),
        ("States.Base64Encode($.n)", intrinsic, "must be a string"),
        ("States.Base64Decode('***')", intrinsic, "base64"),
        ("States.Hash('x', 'SHA-3')", intrinsic, "not supported"),
        ("States.Hash($.o, 'MD5')", intrinsic, "must be a string"),
        ("States.JsonMerge($.o, $.o, true)", intrinsic, "deep merge"),
        ("States.JsonMerge($.o, $.arr, false)", intrinsic, "JSON object"),
        ("States.JsonMerge($.o, $.o, 'false')", intrinsic, "boolean"),
        ("States.MathAdd('1', 2)", intrinsic, "must be a number"),
        ("States.MathAdd(2147483648, 0)", intrinsic, "2147483647"),
        // Read in place (literals and paths) or computed (a nested call), the arguments are
        // all found before either is checked, and the first one is checked first.
        ("States.MathAdd($.o, $.missing)", names::RUNTIME, "'$.missing' specified for the field 'r.$'"),
        ("States.MathAdd($.o, 1)", intrinsic, "the first argument must be a number"),
        ("States.MathAdd(1, $.o)", intrinsic, "the second argument must be a number"),
        ("States.MathAdd($.o, States.ArrayLength($.nope))", names::RUNTIME, "'$.nope'"),
        ("States.MathAdd(States.ArrayLength($.arr), $.o)", intrinsic, "the second argument must be a number"),
        ("States.MathRandom(5, 5)", intrinsic, "greater"),
        ("States.StringSplit($.n, ',')", intrinsic, "must be a string"),
        ("States.Array($.missing)", names::RUNTIME, "The JSONPath '$.missing' specified for the field 'r.$' could not be found in the input '"),
        ("States.Format('{}', States.ArrayLength($.nope))", names::RUNTIME, "'$.nope'"),
    ];
    for (text, error, cause_part) in cases {
        match eval(text) {
            Ok(v) => panic!("{text}: expected failure, got {v}"),
            Err(f) => {
                assert_eq!(f.error_name(), *error, "{text}: {f:?}");
                let cause = f.cause.unwrap_or_default();
                assert!(
                    cause.contains(cause_part),
                    "{text}: cause {cause:?} lacks {cause_part:?}"
                );
            }
        }
    }
    let long = "x".repeat(10_001);
    let e = eval(&format!("States.Base64Encode('{long}')"));
    assert!(e.is_err_and(|f| f.error_name() == intrinsic));
}

#[test]
fn parse_errors() {
    let bad = [
        "States.Nope(1)",
        "States.Array(1",
        "States.Array(1) x",
        "States.Array(1,)",
        "States.Array('abc)",
        "States.Array('a\\\"b')",
        "States.Array('a\\nb')",
        "States.Array(1.)",
        "States.Array(--1)",
        "States.Array(tru)",
        "States.Array($.a[)",
        "States.Array(a.b)",
        "States.UUID(1)",
        "States.MathAdd(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.ArrayRange(1, 2)",
        "States.JsonMerge($.a, $.b)",
        "States.Format()",
        "States.Hash('x')",
        "States.Array",
    ];
    for text in bad {
        let Err(e) = Intrinsic::parse(text) else {
            panic!("{text} should not parse");
        };
        assert!(
            e.message.contains("offset") || e.message.contains("argument"),
            "{text}: {e}"
        );
    }
    // Ten nested levels are allowed, eleven are not.
    let nested = |n: usize| format!("{}{}", "States.Array(".repeat(n), ")".repeat(n));
    assert!(Intrinsic::parse(&nested(10)).is_ok());
    assert!(Intrinsic::parse(&nested(11)).is_err());
}

#[test]
fn paths_are_listed() {
    let call = Intrinsic::parse(
        "States.Format('{} {} {}', $.a, States.Array($$.Execution.Id, $v.x), $['b,c'])",
    )
    .unwrap();
    let texts: Vec<&str> = call.paths().iter().map(|p| p.text()).collect();
    assert_eq!(texts, ["$.a", "$$.Execution.Id", "$v.x", "$['b,c']"]);
}

#[test]
fn path_roots_and_query_paths() {
    let mut scope = TestScope::new(json!({"items": [{"v": 1}, {"v": 2}], "a,b": 5}));
    scope.variables.insert("myVar".into(), json!({"x": [7]}));
    let cases = [
        (
            "States.Array($)",
            json!([{"items": [{"v": 1}, {"v": 2}], "a,b": 5}]),
        ),
        ("States.Array($myVar.x[0])", json!([7])),
        ("States.Array($.items[*].v)", json!([[1, 2]])),
        ("States.Array($['a,b'])", json!([5])),
        ("States.ArrayLength($.items[?(@.v > 1)])", json!(1)),
    ];
    for (text, expected) in cases {
        let call = Intrinsic::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            call.evaluate(&mut scope, "f.$").unwrap(),
            expected,
            "{text}"
        );
    }
}

#[test]
fn uuid_is_v4_and_deterministic() {
    let call = Intrinsic::parse("States.UUID()").unwrap();
    let a = call
        .evaluate(&mut TestScope::new(json!({})), "f.$")
        .unwrap();
    let b = call
        .evaluate(&mut TestScope::new(json!({})), "f.$")
        .unwrap();
    assert_eq!(a, b);
    let text = a.as_str().unwrap();
    let parsed = uuid::Uuid::parse_str(text).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
    assert_eq!(text, text.to_lowercase());
}

#[test]
fn math_random_stays_in_range() {
    let call = Intrinsic::parse("States.MathRandom(-3, 4)").unwrap();
    let mut scope = TestScope::new(json!({}));
    for _ in 0..200 {
        let v = call.evaluate(&mut scope, "f.$").unwrap().as_i64().unwrap();
        assert!((-3..4).contains(&v), "{v}");
    }
}

#[test]
fn looks_like_call() {
    assert!(Intrinsic::looks_like_call("  States.Array()"));
    assert!(!Intrinsic::looks_like_call("$.States.x"));
}

#[test]
fn integers_at_the_edges_fail_as_intrinsic_failures() {
    // Found by the intrinsics fuzz target: `i64::MIN / -1` and `end - start` overflowed.
    let (min, max) = (i64::MIN, i64::MAX);
    let too_long = [
        format!("States.ArrayRange({min}, {max}, 1)"),
        format!("States.ArrayRange({max}, {min}, -1)"),
        format!("States.ArrayRange(0, {min}, -1)"),
        format!("States.ArrayRange({max}, -1, -1)"),
    ];
    for text in &too_long {
        match eval(text) {
            Ok(v) => panic!("{text}: expected failure, got {v}"),
            Err(f) => assert_eq!(f.error_name(), names::INTRINSIC_FAILURE, "{text}: {f:?}"),
        }
    }
    let fits = [
        (format!("States.ArrayRange({min}, {min}, -1)"), json!([min])),
        (format!("States.ArrayRange({max}, {max}, 1)"), json!([max])),
        (
            format!("States.ArrayRange({min}, {max}, {max})"),
            json!([min, -1, max - 1]),
        ),
        (
            format!("States.ArrayRange({max}, {min}, {min})"),
            json!([max, -1]),
        ),
        (
            format!("States.ArrayRange({min}, 0, {max})"),
            json!([min, -1]),
        ),
        (format!("States.ArrayGetItem($.arr, {max})"), json!(null)),
        (
            format!("States.ArrayPartition($.arr, {max})"),
            json!([[1, 2, 2, 3]]),
        ),
        (
            format!("States.MathAdd({}, {})", i32::MIN, i32::MIN),
            json!(-4_294_967_296_i64),
        ),
        ("States.MathAdd(1e300, 1)".to_owned(), json!(null)),
    ];
    for (text, expected) in &fits {
        match eval(text) {
            Ok(v) => assert_eq!(&v, expected, "{text}"),
            Err(f) if expected.is_null() => {
                assert_eq!(f.error_name(), names::INTRINSIC_FAILURE, "{text}: {f:?}");
            }
            Err(f) => panic!("{text}: {f:?}"),
        }
    }
}
