//! TestState through the Step Functions API over the in-memory adapters: one state run in
//! isolation, its data at each stage, mocks, Map and Parallel states, and a given context.
use crate::sfn;

use sfn::{ok, refused, service_with, TestService};

use quickstep_runtime::mock::MockInvoker;
use serde_json::{json, Value};

fn service() -> TestService {
    service_with(MockInvoker::none())
}

/// TestState of `state` (a state's JSON) with more request fields.
async fn test_state(service: &TestService, state: &Value, more: Value) -> Value {
    let mut body =
        json!({"definition": state.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r"});
    for (k, v) in more.as_object().unwrap() {
        body[k] = v.clone();
    }
    ok(service, "TestState", body).await
}

fn parsed(text: &Value) -> Value {
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn test_state_runs_one_state_and_shows_each_stage_of_its_data() {
    let service = service();
    // A Pass state: InputPath, Parameters, ResultPath, OutputPath.
    let pass = json!({"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "fixed": 1},
        "ResultPath": "$.made", "OutputPath": "$.made", "Next": "Ship"});
    let input = json!({"order": {"id": 7, "extra": true}}).to_string();
    let info = test_state(&service, &pass, json!({"input": input})).await;
    assert_eq!(info["status"], "SUCCEEDED");
    assert_eq!(info["nextState"], "Ship");
    assert_eq!(parsed(&info["output"]), json!({"id": 7, "fixed": 1}));
    assert!(
        info.get("inspectionData").is_none(),
        "INFO shows no inspection data: {info}"
    );
    let debug = test_state(
        &service,
        &pass,
        json!({"input": input, "inspectionLevel": "DEBUG"}),
    )
    .await;
    let data = &debug["inspectionData"];
    assert_eq!(
        parsed(&data["input"]),
        json!({"order": {"id": 7, "extra": true}})
    );
    assert_eq!(
        parsed(&data["afterInputPath"]),
        json!({"id": 7, "extra": true})
    );
    assert_eq!(
        parsed(&data["afterParameters"]),
        json!({"id": 7, "fixed": 1})
    );
    // ResultPath places the result in the state's raw input, not the InputPath's selection.
    assert_eq!(
        parsed(&data["afterResultPath"]),
        json!({"order": {"id": 7, "extra": true}, "made": {"id": 7, "fixed": 1}})
    );

    // A Task with a mocked result: the result, ResultSelector, ResultPath.
    let task = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "Parameters": {"n.$": "$.n"}, "ResultSelector": {"doubled.$": "$.Payload.n2"},
        "ResultPath": "$.r", "End": true});
    let ran = test_state(
        &service,
        &task,
        json!({"input": "{\"n\": 2}", "inspectionLevel": "TRACE",
               "mock": {"result": "{\"Payload\": {\"n2\": 4}}"}}),
    )
    .await;
    assert_eq!(ran["status"], "SUCCEEDED", "{ran}");
    assert!(ran.get("nextState").is_none());
    assert_eq!(parsed(&ran["output"]), json!({"n": 2, "r": {"doubled": 4}}));
    let data = &ran["inspectionData"];
    assert_eq!(parsed(&data["afterParameters"]), json!({"n": 2}));
    assert_eq!(parsed(&data["result"]), json!({"Payload": {"n2": 4}}));
    assert_eq!(parsed(&data["afterResultSelector"]), json!({"doubled": 4}));

    // A mocked error: RETRIABLE while a Retrier has attempts left, then caught.
    let flaky = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "Retry": [{"ErrorEquals": ["Other"]},
                  {"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["Other"], "Next": "Never"},
                  {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
        "Next": "Done"});
    let boom = json!({"errorOutput": {"error": "Boom", "cause": "it broke"}});
    let retriable = test_state(
        &service,
        &flaky,
        json!({"input": "{\"a\": 1}", "mock": boom, "inspectionLevel": "DEBUG",
               "stateConfiguration": {"retrierRetryCount": 1}}),
    )
    .await;
    assert_eq!(retriable["status"], "RETRIABLE", "{retriable:#}");
    assert_eq!(
        (retriable["error"].as_str(), retriable["cause"].as_str()),
        (Some("Boom"), Some("it broke"))
    );
    let details = &retriable["inspectionData"]["errorDetails"];
    assert_eq!(details["retryIndex"], 1);
    assert_eq!(
        details["retryBackoffIntervalSeconds"],
        json!(6.0),
        "2 s × 3^1"
    );
    let caught = test_state(
        &service,
        &flaky,
        json!({"input": "{\"a\": 1}", "mock": boom, "inspectionLevel": "DEBUG",
               "stateConfiguration": {"retrierRetryCount": 2}}),
    )
    .await;
    assert_eq!(caught["status"], "CAUGHT_ERROR", "{caught}");
    assert_eq!(caught["nextState"], "Recover");
    assert_eq!(
        parsed(&caught["output"]),
        json!({"a": 1, "error": {"Error": "Boom", "Cause": "it broke"}})
    );
    assert_eq!(caught["inspectionData"]["errorDetails"]["catchIndex"], 1);
    let uncaught = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true});
    let failed = test_state(&service, &uncaught, json!({"mock": boom})).await;
    assert_eq!(
        (failed["status"].as_str(), failed["error"].as_str()),
        (Some("FAILED"), Some("Boom"))
    );

    // Choice, Wait (no waiting), Fail.
    let choice = json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
        "Default": "Small"});
    let chosen = test_state(&service, &choice, json!({"input": "{\"n\": 5}"})).await;
    assert_eq!(
        (chosen["status"].as_str(), chosen["nextState"].as_str()),
        (Some("SUCCEEDED"), Some("Big"))
    );
    // A state that goes back to itself: its next state is itself, and the run stops there.
    let again = json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 5, "Next": "TestState"}],
        "Default": "Out"});
    let looped = test_state(&service, &again, json!({"input": "{\"n\": 5}"})).await;
    assert_eq!(
        (looped["status"].as_str(), looped["nextState"].as_str()),
        (Some("SUCCEEDED"), Some("TestState"))
    );
    let wait = json!({"Type": "Wait", "Seconds": 86400, "Next": "After"});
    let waited = test_state(&service, &wait, json!({"input": "{\"x\": 1}"})).await;
    assert_eq!(
        (waited["status"].as_str(), waited["nextState"].as_str()),
        (Some("SUCCEEDED"), Some("After"))
    );
    assert_eq!(parsed(&waited["output"]), json!({"x": 1}));
    let fail = json!({"Type": "Fail", "Error": "Demo.Stop", "Cause": "enough"});
    let stopped = test_state(&service, &fail, json!({})).await;
    assert_eq!(
        (
            stopped["status"].as_str(),
            stopped["error"].as_str(),
            stopped["cause"].as_str()
        ),
        (Some("FAILED"), Some("Demo.Stop"), Some("enough"))
    );
}

#[tokio::test]
async fn test_state_takes_a_state_of_a_machine_with_variables() {
    let service = service();
    let machine = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Arguments": {"total": "{% $states.input.n * $rate %}"},
                "Assign": {"last": "{% $states.result.ok %}"},
                "Output": {"ok": "{% $states.result.ok %}", "rate": "{% $rate %}"},
                "Next": "First"
            }
        }
    });
    let ran = ok(
        &service,
        "TestState",
        json!({"definition": machine.to_string(), "stateName": "Call", "input": "{\"n\": 3}",
               "variables": "{\"rate\": 10}", "inspectionLevel": "DEBUG",
               "mock": {"result": "{\"ok\": true}"}}),
    )
    .await;
    assert_eq!(ran["status"], "SUCCEEDED", "{ran}");
    assert_eq!(ran["nextState"], "First");
    assert_eq!(parsed(&ran["output"]), json!({"ok": true, "rate": 10}));
    let data = &ran["inspectionData"];
    assert_eq!(parsed(&data["afterArguments"]), json!({"total": 30}));
    assert_eq!(
        parsed(&data["variables"]),
        json!({"rate": 10, "last": true})
    );

    for (body, error) in [
        (
            json!({"definition": machine.to_string()}),
            "ValidationException",
        ),
        (
            json!({"definition": machine.to_string(), "stateName": "Nope"}),
            "ValidationException",
        ),
        (
            json!({"definition": "{\"Type\": \"Map\", \"End\": true}"}),
            "InvalidDefinition",
        ),
        (
            json!({"definition": "{\"Type\": \"Pass\", \"End\": true}", "mock": {"result": "1"}}),
            "ValidationException",
        ),
        (
            json!({"definition": "{\"Type\": \"Pass\", \"End\": true}", "inspectionLevel": "ALL"}),
            "ValidationException",
        ),
        (json!({"definition": "{not json"}), "InvalidDefinition"),
        (
            json!({"definition": "{\"Type\": \"Pass\"}"}),
            "InvalidDefinition",
        ),
        (
            json!({"definition": "{\"Type\": \"Pass\", \"End\": true}", "input": "{"}),
            "InvalidExecutionInput",
        ),
    ] {
        assert_eq!(
            refused(&service, "TestState", body.clone()).await,
            error,
            "{body}"
        );
    }
}

#[tokio::test]
async fn test_state_ends_a_map_with_its_mock_after_evaluating_its_items() {
    let service = service();
    let map = json!({"Type": "Map", "InputPath": "$.order", "ItemsPath": "$.lines",
        "ItemSelector": {"line.$": "$$.Map.Item.Value", "at.$": "$$.Map.Item.Index"},
        "MaxConcurrency": 2, "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "Price", "States": {"Price": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price", "End": true}}},
        "ResultPath": "$.prices",
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}],
        "Next": "Total"});
    let input = json!({"order": {"lines": ["a", "b"]}}).to_string();
    let mocked = |more: Value| {
        let mut body =
            json!({"input": input, "inspectionLevel": "DEBUG", "mock": {"result": "[3, 4]"}});
        for (k, v) in more.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let ran = test_state(&service, &map, mocked(json!({}))).await;
    assert_eq!(
        (ran["status"].as_str(), ran["nextState"].as_str()),
        (Some("SUCCEEDED"), Some("Total")),
        "{ran:#}"
    );
    // ResultPath places the result in the state's raw input.
    assert_eq!(
        parsed(&ran["output"]),
        json!({"order": {"lines": ["a", "b"]}, "prices": [3, 4]})
    );
    let data = &ran["inspectionData"];
    assert_eq!(
        parsed(&data["afterInputPath"]),
        json!({"lines": ["a", "b"]})
    );
    assert_eq!(parsed(&data["afterItemsPath"]), json!(["a", "b"]));
    assert_eq!(
        parsed(&data["afterItemSelector"]),
        json!([{"line": "a", "at": 0}, {"line": "b", "at": 1}])
    );
    assert_eq!(
        (&data["maxConcurrency"], &data["toleratedFailureCount"]),
        (&json!(2), &json!(1))
    );
    assert!(
        data.get("result").is_none(),
        "a Map shows no result: {data}"
    );

    // Iterations that failed: within the tolerance nothing changes; past it the state fails
    // with States.ExceedToleratedFailureThreshold, which its Catcher catches.
    let tolerated = test_state(
        &service,
        &map,
        mocked(json!({"stateConfiguration": {"mapIterationFailureCount": 1}})),
    )
    .await;
    assert_eq!(tolerated["status"], "SUCCEEDED");
    let exceeded = test_state(
        &service,
        &map,
        mocked(json!({"stateConfiguration": {"mapIterationFailureCount": 2}})),
    )
    .await;
    assert_eq!(
        (
            exceeded["status"].as_str(),
            exceeded["nextState"].as_str(),
            exceeded["error"].as_str(),
            exceeded["cause"].as_str()
        ),
        (
            Some("CAUGHT_ERROR"),
            Some("TooMany"),
            Some("States.ExceedToleratedFailureThreshold"),
            Some("The specified tolerated failure threshold was exceeded")
        ),
        "{exceeded:#}"
    );
    assert_eq!(exceeded["inspectionData"]["errorDetails"]["catchIndex"], 0);

    // A mocked error is the state's own and wins over the failure count.
    let failed = test_state(
        &service,
        &map,
        json!({"input": input, "mock": {"errorOutput": {"error": "Price.Down", "cause": "no"}},
               "stateConfiguration": {"mapIterationFailureCount": 2}}),
    )
    .await;
    assert_eq!(
        (
            failed["status"].as_str(),
            failed["error"].as_str(),
            failed["cause"].as_str()
        ),
        (Some("FAILED"), Some("Price.Down"), Some("no"))
    );

    // ItemsPath that selects no array: the state fails, as AWS answers (not a refusal).
    let broken = test_state(
        &service,
        &map,
        json!({"input": "{\"order\": {\"lines\": 5}}", "mock": {"result": "[]"}}),
    )
    .await;
    assert_eq!(
        (broken["status"].as_str(), broken["error"].as_str()),
        (Some("FAILED"), Some("States.Runtime"))
    );

    let definition = map.to_string();
    for (body, error) in [
        (json!({"definition": definition}), "InvalidDefinition"),
        (
            json!({"definition": definition, "mock": {"result": "{\"a\": 1}"}}),
            "ValidationException",
        ),
        (
            json!({"definition": definition, "mock": {"result": "[1]"},
                   "stateConfiguration": {"mapIterationFailureCount": -1}}),
            "ValidationException",
        ),
    ] {
        assert_eq!(
            refused(&service, "TestState", body.clone()).await,
            error,
            "{body}"
        );
    }
}

#[tokio::test]
async fn test_state_ends_a_parallel_state_with_one_result_per_branch() {
    let service = service();
    let branch = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let parallel = json!({"Type": "Parallel", "QueryLanguage": "JSONata",
        "Arguments": {"n": "{% $states.input.n * 2 %}"},
        "Branches": [branch, branch],
        "Output": {"sum": "{% $states.result[0] + $states.result[1] %}"},
        "Retry": [{"ErrorEquals": ["States.BranchFailed"], "MaxAttempts": 1}],
        "End": true});
    let ran = test_state(
        &service,
        &parallel,
        json!({"input": "{\"n\": 5}", "inspectionLevel": "DEBUG", "mock": {"result": "[1, 2]"}}),
    )
    .await;
    assert_eq!(ran["status"], "SUCCEEDED", "{ran:#}");
    assert_eq!(parsed(&ran["output"]), json!({"sum": 3}));
    assert_eq!(
        parsed(&ran["inspectionData"]["afterArguments"]),
        json!({"n": 10})
    );
    let retriable = test_state(
        &service,
        &parallel,
        json!({"input": "{\"n\": 1}", "mock": {"errorOutput": {"error": "States.BranchFailed", "cause": "b"}}}),
    )
    .await;
    assert_eq!(retriable["status"], "RETRIABLE", "{retriable:#}");
    for result in ["[1]", "[1, 2, 3]", "{}"] {
        assert_eq!(
            refused(
                &service,
                "TestState",
                json!({"definition": parallel.to_string(), "mock": {"result": result}})
            )
            .await,
            "ValidationException",
            "{result}"
        );
    }
}

#[tokio::test]
async fn test_state_takes_a_whole_context_object_with_a_mock() {
    let service = service();
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"id.$": "$$.Execution.Id", "x.$": "$$.Execution.Input.x",
                       "retries.$": "$$.State.RetryCount"},
        "End": true});
    let context =
        json!({"Execution": {"Id": "given", "Input": {"x": 5}}, "State": {"RetryCount": 2}});
    let ran = test_state(
        &service,
        &task,
        json!({"input": "{\"x\": 1}", "inspectionLevel": "DEBUG", "context": context.to_string(),
               "mock": {"result": "{}"}}),
    )
    .await;
    assert_eq!(ran["status"], "SUCCEEDED", "{ran:#}");
    // `$$` is the context given, whole: Execution.Input is its, not the test's input.
    assert_eq!(
        parsed(&ran["inspectionData"]["afterParameters"]),
        json!({"id": "given", "x": 5, "retries": 2})
    );
    let jsonata = json!({"Type": "Task", "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"context": "{% $states.context %}"}, "End": true});
    let ran = test_state(
        &service,
        &jsonata,
        json!({"inspectionLevel": "DEBUG", "context": "{}", "mock": {"result": "{}"}}),
    )
    .await;
    assert_eq!(
        parsed(&ran["inspectionData"]["afterArguments"]),
        json!({"context": {}})
    );
    for body in [
        json!({"definition": task.to_string(), "context": "{}"}),
        json!({"definition": task.to_string(), "context": "{\"Map\": {}}", "mock": {"result": "{}"}}),
        json!({"definition": task.to_string(), "context": "[]", "mock": {"result": "{}"}}),
    ] {
        assert_eq!(
            refused(&service, "TestState", body.clone()).await,
            "ValidationException",
            "{body}"
        );
    }
}
