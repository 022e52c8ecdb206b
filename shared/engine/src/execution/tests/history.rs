//! The interpreter's behaviour: history.

use super::*;

#[test]
fn task_history_events_for_lambda_arns_and_service_integrations() {
    let cases = [
        (
            LAMBDA,
            [
                "LambdaFunctionScheduled",
                "LambdaFunctionStarted",
                "LambdaFunctionSucceeded",
            ],
        ),
        (INVOKE, ["TaskScheduled", "TaskStarted", "TaskSucceeded"]),
    ];
    for (resource, middle) in cases {
        let def = single(json!({"Type": "Task", "Resource": resource, "End": true}));
        let mut d = Driver::new(&def).script("S", [ok(json!({"r": 1}))]);
        d.start(json!({"in": 1}));
        d.run();
        let mut expected = vec!["ExecutionStarted", "TaskStateEntered"];
        expected.extend(middle);
        expected.extend(["TaskStateExited", "ExecutionSucceeded"]);
        assert_eq!(d.kinds(), expected, "{resource}");
        let history = &d.snap().history;
        for (i, e) in history.iter().enumerate() {
            assert_eq!(e.id, i as u64 + 1);
            assert_eq!(e.timestamp, T0);
        }
        assert_eq!(history[1].name.as_deref(), Some("S"));
        assert_eq!(d.invoked[0].1.resource, resource);
        assert_eq!(d.invoked[0].1.input, json!({"in": 1}));
    }
    let def = single(json!({"Type": "Task", "Resource": INVOKE, "End": true}));
    let mut d = Driver::new(&def).script("S", [ok(json!(1))]);
    d.start(json!({}));
    d.run();
    let scheduled = &d.snap().history[2];
    let details = &scheduled.details.as_ref().expect("details")["taskScheduledEventDetails"];
    assert_eq!(details["resourceType"], "lambda");
    assert_eq!(details["resource"], "invoke");
}

#[test]
fn history_is_not_recorded_when_disabled_but_event_ids_still_count() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.nope", "End": true}}});
    let mut d = Driver::new(&def);
    d.start_with(
        json!({}),
        Options {
            record_history: false,
            ..Options::default()
        },
    );
    d.run();
    assert!(d.snap().history.is_empty());
    assert!(d
        .failure()
        .cause
        .unwrap_or_default()
        .contains("(entered at the event id #4)"));
}
