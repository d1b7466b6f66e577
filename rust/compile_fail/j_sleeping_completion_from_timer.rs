// SPDX-License-Identifier: GPL-2.0

//! Class 1, spellings: a TIMEOUT's timer callback completes its request
//! inline: `io_req_complete_post()` (takes `completion_lock`, then
//! `uring_lock` on a last put), `io_wq_free_work()` with
//! `FreeWorkLock::Unlocked` (takes `uring_lock`), and waits for frees or
//! completions. All need a `TaskCtx`.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut TaskCtx`, found `&mut AtomicCtx`

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::ReqArc;
use crate::uring::model::ring::Ring;

/// The violation: the timer completes and waits.
#[cfg(bug)]
pub(crate) fn timer_cb<'id>(ring: Ring<'_, 'id>, req: ReqArc<'id>, mut cx: AtomicCtx) {
    use crate::uring::lifecycle::complete::io_req_complete_post;
    use crate::uring::lifecycle::iowq::{io_wq_free_work, FreeWorkLock};
    if let Some(r) = req.unpark() {
        io_req_complete_post(r, ring, &mut cx);
    }
    if let Some(r) = req.unpark() {
        drop(io_wq_free_work(r, FreeWorkLock::Unlocked(&mut cx)));
    }
    let seen = ring.freed();
    let _ = ring.wait_freed(&mut cx, seen, 1);
    let _ = ring.lock_completion(&mut cx).wait_cq(1);
}

/// The honest shape: the timer hands the completion to task work.
#[cfg(not(bug))]
pub(crate) fn timer_cb<'id>(ring: Ring<'_, 'id>, req: ReqArc<'id>, cx: AtomicCtx) {
    use crate::uring::lifecycle::complete::io_req_queue_tw_complete;
    use crate::uring::model::error::etime;
    drop((ring, cx));
    if let Some(r) = req.unpark() {
        io_req_queue_tw_complete(r, etime().to_errno());
    }
}
