// SPDX-License-Identifier: GPL-2.0

//! Timeouts and linked timeouts: `io_timeout()`, `io_timeout_fn()`,
//! `io_flush_timeouts()`, `io_timeout_remove()`, `io_kill_timeouts()`,
//! `io_prep_linked_timeout()`, `io_queue_linked_timeout()`,
//! `io_link_timeout_fn()`, `io_req_task_link_timeout()` and
//! `io_disarm_linked_timeout()`.
//!
//! A linked timeout's target (`timeout->head`) is claimed exactly once, under
//! `timeout_lock`, by the timer or by the target's completion (disarm). What
//! the timer may do with its claim is a type:
//!
//! * [`LiveTarget`]: the target was pinned; only task work, holding
//!   `uring_lock` and `timeout_lock`, may splice it ([`LiveTarget::splice`]
//!   needs a [`BothGuard`]), as patch 2/3 of the series moved it there.
//! * [`DyingClaim`]: the target's last reference is gone; the timer must
//!   splice now, with `timeout_lock` only ([`DyingClaim::splice`]), as the
//!   follow-up 3d879647fb03 (restoring 447c19f3b507) requires.
//!
//! The callback returns a [`TimerOutcome`], which only those two and
//! [`NoClaim::outcome`] build: a path that drops a dying claim unspliced has
//! nothing to return and does not compile.

use super::cancel::{io_try_cancel, CancelData};
use super::complete::{io_put_req, io_req_complete, io_req_queue_tw_complete};
use super::context::AtomicCtx;
use super::errno::{EALREADY, ECANCELED, ETIME};
use super::issue::Issued;
use super::link::{io_match_task_safe, io_remove_next_linked, next_link_timeout};
use super::locks::{BothGuard, CompletionGuard, TimeoutGuard, UringGuard};
use super::req::{Req, TwAction, REQ_F_ARM_LTIMEOUT, REQ_F_LINK_TIMEOUT};
use super::sqe::{Op, IORING_TIMEOUT_ETIME_SUCCESS};
use super::tw;
use crate::glue::atomic::Ordering;
use crate::glue::chain::DyingTarget;
use crate::glue::timer::{HrTimer, TimerOwner, TryCancel};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::Arc;

/// How often each linked-timeout claim outcome happened: the timer pinned a
/// live target, the timer spliced a dying one, or disarm claimed first.
/// Diagnostic counters (plain `core` atomics, like the completion
/// counters); the host's loom model asserts it reached all three.
pub(crate) static CLAIM_OUTCOMES: [core::sync::atomic::AtomicU32; 3] = [
    core::sync::atomic::AtomicU32::new(0),
    core::sync::atomic::AtomicU32::new(0),
    core::sync::atomic::AtomicU32::new(0),
];

fn count_claim(i: usize) {
    CLAIM_OUTCOMES[i].fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

impl TimerOwner for Req {
    fn timer(&self) -> &HrTimer<Req> {
        &self.timer
    }

    fn timer_fired(this: Arc<Self>, cx: &mut AtomicCtx) {
        match this.op {
            Some(Op::Timeout { .. }) => io_timeout_fn(this, cx),
            Some(Op::LinkTimeout { .. }) => io_link_timeout_fn(&this, cx).queue(this),
            _ => {}
        }
    }
}

fn timeout_ns(req: &Req) -> u64 {
    match req.op {
        Some(Op::Timeout { ns, .. }) | Some(Op::LinkTimeout { ns }) => ns,
        _ => 0,
    }
}

/// `io_timeout()`: arms an `IORING_OP_TIMEOUT`.
pub(crate) fn io_timeout(req: &Arc<Req>, g: &mut UringGuard<'_>) -> Issued {
    let Some(Op::Timeout { ns, count, .. }) = req.op else {
        return Issued::err(EINVAL);
    };
    // Allocate the list node before taking the spinlocks.
    let node = match RBTreeNode::new(req.seq, req.clone(), GFP_KERNEL) {
        Ok(node) => node,
        Err(e) => return Issued::err(e),
    };
    let mut c = g.lock_completion();
    let tail = c.state().cq_tail;
    let mut t = c.lock_timeout();
    if count != 0 {
        req.target_seq.store(tail + count, Ordering::Relaxed);
    }
    t.state().timeout_list.insert(node);
    if HrTimer::start(req.clone(), ns).is_err() {
        pr_err!("BUG: timeout {:#x} armed twice\n", req.user_data);
    }
    Issued::Queued
}

/// `io_timeout_fn()`: an `IORING_OP_TIMEOUT` expired (hard IRQ).
fn io_timeout_fn(req: Arc<Req>, cx: &mut AtomicCtx) {
    let ring = req.ring.clone();
    ring.lock_timeout(cx).state().timeout_list.remove(&req.seq);
    let etime_success = matches!(req.op, Some(Op::Timeout { flags, .. }) if flags & IORING_TIMEOUT_ETIME_SUCCESS != 0);
    req.set_res(ETIME.to_errno());
    if !etime_success {
        req.set_fail();
    }
    tw::queue(req, TwAction::Complete);
}

/// Removes from `list` and returns the first request after key `after` for
/// which `pick` says yes; the timer of each candidate is cancelled first and
/// a candidate whose timer already runs is left to it.
fn take_next_cancelled(
    list: &mut RBTree<u64, Arc<Req>>,
    after: &mut u64,
    mut pick: impl FnMut(&Req) -> bool,
) -> Option<Arc<Req>> {
    loop {
        let (seq, req) = list
            .iter()
            .find(|(seq, req)| **seq > *after && pick(req))
            .map(|(seq, req)| (*seq, req.clone()))?;
        *after = seq;
        if req.timer.try_to_cancel() != TryCancel::Running {
            list.remove(&seq);
            return Some(req);
        }
    }
}

/// `io_flush_timeouts()`: completes the count-based timeouts the completion
/// count has reached; called with `completion_lock` held after posting.
pub(crate) fn io_flush_timeouts(c: &mut CompletionGuard<'_>) {
    let tail = c.state().cq_tail;
    let mut t = c.lock_timeout();
    let mut after = 0;
    loop {
        let reached = |r: &Req| {
            let target = r.target_seq.load(Ordering::Relaxed);
            target != 0 && target <= tail
        };
        let Some(req) = take_next_cancelled(&mut t.state().timeout_list, &mut after, reached)
        else {
            break;
        };
        io_req_queue_tw_complete(req, 0);
    }
}

/// `io_timeout_remove()`: `IORING_OP_TIMEOUT_REMOVE`, or an update.
pub(crate) fn io_timeout_remove(req: &Arc<Req>, g: &mut UringGuard<'_>) -> i32 {
    let Some(Op::TimeoutRemove { target, update }) = req.op else {
        return EINVAL.to_errno();
    };
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    let st = t.state();
    let list = match update {
        Some((_, true)) => &mut st.ltimeout_list,
        _ => &mut st.timeout_list,
    };
    let Some((seq, tr)) = list
        .iter()
        .find(|(_, r)| r.user_data == target)
        .map(|(seq, r)| (*seq, r.clone()))
    else {
        return ENOENT.to_errno();
    };
    if tr.timer.try_to_cancel() == TryCancel::Running {
        return EALREADY.to_errno();
    }
    match update {
        Some((ns, _)) => {
            if HrTimer::start(tr, ns).is_err() {
                return EALREADY.to_errno();
            }
        }
        None => {
            list.remove(&seq);
            tr.set_res(ECANCELED.to_errno());
            tr.set_fail();
            tw::queue(tr, TwAction::Complete);
        }
    }
    0
}

/// `io_timeout_cancel()`: cancels a matching `IORING_OP_TIMEOUT` for
/// `IORING_OP_ASYNC_CANCEL`. Linked timeouts are not on this list.
pub(crate) fn io_timeout_cancel(g: &mut UringGuard<'_>, cd: &CancelData) -> Result {
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    let list = &mut t.state().timeout_list;
    let Some((seq, tr)) = list
        .iter()
        .find(|(_, r)| cd.matches(r))
        .map(|(seq, r)| (*seq, r.clone()))
    else {
        return Err(ENOENT);
    };
    if tr.timer.try_to_cancel() == TryCancel::Running {
        return Err(EALREADY.into());
    }
    list.remove(&seq);
    tr.set_res(ECANCELED.to_errno());
    tr.set_fail();
    tw::queue(tr, TwAction::Complete);
    Ok(())
}

/// `io_kill_timeouts()`: cancels the timeouts of `task` (all with `None`).
///
/// Needs `uring_lock` (patch 3/3 of the series): the guard is borrowed for
/// the whole walk, so the cancel path cannot drop it first. The timeout's
/// chain is walked for `REQ_F_INFLIGHT` under the chain proof of the guards
/// taken from it.
pub(crate) fn io_kill_timeouts(
    g: &mut UringGuard<'_>,
    task: Option<u32>,
    cancel_all: bool,
) -> bool {
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    let mut after = 0;
    let mut found = false;
    loop {
        let matched = {
            let proof = t.chain_read();
            t.state_ref()
                .timeout_list
                .iter()
                .find(|(seq, r)| **seq > after && io_match_task_safe(r, task, cancel_all, &proof))
                .map(|(seq, r)| (*seq, r.clone()))
        };
        let Some((seq, req)) = matched else { break };
        after = seq;
        if req.timer.try_to_cancel() == TryCancel::Running {
            continue;
        }
        t.state().timeout_list.remove(&seq);
        req.set_res(ECANCELED.to_errno());
        req.set_fail();
        tw::queue(req, TwAction::Complete);
        found = true;
    }
    found
}

/// `io_prep_linked_timeout()`: before its target is issued, makes the linked
/// timeout that follows it claimable (`timeout->head = req`).
pub(crate) fn io_prep_linked_timeout(req: &Arc<Req>, g: &mut UringGuard<'_>) -> Option<Arc<Req>> {
    if req.flags() & REQ_F_ARM_LTIMEOUT == 0 {
        return None;
    }
    let mut b = g.lock_both();
    let lt = next_link_timeout(req, &b.chain_read())?;
    req.clear_flags(REQ_F_ARM_LTIMEOUT);
    req.set_flags(REQ_F_LINK_TIMEOUT);
    lt.timeout.access_mut(b.timeout_state()).head = Some(req.clone());
    Some(lt)
}

/// `io_queue_linked_timeout()`: after its target was issued, starts the
/// linked timeout's timer unless the target already completed and claimed
/// it. Any context (io-wq arms without `uring_lock`).
pub(crate) fn io_queue_linked_timeout(lt: Arc<Req>, t: &mut TimeoutGuard<'_>) {
    // Without the list node the timer is not armed; the target's completion
    // then finds the claim and cancels the timeout as never armed.
    let Ok(node) = RBTreeNode::new(lt.seq, lt.clone(), GFP_ATOMIC) else {
        return;
    };
    if lt.timeout.access(t.state_ref()).head.is_none() {
        return;
    }
    t.state().ltimeout_list.insert(node);
    let ns = timeout_ns(&lt);
    if HrTimer::start(lt, ns).is_err() {
        pr_err!("BUG: linked timeout armed twice\n");
    }
}

/// What the linked-timeout timer found when it claimed `timeout->head`.
pub(crate) enum LinkTimeoutClaim {
    /// Disarm claimed it first: the target is completing.
    Unclaimed(NoClaim),
    /// The target is alive and now pinned.
    Live(LiveTarget),
    /// The target's last reference is gone.
    Dying(DyingClaim),
}

/// The timer found no target to act on.
pub(crate) struct NoClaim {
    _private: (),
}

/// A target the timer pinned (`req_ref_inc_not_zero()` succeeded).
pub(crate) struct LiveTarget {
    target: Arc<Req>,
}

/// A target whose references already reached zero.
#[must_use = "a dying target must be spliced in the timer (447c19f3b507)"]
pub(crate) struct DyingClaim {
    target: Arc<Req>,
    dying: DyingTarget,
}

/// What the linked-timeout callback must hand to task work; built only by
/// acting on the claim.
#[must_use = "the linked timeout must be completed from task work"]
pub(crate) struct TimerOutcome {
    _private: (),
}

impl TimerOutcome {
    /// Queues the timeout's task work (`io_req_task_link_timeout()`).
    fn queue(self, lt: Arc<Req>) {
        tw::queue(lt, TwAction::LinkTimeout);
    }
}

impl NoClaim {
    /// Nothing to splice: task work completes the timeout with `-ETIME`.
    pub(crate) fn outcome(self) -> TimerOutcome {
        TimerOutcome { _private: () }
    }
}

impl LiveTarget {
    /// Timer path: hands the pinned target to task work (`timeout->prev`).
    pub(crate) fn defer_to_task_work(self, lt: &Req, t: &mut TimeoutGuard<'_>) -> TimerOutcome {
        lt.timeout.access_mut(t.state()).prev_live = Some(self);
        TimerOutcome { _private: () }
    }

    /// Task work: splices `lt` out of the target's chain holding both chain
    /// locks, and returns the target with the reference the timer took.
    pub(crate) fn splice(self, lt: &Req, b: &mut BothGuard<'_, '_>) -> Arc<Req> {
        let is_next =
            matches!(self.target.link.get(&b.chain_read()), Some(n) if core::ptr::eq(&**n, lt));
        if is_next {
            drop(io_remove_next_linked(&self.target, b));
        }
        self.target
    }
}

impl DyingClaim {
    /// Timer path: splices `lt` out of the dying target's chain with
    /// `timeout_lock` only (`io_remove_next_linked()` in the timer).
    pub(crate) fn splice(self, t: &TimeoutGuard<'_>) -> TimerOutcome {
        let removed = self
            .target
            .link
            .remove_next_dying(self.dying, &t.chain_read(), |r: &Req| &r.link);
        // The removed request is the timeout itself; the caller holds it.
        drop(removed);
        TimerOutcome { _private: () }
    }
}

/// Claims `lt`'s target (`timeout->head`), once, under `timeout_lock`.
pub(crate) fn io_link_timeout_claim(lt: &Req, t: &mut TimeoutGuard<'_>) -> LinkTimeoutClaim {
    let head = lt.timeout.access_mut(t.state()).head.take();
    match head {
        None => LinkTimeoutClaim::Unclaimed(NoClaim { _private: () }),
        Some(target) => match target.link.inc_not_zero() {
            Ok(()) => LinkTimeoutClaim::Live(LiveTarget { target }),
            Err(dying) => LinkTimeoutClaim::Dying(DyingClaim { target, dying }),
        },
    }
}

/// `io_link_timeout_fn()`: a linked timeout expired (hard IRQ).
pub(crate) fn io_link_timeout_fn(lt: &Arc<Req>, cx: &mut AtomicCtx) -> TimerOutcome {
    let ring = lt.ring.clone();
    let mut t = ring.lock_timeout(cx);
    t.state().ltimeout_list.remove(&lt.seq);
    match io_link_timeout_claim(lt, &mut t) {
        LinkTimeoutClaim::Unclaimed(none) => none.outcome(),
        LinkTimeoutClaim::Live(live) => {
            count_claim(0);
            live.defer_to_task_work(lt, &mut t)
        }
        LinkTimeoutClaim::Dying(dying) => {
            count_claim(1);
            dying.splice(&t)
        }
    }
}

/// `io_req_task_link_timeout()`: task work after the linked timeout fired.
pub(crate) fn io_req_task_link_timeout(lt: Arc<Req>, g: &mut UringGuard<'_>) {
    let live = {
        let mut b = g.lock_both();
        lt.timeout.access_mut(b.timeout_state()).prev_live.take()
    };
    let Some(live) = live else {
        lt.set_res(ETIME.to_errno());
        io_req_complete(lt, g);
        return;
    };
    let target = live.splice(&lt, &mut g.lock_both());
    let res = match io_try_cancel(g, &CancelData::request(&target)) {
        Ok(()) => ETIME.to_errno(),
        Err(e) => e.to_errno(),
    };
    lt.set_res(res);
    io_req_complete(lt, g);
    io_put_req(target, g);
}

/// `__io_disarm_linked_timeout()`: the target completes; splice its linked
/// timeout out (patch 2/3: first), claim it, and return it for completion
/// with `-ECANCELED` unless the timer claimed it or already runs.
pub(crate) fn io_disarm_linked_timeout(
    req: &Arc<Req>,
    b: &mut BothGuard<'_, '_>,
) -> Option<Arc<Req>> {
    let lt = next_link_timeout(req, &b.chain_read())?;
    drop(io_remove_next_linked(req, b));
    lt.timeout.access_mut(b.timeout_state()).head.take()?;
    count_claim(2);
    if lt.timer.try_to_cancel() == TryCancel::Running {
        // The callback waits for `timeout_lock`, finds no claim, and
        // completes the timeout itself.
        return None;
    }
    b.timeout_state().ltimeout_list.remove(&lt.seq);
    Some(lt)
}
