//! The interpreter's behaviour: wait.

use super::*;

#[test]
fn wait_advances_virtual_time_by_exactly_the_wait() {
    let cases = [
        (json!({"Seconds": 10}), json!({}), T0 + 10_000),
        (json!({"Seconds": 0}), json!({}), T0),
        (json!({"SecondsPath": "$.s"}), json!({"s": 42}), T0 + 42_000),
        (
            json!({"Timestamp": "2024-01-01T00:01:30.5Z"}),
            json!({}),
            T0 + 90_500,
        ),
        (
            json!({"Timestamp": "2024-01-01T02:00:00+01:00"}),
            json!({}),
            T0 + 3_600_000,
        ),
        // A timestamp in the past does not wait.
        (json!({"Timestamp": "2020-01-01T00:00:00Z"}), json!({}), T0),
        (
            json!({"TimestampPath": "$.t"}),
            json!({"t": "2024-01-01T00:00:07Z"}),
            T0 + 7_000,
        ),
    ];
    for (fields, input, entered_after) in cases {
        let mut wait = fields.clone();
        wait["Type"] = json!("Wait");
        wait["Next"] = json!("After");
        let def = json!({"StartAt": "W", "States": {"W": wait,
            "After": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": true}}});
        let mut d = Driver::new(&def);
        d.start(input);
        d.run();
        let expected_text = crate::timestamp::format_millis(entered_after);
        assert_eq!(d.output(), json!({"t": expected_text}), "{fields}");
        assert_eq!(d.now, entered_after, "{fields}");
        let exited = d
            .snap()
            .history
            .iter()
            .find(|e| e.kind == "WaitStateExited")
            .expect("exited");
        assert_eq!(exited.timestamp, entered_after, "{fields}");
        if entered_after > T0 {
            assert_eq!(d.timers.len(), 1, "{fields}");
            assert_eq!(d.timers[0].1, entered_after, "{fields}");
        }
    }
}

#[test]
fn wait_seconds_path_must_be_a_non_negative_integer() {
    for bad in [json!(-1), json!(1.5), json!("5"), json!(null)] {
        let def = single(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
        let d = run_pure(&def, json!({"s": bad}));
        assert_eq!(d.failure().error_name(), names::RUNTIME, "{bad}");
    }
}
