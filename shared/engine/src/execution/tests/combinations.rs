//! The interpreter's behaviour: combinations.

use super::*;

#[test]
fn a_parallel_is_retried_as_a_whole() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2}],
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}});
    let mut d = Driver::new(&def)
        .script("A", [err("Flaky", ""), ok(json!("a2"))])
        .script("B", [after(5_000, ok(json!("b1"))), ok(json!("b2"))]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!(["a2", "b2"]));
    assert_eq!(d.invoked.len(), 4);
    // The retry starts 2 s after the failure; the first B's late result is ignored.
    assert_eq!(d.invoked[2].0, T0 + 2_000);
    assert_eq!(d.invoked[2].1.retry_count, 0, "branch states start afresh");
}

#[test]
fn a_map_exceeding_its_tolerance_can_be_caught() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Done", "ToleratedFailureCount": 0,
              "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}],
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}},
        "Caught": {"Type": "Pass", "Result": "caught", "End": true},
        "Done": {"Type": "Succeed"}}});
    let mut d = Driver::new(&def).script("I", [err("Bad", ""), Reply::Hold]);
    d.start(json!([1, 2]));
    d.run();
    assert_eq!(d.output(), json!("caught"));
}

#[test]
fn nested_fanout_failure_cancels_grandchildren() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemsPath": "$.items",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "Nap"}],
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": LAMBDA, "End": true}}},
            {"StartAt": "Y", "States": {"Y": {"Type": "Wait", "Seconds": 30, "Next": "Z"},
                                        "Z": {"Type": "Task", "Resource": LAMBDA, "End": true}}}]}}}},
        "Nap": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let mut d = Driver::new(&def).script(
        "X",
        [after(10, err("Bad", "b")), after(20_000, ok(json!(2)))],
    );
    d.start(json!({"items": [1, 2]}));
    d.run();
    assert!(matches!(d.snap().status, Status::Succeeded { .. }));
    let names: Vec<&str> = d
        .snap()
        .history
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert!(!names.contains(&"Z"), "{names:?}");
    assert_eq!(d.invoked.len(), 2);
}

#[test]
fn execution_timeout_during_a_map_ends_everything() {
    let def = json!({"TimeoutSeconds": 1, "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": LAMBDA, "End": true}}}}}});
    let mut d = Driver::new(&def).script("I", (0..3).map(|_| after(5_000, ok(json!(1)))));
    d.start(json!([1, 2, 3]));
    let status = d.run().clone();
    assert_eq!(status.name(), "TIMED_OUT");
    assert_eq!(d.kinds().last(), Some(&"ExecutionTimedOut"));
}

#[test]
fn task_result_selector_result_path_and_output_path_compose() {
    let def = task_with(
        json!({"ResultSelector": {"payload.$": "$.Payload", "code.$": "$.StatusCode"},
        "ResultPath": "$.res", "OutputPath": "$.res.payload"}),
    );
    let mut d =
        Driver::new(&def).script("S", [ok(json!({"Payload": {"v": 1}, "StatusCode": 200}))]);
    d.start(json!({"orig": true}));
    d.run();
    assert_eq!(d.output(), json!({"v": 1}));
}

#[test]

fn a_snapshot_of_another_format_version_is_refused() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    d.run();
    let mut value = serde_json::to_value(d.snap()).expect("value");
    value["format"] = json!(FORMAT_VERSION + 1);
    let restored: Result<Snapshot, _> = serde_json::from_value(value);
    assert!(restored.is_err(), "a snapshot of format 2 was accepted");
}

#[test]
fn item_batcher_groups_items_by_count_and_bytes_with_batch_input() {
    let def = |batcher: Value| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ItemBatcher": batcher, "End": true}}})
    };
    let mut d = Driver::new(&def(
        json!({"MaxItemsPerBatch": 2, "BatchInput": {"f.$": "$.f"}}),
    ));
    d.start(json!({"items": [1, 2, 3, 4, 5], "f": "x"}));
    d.run();
    assert_eq!(
        d.output(),
        json!([
            {"BatchInput": {"f": "x"}, "Items": [1, 2]},
            {"BatchInput": {"f": "x"}, "Items": [3, 4]},
            {"BatchInput": {"f": "x"}, "Items": [5]}
        ])
    );
    // Each item below serializes to 6 bytes ("aaaa" plus quotes), so 13 bytes hold two.
    let mut d = Driver::new(&def(json!({"MaxInputBytesPerBatchPath": "$.bytes"})));
    d.start(json!({"items": ["aaaa", "bbbb", "cccc"], "bytes": 14}));
    d.run();
    assert_eq!(
        d.output(),
        json!([{"Items": ["aaaa", "bbbb"]}, {"Items": ["cccc"]}])
    );
}

#[test]
fn item_batcher_needs_distributed_mode() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ItemBatcher": {"MaxItemsPerBatch": 2}, "End": true}}});
    let problems = StateMachine::from_json(&def).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.location == "/States/M/ItemBatcher"),
        "{problems:?}"
    );
}

#[test]
fn result_path_match_failure_reports_the_path_and_input_as_aws_does() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1,
        "ResultPath": "$.a.b", "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({"a": "x"}));
    d.run();
    assert_eq!(
        d.failure(),
        Failure::new(
            "States.ResultPathMatchFailure",
            r#"Unable to apply ReferencePath $.a.b to input "{\"a\":\"x\"}""#
        )
    );
}

#[test]
fn express_executions_have_express_arns_and_no_redrive_count() {
    let machine = StateMachine::from_json(&json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"e.$": "$$.Execution"}, "End": true}}}))
    .unwrap();
    let info = ExecutionInfo::local_express("m", "run-1", "abc", json!({}), 0);
    let (snap, _) = start(&machine, info, Options::default(), 1, 0);
    let Status::Succeeded { output } = &snap.status else {
        panic!("{:?}", snap.status)
    };
    assert_eq!(
        output["e"]["Id"],
        "arn:aws:states:us-east-1:123456789012:express:m:run-1:abc"
    );
    assert!(output["e"].get("RedriveCount").is_none());
    let standard = ExecutionInfo::local("m", "run-1", json!({}), 0);
    let (snap, _) = start(&machine, standard, Options::default(), 1, 0);
    let Status::Succeeded { output } = &snap.status else {
        panic!("{:?}", snap.status)
    };
    assert_eq!(output["e"]["RedriveCount"], 0);
}

#[test]
fn api_gateway_headers_must_map_names_to_lists() {
    let def = |headers: Value| {
        single(
            json!({"Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke",
            "Parameters": {"ApiEndpoint": "e", "Method": "GET", "Headers": headers}, "End": true}),
        )
    };
    let d = run_pure(&def(json!({"h": "single"})), json!({}));
    let f = d.failure();
    assert_eq!(f.error_name(), names::RUNTIME);
    assert!(f
        .cause
        .unwrap_or_default()
        .ends_with("could not be used to start the Task: [The value of the field 'Headers' has an invalid format]"));
    let mut ok = Driver::new(&def(json!({"h": ["a", "b"]})))
        .script("S", [self::ok(json!({"StatusCode": 200}))]);
    ok.start(json!({}));
    ok.run();
    assert_eq!(ok.output(), json!({"StatusCode": 200}));
}

#[test]
fn assign_is_evaluated_from_values_before_the_state_and_applied_as_it_exits() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"q": "why"}, "Assign": {"question.$": "$.q", "answer": 42}, "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$answer", "ResultPath": "$.x", "OutputPath": "$answer",
              "Assign": {"answer": "later", "old.$": "$answer"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"answer.$": "$answer", "old.$": "$old", "q.$": "$question"}, "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"answer": "later", "old": 42, "q": "why"})
    );
}

#[test]
fn map_iterations_read_outer_variables_and_their_own_assignments_end_with_them() {
    let def = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1, "items": [10, 20]}, "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$items",
              "ItemProcessor": {"StartAt": "Inner", "States": {
                  "Inner": {"Type": "Pass", "Assign": {"inner.$": "$"}, "Next": "Read"},
                  "Read": {"Type": "Pass", "Parameters": {"x.$": "$x", "inner.$": "$inner"}, "End": true}}},
              "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"results.$": "$", "x.$": "$x"}, "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!({}));
    d.run();
    assert_eq!(
        d.output(),
        json!({"results": [{"x": 1, "inner": 10}, {"x": 1, "inner": 20}], "x": 1})
    );
    // The iterations' own variable is gone after the Map.
    let def2 = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {
              "I": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}}, "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}}});
    let mut d = Driver::new(&def2);
    d.start(json!([1]));
    d.run();
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn distributed_map_iterations_do_not_see_outer_variables() {
    let def = json!({"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {
              "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
              "StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": true}}},
              "End": true}}});
    let mut d = Driver::new(&def);
    d.start(json!([1]));
    d.run();
    assert_eq!(d.failure().error_name(), names::RUNTIME);
}

#[test]
fn catch_and_choice_rules_assign_variables() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Assign": {"ok": true},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err.$": "$.Error"}, "ResultPath": null, "Next": "C"}],
              "Next": "C"},
        "C": {"Type": "Choice", "Choices": [
                {"Variable": "$err", "IsPresent": true, "Assign": {"route": "caught"}, "Next": "Done"}],
              "Default": "Done", "Assign": {"route": "default"}},
        "Done": {"Type": "Pass", "Parameters": {"err.$": "$err", "route.$": "$route"}, "End": true}}});
    let mut d = Driver::new(&def).script("T", [err("Boom", "bad")]);
    d.start(json!({}));
    d.run();
    assert_eq!(d.output(), json!({"err": "Boom", "route": "caught"}));
}

#[test]
fn hostile_jsonata_expressions_fail_cleanly_within_their_limits() {
    let cases = [
        // Deep non-tail recursion: the depth limit.
        (
            "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
            "D1011",
        ),
        // An endless loop through a recursive function: the time limit.
        ("($f := function($n){ $f($n + 1) + 1 }; $f(0))", ""),
        // A huge sequence: the engine's sequence cap, before anything is allocated.
        ("$count([1..5000000])", "D2015"),
        ("$range(0, 100000000, 1)", "Q1004"),
    ];
    for (expr, code) in cases {
        let def = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
            "S": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}});
        let mut d = Driver::new(&def);
        d.start(json!({}));
        d.run();
        let f = d.failure();
        assert_eq!(f.error_name(), names::QUERY_EVALUATION_ERROR, "{expr}");
        let cause = f.cause.unwrap_or_default();
        assert!(
            cause.contains("threw an error during evaluation"),
            "{expr}: {cause}"
        );
        assert!(cause.contains(code), "{expr}: {cause}");
    }
}

#[test]
fn jsonata_states_see_states_input_result_and_variables() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"factor": "{% $states.input.f %}"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA,
              "Arguments": {"n": "{% $states.input.n * $factor %}"},
              "Output": {"got": "{% $states.result.v %}", "in": "{% $states.input.n %}"},
              "Assign": {"seen": "{% $states.result.v %}"},
              "Next": "Done"},
        "Done": {"Type": "Pass", "Output": {"seen": "{% $seen %}", "out": "{% $states.input %}"}, "End": true}}});
    let mut d = Driver::new(&def).script("T", [ok(json!({"v": 7}))]);
    d.start(json!({"n": 3, "f": 2}));
    d.run();
    assert_eq!(d.invoked[0].1.input, json!({"n": 6}));
    assert_eq!(d.output(), json!({"seen": 7, "out": {"got": 7, "in": 3}}));
}

#[test]
fn wait_seconds_path_errors_name_the_path_and_value() {
    let def = single(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
    let cases = [
        (
            json!({"s": -3}),
            "The SecondsPath parameter references a negative value: $.s == -3",
        ),
        (
            json!({"s": 1.5}),
            "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5",
        ),
        (
            json!({}),
            "The SecondsPath parameter does not reference an input value: $.s",
        ),
    ];
    for (input, message) in cases {
        let d = run_pure(&def, input);
        let cause = d.failure().cause.unwrap_or_default();
        assert!(cause.ends_with(message), "{cause}");
    }
}

#[test]
fn a_heartbeat_restarts_the_heartbeat_timer_of_a_task_waiting_for_its_token() {
    let def = json!({"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "HeartbeatSeconds": 2,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": true}}});
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start_with(
        json!({}),
        Options {
            task_tokens_name_execution: true,
            ..Options::default()
        },
    );
    let request = d.invoked[0].1.clone();
    let token = request.task_token.clone().expect("a token");
    assert_eq!(request.input["MessageBody"]["token"], json!(token));
    assert_eq!(
        super::token::execution_of(&token).as_deref(),
        Some(d.snap().execution.execution_arn.as_str())
    );
    let first_timer = d.timers[0].0;
    d.now = T0 + 1_500;
    d.send(Event::TaskHeartbeat { task: request.task });
    assert!(
        !d.snap().awaits(first_timer),
        "the old heartbeat timer is void"
    );
    assert!(d.snap().awaits(request.task));
    let (new_timer, due) = *d.timers.last().expect("a new timer");
    assert_ne!(new_timer, first_timer);
    assert_eq!(due, T0 + 3_500);
    // The old timer firing at T0 + 2 s changes nothing; the new one times the task out.
    assert_eq!(d.run().name(), "FAILED");
    assert_eq!(d.failure(), Failure::bare(names::TIMEOUT));
    assert_eq!(d.now, T0 + 3_500);
}

#[test]
fn a_heartbeat_for_a_task_without_heartbeat_seconds_or_not_awaited_changes_nothing() {
    let def = task_with(json!({}));
    let mut d = Driver::new(&def).script("S", [Reply::Hold]);
    d.start(json!({}));
    let task = d.invoked[0].1.task;
    let timers = d.timers.len();
    d.send(Event::TaskHeartbeat { task });
    d.send(Event::TaskHeartbeat { task: 999 });
    assert_eq!(d.timers.len(), timers);
    assert!(d.snap().awaits(task));
}

#[test]
fn an_endless_loop_fails_at_the_history_limit() {
    let machine = StateMachine::from_json(&json!({
        "StartAt": "Again",
        "States": {
            "Again": {"Type": "Choice", "Choices": [
                {"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Again"},
            "Done": {"Type": "Succeed"}
        }
    }))
    .unwrap();
    let options = Options {
        max_history_events: Some(1_000),
        ..Options::default()
    };
    let info = ExecutionInfo::local("loop", "e", json!({}), 0);
    let (mut snapshot, mut effects) = start(&machine, info, options, 1, 0);
    // Each step yields after its transition budget; resume until it ends.
    let mut steps = 0;
    while !snapshot.status.is_terminal() && steps < 1_000 {
        assert!(effects.contains(&Effect::Yield));
        effects = step_in_place(&machine, &mut snapshot, Event::Resume, 0);
        steps += 1;
    }
    match &snapshot.status {
        Status::Failed { failure } => {
            assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
            assert_eq!(
                failure.cause.as_deref(),
                Some("The execution reached the maximum number of history events (1000).")
            );
        }
        other => panic!("expected FAILED, got {other:?}"),
    }
    let last = snapshot.history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.id), ("ExecutionFailed", 1_000));
    // It ended in a state, so it knows where a redrive would start (the service then refuses
    // the redrive for the full history, not for an execution that never entered a state).
    let point = snapshot.redrive_from.as_ref().expect("a redrive point");
    assert_eq!(machine.branch(0).state(point.state).name, "Again");
    assert_eq!(point.input, json!({}));
    // A redrive would have no room for its events: refused, the execution left as it ended.
    assert_eq!(
        crate::execution::redrive(&machine, &mut snapshot, 0),
        Err("the execution's history reached its limit".to_owned())
    );
    assert!(matches!(snapshot.status, Status::Failed { .. }));
    assert_eq!((snapshot.redrive_count, snapshot.events()), (0, 1_000));
    assert!(snapshot.redrive_from.is_some());
}
