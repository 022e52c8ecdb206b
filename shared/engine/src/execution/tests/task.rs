//! The interpreter's behaviour: task, retry and catch.

use super::*;

/// The virtual times of each invoke, relative to T0, and the retry counts they carried.
fn invoke_times(d: &Driver) -> Vec<(Millis, u32)> {
    d.invoked
        .iter()
        .map(|(t, r)| (t - T0, r.retry_count))
        .collect()
}

#[test]
fn retry_defaults_back_off_1_2_4_seconds() {
    let def = task_with(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}]}));
    let mut d = Driver::new(&def).script("S", (0..4).map(|i| err("E", &i.to_string())));
    d.start(json!({}));
    d.run();
    // Failures at 0, 1, 3 s; retries scheduled 1, 2, 4 s later.
    let at: Vec<Millis> = d.timers.iter().map(|(_, at)| at - T0).collect();
    assert_eq!(at, [1_000, 3_000, 7_000]);
    assert_eq!(
        invoke_times(&d),
        [(0, 0), (1_000, 1), (3_000, 2), (7_000, 3)]
    );
    let f = d.failure();
    assert_eq!(f, Failure::new("E", "3"));
}

#[test]
fn retry_interval_backoff_and_max_delay() {
    let cases: Vec<(Value, usize, Vec<Millis>)> = vec![
        (
            json!({"IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 3}),
            3,
            vec![3_000, 4_500, 6_750],
        ),
        (
            json!({"IntervalSeconds": 2, "BackoffRate": 1.0, "MaxAttempts": 2}),
            2,
            vec![2_000, 2_000],
        ),
        (
            json!({"IntervalSeconds": 4, "BackoffRate": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}),
            4,
            vec![4_000, 10_000, 10_000, 10_000],
        ),
        (json!({"MaxAttempts": 0}), 0, vec![]),
    ];
    for (retrier, retries, delays) in cases {
        let mut r = retrier.clone();
        r["ErrorEquals"] = json!(["Boom"]);
        let def = task_with(json!({"Retry": [r]}));
        let mut d = Driver::new(&def).script("S", (0..=retries).map(|_| err("Boom", "")));
        d.start(json!({}));
        d.run();
        assert_eq!(d.invoked.len(), retries + 1, "{retrier}");
        let gaps: Vec<Millis> = d.invoked.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert_eq!(gaps, delays, "{retrier}");
        assert_eq!(d.failure().error_name(), "Boom");
    }
}

#[test]
fn retry_then_success_and_retry_count_in_context() {
    let def = task_with(json!({
        "Parameters": {"attempt.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 5}]}));
    let mut d =
        Driver::new(&def).script("S", [err("Flaky", ""), err("Flaky", ""), ok(json!("fine"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!("fine"));
    let attempts: Vec<Value> = d.invoked.iter().map(|(_, r)| r.input.clone()).collect();
    assert_eq!(
        attempts,
        [
            json!({"attempt": 0}),
            json!({"attempt": 1}),
            json!({"attempt": 2})
        ]
    );
}

#[test]
fn only_the_first_matching_retrier_counts() {
    // Once the first matching retrier is exhausted, later retriers are not consulted.
    let def = task_with(json!({"Retry": [
        {"ErrorEquals": ["E"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1}]}));
    let mut d = Driver::new(&def).script("S", [err("E", ""), err("E", ""), ok(json!(1))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.invoked.len(), 2);
    assert_eq!(d.failure().error_name(), "E");
}

#[test]
fn full_jitter_stays_within_bounds_and_is_deterministic() {
    let def = task_with(
        json!({"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10,
        "BackoffRate": 2, "MaxAttempts": 6, "JitterStrategy": "FULL", "MaxDelaySeconds": 100}]}),
    );
    let run = || {
        let mut d = Driver::new(&def).script("S", (0..7).map(|_| err("E", "")));
        d.start(json!({}));
        d.run();
        d.invoked
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .collect::<Vec<Millis>>()
    };
    let gaps = run();
    assert_eq!(gaps.len(), 6);
    let bounds = [10_000, 20_000, 40_000, 80_000, 100_000, 100_000];
    for (gap, bound) in gaps.iter().zip(bounds) {
        assert!((0..=bound).contains(gap), "{gaps:?}");
    }
    assert!(
        gaps.iter().zip(bounds).any(|(g, b)| *g != b),
        "jitter had no effect: {gaps:?}"
    );
    assert_eq!(gaps, run(), "jitter must be deterministic for a seed");
}

#[test]
fn catch_with_result_path() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Next": "Done",
              "Catch": [{"ErrorEquals": ["Other"], "Next": "Wrong"},
                        {"ErrorEquals": ["Custom"], "ResultPath": "$.error", "Next": "Handler"}]},
        "Wrong": {"Type": "Fail"},
        "Handler": {"Type": "Pass", "End": true},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [err("Custom", "it broke")]);
    d.start(json!({"keep": 1}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"keep": 1, "error": {"Error": "Custom", "Cause": "it broke"}})
    );
    assert_eq!(d.entered_input("Handler", 0), d.output());
    assert_eq!(d.entered_input("T", 0), json!({"keep": 1}));
    assert_eq!(
        d.kinds(),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn catch_without_result_path_replaces_the_input_with_the_error() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": true}}});
    let mut d = Driver::new(&def).script("T", [err("X", "y")]);
    d.start(json!({"keep": 1}));
    d.run();
    assert_eq!(d.output(), json!({"Error": "X", "Cause": "y"}));
}

#[test]
fn retry_is_tried_before_catch() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": 2}],
              "Catch": [{"ErrorEquals": ["X"], "Next": "H"}]},
        "H": {"Type": "Pass", "Result": "caught", "End": true}}});
    let mut d = Driver::new(&def).script("T", (0..3).map(|_| err("X", "")));
    d.start(json!({}));
    d.run();
    assert_eq!(d.invoked.len(), 3);
    assert_eq!(d.output(), json!("caught"));
}

#[test]
fn states_all_does_not_catch_states_runtime() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Parameters": {"x.$": "$.missing"},
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert!(d.invoked.is_empty());
    assert!(d.timers.is_empty(), "States.Runtime must not be retried");
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert!(f.cause.unwrap_or_default().contains(
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{}'"
    ));
}

#[test]
fn states_task_failed_does_not_match_states_timeout() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true, "TimeoutSeconds": 2,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}]},
        "H": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [after(5_000, ok(json!(1)))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    // ... but does match an ordinary task error.
    let mut d = Driver::new(&def).script("T", [err("Lambda.Unknown", "")]);
    d.start(json!({}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
}

#[test]
fn task_timeout_fires_before_the_result_and_the_late_result_is_ignored() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Next": "Done", "TimeoutSeconds": 3,
              "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e", "Next": "Nap"}]},
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("T", [after(10_000, ok(json!("late")))]);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"e": {"Error": "States.Timeout", "Cause": null}})
    );
    assert_eq!(d.invoked[0].1.timeout_seconds, Some(3));
    let kinds = d.kinds();
    assert!(kinds.contains(&"LambdaFunctionTimedOut"), "{kinds:?}");
    assert!(!kinds.contains(&"LambdaFunctionSucceeded"), "{kinds:?}");
    let timed_out = d
        .snap()
        .history
        .iter()
        .find(|e| e.kind == "LambdaFunctionTimedOut")
        .expect("timed out");
    assert_eq!(timed_out.timestamp, T0 + 3_000);
    // The late result arrived while Nap waited and changed nothing.
    assert_eq!(d.now, T0 + 63_000);
}

#[test]
fn a_result_for_an_unknown_or_finished_task_is_ignored() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    let before = d.snap().history.len();
    d.send(Event::TaskSucceeded {
        task: 999,
        output: json!(1),
    });
    d.send(Event::TimerFired { timer: 998 });
    assert_eq!(d.snap().history.len(), before);
    assert_eq!(d.snap().status, Status::Running);
    let task = d.invoked[0].1.task;
    d.send(Event::TaskSucceeded {
        task,
        output: json!("first"),
    });
    d.send(Event::TaskSucceeded {
        task,
        output: json!("second"),
    });
    assert_eq!(d.output(), json!("first"));
}

#[test]
fn execution_timeout_times_out() {
    let def = json!({"TimeoutSeconds": 5, "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}});
    let mut d = Driver::new(&def).script("T", [after(60_000, ok(json!(1)))]);
    d.start(json!({}));
    let status = d.run().clone();
    assert_eq!(status.name(), "TIMED_OUT");
    assert_eq!(d.now, T0 + 5_000);
    assert_eq!(d.kinds().last(), Some(&"ExecutionTimedOut"));
    assert_eq!(d.snap().stop_time(), Some(T0 + 5_000));
    // Nothing more happens.
    d.send(Event::TaskSucceeded {
        task: d.invoked[0].1.task,
        output: json!(1),
    });
    assert_eq!(d.snap().status.name(), "TIMED_OUT");
}

#[test]
fn a_deployment_cap_on_execution_time_applies_with_or_without_timeout_seconds() {
    // The earlier of the definition's TimeoutSeconds and the deployment's cap wins.
    for (definition_timeout, cap, ends_at) in
        [(None, 7, 7_000), (Some(5), 7, 5_000), (Some(9), 7, 7_000)]
    {
        let mut def = json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}});
        if let Some(t) = definition_timeout {
            def["TimeoutSeconds"] = json!(t);
        }
        let mut d = Driver::new(&def).script("T", [after(60_000, ok(json!(1)))]);
        d.start_with(
            json!({}),
            Options {
                max_execution_seconds: Some(cap),
                ..Options::default()
            },
        );
        let status = d.run().clone();
        let Status::TimedOut { failure } = &status else {
            panic!("{definition_timeout:?}/{cap}: {status:?}");
        };
        assert_eq!(failure.error_name(), names::TIMEOUT);
        assert_eq!(d.now, T0 + ends_at, "{definition_timeout:?}/{cap}");
    }
}

#[test]
fn task_timeout_seconds_path_and_heartbeat() {
    let def = task_with(json!({"TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 2}));
    let mut d = Driver::new(&def).script("S", [after(10_000, ok(json!(1)))]);
    d.start(json!({"t": 9}));
    d.run();
    assert_eq!(d.invoked[0].1.timeout_seconds, Some(9));
    assert_eq!(d.invoked[0].1.heartbeat_seconds, Some(2));
    // AWS reports an expired heartbeat as States.Timeout (recorded against AWS).
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    assert_eq!(d.now, T0 + 2_000);
}
