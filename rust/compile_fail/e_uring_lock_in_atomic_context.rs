// SPDX-License-Identifier: GPL-2.0

//! (e) Taking `uring_lock` (a mutex: it sleeps) from an hrtimer callback or
//! from an io-wq cancel match callback, which run in atomic context. Both
//! get an `AtomicCtx`; `Ring::lock_uring` takes a `TaskCtx`.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut TaskCtx`, found `&mut AtomicCtx`

use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::lifecycle::link::io_match_task_safe;
use crate::uring::model::req::{ReqPin, ReqView};
use crate::uring::model::ring::Ring;

/// The shape before the fix: a timer callback and a match callback that
/// walk chains under `uring_lock`.
#[cfg(bug)]
pub(crate) fn callbacks<'id>(
    ring: Ring<'_, 'id>,
    req: ReqPin<'_, 'id>,
    timer_cx: &mut AtomicCtx,
    cx: &mut TaskCtx,
) {
    let g = ring.lock_uring(timer_cx);
    let _ = io_match_task_safe(req, None, false, &g.chain_read());
    drop(g);
    let _ = io_wq_cancel_cb(&mut ring.lock_iowq(cx), |r, actx| {
        let g = r.ring().lock_uring(actx);
        io_match_task_safe(r, None, false, &g.chain_read())
    });
}

/// The fixed shape: both walk under `timeout_lock`.
#[cfg(not(bug))]
pub(crate) fn callbacks<'id>(
    ring: Ring<'_, 'id>,
    req: ReqPin<'_, 'id>,
    timer_cx: &mut AtomicCtx,
    cx: &mut TaskCtx,
) {
    let t = ring.lock_timeout(timer_cx);
    let _ = io_match_task_safe(req, None, false, &t.chain_read());
    drop(t);
    let _ = io_wq_cancel_cb(&mut ring.lock_iowq(cx), |r, actx| {
        let t = r.ring().lock_timeout(actx);
        io_match_task_safe(r, None, false, &t.chain_read())
    });
}
