// SPDX-License-Identifier: GPL-2.0

//! Class 2, spelling found by the second attack review: the reaper lock
//! taken again while held (a self-deadlock on a mutex), or the reaper locks
//! of two rings taken in either order. The reaper guard holds the task
//! context and lends it only to `completion_lock`, the lock that follows.
// kbuild
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time

use crate::glue::context::TaskCtx;
use crate::uring::model::ring::Ring;

/// The violation: the reaper lock twice, on one ring and on two.
#[cfg(bug)]
pub(crate) fn reap(a: Ring<'_, '_>, b: Ring<'_, '_>, cx: &mut TaskCtx) {
    let ra = a.lock_reap(cx);
    let again = a.lock_reap(cx);
    let rb = b.lock_reap(cx);
    drop((ra, again, rb));
}

/// The honest shape: one reaper lock, then `completion_lock` through it.
#[cfg(not(bug))]
pub(crate) fn reap(a: Ring<'_, '_>, cx: &mut TaskCtx) -> usize {
    let mut r = a.lock_reap(cx);
    let mut c = r.lock_completion();
    c.state().overflow.len()
}
