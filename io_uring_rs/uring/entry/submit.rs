// SPDX-License-Identifier: GPL-2.0

//! Submission: `io_submit_sqes()`.
//!
//! A chain is built before it is published: every entry of the chain is
//! prepared first, then the requests are created back to front, each with
//! its link as a constructor argument. No published chain is ever appended
//! to, so submission needs no exception to the chain rule: the link of a
//! request nobody else can see yet is simply its initial value.

use crate::glue::context::{SqCtx, TaskCtx};
use crate::glue::tctx::IoUringTask;
use crate::uring::lifecycle::issue::io_submit_head;
use crate::uring::model::error::{ecanceled, eopnotsupp};
use crate::uring::model::req::{Req, ReqRef, REQ_F_ARM_LTIMEOUT, REQ_F_HARDLINK, REQ_F_IO_DRAIN};
use crate::uring::model::ring::{IoRingCtx, Ring, UringGuard};
use crate::uring::model::sqe::{
    prep, Op, Sqe, UserMem, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_DRAIN, IOSQE_IO_HARDLINK,
    IOSQE_IO_LINK, OP_LINK_TIMEOUT,
};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most entries one call may submit (`IORING_MAX_ENTRIES`).
pub(crate) const MAX_SUBMIT: usize = 32768;

/// How many chains one call submits before it lets go of `uring_lock` to
/// let others run (`cond_resched()`).
const RESCHED_CHAINS: usize = 64;

/// What preparing the chains of one call needs besides their entries: room
/// for the prepared opcodes of a chain of more than one entry, allocated
/// once for the longest possible, reused chain after chain. A chain of one
/// entry keeps its opcode on the stack.
struct ChainScratch {
    ops: KVec<Option<Result<Op>>>,
}

impl ChainScratch {
    /// Room for chains of up to `n` entries, in task context.
    fn new(n: usize) -> Result<Self> {
        Ok(ChainScratch {
            ops: KVec::with_capacity(n, GFP_KERNEL)?,
        })
    }

    /// Room for the opcodes of a chain of `n` entries. A slot an earlier
    /// chain used is empty again (publishing takes every opcode), and
    /// preparing writes every slot it is given. Within the capacity `new`
    /// allocated, this does not allocate.
    fn ops(&mut self, n: usize) -> Result<&mut [Option<Result<Op>>]> {
        while self.ops.len() < n {
            self.ops.push(None, GFP_KERNEL)?;
        }
        Ok(&mut self.ops[..n])
    }
}

/// An unpublished chain: the prepared entries of one link chain.
struct PreppedChain<'s, 'c> {
    sqes: &'s [Sqe],
    ops: &'c mut [Option<Result<Op>>],
    failed: bool,
    /// The last entry failed its preparation: submission stops after this
    /// chain unless `IORING_SETUP_SUBMIT_ALL` (`io_submit_fail_init()`).
    last_failed: bool,
    /// A member asked for `IOSQE_IO_DRAIN`, or the chain before did.
    drain: bool,
    /// Requests submitted before this chain.
    drain_seq: u64,
}

impl<'s, 'c> PreppedChain<'s, 'c> {
    /// Prepares every entry into `ops`, one slot an entry; a failure fails
    /// the whole chain (C turns hard links into links for this:
    /// `io_queue_sqe_fallback()`).
    fn prep(
        g: &mut UringGuard<'_, '_>,
        sqes: &'s [Sqe],
        ts: &impl UserMem,
        ops: &'c mut [Option<Result<Op>>],
    ) -> Self {
        let mut failed = false;
        let params = *g.ring().params();
        let st = g.state();
        let mut drain = core::mem::take(&mut st.drain_next);
        let drain_seq = st.submitted;
        st.submitted += sqes.len() as u64;
        for (i, sqe) in sqes.iter().enumerate() {
            let (st, task) = g.state_and_task();
            let mut op = prep(task, st, sqe, ts, &params);
            let st = g.state();
            if sqe.flags & IOSQE_IO_DRAIN != 0 {
                if st.drain_disabled {
                    // `io_init_req_drain()`: CQE skipping broke the counts
                    // draining relies on.
                    op = Err(eopnotsupp());
                }
                // The chain drains, and so does the next one (`drain_next`).
                drain = true;
                st.drain_next = true;
            }
            if sqe.flags & IOSQE_CQE_SKIP_SUCCESS != 0 {
                st.drain_disabled = true;
            }
            if let Ok(Op::LinkTimeout { .. }) = op {
                // A linked timeout needs a request before it in the chain
                // (`link->head`) whose opcode is not LINK_TIMEOUT
                // (`link->last->opcode`). The opcode is the entry's, whether
                // or not its preparation succeeded: a failed entry stays in
                // the chain as `link->last` (`io_submit_fail_init()`).
                if i == 0 || sqes[i - 1].opcode == OP_LINK_TIMEOUT {
                    op = Err(EINVAL);
                }
            }
            failed |= op.is_err();
            ops[i] = Some(op);
        }
        let last_failed = matches!(ops.last(), Some(Some(Err(_))));
        PreppedChain {
            sqes,
            ops,
            failed,
            last_failed,
            drain,
            drain_seq,
        }
    }

    /// Creates the requests back to front and returns the head.
    fn publish<'id>(
        self,
        g: &mut UringGuard<'_, 'id>,
        tctx: &Arc<IoUringTask>,
    ) -> Result<ReqRef<'id>> {
        let mut next: Option<ReqRef<'id>> = None;
        let mut next_is_lt = false;
        for i in (0..self.sqes.len()).rev() {
            let op = self.ops[i].take().unwrap_or(Err(EINVAL));
            let head_of_failed = i == 0 && self.failed && op.is_ok();
            // A request a linked timeout follows arms it when issued.
            let flags = if next_is_lt { REQ_F_ARM_LTIMEOUT } else { 0 };
            next_is_lt = matches!(op, Ok(Op::LinkTimeout { .. }));
            let req = Req::alloc(g, &self.sqes[i], tctx, op, next.take(), flags)?;
            if self.failed && i == 0 {
                // A failed chain is cancelled whole, hard links included.
                req.clear_flags(REQ_F_HARDLINK);
            }
            if i == 0 {
                req.set_drain_seq(self.drain_seq);
                if self.drain {
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
        next.ok_or(EINVAL)
    }
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
    let mut scratch = ChainScratch::new(sqes.len())?;
    Ring::open(ctx, |ring| {
        let mut i = 0;
        let mut chains = 0;
        let mut g = ring.lock_uring(cx);
        while i < sqes.len() {
            let mut j = i;
            while j + 1 < sqes.len() && sqes[j].flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK) != 0 {
                j += 1;
            }
            let mut one = None;
            let ops = match j - i {
                0 => Ok(core::slice::from_mut(&mut one)),
                n => scratch.ops(n + 1),
            };
            let (head, stop) = match ops.and_then(|ops| {
                let chain = PreppedChain::prep(&mut g, &sqes[i..=j], ts, ops);
                let stop = chain.last_failed && !submit_all;
                Ok((chain.publish(&mut g, tctx)?, stop))
            }) {
                Ok(v) => v,
                Err(e) if i == 0 => return Err(e),
                Err(_) => return Ok(i),
            };
            io_submit_head(head, &mut g);
            i = j + 1;
            if stop {
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
        let head = sq.state().cached_sq_head;
        let avail = rings.sq_tail().wrapping_sub(head).min(rings.sq_entries());
        let nr = to_submit.min(avail);
        // Filled by index: `KVec::push` is a call of its own per entry.
        let mut buf = KVec::from_elem(Sqe::default(), nr as usize, GFP_KERNEL)?;
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
            match io_submit_sqes(ctx, sq.task(), sqes, tctx, ts, ctx.params().submit_all) {
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
