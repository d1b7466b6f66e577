// SPDX-License-Identifier: GPL-2.0

//! Class 1, spelling of the allocation counter found by its attack review:
//! the lifecycle writing the sequence counter through the guard, which
//! would count a request allocated that never was (ring exit would then
//! wait for it forever) or make two requests share a key. Only the model's
//! `Req::alloc` reads and advances it.
// kbuild
// expect-error: error[E0624]: method `seq_allocated` is private

use crate::glue::context::TaskCtx;
use crate::uring::model::ring::Ring;

/// The violation: advance the counter from outside the model.
#[cfg(bug)]
pub(crate) fn skip(r: Ring<'_, '_>, cx: &mut TaskCtx) {
    let mut g = r.lock_uring(cx);
    g.seq_allocated(41);
}

/// The honest shape: read how many requests are in flight.
#[cfg(not(bug))]
pub(crate) fn skip(r: Ring<'_, '_>, cx: &mut TaskCtx) {
    let _g = r.lock_uring(cx);
    let _ = r.ctx().inflight();
}
