//! Recording history events. Event ids are counted even when history is not kept, because
//! runtime error causes name the id of the state's entered event.

use serde_json::Value;

use super::history::HistoryEvent;
use super::stepper::Stepper;

impl Stepper<'_> {
    /// Records an event without a state name; returns its id.
    #[inline]
    pub fn record(
        &mut self,
        kind: &str,
        name: Option<&str>,
        details: impl FnOnce() -> Value,
    ) -> u64 {
        let id = self.snap.event_id + 1;
        self.snap.event_id = id;
        if self.snap.options.record_history {
            self.snap.history.push(HistoryEvent {
                id,
                previous_event_id: id - 1,
                timestamp: self.now,
                kind: kind.to_owned(),
                name: name.map(str::to_owned),
                details: Some(details()),
            });
        }
        id
    }

    /// Records a `...StateEntered`/`...StateExited` event, which carries the state name.
    #[inline]
    pub fn record_named(&mut self, kind: &str, name: &str, details: impl FnOnce() -> Value) -> u64 {
        self.record(kind, Some(name), details)
    }
}
