// SPDX-License-Identifier: GPL-2.0

//! Class 2, spellings: the io-wq lock (a spinlock) first, then
//! `uring_lock`; and a cancel match callback that reaches back for the
//! uring guard the io-wq guard was taken from. The io-wq guard borrows the
//! context (or the uring guard) mutably.
// kbuild
// expect-error: error[E0499]: cannot borrow `*cx` as mutable more than once at a time
// expect-error: error[E0499]: cannot borrow `g` as mutable more than once at a time

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::lifecycle::link::io_match_task_safe;
use crate::uring::model::ring::Ring;

/// The violation: io-wq lock -> uring_lock, twice.
#[cfg(bug)]
pub(crate) fn cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    let mut w = ring.lock_iowq(cx);
    let g = ring.lock_uring(cx);
    let found = io_wq_cancel_cb(&mut w, |r, _| {
        io_match_task_safe(r, None, true, &g.chain_read())
    });
    drop((g, w));
    let mut g = ring.lock_uring(cx);
    let mut w = g.lock_iowq();
    let found2 = io_wq_cancel_cb(&mut w, |r, _| {
        io_match_task_safe(r, None, true, &g.lock_both().chain_read())
    });
    found.1.is_some() || found2.1.is_some()
}

/// The honest shape: the callback walks under `timeout_lock`, with the
/// atomic context the io-wq guard lends it.
#[cfg(not(bug))]
pub(crate) fn cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    let mut g = ring.lock_uring(cx);
    let mut w = g.lock_iowq();
    let found = io_wq_cancel_cb(&mut w, |r, actx| {
        io_match_task_safe(r, None, true, &ring.lock_timeout(actx).chain_read())
    });
    found.1.is_some()
}
