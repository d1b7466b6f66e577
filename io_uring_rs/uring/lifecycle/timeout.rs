// SPDX-License-Identifier: GPL-2.0

//! Timeouts and linked timeouts: `io_timeout()`, `io_timeout_fn()`,
//! `io_flush_timeouts()`, `io_timeout_extract()` with its users
//! (`io_timeout_cancel()`, `io_timeout_remove()`, `io_kill_timeouts()`),
//! `io_prep_linked_timeout()`, `io_queue_linked_timeout()`,
//! `io_link_timeout_fn()`, `io_req_task_link_timeout()` and
//! `io_disarm_linked_timeout()`. The linked-timeout claim itself is a model
//! type (`model/req/claim.rs`).

use super::cancel::{io_try_cancel, CancelData};
use super::complete::{io_put_req, io_req_complete, io_req_queue_tw_complete};
use super::issue::Issued;
use super::link::{io_match_task_safe, next_link_timeout};
use super::tw;
use crate::glue::chain::ChainRead;
use crate::glue::context::AtomicCtx;
use crate::glue::timer::{HrTimer, TimerDone, TryCancel};
use crate::uring::model::error::{ealready, ecanceled, etime};
use crate::uring::model::req::{
    io_link_timeout_claim, LinkTimeoutClaim, Req, ReqArc, ReqPin, ReqRef, ReqSlot, ReqView,
    TimerOutcome, TwAction, REQ_F_ARM_LTIMEOUT, REQ_F_LINK_TIMEOUT,
};
use crate::uring::model::ring::{BothGuard, CompletionGuard, Ring, TimeoutGuard, UringGuard};
use crate::uring::model::sqe::{abs_to_rel, Op, IORING_TIMEOUT_ABS, IORING_TIMEOUT_ETIME_SUCCESS};
use kernel::prelude::*;

fn timeout_ns(req: &Req) -> u64 {
    match req.op() {
        Some(Op::Timeout { ns, flags, .. }) if flags & IORING_TIMEOUT_ABS != 0 => abs_to_rel(*ns),
        Some(Op::LinkTimeout { ns, abs: true }) => abs_to_rel(*ns),
        Some(Op::Timeout { ns, .. }) | Some(Op::LinkTimeout { ns, .. }) => *ns,
        _ => 0,
    }
}

/// `io_timeout()`: arms an `IORING_OP_TIMEOUT`; `timeout_list` keeps its
/// reference until the timer or a cancellation takes it.
pub(crate) fn io_timeout<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    let Some(Op::Timeout { count, .. }) = req.op() else {
        return Issued::err(req, EINVAL);
    };
    let (ns, count) = (timeout_ns(&req), *count);
    let slot = match ReqSlot::new(g.task()) {
        Ok(slot) => slot,
        Err(e) => return Issued::err(req, e),
    };
    let arc = req.to_arc().into_arc();
    let mut c = g.lock_completion();
    let tail = c.state().timeout_seq();
    if count != 0 {
        c.state().off_timeout_used = true;
    }
    let mut t = c.lock_timeout();
    if count != 0 {
        req.set_target_seq(tail.wrapping_add(count));
    }
    t.timeout_list().insert(slot, req.seq(), req);
    if HrTimer::start(arc, ns).is_err() {
        pr_err!("BUG: timeout armed twice\n");
    }
    Issued::Queued
}

/// `io_timeout_fn()`: an `IORING_OP_TIMEOUT` expired (hard IRQ).
pub(crate) fn io_timeout_fn<'id>(
    ring: Ring<'_, 'id>,
    req: ReqArc<'id>,
    mut cx: AtomicCtx,
) -> TimerDone {
    let Some(req) = ring.lock_timeout(&mut cx).timeout_list().remove(req.seq()) else {
        // A cancellation took it (and failed to cancel this callback).
        return TimerDone::new(cx);
    };
    let etime_success = matches!(req.op(), Some(Op::Timeout { flags, .. }) if flags & IORING_TIMEOUT_ETIME_SUCCESS != 0);
    req.set_res(etime().to_errno());
    if !etime_success {
        req.set_fail();
    }
    tw::queue(req, TwAction::Complete);
    TimerDone::new(cx)
}

/// `io_timeout_extract()`: takes the first armed timeout after key `*after`
/// that `pick` accepts off `timeout_list`, cancelling its timer first, and
/// moves `*after` past it. `-ENOENT` if there is none; `-EALREADY` if its
/// timer already runs (the callback completes it).
fn io_timeout_extract<'id>(
    t: &mut TimeoutGuard<'_, 'id>,
    after: &mut u64,
    mut pick: impl FnMut(ReqPin<'_, 'id>, &ChainRead<'_, 'id>) -> bool,
) -> Result<ReqRef<'id>> {
    let (key, running) = {
        let proof = t.chain_read();
        let (key, r) = t
            .timeout_list_ref()
            .find_after(*after, |r| pick(r, &proof))
            .ok_or(ENOENT)?;
        (key, r.timer().try_to_cancel() == TryCancel::Running)
    };
    *after = key;
    if running {
        return Err(ealready());
    }
    t.timeout_list().remove(key).ok_or(ENOENT)
}

/// Fails an extracted timeout with `-ECANCELED` from task work.
fn io_timeout_fail(req: ReqRef<'_>) {
    req.set_fail();
    io_req_queue_tw_complete(req, ecanceled().to_errno());
}

/// `io_commit_cqring_flush()`: after posting, with `completion_lock` held,
/// completes the count-based timeouts the completion count has reached
/// if one was ever armed (`off_timeout_used`). Inline: every completion
/// asks, and almost none has a timeout to flush.
#[inline]
pub(crate) fn io_commit_cqring_flush(c: &mut CompletionGuard<'_, '_>) {
    if c.state().off_timeout_used {
        io_flush_timeouts(c);
    }
}

/// `io_flush_timeouts()`: completes the count-based timeouts the
/// completion count has reached.
#[inline(never)]
fn io_flush_timeouts(c: &mut CompletionGuard<'_, '_>) {
    let tail = c.state().timeout_seq();
    let mut t = c.lock_timeout();
    let mut after = 0;
    let reached = |r: ReqPin<'_, '_>, _: &ChainRead<'_, '_>| {
        let target = r.target_seq();
        target != 0 && tail.wrapping_sub(target) as i64 >= 0
    };
    loop {
        match io_timeout_extract(&mut t, &mut after, reached) {
            Ok(req) => io_req_queue_tw_complete(req, 0),
            Err(e) if e == ENOENT => return,
            Err(_) => {}
        }
    }
}

/// `io_timeout_remove()`: `IORING_OP_TIMEOUT_REMOVE`, or an update of a
/// timeout or linked timeout (`io_timeout_update()`,
/// `io_linked_timeout_update()`).
pub(crate) fn io_timeout_remove(req: &Req, g: &mut UringGuard<'_, '_>) -> i32 {
    let Some(Op::TimeoutRemove { target, update }) = req.op() else {
        return EINVAL.to_errno();
    };
    let target = *target;
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    let res = match *update {
        None => {
            io_timeout_extract(&mut t, &mut 0, |r, _| r.user_data() == target).map(io_timeout_fail)
        }
        Some((ns, linked)) => io_timeout_update(&mut t, target, ns, linked),
    };
    match res {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Re-arms the armed (linked) timeout `target` to fire in `ns`.
fn io_timeout_update(t: &mut TimeoutGuard<'_, '_>, target: u64, ns: u64, linked: bool) -> Result {
    let arc = if linked {
        t.ltimeout_list()
            .find(|r| r.user_data() == target)
            .map(|(_, r)| r.into_arc())
    } else {
        t.timeout_list_ref()
            .iter()
            .find(|(_, r)| r.user_data() == target)
            .map(|(_, r)| r.to_arc().into_arc())
    };
    let arc = arc.ok_or(ENOENT)?;
    if arc.timer().try_to_cancel() == TryCancel::Running {
        return Err(ealready());
    }
    HrTimer::start(arc, ns).map_err(|_| ealready())
}

/// `io_timeout_cancel()`: cancels a matching `IORING_OP_TIMEOUT` for
/// `IORING_OP_ASYNC_CANCEL`. Linked timeouts are not on this list.
pub(crate) fn io_timeout_cancel(g: &mut UringGuard<'_, '_>, cd: &CancelData) -> Result {
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    io_timeout_extract(&mut t, &mut 0, |r, _| cd.matches(&r)).map(io_timeout_fail)
}

/// `io_kill_timeouts()`: cancels the timeouts of `task` (all with `None`).
///
/// Needs `uring_lock` (patch 3/3 of the series): the guard is borrowed for
/// the whole walk, so the cancel path cannot drop it first. The timeout's
/// chain is walked for `REQ_F_INFLIGHT` under the chain proof of the guards
/// taken from it.
pub(crate) fn io_kill_timeouts(
    g: &mut UringGuard<'_, '_>,
    task: Option<u32>,
    cancel_all: bool,
) -> bool {
    let mut c = g.lock_completion();
    let mut t = c.lock_timeout();
    let mut after = 0;
    let mut found = false;
    loop {
        match io_timeout_extract(&mut t, &mut after, |r, proof| {
            io_match_task_safe(r, task, cancel_all, proof)
        }) {
            Ok(req) => {
                io_timeout_fail(req);
                found = true;
            }
            Err(e) if e == ENOENT => return found,
            Err(_) => {}
        }
    }
}

/// `io_prep_linked_timeout()`: before its target is issued, makes the linked
/// timeout that follows it claimable (`timeout->head = req`).
#[inline]
pub(crate) fn io_prep_linked_timeout<'id>(
    req: &ReqRef<'id>,
    g: &mut UringGuard<'_, 'id>,
) -> Option<ReqArc<'id>> {
    // The flag test inline: every issue asks, few requests have one.
    if req.flags() & REQ_F_ARM_LTIMEOUT == 0 {
        return None;
    }
    io_arm_linked_timeout(req, g)
}

/// `__io_prep_linked_timeout()`: [`io_prep_linked_timeout`] of a request a
/// linked timeout follows.
fn io_arm_linked_timeout<'id>(
    req: &ReqRef<'id>,
    g: &mut UringGuard<'_, 'id>,
) -> Option<ReqArc<'id>> {
    let mut b = g.lock_both();
    let lt = next_link_timeout(req, &b.chain_read())?.to_arc();
    req.clear_flags(REQ_F_ARM_LTIMEOUT);
    req.set_flags(REQ_F_LINK_TIMEOUT);
    lt.set_lt_head(req, &mut b);
    Some(lt)
}

/// `io_queue_linked_timeout()`: after its target was issued, starts the
/// linked timeout's timer unless the target already completed and claimed
/// it. Any context (io-wq arms without `uring_lock`).
pub(crate) fn io_queue_linked_timeout<'id>(
    lt: ReqArc<'id>,
    slot: Option<ReqSlot>,
    t: &mut TimeoutGuard<'_, 'id>,
) {
    let Some(slot) = slot else {
        return;
    };
    if !lt.lt_head_is_set(&t.chain_read()) {
        return;
    }
    t.ltimeout_list().insert(slot, lt.seq(), lt.clone());
    let ns = timeout_ns(&lt);
    if HrTimer::start(lt.into_arc(), ns).is_err() {
        pr_err!("BUG: linked timeout armed twice\n");
    }
}

/// `io_link_timeout_fn()`: a linked timeout expired (hard IRQ). Consumes
/// the callback's context with the claim; returns what task work must do.
pub(crate) fn io_link_timeout_fn<'id>(
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

/// `io_req_task_link_timeout()`: task work after the linked timeout fired:
/// cancels the live target, unless the task work is terminated
/// (`terminate`, see `tw::io_should_terminate_tw()`).
pub(crate) fn io_req_task_link_timeout<'id>(
    lt: ReqArc<'id>,
    terminate: bool,
    g: &mut UringGuard<'_, 'id>,
) {
    let (target, lt_ref) = {
        let mut b = g.lock_both();
        match lt.take_live_target(&mut b) {
            Some(live) => {
                let (target, lt_ref) = live.splice(&lt, &mut b);
                (Some(target), lt_ref)
            }
            None => (None, None),
        }
    };
    // Not spliced here: the timer or disarm parked the reference.
    let Some(lt_ref) = lt_ref.or_else(|| lt.unpark()) else {
        pr_err!(
            "BUG: linked timeout {:#x} without a reference\n",
            lt.user_data()
        );
        if let Some(target) = target {
            io_put_req(target, g);
        }
        return;
    };
    let Some(target) = target else {
        lt_ref.set_res(etime().to_errno());
        io_req_complete(lt_ref, g);
        return;
    };
    // Terminated task work (its task exited) leaves the target alone and
    // reports `-ECANCELED`, as upstream's `tw.cancel` does (6.12 reported
    // `-ENOENT`, the value its `ret` starts from).
    let res = if terminate {
        ecanceled().to_errno()
    } else {
        match io_try_cancel(g, &CancelData::request(&target)) {
            Ok(()) => etime().to_errno(),
            Err(e) => e.to_errno(),
        }
    };
    lt_ref.set_res(res);
    io_req_complete(lt_ref, g);
    io_put_req(target, g);
}

/// `__io_disarm_linked_timeout()`: the target completes; splice its linked
/// timeout out (patch 2/3: first), claim it, and return it for completion
/// with `-ECANCELED`, unless the timer claimed it or already runs: then the
/// timer's task work completes it, with the reference parked here.
pub(crate) fn io_disarm_linked_timeout<'id>(
    req: &impl ReqView<'id>,
    b: &mut BothGuard<'_, 'id>,
) -> Option<ReqRef<'id>> {
    next_link_timeout(req, &b.chain_read())?;
    let lt = req.remove_next_linked(&mut b.chain_write())?;
    if !lt.claim_for_disarm(b) || lt.timer().try_to_cancel() == TryCancel::Running {
        drop(lt.park());
        return None;
    }
    drop(b.timeout().ltimeout_list().remove(lt.seq()));
    Some(lt)
}
