// SPDX-License-Identifier: GPL-2.0

//! Cancellation: `io_try_cancel()`, `io_async_cancel()`,
//! `io_uring_try_cancel_requests()`, task cancellation
//! (`io_uring_cancel_generic()`) and ring exit (`io_ring_exit_work()`).

use super::complete::io_req_complete;
use super::iowq::{io_run_cancel, io_wq_cancel_cb, io_wq_cancel_running_all, IoWqCancel};
use super::issue::io_queue_deferred;
use super::link::io_match_task_safe;
use super::poll::{io_poll_cancel, io_poll_remove_all};
use super::timeout::{io_kill_timeouts, io_timeout_cancel};
use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::glue::tctx::IoUringTask;
use crate::uring::model::error::{ealready, ecanceled, etimedout};
use crate::uring::model::req::{Req, ReqPin, ReqView, REQ_F_INFLIGHT};
use crate::uring::model::ring::{Ring, UringGuard};
use crate::uring::model::sqe::{Op, IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY};
use core::cell::Cell;
use kernel::prelude::*;
use kernel::time::msecs_to_jiffies;

/// What a cancellation looks for (`struct io_cancel_data`).
pub(crate) struct CancelData {
    /// Match this `user_data`.
    user_data: u64,
    /// Match exactly this request (linked timeouts cancel their target).
    seq: Option<u64>,
    /// Match any request (`IORING_ASYNC_CANCEL_ANY`).
    any: bool,
    /// The cancel request's own sequence: it never matches itself, and a
    /// request it already counted is not counted again (`cancel_seq`).
    own_seq: u64,
    /// Every match is cancelled (`IORING_ASYNC_CANCEL_ALL`/`ANY`).
    all: bool,
    /// A match was found running in io-wq and interrupted
    /// (`cd->running`): not cancelled yet, and not counted.
    running: Cell<bool>,
}

impl CancelData {
    /// Cancels exactly `req`.
    pub(crate) fn request(req: &Req) -> Self {
        CancelData {
            user_data: req.user_data(),
            seq: Some(req.seq()),
            any: false,
            own_seq: 0,
            all: false,
            running: Cell::new(false),
        }
    }

    /// Whether `req` is a target, marking it counted for this cancel.
    pub(crate) fn matches(&self, req: &Req) -> bool {
        if req.seq() == self.own_seq {
            return false;
        }
        let hit = match self.seq {
            Some(seq) => req.seq() == seq,
            None => self.any || req.user_data() == self.user_data,
        };
        if !hit {
            return false;
        }
        !(self.own_seq != 0 && req.swap_cancel_seq(self.own_seq) == self.own_seq)
    }
}

/// `io_async_cancel_one()`: cancels the first match in io-wq, or with
/// ALL/ANY every match (`cancel_all`): pending ones are taken off and
/// failed, running ones interrupted. `Running` if one was interrupted,
/// else `Ok` if a pending one was cancelled (however many: C counts one).
fn io_async_cancel_one(g: &mut UringGuard<'_, '_>, cd: &CancelData) -> IoWqCancel {
    let mut res = IoWqCancel::NotFound;
    loop {
        let (found, pending) = io_wq_cancel_cb(&mut g.lock_iowq(), |r, _| cd.matches(&r));
        if let Some(req) = pending {
            io_run_cancel(req, g);
        }
        match found {
            IoWqCancel::Ok if cd.all => res = IoWqCancel::Ok,
            IoWqCancel::Running if cd.all => {
                // No pending match is left: the rest of what runs, in one
                // pass. Something ran: that is the answer, whatever was
                // pending (`io_wq_cancel_cb()` with `cancel_all`).
                io_wq_cancel_running_all(&mut g.lock_iowq(), |r, _| cd.matches(&r));
                return found;
            }
            IoWqCancel::NotFound => return res,
            found => return found,
        }
    }
}

/// `io_try_cancel()`: looks for the target in io-wq, then the cancelable
/// (poll-armed) list, then the timeouts. A target running in io-wq is
/// interrupted and recorded in `cd`, and the search goes on: alone, it is
/// `-ENOENT`.
pub(crate) fn io_try_cancel(g: &mut UringGuard<'_, '_>, cd: &CancelData) -> Result {
    match io_async_cancel_one(g, cd) {
        IoWqCancel::Ok => return Ok(()),
        // Fall through even when it runs: a poll may be armed that needs
        // unarming.
        IoWqCancel::Running => cd.running.set(true),
        IoWqCancel::NotFound => {}
    }
    if io_poll_cancel(g, cd) {
        return Ok(());
    }
    io_timeout_cancel(g, cd)
}

/// `io_async_cancel()`: `IORING_OP_ASYNC_CANCEL`. Returns 0, `-ENOENT`,
/// `-EALREADY`, or with ALL/ANY the number of requests cancelled.
pub(crate) fn io_async_cancel(req: &Req, g: &mut UringGuard<'_, '_>) -> i32 {
    let Some(Op::AsyncCancel { target, flags }) = req.op() else {
        return EINVAL.to_errno();
    };
    let all = flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY) != 0;
    let cd = CancelData {
        user_data: *target,
        seq: None,
        any: flags & IORING_ASYNC_CANCEL_ANY != 0,
        own_seq: req.seq(),
        all,
        running: Cell::new(false),
    };
    if !all {
        return match io_try_cancel(g, &cd) {
            Ok(()) => 0,
            // Found running and interrupted: that is not "not found"
            // (`__io_async_cancel()`).
            Err(e) if e == ENOENT && cd.running.get() => ealready().to_errno(),
            Err(e) => e.to_errno(),
        };
    }
    // What runs is interrupted but not counted.
    let mut nr = 0;
    while io_try_cancel(g, &cd) != Err(ENOENT) {
        nr += 1;
    }
    nr
}

/// `io_uring_try_cancel_requests()`: cancels what `task` (every task with
/// `None`) has in flight on `ring`; `cancel_all` false cancels only chains
/// with a `REQ_F_INFLIGHT` request, as task exit does. Returns whether it
/// found anything.
pub(crate) fn io_uring_try_cancel_requests(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    task: Option<u32>,
    cancel_all: bool,
) -> bool {
    let mut ret = false;
    let mut g = ring.lock_uring(cx);
    // io-wq, with the task match run as io-wq's atomic callback: it walks
    // the chain under `timeout_lock`, the only chain lock it may take.
    let matches = |r: ReqPin<'_, '_>, actx: &mut AtomicCtx| {
        let t = r.ring().lock_timeout(actx);
        io_match_task_safe(r, task, cancel_all, &t.chain_read())
    };
    loop {
        let (found, pending) = io_wq_cancel_cb(&mut g.lock_iowq(), matches);
        if let Some(req) = pending {
            io_run_cancel(req, &mut g);
        }
        if found == IoWqCancel::NotFound {
            break;
        }
        ret = true;
        if found == IoWqCancel::Running {
            // No pending match is left (`cancel_all`): the rest of what
            // runs, in one pass.
            io_wq_cancel_running_all(&mut g.lock_iowq(), matches);
            break;
        }
    }
    ret |= io_cancel_defer_files(&mut g, task, cancel_all);
    ret |= io_poll_remove_all(&mut g, task, cancel_all);
    // Patch 3/3: still under `uring_lock`; the guard is what it takes.
    ret |= io_kill_timeouts(&mut g, task, cancel_all);
    drop(g);
    ret
}

/// `io_cancel_defer_files()`: cancels the deferred chains up to and
/// including the last one that matches. As C cuts that part of the list
/// before failing any of it, every head is taken off the list before the
/// completions run; a completion's `io_queue_deferred()` would otherwise
/// issue the next deferred head instead of cancelling it.
fn io_cancel_defer_files(g: &mut UringGuard<'_, '_>, task: Option<u32>, cancel_all: bool) -> bool {
    let last = {
        let proof = g.chain_read();
        g.defer_list_ref()
            .iter()
            .filter(|(_, r)| io_match_task_safe(*r, task, cancel_all, &proof))
            .map(|(key, _)| key)
            .last()
    };
    let Some(last) = last else {
        return false;
    };
    // The cut: with `drain_active` clear, no completion below issues a
    // deferred head; what stays deferred is flushed once at the end.
    g.ring().set_drain_active(false);
    loop {
        let first = g.defer_list_ref().first().map(|(key, _)| key);
        let Some(head) = first
            .filter(|key| *key <= last)
            .and_then(|key| g.defer_list().remove(key))
        else {
            break;
        };
        head.set_res(ecanceled().to_errno());
        head.set_fail();
        io_req_complete(head, g);
    }
    if !g.defer_list_ref().is_empty() {
        g.ring().set_drain_active(true);
        io_queue_deferred(g);
    }
    true
}

/// Counts the requests of `task` that are in flight: all of them, or with
/// `tracked` only those marked `REQ_F_INFLIGHT` (`tctx_inflight()`).
fn task_inflight(ring: Ring<'_, '_>, cx: &mut TaskCtx, task: u32, tracked: bool) -> usize {
    let mut g = ring.lock_uring(cx);
    let counts = |r: &Req| r.task() == task && (!tracked || r.flags() & REQ_F_INFLIGHT != 0);
    let mut n = g.cancelable_ref().iter().filter(|(_, r)| counts(r)).count();
    let mut w = g.lock_iowq();
    let (lists, _) = w.split();
    for list in &lists.pending {
        n += list.iter().filter(|r| counts(r)).count();
    }
    n + lists.workers.running().filter(|w| counts(&w.req)).count()
}

/// `io_uring_cancel_generic()`: cancels `task`'s requests on `ring` as task
/// exit (`cancel_all` false: only `REQ_F_INFLIGHT` chains) or exec
/// (`cancel_all` true) does, until none is left. Returns `-ETIMEDOUT` if
/// that takes longer than `timeout_ms`.
///
/// Task exit then records the task as exited (C sets `PF_EXITING` right
/// after `io_uring_files_cancel()`): task work for the requests it
/// submitted is terminated from now on (`tw::io_should_terminate_tw()`).
/// Exec leaves the task alive.
pub(crate) fn io_uring_cancel_generic(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    task: u32,
    cancel_all: bool,
    timeout_ms: u32,
) -> Result {
    let ret = cancel_until_gone(ring, cx, task, cancel_all, timeout_ms);
    if !cancel_all {
        let before = ring.seq_horizon();
        ring.lock_uring(cx).state().set_task_exited(task, before)?;
    }
    ret
}

/// Cancels `task`'s inflight requests on `ring` (`REQ_F_INFLIGHT` chains)
/// until none is left, as task exit does, but leaves the task alive: it
/// closed its last descriptor of the ring. `-ETIMEDOUT` after
/// `timeout_ms`.
// Used by the device calls (`entry/dev.rs`), which the host mirror lacks.
#[cfg_attr(not(MODULE), allow(dead_code))]
pub(crate) fn io_uring_cancel_inflight(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    task: u32,
    timeout_ms: u32,
) -> Result {
    cancel_until_gone(ring, cx, task, false, timeout_ms)
}

/// The loop of `io_uring_cancel_generic()`.
///
/// The task is in `flush()`: its task work goes to the fallback worker from
/// now on (`entry/dev.rs` set that), and every pass hands the worker what
/// was queued before. A wait that cannot sleep (a signal, or only the
/// `TIF_NOTIFY_SIGNAL` of task work queued before the task started
/// cancelling, which it cannot run in the kernel) is a jiffy of
/// uninterruptible sleep instead.
fn cancel_until_gone(
    ring: Ring<'_, '_>,
    cx: &mut TaskCtx,
    task: u32,
    cancel_all: bool,
    timeout_ms: u32,
) -> Result {
    let mut left = msecs_to_jiffies(timeout_ms);
    // Task exit cancels only what is tracked: with nothing tracked, there is
    // nothing to look for (C's loop starts with `tctx_inflight()`).
    let nothing_tracked = || !cancel_all && ring.ctx().inflight_tracked() == 0;
    loop {
        if nothing_tracked() {
            return Ok(());
        }
        let seen = ring.freed();
        io_uring_try_cancel_requests(ring, cx, Some(task), cancel_all);
        io_fallback_tw(ring, cx, Some(task));
        if nothing_tracked() || task_inflight(ring, cx, task, !cancel_all) == 0 {
            return Ok(());
        }
        if left == 0 {
            return Err(etimedout());
        }
        // Cancel again at least every `EXIT_RETRY_MS`: a chain's next
        // request may have become cancelable after this pass.
        let step = left.min(msecs_to_jiffies(EXIT_RETRY_MS).max(1));
        let slept = match ring.wait_freed(cx, seen, step) {
            Ok(rest) => step - rest.min(step),
            Err(_) => {
                cx.sleep_uninterruptible(1);
                1
            }
        };
        left -= slept.min(left);
    }
}

/// Hands the task work queued on `task`'s lists (every thread's if `None`)
/// to the fallback worker (`io_fallback_tw()`): the thread that would run
/// it waits in the kernel for the requests it concerns.
fn io_fallback_tw(ring: Ring<'_, '_>, cx: &mut TaskCtx, task: Option<u32>) {
    let mut g = ring.lock_uring(cx);
    for t in g.state().tctxs(task) {
        IoUringTask::run_in_fallback(t);
    }
}

/// How often ring exit cancels again while requests are left (C's
/// `io_ring_exit_work()` retries every `HZ/20`).
pub(crate) const EXIT_RETRY_MS: u32 = 50;

/// `io_ring_exit_work()`: the last reference to the ring is gone; cancel
/// everything and wait until every request is freed.
///
/// Never gives up, as C never does: every [`EXIT_RETRY_MS`] (or at once when
/// a request is freed) it cancels again, so a request that became cancelable
/// after a pass (a chain's next request, a re-armed poll) is taken by the
/// next one. Terminates because no new request can enter the ring once
/// `dying` is set (submission refuses, `io_queue_sqe()` and io-wq fail a
/// chain's next request instead of issuing it), a pending io-wq request is
/// freed by the cancel itself (`io_run_cancel()` takes it off its list),
/// and a running one is signalled and its blocking wait returns. Then the
/// io-wq workers are stopped.
///
/// If requests are still left after `warn_ms` of waiting, prints one
/// warning (a plain `pr_warn!`, as C's is a `WARN_ON_ONCE`) and goes on.
/// Returns whether it did. Runs where no signal can arrive (a kernel worker,
/// as in C); a pending signal only makes a wait return early.
pub(crate) fn io_ring_exit(ring: Ring<'_, '_>, cx: &mut TaskCtx, warn_ms: u32) -> bool {
    ring.stop_sq_thread(cx);
    ring.set_dying();
    let interval = msecs_to_jiffies(EXIT_RETRY_MS).max(1);
    let warn_after = msecs_to_jiffies(warn_ms);
    let mut waited = 0;
    let mut slow = false;
    loop {
        let seen = ring.freed();
        io_uring_try_cancel_requests(ring, cx, None, true);
        io_fallback_tw(ring, cx, None);
        if ring.inflight() == 0 {
            break;
        }
        let left = ring.wait_freed(cx, seen, interval).unwrap_or(0);
        waited += interval - left.min(interval);
        if !slow && waited >= warn_after {
            slow = true;
            pr_warn!(
                "ring exit slow: {} requests left after {} ms, still cancelling\n",
                ring.inflight(),
                warn_ms
            );
        }
    }
    // No request is left for an io-wq worker to run.
    ring.iowq_exit(cx);
    // Nothing references the channels' waiters any more, and no task
    // work is queued.
    let mut g = ring.lock_uring(cx);
    g.state().channels = KVec::new();
    g.state().drop_tctxs();
    slow
}
