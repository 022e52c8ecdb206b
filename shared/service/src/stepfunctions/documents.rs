//! Changing a state machine's versioned documents (its tags; its versions and aliases): read
//! the document, change it, write it back conditionally on the version read, and try again
//! when another change came first, so that no change is lost.

use std::future::Future;

use super::fault::Fault;
use crate::ports::PortError;

/// How often a change is tried when others keep coming first.
const ATTEMPTS: usize = 5;

/// What a change made: `T`, and whether there is anything to write.
pub(super) struct Changed<T> {
    pub value: T,
    pub write: bool,
}

/// Reads the document with `read`, lets `change` change it, and writes it with `write` if the
/// change says so; `write` fails with [`PortError::Conflict`] when the document is no longer
/// at the version read, and the whole is tried again. `missing` names "not found" for the
/// resource (see [`Fault::from_service`]).
pub(super) async fn change<D, T, R, RF, W, WF>(
    read: R,
    write: W,
    mut change: impl FnMut(&mut D) -> Result<Changed<T>, Fault>,
    missing: &'static str,
) -> Result<T, Fault>
where
    R: Fn() -> RF,
    RF: Future<Output = Result<D, PortError>>,
    W: Fn(D) -> WF,
    WF: Future<Output = Result<(), PortError>>,
{
    for _ in 0..ATTEMPTS {
        let mut document = read()
            .await
            .map_err(|e| Fault::from_service(e.into(), missing))?;
        let changed = change(&mut document)?;
        if !changed.write {
            return Ok(changed.value);
        }
        match write(document).await {
            Ok(()) => return Ok(changed.value),
            Err(PortError::Conflict) => {}
            Err(e) => return Err(Fault::from_service(e.into(), missing)),
        }
    }
    Err(Fault::from_service(PortError::Conflict.into(), missing))
}
