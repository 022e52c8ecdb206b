//! The in-memory event publisher.

use std::sync::Mutex;

use crate::ports::{EventPublisher, PortError};
use crate::records::StatusChange;

#[derive(Default)]
pub struct MemoryPublisher {
    events: Mutex<Vec<StatusChange>>,
}

impl MemoryPublisher {
    pub fn events(&self) -> Vec<StatusChange> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl EventPublisher for MemoryPublisher {
    async fn publish(&self, event: &StatusChange) -> Result<(), PortError> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.clone());
        Ok(())
    }
}
