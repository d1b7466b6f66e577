// SPDX-License-Identifier: GPL-2.0

//! io-wq: requests that may block run on worker threads.
//! `io_queue_iowq()`, `io_wq_submit_work()`, `io_wq_free_work()`,
//! `io_wq_cancel_cb()` and `io_run_cancel()`; the worker loop is an entry
//! point (`entry/iowq.rs`).
//!
//! Each ring has an io-wq of two accounts, bound and unbound, each with a
//! list of pending work and up to a limit of workers; each worker keeps the
//! work it runs. Both hold io-wq's reference of each request, so
//! cancellation finds pending and running work as `io_wq_cancel_cb()`
//! does; the request's own reference is parked in it for the worker. A
//! worker (a kernel thread) runs pending work until there is none, and a
//! chain's next request right after its predecessor; queueing work
//! allocates nothing, and wakes nobody while the account's workers are at
//! their limit.

use super::complete::{io_req_complete, io_req_complete_post};
use super::issue::{io_assign_file, io_issue_sqe, Issued};
use super::link::io_req_find_next;
use super::timeout::{io_prep_linked_timeout, io_queue_linked_timeout};
use super::{channel, rw};
use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::glue::work;
use crate::uring::model::error::ecanceled;
use crate::uring::model::req::{Req, ReqArc, ReqPin, ReqRef, ReqSlot, ReqView, REQ_F_ARM_LTIMEOUT};
use crate::uring::model::ring::{
    Enqueued, IoWqAcct, IoWqGuard, IoWqHash, IoWqWork, NewWorkerFor, Ring, RunningWork, UringGuard,
    WorkerRoom,
};
use crate::uring::model::sqe::Op;
use kernel::prelude::*;

/// The lock `io_wq_free_work()` runs with.
///
/// After patch 1/3, the last put of a linked request takes `uring_lock` to
/// find the next request. A caller that already holds it (cancellation from
/// a locked section, `io_run_cancel()`) passes its guard instead of taking
/// the mutex again.
pub(crate) enum FreeWorkLock<'a, 'g, 'id> {
    /// Not held: take it on the last put (the io-wq worker).
    Unlocked(&'a mut TaskCtx),
    /// Held by the caller.
    Locked(&'a mut UringGuard<'g, 'id>),
}

/// What `io_wq_free_work()` leaves the caller.
pub(crate) struct FreedWork<'id> {
    /// The next request of the chain, detached, with its link's reference.
    pub(crate) next: Option<ReqRef<'id>>,
    /// The request itself if that was its last put: memory only, for the
    /// caller to recycle (C's `io_free_req()`) or drop.
    pub(crate) freed: Option<ReqArc<'id>>,
}

/// `io_wq_free_work()`: drops io-wq's reference; on the last put of a
/// linked request, detaches the next request under `uring_lock` and
/// `timeout_lock`.
pub(crate) fn io_wq_free_work<'id>(
    req: ReqRef<'id>,
    lock: FreeWorkLock<'_, '_, 'id>,
) -> FreedWork<'id> {
    let Some(last) = req.put() else {
        return FreedWork {
            next: None,
            freed: None,
        };
    };
    let next = if !last.has_link_flags() {
        None
    } else {
        match lock {
            FreeWorkLock::Unlocked(cx) => {
                let mut g = last.ring().lock_uring(cx);
                let next = io_req_find_next(&last, &mut g.lock_both());
                next
            }
            FreeWorkLock::Locked(g) => io_req_find_next(&last, &mut g.lock_both()),
        }
    };
    FreedWork {
        next,
        freed: Some(last),
    }
}

/// `io_prep_async_work()`: the account and hash bucket of `req`'s work.
///
/// A read or write whose regular file was assigned already (it was issued
/// inline and would block) finishes in bounded time: bound; a write is
/// hashed by the file's inode, so io-wq runs the writes to one file one at
/// a time, in order, unless the file is open `O_DIRECT` on a file system
/// whose direct writes may run in parallel (`FOP_DIO_PARALLEL_WRITE`).
/// Other reads and polls of channels, and reads and writes of files, may
/// block for as long as their peer wants: unbound, as C makes a file it
/// has not assigned yet (`IOSQE_ASYNC`, a chain's later request). The rest
/// is bound.
pub(crate) fn io_prep_async_work(req: &Req) -> IoWqWork {
    let (acct, hash) = match req.op() {
        Some(Op::Rw(rw)) => match rw.file.get().map(|file| (file, file.mode())) {
            Ok((file, mode)) if mode.regular() => {
                let hashed = rw.write && !mode.dio_parallel_write();
                let hash = hashed.then(|| IoWqHash::new(file.inode_hash(IoWqHash::ORDER)));
                (IoWqAcct::Bound, hash)
            }
            _ => (IoWqAcct::Unbound, None),
        },
        Some(Op::Read { .. } | Op::PollAdd { .. } | Op::Write { .. }) => (IoWqAcct::Unbound, None),
        _ => (IoWqAcct::Bound, None),
    };
    IoWqWork { acct, hash }
}

/// `io_wq_create_worker()`: starts a worker of `acct` for the task
/// `pid`, which the io-wq lock counted already. If none can be made and the
/// account has no worker left, its pending work is cancelled, as C's
/// `io_acct_cancel_pending_work()` does when `create_io_worker()` fails.
fn io_wq_create_worker(g: &mut UringGuard<'_, '_>, acct: IoWqAcct, pid: u32) {
    let wanted = g.lock_iowq().worker_room_wanted();
    let started = match WorkerRoom::new(g.task(), wanted) {
        Ok(mut room) => {
            let new = g.lock_iowq().worker_add(acct, &mut room);
            // The old table, if `room` took its place, is freed here,
            // outside the io-wq lock.
            drop(room);
            new.and_then(|new| {
                g.iowq_start_worker(new, |cx, data| work::spawn_io_worker(cx, data, pid))
            })
        }
        Err(e) => {
            g.lock_iowq().worker_failed(acct, None);
            Err(e)
        }
    };
    if started.is_err() && g.lock_iowq().no_workers(acct) {
        io_acct_cancel_pending_work(g, acct);
    }
}

/// Creates the worker a worker going on to its chain asked for
/// (`IoWqGuard::run_linked`), counted already.
pub(crate) fn io_wq_create_worker_for(ring: Ring<'_, '_>, cx: &mut TaskCtx, new: NewWorkerFor) {
    io_wq_create_worker(&mut ring.lock_uring(cx), new.acct(), new.pid());
}

/// `io_acct_cancel_pending_work()`: cancels all pending work of `acct`.
fn io_acct_cancel_pending_work(g: &mut UringGuard<'_, '_>, acct: IoWqAcct) {
    loop {
        let pending = {
            let mut w = g.lock_iowq();
            let (mut lists, _) = w.split();
            lists.pending[acct as usize].pop_front()
        };
        match pending {
            Some(req) => io_run_cancel(req, g),
            None => return,
        }
    }
}

/// `io_queue_iowq()`: hands `req` to io-wq, and starts a worker for it if
/// its account is below its limit. Queueing allocates nothing: the list is
/// intrusive.
pub(crate) fn io_queue_iowq<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    let (work, pid) = (io_prep_async_work(&req), req.task());
    let enqueued = io_wq_enqueue(&mut g.lock_iowq(), work, req);
    match enqueued {
        Ok(Enqueued::Taken) => (),
        Ok(Enqueued::CreateWorker) => io_wq_create_worker(g, work.acct, pid),
        Err(iowq_ref) => {
            pr_err!("BUG: io-wq work {:#x} queued twice\n", iowq_ref.user_data());
            io_run_cancel(iowq_ref, g);
        }
    }
}

/// `io_wq_enqueue()`: queues `req` as pending `work`: io-wq's list takes a
/// reference of its own, and `req`'s is parked for the worker that runs
/// it. Says whether a worker must be created; a request already queued
/// comes back as io-wq's reference, for `io_run_cancel()`.
pub(crate) fn io_wq_enqueue<'id>(
    w: &mut IoWqGuard<'_, 'id>,
    work: IoWqWork,
    req: ReqRef<'id>,
) -> Result<Enqueued, ReqRef<'id>> {
    w.enqueue(work, req.park_and_get_ref())
}

/// `io_wq_submit_work()`: issues `req` in a worker, where it may block.
pub(crate) fn io_wq_submit_work<'id>(req: ReqRef<'id>, ring: Ring<'_, 'id>, cx: &mut TaskCtx) {
    // `uring_lock` only for a request a linked timeout guards: the flag is
    // set at submission and cleared under the lock, by this request alone.
    let lt = if req.flags() & REQ_F_ARM_LTIMEOUT != 0 {
        io_prep_linked_timeout(&req, &mut ring.lock_uring(cx))
    } else {
        None
    };
    if let Some(lt) = lt {
        let slot = ReqSlot::new(cx).ok();
        io_queue_linked_timeout(lt, slot, &mut ring.lock_timeout(cx));
    }
    io_assign_file(&req, cx);
    let issued = match req.op() {
        Some(Op::Read { .. }) => channel::io_read_blocking(req, cx),
        Some(Op::PollAdd { .. }) => channel::io_poll_blocking(req, cx),
        Some(Op::Write { .. }) => channel::io_write(req),
        Some(Op::Rw(_)) => rw::io_rw_iowq(req, ring, cx),
        Some(Op::Nop) => Issued::res(req, 0),
        _ => io_issue_sqe(req, &mut ring.lock_uring(cx)),
    };
    // Queued: it completes through its timer or a channel.
    if let Issued::Done { req, res, fail } = issued {
        req.set_res(res);
        if fail {
            req.set_fail();
        }
        io_req_complete_post(req, ring, cx);
    }
}

/// The result of `io_wq_cancel_cb()`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IoWqCancel {
    /// Found pending and cancelled (`IO_WQ_CANCEL_OK`).
    Ok,
    /// Found running; it was asked to stop (`IO_WQ_CANCEL_RUNNING`).
    Running,
    /// Not found (`IO_WQ_CANCEL_NOTFOUND`).
    NotFound,
}

/// `io_wq_cancel_cb()`: finds the first work `matches` accepts (in atomic
/// context, under the io-wq lock), pending work first, and cancels it. A
/// pending one is taken off its list and its io-wq reference returned for
/// `io_run_cancel()`; a running one is signalled.
pub(crate) fn io_wq_cancel_cb<'id>(
    w: &mut IoWqGuard<'_, 'id>,
    mut matches: impl FnMut(ReqPin<'_, 'id>, &mut AtomicCtx) -> bool,
) -> (IoWqCancel, Option<ReqRef<'id>>) {
    let (mut lists, actx) = w.split();
    for pending in &mut lists.pending {
        if let Some(req) = pending.remove_first(|r| matches(r, actx)) {
            return (IoWqCancel::Ok, Some(req));
        }
    }
    let running = lists
        .workers
        .running()
        .find(|w| !w.req.signalled() && matches(w.req, actx));
    match running {
        Some(work) => {
            io_wq_worker_cancel(&work);
            (IoWqCancel::Running, None)
        }
        None => (IoWqCancel::NotFound, None),
    }
}

/// `io_wq_cancel_running_work()` with `cancel_all`: interrupts, in one pass,
/// every running work `matches` accepts (in atomic context, under the io-wq
/// lock) that no cancel interrupted yet; returns how many.
pub(crate) fn io_wq_cancel_running_all<'id>(
    w: &mut IoWqGuard<'_, 'id>,
    mut matches: impl FnMut(ReqPin<'_, 'id>, &mut AtomicCtx) -> bool,
) -> usize {
    let (lists, actx) = w.split();
    let mut n = 0;
    for work in lists.workers.running() {
        if !work.req.signalled() && matches(work.req, actx) {
            io_wq_worker_cancel(&work);
            n += 1;
        }
    }
    n
}

/// `__io_wq_worker_cancel()`: `IO_WQ_WORK_CANCEL`, and the worker that
/// runs the request interrupted, which ends a blocking wait in a file; a
/// channel's wait looks at the flag, and is woken.
fn io_wq_worker_cancel(work: &RunningWork<'_, '_>) {
    work.signal_and_interrupt();
    if let Some(Op::Read { chan, .. } | Op::PollAdd { chan, .. }) = work.req.op() {
        chan.wake_all();
    }
}

/// `io_run_cancel()`: fails a pending request that was taken off io-wq, then
/// drops io-wq's reference; a request the chain continues with is failed
/// too, as C runs it with `IO_WQ_WORK_CANCEL`. Taken off its list, the
/// request is no worker's: its memory goes to the request cache here
/// (`io_wq_remove_pending()`).
pub(crate) fn io_run_cancel<'id>(iowq_ref: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    let own = iowq_ref.to_arc().into_unparked().ok();
    let fail = |req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>| {
        req.set_res(ecanceled().to_errno());
        req.set_fail();
        io_req_complete(req, g);
    };
    if let Some(req) = own {
        fail(req, g);
    }
    let FreedWork { next, freed } = io_wq_free_work(iowq_ref, FreeWorkLock::Locked(g));
    if let Some(freed) = freed {
        g.io_req_cache_free(freed);
    }
    if let Some(next) = next {
        fail(next, g);
    }
}
