// SPDX-License-Identifier: GPL-2.0

//! Class 6, spelling: a linked-timeout callback drops the `DyingClaim` and
//! makes a `NoClaim` (whose `outcome()` is a `TimerOutcome`) by hand. The
//! claim types are not exported from the claim module, which is private.
// kbuild
// expect-error: error[E0603]: module `claim` is private

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::{io_link_timeout_claim, LinkTimeoutClaim, ReqArc, TimerOutcome};
use crate::uring::model::ring::Ring;

/// The violation: a no-claim made by hand.
#[cfg(bug)]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    use crate::uring::model::req::claim::NoClaim;
    let again = lt.clone();
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => {
            drop(dying);
            NoClaim {
                _t: todo!("a timeout guard"),
                lt: again,
            }
            .outcome()
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
