// SPDX-License-Identifier: GPL-2.0

//! Class 6, spelling found by the attack review: a timer callback that
//! drops a `DyingClaim` and returns without a `TimerOutcome`. A callback
//! returns `TimerDone`, made only by consuming its `AtomicCtx`; the claim
//! took the context, and only the claim's outcome gives it back.
// kbuild
// expect-error: error[E0382]: use of moved value: `cx`

use crate::glue::context::AtomicCtx;
use crate::glue::timer::TimerDone;
use crate::uring::model::req::{io_link_timeout_claim, LinkTimeoutClaim, ReqArc};
use crate::uring::model::ring::Ring;

/// The violation: leave the dying target unspliced and end the callback.
#[cfg(bug)]
pub(crate) fn fired<'id>(ring: Ring<'_, 'id>, lt: ReqArc<'id>, cx: AtomicCtx) -> TimerDone {
    match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Dying(dying) => {
            drop(dying);
            TimerDone::new(cx)
        }
        LinkTimeoutClaim::Unclaimed(none) => none.outcome().finish(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work().finish(),
    }
}

/// The honest shape: every claim ends through its outcome.
#[cfg(not(bug))]
pub(crate) fn fired<'id>(ring: Ring<'_, 'id>, lt: ReqArc<'id>, cx: AtomicCtx) -> TimerDone {
    let outcome = match io_link_timeout_claim(ring, lt, cx) {
        LinkTimeoutClaim::Dying(dying) => dying.splice(),
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(),
    };
    outcome.finish()
}
