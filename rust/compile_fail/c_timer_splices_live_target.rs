// SPDX-License-Identifier: GPL-2.0

//! (c) Patch 2/3: the linked-timeout hrtimer spliced itself out of a live
//! target's chain holding only `timeout_lock`, racing chain walkers under
//! `uring_lock`. [`LiveTarget::splice`] needs both chain locks; the timer
//! runs with an `AtomicCtx` and has only `timeout_lock`.
//!
//! [`LiveTarget::splice`]: crate::uring::timeout::LiveTarget::splice
// kbuild
// expect-error: error[E0308]: mismatched types
// expect-error: expected `&mut BothGuard<'_, '_>`, found `&mut TimeoutGuard<'_>`

use crate::uring::context::AtomicCtx;
use crate::uring::req::Req;
use crate::uring::timeout::{io_link_timeout_claim, LinkTimeoutClaim, TimerOutcome};
use kernel::sync::Arc;

/// The shape before the fix.
#[cfg(bug)]
pub(crate) fn link_timeout_fn(lt: &Arc<Req>, cx: &mut AtomicCtx) -> TimerOutcome {
    let ring = lt.ring.clone();
    let mut t = ring.lock_timeout(cx);
    match io_link_timeout_claim(lt, &mut t) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => {
            let _target = live.splice(lt, &mut t);
            unreachable!()
        }
        LinkTimeoutClaim::Dying(dying) => dying.splice(&t),
    }
}

/// The fixed shape: a live target is handed to task work.
#[cfg(not(bug))]
pub(crate) fn link_timeout_fn(lt: &Arc<Req>, cx: &mut AtomicCtx) -> TimerOutcome {
    let ring = lt.ring.clone();
    let mut t = ring.lock_timeout(cx);
    match io_link_timeout_claim(lt, &mut t) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => live.defer_to_task_work(lt, &mut t),
        LinkTimeoutClaim::Dying(dying) => dying.splice(&t),
    }
}
