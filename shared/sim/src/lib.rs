//! A deterministic simulation of quickstep's asynchronous path, the judge of its at-least-once
//! protocol (in the spirit of FoundationDB's simulator and TigerBeetle's VOPR).
//!
//! The real [`Service`] code runs over simulated adapters of its ports and a simulated clock, on
//! a single-threaded executor (see [`executor`]) that polls it only when the world says an
//! operation completed. One seed decides everything: latencies, which invocation runs when,
//! reordering and duplicate delivery of SQS messages, deliveries before the write that follows
//! their send, conditional-write conflicts, throttling, writes whose answer is lost, crashes at
//! any await point, Lambda's deadline, EventBridge failures, callers' answers (also before the
//! token is stored), heartbeats, stops, nested executions; one schedule in two starts its
//! executions inline (their first calls made by the start). After each schedule the invariants
//! in [`invariants`] are checked; a failing seed replays exactly.
//!
//! ```
//! let summary = quickstep_sim::explore(&quickstep_sim::Settings::default(), 3, 7, None);
//! assert_eq!(summary.schedules, 3);
//! assert!(summary.failures.is_empty(), "{:?}", summary.failures);
//! ```

mod adapters;
mod bus;
mod calls;
mod dynamo;
pub mod executor;
mod faults;
pub mod invariants;
mod lambda;
mod rng;
mod sqs;
mod workflows;
pub mod workloads;
mod world;

use std::sync::Arc;
use std::time::{Duration, Instant};

use quickstep_engine::definition::StateMachine;
use quickstep_runtime::clock::Clock;
use quickstep_service::config::Config;
use quickstep_service::error::ServiceError;
use quickstep_service::records::StateMachineRecord;
use quickstep_service::service::Service;

pub use calls::{Answered, Call};
pub use faults::{Fault, Faults};

use adapters::{SimIds, SimInvoker, SimPublisher, SimQueue, SimSleeper, SimStore};
use rng::Rng;
use workloads::Workload;
use world::{Shared, World};

/// DynamoDB's largest item: the store's limit in most schedules.
pub const ITEM_LIMIT_BYTES: usize = 400 * 1024;
/// The DynamoDB adapter's limit, a record in 64 parts of 350,000 bytes
/// (`quickstep_aws::store::MAX_PARTS`, `PART_BYTES`): the store's limit with large data.
pub const PARTS_LIMIT_BYTES: usize = 64 * 350_000;
/// The API function's timeout (the template's), the deadline of every start.
const API_TIMEOUT_MS: i64 = 29_000;

/// How long the starts of schedule `seed` run their executions inline
/// ([`Config::start_inline_ms`]): one schedule in two, by the seed, so a replay does the same.
fn start_inline_ms(seed: u64) -> i64 {
    if seed % 2 == 1 {
        1_000
    } else {
        0
    }
}

/// The kind of schedule: which faults it injects, and how hard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Weather {
    /// Every fault, now and then ([`Settings::default`]).
    #[default]
    Faulty,
    /// No faults at all ([`Settings::calm`]).
    Calm,
    /// Far more faults, a short worker timeout, an early dead-letter queue
    /// ([`Settings::stormy`]).
    Stormy,
    /// No faults but task calls longer than the worker's timeout ([`Settings::slow_tasks`]).
    SlowTasks,
    /// Every fault, and inputs near the limits of DynamoDB's items and EventBridge's entries
    /// ([`Settings::large_data`]).
    LargeData,
    /// Every fault, on the workloads of [`Settings::workloads`] ([`Settings::bench`]).
    Bench,
}

impl Weather {
    /// The option of `quickstep simulate` that replays a schedule of this kind.
    pub fn flag(self) -> &'static str {
        match self {
            Weather::Faulty => "",
            Weather::Calm => " --calm",
            Weather::Stormy => " --stormy",
            Weather::SlowTasks => " --slow-tasks",
            Weather::LargeData => " --large-data",
            Weather::Bench => " --bench",
        }
    }
}

/// The simulated deployment and how often each fault happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// What kind of schedule these settings make.
    pub weather: Weather,
    /// Executions started per schedule (at least one).
    pub executions: usize,
    pub crash_rate: f64,
    pub slow_rate: f64,
    pub throttle_rate: f64,
    pub lost_answer_rate: f64,
    pub send_fail_rate: f64,
    pub publish_fail_rate: f64,
    pub duplicate_rate: f64,
    pub long_task_rate: f64,
    /// How often an execution's input carries 200 to 262 KB of data (past 256 KB it is refused).
    pub large_input_rate: f64,
    /// The largest record the store takes (a longer one fails its execution with
    /// `States.DataLimitExceeded`): DynamoDB's 400 KB item, or what the DynamoDB adapter
    /// stores in parts.
    pub record_limit_bytes: usize,
    /// Workflows read from files, which [`Weather::Bench`] schedules run (see [`workloads`]).
    pub workloads: Arc<Vec<Workload>>,
    pub stop_rate: f64,
    pub worker_timeout_ms: i64,
    pub visibility_timeout_ms: i64,
    pub max_receive_count: u32,
    pub batch_size: usize,
    pub max_concurrency: usize,
    pub execution_timeout_seconds: u64,
    pub max_task_dispatches: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            weather: Weather::Faulty,
            executions: 3,
            crash_rate: 0.01,
            slow_rate: 0.02,
            throttle_rate: 0.01,
            lost_answer_rate: 0.01,
            send_fail_rate: 0.005,
            publish_fail_rate: 0.05,
            duplicate_rate: 0.02,
            long_task_rate: 0.02,
            large_input_rate: 0.0,
            record_limit_bytes: ITEM_LIMIT_BYTES,
            workloads: Arc::default(),
            stop_rate: 0.1,
            worker_timeout_ms: 60_000,
            visibility_timeout_ms: 360_000,
            max_receive_count: 5,
            batch_size: 10,
            max_concurrency: 4,
            execution_timeout_seconds: 1_800,
            max_task_dispatches: 3,
        }
    }
}

impl Settings {
    /// No faults at all: only latency, reordering, and callers' timing. Every task attempt
    /// is then called exactly once.
    #[must_use]
    pub fn calm() -> Self {
        Self {
            weather: Weather::Calm,
            crash_rate: 0.0,
            slow_rate: 0.0,
            throttle_rate: 0.0,
            lost_answer_rate: 0.0,
            send_fail_rate: 0.0,
            publish_fail_rate: 0.0,
            duplicate_rate: 0.0,
            long_task_rate: 0.0,
            ..Self::default()
        }
    }

    /// Far more faults, a short worker timeout and an early dead-letter queue, so that
    /// deadline kills, redrives and dead letters happen often.
    #[must_use]
    pub fn stormy(&self) -> Self {
        Self {
            weather: Weather::Stormy,
            crash_rate: 0.08,
            slow_rate: 0.15,
            throttle_rate: 0.05,
            lost_answer_rate: 0.05,
            worker_timeout_ms: 4_000,
            visibility_timeout_ms: 30_000,
            max_receive_count: 2,
            ..self.clone()
        }
    }

    /// No faults, but one task call in four runs 50 to 200 s, past the worker's 60 s timeout:
    /// the worker must hand such calls over before its deadline, every time, so that no
    /// invocation is ever ended by Lambda and no message reaches the dead-letter queue.
    #[must_use]
    pub fn slow_tasks() -> Self {
        Self {
            weather: Weather::SlowTasks,
            long_task_rate: 0.25,
            ..Self::calm()
        }
    }

    /// Every fault, one input in two of 200 to 262 KB, and records stored in parts as the
    /// DynamoDB adapter stores them: failure events pass EventBridge's entry limit unless cut
    /// as AWS cuts them.
    #[must_use]
    pub fn large_data() -> Self {
        Self {
            weather: Weather::LargeData,
            large_input_rate: 0.5,
            record_limit_bytes: PARTS_LIMIT_BYTES,
            // One execution: records of megabytes are slow to simulate.
            executions: 1,
            ..Self::default()
        }
    }

    /// Every fault, on these workloads (one picked for each execution, with its own input) in
    /// place of generated machines, stored as the DynamoDB adapter stores them (in parts).
    #[must_use]
    pub fn bench(&self) -> Self {
        Self {
            weather: Weather::Bench,
            record_limit_bytes: PARTS_LIMIT_BYTES,
            workloads: Arc::clone(&self.workloads),
            ..Self::default()
        }
    }

    /// Whether no fault can fail a message's handling (no crash, no slow request, no store or
    /// queue error): then no invocation may reach its deadline and nothing is dead-lettered.
    pub fn spares_messages(&self) -> bool {
        self.crash_rate == 0.0
            && self.slow_rate == 0.0
            && self.throttle_rate == 0.0
            && self.lost_answer_rate == 0.0
            && self.send_fail_rate == 0.0
    }

    pub fn is_calm(&self) -> bool {
        self.crash_rate == 0.0
            && self.throttle_rate == 0.0
            && self.lost_answer_rate == 0.0
            && self.send_fail_rate == 0.0
            && self.duplicate_rate == 0.0
            && self.long_task_rate == 0.0
    }
}

/// What one schedule did.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    pub seed: u64,
    /// The kind of schedule it was.
    pub weather: Weather,
    pub executions: usize,
    pub faults: Faults,
    pub violations: Vec<String>,
}

/// What a run of many schedules did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub schedules: u64,
    pub executions: u64,
    pub faults: Faults,
    /// Failing schedules: their seeds and what broke.
    pub failures: Vec<Schedule>,
}

pub(crate) const T0: i64 = 1_700_000_000_000;

/// Runs the schedule of `seed`.
pub fn run(seed: u64, settings: &Settings) -> Schedule {
    run_traced(seed, settings, false).0
}

/// Runs the schedule of `seed`, with its trace if `trace`.
pub fn run_traced(seed: u64, settings: &Settings, trace: bool) -> (Schedule, Vec<String>) {
    let clock = Arc::new(Clock::virtual_at(T0));
    let world = Shared::new(World::new(seed, settings.clone(), Arc::clone(&clock)));
    let config = Config {
        execution_timeout_seconds: Some(settings.execution_timeout_seconds),
        max_task_dispatches: settings.max_task_dispatches,
        start_inline_ms: start_inline_ms(seed),
        ..Config::default()
    };
    let service = Service::new(
        SimStore(world.clone()),
        SimQueue(world.clone()),
        SimPublisher(world.clone()),
        Arc::new(SimInvoker(world.clone())),
        Clock::virtual_at(T0),
        config.clone(),
    )
    .with_clock(clock)
    .with_ids(Arc::new(SimIds(world.clone())))
    .with_sleeper(Arc::new(SimSleeper(world.clone())));
    world.lock().caller = Some(caller(service));
    if trace {
        world.lock().trace = Some(Vec::new());
    }

    let mut violations = Vec::new();
    let accepted = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let mut w = world.lock();
        let child_arn = config.state_machine_arn(workflows::CHILD);
        let mut plan = Rng::new(seed ^ 0x5eed);
        let count = 1 + plan.below(settings.executions.max(1));
        // With workloads, each execution runs one of them with its input.
        let bench =
            (settings.weather == Weather::Bench && !settings.workloads.is_empty()).then(|| {
                (0..count)
                    .map(|_| &settings.workloads[plan.below(settings.workloads.len())])
                    .collect::<Vec<_>>()
            });
        for (i, (name, definition)) in [(workflows::CHILD.to_owned(), workflows::child())]
            .into_iter()
            .chain((0..count).map(|i| {
                let definition = match &bench {
                    Some(picked) => picked[i].definition.clone(),
                    None => workflows::machine(&mut plan, &child_arn),
                };
                (format!("sim-{i}"), definition)
            }))
            .enumerate()
        {
            if let Err(problems) = StateMachine::from_json(&definition) {
                violations.push(format!(
                    "generated machine {i} is invalid: {problems:?}: {definition}"
                ));
                continue;
            }
            let arn = config.state_machine_arn(&name);
            w.dynamo.machines.insert(
                name.clone(),
                vec![StateMachineRecord {
                    name,
                    arn,
                    revision: 1,
                    definition,
                    created: T0,
                    machine_type: Default::default(),
                    deleted: false,
                    settings: Default::default(),
                }],
            );
        }
        for i in 0..count {
            let at = T0 + plan.between(0, 5_000);
            let input = match &bench {
                Some(picked) => picked[i].input.clone(),
                None => workflows::input(&mut plan, settings.large_input_rate),
            };
            let machine = format!("sim-{i}");
            let name = format!("run-{i}");
            let arn = config.execution_arn(&machine, &name);
            let accepted = Arc::clone(&accepted);
            w.at(at, move |w| {
                start_execution(w, machine, name, input, arn, accepted, 0)
            });
            if plan.chance(settings.stop_rate) {
                let at = at + plan.between(0, 120_000);
                let arn = config.execution_arn(&format!("sim-{i}"), &format!("run-{i}"));
                w.at(at, move |w| stop_execution(w, arn, 0));
            }
        }
    }
    let horizon =
        T0 + i64::try_from(settings.execution_timeout_seconds).unwrap_or(0) * 1000 + 24 * 3_600_000;
    executor::run(&world, horizon);
    let w = world.lock();
    let accepted = accepted
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    violations.extend(invariants::check(&w, &accepted, T0));
    let schedule = Schedule {
        seed,
        weather: settings.weather,
        executions: w.dynamo.executions.len(),
        faults: w.faults.clone(),
        violations,
    };
    (schedule, w.trace.clone().unwrap_or_default())
}

fn start_execution(
    w: &mut World,
    machine: String,
    name: String,
    input: serde_json::Value,
    arn: String,
    accepted: Arc<std::sync::Mutex<Vec<String>>>,
    attempt: u32,
) {
    let deadline = w.now + API_TIMEOUT_MS;
    let call = Call::Start {
        machine: machine.clone(),
        name: name.clone(),
        input: input.clone(),
        deadline,
    };
    let invocation = w.start(call, move |w, answered| {
        if matches!(answered.as_deref(), Ok([Ok(())])) {
            accepted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(arn);
        } else if attempt < 5 {
            // The client tries again with the same name: at most one execution starts.
            let at = w.now + 100;
            w.at(at, move |w| {
                start_execution(w, machine, name, input, arn, accepted, attempt + 1);
            });
        }
    });
    // Lambda ends the API function at its timeout (a start run inline may reach it).
    w.at(deadline, move |w| w.killed.push((invocation, true)));
}

fn stop_execution(w: &mut World, arn: String, attempt: u32) {
    w.faults.count(Fault::Stop);
    w.start(Call::Stop { arn: arn.clone() }, move |w, answered| {
        let failed = !matches!(answered.as_deref(), Ok([Ok(())] | [Err(_)]));
        let unavailable = matches!(answered.as_deref(), Ok([Err(e)]) if e != "NotFound");
        if (failed || unavailable) && attempt < 3 {
            let at = w.now + 200;
            w.at(at, move |w| stop_execution(w, arn, attempt + 1));
        }
    });
}

type SimService = Service<SimStore, SimQueue, SimPublisher>;

/// Turns the world's calls into the service's futures.
fn caller(service: SimService) -> calls::Caller {
    Arc::new(move |call| {
        let service = service.clone();
        Box::pin(async move {
            let answered: Answered = match call {
                Call::Start {
                    machine,
                    name,
                    input,
                    deadline,
                } => {
                    vec![service
                        .start_async_until(&machine, Some(&name), input, Some(deadline))
                        .await
                        .map(|_| ())
                        .map_err(|e| name_of(&e))]
                }
                Call::Answer { token, answer } => {
                    vec![service
                        .answer_task(&token, answer)
                        .await
                        .map_err(|e| name_of(&e))]
                }
                Call::Stop { arn } => {
                    vec![service
                        .stop(&arn, None, None)
                        .await
                        .map(|_| ())
                        .map_err(|e| name_of(&e))]
                }
                Call::Steps { messages, deadline } => service
                    .step_batch(&messages, Some(deadline))
                    .await
                    .into_iter()
                    .map(|r| r.map(|_| ()).map_err(|e| name_of(&e)))
                    .collect(),
                Call::DeadLetter { message } => {
                    vec![service.dead_letter(&message).await.map_err(|e| name_of(&e))]
                }
            };
            Box::new(answered) as executor::Output
        })
    })
}

fn name_of(e: &ServiceError) -> String {
    match e {
        ServiceError::Refused { name, .. } => (*name).to_owned(),
        ServiceError::NotFound(_) => "NotFound".to_owned(),
        other => other.to_string(),
    }
}

/// Runs `schedules` schedules from `seed` on (or as many as fit in `seconds`): one in ten calm,
/// one in ten stormy, one in ten with slow tasks, one in forty with large data, one in ten on
/// the workloads of [`Settings::workloads`] if there are any, the rest with every fault now and
/// then. A panic in the service is a failure like any broken invariant.
///
/// Schedules are independent, so they run on every core the machine has: schedule `n` always
/// has the `n`-th seed and the same kind whichever thread runs it, the summary is their sum,
/// and failures come in the order of `n`, so a run reports the same on any machine.
pub fn explore(settings: &Settings, schedules: u64, seed: u64, seconds: Option<u64>) -> Summary {
    let started = Instant::now();
    // The next schedule's number and seed, handed out one at a time.
    let dispenser = std::sync::Mutex::new((0u64, Rng::new(seed)));
    let next = || {
        let mut guard = dispenser
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (n, seeds) = &mut *guard;
        let out_of_time = seconds.is_some_and(|s| started.elapsed() >= Duration::from_secs(s));
        if *n >= schedules || out_of_time {
            return None;
        }
        let numbered = (*n, seeds.next_u64());
        *n += 1;
        Some(numbered)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts: Vec<(Summary, Vec<(u64, Schedule)>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| explore_part(settings, &next)))
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|panic| {
                    // explore_part catches the service's panics; one of its own is a bug here.
                    std::panic::resume_unwind(panic)
                })
            })
            .collect()
    });
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for (part, failed) in parts {
        summary.schedules += part.schedules;
        summary.executions += part.executions;
        summary.faults.add(&part.faults);
        failures.extend(failed);
    }
    failures.sort_by_key(|(n, _)| *n);
    summary.failures = failures.into_iter().map(|(_, schedule)| schedule).collect();
    summary
}

/// One thread's share of [`explore`]: the schedules `next` hands it, and its failures with
/// their numbers.
fn explore_part(
    settings: &Settings,
    next: &(dyn Fn() -> Option<(u64, u64)> + Sync),
) -> (Summary, Vec<(u64, Schedule)>) {
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    while let Some((n, schedule_seed)) = next() {
        // A kind of schedule asked for runs alone; the default mixes them all.
        let kind = if settings.weather == Weather::Faulty {
            n % 10
        } else {
            u64::MAX
        };
        let settings = match kind {
            // Large data is slow to simulate (every write measures its record): one in forty,
            // of one execution each.
            2 if n % 40 == 2 => Settings::large_data(),
            9 => Settings {
                executions: settings.executions,
                ..Settings::calm()
            },
            4 => settings.stormy(),
            6 if !settings.workloads.is_empty() => Settings {
                executions: settings.executions,
                ..settings.bench()
            },
            7 => Settings {
                executions: settings.executions,
                ..Settings::slow_tasks()
            },
            _ => settings.clone(),
        };
        let schedule =
            std::panic::catch_unwind(|| run(schedule_seed, &settings)).unwrap_or_else(|panic| {
                Schedule {
                    seed: schedule_seed,
                    violations: vec![format!(
                        "the service panicked: {}",
                        panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                            .unwrap_or_default()
                    )],
                    ..Schedule::default()
                }
            });
        summary.schedules += 1;
        summary.executions += schedule.executions as u64;
        summary.faults.add(&schedule.faults);
        if !schedule.violations.is_empty() {
            failures.push((n, schedule));
        }
    }
    (summary, failures)
}
