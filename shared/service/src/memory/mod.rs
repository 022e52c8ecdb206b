//! In-memory adapters of the ports, for tests and the local CLI. They behave as the AWS ones
//! do where it matters: conditional writes conflict, execution names are unique, messages carry
//! their delay.

mod publisher;
mod queue;
mod store;
mod telemetry;

pub use publisher::MemoryPublisher;
pub use queue::{MemoryQueue, QueuedMessage};
pub use store::MemoryStore;
pub use telemetry::MemoryTelemetry;
