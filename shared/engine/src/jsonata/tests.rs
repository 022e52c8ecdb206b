// A test fails by panicking: unwrap and expect are its assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

use super::*;

/// A fixed clock (2024-01-02T03:04:05.678Z) and a counter for random bits, recording how often
/// each was read.
struct TestEnv {
    now: i64,
    next: u64,
    random_draws: usize,
}

impl TestEnv {
    fn new() -> Self {
        Self {
            now: 1_704_164_645_678,
            next: 7,
            random_draws: 0,
        }
    }
}

impl Environment for TestEnv {
    fn now_millis(&self) -> i64 {
        self.now
    }

    fn random_u64(&mut self) -> u64 {
        self.random_draws += 1;
        self.next = self
            .next
            .wrapping_mul(0x5851_F42D_4C95_7F2D)
            .wrapping_add(1);
        self.next
    }
}

fn eval_full(
    expr: &str,
    input: &Value,
    bindings: &[(&str, &Value)],
    limits: Limits,
) -> Result<Option<Value>, JsonataError> {
    Expression::parse(expr)?.evaluate(input, bindings, &mut TestEnv::new(), limits)
}

fn eval(expr: &str) -> Result<Option<Value>, JsonataError> {
    eval_full(expr, &json!({}), &[], Limits::default())
}

fn ok(expr: &str) -> Value {
    match eval(expr) {
        Ok(Some(v)) => v,
        other => panic!("{expr}: expected a value, got {other:?}"),
    }
}

fn err(expr: &str) -> JsonataError {
    match eval(expr) {
        Err(e) => e,
        other => panic!("{expr}: expected an error, got {other:?}"),
    }
}

#[test]
fn template_expression_needs_the_whole_string() {
    assert_eq!(template_expression("{% $x %}"), Some("$x"));
    assert_eq!(template_expression("{%$x%}"), Some("$x"));
    assert_eq!(template_expression("{%\n  1 + 2\n%}"), Some("1 + 2"));
    assert_eq!(template_expression("{%%}"), Some(""));
    assert_eq!(template_expression(" {% $x %}"), None);
    assert_eq!(template_expression("{% $x %} "), None);
    assert_eq!(template_expression("{% $x"), None);
    assert_eq!(template_expression("$x %}"), None);
    assert_eq!(template_expression("a {% $x %}"), None);
    assert_eq!(template_expression("{%"), None);
}

#[test]
fn evaluates_with_input_and_bindings() {
    let states = json!({"input": {"items": [1, 2, 3]}, "context": {"Execution": {"Id": "x"}}});
    let var = json!("hello");
    let bindings = [("states", &states), ("greeting", &var)];
    let cases = [
        ("$sum($states.input.items)", json!(6)),
        (
            "$greeting & ' ' & $states.context.Execution.Id",
            json!("hello x"),
        ),
        ("a", json!(5)),
        ("$states.input.items[$ > 1]", json!([2, 3])),
        ("{'n': $count($states.input.items)}", json!({"n": 3})),
    ];
    for (expr, want) in cases {
        let got = eval_full(expr, &json!({"a": 5}), &bindings, Limits::default());
        assert_eq!(got, Ok(Some(want)), "{expr}");
    }
    assert_eq!(
        eval_full("$nothing", &json!({}), &bindings, Limits::default()),
        Ok(None)
    );
}

#[test]
fn results_are_json() {
    assert_eq!(ok("1 + 1"), json!(2));
    assert!(ok("1 + 1").is_u64(), "integral numbers are integers");
    assert_eq!(ok("0.1 + 0.2"), json!(0.300_000_000_000_000_04));
    assert_eq!(ok("-0"), json!(0));
    assert_eq!(ok("[1, 'a', true, null]"), json!([1, "a", true, null]));
    assert_eq!(
        ok("{'b': 1, 'a': {'c': []}}"),
        json!({"b": 1, "a": {"c": []}})
    );
    assert_eq!(eval("nothing.here"), Ok(None));
    assert_eq!(eval("[]"), Ok(Some(json!([]))));
}

#[test]
fn results_that_are_not_json_are_their_own_error() {
    for expr in [
        "function($x) { $x }",
        "$sum",
        "{'f': function() { 1 }}",
        "[1, $uppercase]",
        "/ab+c/",
        "1/0",
    ] {
        assert_eq!(err(expr).code, codes::NOT_JSON, "{expr}");
    }
}

#[test]
fn results_deeper_than_serde_can_read_back_are_refused() {
    let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let deepest = ok(&nested(MAX_RESULT_DEPTH));
    let text = serde_json::to_string(&deepest).unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_ok(), "read back");
    assert_eq!(
        err(&nested(MAX_RESULT_DEPTH + 1)).code,
        codes::RESULT_TOO_DEEP
    );
    // Built by a loop rather than written out: still refused, and nothing overflows. (A few
    // thousand levels: enough past the cap, few enough to finish well within the time limit
    // on a busy machine.)
    let e = err("$reduce([1..5000], function($acc, $x) { {'a': $acc} }, {})");
    assert_eq!(e.code, codes::RESULT_TOO_DEEP);
}

#[test]
fn errors_carry_jsonata_codes_and_messages() {
    let e = err("'a' + 1");
    assert_eq!(e.code, "T2001");
    assert_eq!(
        e.message,
        "The left side of the + operator must evaluate to a number"
    );
    assert_eq!(
        e.to_string(),
        "T2001: The left side of the + operator must evaluate to a number"
    );
    assert_eq!(err("$undefinedFn()").code, "T1006");
    assert_eq!(err("$error('boom')").code, "D3137");
    assert_eq!(err("$error('boom')").message, "boom");
    for (expr, code) in [("1 +", "S0207"), ("'abc", "S0101"), ("(1", "S0203")] {
        assert_eq!(Expression::parse(expr).unwrap_err().code, code, "{expr}");
    }
}

#[test]
fn partition() {
    assert_eq!(
        ok("$partition([1,2,3,4,5], 2)"),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(ok("$partition([0], 4)"), json!([[0]]));
    assert_eq!(ok("$partition([0, 1, 2], 3)"), json!([[0, 1, 2]]));
    assert_eq!(ok("$partition([], 3)"), json!([]));
    assert_eq!(ok("$partition('a', 3)"), json!([["a"]]));
    assert_eq!(ok("$partition([[1], [2]], 1)"), json!([[[1]], [[2]]]));
    assert_eq!(eval("$partition(nothing, 3)"), Ok(None));
    assert_eq!(err("$partition([1], 0)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$partition([1], -1)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$partition([1], 1.5)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$partition([1], '2')").code, "T0410");
    assert_eq!(err("$partition([1], 1, 2)").code, "T0410");
}

#[test]
fn range() {
    assert_eq!(ok("$range(0, 10, 2)"), json!([0, 2, 4, 6, 8, 10]));
    assert_eq!(ok("$range(1, 9, 2)"), json!([1, 3, 5, 7, 9]));
    assert_eq!(ok("$range(10, 0, -5)"), json!([10, 5, 0]));
    // One item is the item, as AWS returns it (conformance corpus: test_array_range__in2).
    assert_eq!(ok("$range(1, 9, 9)"), json!(1));
    assert_eq!(eval("$range(5, 0, 1)"), Ok(None));
    assert_eq!(ok("$count($range(1, 1000, 1))"), json!(1000));
    assert_eq!(err("$range(1, 2, 0)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$range(1.5, 2, 1)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$range('1', 2, 1)").code, "T0410");
    assert_eq!(err("$range(1, 2)").code, "T0410");
}

#[test]
fn hash() {
    let cases = [
        ("MD5", "5d41402abc4b2a76b9719d911017c592"),
        ("SHA-1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (
            "SHA-256",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            "SHA-384",
            "59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f",
        ),
        (
            "SHA-512",
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
        ),
    ];
    for (algorithm, digest) in cases {
        assert_eq!(
            ok(&format!("$hash('hello', '{algorithm}')")),
            json!(digest),
            "{algorithm}"
        );
    }
    assert_eq!(err("$hash('hello', 'SHA-3')").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$hash(1, 'MD5')").code, "T0410");
    assert_eq!(eval("$hash(nothing, 'MD5')"), Ok(None));
}

#[test]
fn parse() {
    assert_eq!(
        ok(r#"$parse('{"a": [1, "x", null]}')"#),
        json!({"a": [1, "x", null]})
    );
    // The values AWS returns (conformance corpus, test_parse__in0..in5).
    assert_eq!(ok("$parse('-0')"), json!(0));
    assert_eq!(ok("$parse('1.1')"), json!(1.1));
    assert_eq!(ok(r#"$parse('"HelloWorld"')"#), json!("HelloWorld"));
    assert_eq!(
        ok(r#"$parse('[1, 2, "HelloWorld"]')"#),
        json!([1, 2, "HelloWorld"])
    );
    assert_eq!(ok(r#"$parse('{"a": 1}').a"#), json!(1));
    assert_eq!(err("$parse('{nope')").code, codes::PARSE_INVALID_JSON);
    assert_eq!(err("$parse(1)").code, "T0410");
    assert_eq!(eval("$parse(nothing)"), Ok(None));
}

#[test]
fn eval_is_not_available() {
    let e = err("$eval('1 + 1')");
    assert_eq!(e.code, "T1006");
    assert_eq!(e.message, "Attempted to invoke a non-function");
    // A variable of that name is the user's own.
    assert_eq!(ok("($eval := function($x) { $x * 2 }; $eval(2))"), json!(4));
}

#[test]
fn now_and_millis_read_the_engine_clock() {
    assert_eq!(ok("$millis()"), json!(1_704_164_645_678_i64));
    assert_eq!(ok("$now()"), json!("2024-01-02T03:04:05.678Z"));
    assert_eq!(ok("$now('[Y0001]-[M01]-[D01]')"), json!("2024-01-02"));
    assert_eq!(
        ok("$now('[H01]:[m01]', '+0130')"),
        json!("04:34"),
        "with a timezone"
    );
    assert_eq!(ok("$now() = $now()"), json!(true));
    assert_eq!(ok("($f := $millis; $f())"), json!(1_704_164_645_678_i64));
    assert_eq!(err("$millis(1)").code, "T0410");
}

#[test]
fn random_and_uuid_come_from_the_environment() {
    let run = |expr: &str| {
        let mut env = TestEnv::new();
        let value = Expression::parse(expr)
            .unwrap()
            .evaluate(&json!({}), &[], &mut env, Limits::default())
            .unwrap()
            .unwrap();
        (value, env.random_draws)
    };
    let (a, draws) = run("[$random(), $random(), $uuid(), $uuid()]");
    assert_eq!(draws, 1, "one seed per evaluation");
    assert_eq!(
        run("[$random(), $random(), $uuid(), $uuid()]").0,
        a,
        "deterministic"
    );
    let items = a.as_array().unwrap();
    for r in &items[..2] {
        let r = r.as_f64().unwrap();
        assert!((0.0..1.0).contains(&r), "{r}");
    }
    assert_ne!(items[0], items[1]);
    assert_ne!(items[2], items[3]);
    for u in &items[2..] {
        let id = uuid::Uuid::parse_str(u.as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
    // Without $random or $uuid the environment is not asked for random bits.
    assert_eq!(run("1 + 1").1, 0);
}

#[test]
fn seeded_random_is_fixed_per_seed() {
    let a = ok("$random(42)");
    assert_eq!(ok("$random(42)"), a);
    assert_ne!(ok("$random(43)"), a);
    // java.util.Random(42).nextDouble()
    assert_eq!(a, json!(0.7275636800328681));
    assert_eq!(err("$random('x')").code, "T0410");
    assert_eq!(err("$random(1.5)").code, codes::INVALID_ARGUMENT);
    // Not a function of Step Functions' (recorded on AWS: T1006).
    assert_eq!(err("$randomSeeded(1)").code, "T1006");
}

#[test]
fn variables_lists_free_variables() {
    let vars = |e: &str| Expression::parse(e).unwrap().variables();
    assert_eq!(vars("$states.input.a"), ["states"]);
    assert_eq!(vars("$a + $b.c + $a"), ["a", "b"]);
    assert_eq!(vars("($x := 1; $x + $y)"), ["y"]);
    assert_eq!(vars("function($p) { $p + $q }"), ["q"]);
    assert_eq!(
        vars("$sum($states.input) & $uuid() & $partition([1], 1)"),
        ["states"]
    );
    assert_eq!(vars("$myFunction(1)"), ["myFunction"]);
    assert_eq!(vars("items@$i.($i)"), Vec::<String>::new());
    assert_eq!(vars("items#$n[$n > $limit]"), ["limit"]);
    // A name of a built-in function is taken for it, even where a binding could shadow it.
    assert_eq!(vars("$max + $count"), Vec::<String>::new());
    assert_eq!(vars("$ + $$.a"), Vec::<String>::new());
    assert_eq!(vars("'$notAVariable'"), Vec::<String>::new());
}

#[test]
fn only_mentioned_bindings_are_used() {
    // A binding the expression does not mention is neither converted nor visible.
    let big = json!({"x": (0..1000).collect::<Vec<_>>()});
    let got = eval_full("1", &json!({}), &[("big", &big)], Limits::default());
    assert_eq!(got, Ok(Some(json!(1))));
}

#[test]
fn expressions_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expression>();
    let expr = Expression::parse("$x * 2").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let expr = expr.clone();
            std::thread::spawn(move || {
                let x = json!(i);
                expr.evaluate(
                    &json!({}),
                    &[("x", &x)],
                    &mut TestEnv::new(),
                    Limits::default(),
                )
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), Ok(Some(json!(i * 2))));
    }
    assert_eq!(format!("{expr:?}"), r#"Expression("$x * 2")"#);
    assert_eq!(expr.text(), "$x * 2");
}

/// Runs `f` on a thread with a 2 MiB stack, the size of a Lambda (tokio) worker thread.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_recursion_stops_at_the_depth_limit() {
    let (deep, shallow, at_limit) = on_small_stack(|| {
        let f = "($f := function($n){$n = 0 ? 0 : 1 + $f($n-1)}; $f(N))";
        let run = |n: &str, limits| eval_full(&f.replace('N', n), &json!({}), &[], limits);
        (
            run("100000", Limits::default()),
            run("200", Limits::default()),
            // As deep as the crate goes at all: still no overflow of this small stack.
            run(
                "100000",
                Limits {
                    max_depth: 30_000,
                    time_limit_ms: 10_000,
                    ..Limits::default()
                },
            ),
        )
    });
    assert_eq!(deep.unwrap_err().code, codes::DEPTH_EXCEEDED);
    assert_eq!(shallow, Ok(Some(json!(200))));
    let code = at_limit.unwrap_err().code;
    assert!(code == "U1001" || code == codes::DEPTH_EXCEEDED, "{code}");
}

#[test]
fn tail_calls_do_not_count_against_depth() {
    let e = "($even := function($n) { $n = 0 ? true : $odd($n-1) };
              $odd := function($n) { $n = 0 ? false : $even($n-1) };
              $even(10000))";
    assert_eq!(ok(e), json!(true));
}

#[test]
fn endless_evaluations_stop_at_the_time_limit() {
    let limits = Limits {
        max_depth: 1000,
        time_limit_ms: 200,
        // JSONata's own cap, so the long sequences below run into the time limit instead.
        max_sequence_length: MAX_SEQUENCE_LENGTH,
    };
    for expr in [
        "($f := function() { $f() }; $f())",
        "($f := function($n) { $f($n + 1) }; $f(0))",
        "($loop := function($n) { $n < 0 ? 0 : $loop($n + 1) }; $loop(0))",
        "$reduce([1..10000000], function($a, $x) { $a + $x })",
        "[1..10000000].($ * 2) ~> $sum()",
    ] {
        let e = eval_full(expr, &json!({}), &[], limits).unwrap_err();
        assert_eq!(e.code, codes::TIME_EXCEEDED, "{expr}: {e}");
    }
}

#[test]
fn huge_sequences_are_refused_before_they_are_built() {
    assert_eq!(err("[1..100000000]").code, "D2014");
    assert_eq!(err("$range(0, 100000000, 1)").code, codes::INVALID_ARGUMENT);
    assert_eq!(err("$count([1..10000001])").code, "D2014");
    // Bounds far past the limit once overflowed jsonata-core's size arithmetic (a panic).
    assert_eq!(
        err("[0..1999999999999999999999999999999999999999999999999999999999999999900]").code,
        "D2014"
    );
    assert_eq!(err("[-1e300..0]").code, "D2014");
    assert_eq!(err("[-9e18..9e18]").code, "D2014");
}

#[test]
fn hostile_source_text_is_a_parse_error() {
    let result = on_small_stack(|| {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        Expression::parse(&deep).map(|_| ())
    });
    assert_eq!(result.unwrap_err().code, "U1002");
    let result = on_small_stack(|| {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        Expression::parse(&deep).map(|_| ())
    });
    assert!(result.is_err());
    let result = on_small_stack(|| {
        let long = "1".to_owned() + &" + 1".repeat(100_000);
        Expression::parse(&long).map(|_| ())
    });
    // A long flat sum is fine to parse, or refused: either way no crash.
    let _ = result;
}

#[test]
fn pad_keeps_its_meaning() {
    assert_eq!(ok("$pad('ab', 5)"), json!("ab   "));
    assert_eq!(ok("$pad('ab', -5, '#')"), json!("###ab"));
    // The string comes from the context (a quoted name in a path would be a field name).
    assert_eq!(ok("$string('ab').$pad(4, '*')"), json!("ab**"));
    assert_eq!(ok("'ab' ~> $pad(-3)"), json!(" ab"));
    assert_eq!(ok("$map(['a'], $pad(?, 3, '-'))"), json!("a--"));
    assert_eq!(ok("($f := $pad; $f('a', 3, '.'))"), json!("a.."));
    assert_eq!(ok("($f := $pad; $string('a').$f(-2))"), json!(" a"));
    assert_eq!(eval("$pad(nothing, 3)"), Ok(None));
    // An expression's own $pad is called as it wrote it, its values left alone; its calls
    // still get the built-in's checks (found by the soak: `$toMillis := $toMillis(…)` calls
    // the built-in before the binding).
    assert_eq!(ok("($pad := function($s, $n){$n}; $pad('', 5))"), json!(5));
    assert_eq!(
        ok("$map([1, 2], function($pad){ $pad * 2 })"),
        json!([2, 4])
    );
    assert_eq!(
        err("($pad := function($s, $n){$n}; $pad('', 2147483647))").code,
        codes::INVALID_ARGUMENT
    );
    assert_eq!(
        err("($t := $toMillis := $toMillis('2-12-31', '\u{fffd}[\u{fffd}D]'); $t)").code,
        codes::INVALID_ARGUMENT
    );
}

#[test]
fn pad_refuses_widths_that_would_exhaust_memory() {
    // Found by the jsonata fuzz target: the built-in asked for gigabytes and aborted.
    for expr in [
        "$pad('', 2147483647)",
        "$pad('', -2147483648)",
        "$pad('x', 1e300, 'ab')",
        "$string('x').$pad(2147483647)",
        "($f := $pad; $f('', 2147483647))",
        "$map([2147483647], function($w){ $pad('', $w) })",
    ] {
        let e = err(expr);
        assert_eq!(e.code, codes::INVALID_ARGUMENT, "{expr}: {e}");
    }
    let max = MAX_STRING_LENGTH;
    assert_eq!(ok(&format!("$length($pad('', {max}))")), json!(max));
    assert_eq!(
        err(&format!("$pad('', {})", max + 1)).code,
        codes::INVALID_ARGUMENT
    );
}

#[test]
fn range_at_the_edges_of_the_integers_is_refused_not_overflowed() {
    for expr in [
        "$range(-8999999999999999, 8999999999999999, 1)",
        "$range(8999999999999999, -8999999999999999, -1)",
        "$range(0, 8999999999999999, 8999999999999998)",
    ] {
        match eval(expr) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.code, codes::INVALID_ARGUMENT, "{expr}: {e}"),
        }
    }
    assert_eq!(
        ok("$range(8999999999999998, 8999999999999999, 1)"),
        json!([8_999_999_999_999_998_i64, 8_999_999_999_999_999_i64])
    );
}

#[test]
fn lambda_signatures_outside_ascii_are_refused_before_parsing() {
    // Found by the soak: jsonata-core sliced the signature at a character count as bytes.
    for text in [
        "function($x)<é:n>{ $x }",
        "λ($arg)<`K%\u{fffd}ab:n>{ $not($arg) }(true)",
        "(function ($a) < a<é> : n > { 1 })",
        // And inside a quoted name, which the parser takes into the signature whole.
        "$map([1], λ($p, $i)<`>{ é`:n>{ $i })",
    ] {
        let e = Expression::parse(text).expect_err(text);
        assert_eq!(e.code, "S0402", "{text}: {e}");
    }
    assert_eq!(ok("function($x)<n:n>{ $x + 1 }(2)"), json!(3));
    assert_eq!(ok("(\"é\" & $string(2 < 3))"), json!("étrue"));
}

#[test]
fn parse_integer_refuses_text_it_would_panic_on() {
    // Found by the jsonata fuzz target: jsonata-core panics on both (an underflow converting
    // digits of another family, a string cut inside a character for an ordinal).
    for expr in [
        "$parseInteger('123', '０')",
        "$parseInteger('-１２３', '#０')",
        "$parseInteger('１２３', '０;o')",
        "$parseInteger('1€', '0;o')",
        "$string('1€').$parseInteger('0;o')",
        "($f := $parseInteger; $f('1€', '0;o'))",
        // Found by the soak: letters read as base 26 overflow past thirteen.
        "$parseInteger('FABCDEFGHIJKLMNOPZ', 'A')",
        "$parseInteger('abcdefghijklmn', 'a;o')",
        "$parseInteger('\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}FZPH', 'A')",
        // Found by the soak: a `,` is stripped only if the picture groups with it.
        "$parseInteger('１２３,', 'ړ##０')",
        "$parseInteger('１,２３', '#０')",
        // Found by reading: Roman numerals of a huge number are built at once.
        "$formatInteger(1e13, 'I')",
        "$formatInteger(-1e300, 'i')",
        // Found by the soak (a stack overflow, once the plain build reported them): a number
        // that is not finite, in words.
        "$formatInteger(1008%0 , 'w')",
        "$formatInteger(1/0, 'w')",
        "$formatInteger(-1/0, '0')",
        // Found by the soak: grouping separators with no digit after the first.
        "$formatNumber(0, ',E,E.#e0')",
        "$formatNumber(20, '#E,E,E.0e0')",
        "$formatNumber(20, 'x;,E,E.#e0')",
        "$formatNumber(20, ':E:E.#e0', {'grouping-separator': ':'})",
    ] {
        let e = err(expr);
        assert_eq!(e.code, codes::INVALID_ARGUMENT, "{expr}: {e}");
    }
    assert_eq!(ok("$parseInteger('AA', 'A')"), json!(27));
    assert_eq!(
        ok("$parseInteger('ZZZZZZZZZZZZZ', 'A')"),
        json!(2_580_398_988_131_886_038_f64)
    );
    assert_eq!(ok("$formatInteger(1994, 'I')"), json!("MCMXCIV"));
    assert_eq!(
        ok("$formatNumber(1234567.891, '#,###,##0.00')"),
        json!("1,234,567.89")
    );
    assert_eq!(ok("$formatNumber(1234.5, '#,##0.0e0')"), json!("1.2e3"));
    assert_eq!(ok("$formatNumber(-12, '#,##0;(#,##0)')"), json!("(12)"));
    // The context still fills a missing first argument.
    assert_eq!(ok("(1234).$formatNumber('#,##0')"), json!("1,234"));
    assert_eq!(err("$string(12).$formatNumber('#,##0')").code, "T0411");
    assert_eq!(ok("$formatInteger(1e13, '0')"), json!("10000000000000"));
    assert_eq!(ok("$parseInteger('12,345', '#,##0')"), json!(12_345));
    assert_eq!(ok("$parseInteger('１２,３４０', '#,##０')"), json!(12_340));
    assert_eq!(ok("$parseInteger('١٢٣٤٠', '###١')"), json!(12_340));
    assert_eq!(ok("$parseInteger('twelve', 'w')"), json!(12));
    assert_eq!(ok("$string('21st').$parseInteger('0;o')"), json!(21));
    assert_eq!(ok("($f := $parseInteger; $f('xii', 'i'))"), json!(12));
}

#[test]
fn substring_positions_far_beyond_any_string_answer_as_jsonata_js() {
    // Found by the soak: a start of 3.3e87 overflowed jsonata-core's `i64` sum of the string's
    // length and the start. jsonata-js computes in doubles: past the end is empty, before the
    // start is the whole string.
    assert_eq!(ok("$substring('hello (orld', 3333333333333333333333333333333333333333333333333333333333333333333333333333333333336)"), json!(""));
    assert_eq!(ok("$substring('hello', 1e300, 2)"), json!(""));
    assert_eq!(ok("$substring('hello', -1e300)"), json!("hello"));
    assert_eq!(ok("$substring('hello', -1e300, 2)"), json!("he"));
    assert_eq!(ok("$substring('hello', 1, 1e300)"), json!("ello"));
    assert_eq!(ok("$substring('hello', -2, 1e300)"), json!("lo"));
    assert_eq!(ok("$substring('hello', 1, -1e300)"), json!(""));
    assert_eq!(ok("$substring('hello', 9007199254740993)"), json!(""));
    // Ordinary calls are unchanged, the context still fills the string, and a missing or
    // undefined length is no length.
    assert_eq!(ok("$substring('hello world', 6)"), json!("world"));
    assert_eq!(ok("$substring('hello world', -5, 3)"), json!("wor"));
    assert_eq!(ok("$substring('hello', 1, $nothing)"), json!("ello"));
    assert_eq!(ok("('hello').$substring(1, 2)"), json!("el"));
    assert_eq!(ok("($f := $substring; $f('hello', 1e300))"), json!(""));
    assert_eq!(ok("$substring('hello', 1.7, 2.2)"), json!("el"));
    assert_eq!(err("$substring(5, 1, 2)").code, "T0410");
    // A name without `$` is not the built-in, guarded or not.
    assert_eq!(err("substring(?, 0, ?)").code, "T1007");
    assert_eq!(err("pad(?, 2)").code, "T1007");
}

#[test]
fn date_pictures_that_would_crash_or_exhaust_memory_are_refused() {
    // Found by the jsonata fuzz target: a component outside ASCII is sliced inside a character,
    // and a width modifier is allocated as that many digits.
    for expr in [
        "$toMillis('2024', '[É]')",
        "$fromMillis(0, '[Y0000][M00][D0é]')",
        "$fromMillis(0, '[Y,2000000000]')",
        "$fromMillis(0, '[Y,*-2000000000]')",
        "$now('[H,1000]')",
        "$toMillis('0', '[Y,1000]')",
        "($f := $fromMillis; $f(0, '[Y,1000]'))",
        // Found by the soak: a width with no component before it sliced [1..0].
        "$fromMillis(1521801216617, '#21[,D]/9M1,2]/[Y0001,4]')",
        "$toMillis('1', '[ ,2]')",
        "$now('[,2]')",
        // Found by the soak: fractional seconds presented as a name had no number format.
        "$fromMillis(1521801216617, '[Y]-[/ M01]-[D 01]T[H01 split    ]:[s].[fn\":{\"naZ01:\n 01t]')",
        "$fromMillis(0, '[f N]')",
        "$toMillis('x', '[fNn]')",
        // Found by reading: `\d` in its ISO pattern matched digits outside ASCII.
        "$toMillis('٢٠٢٤')",
        "$toMillis('2024-01-01T00:00:00.٠٠١Z')",
        // Found by the soak: fourteen letters overflow a base-26 number.
        "$toMillis('ABCDEFGHIJKLMNOP', '[YA]')",
        // Found by the soak: the year is kept modulo 10^n, which overflows past 18 digits.
        "$fromMillis(0, '[Y,*-19]')",
        "$fromMillis(0, '[Y,64]')",
        "$fromMillis(0, '[Y0000000000000000000001]')",
        "$toMillis('2024', '[Y,*-99]')",
        // Found by the soak: a day of the year past 10^11 days overflows chrono's TimeDelta.
        "$toMillis('2024-01-01T12:38:49Z') = $toMillis('20240101123849', '[decodms00]')",
        "$toMillis('2024-200000000000', '[Y]-[d]')",
        "$toMillis('2024-zzzzzzzzz', '[Y]-[da]')",
        "$toMillis('2024 one trillion', '[Y] [dw]')",
        "$toMillis('2024 one thousand thousand thousand', '[Y] [dw]')",
    ] {
        let e = err(expr);
        assert_eq!(e.code, codes::INVALID_ARGUMENT, "{expr}: {e}");
    }
    assert_eq!(
        ok("$fromMillis(0, '[Y0001]-[M01]-[D01] [[[H01]]] é', '+0100')"),
        json!("1970-01-01 [01] é")
    );
    assert_eq!(ok("$fromMillis(0, '[Y,4-4]')"), json!("1970"));
    assert_eq!(ok("$fromMillis(0, '[f001]')"), json!("000"));
    assert_eq!(
        ok("$fromMillis(0, '[Y,*-18]')"),
        json!("000000000000001970")
    );
    assert_eq!(ok("$fromMillis(0, '[D,2]/[M,2]')"), json!("01/01"));
    assert_eq!(
        ok("$toMillis('2024', '[Y0001]')"),
        json!(1_704_067_200_000_i64)
    );
    assert_eq!(ok("$fromMillis(0, '[MNn]')"), json!("January"));
    // Days of the year that fit are read as before, also many digits of fixed-width markers.
    assert_eq!(
        ok("$toMillis('2024-032', '[Y]-[d]')"),
        json!(1_706_745_600_000_i64)
    );
    assert_eq!(
        ok("$toMillis('032000002024', '[d001][Y]')"),
        json!(1_706_745_600_000_i64)
    );
    assert_eq!(
        ok("$fromMillis(86400000)"),
        json!("1970-01-02T00:00:00.000Z")
    );
    assert_eq!(
        ok("$toMillis('1970-01-02', '[Y]-[M]-[D]')"),
        json!(86_400_000)
    );
    assert_eq!(ok("$toMillis('1970-01-02')"), json!(86_400_000));
    assert_eq!(
        ok("$string(86400000).$number().$fromMillis('[D]')"),
        json!("2")
    );
    assert_eq!(ok("$now('[Y]')"), json!("2024"));
}

#[test]
fn times_and_timezones_that_would_overflow_are_refused() {
    // Found by the jsonata fuzz target: the time plus the timezone's offset overflowed.
    for expr in [
        "$fromMillis(12307575000757500001, '[Y]', '+0530')",
        "$fromMillis(-9e15)",
        "$fromMillis(0, '[Y]', '+99999999999999999')",
        "$now('[Y]', '-123456789012')",
    ] {
        let e = err(expr);
        assert_eq!(e.code, codes::INVALID_ARGUMENT, "{expr}: {e}");
    }
    // At the edge of JavaScript's dates: beyond chrono's, an error, but no overflow.
    assert!(eval("$fromMillis(8.64e15, '[Y]', '-9999')").is_err());
    assert_eq!(ok("$fromMillis(0, '[H]', '+0530')"), json!("5"));
}
