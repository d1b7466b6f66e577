// SPDX-License-Identifier: GPL-2.0

//! (c) Patch 2/3: the linked-timeout hrtimer spliced itself out of a live
//! target's chain holding only `timeout_lock`, racing chain walkers under
//! `uring_lock`. Reaching the pinned target (`timeout->prev`) to splice it
//! needs both chain locks; the timer runs with an `AtomicCtx` and can have
//! only `timeout_lock`.
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut BothGuard<'_, '_>`, found `&mut TimeoutGuard<'_, '_>`

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::{
    io_link_timeout_claim, LinkTimeoutClaim, ReqArc, ReqView, TimerOutcome,
};
use crate::uring::model::ring::Ring;

/// The shape before the fix: the timer splices a live target itself.
#[cfg(bug)]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    let mut cx = cx;
    {
        let mut t = ring.lock_timeout(&mut cx);
        if let Some(live) = lt.take_live_target(&mut t) {
            drop(live);
        }
    }
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => dying.splice(),
    }
}

/// The fixed shape: a live target is handed to task work.
#[cfg(not(bug))]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => dying.splice(),
    }
}
