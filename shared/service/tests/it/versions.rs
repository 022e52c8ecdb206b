//! Versions and aliases of state machines through the Step Functions API, over the in-memory
//! adapters: publishing, listing, deleting, aliases routing executions, and Step Functions'
//! error names.
use crate::sfn;

use sfn::{call, ok, refused, run_to_end, service_with, TestService};

use quickstep_runtime::mock::MockInvoker;
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:greet";

fn service() -> TestService {
    service_with(MockInvoker::none())
}

/// A machine that answers `word`.
fn says(word: &str) -> String {
    json!({"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": word, "End": true}}})
        .to_string()
}

/// Starts an execution through `arn` and answers its description once it ended.
async fn run(service: &TestService, arn: &str) -> Value {
    run_to_end(service, json!({"stateMachineArn": arn})).await
}

#[tokio::test]
async fn versions_are_published_listed_described_run_and_deleted() {
    let service = service();
    let created = ok(
        &service,
        "CreateStateMachine",
        json!({"name": "greet", "definition": says("one"), "roleArn": "arn:aws:iam::1:role/r",
               "publish": true, "versionDescription": "first"}),
    )
    .await;
    let v1 = format!("{MACHINE}:1");
    assert_eq!(created["stateMachineVersionArn"], v1);
    // Publishing the same revision again is the same version.
    let again = ok(
        &service,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(again["stateMachineVersionArn"], v1);
    let updated = ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": says("two"), "publish": true}),
    )
    .await;
    let v2 = format!("{MACHINE}:2");
    assert_eq!(updated["stateMachineVersionArn"], v2);
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": says("three")}),
    )
    .await;
    // A stale revisionId is a conflict (409); the current one publishes version 3.
    let (status, stale) = call(
        &service,
        "PublishStateMachineVersion",
        &json!({"stateMachineArn": MACHINE, "revisionId": "1"}),
    )
    .await;
    assert_eq!(
        (status, stale["__type"].as_str()),
        (409, Some("ConflictException"))
    );
    let v3 = ok(
        &service,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": MACHINE, "revisionId": "3", "description": "third"}),
    )
    .await;
    assert_eq!(v3["stateMachineVersionArn"], format!("{MACHINE}:3"));

    let listed = ok(
        &service,
        "ListStateMachineVersions",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    let arns: Vec<&str> = listed["stateMachineVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["stateMachineVersionArn"].as_str().unwrap())
        .collect();
    assert_eq!(arns, [format!("{MACHINE}:3"), v2.clone(), v1.clone()]);
    let page = ok(
        &service,
        "ListStateMachineVersions",
        json!({"stateMachineArn": MACHINE, "maxResults": 2}),
    )
    .await;
    assert_eq!(page["stateMachineVersions"].as_array().unwrap().len(), 2);
    assert!(page["nextToken"].is_string());

    let described = ok(
        &service,
        "DescribeStateMachine",
        json!({"stateMachineArn": v1}),
    )
    .await;
    assert_eq!(described["stateMachineArn"], v1);
    assert_eq!(described["description"], "first");
    assert_eq!(described["definition"], says("one"));

    // An execution of a version runs that version, whatever the current revision is.
    let first = run(&service, &v1).await;
    assert_eq!(first["output"], "\"one\"", "{first}");
    assert_eq!(first["stateMachineVersionArn"], v1);
    assert_eq!(first["stateMachineArn"], MACHINE);
    let latest = run(&service, MACHINE).await;
    assert_eq!(latest["output"], "\"three\"");
    assert!(latest.get("stateMachineVersionArn").is_none());
    // Listed by version: only the executions of that version.
    let of_v1 = ok(&service, "ListExecutions", json!({"stateMachineArn": v1})).await;
    let listed: Vec<&Value> = of_v1["executions"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1, "{of_v1}");
    assert_eq!(listed[0]["executionArn"], first["executionArn"]);
    assert_eq!(listed[0]["stateMachineVersionArn"], v1);
    let all = ok(
        &service,
        "ListExecutions",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(all["executions"].as_array().unwrap().len(), 2);

    ok(
        &service,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
    )
    .await;
    ok(
        &service,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v2}),
    )
    .await;
    let (status, gone) = call(&service, "StartExecution", &json!({"stateMachineArn": v2})).await;
    assert_eq!(
        (status, gone["__type"].as_str()),
        (400, Some("StateMachineDoesNotExist"))
    );
    // Version numbers are never used again.
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": says("four"), "publish": true}),
    )
    .await;
    let listed = ok(
        &service,
        "ListStateMachineVersions",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(
        listed["stateMachineVersions"][0]["stateMachineVersionArn"],
        format!("{MACHINE}:4")
    );

    // Deleting the state machine deletes its versions.
    ok(
        &service,
        "DeleteStateMachine",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(
        refused(
            &service,
            "DescribeStateMachine",
            json!({"stateMachineArn": v1})
        )
        .await,
        "StateMachineDoesNotExist"
    );
}

#[tokio::test]
async fn aliases_route_executions_to_their_versions() {
    let service = service();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "greet", "definition": says("one"), "roleArn": "arn:aws:iam::1:role/r", "publish": true}),
    )
    .await;
    ok(
        &service,
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": says("two"), "publish": true}),
    )
    .await;
    let (v1, v2) = (format!("{MACHINE}:1"), format!("{MACHINE}:2"));
    let alias = format!("{MACHINE}:live");
    let request = json!({"name": "live", "description": "what users run",
        "routingConfiguration": [{"stateMachineVersionArn": v1, "weight": 100}]});
    let created = ok(&service, "CreateStateMachineAlias", request.clone()).await;
    assert_eq!(created["stateMachineAliasArn"], alias);
    // The same request again is answered as the first; a different one is a conflict.
    let again = ok(&service, "CreateStateMachineAlias", request).await;
    assert_eq!(again["creationDate"], created["creationDate"]);
    assert_eq!(
        refused(
            &service,
            "CreateStateMachineAlias",
            json!({"name": "live", "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
        )
        .await,
        "ConflictException"
    );

    let through = run(&service, &alias).await;
    assert_eq!(through["output"], "\"one\"");
    assert_eq!(through["stateMachineAliasArn"], alias);
    assert_eq!(through["stateMachineVersionArn"], v1);

    // Shifting all the weight to version 2, then splitting it.
    ok(
        &service,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias,
               "routingConfiguration": [{"stateMachineVersionArn": v2, "weight": 100}]}),
    )
    .await;
    assert_eq!(run(&service, &alias).await["output"], "\"two\"");
    ok(
        &service,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias, "routingConfiguration": [
            {"stateMachineVersionArn": v1, "weight": 50},
            {"stateMachineVersionArn": v2, "weight": 50}]}),
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        seen.insert(
            run(&service, &alias).await["output"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen.len(), 2, "both versions run: {seen:?}");
    let through_alias = ok(
        &service,
        "ListExecutions",
        json!({"stateMachineArn": alias, "maxResults": 1000}),
    )
    .await;
    assert_eq!(through_alias["executions"].as_array().unwrap().len(), 42);

    let described = ok(
        &service,
        "DescribeStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await;
    assert_eq!(described["name"], "live");
    assert_eq!(described["description"], "what users run");
    assert_eq!(
        described["routingConfiguration"][1]["stateMachineVersionArn"],
        v2
    );
    assert_eq!(described["routingConfiguration"][1]["weight"], 50);

    // A version an alias routes to cannot be deleted.
    assert_eq!(
        refused(
            &service,
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": v1})
        )
        .await,
        "ConflictException"
    );
    let listed = ok(
        &service,
        "ListStateMachineAliases",
        json!({"stateMachineArn": MACHINE}),
    )
    .await;
    assert_eq!(
        listed["stateMachineAliases"][0]["stateMachineAliasArn"],
        alias
    );
    ok(
        &service,
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    )
    .await;
    assert_eq!(
        refused(
            &service,
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias})
        )
        .await,
        "ResourceNotFound"
    );
    ok(
        &service,
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": v1}),
    )
    .await;
}

#[tokio::test]
async fn bad_versions_and_aliases_carry_step_functions_names() {
    let service = service();
    ok(
        &service,
        "CreateStateMachine",
        json!({"name": "greet", "definition": says("one"), "roleArn": "arn:aws:iam::1:role/r", "publish": true}),
    )
    .await;
    let v1 = format!("{MACHINE}:1");
    let route = |arn: &str, weight: u64| json!({"stateMachineVersionArn": arn, "weight": weight});
    for (operation, body, expected) in [
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": format!("{MACHINE}x")}),
            "StateMachineDoesNotExist",
        ),
        (
            "PublishStateMachineVersion",
            json!({"stateMachineArn": v1}),
            "InvalidArn",
        ),
        (
            "CreateStateMachine",
            json!({"name": "other", "definition": says("x"), "roleArn": "r",
            "versionDescription": "no publish"}),
            "ValidationException",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "123", "routingConfiguration": [route(&v1, 100)]}),
            "InvalidName",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "a", "routingConfiguration": [route(&v1, 90)]}),
            "ValidationException",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "a", "routingConfiguration": []}),
            "ValidationException",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "a", "routingConfiguration": [route(&v1, 50), route(&v1, 50)]}),
            "ValidationException",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "a", "routingConfiguration": [route(&format!("{MACHINE}:9"), 100)]}),
            "ResourceNotFound",
        ),
        (
            "CreateStateMachineAlias",
            json!({"name": "a", "routingConfiguration": [route(MACHINE, 100)]}),
            "InvalidArn",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{MACHINE}:nope"), "description": "d"}),
            "ResourceNotFound",
        ),
        (
            "UpdateStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{MACHINE}:nope")}),
            "ValidationException",
        ),
        (
            "DeleteStateMachineAlias",
            json!({"stateMachineAliasArn": format!("{MACHINE}:nope")}),
            "ResourceNotFound",
        ),
        (
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": v1}),
            "InvalidArn",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{MACHINE}:live")}),
            "InvalidArn",
        ),
        (
            "StartExecution",
            json!({"stateMachineArn": format!("{MACHINE}:nope")}),
            "StateMachineDoesNotExist",
        ),
        (
            "ListStateMachineVersions",
            json!({"stateMachineArn": format!("{MACHINE}x")}),
            "StateMachineDoesNotExist",
        ),
        (
            "ListStateMachineAliases",
            json!({"stateMachineArn": format!("{MACHINE}x")}),
            "StateMachineDoesNotExist",
        ),
    ] {
        assert_eq!(
            refused(&service, operation, body.clone()).await,
            expected,
            "{operation} {body}"
        );
    }
}
