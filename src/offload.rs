//! Work that may run long (a catch-up of a virtual day, a large fixture, a listing of every call)
//! must not take a runtime worker with it: on a two-worker runtime two such requests would leave
//! nothing to answer `/_ccemu/health`, the vendors or a signal.

/// Runs `f` where it cannot starve the runtime: under `block_in_place` on a multi-thread runtime
/// (the worker's other tasks move to a fresh worker while `f` runs), inline elsewhere (a
/// current-thread runtime in a test, or no runtime at all). Cheap work should not come here:
/// handing a worker's tasks over costs a thread wake-up.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// [`blocking`] for a future: on a multi-thread runtime the future runs to completion on a thread
/// that has handed its worker's tasks over (`block_in_place` + `Handle::block_on`), so its
/// synchronous stretches cannot starve the runtime; elsewhere it is simply awaited. For work that
/// mostly computes; a future that mostly waits (a long poll) should be awaited as it is, or it
/// holds a thread for the whole wait.
pub async fn run<F: std::future::Future>(fut: F) -> F::Output {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| h.block_on(fut))
        }
        _ => fut.await,
    }
}
