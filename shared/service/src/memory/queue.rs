//! The in-memory step queue.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::ports::{PortError, StepQueue};
use crate::records::StepMessage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub message: StepMessage,
    pub delay_seconds: u32,
}

#[derive(Default)]
pub struct MemoryQueue {
    messages: Mutex<VecDeque<QueuedMessage>>,
}

impl MemoryQueue {
    /// Takes the oldest message, whatever its delay (tests move time themselves).
    pub fn pop(&self) -> Option<QueuedMessage> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front()
    }

    pub fn len(&self) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StepQueue for MemoryQueue {
    async fn send(&self, message: &StepMessage, delay_seconds: u32) -> Result<(), PortError> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(QueuedMessage {
                message: message.clone(),
                delay_seconds: delay_seconds.min(900),
            });
        Ok(())
    }
}
