//! `quickstep setup` and `quickstep pump` against moto's server on loopback (one per test,
//! started and killed by the test) and a fake worker behind Lambda's Invoke HTTP API.
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quickstep_testing::http::serve;
use quickstep_testing::moto::{free_port, Moto};
use serde_json::{json, Value};

/// Runs the binary with the AWS configuration pointing at `endpoint` and nothing else.
fn quickstep(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quickstep"))
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn sqs(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// A fake worker behind Lambda's Invoke API: it records every event and reports the step
/// queue's messages whose body is `"fail"` as failed (dead letters all succeed).
/// The (path, event) of every Invoke request the fake worker got.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

fn fake_worker(dlq_arn: String) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let origin = serve(Arc::new(move |path: &str, body: &str| {
        let event: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let records = event["Records"].as_array().cloned().unwrap_or_default();
        let failures: Vec<Value> = records
            .iter()
            .filter(|r| r["eventSourceARN"] != json!(dlq_arn) && r["body"] == "fail")
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        log.lock().unwrap().push((path.to_owned(), event));
        let reply = json!({ "batchItemFailures": failures }).to_string();
        ("200 OK", Vec::new(), reply)
    }));
    (origin, seen)
}

#[test]
fn setup_creates_the_resources_idempotently() {
    let moto = Moto::start();
    let first = quickstep(&moto.endpoint, &["setup", "--max-receive-count", "4"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report = &json_lines(&first)[0];
    assert_eq!(report["table"], "quickstep");
    assert!(report["stepQueueUrl"]
        .as_str()
        .unwrap()
        .ends_with("/quickstep-steps"));
    assert!(report["stepQueueArn"]
        .as_str()
        .unwrap()
        .ends_with(":quickstep-steps"));
    assert!(report["deadLetterQueueArn"]
        .as_str()
        .unwrap()
        .ends_with(":quickstep-steps-dlq"));
    assert_eq!(report["bus"], "quickstep");
    assert!(report["busArn"]
        .as_str()
        .unwrap()
        .ends_with(":event-bus/quickstep"));
    assert_eq!(report["maxReceiveCount"], 4);
    let again = quickstep(&moto.endpoint, &["setup", "--max-receive-count", "4"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(&json_lines(&again)[0], report);
}

#[test]
fn setup_reports_an_unreachable_endpoint() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let out = quickstep(&endpoint, &["setup"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("setup failed"), "{stderr}");
}

#[test]
fn pump_refuses_a_function_url_that_is_not_an_invoke_url() {
    let out = quickstep(
        "http://127.0.0.1:1",
        &[
            "pump",
            "--queue-url",
            "http://127.0.0.1:1/q",
            "--function-url",
            "http://127.0.0.1:9000/",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a Lambda Invoke URL"), "{stderr}");
}

#[test]
fn pump_invokes_the_worker_deletes_successes_and_dead_letters_failures() {
    let moto = Moto::start();
    let setup = quickstep(&moto.endpoint, &["setup", "--max-receive-count", "2"]);
    assert_eq!(setup.status.code(), Some(0));
    let resources = json_lines(&setup).remove(0);
    let queue = resources["stepQueueUrl"].as_str().unwrap().to_owned();
    let dlq = resources["deadLetterQueueUrl"].as_str().unwrap().to_owned();
    let dlq_arn = resources["deadLetterQueueArn"].as_str().unwrap().to_owned();
    let (origin, seen) = fake_worker(dlq_arn.clone());
    let function_url = format!("{origin}/2015-03-31/functions/quickstep-worker/invocations");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = sqs(&moto.endpoint);
    runtime.block_on(async {
        for body in ["ok", "fail"] {
            client
                .send_message()
                .queue_url(&queue)
                .message_body(body)
                .send()
                .await
                .unwrap();
        }
    });
    let pump = |visibility: &str| {
        let out = quickstep(
            &moto.endpoint,
            &[
                "pump",
                "--queue-url",
                &queue,
                "--dead-letter-queue-url",
                &dlq,
                "--function-url",
                &function_url,
                "--visibility-timeout",
                visibility,
                "--wait-time-seconds",
                "1",
                "--max-receive-count",
                "2",
                "--once",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_lines(&out)
    };

    // The first receive: both messages in one event; "ok" deleted, "fail" left.
    let first = pump("1");
    assert_eq!(
        first,
        vec![
            json!({"queue": queue, "received": 2, "deleted": 1, "failed": 1,
                    "movedToDeadLetterQueue": 0})
        ]
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (path, event) = &seen[0];
        assert_eq!(path, "/2015-03-31/functions/quickstep-worker/invocations");
        let records = event["Records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        for record in records {
            assert_eq!(record["eventSource"], "aws:sqs");
            assert_eq!(record["eventSourceARN"], resources["stepQueueArn"]);
            assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
            assert!(record["messageId"].is_string());
            assert!(record["receiptHandle"].is_string());
        }
    }

    // After the visibility timeout "fail" reappears, fails its second receive and goes to the
    // dead-letter queue, whose batch the worker gets next (with the DLQ's ARN).
    std::thread::sleep(Duration::from_millis(1_500));
    let second = pump("1");
    assert_eq!(
        second[0],
        json!({"queue": queue, "received": 1, "deleted": 0, "failed": 1,
               "movedToDeadLetterQueue": 1})
    );
    assert_eq!(
        second[1],
        json!({"queue": dlq, "received": 1, "deleted": 1, "failed": 0,
               "movedToDeadLetterQueue": 0})
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].1["Records"][0]["eventSourceARN"], json!(dlq_arn));
    assert_eq!(seen[2].1["Records"][0]["body"], "fail");
}
