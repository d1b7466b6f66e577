// SPDX-License-Identifier: GPL-2.0

//! Class 2, the SQ lock: taken again with the task context its guard lends
//! to the submission (a self-deadlock on one ring, an order inversion
//! across two). Taking it uses up the system call's `SqCtx`, which only a
//! system call's entry point can make; the guard cannot give another.
// kbuild
// expect-error: error[E0382]: use of moved value: `sq`

use crate::glue::context::{SqCtx, TaskCtx};
use crate::uring::model::ring::Ring;

/// The violation: the SQ lock again, through the lent context.
#[cfg(bug)]
pub(crate) fn submit(a: Ring<'_, '_>, b: Ring<'_, '_>, cx: &mut TaskCtx, sq: SqCtx) {
    let mut ga = a.lock_sq(cx, sq);
    let gb = b.lock_sq(ga.state_and_task().1, sq);
    drop(gb);
}

/// The honest shape: one SQ lock, then `uring_lock` with the lent context.
#[cfg(not(bug))]
pub(crate) fn submit(a: Ring<'_, '_>, cx: &mut TaskCtx, sq: SqCtx) {
    let mut ga = a.lock_sq(cx, sq);
    let ring = ga.ring();
    let g = ring.lock_uring(ga.state_and_task().1);
    drop(g);
}
