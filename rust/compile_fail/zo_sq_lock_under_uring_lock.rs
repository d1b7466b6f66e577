// SPDX-License-Identifier: GPL-2.0

//! Class 2, the SQ lock after `uring_lock` (the order is SQ lock first, as
//! C holds `uring_lock` across `io_submit_sqes()`): `uring_lock`'s guard
//! keeps the task context the SQ lock needs.
// kbuild
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time

use crate::glue::context::{SqCtx, TaskCtx};
use crate::uring::model::ring::Ring;

/// The violation: the SQ lock under `uring_lock`.
#[cfg(bug)]
pub(crate) fn submit(r: Ring<'_, '_>, cx: &mut TaskCtx, sq: SqCtx) {
    let g = r.lock_uring(cx);
    let s = r.lock_sq(cx, sq);
    drop((g, s));
}

/// The honest shape: the SQ lock, released, then `uring_lock`.
#[cfg(not(bug))]
pub(crate) fn submit(r: Ring<'_, '_>, cx: &mut TaskCtx, sq: SqCtx) {
    let s = r.lock_sq(cx, sq);
    drop(s);
    let g = r.lock_uring(cx);
    drop(g);
}
