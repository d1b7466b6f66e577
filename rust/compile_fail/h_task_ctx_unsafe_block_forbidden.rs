// SPDX-License-Identifier: GPL-2.0

//! Class 1 and 7, spelling: the same as (g), but the call is wrapped in an
//! `unsafe` block, here in an io-wq cancel match callback (atomic context,
//! under the io-wq lock). The core is `#![forbid(unsafe_code)]`.
// kbuild
// expect-error: error: usage of an `unsafe` block
// expect-error: #![forbid(unsafe_code)]

use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::model::req::{ReqPin, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: the match callback takes `uring_lock`.
#[cfg(bug)]
pub(crate) fn match_cb(r: ReqPin<'_, '_>, _actx: &mut AtomicCtx) -> bool {
    let mut task = unsafe { TaskCtx::enter() };
    let g = r.ring().lock_uring(&mut task);
    let linked = r.link(&g.chain_read()).is_some();
    linked
}

/// The honest shape: the match callback takes `timeout_lock` only.
#[cfg(not(bug))]
pub(crate) fn match_cb(r: ReqPin<'_, '_>, actx: &mut AtomicCtx) -> bool {
    let t = r.ring().lock_timeout(actx);
    r.link_locked(&t.chain_read()).is_some()
}

/// Either callback is one that `io_wq_cancel_cb` runs.
pub(crate) fn cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    io_wq_cancel_cb(&mut ring.lock_iowq(cx), match_cb)
        .1
        .is_some()
}
