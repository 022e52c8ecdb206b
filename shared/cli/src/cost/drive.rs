//! One execution of a workflow through the service, both ways, on the counting adapters:
//! what it uses of each AWS service ([`Usage`]).
//!
//! Synchronous: one invocation of the API function runs the execution to its end. Asynchronous:
//! one invocation of the API function starts it, then one invocation of the worker per step
//! message, each message received and deleted by Lambda's poller in a batch of its own (the
//! most an execution can cost: under load a batch carries up to ten). Both run on a virtual
//! clock, so Waits and retry back-off take no time; each way is measured on a second
//! execution, as on a warm Lambda (the first fills the caches and compiles the state machine).
//!
//! Lambda is billed by the millisecond: an invocation's duration is taken as the engine's
//! time, measured here and scaled to the function's share of a vCPU (Lambda gives 1,769 MB a
//! whole one), plus [`Model::request_ms`] for each AWS request it makes and
//! [`Model::task_ms`] for each task it calls, plus the time it waited on the clock (a
//! synchronous execution's Waits and retry back-off: the function is billed while it sleeps).

use std::sync::Arc;
use std::time::Instant;

use quickstep_aws::store::metered::{DynamoBill, MeteredStore};
use quickstep_engine::execution::{Millis, Status};
use quickstep_runtime::clock::Clock;
use quickstep_runtime::invoker::TaskInvoker;
use quickstep_runtime::mock::MockInvoker;
use quickstep_service::config::Config;
use quickstep_service::memory::MemoryStore;
use quickstep_service::ports::Store;
use quickstep_service::records::ExecutionRecord;
use quickstep_service::service::Service;
use serde_json::Value;

use super::meters::{Answering, CountingPublisher, CountingQueue, CountingTasks, JumpSleeper};

/// The most step messages one execution may take here: a workflow that loops for ever is
/// reported, not followed.
const MAX_STEPS: u64 = 100_000;
/// The memory at which Lambda gives a function one whole vCPU.
const FULL_VCPU_MB: f64 = 1_769.0;
/// The API function's timeout (the template's): a synchronous execution must end within it.
const API_TIMEOUT_MS: Millis = 29_000;
/// Where the virtual clock starts (2026-01-01).
const START: Millis = 1_767_225_600_000;

/// The workflow to cost.
pub struct Workflow {
    pub name: String,
    pub definition: Value,
    pub input: Value,
    /// The mock file and test case answering its Tasks (others answer with their input).
    pub mocks: Option<(Value, String)>,
}

/// How long the things quickstep waits for take.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// Each task call, waited for by the function that makes it.
    pub task_ms: f64,
    /// Each DynamoDB, SQS or EventBridge request.
    pub request_ms: f64,
    /// The functions' memory (the template's `MemorySize`).
    pub memory_mb: u64,
    /// How long an asynchronous start runs its execution ([`Config::start_inline_ms`]).
    pub start_inline_ms: i64,
}

/// What one execution used.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Usage {
    /// The execution's status at the end.
    pub status: String,
    /// Requests to the front door (API Gateway or the function URL) and their body's size.
    pub front_requests: u64,
    pub front_bytes: usize,
    pub lambda_invocations: u64,
    /// Billed duration over all invocations, each rounded up to the millisecond.
    pub lambda_ms: u64,
    /// SQS requests: sends (by 64 KB chunk), receives and deletes.
    pub sqs_requests: u64,
    pub dynamodb: DynamoBill,
    /// EventBridge entries (by 64 KB chunk).
    pub events: u64,
    pub task_calls: u64,
}

/// Both ways, and what Step Functions bills by.
#[derive(Debug)]
pub struct Measured {
    /// `Err`: why the workflow cannot run synchronously (it waits for callbacks).
    pub sync: Result<Usage, String>,
    pub asynchronous: Usage,
    /// State transitions, as Standard counts them: states entered, and task retries.
    pub transitions: u64,
    /// The execution's time on the clock (waits included), task calls not included.
    pub elapsed_ms: i64,
    /// States entered that are a Parallel or Map (Express's memory estimate counts them).
    pub fanouts: u64,
}

type Metered = Service<MeteredStore<MemoryStore>, CountingQueue, CountingPublisher>;

/// The service on counting adapters, and its task invokers.
struct Bench {
    service: Metered,
    tasks: Arc<CountingTasks>,
    answering: Arc<Answering>,
}

/// The counters that only grow, at one moment.
#[derive(Clone, Copy)]
struct Marks {
    sends: u64,
    entries: u64,
    calls: u64,
}

impl Bench {
    /// A service on counting adapters, with the workflow stored as an Express state machine.
    async fn new(workflow: &Workflow, model: &Model) -> Result<Self, String> {
        let clock = Arc::new(Clock::virtual_at(START));
        let mocks = match &workflow.mocks {
            Some((config, case)) => MockInvoker::from_config(config, &workflow.name, case)
                .map_err(|e| format!("mock config: {e}"))?,
            None => MockInvoker::none(),
        };
        let answering = Arc::new(Answering::new(mocks));
        let tasks = Arc::new(CountingTasks::new(answering.clone()));
        let invoker: Arc<dyn TaskInvoker> = tasks.clone();
        let service = Service::new(
            MeteredStore::new(MemoryStore::default()),
            CountingQueue::new(Arc::clone(&clock)),
            CountingPublisher::default(),
            invoker,
            Clock::Real,
            Config {
                start_inline_ms: model.start_inline_ms,
                ..Config::default()
            },
        )
        .with_clock(clock)
        .with_sleeper(Arc::new(JumpSleeper));
        service
            .put_state_machine(&workflow.name, &workflow.definition)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            service,
            tasks,
            answering,
        })
    }

    /// Ready for the measured execution, after a warm-up one (a warm Lambda: the compiled
    /// state machine kept, but the current revision read again): mocks answer from their first
    /// response again, and counting starts here.
    fn warmed_up(&self) -> Marks {
        // A start long enough after the last reads the current revision again: the cost of
        // a function that does not start an execution every two seconds.
        let window = self.service.config.current_revision_ms.max(0);
        self.service
            .clock
            .advance_to(self.service.clock.now() + window);
        self.answering.reset();
        self.service.store.take_bill();
        Marks {
            sends: self.service.queue.requests(),
            entries: self.service.publisher.entries(),
            calls: self.tasks.calls(),
        }
    }

    /// Requests made so far: for the time an invocation waits on them.
    fn requests(&self) -> u64 {
        self.service.store.bill().requests
            + self.service.queue.requests()
            + self.service.publisher.entries()
    }

    /// Runs `call` as one Lambda invocation: its billed duration added to `usage`.
    async fn invocation<F, T>(&self, model: &Model, usage: &mut Usage, call: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        let (requests_before, tasks_before) = (self.requests(), self.tasks.calls());
        let clock_before = self.service.clock.now();
        let overhead_before = self.service.store.overhead();
        let started = Instant::now();
        let out = call.await;
        let metering = self.service.store.overhead() - overhead_before;
        let engine_ms = started.elapsed().saturating_sub(metering).as_secs_f64() * 1000.0;
        let made = self.requests() - requests_before;
        let called = self.tasks.calls() - tasks_before;
        let share = (model.memory_mb as f64 / FULL_VCPU_MB).min(1.0);
        // Time the invocation spent waiting on the clock (a synchronous Wait, a retry's
        // back-off) is billed too.
        let waited = (self.service.clock.now() - clock_before).max(0) as f64;
        let ms = engine_ms / share
            + made as f64 * model.request_ms
            + called as f64 * model.task_ms
            + waited;
        usage.lambda_invocations += 1;
        usage.lambda_ms += ms.ceil().max(1.0) as u64;
        out
    }

    /// What the counters moved since `marks`, into `usage`.
    fn count_since(&self, marks: Marks, usage: &mut Usage) {
        usage.dynamodb = self.service.store.take_bill();
        usage.sqs_requests += self.service.queue.requests() - marks.sends;
        usage.events = self.service.publisher.entries() - marks.entries;
        usage.task_calls = self.tasks.calls() - marks.calls;
    }
}

/// The workflow run once synchronously and once asynchronously (each after a warm-up run).
pub async fn measure(workflow: &Workflow, model: &Model) -> Result<Measured, String> {
    let body = serde_json::json!({"input": workflow.input.to_string()}).to_string();
    let sync = run_sync(workflow, model, &body).await?;
    let (asynchronous, record) = run_async(workflow, model, &body).await?;
    let history = &record.snapshot.history;
    let entered =
        |kind: &dyn Fn(&str) -> bool| history.iter().filter(|e| kind(&e.kind)).count() as u64;
    let states = entered(&|k| k.ends_with("StateEntered"));
    let task_states = entered(&|k| k == "TaskStateEntered");
    let fanouts = entered(&|k| k == "ParallelStateEntered" || k == "MapStateEntered");
    Ok(Measured {
        sync,
        transitions: states + asynchronous.task_calls.saturating_sub(task_states),
        elapsed_ms: record.stop_date.unwrap_or(record.start_date) - record.start_date,
        fanouts,
        asynchronous,
    })
}

async fn run_sync(
    workflow: &Workflow,
    model: &Model,
    body: &str,
) -> Result<Result<Usage, String>, String> {
    let bench = Bench::new(workflow, model).await?;
    let service = &bench.service;
    let warm_up = service
        .start_sync(
            &workflow.name,
            Some("warm-up"),
            workflow.input.clone(),
            None,
        )
        .await;
    if let Err(e) = warm_up {
        // A workflow that waits for callbacks runs only asynchronously.
        return Ok(Err(e.to_string()));
    }
    let marks = bench.warmed_up();
    let mut usage = Usage {
        front_requests: 1,
        front_bytes: body.len(),
        ..Usage::default()
    };
    let answer = bench
        .invocation(
            model,
            &mut usage,
            service.start_sync(&workflow.name, Some("cost"), workflow.input.clone(), None),
        )
        .await
        .map_err(|e| e.to_string())?;
    bench.count_since(marks, &mut usage);
    // The execution ran on a virtual clock of its own: the function is billed for its Waits
    // and back-off, and must answer before its timeout.
    let seconds = |field: &str| answer[field].as_f64().unwrap_or(0.0);
    let waited = ((seconds("stopDate") - seconds("startDate")) * 1000.0).max(0.0);
    let runs = waited + usage.task_calls as f64 * model.task_ms;
    if runs > API_TIMEOUT_MS as f64 {
        return Ok(Err(format!(
            "it runs {:.0} s; the API function answers within {} s (start it asynchronously)",
            runs / 1000.0,
            API_TIMEOUT_MS / 1000
        )));
    }
    usage.lambda_ms += waited.ceil() as u64;
    usage.status = answer["status"].as_str().unwrap_or("UNKNOWN").to_owned();
    Ok(Ok(usage))
}

async fn run_async(
    workflow: &Workflow,
    model: &Model,
    body: &str,
) -> Result<(Usage, ExecutionRecord), String> {
    let bench = Bench::new(workflow, model).await?;
    let mut warm_up = Usage::default();
    run_async_once(&bench, workflow, model, "warm-up", &mut warm_up).await?;
    let marks = bench.warmed_up();
    let mut usage = Usage {
        front_requests: 1,
        front_bytes: body.len(),
        ..Usage::default()
    };
    let arn = run_async_once(&bench, workflow, model, "cost", &mut usage).await?;
    bench.count_since(marks, &mut usage);
    let record = bench
        .service
        .store
        .get_execution_with_history(&arn)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the execution's record is gone")?;
    usage.status = record.status.clone();
    if matches!(record.snapshot.status, Status::Running) {
        return Err(
            "the execution is still running with nothing left to do: a task that never \
             answers?"
                .into(),
        );
    }
    Ok((usage, record))
}

/// Starts the execution `name` and delivers its step messages until none is left: its
/// invocations and its receives and deletes (each message in a batch of its own) go in
/// `usage`. Its ARN.
async fn run_async_once(
    bench: &Bench,
    workflow: &Workflow,
    model: &Model,
    name: &str,
    usage: &mut Usage,
) -> Result<String, String> {
    let service = &bench.service;
    let started = bench
        .invocation(
            model,
            usage,
            service.start_async(&workflow.name, Some(name), workflow.input.clone()),
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut receives = 0;
    while let Some((due, message)) = service.queue.next() {
        if receives == MAX_STEPS {
            return Err(format!(
                "the execution took more than {MAX_STEPS} steps: it does not end"
            ));
        }
        receives += 1;
        service.clock.advance_to(due);
        bench
            .invocation(model, usage, service.step(&message))
            .await
            .map_err(|e| format!("a step failed: {e}"))?;
    }
    usage.sqs_requests += 2 * receives;
    Ok(started.execution_arn)
}
