// SPDX-License-Identifier: GPL-2.0

//! Class 1 and 2, spelling: the lock itself. A ring derefs to its
//! `IoRingCtx`, whose lock fields are private: an io-wq match callback
//! (atomic context) cannot lock `uring_lock` directly, and nobody can take
//! `timeout_lock` around the guards' order.
// kbuild
// expect-error: error[E0616]: field `uring_lock` of struct `IoRingCtx` is private
// expect-error: error[E0616]: field `timeout_lock` of struct `IoRingCtx` is private

use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::uring::lifecycle::iowq::io_wq_cancel_cb;
use crate::uring::model::req::{ReqPin, ReqView};
use crate::uring::model::ring::Ring;

/// The violation: the callback reaches the raw locks.
#[cfg(bug)]
pub(crate) fn match_cb(r: ReqPin<'_, '_>, _actx: &mut AtomicCtx) -> bool {
    let ring = r.ring();
    let g = ring.uring_lock.lock();
    let t = ring.timeout_lock.lock();
    drop((t, g));
    true
}

/// The honest shape: through the ring's methods, with the callback's context.
#[cfg(not(bug))]
pub(crate) fn match_cb(r: ReqPin<'_, '_>, actx: &mut AtomicCtx) -> bool {
    drop(r.ring().lock_timeout(actx));
    true
}

/// Either callback is one that `io_wq_cancel_cb` runs.
pub(crate) fn cancel(ring: Ring<'_, '_>, cx: &mut TaskCtx) -> bool {
    io_wq_cancel_cb(&mut ring.lock_iowq(cx), match_cb)
        .1
        .is_some()
}
