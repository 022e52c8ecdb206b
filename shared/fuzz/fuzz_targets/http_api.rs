//! The service's HTTP API over the in-memory adapters: up to eight requests, separated by NUL
//! bytes, each `METHOD /path[?k=v&...]` on its first line and the body after it, e.g.
//! `PUT /state-machines/m\n{"StartAt": ...}` then `POST /state-machines/m/executions\n{}`.
//! A first line `SFN Operation` is a Step Functions API request (`POST /` with
//! `X-Amz-Target: AWSStepFunctions.Operation`), e.g. `SFN StartExecution\n{"stateMachineArn": ...}`.
//! After the requests, queued step messages are delivered as SQS and the worker would, on a
//! virtual clock. Tasks answer with their input, or fail when their resource says `fail`.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use quickstep_engine::execution::TaskRequest;
use quickstep_engine::failure::Failure;
use quickstep_fuzz::MAX_INPUT;
use quickstep_runtime::clock::{wall_clock, Clock};
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::api::Request;
use quickstep_service::config::Config;
use quickstep_service::memory::{MemoryPublisher, MemoryQueue, MemoryStore};
use quickstep_service::service::Service;
use quickstep_service::test_cases::TestCases;
use serde_json::json;

const MAX_REQUESTS: usize = 8;
/// Step messages delivered after the requests. Each runs one round of at most 10,000 state
/// transitions (the engine's bound per `step`), which a workflow that loops forever fills: with
/// sanitizers that is a second or more, so a few messages keep an input within the timeout.
const MAX_MESSAGES: usize = 3;
/// The deadline of a synchronous execution, in ms after the wall clock's now. It runs on the
/// service's clock (virtual here: its Waits take no time), so what bounds it is mostly the
/// history event limit.
const SYNC_BUDGET_MS: i64 = 20;
const T0: i64 = 1_704_067_200_000;

struct EchoInvoker;

impl TaskInvoker for EchoInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        Invocation::Ready(if request.resource.contains("fail") {
            Err(Failure::new("Fuzz.Failed", "the resource asked to fail"))
        } else {
            Ok(request.input.clone())
        })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("cannot build a tokio runtime: {e}"),
        }
    })
}

fn request(bytes: &[u8]) -> Request {
    let (head, body) = match bytes.iter().position(|b| *b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    if let Some(operation) = head.strip_prefix("SFN ") {
        return Request {
            method: "POST".into(),
            path: "/".into(),
            query: Vec::new(),
            body: body.to_vec(),
            deadline: Some(wall_clock() + SYNC_BUDGET_MS),
            target: Some(format!("AWSStepFunctions.{operation}")),
        };
    }
    let (method, target) = head.split_once(' ').unwrap_or((&head, "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = Request::query_pairs(query);
    Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        body: body.to_vec(),
        deadline: Some(wall_clock() + SYNC_BUDGET_MS),
        target: None,
    }
}

fuzz_target!(init: quickstep_fuzz::report_deaths(), |data: &[u8]| {
    let data = &data[..data.len().min(MAX_INPUT)];
    let service = Service::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        MemoryPublisher::default(),
        Arc::new(EchoInvoker),
        Clock::virtual_at(T0),
        Config {
            max_rounds_per_step: 1,
            // A workflow that loops forever ends at this quota (States.Runtime), the path it
            // takes at the deployment's 25,000, in a fraction of the time per input.
            max_history_events: 2_000,
            ..Config::default()
        },
    );
    // Step Functions Local's mocked testing: `…:stateMachine:m#Happy` mocks its Task `T`.
    let service = match TestCases::new(json!({
        "StateMachines": {"m": {"TestCases": {"Happy": {"T": "R"}}}},
        "MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1-9": {"Return": {}}}}
    })) {
        Ok(test_cases) => service.with_test_cases(test_cases),
        Err(e) => panic!("the harness's mock config: {e}"),
    };
    runtime().block_on(async {
        for bytes in data.split(|b| *b == 0).take(MAX_REQUESTS) {
            let response = service.handle(&request(bytes)).await;
            assert!(
                (200..600).contains(&response.status),
                "status {}",
                response.status
            );
            if response.status >= 500 {
                panic!("a server error on in-memory adapters: {:?}", response.body);
            }
        }
        for _ in 0..MAX_MESSAGES {
            let Some(queued) = service.queue.pop() else {
                break;
            };
            service
                .clock
                .advance_to(service.clock.now() + i64::from(queued.delay_seconds) * 1000);
            if let Err(e) = service.step(&queued.message).await {
                panic!("a worker step failed on in-memory adapters: {e}");
            }
        }
    });
});
