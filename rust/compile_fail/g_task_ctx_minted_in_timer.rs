// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling: a timer callback mints the task context it lacks, to
//! take `uring_lock` (a mutex) in atomic context. `TaskCtx::enter` is an
//! `unsafe fn` whose contract is the context the caller runs in; core code
//! cannot call it.
// kbuild
// expect-error: error[E0133]: call to unsafe function
// expect-error: TaskCtx::enter

use crate::glue::context::AtomicCtx;
use crate::uring::model::ring::Ring;

/// The violation: a timer callback that makes itself a task context.
#[cfg(bug)]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, _cx: AtomicCtx) {
    use crate::glue::context::TaskCtx;
    let mut task = TaskCtx::enter();
    drop(ring.lock_uring(&mut task));
}

/// The honest shape: a timer callback takes `timeout_lock` only.
#[cfg(not(bug))]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, mut cx: AtomicCtx) {
    drop(ring.lock_timeout(&mut cx));
}
