//! The interpreter's behaviour: payload limit, Stop, yields.

use super::*;

/// The default options with a payload limit of `bytes`.
fn limited(bytes: usize) -> Options {
    Options {
        payload_limit_bytes: bytes,
        ..Options::default()
    }
}

#[test]
fn a_task_result_over_256_kib_fails_with_data_limit_exceeded_uncatchably() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let big = "x".repeat(256 * 1024);
    let mut d = Driver::new(&def).script("T", [ok(json!(big))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    assert_eq!(d.invoked.len(), 1);
    // Just under the limit is fine: 256 KiB including the quotes.
    let fits = "x".repeat(256 * 1024 - 2);
    let mut d = Driver::new(&def).script("T", [ok(json!(fits))]);
    d.start(json!({}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn an_output_over_the_limit_is_retried_and_caught_by_name_with_the_state_input() {
    // The result fits; merged into the input at `$.r` it does not. A retrier or catcher that
    // names States.DataLimitExceeded sees the state's input, not what its result made of it.
    let options = limited(400);
    let input = json!({"a": "x".repeat(150)});
    let big = json!("y".repeat(250));
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.r", "End": true,
              "Retry": [{"ErrorEquals": ["States.DataLimitExceeded"], "IntervalSeconds": 1,
                         "MaxAttempts": 1}]}}});
    let mut d = Driver::new(&def).script("T", [ok(big.clone()), ok(json!(1))]);
    d.start_with(input.clone(), options);
    d.run();
    assert_eq!(d.invoked.len(), 2);
    assert_eq!(d.invoked[1].1.input, input);
    assert_eq!(d.output(), json!({"a": "x".repeat(150), "r": 1}));

    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.r", "End": true,
              "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.e",
                         "Next": "H"}]},
        "H": {"Type": "Pass", "OutputPath": "$.a", "End": true}}});
    let mut d = Driver::new(&def).script("T", [ok(big)]);
    d.start_with(input, options);
    d.run();
    assert_eq!(d.output(), json!("x".repeat(150)));
}

#[test]
fn results_merged_into_a_measured_input_are_measured_with_it() {
    // 100 control characters: a short value (the payload walk's estimate: 109 bytes, within a
    // sixth of the 700-byte limit) whose text is 608 bytes. Twenty more merged in at `$.r`
    // make 735: over the limit, though input and result were each measured small.
    let options = limited(700);
    let input = json!({"s": "\u{1}".repeat(100)});
    let def = single(
        json!({"Type": "Pass", "Result": "\u{1}".repeat(20), "ResultPath": "$.r",
                            "End": true}),
    );
    let mut d = Driver::new(&def);
    d.start_with(input.clone(), options);
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    // Small merges, one after another, each bounded by the one before: the output is whole.
    let states: serde_json::Map<String, Value> = (0..10)
        .map(|i| {
            let next = if i == 9 {
                json!({"End": true})
            } else {
                json!({"Next": format!("S{}", i + 1)})
            };
            let mut state =
                json!({"Type": "Pass", "Result": "x".repeat(30), "ResultPath": format!("$.r{i}")});
            state
                .as_object_mut()
                .unwrap()
                .extend(next.as_object().unwrap().clone());
            (format!("S{i}"), state)
        })
        .collect();
    let def = json!({"StartAt": "S0", "States": states});
    let mut d = Driver::new(&def);
    d.start_with(json!({"a": 1}), options);
    d.run();
    let output = d.output();
    assert_eq!(output["a"], 1);
    assert_eq!(output["r9"], json!("x".repeat(30)));
    // And past the limit in the same way, the state that crosses it fails.
    let mut d = Driver::new(&def);
    d.start_with(json!({"a": "y".repeat(380)}), options);
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    assert!(
        d.failure().cause.unwrap_or_default().contains("'S"),
        "names the state"
    );
}

#[test]
fn an_oversized_execution_input_fails_at_once() {
    let def = single(json!({"Type": "Pass", "End": true}));
    let mut d = Driver::new(&def);
    d.start_with(json!({"big": "y".repeat(100)}), limited(50));
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
}

#[test]
fn data_is_measured_as_it_serializes_escapes_and_numbers_included() {
    // 300 control characters are 1,800 bytes of JSON (`\u0001` each), and 100 doubles with
    // seventeen digits some 2,300: both over a 1,000-byte limit, though their values are short.
    let def = single(json!({"Type": "Pass", "End": true}));
    let options = limited(1000);
    for input in [
        json!({"s": "\u{1}".repeat(300)}),
        json!({"n": vec![0.123_456_789_012_345_67_f64; 100]}),
    ] {
        assert!(serde_json::to_string(&input).unwrap().len() > 1000);
        let mut d = Driver::new(&def);
        d.start_with(input, options);
        assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    }
    // Under the limit, the same kinds of data pass.
    let mut d = Driver::new(&def);
    d.start_with(
        json!({"s": "\u{1}".repeat(100), "n": vec![0.123_456_789_012_345_67_f64; 10]}),
        options,
    );
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn an_oversized_state_output_fails_with_data_limit_exceeded() {
    // AWS limits every state's input and output; the Map's output here is over the limit even
    // though the execution's final output is small.
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Small",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Result": "0123456789", "End": true}}}},
        "Small": {"Type": "Pass", "OutputPath": "$[0]", "End": true}}});
    let mut d = Driver::new(&def);
    d.start_with(json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), limited(100));
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
}

#[test]
fn an_output_made_by_a_catch_is_measured_as_the_catching_states() {
    // The execution's input is measured once and then passed on by states that do not change
    // it without being measured again; a Catch's output (input and error together) is new data,
    // measured as the catching state's output: over the limit, that state fails, as Step
    // Functions fails the state whose output is too large.
    let def = json!({"StartAt": "Keep", "States": {
        "Keep": {"Type": "Pass", "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}});
    let options = limited(200);
    let mut d = Driver::new(&def).script("T", [err("Big", &"c".repeat(150))]);
    d.start_with(json!({"data": "d".repeat(100)}), options);
    d.run();
    assert_eq!(d.failure().error_name(), names::DATA_LIMIT_EXCEEDED);
    assert_eq!(
        d.failure().cause.as_deref(),
        Some("The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit.")
    );
    // The same with a small error: it fits, and the unchanged passes keep it.
    let mut d = Driver::new(&def).script("T", [err("Small", "c")]);
    d.start_with(json!({"data": "d".repeat(100)}), options);
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn stop_aborts() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.snap().status, Status::Running);
    d.now += 1234;
    d.send(Event::Stop {
        failure: Failure::new("User", "stopped"),
    });
    assert_eq!(
        d.snap().status,
        Status::Aborted {
            failure: Failure::new("User", "stopped")
        }
    );
    assert_eq!(d.kinds().last(), Some(&"ExecutionAborted"));
    assert_eq!(d.snap().stop_time(), Some(T0 + 1234));
    assert!(matches!(d.finished, Some(Status::Aborted { .. })));
    // Events after the end do nothing.
    let task = d.invoked[0].1.task;
    let before = d.snap().history.len();
    d.send(Event::TaskSucceeded {
        task,
        output: json!(1),
    });
    assert_eq!(d.snap().history.len(), before);
    assert_eq!(d.snap().status.name(), "ABORTED");
}

fn counting_loop(limit: u64) -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThanEquals": limit, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}})
}

#[test]
fn a_short_loop_within_the_transition_budget_does_not_yield() {
    let mut d = Driver::new(&counting_loop(100));
    d.start(json!({"n": 0}));
    d.run();
    assert_eq!(d.output(), json!({"n": 100}));
    assert_eq!(d.yields, 0);
    assert_eq!(d.snap().transitions, 202);
}

#[test]

fn a_loop_of_100_000_transitions_yields_and_finishes_after_resumes() {
    let mut d = Driver::new(&counting_loop(50_000));
    d.start_with(
        json!({"n": 0}),
        Options {
            record_history: false,
            ..Options::default()
        },
    );
    d.run();
    assert_eq!(d.output(), json!({"n": 50_000}));
    assert_eq!(d.snap().transitions, 100_002);
    assert!(d.yields >= 10, "yields: {}", d.yields);
}

#[test]

fn a_yield_is_resumed() {
    let mut d = Driver::new(&counting_loop(10));
    d.start_with(
        json!({"n": 0}),
        Options {
            max_transitions_per_step: 3,
            ..Options::default()
        },
    );
    assert_eq!(d.yields, 1);
    d.run();
    assert_eq!(d.output(), json!({"n": 10}));
}

#[test]
fn step_never_exceeds_the_transition_budget() {
    let mut d = Driver::new(&counting_loop(50));
    d.start_with(
        json!({"n": 0}),
        Options {
            max_transitions_per_step: 3,
            ..Options::default()
        },
    );
    assert_eq!(d.snap().transitions, 3);
    assert_eq!(d.yields, 1);
}

#[test]
fn versions_count_step_calls() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [ok(json!(1))]);
    d.start(json!({}));
    assert_eq!(d.snap().version, 1);
    d.run();
    assert_eq!(d.snap().version, 2);
    assert_eq!(d.steps, 2);
}
