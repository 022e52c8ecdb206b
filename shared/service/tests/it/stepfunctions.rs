//! The Step Functions API (AWS JSON 1.0) over the in-memory adapters: request and answer
//! shapes, and Step Functions' error names.
use crate::sfn;

use sfn::{drain, ok, refused, service_with, TestService, T0};

use quickstep_runtime::mock::MockInvoker;
use quickstep_service::api::Request;
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:hello";

fn service() -> TestService {
    service_with(MockInvoker::none())
}

/// Greets, and waits `$.pause` seconds (on the service's virtual clock: no time).
fn definition() -> String {
    json!({
        "StartAt": "Greet",
        "States": {
            "Greet": {
                "Type": "Pass",
                "Parameters": {"greeting.$": "States.Format('hello {}', $.who)", "pause.$": "$.pause"},
                "Next": "Wait"
            },
            "Wait": {"Type": "Wait", "SecondsPath": "$.pause", "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"greeting.$": "$.greeting"}, "End": true}
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_state_machine_and_its_executions_through_the_step_functions_api() {
    let service = service();
    let created = ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition(), "roleArn": "arn:aws:iam::123456789012:role/r", "type": "EXPRESS"}),
    )
    .await;
    assert_eq!(created["stateMachineArn"], MACHINE);
    assert_eq!(created["creationDate"], json!(1_700_000_000.0));
    // Again with the same definition and type: the same machine; with another: refused.
    let again = ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition(), "type": "EXPRESS"}),
    )
    .await;
    assert_eq!(again, created);
    assert_eq!(
        refused(
            &service,
            "CreateStateMachine",
            json!({"name": "hello", "definition": definition()})
        )
        .await,
        "StateMachineAlreadyExists",
        "no type is STANDARD, another type"
    );
    let other = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    assert_eq!(
        refused(
            &service,
            "CreateStateMachine",
            json!({"name": "hello", "definition": other})
        )
        .await,
        "StateMachineAlreadyExists"
    );
    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(described["name"], "hello");
    assert_eq!(described["status"], "ACTIVE");
    assert_eq!(described["type"], "EXPRESS");
    assert_eq!(
        serde_json::from_str::<Value>(described["definition"].as_str().unwrap()).unwrap(),
        serde_json::from_str::<Value>(&definition()).unwrap()
    );

    // A synchronous execution answers with its result.
    let sync = ok(
        &service,
        "StartSyncExecution",
        json!({"stateMachineArn": MACHINE, "name": "s1", "input": "{\"who\": \"sync\", \"pause\": 0}"}),
    )
    .await;
    assert_eq!(sync["status"], "SUCCEEDED", "{sync}");
    assert_eq!(
        serde_json::from_str::<Value>(sync["output"].as_str().unwrap()).unwrap(),
        json!({"greeting": "hello sync"})
    );

    // An asynchronous one runs on the worker; its history pages.
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "a1", "input": "{\"who\": \"async\", \"pause\": 60}"}),
    )
    .await;
    let arn = started["executionArn"].as_str().unwrap().to_owned();
    assert!(arn.contains(":hello:a1"), "{arn}");
    let running = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(running["status"], "RUNNING");
    // The same name and input while it runs: the same execution; other input: refused.
    let same = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "a1", "input": "{\"who\": \"async\", \"pause\": 60}"}),
    )
    .await;
    assert_eq!(same["executionArn"], json!(arn));
    assert_eq!(
        refused(
            &service,
            "StartExecution",
            json!({"stateMachineArn": MACHINE, "name": "a1", "input": "{}"})
        )
        .await,
        "ExecutionAlreadyExists"
    );
    drain(&service).await;
    let done = ok(&service, "DescribeExecution", json!({"executionArn": arn})).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["stopDate"], json!(1_700_000_060.0));
    assert_eq!(done["redriveStatus"], "NOT_REDRIVABLE");

    let all = ok(
        &service,
        "GetExecutionHistory",
        json!({"executionArn": arn}),
    )
    .await;
    let events = all["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert!(events[0]["executionStartedEventDetails"]["input"].is_string());
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
    assert!(all.get("nextToken").is_none());
    let entered = events
        .iter()
        .find(|e| e["type"] == "PassStateEntered")
        .unwrap();
    assert_eq!(entered["stateEnteredEventDetails"]["name"], "Greet");
    // Newest first, two a page, without data.
    let mut seen = Vec::new();
    let mut token = Value::Null;
    loop {
        let page = ok(
            &service,
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 2, "reverseOrder": true,
                   "includeExecutionData": false, "nextToken": token}),
        )
        .await;
        for event in page["events"].as_array().unwrap() {
            assert!(event
                .get("stateEnteredEventDetails")
                .is_none_or(|d| d.get("input").is_none()));
            seen.push(event["id"].as_u64().unwrap());
        }
        token = page.get("nextToken").cloned().unwrap_or(Value::Null);
        if token.is_null() {
            break;
        }
    }
    let mut ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    ids.reverse();
    assert_eq!(seen, ids);

    // Stopping an execution that ended changes nothing.
    let stopped = ok(&service, "StopExecution", json!({"executionArn": arn})).await;
    assert_eq!(stopped["stopDate"], json!(1_700_000_060.0));

    // UpdateStateMachine stores a new revision.
    let updated = ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": other}),
    )
    .await;
    assert_eq!(updated["revisionId"], "2");
}

#[tokio::test]
async fn errors_carry_step_functions_names() {
    let service = service();
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let execution = "arn:aws:states:us-east-1:123456789012:express:nope:run:1";
    for (operation, body, name) in [
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": missing}),
            "StateMachineDoesNotExist",
        ),
        (
            "StartExecution",
            json!({"stateMachineArn": missing}),
            "StateMachineDoesNotExist",
        ),
        (
            "StartSyncExecution",
            json!({"stateMachineArn": missing}),
            "StateMachineDoesNotExist",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": "nope"}),
            "InvalidArn",
        ),
        (
            "DescribeExecution",
            json!({"executionArn": execution}),
            "ExecutionDoesNotExist",
        ),
        (
            "DescribeExecution",
            json!({"executionArn": MACHINE}),
            "InvalidArn",
        ),
        (
            "GetExecutionHistory",
            json!({"executionArn": execution}),
            "ExecutionDoesNotExist",
        ),
        (
            "StopExecution",
            json!({"executionArn": execution}),
            "ExecutionDoesNotExist",
        ),
        ("DescribeExecution", json!({}), "ValidationException"),
        (
            "DescribeExecution",
            json!({"executionArn": 7}),
            "SerializationException",
        ),
        (
            "CreateStateMachine",
            json!({"name": "m", "definition": "{not json"}),
            "InvalidDefinition",
        ),
        (
            "CreateStateMachine",
            json!({"name": "m", "definition": "{\"StartAt\": \"X\", \"States\": {}}"}),
            "InvalidDefinition",
        ),
        (
            "CreateStateMachine",
            json!({"name": "bad name", "definition": definition()}),
            "InvalidName",
        ),
        (
            "CreateStateMachine",
            json!({"name": "m", "definition": definition(), "type": "FAST"}),
            "ValidationException",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": "not-a-token", "output": "{}"}),
            "InvalidToken",
        ),
        (
            "CreateActivity",
            json!({"name": "worker"}),
            "UnknownOperationException",
        ),
    ] {
        assert_eq!(
            refused(&service, operation, body.clone()).await,
            name,
            "{operation} {body}"
        );
    }
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition()}),
    )
    .await;
    for (body, name) in [
        (
            json!({"stateMachineArn": MACHINE, "input": "{oops"}),
            "InvalidExecutionInput",
        ),
        (
            json!({"stateMachineArn": MACHINE, "name": "a/b"}),
            "InvalidName",
        ),
    ] {
        assert_eq!(refused(&service, "StartExecution", body).await, name);
    }
    // A body that is not JSON, and a target that is not Step Functions'.
    let request = Request {
        method: "POST".into(),
        path: "/".into(),
        body: b"{oops".to_vec(),
        target: Some("AWSStepFunctions.DescribeExecution".into()),
        ..Request::default()
    };
    let response = service.handle(&request).await;
    assert_eq!(
        (response.status, response.body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let request = Request {
        target: Some("DynamoDB_20120810.GetItem".into()),
        ..request
    };
    let response = service.handle(&request).await;
    assert_eq!(response.body["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn validate_state_machine_definition_lists_the_problems() {
    let service = service();
    let valid = ok(
        &service,
        "ValidateStateMachineDefinition",
        json!({"definition": definition()}),
    )
    .await;
    assert_eq!(
        valid,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let broken =
        json!({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "Next": "B"}}}).to_string();
    let answer = ok(
        &service,
        "ValidateStateMachineDefinition",
        json!({"definition": broken}),
    )
    .await;
    assert_eq!(answer["result"], "FAIL");
    let diagnostics = answer["diagnostics"].as_array().unwrap();
    assert!(diagnostics.len() >= 2, "{answer}");
    for d in diagnostics {
        assert_eq!(d["severity"], "ERROR");
        assert!(d["code"].is_string() && d["message"].is_string() && d["location"].is_string());
    }
    let one = ok(
        &service,
        "ValidateStateMachineDefinition",
        json!({"definition": broken, "maxResults": 1}),
    )
    .await;
    assert_eq!(one["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);
}

/// Every page of a list operation, following `nextToken`.
async fn all_pages(
    service: &TestService,
    operation: &str,
    mut body: Value,
    field: &str,
) -> Vec<Value> {
    let mut items = Vec::new();
    loop {
        let page = ok(service, operation, body.clone()).await;
        let listed = page[field].as_array().unwrap();
        assert!(listed.len() <= body["maxResults"].as_u64().unwrap_or(100) as usize);
        items.extend(listed.iter().cloned());
        match page.get("nextToken") {
            Some(token) => body["nextToken"] = token.clone(),
            None => return items,
        }
    }
}

#[tokio::test]
async fn a_standard_state_machine_runs_asynchronously_only() {
    let service = service();
    // No type is STANDARD, as on AWS.
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition()}),
    )
    .await;
    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(described["type"], "STANDARD");
    let input = json!({"who": "standard", "pause": 0}).to_string();
    assert_eq!(
        refused(
            &service,
            "StartSyncExecution",
            json!({"stateMachineArn": MACHINE, "input": input})
        )
        .await,
        "StateMachineTypeNotSupported"
    );
    let started = ok(
        &service,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "input": input}),
    )
    .await;
    drain(&service).await;
    let ended = ok(
        &service,
        "DescribeExecution",
        json!({"executionArn": started["executionArn"]}),
    )
    .await;
    assert_eq!(ended["status"], "SUCCEEDED", "{ended}");
    // An update keeps the type.
    let other = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": other}),
    )
    .await;
    let listed = ok(&service, "ListStateMachines", json!({})).await;
    assert_eq!(listed["stateMachines"][0]["type"], "STANDARD");
}

#[tokio::test]
async fn state_machines_and_executions_are_listed_paged_and_deleted() {
    let service = service();
    for name in ["charlie", "alpha", "bravo"] {
        ok(
            &service,
            "CreateStateMachine",
            json!({"name": name, "definition": definition(), "roleArn": "arn:aws:iam::123456789012:role/r"}),
        )
        .await;
    }
    let machines = all_pages(
        &service,
        "ListStateMachines",
        json!({"maxResults": 2}),
        "stateMachines",
    )
    .await;
    let names: Vec<&str> = machines
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "bravo", "charlie"]);
    assert_eq!(
        machines[0]["stateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:alpha"
    );
    assert_eq!(machines[0]["creationDate"], json!(T0 as f64 / 1000.0));

    // Five executions, one second apart; the last two still wait.
    let alpha = "arn:aws:states:us-east-1:123456789012:stateMachine:alpha";
    let mut started = Vec::new();
    for i in 0..5 {
        let pause = if i < 3 { 0 } else { 60 };
        let input = json!({"who": i, "pause": pause}).to_string();
        let answer = ok(
            &service,
            "StartExecution",
            json!({"stateMachineArn": alpha, "name": format!("run-{i}"), "input": input}),
        )
        .await;
        started.push(answer["executionArn"].as_str().unwrap().to_owned());
        if i < 3 {
            drain(&service).await;
        }
        service.clock.advance_to(service.clock.now() + 1000);
    }
    let listed = all_pages(
        &service,
        "ListExecutions",
        json!({"stateMachineArn": alpha, "maxResults": 2}),
        "executions",
    )
    .await;
    let arns: Vec<&str> = listed
        .iter()
        .map(|e| e["executionArn"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = started.iter().rev().map(String::as_str).collect();
    assert_eq!(arns, newest_first, "newest first, every page");
    assert_eq!(listed[0]["name"], "run-4");
    assert_eq!(listed[0]["status"], "RUNNING");
    assert!(listed[0].get("stopDate").is_none());
    assert_eq!(listed[4]["status"], "SUCCEEDED");
    assert!(listed[4]["stopDate"].as_f64().unwrap() >= listed[4]["startDate"].as_f64().unwrap());
    assert_eq!(listed[4]["stateMachineArn"], alpha);

    let running = all_pages(
        &service,
        "ListExecutions",
        json!({"stateMachineArn": alpha, "statusFilter": "RUNNING", "maxResults": 1}),
        "executions",
    )
    .await;
    assert_eq!(running.len(), 2);
    assert!(running.iter().all(|e| e["status"] == "RUNNING"));
    let bravo = "arn:aws:states:us-east-1:123456789012:stateMachine:bravo";
    let none = ok(
        &service,
        "ListExecutions",
        json!({"stateMachineArn": bravo}),
    )
    .await;
    assert_eq!(none, json!({"executions": []}));

    // The state machine an execution ran, even after an update.
    let updated = json!({"StartAt": "Only", "States": {"Only": {"Type": "Succeed"}}}).to_string();
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": alpha, "definition": updated}),
    )
    .await;
    let ran = ok(
        &service,
        "DescribeStateMachineForExecution",
        json!({"executionArn": started[0]}),
    )
    .await;
    assert_eq!(ran["definition"], definition_text());
    assert_eq!(ran["revisionId"], "1");
    assert_eq!(ran["stateMachineArn"], alpha);
    assert_eq!(ran["name"], "alpha");

    // Deleted: no longer listed or described, its executions still describable, and deleting
    // it again (or one that never was) succeeds, as on AWS.
    ok(
        &service,
        "DeleteStateMachine",
        json!({"stateMachineArn": alpha}),
    )
    .await;
    ok(
        &service,
        "DeleteStateMachine",
        json!({"stateMachineArn": alpha}),
    )
    .await;
    let never = "arn:aws:states:us-east-1:123456789012:stateMachine:never";
    ok(
        &service,
        "DeleteStateMachine",
        json!({"stateMachineArn": never}),
    )
    .await;
    let machines = all_pages(&service, "ListStateMachines", json!({}), "stateMachines").await;
    assert_eq!(machines.len(), 2);
    assert_eq!(
        refused(
            &service,
            "DescribeStateMachine",
            json!({"stateMachineArn": alpha})
        )
        .await,
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        refused(
            &service,
            "ListExecutions",
            json!({"stateMachineArn": alpha})
        )
        .await,
        "StateMachineDoesNotExist"
    );
    let old = ok(
        &service,
        "DescribeExecution",
        json!({"executionArn": started[0]}),
    )
    .await;
    assert_eq!(old["status"], "SUCCEEDED");
    // A running execution of the deleted state machine goes on to its end.
    service.clock.advance_to(service.clock.now() + 120_000);
    drain(&service).await;
    let last = ok(
        &service,
        "DescribeExecution",
        json!({"executionArn": started[4]}),
    )
    .await;
    assert_eq!(last["status"], "SUCCEEDED", "{last}");

    // Created again under the name: a new state machine, whose revisions do not take the
    // place of those the old executions ran.
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "alpha", "definition": updated}),
    )
    .await;
    let ran = ok(
        &service,
        "DescribeStateMachineForExecution",
        json!({"executionArn": started[0]}),
    )
    .await;
    assert_eq!(ran["definition"], definition_text());
    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": alpha}),
    )
    .await;
    assert_eq!(described["definition"], updated);

    // Bad requests.
    for (body, error) in [
        (json!({}), "ValidationException"),
        (
            json!({"stateMachineArn": alpha, "statusFilter": "DONE"}),
            "ValidationException",
        ),
        (
            json!({"stateMachineArn": alpha, "nextToken": "qs2.nope"}),
            "InvalidToken",
        ),
        (json!({"stateMachineArn": "alpha"}), "InvalidArn"),
    ] {
        assert_eq!(
            refused(&service, "ListExecutions", body.clone()).await,
            error,
            "{body}"
        );
    }
    assert_eq!(
        refused(&service, "ListStateMachines", json!({"nextToken": "qs1.2"})).await,
        "InvalidToken"
    );
    assert_eq!(
        refused(
            &service,
            "DescribeStateMachineForExecution",
            json!({"executionArn": "arn:aws:states:us-east-1:123456789012:execution:alpha:gone"})
        )
        .await,
        "ExecutionDoesNotExist"
    );
}

/// The definition as DescribeStateMachine gives it back (compact JSON).
fn definition_text() -> String {
    serde_json::from_str::<Value>(&definition())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn state_machines_are_tagged_untagged_and_listed() {
    let service = service();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition(), "type": "EXPRESS",
               "tags": [{"key": "team", "value": "payments"}, {"key": "tier", "value": "1"}]}),
    )
    .await;
    let listed = ok(
        &service,
        "ListTagsForResource",
        json!({"resourceArn": MACHINE}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"tags": [{"key": "team", "value": "payments"}, {"key": "tier", "value": "1"}]})
    );
    ok(
        &service,
        "TagResource",
        json!({"resourceArn": MACHINE, "tags": [{"key": "tier", "value": "2"}, {"key": "owner", "value": "ana"}]}),
    )
    .await;
    ok(
        &service,
        "UntagResource",
        json!({"resourceArn": MACHINE, "tagKeys": ["team", "absent"]}),
    )
    .await;
    let listed = ok(
        &service,
        "ListTagsForResource",
        json!({"resourceArn": MACHINE}),
    )
    .await;
    assert_eq!(
        listed,
        json!({"tags": [{"key": "owner", "value": "ana"}, {"key": "tier", "value": "2"}]})
    );
    // An update keeps them; at most 50; a key of 1 to 128 characters.
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": definition()}),
    )
    .await;
    let listed = ok(
        &service,
        "ListTagsForResource",
        json!({"resourceArn": MACHINE}),
    )
    .await;
    assert_eq!(listed["tags"].as_array().unwrap().len(), 2);
    let many: Vec<Value> = (0..49)
        .map(|i| json!({"key": format!("k{i}"), "value": ""}))
        .collect();
    assert_eq!(
        refused(
            &service,
            "TagResource",
            json!({"resourceArn": MACHINE, "tags": many})
        )
        .await,
        "TooManyTags"
    );
    assert_eq!(
        refused(
            &service,
            "TagResource",
            json!({"resourceArn": MACHINE, "tags": [{"key": "", "value": "x"}]})
        )
        .await,
        "ValidationException"
    );
    // Invalid tags on create: refused before the state machine is made.
    let bad =
        json!({"name": "untagged", "definition": definition(), "tags": [{"value": "no key"}]});
    assert_eq!(
        refused(&service, "CreateStateMachine", bad).await,
        "ValidationException"
    );
    let untagged = "arn:aws:states:us-east-1:123456789012:stateMachine:untagged";
    assert_eq!(
        refused(
            &service,
            "DescribeStateMachine",
            json!({"stateMachineArn": untagged})
        )
        .await,
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        refused(
            &service,
            "ListTagsForResource",
            json!({"resourceArn": untagged})
        )
        .await,
        "ResourceNotFound"
    );
    // Deleted with the state machine: one created again under the name starts untagged.
    ok(
        &service,
        "DeleteStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition()}),
    )
    .await;
    let listed = ok(
        &service,
        "ListTagsForResource",
        json!({"resourceArn": MACHINE}),
    )
    .await;
    assert_eq!(listed, json!({"tags": []}));
}

#[tokio::test]
async fn a_synchronous_execution_waits_on_the_service_clock() {
    // The service's clock is virtual (as `quickstep serve --clock virtual`): an hour's Wait in
    // a synchronous execution takes no time, and the dates say an hour passed.
    let service = service();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "hello", "definition": definition(), "type": "EXPRESS", "roleArn": "arn:aws:iam::1:role/r"}),
    )
    .await;
    let done = ok(
        &service,
        "StartSyncExecution",
        json!({"stateMachineArn": MACHINE, "input": "{\"who\": \"later\", \"pause\": 3600}"}),
    )
    .await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let took = done["stopDate"].as_f64().unwrap() - done["startDate"].as_f64().unwrap();
    assert!((took - 3600.0).abs() < 1.0, "{done}");
}

#[tokio::test]
async fn role_logging_and_tracing_are_kept_with_each_revision() {
    let service = service();
    let create = json!({
        "name": "hello", "definition": definition(), "roleArn": "arn:aws:iam::123456789012:role/app",
        "loggingConfiguration": {"level": "ERROR", "includeExecutionData": true},
        "tracingConfiguration": {"enabled": true}
    });
    ok(&service, "CreateStateMachine", create.clone()).await;
    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(described["roleArn"], "arn:aws:iam::123456789012:role/app");
    assert_eq!(
        described["loggingConfiguration"],
        json!({"level": "ERROR", "includeExecutionData": true})
    );
    assert_eq!(described["tracingConfiguration"], json!({"enabled": true}));
    // The same request again is idempotent; another role under the name is refused.
    ok(&service, "CreateStateMachine", create.clone()).await;
    let mut other = create;
    other["roleArn"] = json!("arn:aws:iam::123456789012:role/other");
    assert_eq!(
        refused(&service, "CreateStateMachine", other).await,
        "StateMachineAlreadyExists"
    );
    // Updating the logging alone is a new revision that keeps the role and the definition.
    let updated = ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "loggingConfiguration": {"level": "OFF"}}),
    )
    .await;
    assert_eq!(updated["revisionId"], "2");
    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(described["roleArn"], "arn:aws:iam::123456789012:role/app");
    assert_eq!(described["loggingConfiguration"]["level"], "OFF");
    assert_eq!(described["definition"], definition());
    assert_eq!(
        refused(
            &service,
            "UpdateStateMachine",
            json!({"stateMachineArn": MACHINE, "loggingConfiguration": {"level": "LOUD"}}),
        )
        .await,
        "ValidationException"
    );
}
