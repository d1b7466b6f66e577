// SPDX-License-Identifier: GPL-2.0

//! io-wq: requests that may block run on worker threads.
//! `io_queue_iowq()`, `io_wq_submit_work()`, `io_wq_free_work()`,
//! `io_wq_cancel_cb()` and `io_run_cancel()`; the worker loop is an entry
//! point (`entry/iowq.rs`).
//!
//! Workers are items on the module's unbound workqueue. The ring keeps every
//! request it handed to io-wq in its io-wq list until it finished, with
//! io-wq's reference, so cancellation finds pending and running work as
//! `io_wq_cancel_cb()` does. The work item holds the request's own reference,
//! parked in it.

use super::complete::{io_req_complete, io_req_complete_post};
use super::issue::{io_assign_file, io_issue_sqe, Issued};
use super::link::io_req_find_next;
use super::timeout::{io_prep_linked_timeout, io_queue_linked_timeout};
use super::{channel, rw};
use crate::glue::context::{AtomicCtx, TaskCtx};
use crate::glue::wq;
use crate::uring::model::error::ecanceled;
use crate::uring::model::req::{IoWqStage, Req, ReqArc, ReqPin, ReqRef, ReqSlot, ReqView};
use crate::uring::model::ring::{IoWqGuard, Ring, UringGuard};
use crate::uring::model::sqe::Op;
use kernel::prelude::*;
use kernel::sync::Arc;

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

/// `io_wq_free_work()`: drops io-wq's reference; on the last put of a
/// linked request, detaches and returns the next request under
/// `uring_lock` and `timeout_lock`.
pub(crate) fn io_wq_free_work<'id>(
    req: ReqRef<'id>,
    lock: FreeWorkLock<'_, '_, 'id>,
) -> Option<ReqRef<'id>> {
    let last = req.put()?;
    if !last.has_link_flags() {
        return None;
    }
    match lock {
        FreeWorkLock::Unlocked(cx) => {
            let mut g = last.ring().lock_uring(cx);
            let next = io_req_find_next(&last, &mut g.lock_both());
            next
        }
        FreeWorkLock::Locked(g) => io_req_find_next(&last, &mut g.lock_both()),
    }
}

/// Registers `req` with io-wq as pending: io-wq's list takes a reference of
/// its own, and `req`'s is parked for the work item, which is returned.
pub(crate) fn io_wq_enqueue<'id>(
    req: ReqRef<'id>,
    slot: ReqSlot,
    w: &mut IoWqGuard<'_, 'id>,
) -> ReqArc<'id> {
    let iowq_ref = req.pin().get_ref();
    req.iowq_transition(IoWqStage::Idle, IoWqStage::Pending);
    w.split().0.insert(slot, req.seq(), iowq_ref);
    req.park()
}

/// Queues a registered request's work item.
pub(crate) fn io_wq_queue_work(req: Arc<Req>) {
    if wq::iowq().enqueue::<Arc<Req>, 1>(req).is_err() {
        pr_err!("BUG: io-wq item already queued\n");
    }
}

/// `io_queue_iowq()`: hands `req` to io-wq.
pub(crate) fn io_queue_iowq<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    let slot = match ReqSlot::new(g.task()) {
        Ok(slot) => slot,
        Err(e) => {
            req.set_res(e.to_errno());
            req.set_fail();
            io_req_complete(req, g);
            return;
        }
    };
    let work = io_wq_enqueue(req, slot, &mut g.lock_iowq());
    io_wq_queue_work(work.into_arc());
}

/// `io_wq_submit_work()`: issues `req` in a worker, where it may block.
pub(crate) fn io_wq_submit_work<'id>(req: ReqRef<'id>, ring: Ring<'_, 'id>, cx: &mut TaskCtx) {
    let lt = io_prep_linked_timeout(&req, &mut ring.lock_uring(cx));
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
/// context, under the io-wq lock) and cancels it. A pending one is removed
/// and its io-wq reference returned for `io_run_cancel()`; a running one is
/// signalled.
pub(crate) fn io_wq_cancel_cb<'id>(
    w: &mut IoWqGuard<'_, 'id>,
    mut matches: impl FnMut(ReqPin<'_, 'id>, &mut AtomicCtx) -> bool,
) -> (IoWqCancel, Option<ReqRef<'id>>) {
    let (mut works, actx) = w.split();
    let found = works
        .as_ref()
        .iter()
        .find(|(_, r)| {
            let stage = r.iowq_stage();
            (stage == IoWqStage::Pending || (stage == IoWqStage::Running && !r.signalled()))
                && matches(*r, actx)
        })
        .map(|(key, r)| (key, r.to_arc()));
    let Some((key, req)) = found else {
        return (IoWqCancel::NotFound, None);
    };
    if req.iowq_transition(IoWqStage::Pending, IoWqStage::Cancelled) {
        return (IoWqCancel::Ok, works.remove(key));
    }
    // Running: `IO_WQ_WORK_CANCEL` and a signal to the worker.
    req.signal();
    if let Some(Op::Read { chan, .. } | Op::PollAdd { chan, .. }) = req.op() {
        chan.wake_all();
    }
    (IoWqCancel::Running, None)
}

/// `io_run_cancel()`: fails a pending request that was taken off io-wq, then
/// drops io-wq's reference; a request the chain continues with is failed
/// too, as C runs it with `IO_WQ_WORK_CANCEL`.
///
/// The request's work item is taken off the workqueue first, if it has not
/// started: the request's memory then goes with it here, and it never needs
/// one of the workqueue's active slots. Without that, a cancelled request
/// waits in the queue behind up to `max_active` io-wq items of other rings
/// blocked in reads, and its ring's exit with it (C's io-wq unlinks pending
/// work, `io_wq_remove_pending()`).
pub(crate) fn io_run_cancel<'id>(iowq_ref: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    wq::iowq_cancel(iowq_ref.arc());
    let own = iowq_ref.to_arc().unpark();
    let fail = |req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>| {
        req.set_res(ecanceled().to_errno());
        req.set_fail();
        io_req_complete(req, g);
    };
    if let Some(req) = own {
        fail(req, g);
    }
    if let Some(next) = io_wq_free_work(iowq_ref, FreeWorkLock::Locked(g)) {
        fail(next, g);
    }
}
