//! The clock port: real wall-clock time, or a virtual clock that jumps to the next timer.

use std::sync::atomic::{AtomicI64, Ordering};

use quickstep_engine::execution::Millis;

/// Where "now" comes from.
#[derive(Debug)]
pub enum Clock {
    /// Wall-clock time; timers really wait.
    Real,
    /// Starts at a fixed time and moves only when the driver jumps it to the next timer, so a
    /// workflow that waits an hour finishes at once, deterministically.
    Virtual(AtomicI64),
}

impl Clock {
    pub fn virtual_at(start: Millis) -> Self {
        Self::Virtual(AtomicI64::new(start))
    }

    /// A virtual clock starting at the current wall-clock time.
    pub fn virtual_now() -> Self {
        Self::virtual_at(wall_clock())
    }

    pub fn now(&self) -> Millis {
        match self {
            Self::Real => wall_clock(),
            Self::Virtual(t) => t.load(Ordering::SeqCst),
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self, Self::Virtual(_))
    }

    /// Moves a virtual clock forward to `at` (never backward). No effect on the real clock.
    pub fn advance_to(&self, at: Millis) {
        if let Self::Virtual(t) = self {
            t.fetch_max(at, Ordering::SeqCst);
        }
    }
}

pub fn wall_clock() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Waiting until a time on a [`Clock`]: a driver racing its task calls against its timers and
/// its deadline. Real time sleeps on tokio's timer; a simulation supplies its own, on its own
/// clock.
pub trait Sleeper: Send + Sync {
    fn sleep_until(
        &self,
        clock: &Clock,
        at: Millis,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

/// Sleeps on tokio's timer for the time between the clock's now and `at`.
#[derive(Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep_until(
        &self,
        clock: &Clock,
        at: Millis,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        let wait = u64::try_from(at - clock.now()).unwrap_or(0);
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(wait)))
    }
}
