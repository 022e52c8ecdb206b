//! The service's ports over the simulated world: each call is an operation that completes
//! after a drawn latency, may meet a fault, and may be where its invocation dies.

use std::future::Future;
use std::pin::Pin;

use quickstep_engine::execution::{Millis, TaskRequest};
use quickstep_runtime::clock::{Clock, Sleeper};
use quickstep_runtime::ids::IdGenerator;
use quickstep_runtime::invoker::{Invocation, TaskInvoker};
use quickstep_service::ports::{
    replace_if_version, Created, EventPublisher, Listing, PortError, StepQueue, Store,
};
use quickstep_service::records::{
    Asked, ExecutionEntry, ExecutionRecord, MachineEntry, MachineSettings, MachineType, NewEvents,
    Published, StateMachineRecord, StatusChange, StepMessage, Tags,
};
use serde_json::Value;

use crate::bus::ENTRY_LIMIT_BYTES;
use crate::dynamo::Batch;
use crate::executor::operation;
use crate::faults::Fault;
use crate::world::{Shared, World};

pub struct SimStore(pub Shared);
pub struct SimQueue(pub Shared);
pub struct SimPublisher(pub Shared);
pub struct SimInvoker(pub Shared);
pub struct SimSleeper(pub Shared);
pub struct SimIds(pub Shared);

/// A throttled request, now and then.
fn throttled(w: &mut World) -> bool {
    let throttled = w.rng.chance(w.settings.throttle_rate);
    if throttled {
        w.faults.count(Fault::StoreThrottled);
    }
    throttled
}

fn throttle_error() -> PortError {
    PortError::Retryable("ProvisionedThroughputExceededException (simulated)".into())
}

impl Store for SimStore {
    async fn put_state_machine(
        &self,
        name: &str,
        arn: &str,
        definition: &Value,
        asked: &Asked,
        now: i64,
    ) -> Result<StateMachineRecord, PortError> {
        let (name, arn, definition) = (name.to_owned(), arn.to_owned(), definition.clone());
        let asked = asked.clone();
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            let revisions = w.dynamo.machines.entry(name.clone()).or_default();
            let (machine_type, settings) = StateMachineRecord::next(revisions.last(), &asked);
            let record = StateMachineRecord {
                name,
                arn,
                revision: revisions.len() as u64 + 1,
                definition,
                created: now,
                machine_type,
                deleted: false,
                settings,
            };
            revisions.push(record.clone());
            Ok(record)
        })
        .await
    }

    // The simulated workflows never delete or list; these keep the DynamoDB adapter's
    // meaning without faults.
    async fn delete_state_machine(&self, name: &str, arn: &str, now: i64) -> Result<(), PortError> {
        let (name, arn) = (name.to_owned(), arn.to_owned());
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            let revisions = w.dynamo.machines.entry(name.clone()).or_default();
            if StateMachineRecord::created_since(revisions).is_some() {
                let revision = revisions.len() as u64 + 1;
                revisions.push(StateMachineRecord {
                    name: name.clone(),
                    arn,
                    revision,
                    definition: Value::Null,
                    created: now,
                    machine_type: MachineType::default(),
                    deleted: true,
                    settings: MachineSettings::default(),
                });
                w.dynamo.tags.remove(&name);
                w.dynamo.published.remove(&name);
            }
            Ok(())
        })
        .await
    }

    async fn get_tags(&self, name: &str) -> Result<Tags, PortError> {
        let name = name.to_owned();
        let latency = self.0.lock().latency(1, 15);
        operation(&self.0, latency, true, move |w| {
            Ok(w.dynamo.tags.get(&name).cloned().unwrap_or_default())
        })
        .await
    }

    async fn put_tags(
        &self,
        name: &str,
        tags: &std::collections::BTreeMap<String, String>,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let (name, tags) = (name.to_owned(), tags.clone());
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            let tags = Tags {
                version: expected_version,
                tags,
            };
            replace_if_version(w.dynamo.tags.entry(name).or_default(), tags)
        })
        .await
    }

    async fn get_published(&self, name: &str) -> Result<Published, PortError> {
        let name = name.to_owned();
        let latency = self.0.lock().latency(1, 15);
        operation(&self.0, latency, true, move |w| {
            Ok(w.dynamo.published.get(&name).cloned().unwrap_or_default())
        })
        .await
    }

    async fn put_published(&self, name: &str, published: &Published) -> Result<(), PortError> {
        let (name, published) = (name.to_owned(), published.clone());
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            replace_if_version(w.dynamo.published.entry(name).or_default(), published)
        })
        .await
    }

    async fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<MachineEntry>, PortError> {
        let after = after.map(str::to_owned);
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            let entries = w
                .dynamo
                .machines
                .iter()
                .filter_map(|(name, revisions)| {
                    let created = StateMachineRecord::created_since(revisions)?;
                    let entry = MachineEntry {
                        name: name.clone(),
                        machine_type: revisions.last()?.machine_type,
                        created,
                    };
                    Some((name.clone(), entry))
                })
                .collect();
            Ok(Listing::page(entries, false, after.as_deref(), limit))
        })
        .await
    }

    async fn list_executions(
        &self,
        machine: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listing<ExecutionEntry>, PortError> {
        let (machine, status) = (machine.to_owned(), status.map(str::to_owned));
        let after = after.map(str::to_owned);
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            let entries = w
                .dynamo
                .executions
                .keys()
                .filter_map(|arn| w.dynamo.execution(arn))
                .filter(|r| r.state_machine_name == machine)
                .filter(|r| status.as_deref().is_none_or(|s| r.status == s))
                .map(|r| {
                    let entry = ExecutionEntry::of(&r);
                    (entry.listing_key(), entry)
                })
                .collect();
            Ok(Listing::page(entries, true, after.as_deref(), limit))
        })
        .await
    }

    async fn get_state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>, PortError> {
        let name = name.to_owned();
        let latency = self.0.lock().latency(1, 15);
        operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            Ok(w.dynamo
                .machines
                .get(&name)
                .and_then(|r| r.last().filter(|m| !m.deleted).cloned()))
        })
        .await
    }

    async fn get_revision(
        &self,
        name: &str,
        revision: u64,
    ) -> Result<Option<StateMachineRecord>, PortError> {
        let name = name.to_owned();
        let latency = self.0.lock().latency(1, 15);
        operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            Ok(w.dynamo
                .machines
                .get(&name)
                .and_then(|r| r.iter().find(|m| m.revision == revision).cloned()))
        })
        .await
    }

    async fn create_execution(&self, record: &mut ExecutionRecord) -> Result<Created, PortError> {
        let (new, json) = prepare(&self.0, record).await?;
        let arn = record.arn.clone();
        let ended = record.is_terminal();
        let latency = self.0.lock().latency(2, 30);
        let created = operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            if let Some(existing) = w.dynamo.execution(&arn) {
                return Ok(Created::Existing(Box::new(existing)));
            }
            let now = w.now;
            w.dynamo.store_execution(arn, json, ended, now);
            lost_answer(w, Created::New)
        })
        .await;
        if !matches!(created, Ok(Created::New)) {
            record.put_back(new);
        }
        created
    }

    async fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, PortError> {
        let arn = arn.to_owned();
        let latency = self.0.lock().latency(1, 15);
        operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            Ok(w.dynamo.execution(&arn))
        })
        .await
    }

    async fn get_execution_with_history(
        &self,
        arn: &str,
    ) -> Result<Option<ExecutionRecord>, PortError> {
        let arn = arn.to_owned();
        let latency = self.0.lock().latency(2, 30);
        operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            w.dynamo
                .execution(&arn)
                .map(|record| w.dynamo.with_history(record))
                .transpose()
                .map_err(PortError::Terminal)
        })
        .await
    }

    async fn put_execution_if_version(
        &self,
        record: &mut ExecutionRecord,
        expected_version: u64,
    ) -> Result<(), PortError> {
        let (new, json) = prepare(&self.0, record).await?;
        let arn = record.arn.clone();
        let ended = record.is_terminal();
        let latency = self.0.lock().latency(2, 30);
        let written = operation(&self.0, latency, true, move |w| {
            if throttled(w) {
                return Err(throttle_error());
            }
            let stored = w.dynamo.version_of(&arn);
            w.note(|| {
                format!(
                    "put {} if v{expected_version} (stored {stored:?})",
                    &arn[arn.len().saturating_sub(12)..]
                )
            });
            if stored != Some(expected_version) {
                return Err(PortError::Conflict);
            }
            let now = w.now;
            w.dynamo.store_execution(arn, json, ended, now);
            lost_answer(w, ())
        })
        .await;
        if written.is_err() {
            record.put_back(new);
        }
        written
    }
}

/// The first half of a write of `record`: its history, then its JSON (see [`write_history`]).
async fn prepare(
    world: &Shared,
    record: &mut ExecutionRecord,
) -> Result<(NewEvents, String), PortError> {
    let new = write_history(world, record).await?;
    let limit = world.lock().settings.record_limit_bytes;
    match encode(record, limit) {
        Ok(json) => Ok((new, json)),
        Err(e) => {
            record.put_back(new);
            Err(e)
        }
    }
}

/// Writes the record's new history events as a batch chained after its last one, before the
/// record that points at it (as the DynamoDB adapter does): its own operation, so an
/// invocation can die between the two, leaving a batch no chain reaches. Takes the events out
/// of the record ([`ExecutionRecord::take_new_events`]), or now and then leaves them in it, as
/// the adapter does when that is cheaper.
async fn write_history(
    world: &Shared,
    record: &mut ExecutionRecord,
) -> Result<NewEvents, PortError> {
    let (key, inline) = {
        let mut w = world.lock();
        w.dynamo.batches_written += 1;
        let n = w.dynamo.batches_written;
        // The adapter keeps a few events in the record when that is cheaper: here every other
        // write or so, by a hash of the count (drawing from the world's generator would
        // change every schedule a seed replays).
        let inline = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63 == 1;
        (
            format!("H#{:012}#{n}", record.stored_history.events + 1),
            inline,
        )
    };
    if inline {
        return Ok(record.keep_events());
    }
    let new = record.take_new_events(Some(key.clone()));
    if new.events.is_empty() {
        return Ok(new);
    }
    let events = match serde_json::to_string(&new.events) {
        Ok(json) => json,
        Err(e) => {
            record.put_back(new);
            return Err(PortError::Terminal(e.to_string()));
        }
    };
    let batch = Batch {
        previous: new.previous.tail.clone(),
        events,
    };
    let arn = record.arn.clone();
    let latency = world.lock().latency(2, 30);
    let written = operation(world, latency, true, move |w| {
        if throttled(w) {
            return Err(throttle_error());
        }
        w.dynamo.batches.insert((arn, key), batch);
        lost_answer(w, ())
    })
    .await;
    match written {
        Ok(()) => Ok(new),
        Err(e) => {
            record.put_back(new);
            Err(e)
        }
    }
}

/// The record as the DynamoDB adapter stores it, refused over `limit` as the adapter refuses it.
fn encode(record: &ExecutionRecord, limit: usize) -> Result<String, PortError> {
    let json = serde_json::to_string(record).map_err(|e| PortError::Terminal(e.to_string()))?;
    if json.len() > limit {
        return Err(PortError::Terminal(format!(
            "States.DataLimitExceeded: the record is {} bytes, more than an item holds",
            json.len()
        )));
    }
    Ok(json)
}

/// A write that took effect, whose answer is now and then lost on the way back.
fn lost_answer<T>(w: &mut World, answer: T) -> Result<T, PortError> {
    if w.rng.chance(w.settings.lost_answer_rate) {
        w.faults.count(Fault::StoreLostAnswer);
        return Err(PortError::Retryable(
            "the request timed out (simulated)".into(),
        ));
    }
    Ok(answer)
}

impl StepQueue for SimQueue {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        let message = message.clone();
        let latency = self.0.lock().latency(2, 20);
        operation(&self.0, latency, true, move |w| {
            if w.rng.chance(w.settings.send_fail_rate) {
                w.faults.count(Fault::SendFailed);
                return Err(PortError::Retryable(
                    "SQS SendMessage failed (simulated)".into(),
                ));
            }
            w.sqs_send(message, delay_seconds.min(900));
            Ok(())
        })
        .await
    }
}

impl EventPublisher for SimPublisher {
    async fn publish(&self, event: &StatusChange) -> Result<(), PortError> {
        let event = event.clone();
        let size = serde_json::to_string(&event).map_or(usize::MAX, |s| s.len());
        let latency = self.0.lock().latency(5, 40);
        operation(&self.0, latency, true, move |w| {
            if size > ENTRY_LIMIT_BYTES {
                w.violations.push(format!(
                    "the status event of {} is {size} bytes, over EventBridge's entry limit",
                    event.execution_arn
                ));
                return Err(PortError::Terminal("the entry is too large".into()));
            }
            if w.rng.chance(w.settings.publish_fail_rate) {
                w.faults.count(Fault::PublishFailed);
                return Err(PortError::Retryable("PutEvents failed (simulated)".into()));
            }
            let now = w.now;
            w.bus.events.push((now, event));
            Ok(())
        })
        .await
    }
}

impl TaskInvoker for SimInvoker {
    fn invoke(&self, request: &TaskRequest) -> Invocation {
        let world = self.0.clone();
        let request = request.clone();
        Invocation::Pending(Box::pin(async move {
            let (duration, outcome) = world.lock().task_call(&request);
            operation(&world, duration, true, move |_| outcome).await
        }))
    }
}

impl Sleeper for SimSleeper {
    fn sleep_until(&self, clock: &Clock, at: Millis) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let wait = at - clock.now();
        Box::pin(operation(&self.0, wait, false, |_| ()))
    }
}

impl IdGenerator for SimIds {
    fn execution_name(&self) -> String {
        let n = self.0.lock().rng.next_u64();
        format!("sim-{n:016x}")
    }

    fn seed(&self) -> u64 {
        self.0.lock().rng.next_u64()
    }
}
