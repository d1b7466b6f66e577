// SPDX-License-Identifier: GPL-2.0

//! Posting completions and freeing requests: `io_fill_cqe_req()`,
//! `io_req_complete_post()`, `io_free_batch_list()` / `io_queue_next()`, and
//! reaping (`io_cqring_wait()`).

use super::issue::io_queue_deferred;
use super::link::io_req_find_next;
use super::timeout::io_commit_cqring_flush;
use super::tw;
use crate::glue::context::TaskCtx;
use crate::uapi::IORING_SQ_CQ_OVERFLOW;
use crate::uring::model::error::{ebadr, ecanceled, etime};
use crate::uring::model::req::{ReqArc, ReqRef, ReqView, TwAction, REQ_F_CQE_SKIP};
use crate::uring::model::ring::{CompletionGuard, ReapGuard, Ring, UringGuard};
use crate::uring::model::sqe::{Cqe, Op};
use kernel::prelude::*;
use kernel::time::{msecs_to_jiffies, Jiffies};

/// Posts `req`'s completion on its own ring unless it is skipped
/// (`io_fill_cqe_req()`), and fires the count-based timeouts it satisfies.
fn io_fill_cqe_req<'id>(c: &mut CompletionGuard<'_, 'id>, req: &impl ReqView<'id>) {
    if !req.mark_completed(c) {
        pr_err!("BUG: request {:#x} completed twice\n", req.user_data());
        return;
    }
    c.state().completed += 1;
    if req.flags() & REQ_F_CQE_SKIP != 0 {
        return;
    }
    if let Some(Op::Timeout { .. }) = req.op() {
        // `cq_timeouts`: a timeout that fired or was satisfied ends every
        // wait (`io_should_wake()`); a removed one does not.
        if req.res() != ecanceled().to_errno() {
            let st = c.state();
            st.cq_timeouts = st.cq_timeouts.wrapping_add(1);
            c.wake_cq();
        }
    }
    io_cqring_post(
        c,
        Cqe {
            user_data: req.user_data(),
            res: req.res(),
            flags: 0,
        },
    );
    io_commit_cqring_flush(c);
}

/// Writes `cqe` into the CQ ring, or, when the ring is full or older
/// completions wait in the overflow list, appends it there
/// (`io_get_cqe_overflow()` / `io_cqring_event_overflow()`).
fn io_cqring_post(c: &mut CompletionGuard<'_, '_>, cqe: Cqe) {
    let ring = c.ring();
    let rings = ring.ctx().rings();
    let st = c.state();
    let free = rings
        .cq_entries()
        .wrapping_sub(st.cached_cq_tail().wrapping_sub(rings.cq_head()));
    if st.overflow.len() == st.overflow_head && free != 0 && free <= rings.cq_entries() {
        io_cqring_fill(c, &cqe);
        return;
    }
    if st.overflow.push(cqe, GFP_ATOMIC).is_err() {
        // Counted where user space sees it, and reported by the next wait.
        rings.inc_cq_overflow();
        st.dropped = true;
        return;
    }
    rings.set_sq_flags(IORING_SQ_CQ_OVERFLOW);
    ring.ctx().poll_wq().wake();
}

/// Fills the next CQ slot and publishes the tail; wakes the waiters once
/// the tail reaches what the first of them waits for.
#[inline(always)]
fn io_cqring_fill(c: &mut CompletionGuard<'_, '_>, cqe: &Cqe) {
    let ring = c.ring();
    let rings = ring.ctx().rings();
    let st = c.state();
    rings.set_cqe(st.cached_cq_tail(), cqe);
    st.cq_tail += 1;
    rings.set_cq_tail(st.cached_cq_tail());
    ring.ctx().poll_wq().wake();
    if let Some(want) = st.cq_wake_tail {
        if st.cached_cq_tail().wrapping_sub(want) as i32 >= 0 {
            st.cq_wake_tail = None;
            c.wake_cq();
        }
    }
}

/// `__io_cqring_overflow_flush()`: moves overflowed completions into the
/// CQ ring while it has room; clears `IORING_SQ_CQ_OVERFLOW` once none is
/// left. Flushed completions count for the count-based timeouts.
pub(crate) fn io_cqring_overflow_flush(c: &mut CompletionGuard<'_, '_>) {
    let ring = c.ring();
    let rings = ring.ctx().rings();
    let mut moved = false;
    loop {
        let st = c.state();
        if st.overflow_head == st.overflow.len() {
            break;
        }
        if st.cached_cq_tail().wrapping_sub(rings.cq_head()) >= rings.cq_entries() {
            break;
        }
        let cqe = st.overflow[st.overflow_head];
        st.overflow_head += 1;
        io_cqring_fill(c, &cqe);
        moved = true;
    }
    let st = c.state();
    if st.overflow_head == st.overflow.len() {
        st.overflow = KVec::new();
        st.overflow_head = 0;
        rings.clear_sq_flags(IORING_SQ_CQ_OVERFLOW);
    }
    if moved {
        io_commit_cqring_flush(c);
    }
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
/// and gives the request's memory to the request cache
/// (`io_free_batch_list()`: `io_queue_next()`, `io_req_add_to_cache()`).
pub(crate) fn io_put_req<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    if let Some(last) = req.put() {
        if last.has_link_flags() {
            io_queue_next(&last, g);
        }
        g.io_req_cache_free(last);
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

/// Completions in the CQ ring not yet consumed (`__io_cqring_events()`).
fn io_cqring_events(c: &mut CompletionGuard<'_, '_>) -> u32 {
    let ring = c.ring();
    let tail = c.state().cached_cq_tail();
    tail.wrapping_sub(ring.ctx().rings().cq_head())
}

/// `io_cqring_wait()` for `io_uring_enter(IORING_ENTER_GETEVENTS)`: waits
/// until `min` completions are in the CQ ring, a timeout fires or is
/// satisfied, `jiffies` pass (`-ETIME`), or a signal arrives (`-EINTR`).
/// `-EBADR` reports (once) that completions were lost. As in C, a wait that
/// ended early returns 0 if anything is in the ring.
///
/// `run_tw` runs the thread's own task work on this ring
/// (`io_run_task_work()`) and says whether there was any: before the wait
/// sleeps, and when task work queued on the thread ends its sleep
/// (`TIF_NOTIFY_SIGNAL`). Then the wait goes on with what it started from
/// (the completion count it waits for, the timeouts seen), as C's loop
/// does, so a timeout that the task work completes ends it. When there was
/// none to run (the callback is queued but this wait already ran its list,
/// or the task work is another subsystem's), the flag stays set until the
/// thread returns to user space, and C, which runs every task work there
/// (`task_work_run()`, not exported), would go on waiting. If the call may
/// start again (`restartable`: it submitted nothing), the wait ends with
/// `-ERESTARTSYS`: the thread runs its task work on its way out and the call
/// starts again. Otherwise (returning would lose the submitted count) it
/// waits on in uninterruptible steps of a jiffy, each followed by a look
/// that a real signal still ends (`task_sigpending()`, `-EINTR`).
// Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
#[cfg_attr(not(MODULE), allow(dead_code))]
pub(crate) fn io_cqring_wait_user(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    min: u32,
    jiffies: Option<Jiffies>,
    restartable: bool,
    run_tw: &mut dyn FnMut(&mut TaskCtx) -> bool,
) -> Result<()> {
    if cq_ready(ring, cx, min) {
        return Ok(());
    }
    // `io_run_task_work()` before waiting: what the wait is for is often
    // the thread's own task work (C runs it first; here it costs a lookup
    // under `uring_lock`, so only a wait that would sleep pays it).
    if run_tw(cx) && cq_ready(ring, cx, min) {
        return Ok(());
    }
    let (want, timeouts) = {
        let mut c = ring.lock_completion(cx);
        (
            ring.ctx().rings().cq_head().wrapping_add(min),
            c.state().cq_timeouts,
        )
    };
    let mut left = jiffies.unwrap_or(MAX_JIFFY_OFFSET);
    loop {
        match cq_wait_for(ring, cx, want, timeouts, jiffies.is_some(), &mut left) {
            Err(e) if e == ERESTARTSYS && run_tw(cx) => continue,
            Err(e) if e == ERESTARTSYS && !restartable => {
                cx.sleep_uninterruptible(1);
                if jiffies.is_some() {
                    left = left.saturating_sub(1);
                }
                continue;
            }
            res => return res,
        }
    }
}

/// Whether `min` completions are in the CQ ring, after flushing what
/// overflowed.
#[cfg_attr(not(MODULE), allow(dead_code))]
fn cq_ready(ring: Ring<'_, '_>, cx: &mut TaskCtx, min: u32) -> bool {
    let mut c = ring.lock_completion(cx);
    io_cqring_overflow_flush(&mut c);
    io_cqring_events(&mut c) >= min
}

/// One sleep of [`io_cqring_wait_user`] under `completion_lock`: until the
/// CQ tail reaches `want`, `cq_timeouts` moves from `timeouts`, `left`
/// jiffies pass (counted down if `timed`), or an interruption.
#[cfg_attr(not(MODULE), allow(dead_code))]
fn cq_wait_for(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    want: u32,
    timeouts: u64,
    timed: bool,
    left: &mut Jiffies,
) -> Result<()> {
    let mut c = ring.lock_completion(cx);
    let res = loop {
        {
            let st = c.state();
            if st.dropped {
                st.dropped = false;
                break Err(ebadr());
            }
            if st.cached_cq_tail().wrapping_sub(want) as i32 >= 0 || st.cq_timeouts != timeouts {
                break Ok(());
            }
            st.wake_at(want);
        }
        if *left == 0 {
            break Err(etime());
        }
        match c.wait_cq_interruptible(*left) {
            Ok(l) => *left = if timed { l } else { MAX_JIFFY_OFFSET },
            Err(e) => break Err(e),
        }
        io_cqring_overflow_flush(&mut c);
    };
    // An interruption by task work (`-ERESTARTSYS`) is not the end of the
    // wait: the caller runs the task work and waits on.
    let restart = matches!(res, Err(e) if e == ERESTARTSYS);
    if res.is_err() && !restart && io_cqring_events(&mut c) != 0 {
        return Ok(());
    }
    res
}

/// The longest sleep (`MAX_JIFFY_OFFSET`): a wait without a timeout.
// Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
#[cfg_attr(not(MODULE), allow(dead_code))]
const MAX_JIFFY_OFFSET: Jiffies = ((u32::MAX >> 1) - 1) as Jiffies;

/// Waits until at least `min` completions are in the CQ ring or
/// `timeout_ms` passed, then copies up to `max` of them without consuming
/// them: the in-kernel self-test's reaper, which stands for user space.
pub(crate) fn io_cqring_peek(
    reaper: &mut ReapGuard<'_, '_>,
    min: usize,
    max: usize,
    timeout_ms: u32,
) -> Result<KVec<Cqe>> {
    let mut out = KVec::with_capacity(max, GFP_KERNEL)?;
    let mut c = reaper.lock_completion();
    let ring = c.ring();
    let rings = ring.ctx().rings();
    let mut left: Jiffies = msecs_to_jiffies(timeout_ms);
    io_cqring_overflow_flush(&mut c);
    let want = (min.max(1) as u32).min(rings.cq_entries());
    while io_cqring_events(&mut c) < want && left > 0 {
        let head = rings.cq_head();
        c.state().wake_at(head.wrapping_add(want));
        left = c.wait_cq(left);
        io_cqring_overflow_flush(&mut c);
    }
    let head = rings.cq_head();
    let n = (io_cqring_events(&mut c) as usize).min(max);
    for i in 0..n {
        // Within the capacity reserved above: no allocation under the lock.
        out.push(rings.cqe(head.wrapping_add(i as u32)), GFP_ATOMIC)?;
    }
    Ok(out)
}

/// Consumes `n` completions that [`io_cqring_peek`] returned, and moves
/// overflowed ones into the room they leave.
pub(crate) fn io_cqring_advance(reaper: &mut ReapGuard<'_, '_>, n: usize) {
    let mut c = reaper.lock_completion();
    let ring = c.ring();
    let rings = ring.ctx().rings();
    let avail = io_cqring_events(&mut c) as usize;
    rings.set_cq_head(rings.cq_head().wrapping_add(n.min(avail) as u32));
    io_cqring_overflow_flush(&mut c);
}

/// Waits as [`io_cqring_peek`] and consumes every completion returned,
/// serialised against other reapers; gathers up to `max` across the CQ
/// ring and what overflowed.
pub(crate) fn io_cqring_wait(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    min: usize,
    timeout_ms: u32,
) -> KVec<Cqe> {
    let mut reaper = ring.lock_reap(cx);
    let mut all = KVec::new();
    let mut min = min;
    let mut timeout_ms = timeout_ms;
    while let Ok(cqes) = io_cqring_peek(&mut reaper, min, 1 << 16, timeout_ms) {
        io_cqring_advance(&mut reaper, cqes.len());
        let n = cqes.len();
        for c in cqes.iter() {
            if all.push(*c, GFP_KERNEL).is_err() {
                return all;
            }
        }
        if n == 0 {
            break;
        }
        // More may have overflowed behind these: take them without waiting.
        min = min.saturating_sub(n);
        timeout_ms = 0;
    }
    all
}
