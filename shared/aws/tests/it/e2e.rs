//! The service end to end on the AWS adapters: DynamoDB, SQS and EventBridge on moto's server
//! (one per test), Lambda tasks on a fake Invoke endpoint. The asynchronous path is driven the
//! way Lambda's SQS event source mapping drives the worker: receive a batch from the step queue
//! (short visibility timeout), hand it to the worker's handler, delete the messages it did not
//! report as failed and leave the failed ones to reappear, until the execution has ended.
//! Faults are injected on that path: duplicate deliveries, two workers racing on one batch, a
//! worker crashing between its send and its write, throttled Lambda calls.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use quickstep_aws::events::EventBridgePublisher;
use quickstep_aws::integrations::AwsInvoker;
use quickstep_aws::lambda::LambdaInvoker;
use quickstep_aws::queue::SqsQueue;
use quickstep_aws::setup::{create_resources, Resources};
use quickstep_aws::store::DynamoStore;
use quickstep_lambda::sqs::handle_batch;
use quickstep_runtime::clock::Clock;
use quickstep_service::config::Config;
use quickstep_service::ports::{Created, Listing, PortError, StepQueue, Store};
use quickstep_service::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, Published, StateMachineRecord,
    StepMessage, Tags,
};
use quickstep_service::service::Service;
use quickstep_service::worker::StepOutcome;
use quickstep_testing::http::{serve, Handler, Reply};
use quickstep_testing::moto::{sdk_config, Moto};
use serde_json::{json, Value};

const BUS: &str = "quickstep";

fn function(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

// ---------------------------------------------------------------------------------------------
// Counting adapters: how many calls each port gets, and a store whose writes can fail.

#[derive(Debug, Default)]
struct Counts {
    machine_reads: AtomicU32,
    execution_reads: AtomicU32,
    creates: AtomicU32,
    conditional_writes: AtomicU32,
    sends: AtomicU32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    machine_reads: u32,
    execution_reads: u32,
    creates: u32,
    conditional_writes: u32,
    sends: u32,
}

impl Counts {
    fn tally(&self) -> Tally {
        Tally {
            machine_reads: self.machine_reads.load(Ordering::SeqCst),
            execution_reads: self.execution_reads.load(Ordering::SeqCst),
            creates: self.creates.load(Ordering::SeqCst),
            conditional_writes: self.conditional_writes.load(Ordering::SeqCst),
            sends: self.sends.load(Ordering::SeqCst),
        }
    }

    fn reset(&self) {
        for counter in [
            &self.machine_reads,
            &self.execution_reads,
            &self.creates,
            &self.conditional_writes,
            &self.sends,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }
}

fn bump(counter: &AtomicU32) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// A port adapter with its calls counted; as a store, its next `fail_puts` conditional writes
/// fail as a worker crashing before its write would (after its send).
struct Counted<T> {
    inner: T,
    counts: Arc<Counts>,
    fail_puts: AtomicU32,
}

impl<T> Counted<T> {
    fn new(inner: T, counts: Arc<Counts>) -> Self {
        Self {
            inner,
            counts,
            fail_puts: AtomicU32::new(0),
        }
    }
}

impl<S: Store> Store for Counted<S> {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        self.inner
            .put_state_machine(name, arn, definition, asked, now)
            .await
    }
    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        self.inner.get_tags(name).await
    }
    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        self.inner.put_tags(name, tags, expected_version).await
    }
    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        self.inner.get_published(name).await
    }
    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        self.inner.put_published(name, published).await
    }
    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        self.inner.delete_state_machine(name, arn, now).await
    }
    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        self.inner.list_state_machines(after, limit).await
    }
    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        self.inner
            .list_executions(machine, status, after, limit)
            .await
    }
    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        bump(&self.counts.machine_reads);
        self.inner.get_state_machine(name).await
    }
    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        bump(&self.counts.machine_reads);
        self.inner.get_revision(name, revision).await
    }
    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        bump(&self.counts.creates);
        self.inner.create_execution(record).await
    }
    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        bump(&self.counts.execution_reads);
        self.inner.get_execution(arn).await
    }
    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        bump(&self.counts.execution_reads);
        self.inner.get_execution_with_history(arn).await
    }
    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected: u64,
    ) -> Result<(), PortError> {
        if self
            .fail_puts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(PortError::Retryable(
                "the worker crashed before its write".into(),
            ));
        }
        bump(&self.counts.conditional_writes);
        self.inner.put_execution_if_version(record, expected).await
    }
}

impl<Q: StepQueue> StepQueue for Counted<Q> {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        bump(&self.counts.sends);
        self.inner.send(message, delay_seconds).await
    }
}

type TestService = Service<Counted<DynamoStore>, Counted<SqsQueue>, EventBridgePublisher>;

// ---------------------------------------------------------------------------------------------
// The fake Lambda functions.

/// `echo` returns `{"echo": input}`; `reject` raises `OrderError`; `flaky` raises `Flaky` on its
/// first call and returns `{"ok": true}` after; `throttled` is throttled (HTTP 429) on its
/// first call and returns `{"ok": "after throttling"}` after.
fn functions() -> Handler {
    let calls: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    Arc::new(move |path: &str, body: &str| -> Reply {
        let function = path
            .strip_prefix("/2015-03-31/functions/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("");
        let name = function.rsplit("%3A").next().unwrap_or(function).to_owned();
        let call = {
            let mut calls = calls.lock().unwrap();
            let n = calls.entry(name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let ok = |payload: Value| ("200 OK", vec![], payload.to_string());
        let raise = |error: &str, message: &str| {
            (
                "200 OK",
                vec![("x-amz-function-error", "Unhandled")],
                json!({"errorType": error, "errorMessage": message}).to_string(),
            )
        };
        match (name.as_str(), call) {
            ("echo", _) => ok(json!({
                "echo": serde_json::from_str::<Value>(body).unwrap_or(Value::Null)
            })),
            ("reject", _) => raise("OrderError", "no such order"),
            ("flaky", 1) => raise("Flaky", "try again"),
            ("flaky", _) => ok(json!({"ok": true})),
            ("throttled", 1) => (
                "429 Too Many Requests",
                vec![("x-amzn-errortype", "TooManyRequestsException")],
                r#"{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}"#.into(),
            ),
            ("throttled", _) => ok(json!({"ok": "after throttling"})),
            _ => (
                "404 Not Found",
                vec![("x-amzn-errortype", "ResourceNotFoundException")],
                format!(r#"{{"Type":"User","message":"Function not found: {function}"}}"#),
            ),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The harness: moto, the resources, the service, and the event source mapping played here.

struct Harness {
    _moto: Moto,
    sdk: aws_config::SdkConfig,
    resources: Resources,
    step_queue_arn: String,
    sqs: aws_sdk_sqs::Client,
    service: TestService,
    counts: Arc<Counts>,
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone()
}

impl Harness {
    async fn start() -> Self {
        Self::with_max_receive_count(5).await
    }

    /// The resources with SQS moving a step message to the dead-letter queue after
    /// `max_receive_count` receives.
    async fn with_max_receive_count(max_receive_count: u32) -> Self {
        let moto = Moto::start();
        let sdk = moto.config().await;
        let resources = create_resources(
            &sdk,
            "quickstep",
            "steps",
            "steps-dlq",
            BUS,
            max_receive_count,
        )
        .await
        .unwrap();
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let step_queue_arn = queue_arn(&sqs, &resources.step_queue_url).await;
        let lambda = sdk_config(&serve(functions())).await;
        let counts = Arc::new(Counts::default());
        let service = Service::new(
            Counted::new(
                DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &resources.table),
                Arc::clone(&counts),
            ),
            Counted::new(
                SqsQueue::new(sqs.clone(), &resources.step_queue_url),
                Arc::clone(&counts),
            ),
            EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), BUS),
            Arc::new(AwsInvoker::new(
                LambdaInvoker::new(&aws_sdk_lambda::Client::new(&lambda)),
                sqs.clone(),
                aws_sdk_eventbridge::Client::new(&sdk),
                aws_sdk_dynamodb::Client::new(&sdk),
            )),
            Clock::Real,
            Config::default(),
        );
        Self {
            _moto: moto,
            sdk,
            resources,
            step_queue_arn,
            sqs,
            service,
            counts,
        }
    }

    /// A queue that receives every event with source `quickstep` on the bus.
    async fn event_sink(&self) -> String {
        let events = aws_sdk_eventbridge::Client::new(&self.sdk);
        let sink = self
            .sqs
            .create_queue()
            .queue_name("sink")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let sink_arn = queue_arn(&self.sqs, &sink).await;
        events
            .put_rule()
            .name("to-sink")
            .event_bus_name(BUS)
            .event_pattern(json!({"source": ["quickstep"]}).to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule("to-sink")
            .event_bus_name(BUS)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("sink")
                    .arn(sink_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        sink
    }

    async fn receive(&self) -> Vec<Message> {
        self.receive_from(&self.resources.step_queue_url, 1).await
    }

    async fn receive_from(&self, queue_url: &str, wait_seconds: i32) -> Vec<Message> {
        self.sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(2)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    async fn delete(&self, message: &Message) {
        self.delete_from(&self.resources.step_queue_url, message)
            .await;
    }

    async fn delete_from(&self, queue_url: &str, message: &Message) {
        self.sqs
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(message.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }

    /// The stored record, read past the counting adapter.
    async fn record(&self, arn: &str) -> Option<ExecutionRecord> {
        self.service.store.inner.get_execution(arn).await.unwrap()
    }

    /// Plays the event source mapping until the execution has ended (and its end was
    /// handled: the failure event published), delivering each batch as `delivery` says.
    async fn drive(&self, arn: &str, delivery: Delivery) -> ExecutionRecord {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "{arn} did not end within 60 s");
            let messages = self.receive().await;
            if !messages.is_empty() {
                let event = sqs_event(&messages, &self.step_queue_arn);
                let dlq = Some(self.resources.dlq_arn.as_str());
                let failed = match delivery {
                    Delivery::Once => {
                        failures(&[handle_batch(&self.service, event, dlq, None).await])
                    }
                    Delivery::Twice => {
                        let first = handle_batch(&self.service, event.clone(), dlq, None).await;
                        let second = handle_batch(&self.service, event, dlq, None).await;
                        failures(&[first, second])
                    }
                    Delivery::Race => {
                        let (a, b) = tokio::join!(
                            handle_batch(&self.service, event.clone(), dlq, None),
                            handle_batch(&self.service, event, dlq, None)
                        );
                        failures(&[a, b])
                    }
                };
                for message in &messages {
                    if !failed.contains(message.message_id().unwrap()) {
                        self.delete(message).await;
                    }
                }
            }
            // The dead-letter queue's event source mapping: same function, the DLQ's ARN.
            let dlq = &self.resources.dlq_url;
            let dead = self.receive_from(dlq, 0).await;
            if !dead.is_empty() {
                let event = sqs_event(&dead, &self.resources.dlq_arn);
                let response =
                    handle_batch(&self.service, event, Some(&self.resources.dlq_arn), None).await;
                let failed = failures(&[response]);
                for message in &dead {
                    if !failed.contains(message.message_id().unwrap()) {
                        self.delete_from(dlq, message).await;
                    }
                }
            }
            if let Some(record) = self.record(arn).await {
                if record.is_terminal() && record.status_event_sent {
                    return record;
                }
            }
        }
    }

    /// Plays the event source mapping calling the worker's step directly, so each step's
    /// outcome is seen.
    async fn drive_steps(&self, arn: &str) -> Vec<StepOutcome> {
        self.drive_step_results(arn)
            .await
            .into_iter()
            .map(|(_, outcome)| outcome.unwrap())
            .collect()
    }

    /// [`Self::drive_steps`] with failed steps left on the queue, each outcome with its message.
    async fn drive_step_results(
        &self,
        arn: &str,
    ) -> Vec<(StepMessage, Result<StepOutcome, String>)> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut outcomes = Vec::new();
        loop {
            assert!(Instant::now() < deadline, "{arn} did not end within 60 s");
            for message in self.receive().await {
                let step: StepMessage = serde_json::from_str(message.body().unwrap()).unwrap();
                let outcome = self.service.step(&step).await.map_err(|e| e.to_string());
                if outcome.is_ok() {
                    self.delete(&message).await;
                }
                outcomes.push((step, outcome));
            }
            if let Some(record) = self.record(arn).await {
                if record.is_terminal() && record.status_event_sent {
                    return outcomes;
                }
            }
        }
    }

    /// Every execution record in the table.
    async fn records(&self) -> Vec<ExecutionRecord> {
        let dynamo = aws_sdk_dynamodb::Client::new(&self.sdk);
        let items = dynamo
            .scan()
            .table_name(&self.resources.table)
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default();
        let mut records = Vec::new();
        for item in items {
            let sk = item["sk"].as_s().unwrap();
            let pk = item["pk"].as_s().unwrap();
            if sk == "RECORD" {
                let arn = pk.strip_prefix("EX#").unwrap();
                records.push(self.record(arn).await.unwrap());
            }
        }
        records
    }

    /// Exactly one execution record: this one, ended with `status`.
    async fn assert_only_record(&self, arn: &str, status: &str) {
        let records = self.records().await;
        assert_eq!(records.len(), 1, "{records:#?}");
        assert_eq!(records[0].arn, arn);
        assert_eq!(records[0].status, status);
        assert!(records.iter().all(|r| r.status != "RUNNING"));
    }
}

#[derive(Debug, Clone, Copy)]
enum Delivery {
    /// Each batch to one worker.
    Once,
    /// Each batch to one worker twice (SQS's at-least-once delivery).
    Twice,
    /// Each batch to two workers at once.
    Race,
}

/// The event Lambda's SQS event source mapping gives the worker for `messages`.
fn sqs_event(messages: &[Message], queue_arn: &str) -> SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .cloned()
                .unwrap_or_else(|| "1".into());
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "md5OfBody": m.md5_of_body(),
                "attributes": {"ApproximateReceiveCount": count},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn failures(responses: &[SqsBatchResponse]) -> HashSet<String> {
    responses
        .iter()
        .flat_map(|r| r.batch_item_failures.iter())
        .map(|f| f.item_identifier.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The workflows.

/// Everything the asynchronous path does: a retried Lambda task, a Wait, a Map of Lambda
/// tasks, a Parallel, and a caught task failure.
fn full_workflow() -> Value {
    json!({
        "StartAt": "Charge",
        "States": {
            "Charge": {"Type": "Task", "Resource": function("flaky"),
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
                "ResultPath": "$.charge", "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
            "Fan": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Item", "States": {
                "Item": {"Type": "Task", "Resource": function("echo"), "End": true}}},
                "ResultPath": "$.mapped", "Next": "Both"},
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": function("echo"),
                    "Parameters": {"b": 2}, "End": true}}}
            ], "ResultPath": "$.both", "Next": "Risky"},
            "Risky": {"Type": "Task", "Resource": function("reject"),
                "Catch": [{"ErrorEquals": ["OrderError"], "ResultPath": "$.caught", "Next": "Done"}],
                "End": true},
            "Done": {"Type": "Pass", "End": true}
        }
    })
}

fn assert_full_output(output: &Value) {
    assert_eq!(output["items"], json!([1, 2, 3]));
    assert_eq!(output["charge"], json!({"ok": true}));
    assert_eq!(
        output["mapped"],
        json!([{"echo": 1}, {"echo": 2}, {"echo": 3}])
    );
    assert_eq!(output["both"], json!(["a", {"echo": {"b": 2}}]));
    assert_eq!(output["caught"]["Error"], "OrderError");
    assert_eq!(
        output["caught"]["Cause"],
        r#"{"errorType":"OrderError","errorMessage":"no such order"}"#
    );
}

/// Runs the full workflow asynchronously under `delivery`, with the store's first
/// `fail_puts` conditional writes failing; checks the outcome and returns the call counts.
async fn run_full(delivery: Delivery, fail_puts: u32) -> Tally {
    let h = Harness::start().await;
    h.service
        .put_state_machine("orders", &full_workflow())
        .await
        .unwrap();
    h.counts.reset();
    h.service.store.fail_puts.store(fail_puts, Ordering::SeqCst);
    let started = h
        .service
        .start_async("orders", Some("o1"), json!({"items": [1, 2, 3]}))
        .await
        .unwrap();
    assert!(started.new);
    let record = h.drive(&started.execution_arn, delivery).await;
    assert_eq!(record.status, "SUCCEEDED", "{record:#?}");
    assert_full_output(record.output.as_ref().unwrap());
    assert_eq!(h.service.store.fail_puts.load(Ordering::SeqCst), 0);
    h.assert_only_record(&started.execution_arn, "SUCCEEDED")
        .await;
    let tally = h.counts.tally();
    println!("{delivery:?} delivery, {fail_puts} failed write(s): {tally:?}");
    tally
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn sync_executions_return_lambda_results_and_publish_failures() {
    let h = Harness::start().await;
    let sink = h.event_sink().await;
    h.service
        .put_state_machine(
            "echo",
            &json!({"StartAt": "Call", "States": {"Call": {"Type": "Task",
                "Resource": function("echo"), "End": true}}}),
        )
        .await
        .unwrap();
    h.service
        .put_state_machine(
            "reject",
            &json!({"StartAt": "Call", "States": {"Call": {"Type": "Task",
                "Resource": function("reject"), "End": true}}}),
        )
        .await
        .unwrap();

    let ok = h
        .service
        .start_sync("echo", Some("s1"), json!({"order": 7}), None)
        .await
        .unwrap();
    assert_eq!(ok["status"], "SUCCEEDED");
    let output: Value = serde_json::from_str(ok["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"echo": {"order": 7}}));

    let failed = h
        .service
        .start_sync("reject", Some("s2"), json!({"order": 8}), None)
        .await
        .unwrap();
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["error"], "OrderError");
    assert_eq!(
        failed["cause"],
        r#"{"errorType":"OrderError","errorMessage":"no such order"}"#
    );
    // Synchronous executions are answered, not stored.
    assert!(h.records().await.is_empty());

    // One failure event (none for the success), on the bus.
    let messages = h
        .sqs
        .receive_message()
        .queue_url(&sink)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let event: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(event["source"], "quickstep");
    assert_eq!(event["detail-type"], "Execution Status Change");
    assert_eq!(event["detail"]["status"], "FAILED");
    assert_eq!(event["detail"]["executionArn"], failed["executionArn"]);
    assert_eq!(event["detail"]["error"], "OrderError");
}

#[tokio::test]
async fn async_execution_runs_retries_waits_maps_parallels_and_catches() {
    let tally = run_full(Delivery::Once, 0).await;
    // One create and one send to start; then one send and one conditional write per durable
    // step, and one more write when it ends (the end handled).
    assert_eq!(tally.creates, 1);
    assert!(tally.conditional_writes >= 2, "{tally:?}");
}

#[tokio::test]
async fn async_execution_survives_duplicate_deliveries() {
    run_full(Delivery::Twice, 0).await;
}

#[tokio::test]
async fn async_execution_survives_racing_workers() {
    run_full(Delivery::Race, 0).await;
}

#[tokio::test]
async fn async_execution_survives_a_crash_between_send_and_write() {
    // The first step's write fails after its next message was sent: the message naming a
    // version that was never written is dropped, the failed one reappears and is redone.
    let tally = run_full(Delivery::Once, 1).await;
    assert!(tally.sends >= 2, "{tally:?}");
}

#[tokio::test]
async fn a_crashed_steps_early_message_is_harmless() {
    // Step by step. The crashed step sent its next message (version v+1) before its write
    // failed. The redo of its message writes v+1 too, so that early message is harmless either
    // way: arriving before the redo it is dropped (v+1 not written yet); arriving after, it is
    // a duplicate of the redo's own message, and whichever of the two comes second is dropped.
    let h = Harness::start().await;
    h.service
        .put_state_machine("orders", &full_workflow())
        .await
        .unwrap();
    let started = h
        .service
        .start_async("orders", Some("o1"), json!({"items": [1, 2, 3]}))
        .await
        .unwrap();
    h.service.store.fail_puts.store(1, Ordering::SeqCst);
    let outcomes = h.drive_step_results(&started.execution_arn).await;
    for (message, outcome) in &outcomes {
        println!("v{}: {outcome:?}", message.version);
    }
    assert!(outcomes[0].1.is_err(), "{outcomes:?}");
    let record = h.record(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, "SUCCEEDED");
    assert_full_output(record.output.as_ref().unwrap());
    h.assert_only_record(&started.execution_arn, "SUCCEEDED")
        .await;
}

#[tokio::test]
async fn async_execution_retries_throttled_lambda_calls() {
    let h = Harness::start().await;
    h.service
        .put_state_machine(
            "throttled",
            &json!({"StartAt": "Call", "States": {"Call": {"Type": "Task",
                "Resource": function("throttled"),
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"],
                           "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
                "End": true}}}),
        )
        .await
        .unwrap();
    let started = h
        .service
        .start_async("throttled", Some("t1"), json!({}))
        .await
        .unwrap();
    let record = h.drive(&started.execution_arn, Delivery::Once).await;
    assert_eq!(record.status, "SUCCEEDED", "{record:#?}");
    assert_eq!(record.output, Some(json!({"ok": "after throttling"})));
    h.assert_only_record(&started.execution_arn, "SUCCEEDED")
        .await;
}

#[tokio::test]
async fn async_steps_cost_one_write_and_one_send_each() {
    let h = Harness::start().await;
    // Pass and Choice stretches around one Lambda task and one Wait: two durable steps.
    h.service
        .put_state_machine(
            "count",
            &json!({"StartAt": "Prepare", "States": {
                "Prepare": {"Type": "Pass", "Result": {"go": true}, "Next": "Route"},
                "Route": {"Type": "Choice", "Choices": [
                    {"Variable": "$.go", "BooleanEquals": true, "Next": "Call"}], "Default": "Stop"},
                "Call": {"Type": "Task", "Resource": function("echo"), "Next": "Shape"},
                "Shape": {"Type": "Pass", "Parameters": {"v.$": "$.echo.go"}, "Next": "Again"},
                "Again": {"Type": "Choice", "Choices": [
                    {"Variable": "$.v", "BooleanEquals": true, "Next": "Nap"}], "Default": "Stop"},
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Last"},
                "Last": {"Type": "Pass", "Next": "Stop"},
                "Stop": {"Type": "Succeed"}
            }}),
        )
        .await
        .unwrap();
    h.counts.reset();
    let started = h
        .service
        .start_async("count", Some("c1"), json!({}))
        .await
        .unwrap();
    let at_start = h.counts.tally();
    println!("start: {at_start:?}");
    assert_eq!(
        at_start,
        Tally {
            // No read of the execution: the conditional create tells a taken name.
            machine_reads: 1,
            execution_reads: 0,
            creates: 1,
            conditional_writes: 0,
            sends: 1,
        }
    );
    let outcomes = h.drive_steps(&started.execution_arn).await;
    let total = h.counts.tally();
    println!("steps: {outcomes:?}");
    println!("total: {total:?}");
    let advanced = outcomes
        .iter()
        .filter(|o| matches!(o, StepOutcome::Advanced { .. }))
        .count();
    let rescheduled = outcomes
        .iter()
        .filter(|o| matches!(o, StepOutcome::Rescheduled { .. }))
        .count();
    assert_eq!(advanced, 2, "{outcomes:?}");
    let record = h.record(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(record.output, Some(json!({"v": true})));
    // Each step message costs one read; each durable step one conditional write and (unless
    // it ended the execution) one send; a success no second write (it has no event to mark
    // as published). Nothing for the Pass and Choice states in between.
    let n = |x: usize| u32::try_from(x).unwrap();
    assert_eq!(
        total.execution_reads - at_start.execution_reads,
        n(outcomes.len())
    );
    assert_eq!(total.conditional_writes, n(advanced));
    assert_eq!(total.sends - at_start.sends, n(advanced - 1 + rescheduled));
    assert_eq!(total.creates, 1);
    assert_eq!(total.machine_reads, 1);
    h.assert_only_record(&started.execution_arn, "SUCCEEDED")
        .await;
}

#[tokio::test]
async fn a_step_that_keeps_failing_ends_in_the_dead_letter_queue_and_fails_its_execution() {
    let h = Harness::with_max_receive_count(2).await;
    let sink = h.event_sink().await;
    h.service
        .put_state_machine(
            "doomed",
            &json!({"StartAt": "Call", "States": {"Call": {"Type": "Task",
                "Resource": function("echo"), "End": true}}}),
        )
        .await
        .unwrap();
    let started = h
        .service
        .start_async("doomed", Some("d1"), json!({}))
        .await
        .unwrap();
    // Both receives SQS allows the step message fail at the write; SQS then moves it to the
    // dead-letter queue, whose handler ends the execution.
    h.service.store.fail_puts.store(2, Ordering::SeqCst);
    let record = h.drive(&started.execution_arn, Delivery::Once).await;
    assert_eq!(record.status, "FAILED", "{record:#?}");
    assert_eq!(record.error.as_deref(), Some("States.Runtime"));
    assert_eq!(h.service.store.fail_puts.load(Ordering::SeqCst), 0);
    h.assert_only_record(&started.execution_arn, "FAILED").await;
    let messages = h
        .sqs
        .receive_message()
        .queue_url(&sink)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let event: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(event["detail"]["status"], "FAILED");
    assert_eq!(event["detail"]["error"], "States.Runtime");
    assert_eq!(
        event["detail"]["executionArn"],
        json!(started.execution_arn)
    );
}

#[tokio::test]
async fn sqs_send_message_and_eventbridge_put_events_run_as_tasks() {
    let h = Harness::start().await;
    let sink = h.event_sink().await;
    let outbox = h
        .sqs
        .create_queue()
        .queue_name("outbox")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    h.service
        .put_state_machine(
            "notify",
            &json!({"StartAt": "Send", "States": {
                "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                         "Parameters": {"QueueUrl": outbox, "MessageBody": {"order.$": "$.order"}},
                         "ResultPath": "$.sent", "Next": "Announce"},
                "Announce": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                             "Parameters": {"Entries": [{"Source": "quickstep", "DetailType": "Order Noted",
                                            "EventBusName": BUS, "Detail": {"order.$": "$.order"}}]},
                             "ResultPath": "$.announced", "End": true}}}),
        )
        .await
        .unwrap();
    let response = h
        .service
        .start_sync("notify", Some("n1"), json!({"order": 42}), None)
        .await
        .unwrap();
    assert_eq!(response["status"], "SUCCEEDED", "{response}");
    let output: Value = serde_json::from_str(response["output"].as_str().unwrap()).unwrap();
    assert!(output["sent"]["MessageId"].is_string(), "{output}");
    assert!(output["sent"]["MD5OfMessageBody"].is_string(), "{output}");
    assert_eq!(output["announced"]["FailedEntryCount"], 0);
    assert!(
        output["announced"]["Entries"][0]["EventId"].is_string(),
        "{output}"
    );
    let sent = h.receive_from(&outbox, 2).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(sent[0].body().unwrap()).unwrap(),
        json!({"order": 42})
    );
    let announced = h.receive_from(&sink, 2).await;
    let event: Value = serde_json::from_str(announced[0].body().unwrap()).unwrap();
    assert_eq!(
        (event["detail-type"].as_str(), &event["detail"]),
        (Some("Order Noted"), &json!({"order": 42}))
    );

    // A queue that does not exist: an SQS error named as Step Functions names it.
    h.service
        .put_state_machine(
            "lost",
            &json!({"StartAt": "Send", "States": {"Send": {"Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "http://127.0.0.1:1/123456789012/nowhere", "MessageBody": "x"},
                "End": true}}}),
        )
        .await
        .unwrap();
    let failed = h
        .service
        .start_sync("lost", Some("l1"), json!({}), None)
        .await
        .unwrap();
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().starts_with("SQS."),
        "{failed}"
    );
}
