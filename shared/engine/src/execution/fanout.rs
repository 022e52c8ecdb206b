//! Parallel and Map states: child threads that live in the snapshot, and how their outcomes
//! come together.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::dataflow::no_results;
use super::inspection::Stage;
use super::jsonata_eval::States;
use super::snapshot::{Fanout, ParentLink, Phase, Thread, ThreadId};
use super::states::{json_type, plain_text};
use super::stepper::{Flow, Stepper};
use crate::definition::{
    IntOrPath, ItemBatcher, ItemSelector, ItemsSource, Map, NumberOrPath, Parallel, PathField,
    StateKind, Template,
};
use crate::failure::{names, Failure};

impl<'a> Stepper<'a> {
    pub(super) fn parallel(
        &mut self,
        tid: ThreadId,
        thread: &mut Thread,
        parallel: &Parallel,
    ) -> Flow {
        let input = match (&parallel.parameters, &parallel.arguments) {
            (_, Some(args)) => {
                self.jsonata(thread, args, "Arguments", States::input(&thread.input))
            }
            (parameters, None) => self
                .input_path(thread)
                .and_then(|effective| match parameters {
                    Some(p) => self.payload(thread, p, &effective, None),
                    None => Ok(effective.into_owned()),
                }),
        };
        let input = match input {
            Ok(v) => v,
            Err(f) => return self.failed(thread, f),
        };
        let stage = if parallel.arguments.is_some() {
            Some(Stage::Arguments)
        } else {
            parallel.parameters.as_ref().map(|_| Stage::Parameters)
        };
        if let Some(stage) = stage {
            self.inspect(thread, stage, &input);
        }
        self.record("ParallelStateStarted", None, || json!({}));
        if let Some(mock) = self.fanout_mock(thread) {
            return match mock.outcome {
                Ok(result) => {
                    self.record("ParallelStateSucceeded", None, || json!({}));
                    thread.phase = Phase::Complete(result);
                    Flow::Continue
                }
                Err(failure) => {
                    self.record("ParallelStateFailed", None, || json!({}));
                    self.failed(thread, failure)
                }
            };
        }
        let n = parallel.branches.len();
        for (slot, &branch) in parallel.branches.iter().enumerate() {
            let start = self.machine.branch(branch).start_at;
            let child = self.spawn(
                Some(ParentLink { thread: tid, slot }),
                Some(thread.scope),
                branch,
                start,
                input.clone(),
            );
            self.snap.ready.push_back(child);
        }
        thread.phase = Phase::AwaitChildren(Box::new(Fanout {
            is_map: false,
            results: vec![Value::Null; n],
            pending: n,
            queued: VecDeque::new(),
            next_index: n,
            max_concurrency: 0,
            failures: 0,
            tolerated: None,
            total: n,
            running: n,
            distributed: false,
        }));
        Flow::Park
    }

    pub(super) fn map(&mut self, tid: ThreadId, thread: &mut Thread, map: &Map) -> Flow {
        match self.start_map(tid, thread, map) {
            Ok(flow) => flow,
            Err(f) => self.failed(thread, f),
        }
    }

    fn start_map(
        &mut self,
        tid: ThreadId,
        thread: &mut Thread,
        map: &Map,
    ) -> Result<Flow, Failure> {
        let effective = self.input_path(thread)?;
        let items = self.map_items(thread, map, &effective)?;
        let max_concurrency =
            self.map_integer(thread, &map.max_concurrency, "MaxConcurrency", &effective)?;
        let count = match &map.tolerated_failure_count {
            Some(field) => {
                let n = self.map_integer(thread, field, "ToleratedFailureCount", &effective)?;
                Some(n)
            }
            None => None,
        };
        let percentage = match &map.tolerated_failure_percentage {
            Some(field) => Some(self.map_percentage(thread, field, &effective)?),
            None => None,
        };
        self.inspect_limits(thread, max_concurrency, count, percentage);
        let total = items.len();
        let tolerated = match (count, percentage) {
            (None, None) => None,
            (c, p) => {
                #[allow(
                    clippy::cast_precision_loss,
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss
                )]
                let from_pct = p.map(|p| ((p / 100.0) * total as f64).floor() as u64);
                let from_count = c.map(|c| u64::try_from(c).unwrap_or(0));
                match (from_count, from_pct) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        };
        let mut queued = VecDeque::with_capacity(total);
        for (index, item) in items.into_iter().enumerate() {
            let input = match &map.item_selector {
                Some(ItemSelector::JsonPath(selector)) => {
                    self.payload(thread, selector, &effective, Some((index, &item)))?
                }
                Some(ItemSelector::Jsonata(selector)) => {
                    let states = States {
                        input: &effective,
                        result: None,
                        error_output: None,
                        map_item: Some((index, &item)),
                    };
                    self.jsonata(thread, selector, "ItemSelector", states)?
                }
                None => item,
            };
            queued.push_back(input);
        }
        if map.item_selector.is_some() {
            self.inspect(
                thread,
                Stage::ItemSelector,
                &Value::Array(queued.iter().cloned().collect()),
            );
        }
        let (queued, total) = match &map.item_batcher {
            Some(batcher) => {
                let batches = self.batches(thread, batcher, &effective, queued)?;
                self.inspect(
                    thread,
                    Stage::ItemBatcher,
                    &Value::Array(batches.iter().cloned().collect()),
                );
                let n = batches.len();
                (batches, n)
            }
            None => (queued, total),
        };
        self.record(
            "MapStateStarted",
            None,
            || json!({"mapStateStartedEventDetails": {"length": total}}),
        );
        if map.distributed {
            self.record("MapRunStarted", None, || json!({}));
        }
        if let Some(mock) = self.fanout_mock(thread) {
            let exceeded = tolerated.is_some_and(|t| mock.iteration_failures > t);
            let outcome = match mock.outcome {
                Ok(_) if exceeded => Err(Failure::new(
                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    "The specified tolerated failure threshold was exceeded",
                )),
                outcome => outcome,
            };
            self.map_finished(map.distributed, outcome.is_ok());
            let result = outcome?;
            thread.phase = Phase::Complete(result);
            return Ok(Flow::Continue);
        }
        if total == 0 {
            self.map_finished(map.distributed, true);
            thread.phase = Phase::Complete(Value::Array(Vec::new()));
            return Ok(Flow::Continue);
        }
        let mut fanout = Box::new(Fanout {
            is_map: true,
            results: vec![Value::Null; total],
            pending: total,
            queued,
            next_index: 0,
            max_concurrency: effective_concurrency(max_concurrency),
            failures: 0,
            tolerated,
            total,
            running: 0,
            distributed: map.distributed,
        });
        let name = self.state_of(thread).name.as_str();
        self.launch_iterations(tid, thread.scope, name, map.processor, &mut fanout);
        thread.phase = Phase::AwaitChildren(fanout);
        Ok(Flow::Park)
    }

    /// Groups item inputs into `{"BatchInput": ..., "Items": [...]}` batches.
    fn batches(
        &mut self,
        thread: &Thread,
        batcher: &ItemBatcher,
        effective: &Value,
        items: VecDeque<Value>,
    ) -> Result<VecDeque<Value>, Failure> {
        let limit =
            |this: &mut Self, field: &Option<IntOrPath>, name: &str| -> Result<usize, Failure> {
                match field {
                    None => Ok(usize::MAX),
                    Some(f) => this
                        .map_integer(thread, f, name, effective)
                        .map(|n| usize::try_from(n).unwrap_or(usize::MAX).max(1)),
                }
            };
        let max_items = limit(self, &batcher.max_items_per_batch, "MaxItemsPerBatch")?;
        let max_bytes = limit(
            self,
            &batcher.max_input_bytes_per_batch,
            "MaxInputBytesPerBatch",
        )?;
        let batch_input = match &batcher.batch_input {
            Some(p) => Some(self.payload(thread, p, effective, None)?),
            None => None,
        };
        let mut batches = VecDeque::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = 0usize;
        for item in items {
            let size = serde_json::to_vec(&item).map_or(0, |b| b.len()) + 1;
            if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
                batches.push_back(batch(batch_input.as_ref(), std::mem::take(&mut current)));
                bytes = 0;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push_back(batch(batch_input.as_ref(), current));
        }
        Ok(batches)
    }

    /// The items a Map iterates over: `ItemsPath` (JSONPath) or `Items` (JSONata), by default
    /// the effective input; they must form an array.
    fn map_items(
        &mut self,
        thread: &Thread,
        map: &Map,
        effective: &Value,
    ) -> Result<Vec<Value>, Failure> {
        match &map.items {
            ItemsSource::Path(PathField::Path(path)) => {
                let selected = self.select(thread, path, effective);
                if let Some(items) = &selected {
                    self.inspect(thread, Stage::ItemsPath, items);
                }
                match selected {
                    Some(Value::Array(items)) => Ok(items),
                    Some(other) => Err(self.runtime_failure(
                        thread,
                        &format!("Map state input must be an array but was: {other}"),
                    )),
                    None => Err(self.runtime_failure(thread, &no_results(path))),
                }
            }
            ItemsSource::Jsonata(Some(template)) => {
                match self.jsonata(thread, template, "Items", States::input(effective))? {
                    Value::Array(items) => Ok(items),
                    other => {
                        let text = template.as_expression().map_or("", |e| e.text());
                        Err(self.query_failure(
                            thread,
                            &format!(
                                "The JSONata expression '{text}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {other}",
                                json_type(&other)
                            ),
                        ))
                    }
                }
            }
            ItemsSource::Path(_) | ItemsSource::Jsonata(None) => {
                if matches!(map.items, ItemsSource::Path(_)) {
                    self.inspect(thread, Stage::ItemsPath, effective);
                }
                match effective {
                    Value::Array(items) => Ok(items.clone()),
                    other => {
                        let message = format!("Map state input must be an array but was: {other}");
                        Err(if matches!(map.items, ItemsSource::Jsonata(_)) {
                            self.query_failure(thread, &message)
                        } else {
                            self.runtime_failure(thread, &message)
                        })
                    }
                }
            }
        }
    }

    /// A JSONata number field (`MaxConcurrency`, `ToleratedFailure…`).
    fn expression_number(
        &mut self,
        thread: &Thread,
        template: &Template,
        field: &str,
        input: &Value,
    ) -> Result<f64, Failure> {
        let value = self.jsonata(thread, template, field, States::input(input))?;
        value.as_f64().ok_or_else(|| {
            let text = template.as_expression().map_or("", |e| e.text());
            self.query_failure(
                thread,
                &format!(
                    "The JSONata expression '{text}' specified for the field '{field}' returned an unexpected result type. Expected 'number', but was '{}' for value: {value}",
                    json_type(&value)
                ),
            )
        })
    }

    fn map_integer(
        &mut self,
        thread: &Thread,
        field: &IntOrPath,
        name: &str,
        input: &Value,
    ) -> Result<i64, Failure> {
        let value = match field {
            IntOrPath::Value(n) => *n,
            IntOrPath::Expression(t) => {
                #[allow(clippy::cast_possible_truncation)]
                let n = self.expression_number(thread, t, name, input)?.trunc() as i64;
                n
            }
            IntOrPath::Path(path) => {
                let Some(v) = self.select(thread, path, input) else {
                    return Err(self.runtime_failure(thread, &no_results(path)));
                };
                // A numeric string is read as its number (recorded against AWS for
                // ToleratedFailureCountPath).
                let parsed = match &v {
                    Value::String(text) if name != "MaxConcurrency" => {
                        text.trim().parse::<i64>().ok()
                    }
                    _ => v.as_i64().filter(|_| v.is_i64() || v.is_u64()),
                };
                match parsed {
                    Some(n) => n,
                    _ => {
                        return Err(self.runtime_failure(
                            thread,
                            &format!(
                                "The {name}Path field refers to value \"{}\" which is not a valid integer: {}",
                                plain_text(&v),
                                path.text()
                            ),
                        ))
                    }
                }
            }
        };
        if value < 0 {
            return Err(self.runtime_failure(thread, &format!("{name} cannot be negative.")));
        }
        Ok(value)
    }

    fn map_percentage(
        &mut self,
        thread: &Thread,
        field: &NumberOrPath,
        input: &Value,
    ) -> Result<f64, Failure> {
        let value = match field {
            NumberOrPath::Value(n) => *n,
            NumberOrPath::Expression(t) => {
                self.expression_number(thread, t, "ToleratedFailurePercentage", input)?
            }
            NumberOrPath::Path(path) => {
                let Some(v) = self.select(thread, path, input) else {
                    return Err(self.runtime_failure(thread, &no_results(path)));
                };
                let parsed = match &v {
                    Value::String(text) => text.trim().parse::<f64>().ok(),
                    _ => v.as_f64(),
                };
                match parsed {
                    Some(n) => n,
                    None => {
                        return Err(self.runtime_failure(
                            thread,
                            &format!(
                                "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                                plain_text(&v),
                                path.text()
                            ),
                        ))
                    }
                }
            }
        };
        if !(0.0..=100.0).contains(&value) {
            return Err(self.runtime_failure(
                thread,
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        Ok(value)
    }

    /// Starts queued iterations up to the effective concurrency.
    fn launch_iterations(
        &mut self,
        parent: ThreadId,
        outer_scope: u64,
        name: &str,
        processor: usize,
        fanout: &mut Fanout,
    ) {
        let start = self.machine.branch(processor).start_at;
        while let Some(input) = (fanout.running < fanout.max_concurrency)
            .then(|| fanout.queued.pop_front())
            .flatten()
        {
            let slot = fanout.next_index;
            fanout.next_index += 1;
            fanout.running += 1;
            if !fanout.distributed {
                self.record(
                    "MapIterationStarted",
                    None,
                    || json!({"mapIterationStartedEventDetails": {"index": slot, "name": name}}),
                );
            }
            // Distributed Map iterations are child workflows: they do not see outer variables.
            let outer = (!fanout.distributed).then_some(outer_scope);
            let child = self.spawn(
                Some(ParentLink {
                    thread: parent,
                    slot,
                }),
                outer,
                processor,
                start,
                input,
            );
            self.snap.ready.push_back(child);
        }
    }

    fn map_finished(&mut self, distributed: bool, succeeded: bool) {
        if distributed {
            self.record(
                if succeeded {
                    "MapRunSucceeded"
                } else {
                    "MapRunFailed"
                },
                None,
                || json!({}),
            );
        }
        self.record(
            if succeeded {
                "MapStateSucceeded"
            } else {
                "MapStateFailed"
            },
            None,
            || json!({}),
        );
    }

    /// A branch or iteration ended.
    pub(super) fn child_finished(
        &mut self,
        _child: ThreadId,
        link: ParentLink,
        outcome: Result<Value, Failure>,
    ) {
        let Some(mut parent) = self.snap.threads.remove(&link.thread) else {
            return;
        };
        let Phase::AwaitChildren(mut fanout) = std::mem::replace(&mut parent.phase, Phase::Execute)
        else {
            self.snap.threads.insert(link.thread, parent);
            return;
        };
        fanout.pending -= 1;
        fanout.running -= 1;
        let next_phase = if fanout.is_map {
            self.map_child(link, &parent, &mut fanout, outcome)
        } else {
            self.parallel_child(link, &mut fanout, outcome)
        };
        match next_phase {
            Some(phase) => {
                parent.phase = phase;
                self.snap.threads.insert(link.thread, parent);
                self.cancel_children(link.thread);
                self.snap.ready.push_back(link.thread);
            }
            None => {
                parent.phase = Phase::AwaitChildren(fanout);
                self.snap.threads.insert(link.thread, parent);
            }
        }
    }

    fn parallel_child(
        &mut self,
        link: ParentLink,
        fanout: &mut Fanout,
        outcome: Result<Value, Failure>,
    ) -> Option<Phase> {
        match outcome {
            Ok(output) => {
                fanout.results[link.slot] = output;
                (fanout.pending == 0).then(|| {
                    self.record("ParallelStateSucceeded", None, || json!({}));
                    Phase::Complete(Value::Array(std::mem::take(&mut fanout.results)))
                })
            }
            Err(failure) => {
                self.record("ParallelStateFailed", None, || json!({}));
                Some(Phase::Failed(failure))
            }
        }
    }

    fn map_child(
        &mut self,
        link: ParentLink,
        parent: &Thread,
        fanout: &mut Fanout,
        outcome: Result<Value, Failure>,
    ) -> Option<Phase> {
        let distributed = fanout.distributed;
        let name = self.state_of(parent).name.as_str();
        match outcome {
            Ok(output) => {
                if !distributed {
                    self.record(
                        "MapIterationSucceeded",
                        None,
                        || json!({"mapIterationSucceededEventDetails": {"index": link.slot, "name": name}}),
                    );
                }
                fanout.results[link.slot] = output;
            }
            Err(failure) => {
                if !distributed {
                    self.record(
                        "MapIterationFailed",
                        None,
                        || json!({"mapIterationFailedEventDetails": {"index": link.slot, "name": name}}),
                    );
                }
                fanout.failures += 1;
                match fanout.tolerated {
                    None => {
                        self.map_finished(distributed, false);
                        return Some(Phase::Failed(failure));
                    }
                    Some(t) if fanout.failures > t => {
                        self.map_finished(distributed, false);
                        return Some(Phase::Failed(Failure::new(
                            names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                            "The specified tolerated failure threshold was exceeded",
                        )));
                    }
                    Some(_) => fanout.results[link.slot] = failure.to_error_output(),
                }
            }
        }
        if fanout.pending == 0 {
            self.map_finished(distributed, true);
            return Some(Phase::Complete(Value::Array(std::mem::take(
                &mut fanout.results,
            ))));
        }
        if let StateKind::Map(map) = &self.state_of(parent).kind {
            self.launch_iterations(link.thread, parent.scope, name, map.processor, fanout);
        }
        None
    }

    /// Stops every remaining child of `parent` (and their children): a sibling failed.
    pub(super) fn cancel_children(&mut self, parent: ThreadId) {
        let children: Vec<ThreadId> = self
            .snap
            .threads
            .iter()
            .filter(|(_, t)| t.parent.is_some_and(|p| p.thread == parent))
            .map(|(id, _)| *id)
            .collect();
        for child in children {
            self.cancel_children(child);
            if let Some(thread) = self.snap.threads.remove(&child) {
                self.cancel_waits_of(&thread);
            }
        }
    }
}

fn batch(batch_input: Option<&Value>, items: Vec<Value>) -> Value {
    let mut map = serde_json::Map::new();
    if let Some(b) = batch_input {
        map.insert("BatchInput".into(), b.clone());
    }
    map.insert("Items".into(), Value::Array(items));
    Value::Object(map)
}

/// AWS runs at most 40 iterations of an inline Map at once, whatever `MaxConcurrency` says
/// (0 means "as many as possible"). Distributed maps run inline here, under the same limit.
pub const INLINE_MAP_CONCURRENCY: usize = 40;

fn effective_concurrency(max_concurrency: i64) -> usize {
    match usize::try_from(max_concurrency) {
        Ok(n) if n > 0 => n.min(INLINE_MAP_CONCURRENCY),
        _ => INLINE_MAP_CONCURRENCY,
    }
}
