//! Comparing a program's outcome with a case's expectation, following the corpus README
//! ("Placeholders and comparison").

use regex::Regex;
use serde_json::{Number, Value};

use super::case::{Case, Expect};

/// What a program produced: the `quickstep run` JSON (`status`, `output`, `error`, `cause`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Outcome {
    /// Reads the `quickstep run` result object. `status` is required; `output` is taken as
    /// given (an explicit `null` is `Some(Null)`); `error`/`cause` must be strings or null (a
    /// non-string cause is kept as its JSON text).
    pub fn from_json(value: &Value) -> Result<Outcome, String> {
        let obj = value
            .as_object()
            .ok_or_else(|| format!("result is not a JSON object: {}", render(value)))?;
        let status = match obj.get("status") {
            Some(Value::String(s)) => s.clone(),
            other => {
                return Err(format!(
                    "result has no string \"status\" (got {})",
                    other.map_or_else(|| "nothing".to_string(), render)
                ))
            }
        };
        let error = match obj.get("error") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(format!(
                    "result \"error\" is not a string: {}",
                    render(other)
                ))
            }
        };
        let cause = match obj.get("cause") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        Ok(Outcome {
            status,
            output: obj.get("output").cloned(),
            error,
            cause,
        })
    }
}

/// The first difference between an outcome and the expectation, e.g.
/// `output /a/b: expected 1, got 2`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Mismatch {
    pub message: String,
}

impl Mismatch {
    fn new(message: impl Into<String>) -> Self {
        Mismatch {
            message: message.into(),
        }
    }
}

/// Ok if `outcome` matches `case.expect` per the README: status equal; SUCCEEDED: output equal
/// as JSON (key order ignored, numbers as numbers); FAILED: error equal and, when expected, the
/// cause (a JSON object/array cause against the program's cause decoded as JSON); placeholder
/// tokens in cases with placeholders; TIMED_OUT / INVALID_DEFINITION: status only.
pub fn compare(case: &Case, outcome: &Outcome) -> Result<(), Mismatch> {
    let expect: &Expect = &case.expect;
    if expect.status != outcome.status {
        return Err(Mismatch::new(format!(
            "status: expected {}, got {}{}",
            expect.status,
            outcome.status,
            describe_failure(outcome)
        )));
    }
    let placeholders = if case.placeholders {
        Some(Placeholders::new(&case.placeholder_tokens)?)
    } else {
        None
    };
    let ph = placeholders.as_ref();
    match expect.status.as_str() {
        "SUCCEEDED" => {
            if let Some(expected) = &expect.output {
                let Some(actual) = &outcome.output else {
                    return Err(Mismatch::new(format!(
                        "output: expected {}, got no output",
                        render(expected)
                    )));
                };
                compare_values(expected, actual, "", ph).map_err(|d| d.describe("output"))?;
            }
            Ok(())
        }
        "FAILED" => {
            if expect.error != outcome.error {
                return Err(Mismatch::new(format!(
                    "error: expected {}, got {}",
                    opt_str(expect.error.as_deref(), "no error"),
                    opt_str(outcome.error.as_deref(), "no error"),
                )));
            }
            match (&expect.cause, &outcome.cause) {
                (None, _) => Ok(()),
                (Some(expected), None) => Err(Mismatch::new(format!(
                    "cause: expected {}, got no cause",
                    render(expected)
                ))),
                (Some(expected @ Value::String(_)), Some(actual)) => {
                    compare_values(expected, &Value::String(actual.clone()), "", ph)
                        .map_err(|d| d.describe("cause"))
                }
                (Some(expected), Some(actual)) => {
                    let decoded: Value = serde_json::from_str(actual).map_err(|_| {
                        Mismatch::new(format!(
                            "cause: expected JSON {}, got a cause that is not JSON: {}",
                            render(expected),
                            render(&Value::String(actual.clone()))
                        ))
                    })?;
                    compare_values(expected, &decoded, "", ph).map_err(|d| d.describe("cause"))
                }
            }
        }
        // TIMED_OUT, INVALID_DEFINITION (and anything else): the status is all that counts.
        _ => Ok(()),
    }
}

fn describe_failure(outcome: &Outcome) -> String {
    match (&outcome.error, &outcome.cause) {
        (None, None) => String::new(),
        (error, cause) => {
            let mut parts = Vec::new();
            if let Some(e) = error {
                parts.push(format!("error {}", render(&Value::String(e.clone()))));
            }
            if let Some(c) = cause {
                parts.push(format!("cause {}", render(&Value::String(c.clone()))));
            }
            format!(" ({})", parts.join(", "))
        }
    }
}

fn opt_str(s: Option<&str>, none: &str) -> String {
    s.map_or_else(
        || none.to_string(),
        |s| render(&Value::String(s.to_string())),
    )
}

/// Where and how two values differ.
struct Difference {
    pointer: String,
    detail: String,
}

impl Difference {
    fn describe(self, what: &str) -> Mismatch {
        if self.pointer.is_empty() {
            Mismatch::new(format!("{what}: {}", self.detail))
        } else {
            Mismatch::new(format!("{what} {}: {}", self.pointer, self.detail))
        }
    }
}

fn differ(pointer: &str, detail: String) -> Result<(), Difference> {
    Err(Difference {
        pointer: pointer.to_string(),
        detail,
    })
}

/// Extends a JSON pointer (RFC 6901 escaping).
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Compares `expected` with `actual` as JSON values; placeholder rules apply to expected
/// strings (never to object keys) when `ph` is given.
fn compare_values(
    expected: &Value,
    actual: &Value,
    pointer: &str,
    ph: Option<&Placeholders>,
) -> Result<(), Difference> {
    let mismatch = || {
        differ(
            pointer,
            format!("expected {}, got {}", render(expected), render(actual)),
        )
    };
    match (expected, actual) {
        (Value::String(e), a) => match ph.map(|p| p.classify(e)) {
            Some(Ok(Token::Whole)) => Ok(()),
            Some(Ok(Token::Embedded(re))) => match a {
                Value::String(a) if re.is_match(a) => Ok(()),
                _ => mismatch(),
            },
            Some(Err(m)) => differ(pointer, m),
            Some(Ok(Token::None)) | None => match a {
                Value::String(a) if a == e => Ok(()),
                _ => mismatch(),
            },
        },
        (Value::Number(e), Value::Number(a)) => {
            if numbers_equal(e, a) {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Value::Null, Value::Null) => Ok(()),
        (Value::Bool(e), Value::Bool(a)) if e == a => Ok(()),
        (Value::Array(e), Value::Array(a)) => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare_values(ev, av, &child(pointer, &i.to_string()), ph)?;
            }
            if e.len() == a.len() {
                Ok(())
            } else if e.len() > a.len() {
                differ(
                    &child(pointer, &a.len().to_string()),
                    format!(
                        "expected {} (array of {} elements), got nothing (array of {})",
                        render(&e[a.len()]),
                        e.len(),
                        a.len()
                    ),
                )
            } else {
                differ(
                    &child(pointer, &e.len().to_string()),
                    format!(
                        "unexpected element {} (expected array of {} elements, got {})",
                        render(&a[e.len()]),
                        e.len(),
                        a.len()
                    ),
                )
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let at = child(pointer, key);
                match a.get(key) {
                    Some(av) => compare_values(ev, av, &at, ph)?,
                    None => {
                        return differ(
                            &at,
                            format!("expected {}, got nothing (key missing)", render(ev)),
                        )
                    }
                }
            }
            match a.iter().find(|(key, _)| !e.contains_key(*key)) {
                Some((key, av)) => differ(
                    &child(pointer, key),
                    format!("unexpected key (got {})", render(av)),
                ),
                None => Ok(()),
            }
        }
        _ => mismatch(),
    }
}

/// `1 == 1.0`; integers compare exactly, anything involving a float compares as f64.
fn numbers_equal(a: &Number, b: &Number) -> bool {
    fn int(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (int(a), int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y),
    }
}

/// The placeholder tokens of one case.
struct Placeholders {
    /// Finds tokens in an expected string: the case's tokens longest first (so that
    /// `x-amzn-RequestId` wins over `RequestId` and `<json-input:1>` over `json-input`), the
    /// account id, then any other `<...>` token.
    finder: Regex,
}

/// The account id in recorded ARNs; stands for any 12-digit account id.
const ACCOUNT_ID: &str = "111111111111";

/// Any angle-bracket token (`<uuid:1>`, `<m-d5-of-message-body:1>`, ...), listed or not.
const ANGLE_TOKEN: &str = r"<[A-Za-z][A-Za-z0-9_:.\-]*>";

enum Token {
    /// The string is a token: matches any value.
    Whole,
    /// The string contains tokens: matches strings matching this regex.
    Embedded(Regex),
    /// No tokens: compare exactly.
    None,
}

impl Placeholders {
    fn new(tokens: &[String]) -> Result<Self, Mismatch> {
        let mut words: Vec<&str> = tokens
            .iter()
            .map(String::as_str)
            .filter(|t| !t.is_empty())
            .chain(std::iter::once(ACCOUNT_ID))
            .collect();
        words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        words.dedup();
        let mut alternatives: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
        alternatives.push(ANGLE_TOKEN.to_string());
        let finder = Regex::new(&alternatives.join("|"))
            .map_err(|e| Mismatch::new(format!("cannot build the placeholder pattern: {e}")))?;
        Ok(Placeholders { finder })
    }

    fn classify(&self, expected: &str) -> Result<Token, String> {
        let mut pattern = String::from(r"\A(?s:");
        let mut last = 0;
        let mut found = false;
        for m in self.finder.find_iter(expected) {
            if m.start() == 0 && m.end() == expected.len() {
                return Ok(Token::Whole);
            }
            found = true;
            pattern.push_str(&regex::escape(&expected[last..m.start()]));
            pattern.push_str(if m.as_str() == ACCOUNT_ID {
                r"\d{12}"
            } else {
                ".*"
            });
            last = m.end();
        }
        if !found {
            return Ok(Token::None);
        }
        pattern.push_str(&regex::escape(&expected[last..]));
        pattern.push_str(r")\z");
        Regex::new(&pattern).map(Token::Embedded).map_err(|e| {
            format!(
                "cannot build a placeholder pattern for {}: {e}",
                render(&Value::String(expected.to_string()))
            )
        })
    }
}

/// A value as compact JSON, shortened for messages.
fn render(value: &Value) -> String {
    const MAX: usize = 160;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
// Tests may unwrap: a panic is how they fail.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(expect: Value, tokens: &[&str]) -> Case {
        let expect: Expect = serde_json::from_value(expect).unwrap();
        Case {
            name: "t".into(),
            group: "g".into(),
            file: "g/t.json".into(),
            features: vec!["jsonpath".into()],
            workflow_type: "STANDARD".into(),
            definition: json!({}),
            input: json!({}),
            mock_config: None,
            test_case: None,
            expect,
            placeholders: !tokens.is_empty(),
            placeholder_tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn succeeded(output: Value) -> Outcome {
        Outcome {
            status: "SUCCEEDED".into(),
            output: Some(output),
            error: None,
            cause: None,
        }
    }

    fn failed(error: Option<&str>, cause: Option<&str>) -> Outcome {
        Outcome {
            status: "FAILED".into(),
            output: None,
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
        }
    }

    fn out_case(output: Value, tokens: &[&str]) -> Case {
        case(json!({"status": "SUCCEEDED", "output": output}), tokens)
    }

    fn msg(r: Result<(), Mismatch>) -> String {
        r.unwrap_err().message
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let c = out_case(json!({"a": 1, "b": [2.5, -3], "c": 10000000000u64}), &[]);
        compare(
            &c,
            &succeeded(json!({"a": 1.0, "b": [2.5, -3.0], "c": 1e10})),
        )
        .unwrap();
        let c = out_case(json!(1.0), &[]);
        compare(&c, &succeeded(json!(1))).unwrap();
        assert_eq!(
            msg(compare(&c, &succeeded(json!(1.5)))),
            "output: expected 1.0, got 1.5"
        );
        // u64 beyond i64 against i64: exact.
        let c = out_case(json!(u64::MAX), &[]);
        compare(&c, &succeeded(json!(u64::MAX))).unwrap();
        assert!(compare(&c, &succeeded(json!(-1))).is_err());
        // A number is not its string.
        assert!(compare(&out_case(json!(1), &[]), &succeeded(json!("1"))).is_err());
    }

    #[test]
    fn key_order_is_ignored() {
        let c = out_case(json!({"a": 1, "b": {"x": true, "y": null}}), &[]);
        compare(&c, &succeeded(json!({"b": {"y": null, "x": true}, "a": 1}))).unwrap();
    }

    #[test]
    fn mismatch_messages_point_at_the_difference() {
        let c = out_case(json!({"a": {"b": 1}, "l": [1, 2]}), &[]);
        assert_eq!(
            msg(compare(&c, &succeeded(json!({"a": {"b": 2}, "l": [1, 2]})))),
            "output /a/b: expected 1, got 2"
        );
        assert_eq!(
            msg(compare(&c, &succeeded(json!({"a": {}, "l": [1, 2]})))),
            "output /a/b: expected 1, got nothing (key missing)"
        );
        assert_eq!(
            msg(compare(
                &c,
                &succeeded(json!({"a": {"b": 1, "c": 3}, "l": [1, 2]}))
            )),
            "output /a/c: unexpected key (got 3)"
        );
        assert_eq!(
            msg(compare(&c, &succeeded(json!({"a": {"b": 1}, "l": [1]})))),
            "output /l/1: expected 2 (array of 2 elements), got nothing (array of 1)"
        );
        assert_eq!(
            msg(compare(
                &c,
                &succeeded(json!({"a": {"b": 1}, "l": [1, 2, "x"]}))
            )),
            "output /l/2: unexpected element \"x\" (expected array of 2 elements, got 3)"
        );
        assert_eq!(
            msg(compare(&c, &succeeded(json!({"a": {"b": 1}, "l": [1, 3]})))),
            "output /l/1: expected 2, got 3"
        );
        assert_eq!(
            msg(compare(&c, &succeeded(json!([1])))),
            "output: expected {\"a\":{\"b\":1},\"l\":[1,2]}, got [1]"
        );
        // Keys with '/' and '~' are escaped in the pointer.
        let c = out_case(json!({"a/b": {"c~d": 1}}), &[]);
        assert_eq!(
            msg(compare(&c, &succeeded(json!({"a/b": {"c~d": 0}})))),
            "output /a~1b/c~0d: expected 1, got 0"
        );
        let mut no_output = succeeded(json!(null));
        no_output.output = None;
        assert_eq!(
            msg(compare(&c, &no_output)),
            "output: expected {\"a/b\":{\"c~d\":1}}, got no output"
        );
    }

    #[test]
    fn explicit_null_output_must_be_null() {
        let c = out_case(json!(null), &[]);
        compare(&c, &succeeded(json!(null))).unwrap();
        assert!(compare(&c, &succeeded(json!({}))).is_err());
    }

    #[test]
    fn status_is_compared_first_and_shows_the_failure() {
        let c = out_case(json!({}), &[]);
        assert_eq!(
            msg(compare(&c, &failed(Some("States.Runtime"), Some("boom")))),
            "status: expected SUCCEEDED, got FAILED (error \"States.Runtime\", cause \"boom\")"
        );
    }

    #[test]
    fn timed_out_and_invalid_definition_compare_status_only() {
        let c = case(
            json!({"status": "INVALID_DEFINITION", "error": "InvalidDefinition", "message": "m"}),
            &[],
        );
        compare(
            &c,
            &Outcome {
                status: "INVALID_DEFINITION".into(),
                error: Some("SCHEMA_VALIDATION_FAILED".into()),
                ..Outcome::default()
            },
        )
        .unwrap();
        let c = case(json!({"status": "TIMED_OUT"}), &[]);
        compare(
            &c,
            &Outcome {
                status: "TIMED_OUT".into(),
                ..Outcome::default()
            },
        )
        .unwrap();
        assert!(compare(&c, &failed(Some("States.Timeout"), None)).is_err());
    }

    #[test]
    fn failed_compares_error_and_optional_cause() {
        let c = case(json!({"status": "FAILED", "error": "E"}), &[]);
        compare(&c, &failed(Some("E"), Some("anything"))).unwrap();
        compare(&c, &failed(Some("E"), None)).unwrap();
        assert_eq!(
            msg(compare(&c, &failed(Some("F"), None))),
            "error: expected \"E\", got \"F\""
        );
        assert_eq!(
            msg(compare(&c, &failed(None, None))),
            "error: expected \"E\", got no error"
        );
        // A Fail state without Error: the program must report no error either.
        let c = case(
            json!({"status": "FAILED", "cause": "Condition is false"}),
            &[],
        );
        compare(&c, &failed(None, Some("Condition is false"))).unwrap();
        assert_eq!(
            msg(compare(&c, &failed(Some("X"), Some("Condition is false")))),
            "error: expected no error, got \"X\""
        );
        assert_eq!(
            msg(compare(&c, &failed(None, Some("Condition is true")))),
            "cause: expected \"Condition is false\", got \"Condition is true\""
        );
        assert_eq!(
            msg(compare(&c, &failed(None, None))),
            "cause: expected \"Condition is false\", got no cause"
        );
    }

    #[test]
    fn json_causes_are_compared_decoded() {
        let c = case(
            json!({"status": "FAILED", "error": "Exception",
                   "cause": {"errorMessage": "x", "errorType": "Exception", "n": 1}}),
            &[],
        );
        compare(
            &c,
            &failed(
                Some("Exception"),
                Some(r#"{"n": 1.0, "errorType":"Exception","errorMessage":"x"}"#),
            ),
        )
        .unwrap();
        assert_eq!(
            msg(compare(
                &c,
                &failed(
                    Some("Exception"),
                    Some(r#"{"errorMessage":"y","errorType":"Exception","n":1}"#)
                )
            )),
            "cause /errorMessage: expected \"x\", got \"y\""
        );
        let m = msg(compare(&c, &failed(Some("Exception"), Some("not json"))));
        assert!(m.starts_with("cause: expected JSON {"), "{m}");
        assert!(
            m.ends_with("got a cause that is not JSON: \"not json\""),
            "{m}"
        );
        // JSON array causes too.
        let c = case(
            json!({"status": "FAILED", "error": "E", "cause": [1, "a"]}),
            &[],
        );
        compare(&c, &failed(Some("E"), Some(r#"[1.0,"a"]"#))).unwrap();
        // A string cause that happens to look like JSON is compared as a string.
        let c = case(
            json!({"status": "FAILED", "error": "E", "cause": "{\"a\":1}"}),
            &[],
        );
        compare(&c, &failed(Some("E"), Some("{\"a\":1}"))).unwrap();
        assert!(compare(&c, &failed(Some("E"), Some("{\"a\": 1}"))).is_err());
    }

    #[test]
    fn json_causes_use_placeholders() {
        let c = case(
            json!({"status": "FAILED", "error": "Exception",
                   "cause": {"errorMessage": "x", "requestId": "<uuid:1>",
                             "arn": "arn:<partition>:lambda:<region>:111111111111:function:f"}}),
            &["<uuid:1>", "<partition>", "<region>", "111111111111"],
        );
        compare(
            &c,
            &failed(
                Some("Exception"),
                Some(
                    r#"{"errorMessage":"x","requestId":"6f1c-aa","arn":"arn:aws:lambda:eu-west-1:123456789012:function:f"}"#,
                ),
            ),
        )
        .unwrap();
    }

    #[test]
    fn whole_value_token_matches_any_value() {
        let c = out_case(
            json!({"id": "<uuid:1>", "date": "date", "hdr": {"x-amzn-RequestId": "x-amzn-RequestId"}}),
            &["<uuid:1>", "date", "x-amzn-RequestId", "RequestId"],
        );
        compare(
            &c,
            &succeeded(
                json!({"id": "a-b-c", "date": 1700000000, "hdr": {"x-amzn-RequestId": {"k": [1]}}}),
            ),
        )
        .unwrap();
        // Keys are never placeholders.
        assert_eq!(
            msg(compare(
                &c,
                &succeeded(json!({"id": "a", "date": 1, "hdr": {"x-amzn-requestid": "r"}}))
            )),
            "output /hdr/x-amzn-RequestId: expected \"x-amzn-RequestId\", got nothing (key missing)"
        );
    }

    #[test]
    fn unlisted_angle_tokens_are_tokens_too() {
        let c = out_case(
            json!({"a": "<extended_request_id>", "b": "id <x-y:2> end"}),
            &["<uuid:1>"],
        );
        compare(&c, &succeeded(json!({"a": 5, "b": "id 42 end"}))).unwrap();
    }

    #[test]
    fn placeholders_need_the_case_flag() {
        let mut c = out_case(json!({"id": "<uuid:1>"}), &["<uuid:1>"]);
        c.placeholders = false;
        assert!(compare(&c, &succeeded(json!({"id": "abc"}))).is_err());
        compare(&c, &succeeded(json!({"id": "<uuid:1>"}))).unwrap();
    }

    #[test]
    fn embedded_tokens_match_any_text() {
        let c = out_case(
            json!("arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>"),
            &["<partition>", "<region>", "111111111111", "<ArnPart_0idx>", "<ExecArnPart_0idx>"],
        );
        compare(
            &c,
            &succeeded(json!(
                "arn:aws:states:us-east-1:000000000000:execution:sm-name:exec-1"
            )),
        )
        .unwrap();
        // The literal parts must still match.
        assert_eq!(
            msg(compare(
                &c,
                &succeeded(json!("arn:aws:states:us-east-1:000000000000:stateMachine:sm:e"))
            )),
            "output: expected \"arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>\", got \"arn:aws:states:us-east-1:000000000000:stateMachine:sm:e\""
        );
        // An embedded token does not match a non-string.
        let c = out_case(json!("id-<uuid:1>"), &["<uuid:1>"]);
        assert!(compare(&c, &succeeded(json!(5))).is_err());
        compare(&c, &succeeded(json!("id-"))).unwrap();
        // Regex metacharacters in the literal parts are literal.
        let c = out_case(json!("a.b (<uuid:1>) $[0]"), &["<uuid:1>"]);
        compare(&c, &succeeded(json!("a.b (x\ny) $[0]"))).unwrap();
        assert!(compare(&c, &succeeded(json!("aXb (x) $[0]"))).is_err());
    }

    #[test]
    fn account_id_stands_for_twelve_digits() {
        let c = out_case(
            json!("arn:aws:lambda:us-east-1:111111111111:function:f"),
            &["111111111111"],
        );
        compare(
            &c,
            &succeeded(json!("arn:aws:lambda:us-east-1:123456789012:function:f")),
        )
        .unwrap();
        assert!(compare(
            &c,
            &succeeded(json!("arn:aws:lambda:us-east-1:12345:function:f"))
        )
        .is_err());
        assert!(compare(
            &c,
            &succeeded(json!("arn:aws:lambda:us-east-1:12345678901a:function:f"))
        )
        .is_err());
        // Even when the case does not list it, the account id is a token in placeholder cases.
        let c = out_case(json!("acct 111111111111 <uuid:1>"), &["<uuid:1>"]);
        compare(&c, &succeeded(json!("acct 999999999999 u"))).unwrap();
    }

    #[test]
    fn listed_word_tokens_and_longest_first() {
        let tokens = ["<json-input:1>", "json-input"];
        let c = case(
            json!({"status": "FAILED", "error": "States.Runtime",
                   "cause": "could not be found in the input '<json-input:1>'"}),
            &tokens,
        );
        compare(
            &c,
            &failed(
                Some("States.Runtime"),
                Some("could not be found in the input '{\"a\":1}'"),
            ),
        )
        .unwrap();
        assert!(compare(
            &c,
            &failed(Some("States.Runtime"), Some("could not be found in '{}'"))
        )
        .is_err());
        // A listed word inside a longer string stands for any text.
        let c = out_case(json!("HelloWorldUpdated"), &["date"]);
        compare(&c, &succeeded(json!("HelloWorldUpXYZd"))).unwrap();
        // Unlisted words are literal.
        let c = out_case(json!("HelloWorldUpdated"), &["<uuid:1>"]);
        assert!(compare(&c, &succeeded(json!("HelloWorldUpXYZd"))).is_err());
    }

    #[test]
    fn outcome_from_run_json() {
        let o = Outcome::from_json(&json!({"status": "SUCCEEDED", "output": null})).unwrap();
        assert_eq!(o.output, Some(Value::Null));
        let o =
            Outcome::from_json(&json!({"status": "FAILED", "error": "E", "cause": null})).unwrap();
        assert_eq!(o.error.as_deref(), Some("E"));
        assert_eq!(o.cause, None);
        assert_eq!(o.output, None);
        let o = Outcome::from_json(&json!({"status": "FAILED", "cause": {"a": 1}})).unwrap();
        assert_eq!(o.cause.as_deref(), Some("{\"a\":1}"));
        assert!(Outcome::from_json(&json!({"output": 1})).is_err());
        assert!(Outcome::from_json(&json!([1])).is_err());
        assert!(Outcome::from_json(&json!({"status": "FAILED", "error": 3})).is_err());
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let c = out_case(json!(long), &[]);
        let m = msg(compare(&c, &succeeded(json!("y"))));
        assert!(m.len() < 300, "{m}");
        assert!(m.contains('…'));
    }
}
