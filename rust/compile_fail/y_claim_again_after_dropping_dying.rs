// SPDX-License-Identifier: GPL-2.0

//! Class 6, spelling: a linked-timeout callback drops the `DyingClaim`
//! (skipping the splice 447c19f3b507 requires) and claims again, to get a
//! `NoClaim` whose `outcome()` would satisfy its return type. The claim
//! consumed the callback's only `AtomicCtx`.
// kbuild
// expect-error: error[E0382]: use of moved value: `cx`
// expect-error: error[E0382]: use of moved value: `lt`

use crate::glue::context::AtomicCtx;
use crate::uring::model::req::{io_link_timeout_claim, LinkTimeoutClaim, ReqArc, TimerOutcome};
use crate::uring::model::ring::Ring;

/// The violation: drop the dying claim, claim again.
#[cfg(bug)]
pub(crate) fn link_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> TimerOutcome<'id> {
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
        LinkTimeoutClaim::Dying(dying) => {
            drop(dying);
            match io_link_timeout_claim(ring, lt, cx) {
                LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
                LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
                LinkTimeoutClaim::Dying(dying) => dying.splice(),
            }
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
