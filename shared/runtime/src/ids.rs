//! The id generator port: execution names and random seeds.

use std::sync::atomic::{AtomicU64, Ordering};

/// Makes execution names and the seeds of executions' random generators.
pub trait IdGenerator: Send + Sync {
    fn execution_name(&self) -> String;
    fn seed(&self) -> u64;
}

/// Random v4 UUID names and random seeds, as AWS names executions.
#[derive(Debug, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn execution_name(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn seed(&self) -> u64 {
        let (high, _) = uuid::Uuid::new_v4().as_u64_pair();
        high
    }
}

/// Deterministic names (`exec-1`, `exec-2`, ...) and seeds, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn execution_name(&self) -> String {
        format!("exec-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn seed(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
