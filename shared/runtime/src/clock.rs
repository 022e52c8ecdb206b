//! The clock port: real wall-clock time, or a virtual clock that jumps to the next timer.

use std::sync::atomic::{AtomicI64, Ordering};

use quickstep::execution::Millis;

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
