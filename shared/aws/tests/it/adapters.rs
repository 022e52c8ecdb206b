//! The AWS adapters against real service emulation: moto's server on loopback (DynamoDB, SQS,
//! EventBridge), one per test, started and killed by the test itself; and the Lambda invoker
//! against a small fake of Lambda's Invoke endpoint.

use std::time::Duration;

use aws_config::SdkConfig;
use quickstep_aws::events::EventBridgePublisher;
use quickstep_aws::lambda::LambdaInvoker;
use quickstep_aws::queue::SqsQueue;
use quickstep_aws::setup::{create_resources, Resources};
use quickstep_aws::store::DynamoStore;
use quickstep_engine::definition::StateMachine;
use quickstep_engine::execution::{start, ExecutionInfo, HistoryEvent, Options, TaskRequest};
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::ports::{Created, EventPublisher, PortError, StepQueue, Store};
use quickstep_service::records::{
    Alias, Asked, ExecutionRecord, MachineSettings, MachineType, Published, StatusChange,
    StepMessage, Tags, Version,
};
use quickstep_testing::http::{serve, Reply};
use quickstep_testing::moto::{free_port, sdk_config, Moto};
use serde_json::{json, Value};

async fn resources(sdk: &SdkConfig) -> Resources {
    create_resources(sdk, "quickstep", "steps", "steps-dlq", "quickstep-bus", 5)
        .await
        .unwrap()
}

/// An execution record as the service makes it, with `input` as the record's input (the
/// snapshot starts from `{}`, so a large input is in the record once, not in every event).
fn record(name: &str, input: Value) -> ExecutionRecord {
    let machine = StateMachine::from_json(&json!({
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
    }))
    .unwrap();
    let info = ExecutionInfo::local("M", name, json!({}), 1_000);
    let (snapshot, _) = start(&machine, info, Options::default(), 7, 1_000);
    ExecutionRecord {
        arn: snapshot.execution.execution_arn.clone(),
        name: name.to_owned(),
        state_machine_name: "M".into(),
        state_machine_arn: snapshot.execution.state_machine_arn.clone(),
        revision: 1,
        status: "RUNNING".into(),
        input,
        output: None,
        error: None,
        cause: None,
        start_date: 1_000,
        stop_date: None,
        status_event_sent: false,
        snapshot,
        pending: Vec::new(),
        callbacks: Vec::new(),
        dispatch: std::collections::BTreeMap::new(),
        claim: 0,
        depth: 0,
        version_arn: None,
        alias_arn: None,
        redrive_tokens: Vec::new(),
        log: Default::default(),
        logged_events: 0,
        stored_history: Default::default(),
    }
}

fn json_of(record: &ExecutionRecord) -> Value {
    serde_json::to_value(record).unwrap()
}

#[tokio::test]
async fn setup_is_idempotent_and_enables_ttl() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let first = resources(&sdk).await;
    let second = resources(&sdk).await;
    assert_eq!(first, second);
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let ttl = dynamo
        .describe_time_to_live()
        .table_name("quickstep")
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expiresAt"));
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&first.step_queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap();
    let redrive: Value = serde_json::from_str(
        attributes
            .attributes()
            .unwrap()
            .get(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], json!(first.dlq_arn));
    assert!(first.bus_arn.ends_with(":event-bus/quickstep-bus"));
}

#[tokio::test]
async fn store_keeps_state_machine_revisions() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "quickstep");
    assert_eq!(store.get_state_machine("M").await.unwrap(), None);
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
    let mut revisions = Vec::new();
    for i in 0..11 {
        revisions.push(
            store
                .put_state_machine("M", arn, &json!({"v": i}), &Asked::default(), 100 + i)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        revisions.iter().map(|r| r.revision).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
    let current = store.get_state_machine("M").await.unwrap().unwrap();
    assert_eq!(current, revisions[10]);
    assert_eq!(current.definition, json!({"v": 10}));
    let second = store.get_revision("M", 2).await.unwrap().unwrap();
    assert_eq!(second.definition, json!({"v": 1}));
    assert_eq!(second.created, 101);
    assert_eq!(store.get_revision("M", 12).await.unwrap(), None);
    assert_eq!(store.get_state_machine("Other").await.unwrap(), None);
}

#[tokio::test]
async fn store_lists_and_deletes_state_machines_through_its_index() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "quickstep");
    let arn = |name: &str| format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}");
    for (i, name) in ["delta", "alpha", "charlie", "bravo"]
        .into_iter()
        .enumerate()
    {
        let created = 100 + i64::try_from(i).unwrap();
        store
            .put_state_machine(
                name,
                &arn(name),
                &json!({"v": 1}),
                &Asked {
                    machine_type: Some(MachineType::Standard),
                    settings: MachineSettings {
                        role_arn: Some(format!("arn:aws:iam::1:role/{name}")),
                        ..MachineSettings::default()
                    },
                },
                created,
            )
            .await
            .unwrap();
        // An update is a revision, not another state machine; it keeps the type and role.
        let updated = store
            .put_state_machine(name, &arn(name), &json!({"v": 2}), &Asked::default(), 500)
            .await
            .unwrap();
        assert_eq!(
            store.get_state_machine(name).await.unwrap().as_ref(),
            Some(&updated)
        );
        assert_eq!(
            updated.settings.role_arn,
            Some(format!("arn:aws:iam::1:role/{name}"))
        );
    }
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_state_machines(after.as_deref(), 3)
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        names.extend(page.items.iter().map(|m| (m.name.clone(), m.created)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        names,
        [
            ("alpha", 101),
            ("bravo", 103),
            ("charlie", 102),
            ("delta", 100)
        ]
        .map(|(n, c)| (n.to_owned(), c))
    );

    store
        .delete_state_machine("bravo", &arn("bravo"), 900)
        .await
        .unwrap();
    store
        .delete_state_machine("bravo", &arn("bravo"), 901)
        .await
        .unwrap();
    store
        .delete_state_machine("never", &arn("never"), 902)
        .await
        .unwrap();
    assert_eq!(store.get_state_machine("bravo").await.unwrap(), None);
    assert_eq!(store.get_state_machine("never").await.unwrap(), None);
    // Its revisions stay for the executions that run them; a deletion marker follows them.
    assert_eq!(
        store
            .get_revision("bravo", 2)
            .await
            .unwrap()
            .unwrap()
            .definition,
        json!({"v": 2})
    );
    assert!(
        store
            .get_revision("bravo", 3)
            .await
            .unwrap()
            .unwrap()
            .deleted
    );
    let listed = store.list_state_machines(None, 10).await.unwrap();
    let listed: Vec<&str> = listed.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(listed, ["alpha", "charlie", "delta"]);

    // Created again: numbered after the marker, listed with its new creation date.
    let again = store
        .put_state_machine(
            "bravo",
            &arn("bravo"),
            &json!({"v": 3}),
            &Asked::default(),
            1000,
        )
        .await
        .unwrap();
    assert_eq!(again.revision, 4);
    assert_eq!(
        store.get_state_machine("bravo").await.unwrap().unwrap(),
        again
    );
    // Tags: written conditionally on their version, deleted with the state machine.
    assert_eq!(store.get_tags("alpha").await.unwrap(), Tags::default());
    let tags = std::collections::BTreeMap::from([("team".to_owned(), "a".to_owned())]);
    store.put_tags("alpha", &tags, 0).await.unwrap();
    assert_eq!(
        store.put_tags("alpha", &tags, 0).await,
        Err(PortError::Conflict)
    );
    let stored = store.get_tags("alpha").await.unwrap();
    assert_eq!((stored.version, &stored.tags), (1, &tags));
    store
        .put_tags("alpha", &std::collections::BTreeMap::new(), 1)
        .await
        .unwrap();
    assert!(store.get_tags("alpha").await.unwrap().tags.is_empty());
    store.put_tags("charlie", &tags, 0).await.unwrap();
    store
        .delete_state_machine("charlie", &arn("charlie"), 950)
        .await
        .unwrap();
    assert_eq!(store.get_tags("charlie").await.unwrap(), Tags::default());
    // Versions and aliases: one document, written the same way, deleted with the machine.
    assert_eq!(
        store.get_published("alpha").await.unwrap(),
        Published::default()
    );
    let mut published = Published {
        last_number: 1,
        versions: vec![Version {
            number: 1,
            revision: 2,
            description: Some("first".into()),
            created: 700,
        }],
        ..Published::default()
    };
    published.aliases.insert(
        "live".into(),
        Alias {
            description: None,
            routing: vec![(1, 100)],
            created: 701,
            updated: 702,
        },
    );
    store.put_published("alpha", &published).await.unwrap();
    assert_eq!(
        store.put_published("alpha", &published).await,
        Err(PortError::Conflict)
    );
    let stored = store.get_published("alpha").await.unwrap();
    assert_eq!(
        stored,
        Published {
            version: 1,
            ..published.clone()
        }
    );
    store
        .put_state_machine(
            "charlie",
            &arn("charlie"),
            &json!({"v": 8}),
            &Asked::default(),
            952,
        )
        .await
        .unwrap();
    store.put_published("charlie", &published).await.unwrap();
    store
        .delete_state_machine("charlie", &arn("charlie"), 955)
        .await
        .unwrap();
    assert_eq!(
        store.get_published("charlie").await.unwrap(),
        Published::default()
    );
    store
        .put_state_machine(
            "charlie",
            &arn("charlie"),
            &json!({"v": 9}),
            &Asked::default(),
            960,
        )
        .await
        .unwrap();

    let listed = store.list_state_machines(Some("alpha"), 1).await.unwrap();
    assert_eq!(listed.items[0].name, "bravo");
    assert_eq!(listed.items[0].created, 1000);
    // Created again without a type: Express, the default; the others kept theirs through updates.
    assert_eq!(listed.items[0].machine_type, MachineType::Express);
    let alpha = store.list_state_machines(None, 1).await.unwrap();
    assert_eq!(alpha.items[0].machine_type, MachineType::Standard);
    assert_eq!(
        store
            .get_state_machine("alpha")
            .await
            .unwrap()
            .unwrap()
            .machine_type,
        MachineType::Standard
    );
    assert_eq!(listed.next.as_deref(), Some("bravo"));
}

#[tokio::test]
async fn store_lists_executions_newest_first_by_status() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "quickstep");
    let mut arns = Vec::new();
    for i in 0..7_i64 {
        let mut execution = record(&format!("run-{i}"), json!({"n": i}));
        execution.start_date = 1_000 + i * 10;
        store.create_execution(&mut execution).await.unwrap();
        if i == 6 {
            // Started through an alias: the version and alias reach the index.
            execution.version_arn = Some("arn:v:1".into());
            execution.alias_arn = Some("arn:a:live".into());
        }
        if i % 2 == 0 {
            // Ended: the status and stop date reach the index with the write.
            let version = execution.version();
            execution.status = "SUCCEEDED".into();
            execution.stop_date = Some(execution.start_date + 5);
            execution.snapshot.version += 1;
            store
                .put_execution_if_version(&mut execution, version)
                .await
                .unwrap();
        }
        arns.push(execution.arn.clone());
    }
    let page_through = |status: Option<&'static str>, size: usize| {
        let store = &store;
        async move {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = store
                    .list_executions("M", status, after.as_deref(), size)
                    .await
                    .unwrap();
                assert!(page.items.len() <= size);
                seen.extend(page.items);
                match page.next {
                    Some(next) => after = Some(next),
                    None => return seen,
                }
            }
        }
    };
    let all = page_through(None, 3).await;
    let listed: Vec<&str> = all.iter().map(|e| e.arn.as_str()).collect();
    let newest_first: Vec<&str> = arns.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert_eq!(all[0].start_date, 1_060);
    assert_eq!(all[0].status, "SUCCEEDED");
    assert_eq!(all[0].stop_date, Some(1_065));
    assert_eq!(all[0].version_arn.as_deref(), Some("arn:v:1"));
    assert_eq!(all[0].alias_arn.as_deref(), Some("arn:a:live"));
    assert_eq!(all[1].status, "RUNNING");
    assert_eq!(all[1].stop_date, None);
    assert_eq!((&all[1].version_arn, &all[1].alias_arn), (&None, &None));

    let running = page_through(Some("RUNNING"), 2).await;
    let running: Vec<&str> = running.iter().map(|e| e.arn.as_str()).collect();
    assert_eq!(running, [&arns[5], &arns[3], &arns[1]].map(String::as_str));
    assert!(page_through(Some("FAILED"), 2).await.is_empty());
    assert!(store
        .list_executions("Other", None, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn store_creates_executions_once_and_writes_by_version() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(dynamo.clone(), "quickstep");
    let mut first = record("e1", json!({"n": 1}));
    assert!(store.get_execution(&first.arn).await.unwrap().is_none());
    assert!(matches!(
        store.create_execution(&mut first).await.unwrap(),
        Created::New
    ));
    let mut again = record("e1", json!({"n": 2}));
    match store.create_execution(&mut again).await.unwrap() {
        Created::Existing(existing) => assert_eq!(json_of(&existing), json_of(&first)),
        Created::New => panic!("created twice"),
    }

    let v = first.version();
    let mut next = first.clone();
    next.snapshot.version = v + 1;
    next.status = "SUCCEEDED".into();
    next.output = Some(json!({"done": true}));
    store.put_execution_if_version(&mut next, v).await.unwrap();
    let stored = store.get_execution(&first.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&stored), json_of(&next));
    // The writer that read version v too loses.
    let mut stale = first.clone();
    stale.snapshot.version = v + 1;
    assert_eq!(
        store.put_execution_if_version(&mut stale, v).await,
        Err(PortError::Conflict)
    );
    // Replacing a missing execution is a conflict too.
    let mut missing = record("nobody", json!({}));
    assert_eq!(
        store.put_execution_if_version(&mut missing, 0).await,
        Err(PortError::Conflict)
    );

    // The item expires about 90 days from now.
    let item = dynamo
        .get_item()
        .table_name("quickstep")
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("EX#{}", first.arn)),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("RECORD".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let expires: u64 = item["expiresAt"].as_n().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 89 * 86_400..=now + 91 * 86_400).contains(&expires));
    assert_eq!(item["version"].as_n().unwrap(), &(v + 1).to_string());
}

/// How many part items the execution has (queried page by page: pages hold 1 MB).
async fn part_count(dynamo: &aws_sdk_dynamodb::Client, arn: &str) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut count = 0;
    let mut start = None;
    loop {
        let out = dynamo
            .query()
            .table_name("quickstep")
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("EX#{arn}")))
            .expression_attribute_values(":p", AttributeValue::S("PART#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        count += out.items().len();
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return count,
        }
    }
}

/// `chars` characters that deflate poorly (a seeded xorshift over letters, digits and a few
/// multi-byte characters).
fn noise(chars: usize, seed: u64) -> String {
    const ALPHABET: [char; 40] = [
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
        's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
        'é', 'ü', '€', '😀',
    ];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..chars)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[(state % 40) as usize]
        })
        .collect()
}

/// How long the record is deflated, as the store keeps it.
fn deflated_len(record: &ExecutionRecord) -> usize {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(serde_json::to_string(record).unwrap().as_bytes())
        .unwrap();
    encoder.finish().unwrap().len()
}

#[tokio::test]
async fn store_keeps_large_records_in_parts() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(dynamo.clone(), "quickstep");
    // Records are stored deflated: text that does not deflate, about 1 MB of it.
    let mut big = record("big", json!({"text": noise(1_000_000, 1)}));
    assert!(deflated_len(&big) > 2 * 350_000);
    assert!(matches!(
        store.create_execution(&mut big).await.unwrap(),
        Created::New
    ));
    let read = store.get_execution(&big.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&big));
    let parts = part_count(&dynamo, &big.arn).await;
    assert!(parts >= 3, "{parts} parts");
    // Creating it again returns the stored one and leaves no parts behind.
    assert!(matches!(
        store.create_execution(&mut big).await.unwrap(),
        Created::Existing(_)
    ));
    assert_eq!(part_count(&dynamo, &big.arn).await, parts);

    // A new version in parts replaces the old parts; a small one removes them.
    let v = big.version();
    let mut bigger = big.clone();
    bigger.snapshot.version = v + 1;
    bigger.output = Some(json!(noise(800_000, 2)));
    store
        .put_execution_if_version(&mut bigger, v)
        .await
        .unwrap();
    let read = store.get_execution(&big.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&bigger));
    // Read with its history, from the parts too.
    let whole = store
        .get_execution_with_history(&big.arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ids(&whole),
        (1..=bigger.snapshot.events()).collect::<Vec<_>>()
    );
    assert_eq!(whole.output, bigger.output);
    let bigger_parts = part_count(&dynamo, &big.arn).await;
    assert!(bigger_parts > parts);
    // A lost race leaves the stored parts as they were.
    assert_eq!(
        store.put_execution_if_version(&mut bigger, v).await,
        Err(PortError::Conflict)
    );
    assert_eq!(part_count(&dynamo, &big.arn).await, bigger_parts);
    let mut small = record("big", json!({}));
    small.snapshot.version = v + 2;
    store
        .put_execution_if_version(&mut small, v + 1)
        .await
        .unwrap();
    let read = store.get_execution(&big.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&small));
    assert_eq!(part_count(&dynamo, &big.arn).await, 0);

    // Too large for the store: refused, naming the limit, not a crash.
    // (JSON past 22 MB, however well it deflates: a 128 MB function must read what it wrote.)
    let mut huge = record("huge", json!({"text": "x".repeat(23_000_000)}));
    match store.create_execution(&mut huge).await {
        Err(PortError::Terminal(message)) => {
            assert!(message.contains("States.DataLimitExceeded"), "{message}");
        }
        other => panic!("expected a terminal error, got {other:?}"),
    }
}

/// Records written before records were deflated (JSON text in `record`, or in string parts)
/// are read as they are, and the next write replaces them deflated.
#[tokio::test]
async fn store_reads_records_written_as_json_text() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(dynamo.clone(), "quickstep");
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let put = |item: Vec<(&str, AttributeValue)>| {
        let request = dynamo.put_item().table_name("quickstep");
        item.into_iter()
            .fold(request, |r, (k, v)| r.item(k, v))
            .send()
    };

    let inline = record("inline", json!({"order": "A-1"}));
    let json = serde_json::to_string(&inline).unwrap();
    put(vec![
        ("pk", s(&format!("EX#{}", inline.arn))),
        ("sk", s("RECORD")),
        ("version", AttributeValue::N(inline.version().to_string())),
        ("status", s(&inline.status)),
        ("record", s(&json)),
    ])
    .await
    .unwrap();
    let read = store.get_execution(&inline.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&inline));

    let parted = record("parted", json!({"text": "é".repeat(1000)}));
    let json = serde_json::to_string(&parted).unwrap();
    let middle = json.char_indices().nth(json.chars().count() / 2).unwrap().0;
    let pk = format!("EX#{}", parted.arn);
    for (i, slice) in [&json[..middle], &json[middle..]].into_iter().enumerate() {
        put(vec![
            ("pk", s(&pk)),
            ("sk", s(&format!("PART#old#{i:04}"))),
            ("data", s(slice)),
        ])
        .await
        .unwrap();
    }
    put(vec![
        ("pk", s(&pk)),
        ("sk", s("RECORD")),
        ("version", AttributeValue::N(parted.version().to_string())),
        ("status", s(&parted.status)),
        ("parts", AttributeValue::N("2".into())),
        ("partsKey", s("PART#old#")),
    ])
    .await
    .unwrap();
    let read = store.get_execution(&parted.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&parted));

    // The next write stores it deflated, and it reads back the same.
    let mut next = read.clone();
    next.snapshot.version += 1;
    store
        .put_execution_if_version(&mut next, read.version())
        .await
        .unwrap();
    let item = dynamo
        .get_item()
        .table_name("quickstep")
        .key("pk", s(&pk))
        .key("sk", s("RECORD"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(item["record"].is_b(), "{item:?}");
    let read = store.get_execution(&parted.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&read), json_of(&next));
    // Its history, in the record as before histories were stored apart (and short enough to
    // stay there), reads back whole.
    let whole = store
        .get_execution_with_history(&parted.arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&whole.snapshot.history).unwrap(),
        serde_json::to_value(&parted.snapshot.history).unwrap()
    );
}

fn ids(record: &ExecutionRecord) -> Vec<u64> {
    record.snapshot.history.iter().map(|e| e.id).collect()
}

/// History events `ids`, as a step of the engine would add them, each with `bytes` of input
/// that does not deflate.
fn events(ids: std::ops::RangeInclusive<u64>, state: &str, bytes: usize) -> Vec<HistoryEvent> {
    ids.map(|id| HistoryEvent {
        id,
        previous_event_id: id - 1,
        timestamp: 2_000,
        kind: "PassStateEntered".into(),
        name: Some(state.into()),
        details: Some(json!({"stateEnteredEventDetails": {
            "name": state, "input": noise(bytes, id)
        }})),
    })
    .collect()
}

/// How many history batch items the execution has.
async fn batch_items(dynamo: &aws_sdk_dynamodb::Client, arn: &str) -> i32 {
    use aws_sdk_dynamodb::types::AttributeValue;
    dynamo
        .query()
        .table_name("quickstep")
        .key_condition_expression("pk = :pk AND begins_with(sk, :h)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("EX#{arn}")))
        .expression_attribute_values(":h", AttributeValue::S("H#".into()))
        .send()
        .await
        .unwrap()
        .count
}

/// A short history stays in the record's item, where it costs nothing more; a longer one is
/// written apart, each write storing only its own events; a reader of the history gets
/// exactly those of the writes that won.
#[tokio::test]
async fn store_keeps_the_history_apart_and_reads_it_whole() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(dynamo.clone(), "quickstep");
    let mut execution = record("h", json!({}));
    let started = execution.snapshot.history.clone();
    let n = execution.snapshot.events();
    assert!(n >= 2 && started.len() as u64 == n);
    store.create_execution(&mut execution).await.unwrap();
    // A few small events ride in the record's item.
    assert_eq!(ids(&execution), (1..=n).collect::<Vec<_>>());
    assert_eq!(execution.stored_history.events, 0);
    assert_eq!(batch_items(&dynamo, &execution.arn).await, 0);
    let head = store.get_execution(&execution.arn).await.unwrap().unwrap();
    assert_eq!(json_of(&head), json_of(&execution));

    // Two writers from the same version, each with its own next events, too large to ride
    // in the record: one wins.
    let v = head.version();
    let mut winner = head.clone();
    winner.snapshot.version = v + 1;
    winner
        .snapshot
        .history
        .extend(events(n + 1..=n + 2, "Won", 12_000));
    let mut loser = head.clone();
    loser.snapshot.version = v + 1;
    loser
        .snapshot
        .history
        .extend(events(n + 1..=n + 3, "Lost", 12_000));
    store
        .put_execution_if_version(&mut winner, v)
        .await
        .unwrap();
    // Written apart, with the events that rode in the record before.
    assert!(winner.snapshot.history.is_empty());
    assert_eq!(winner.stored_history.events, n + 2);
    assert_eq!(
        store.put_execution_if_version(&mut loser, v).await,
        Err(PortError::Conflict)
    );
    // The loser's record is as it was, its events still to be written; its batch is gone.
    assert_eq!(ids(&loser), (1..=n + 3).collect::<Vec<_>>());
    assert_eq!(loser.stored_history, head.stored_history);
    assert_eq!(batch_items(&dynamo, &execution.arn).await, 1);

    // A write with no new events writes no batch and keeps the chain; a small event rides.
    let mut again = store.get_execution(&execution.arn).await.unwrap().unwrap();
    assert!(again.snapshot.history.is_empty());
    again.snapshot.version += 1;
    store
        .put_execution_if_version(&mut again, v + 1)
        .await
        .unwrap();
    assert_eq!(again.stored_history, winner.stored_history);
    let mut last = again.clone();
    last.snapshot.version += 1;
    last.snapshot.history = events(n + 3..=n + 3, "Last", 10);
    store
        .put_execution_if_version(&mut last, v + 2)
        .await
        .unwrap();
    assert_eq!(ids(&last), [n + 3]);
    assert_eq!(batch_items(&dynamo, &execution.arn).await, 1);

    let whole = store
        .get_execution_with_history(&execution.arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&whole), (1..=n + 3).collect::<Vec<_>>());
    assert_eq!(
        serde_json::to_value(&whole.snapshot.history[..started.len()]).unwrap(),
        serde_json::to_value(&started).unwrap()
    );
    let names: Vec<_> = whole.snapshot.history[started.len()..]
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Won", "Won", "Last"]);
    assert_eq!(whole.version(), v + 3);
    assert!(store
        .get_execution_with_history("arn:none")
        .await
        .unwrap()
        .is_none());
}

/// Records and history batches deflated without a dictionary (as written before the store's
/// dictionary) are read as they are; the next write uses the dictionary, and a chain of old
/// and new batches reads back whole.
#[tokio::test]
async fn store_reads_what_was_deflated_without_a_dictionary() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use quickstep_aws::store::deflated::{self, Dictionary, DICTIONARY_ATTRIBUTE};
    use std::io::Write;
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let store = DynamoStore::new(dynamo.clone(), "quickstep");
    let mut execution = record("old", json!({"order": "A-1"}));
    let n = execution.snapshot.events();
    store.create_execution(&mut execution).await.unwrap();
    for (round, name) in ["One", "Two"].into_iter().enumerate() {
        let mut next = store.get_execution(&execution.arn).await.unwrap().unwrap();
        let v = next.version();
        next.snapshot.version += 1;
        let first = n + 1 + 2 * round as u64;
        // (Events that rode in the record are still in its history: the new ones follow.)
        next.snapshot
            .history
            .extend(events(first..=first + 1, name, 12_000));
        store.put_execution_if_version(&mut next, v).await.unwrap();
    }
    assert_eq!(batch_items(&dynamo, &execution.arn).await, 2);

    // Every item as the store wrote it before dictionaries: deflated plain, not named.
    let pk = format!("EX#{}", execution.arn);
    let items = dynamo
        .query()
        .table_name("quickstep")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let mut aged = 0;
    for mut item in items {
        assert_eq!(Dictionary::of(&item), Ok(Dictionary::One), "{item:?}");
        item.remove(DICTIONARY_ATTRIBUTE);
        let field = if item.contains_key("record") {
            "record"
        } else {
            "data"
        };
        let bytes = item[field].as_b().unwrap().as_ref().to_vec();
        let json = deflated::inflate(&bytes, Dictionary::One).unwrap();
        let mut plain =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        plain.write_all(json.as_bytes()).unwrap();
        item.insert(field.to_owned(), deflated::binary(plain.finish().unwrap()));
        dynamo
            .put_item()
            .table_name("quickstep")
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
        aged += 1;
    }
    assert_eq!(aged, 3);
    let head = store.get_execution(&execution.arn).await.unwrap().unwrap();
    let whole = store
        .get_execution_with_history(&execution.arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&whole), (1..=n + 4).collect::<Vec<_>>());

    // The next write is deflated with the dictionary, its batch too: old and new read whole.
    let mut next = head.clone();
    next.snapshot.version += 1;
    next.snapshot
        .history
        .extend(events(n + 5..=n + 6, "Three", 12_000));
    store
        .put_execution_if_version(&mut next, head.version())
        .await
        .unwrap();
    let item = dynamo
        .get_item()
        .table_name("quickstep")
        .key("pk", AttributeValue::S(pk.clone()))
        .key("sk", AttributeValue::S("RECORD".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(Dictionary::of(&item), Ok(Dictionary::One));
    let whole = store
        .get_execution_with_history(&execution.arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&whole), (1..=n + 6).collect::<Vec<_>>());
    let names: Vec<_> = whole.snapshot.history[n as usize..]
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["One", "One", "Two", "Two", "Three", "Three"]);
}

#[tokio::test]
async fn queue_delays_messages_and_clamps_delays() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    let resources = resources(&sdk).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue = SqsQueue::new(sqs.clone(), &resources.step_queue_url);
    let message = StepMessage {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:e".into(),
        version: 3,
        early: 0,
        claim: 0,
    };
    let receive = || async {
        sqs.receive_message()
            .queue_url(&resources.step_queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    queue.send(&message, 0).await.unwrap();
    let now = receive().await;
    assert_eq!(now.len(), 1);
    let body: StepMessage = serde_json::from_str(now[0].body().unwrap()).unwrap();
    assert_eq!(body, message);

    queue.send(&message, 2).await.unwrap();
    assert!(receive().await.is_empty(), "delivered before its delay");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(receive().await.len(), 1);

    // SQS refuses delays over 900 s; the adapter clamps them.
    queue.send(&message, 3_600).await.unwrap();
    assert!(receive().await.is_empty());
}

#[tokio::test]
async fn publisher_sends_status_changes_to_the_bus() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    // A rule on the bus routes quickstep's events to a queue the test reads.
    let sink = sqs
        .create_queue()
        .queue_name("sink")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let sink_arn = sqs
        .get_queue_attributes()
        .queue_url(&sink)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("to-sink")
        .event_bus_name("quickstep-bus")
        .event_pattern(json!({"source": ["quickstep"]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("to-sink")
        .event_bus_name("quickstep-bus")
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

    let mut record = record("e", json!({"a": 1}));
    record.status = "SUCCEEDED".into();
    record.output = Some(json!({"b": 2}));
    record.stop_date = Some(2_000);
    let change = StatusChange::of(&record);
    let publisher = EventBridgePublisher::new(events, "quickstep-bus");
    publisher.publish(&change).await.unwrap();

    let messages = sqs
        .receive_message()
        .queue_url(&sink)
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
    assert_eq!(event["resources"], json!([record.arn]));
    let detail: StatusChange = serde_json::from_value(event["detail"].clone()).unwrap();
    assert_eq!(detail, change);

    // A bus that does not exist is an error, not a silent loss.
    let missing = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(&sdk), "no-such-bus");
    assert!(missing.publish(&change).await.is_err());
}

/// A fake of Lambda's Invoke endpoint: the function name in the path picks the answer.
fn fake_lambda() -> String {
    serve(std::sync::Arc::new(answer))
}

fn answer(path: &str, body: &str) -> Reply {
    let function = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("");
    // Function ARNs arrive percent-encoded: answer by the name at their end.
    let name = function.rsplit("%3A").next().unwrap_or(function);
    match name {
        "echo" => (
            "200 OK",
            vec![("x-amz-executed-version", "$LATEST")],
            json!({"echo": serde_json::from_str::<Value>(body).unwrap_or(Value::Null)}).to_string(),
        ),
        "handled" => (
            "200 OK",
            vec![("x-amz-function-error", "Unhandled"), ("x-amz-executed-version", "$LATEST")],
            r#"{"errorType":"OrderError","errorMessage":"no such order"}"#.into(),
        ),
        "timeout" => (
            "200 OK",
            vec![("x-amz-function-error", "Unhandled")],
            r#"{"errorMessage":"Task timed out after 3.00 seconds"}"#.into(),
        ),
        "watch" => (
            "500 Internal Server Error",
            vec![],
            r#"{"errorType":"WatchError","errorMessage":"boom"}"#.into(),
        ),
        "throttled" => (
            "429 Too Many Requests",
            vec![("x-amzn-errortype", "TooManyRequestsException")],
            r#"{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}"#.into(),
        ),
        "broken" => (
            "500 Internal Server Error",
            vec![("x-amzn-errortype", "ServiceException")],
            r#"{"Type":"Service","message":"internal failure"}"#.into(),
        ),
        _ => (
            "404 Not Found",
            vec![("x-amzn-errortype", "ResourceNotFoundException")],
            format!(r#"{{"Type":"User","message":"Function not found: {function}"}}"#),
        ),
    }
}

fn task(resource: &str, input: Value) -> TaskRequest {
    TaskRequest::new(1, "Call", resource, input)
}

async fn run(
    invoker: &LambdaInvoker,
    request: TaskRequest,
) -> Result<Value, quickstep_engine::failure::Failure> {
    match invoker.invoke(&request) {
        Invocation::Ready(outcome) => outcome,
        Invocation::Pending(future) => future.await,
    }
}

const INVOKE: &str = "arn:aws:states:::lambda:invoke";

#[tokio::test]
async fn invoker_returns_payloads_and_invoke_responses() {
    let sdk = sdk_config(&fake_lambda()).await;
    let invoker = LambdaInvoker::new(&aws_sdk_lambda::Client::new(&sdk));
    let direct = run(
        &invoker,
        task(
            "arn:aws:lambda:us-east-1:123456789012:function:echo",
            json!({"a": 1}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(direct, json!({"echo": {"a": 1}}));

    let response = run(
        &invoker,
        task(
            INVOKE,
            json!({"FunctionName": "echo", "Payload": {"b": [1, 2]}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(response["StatusCode"], 200);
    assert_eq!(response["ExecutedVersion"], "$LATEST");
    assert_eq!(response["Payload"], json!({"echo": {"b": [1, 2]}}));
    assert_eq!(response["SdkHttpMetadata"]["HttpStatusCode"], 200);
}

#[tokio::test]
async fn invoker_names_failures_as_step_functions_does() {
    let sdk = sdk_config(&fake_lambda()).await;
    let invoker = LambdaInvoker::new(&aws_sdk_lambda::Client::new(&sdk));
    let failure = |function: &str| {
        let request = task(INVOKE, json!({"FunctionName": function, "Payload": {}}));
        let invoker = invoker.clone();
        async move { run(&invoker, request).await.unwrap_err() }
    };

    let handled = failure("handled").await;
    assert_eq!(handled.error.as_deref(), Some("OrderError"));
    assert_eq!(
        handled.cause.as_deref(),
        Some(r#"{"errorType":"OrderError","errorMessage":"no such order"}"#)
    );
    let direct = run(
        &invoker,
        task(
            "arn:aws:lambda:us-east-1:123456789012:function:handled",
            json!({}),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(direct, handled);

    let timeout = failure("timeout").await;
    assert_eq!(timeout.error.as_deref(), Some("Lambda.Unknown"));
    assert_eq!(
        timeout.cause.as_deref(),
        Some(
            "The cause could not be determined because Lambda did not return an error type. \
             Returned payload: {\"errorMessage\":\"Task timed out after 3.00 seconds\"}"
        )
    );

    // cargo lambda watch: HTTP 500 with the error object.
    let watch = failure("watch").await;
    assert_eq!(watch.error.as_deref(), Some("WatchError"));
    assert_eq!(
        watch.cause.as_deref(),
        Some(r#"{"errorType":"WatchError","errorMessage":"boom"}"#)
    );

    let throttled = failure("throttled").await;
    assert_eq!(
        throttled.error.as_deref(),
        Some("Lambda.TooManyRequestsException")
    );
    assert_eq!(throttled.cause.as_deref(), Some("Rate Exceeded."));

    let broken = failure("broken").await;
    assert_eq!(broken.error.as_deref(), Some("Lambda.ServiceException"));
    assert_eq!(broken.cause.as_deref(), Some("internal failure"));

    let missing = failure("missing").await;
    assert_eq!(
        missing.error.as_deref(),
        Some("Lambda.ResourceNotFoundException")
    );

    let no_name = run(&invoker, task(INVOKE, json!({"Payload": {}})))
        .await
        .unwrap_err();
    assert_eq!(no_name.error.as_deref(), Some("States.Runtime"));
}

#[tokio::test]
async fn invoker_reports_unreachable_endpoints_as_client_errors() {
    let sdk = sdk_config(&format!("http://127.0.0.1:{}", free_port())).await;
    let invoker = LambdaInvoker::new(&aws_sdk_lambda::Client::new(&sdk));
    let failure = run(&invoker, task(INVOKE, json!({"FunctionName": "echo"})))
        .await
        .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("Lambda.SdkClientException"));
}

/// Ends DynamoDB requests part-way, as a crash or a lost connection would: the request
/// numbered `cut` (from 0) is not sent at all, or, with `lose_answer`, takes effect and its
/// answer is lost on the way back.
#[derive(Debug)]
struct Cut {
    cut: usize,
    lose_answer: bool,
    sent: std::sync::atomic::AtomicUsize,
    answered: std::sync::atomic::AtomicUsize,
}

impl aws_sdk_dynamodb::config::Intercept for Cut {
    fn name(&self) -> &'static str {
        "Cut"
    }

    fn read_before_transmit(
        &self,
        _: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let n = self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == self.cut && !self.lose_answer {
            return Err("the invocation ended before this request (simulated)".into());
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        _: &aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let n = self
            .answered
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == self.cut && self.lose_answer {
            return Err("the answer was lost (simulated)".into());
        }
        Ok(())
    }
}

/// A write of a record in parts (its history's batch, its parts, its item, the old parts'
/// deletion) cut at every request in turn, before the request or after it took effect: a
/// reader always finds the old record or the new one, whole, with its whole history, and the
/// next writer carries on from it.
#[tokio::test]
async fn store_survives_writes_in_parts_cut_at_any_request() {
    let moto = Moto::start();
    let sdk = moto.config().await;
    resources(&sdk).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "quickstep");
    let template = record("cut", json!({"text": noise(600_000, 4)}));
    let new_output = json!(noise(500_000, 5));
    let pieces = |r: &ExecutionRecord| deflated_len(r).div_ceil(350_000);
    let mut bigger = template.clone();
    bigger.output = Some(new_output.clone());
    let (old_parts, new_parts) = (pieces(&template), pieces(&bigger));
    assert!(
        old_parts >= 2 && new_parts > old_parts,
        "{old_parts} {new_parts}"
    );
    // The write's requests: the batch of its new event, the new parts, the item, the old
    // parts' deletion.
    let requests = 1 + new_parts + 1 + old_parts;
    for lose_answer in [false, true] {
        for cut in 0..requests {
            let name = format!("cut-{lose_answer}-{cut}");
            let mut old = template.clone();
            old.arn = format!("{}-{name}", old.arn);
            store.create_execution(&mut old).await.unwrap();
            let events_before = old.snapshot.events();
            // The next step, as a writer makes it from the record it read.
            let mut new = old.clone();
            new.snapshot.version = old.version() + 1;
            new.output = Some(new_output.clone());
            // (An event too large to ride in the record: written apart, first.)
            new.snapshot.history.extend(events(
                events_before + 1..=events_before + 1,
                "Next",
                12_000,
            ));
            let faulty = DynamoStore::new(
                aws_sdk_dynamodb::Client::from_conf(
                    aws_sdk_dynamodb::config::Builder::from(&sdk)
                        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
                        .interceptor(Cut {
                            cut,
                            lose_answer,
                            sent: 0.into(),
                            answered: 0.into(),
                        })
                        .build(),
                ),
                "quickstep",
            );
            let written = faulty
                .put_execution_if_version(&mut new, old.version())
                .await;
            let read = store
                .get_execution_with_history(&old.arn)
                .await
                .unwrap_or_else(|e| panic!("{name}: the record cannot be read: {e:?}"))
                .unwrap_or_else(|| panic!("{name}: the record is gone"));
            let landed = read.output.as_ref() == Some(&new_output);
            assert!(
                landed || (read.output.is_none() && read.version() == old.version()),
                "{name}: neither the old record nor the new one"
            );
            let whole = if landed {
                events_before + 1
            } else {
                events_before
            };
            assert_eq!(ids(&read), (1..=whole).collect::<Vec<_>>(), "{name}");
            // The cut is after the item's write exactly when the write landed.
            assert_eq!(
                landed,
                cut > new_parts + 1 || (lose_answer && cut == new_parts + 1),
                "{name}"
            );
            if written.is_ok() {
                assert!(landed, "{name}: answered Ok but not stored");
            }
            // The next writer (the commit's retry) carries on from what it reads.
            let mut next = store.get_execution(&old.arn).await.unwrap().unwrap();
            let read_version = next.version();
            next.snapshot.version += 1;
            next.output = Some(json!({"after": name}));
            next.snapshot
                .history
                .extend(events(whole + 1..=whole + 1, "After", 10));
            store
                .put_execution_if_version(&mut next, read_version)
                .await
                .unwrap();
            let last = store
                .get_execution_with_history(&old.arn)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(last.output, next.output, "{name}");
            assert_eq!(ids(&last), (1..=whole + 1).collect::<Vec<_>>(), "{name}");
        }
    }
}
