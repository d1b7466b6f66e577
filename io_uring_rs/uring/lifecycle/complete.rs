// SPDX-License-Identifier: GPL-2.0

//! Posting completions and freeing requests: `io_fill_cqe_req()`,
//! `io_req_complete_post()`, `io_free_batch_list()` / `io_queue_next()`, and
//! reaping (`io_cqring_wait()`).

use super::issue::io_queue_deferred;
use super::link::io_req_find_next;
use super::timeout::io_flush_timeouts;
use super::tw;
use crate::glue::context::TaskCtx;
use crate::uring::model::req::{ReqArc, ReqRef, ReqView, TwAction, REQ_F_CQE_SKIP};
use crate::uring::model::ring::{CompletionGuard, ReapGuard, Ring, UringGuard};
use crate::uring::model::sqe::Cqe;
use kernel::prelude::*;
use kernel::time::{msecs_to_jiffies, Jiffies};

/// Posts `req`'s completion on its own ring unless it is skipped
/// (`io_fill_cqe_req()`), and fires the count-based timeouts it satisfies.
fn io_fill_cqe_req<'id>(c: &mut CompletionGuard<'_, 'id>, req: &impl ReqView<'id>) {
    if !req.mark_completed() {
        pr_err!("BUG: request {:#x} completed twice\n", req.user_data());
        return;
    }
    c.state().completed += 1;
    if req.flags() & REQ_F_CQE_SKIP != 0 {
        return;
    }
    let cqe = Cqe {
        user_data: req.user_data(),
        res: req.res(),
        flags: 0,
    };
    let st = c.state();
    if st.cq.push(cqe, GFP_ATOMIC).is_err() {
        st.cq_overflow += 1;
        return;
    }
    st.cq_tail += 1;
    // Wake the waiter only once it has what it waits for, as io_uring's
    // `io_should_wake()` does.
    if st.cq.len() - st.cq_head >= st.cq_wait_nr {
        c.wake_cq();
    }
    io_flush_timeouts(c);
}

/// Completes `req` from task context with `uring_lock` held: posts its
/// completion and drops the reference (`io_req_complete_defer()` +
/// `io_free_batch_list()`).
pub(crate) fn io_req_complete<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    io_fill_cqe_req(&mut g.lock_completion(), &req);
    io_put_req(req, g);
    if g.ring().drain_active() {
        io_queue_deferred(g);
    }
}

/// Posts `req`'s completion without `uring_lock`, from io-wq
/// (`io_req_complete_post()`), and drops the reference. io-wq holds another
/// one, so this is not the last; if it were, the chain still advances.
pub(crate) fn io_req_complete_post<'id>(req: ReqRef<'id>, ring: Ring<'_, 'id>, cx: &mut TaskCtx) {
    io_fill_cqe_req(&mut ring.lock_completion(cx), &req);
    if let Some(last) = req.put() {
        if last.has_link_flags() {
            io_queue_next(&last, &mut ring.lock_uring(cx));
        }
    }
    if ring.drain_active() {
        io_queue_deferred(&mut ring.lock_uring(cx));
    }
}

/// Drops a reference with `uring_lock` held; the last one advances the chain
/// (`io_free_batch_list()` -> `io_queue_next()`).
pub(crate) fn io_put_req<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    if let Some(last) = req.put() {
        if last.has_link_flags() {
            io_queue_next(&last, g);
        }
    }
}

/// `io_queue_next()`: issues the next request of the chain from task work.
fn io_queue_next<'id>(req: &ReqArc<'id>, g: &mut UringGuard<'_, 'id>) {
    let next = io_req_find_next(req, &mut g.lock_both());
    if let Some(next) = next {
        tw::queue(next, TwAction::Submit);
    }
}

/// Completes `req` with `res` from task work (`io_req_queue_tw_complete()`).
pub(crate) fn io_req_queue_tw_complete(req: ReqRef<'_>, res: i32) {
    req.set_res(res);
    tw::queue(req, TwAction::Complete);
}

/// Waits until at least `min` completions are posted or `timeout_ms`
/// passed, then copies up to `max` of them without consuming them
/// (`io_cqring_wait()` and a look at the CQ ring).
pub(crate) fn io_cqring_peek(
    reaper: &mut ReapGuard<'_, '_>,
    min: usize,
    max: usize,
    timeout_ms: u32,
) -> Result<KVec<Cqe>> {
    let mut out = KVec::with_capacity(max, GFP_KERNEL)?;
    let mut c = reaper.lock_completion();
    let mut left: Jiffies = msecs_to_jiffies(timeout_ms);
    let ready = |c: &mut CompletionGuard<'_, '_>| {
        let st = c.state();
        st.cq.len() - st.cq_head
    };
    c.state().cq_wait_nr = min.max(1);
    while ready(&mut c) < min && left > 0 {
        left = c.wait_cq(left);
    }
    let st = c.state();
    st.cq_wait_nr = usize::MAX;
    for cqe in st.cq[st.cq_head..].iter().take(max) {
        // Within the capacity reserved above: no allocation under the lock.
        out.push(*cqe, GFP_ATOMIC)?;
    }
    Ok(out)
}

/// Consumes `n` completions that [`io_cqring_peek`] returned.
pub(crate) fn io_cqring_advance(reaper: &mut ReapGuard<'_, '_>, n: usize) {
    let mut c = reaper.lock_completion();
    let st = c.state();
    st.cq_head = (st.cq_head + n).min(st.cq.len());
    if st.cq_head == st.cq.len() {
        st.cq = KVec::new();
        st.cq_head = 0;
    }
}

/// Waits as [`io_cqring_peek`] and consumes every completion returned,
/// serialised against other reapers.
pub(crate) fn io_cqring_wait(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    min: usize,
    timeout_ms: u32,
) -> KVec<Cqe> {
    let mut reaper = ring.lock_reap(cx);
    match io_cqring_peek(&mut reaper, min, 1 << 16, timeout_ms) {
        Ok(cqes) => {
            io_cqring_advance(&mut reaper, cqes.len());
            cqes
        }
        Err(_) => KVec::new(),
    }
}
