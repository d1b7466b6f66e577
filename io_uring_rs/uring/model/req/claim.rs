// SPDX-License-Identifier: GPL-2.0

//! The linked-timeout claim: what the hrtimer callback
//! (`io_link_timeout_fn()`) may do with the target it finds.
//!
//! A linked timeout's target (`timeout->head`) is claimed exactly once under
//! `timeout_lock`, by the timer or by the target's completion (disarm,
//! [`ReqView::claim_for_disarm`], which needs `uring_lock` and so cannot run
//! in a timer). The timer's claim, [`io_link_timeout_claim`], consumes the
//! callback's [`AtomicCtx`] by value: a callback claims once, and after that
//! it can take no lock at all. What it claimed is a type:
//!
//! * [`NoClaim`]: disarm claimed first;
//! * [`LiveClaim`]: the target was pinned; only task work, holding
//!   `uring_lock` and `timeout_lock`, may splice it ([`LiveTarget::splice`]
//!   needs a [`BothGuard`]), as patch 2/3 of the series moved it there;
//! * [`DyingClaim`]: the target's last reference is gone; the timer splices
//!   it now with `timeout_lock` only ([`DyingClaim::splice`]), as the
//!   follow-up 3d879647fb03 (restoring 447c19f3b507) requires.
//!
//! Each owns the callback's context and the timeout guard, and is consumed by
//! the only function that makes a [`TimerOutcome`], which alone gives the
//! context back as the [`TimerDone`] the callback must return: a dying claim
//! dropped unspliced leaves the callback with no context, so nothing to
//! return and nothing to claim again with.

use super::{task_work_add_bare, BareTw, Brand, Req, ReqArc, ReqRef, ReqView, W};
use crate::glue::context::AtomicCtx;
use crate::glue::timer::TimerDone;
use crate::glue::trace::{lt_claim, LtClaimKind};
use crate::uring::model::ring::{BothGuard, Ring, TimeoutGuard};

/// What the linked-timeout timer found when it claimed `timeout->head`.
pub(crate) enum LinkTimeoutClaim<'r, 'id> {
    /// Disarm claimed it first: the target is completing.
    Unclaimed(NoClaim<'r, 'id>),
    /// The target is alive and now pinned.
    Live(LiveClaim<'r, 'id>),
    /// The target's last reference is gone.
    Dying(DyingClaim<'r, 'id>),
}

/// The timer found no target to act on.
pub(crate) struct NoClaim<'r, 'id> {
    _t: TimeoutGuard<'r, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
}

/// The timer pinned a live target.
pub(crate) struct LiveClaim<'r, 'id> {
    t: TimeoutGuard<'r, 'id>,
    lt: ReqArc<'id>,
    target: ReqRef<'id>,
    cx: AtomicCtx,
}

/// The timer found the target dying.
#[must_use = "a dying target must be spliced in the timer (447c19f3b507)"]
pub(crate) struct DyingClaim<'r, 'id> {
    t: TimeoutGuard<'r, 'id>,
    lt: ReqArc<'id>,
    target: ReqArc<'id>,
    cx: AtomicCtx,
}

/// A live target the timer pinned, handed to task work (`timeout->prev`).
pub(crate) struct LiveTarget<'id> {
    pub(super) target: ReqRef<'id>,
}

/// What the linked-timeout callback hands to task work
/// (`io_req_task_link_timeout()`); made only by acting on a claim.
#[must_use = "the linked timeout must be completed from task work"]
pub(crate) struct TimerOutcome<'id> {
    lt: ReqArc<'id>,
    cx: AtomicCtx,
}

impl TimerOutcome<'_> {
    /// Queues the linked timeout's task work (`io_req_task_link_timeout()`)
    /// and ends the callback: the only way from a claim to a [`TimerDone`].
    pub(crate) fn finish(self) -> TimerDone {
        task_work_add_bare(self.lt.arc, BareTw::LinkTimeout);
        TimerDone::new(self.cx)
    }
}

/// Claims `lt`'s target (`timeout->head`), once, under `timeout_lock`, and
/// takes `lt` off `ltimeout_list`. Consumes the timer callback's context.
pub(crate) fn io_link_timeout_claim<'r, 'id>(
    ring: Ring<'r, 'id>,
    lt: ReqArc<'id>,
    cx: AtomicCtx,
) -> LinkTimeoutClaim<'r, 'id> {
    let mut t = ring.lock_timeout_for_claim(&cx);
    drop(t.ltimeout_list().remove(lt.seq()));
    let head = lt.arc.timeout.get_mut::<Req>(W, &mut t.write()).head.take();
    let Some(head) = head else {
        return LinkTimeoutClaim::Unclaimed(NoClaim { _t: t, lt, cx });
    };
    let brand: Brand<'id> = ring.brand();
    let live = head.link.ref_inc_not_zero(W, &t.chain_read()).is_ok();
    if live {
        let target = ReqRef { arc: head, brand };
        LinkTimeoutClaim::Live(LiveClaim { t, lt, target, cx })
    } else {
        let target = ReqArc { arc: head, brand };
        LinkTimeoutClaim::Dying(DyingClaim { t, lt, target, cx })
    }
}

impl<'id> NoClaim<'_, 'id> {
    /// Nothing to splice: task work completes the timeout with `-ETIME`.
    pub(crate) fn outcome(self) -> TimerOutcome<'id> {
        TimerOutcome {
            lt: self.lt,
            cx: self.cx,
        }
    }
}

impl<'id> LiveClaim<'_, 'id> {
    /// Hands the pinned target to task work (`timeout->prev`).
    pub(crate) fn defer_to_task_work(mut self) -> TimerOutcome<'id> {
        lt_claim(LtClaimKind::TimerLive);
        self.lt
            .arc
            .timeout
            .get_mut::<Req>(W, &mut self.t.write())
            .prev = Some(self.target.arc);
        TimerOutcome {
            lt: self.lt,
            cx: self.cx,
        }
    }
}

impl<'id> DyingClaim<'_, 'id> {
    /// Splices `lt` out of the dying target's chain with `timeout_lock` only
    /// (`io_remove_next_linked()` in the timer), and parks the reference of
    /// `lt` that the link held for task work to complete it with.
    pub(crate) fn splice(mut self) -> TimerOutcome<'id> {
        lt_claim(LtClaimKind::TimerDying);
        let brand = self.t.ring().brand();
        let spliced = {
            let read = self.t.chain_read();
            match self.target.arc.link.ref_inc_not_zero(W, &read) {
                Err(dying) => Some(dying.splice(W, &self.lt, &read)),
                // A count at zero stays at zero: unreachable, but a pinned
                // target is a live one.
                Ok(()) => None,
            }
        };
        match spliced {
            Some(lt_ref) => {
                if let Some(arc) = lt_ref {
                    drop(ReqRef { arc, brand }.park());
                }
            }
            None => {
                let target = self.target.arc.clone();
                self.lt
                    .arc
                    .timeout
                    .get_mut::<Req>(W, &mut self.t.write())
                    .prev = Some(target);
            }
        }
        TimerOutcome {
            lt: self.lt,
            cx: self.cx,
        }
    }
}

impl<'id> LiveTarget<'id> {
    /// Task work: splices `lt` out of the target's chain holding both chain
    /// locks. Returns the target's reference (the one the timer took) and
    /// `lt`'s reference if `lt` was still linked.
    pub(crate) fn splice(
        self,
        lt: &ReqArc<'id>,
        b: &mut BothGuard<'_, 'id>,
    ) -> (ReqRef<'id>, Option<ReqRef<'id>>) {
        let is_next = self
            .target
            .link_locked(&b.chain_read())
            .is_some_and(|n| core::ptr::eq(&*n, &**lt));
        let lt_ref = if is_next {
            self.target.remove_next_linked(&mut b.chain_write())
        } else {
            None
        };
        (self.target, lt_ref)
    }
}
