// SPDX-License-Identifier: GPL-2.0

//! (d) 447c19f3b507 (2021), reintroduced by patch 2/3 and fixed again by
//! 3d879647fb03: when the target's last reference was already gone, the
//! timer left the timeout in the target's chain; the target's free path
//! then put it a second time. The timer callback must return a
//! [`TimerOutcome`]; for a dying target only [`DyingClaim::splice`] makes
//! one.
//!
//! [`TimerOutcome`]: crate::uring::model::req::TimerOutcome
//! [`DyingClaim::splice`]: crate::uring::model::req::LinkTimeoutClaim
// kbuild
// expect-error: error[E0308]: `match` arms have incompatible types
// expect-error: expected `TimerOutcome<'_>`, found `()`

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::{io_link_timeout_claim, LinkTimeoutClaim, ReqArc, TimerOutcome};
use crate::uring::model::ring::Ring;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => drop(dying),
    }
}

/// The fixed shape: the dying target is spliced in the timer.
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
