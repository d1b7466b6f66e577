// SPDX-License-Identifier: GPL-2.0

//! Class 6, spelling: a linked-timeout callback drops the `DyingClaim` and
//! writes the `TimerOutcome` it must return as a literal. Its field is
//! private to the claim module.
// kbuild
// expect-error: cannot construct `TimerOutcome<'_>` with struct literal syntax due to private fields

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::{io_link_timeout_claim, LinkTimeoutClaim, ReqArc, TimerOutcome};
use crate::uring::model::ring::Ring;

/// The violation: the outcome made by hand.
#[cfg(bug)]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    let again = lt.clone();
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => {
            drop(dying);
            TimerOutcome { lt: again }
        }
    }
}

/// The honest shape: the dying target is spliced.
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
