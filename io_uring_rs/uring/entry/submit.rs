// SPDX-License-Identifier: GPL-2.0

//! Submission: `io_submit_sqes()`.
//!
//! A chain is built before it is published: a first pass reads the flags
//! of its entries front to back, then each entry is prepared and its
//! request created, back to front, with its link as a constructor
//! argument. No published chain is ever appended to, so submission needs
//! no exception to the chain rule: the link of a request nobody else can
//! see yet is simply its initial value.

use crate::glue::context::{SqCtx, TaskCtx};
use crate::glue::tctx::IoUringTask;
use crate::uring::lifecycle::issue::io_submit_head;
use crate::uring::model::error::{ecanceled, eopnotsupp};
use crate::uring::model::req::{Req, ReqRef, REQ_F_ARM_LTIMEOUT, REQ_F_HARDLINK, REQ_F_IO_DRAIN};
use crate::uring::model::ring::{IoRingCtx, Ring, RingParams, UringGuard, UringState};
use crate::uring::model::sqe::{
    prep, sqe_flags_apply, Op, Sqe, UserMem, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_DRAIN,
    IOSQE_IO_HARDLINK, IOSQE_IO_LINK, OP_LINK_TIMEOUT,
};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most entries one call may submit (`IORING_MAX_ENTRIES`).
pub(crate) const MAX_SUBMIT: usize = 32768;

/// How many chains one call submits before it lets go of `uring_lock` to
/// let others run (`cond_resched()`).
const RESCHED_CHAINS: usize = 64;

/// What the flags of one chain's entries say about draining, read front to
/// back before any entry is prepared, as `io_init_req()` reads them entry
/// by entry: `IOSQE_CQE_SKIP_SUCCESS` turns draining off for good, before
/// the same entry's `IOSQE_IO_DRAIN` is looked at, which it then refuses.
/// An entry with an unknown opcode or unsupported flags fails before
/// either is read ([`sqe_flags_apply`]).
struct ChainDrain {
    /// A member asked for `IOSQE_IO_DRAIN` and was not refused, or the
    /// chain before did (`drain_next`).
    drain: bool,
    /// Requests submitted before this chain.
    drain_seq: u64,
    /// CQE skipping was in use before this chain.
    disabled_before: bool,
    /// The first member that turned CQE skipping on; the chain's length if
    /// none.
    first_skip: usize,
}

impl ChainDrain {
    /// Reads the flags of `chain` and moves the ring's draining state past
    /// it: the next chain drains if a member of this one did, and CQE
    /// skipping is in use once a member asked for it.
    fn scan(st: &mut UringState, chain: &[Sqe]) -> Self {
        let mut this = ChainDrain {
            drain: core::mem::take(&mut st.drain_next),
            drain_seq: st.submitted,
            disabled_before: st.drain_disabled,
            first_skip: chain.len(),
        };
        st.submitted += chain.len() as u64;
        for (i, sqe) in chain.iter().enumerate() {
            if !sqe_flags_apply(sqe) {
                continue;
            }
            if sqe.flags & IOSQE_CQE_SKIP_SUCCESS != 0 && this.first_skip == chain.len() {
                this.first_skip = i;
                st.drain_disabled = true;
            }
            if sqe.flags & IOSQE_IO_DRAIN != 0 && !this.skipping(i) {
                this.drain = true;
                st.drain_next = true;
            }
        }
        this
    }

    /// Whether CQE skipping is in use when member `i`'s draining flag is
    /// read: since before the chain, or since a member up to `i`.
    fn skipping(&self, i: usize) -> bool {
        self.disabled_before || self.first_skip <= i
    }

    /// Whether member `i`, `sqe`, asks for `IOSQE_IO_DRAIN` and fails with
    /// `-EOPNOTSUPP` for it: CQE skipping broke the counts draining relies
    /// on.
    fn refused(&self, i: usize, sqe: &Sqe) -> bool {
        sqe.flags & IOSQE_IO_DRAIN != 0 && sqe_flags_apply(sqe) && self.skipping(i)
    }
}

/// Prepares member `i` of `chain` (`io_init_req()` + `->prep()`), with
/// the checks that look beyond the entry itself: draining refused after
/// CQE skipping (before the opcode's own preparation, as in C), and a
/// linked timeout that follows no request or another linked timeout.
fn io_init_req(
    g: &mut UringGuard<'_, '_>,
    chain: &[Sqe],
    i: usize,
    ts: &impl UserMem,
    params: &RingParams,
    drain: &ChainDrain,
) -> Result<Op> {
    let sqe = &chain[i];
    if drain.refused(i, sqe) {
        return Err(eopnotsupp());
    }
    let (st, task) = g.state_and_task();
    let op = prep(task, st, sqe, ts, params);
    if let Ok(Op::LinkTimeout { .. }) = op {
        // A linked timeout needs a request before it in the chain
        // (`link->head`) whose opcode is not LINK_TIMEOUT
        // (`link->last->opcode`). The opcode is the entry's, whether or
        // not its preparation succeeded: a failed entry stays in the chain
        // as `link->last` (`io_submit_fail_init()`).
        if i == 0 || chain[i - 1].opcode == OP_LINK_TIMEOUT {
            return Err(EINVAL);
        }
    }
    op
}

/// Prepares the entries of one link chain and creates their requests back
/// to front (C's `io_submit_sqe()` for each entry, with the append replaced
/// by the link given to the constructor); returns the head and whether the
/// last entry failed its preparation, which stops submission unless
/// `IORING_SETUP_SUBMIT_ALL` (`io_submit_fail_init()`). A failure fails the
/// whole chain (C turns hard links into links for this:
/// `io_queue_sqe_fallback()`).
fn io_submit_chain<'id>(
    g: &mut UringGuard<'_, 'id>,
    chain: &[Sqe],
    ts: &impl UserMem,
    tctx: &Arc<IoUringTask>,
) -> Result<(ReqRef<'id>, bool)> {
    let params = *g.ring().params();
    let drain = ChainDrain::scan(g.state(), chain);
    let mut next: Option<ReqRef<'id>> = None;
    let mut next_is_lt = false;
    let mut failed = false;
    let mut last_failed = false;
    for i in (0..chain.len()).rev() {
        let op = io_init_req(g, chain, i, ts, &params, &drain);
        if i + 1 == chain.len() {
            last_failed = op.is_err();
        }
        failed |= op.is_err();
        let head_of_failed = i == 0 && failed && op.is_ok();
        // A request a linked timeout follows arms it when issued.
        let flags = if next_is_lt { REQ_F_ARM_LTIMEOUT } else { 0 };
        next_is_lt = matches!(op, Ok(Op::LinkTimeout { .. }));
        let req = Req::alloc(g, &chain[i], tctx, op, next.take(), flags)?;
        if i == 0 {
            if failed {
                // A failed chain is cancelled whole, hard links included.
                req.clear_flags(REQ_F_HARDLINK);
            }
            req.set_drain_seq(drain.drain_seq);
            if drain.drain {
                req.set_flags(REQ_F_IO_DRAIN);
            }
        }
        if head_of_failed {
            // `req_fail_link_node(head, -ECANCELED)`.
            req.set_res(ecanceled().to_errno());
            req.set_fail();
        }
        next = Some(req);
    }
    Ok((next.ok_or(EINVAL)?, last_failed))
}

/// `io_submit_sqes()`: submits `sqes` on `ctx`, chain by chain, as
/// requests of the task whose task work is `tctx`, under `uring_lock` (let
/// go every [`RESCHED_CHAINS`] chains);
/// returns how many were consumed. As in Linux 6.12, an entry that fails
/// its preparation and ends its chain is consumed (its completion posted)
/// and stops the batch, unless `submit_all` (`IORING_SETUP_SUBMIT_ALL`).
/// If not even the first chain can be allocated, the error is returned.
pub(crate) fn io_submit_sqes(
    ctx: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    sqes: &[Sqe],
    tctx: &Arc<IoUringTask>,
    ts: &impl UserMem,
    submit_all: bool,
) -> Result<usize> {
    if sqes.len() > MAX_SUBMIT {
        return Err(EINVAL);
    }
    if ctx.is_dying() {
        return Err(ENXIO);
    }
    Ring::open(ctx, |ring| {
        let mut i = 0;
        let mut chains = 0;
        let mut g = ring.lock_uring(cx);
        while i < sqes.len() {
            let mut j = i;
            while j + 1 < sqes.len() && sqes[j].flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK) != 0 {
                j += 1;
            }
            let (head, last_failed) = match io_submit_chain(&mut g, &sqes[i..=j], ts, tctx) {
                Ok(v) => v,
                Err(e) if i == 0 => return Err(e),
                Err(_) => return Ok(i),
            };
            io_submit_head(head, &mut g);
            i = j + 1;
            if last_failed && !submit_all {
                break;
            }
            chains += 1;
            if chains % RESCHED_CHAINS == 0 {
                drop(g);
                cx.cond_resched();
                g = ring.lock_uring(cx);
            }
        }
        Ok(i)
    })
}

/// `io_submit_sqes()` from the shared SQ ring (`io_uring_enter()`): takes
/// up to `to_submit` entries between the SQ head and the tail user space
/// published (`io_get_sqe()`), submits them, and publishes the new head.
/// An SQ array slot naming no entry is consumed, counted in `sq_dropped`,
/// and ends the batch. Returns how many entries were submitted; `-EAGAIN`
/// if not even the first could be allocated.
pub(crate) fn io_submit_from_sq(
    ctx: &Arc<IoRingCtx>,
    cx: &mut TaskCtx,
    sq: SqCtx,
    to_submit: u32,
    tctx: &Arc<IoUringTask>,
    ts: &impl UserMem,
) -> Result<usize> {
    Ring::open(ctx, |ring| {
        let mut sq = ring.lock_sq(cx, sq);
        let rings = sq.ring().ctx().rings();
        let (st, task) = sq.state_and_task();
        let head = st.cached_sq_head;
        let avail = rings.sq_tail().wrapping_sub(head).min(rings.sq_entries());
        let nr = to_submit.min(avail);
        let buf = &mut st.sqes;
        if buf.len() < nr as usize {
            buf.extend_with(nr as usize - buf.len(), Sqe::default(), GFP_KERNEL)?;
        }
        // Filled by index: `KVec::push` is a call of its own per entry.
        let mut n = 0;
        let mut dropped = false;
        for k in 0..nr {
            match rings.sqe(rings.sq_array(head.wrapping_add(k))) {
                Some(sqe) => {
                    buf[n] = sqe;
                    n += 1;
                }
                None => {
                    rings.inc_sq_dropped();
                    dropped = true;
                    break;
                }
            }
        }
        let sqes = &buf[..n];
        let submitted = if sqes.is_empty() {
            0
        } else {
            match io_submit_sqes(ctx, task, sqes, tctx, ts, ctx.params().submit_all) {
                Ok(n) => n,
                Err(e) if e == ENOMEM => return Err(EAGAIN),
                Err(e) => return Err(e),
            }
        };
        let mut consumed = submitted as u32;
        if dropped && submitted == sqes.len() {
            consumed += 1;
        }
        let st = sq.state();
        st.cached_sq_head = head.wrapping_add(consumed);
        rings.set_sq_head(st.cached_sq_head);
        Ok(submitted)
    })
}
