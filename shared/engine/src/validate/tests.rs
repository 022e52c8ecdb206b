use serde_json::json;

use super::*;

fn problems(def: &Value) -> Vec<Problem> {
    check(def).err().unwrap_or_default()
}

#[test]
fn accepts_a_simple_machine() {
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}});
    let machine = check(&def).unwrap();
    assert_eq!(machine.top().states.len(), 2);
}

#[test]
fn reports_every_problem_with_its_location() {
    let def = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1},
            "B": {"Type": "Wait"},
            "C": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": true},
            "D": {"Type": "Pass", "End": true, "Parameters": {"x.$": "not a path"}}
        }
    });
    let found: Vec<(String, String)> = problems(&def)
        .into_iter()
        .map(|p| (p.code.to_owned(), p.location))
        .collect();
    for expected in [
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ("SCHEMA_VALIDATION_FAILED", "/States/A/Bogus"),
        ("SCHEMA_VALIDATION_FAILED", "/States/B"),
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Resource"),
        ("SCHEMA_VALIDATION_FAILED", "/States/D/Parameters"),
    ] {
        assert!(
            found
                .iter()
                .any(|(c, l)| c == expected.0 && l == expected.1),
            "missing {expected:?} in {found:?}"
        );
    }
}

#[test]
fn required_top_level_fields() {
    let p = problems(&json!({}));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].message, "These fields are required: [States, StartAt]");
    assert_eq!(p[0].location, "/");
}

#[test]
fn unreachable_and_no_terminal() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "A"},
        "B": {"Type": "Succeed"}
    }});
    let codes: Vec<&str> = problems(&def).iter().map(|p| p.code).collect();
    assert!(codes.contains(&"UNREACHABLE_STATE"), "{codes:?}");
    assert!(codes.contains(&"NO_TERMINAL_STATE"), "{codes:?}");
}

#[test]
fn nested_branches_are_checked() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}
    ]}}});
    let p = problems(&def);
    assert!(
        p.iter()
            .any(|p| p.location == "/States/P/Branches/0/States/X/Next"),
        "{p:?}"
    );
}

#[test]
fn wait_timestamp_must_be_rfc3339() {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": "2016-12-05T21:29:29", "End": true}}});
    let p = problems(&def);
    assert_eq!(p[0].message, "String does not match RFC3339 timestamp");
    assert_eq!(p[0].location, "/States/W/Timestamp");
}
