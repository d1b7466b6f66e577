// SPDX-License-Identifier: GPL-2.0

//! Class 7, spelling: an inner `#[allow(unsafe_code)]` to get an `unsafe`
//! block into the core (here to enter task context from a timer callback).
//! `forbid` cannot be overridden by a later `allow`.
// kbuild
// expect-error: error[E0453]: allow(unsafe_code) incompatible with previous forbid

use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::uring::model::ring::Ring;

/// The violation: the lint allowed back.
#[cfg(bug)]
#[allow(unsafe_code)]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, _cx: AtomicCtx) {
    // SAFETY: none; this is the attack.
    let mut task = unsafe { TaskCtx::enter() };
    drop(ring.lock_uring(&mut task));
}

/// The honest shape: no `unsafe`, `timeout_lock` only.
#[cfg(not(bug))]
pub(crate) fn timer_cb(ring: Ring<'_, '_>, mut cx: AtomicCtx) {
    let _: Option<TaskCtx> = None;
    drop(ring.lock_timeout(&mut cx));
}
