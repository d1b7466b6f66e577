// SPDX-License-Identifier: GPL-2.0

//! io-wq: requests that may block run on worker threads.
//! `io_queue_iowq()`, `io_wq_submit_work()`, `io_wq_free_work()`,
//! `io_wq_cancel_cb()` and `io_run_cancel()`.
//!
//! Workers are items on the module's unbound workqueue. The ring keeps every
//! request it handed to io-wq in `works` until it finished, so cancellation
//! finds pending and running work as `io_wq_cancel_cb()` does.

use super::channel;
use super::complete::{io_req_complete, io_req_complete_post};
use super::context::{AtomicCtx, TaskCtx};
use super::errno::ECANCELED;
use super::issue::{io_issue_sqe, Issued};
use super::link::io_req_find_next;
use super::locks::{IoWqGuard, UringGuard};
use super::req::{IoWqState, Req, TwAction};
use super::sqe::Op;
use super::timeout::{io_prep_linked_timeout, io_queue_linked_timeout};
use super::tw;
use crate::glue::atomic::Ordering;
use crate::glue::wq;
use kernel::prelude::*;
use kernel::rbtree::RBTreeNode;
use kernel::sync::Arc;

/// The lock `io_wq_free_work()` runs with.
///
/// After patch 1/3, the last put of a linked request takes `uring_lock` to
/// find the next request. A caller that already holds it (cancellation from
/// a locked section, `io_run_cancel()`) passes its guard instead of taking
/// the mutex again.
pub(crate) enum FreeWorkLock<'a, 'g> {
    /// Not held: take it on the last put (the io-wq worker).
    Unlocked(&'a mut TaskCtx),
    /// Held by the caller.
    Locked(&'a mut UringGuard<'g>),
}

/// `io_wq_free_work()`: drops io-wq's reference; on the last put of a
/// linked request, detaches and returns the next request under
/// `uring_lock` and `timeout_lock`.
pub(crate) fn io_wq_free_work(req: Arc<Req>, lock: FreeWorkLock<'_, '_>) -> Option<Arc<Req>> {
    if !req.refs().put_and_test() || !req.has_link_flags() {
        return None;
    }
    match lock {
        FreeWorkLock::Unlocked(cx) => {
            let ring = req.ring.clone();
            let mut g = ring.lock_uring(cx);
            let next = io_req_find_next(&req, &mut g.lock_both());
            next
        }
        FreeWorkLock::Locked(g) => io_req_find_next(&req, &mut g.lock_both()),
    }
}

/// Registers `req` with io-wq as pending, taking io-wq's reference.
fn register(req: &Arc<Req>, w: &mut IoWqGuard<'_>, node: RBTreeNode<u64, Arc<Req>>) {
    req.refs().get();
    req.iowq_transition(IoWqState::Idle, IoWqState::Pending);
    w.split().0.works.insert(node);
}

fn enqueue(req: Arc<Req>) {
    if wq::iowq().enqueue::<Arc<Req>, 1>(req).is_err() {
        pr_err!("BUG: io-wq item already queued\n");
    }
}

/// `io_queue_iowq()`: hands `req` to io-wq.
pub(crate) fn io_queue_iowq(req: Arc<Req>, g: &mut UringGuard<'_>) {
    let node = match RBTreeNode::new(req.seq, req.clone(), GFP_KERNEL) {
        Ok(node) => node,
        Err(e) => {
            req.set_res(e.to_errno());
            req.set_fail();
            io_req_complete(req, g);
            return;
        }
    };
    register(&req, &mut g.lock_iowq(), node);
    enqueue(req);
}

/// The io-wq worker: runs `req`, then the requests linked after it
/// (`io_worker_handle_work()`).
pub(crate) fn io_wq_worker(req: Arc<Req>) {
    let mut cx = TaskCtx::enter();
    let mut work = Some(req);
    while let Some(req) = work.take() {
        if !req.iowq_transition(IoWqState::Pending, IoWqState::Running) {
            // Cancelled while pending: `io_run_cancel()` completed it.
            return;
        }
        io_wq_submit_work(&req, &mut cx);
        let ring = req.ring.clone();
        ring.lock_iowq(&mut cx).split().0.works.remove(&req.seq);
        req.iowq_transition(IoWqState::Running, IoWqState::Idle);
        work = io_wq_free_work(req, FreeWorkLock::Unlocked(&mut cx));
        if let Some(next) = work.take() {
            work = continue_chain(next, &mut cx);
        }
    }
}

/// Registers the next request of a chain with io-wq, to run it in the same
/// worker, unless ring exit has begun: then (or without memory) it goes to
/// task work, whose `io_queue_sqe()` fails it with `-ECANCELED` on a dying
/// ring. `dying` is read under the io-wq lock, which exit's cancel pass takes
/// after setting it: a request registered here is seen by that pass, or
/// this sees `dying`.
fn continue_chain(next: Arc<Req>, cx: &mut TaskCtx) -> Option<Arc<Req>> {
    if let Ok(node) = RBTreeNode::new(next.seq, next.clone(), GFP_KERNEL) {
        let ring = next.ring.clone();
        let mut w = ring.lock_iowq(cx);
        if !ring.dying.load(Ordering::Acquire) {
            register(&next, &mut w, node);
            return Some(next);
        }
    }
    tw::queue(next, TwAction::Submit);
    None
}

/// `io_wq_submit_work()`: issues `req` in a worker, where it may block.
fn io_wq_submit_work(req: &Arc<Req>, cx: &mut TaskCtx) {
    let ring = req.ring.clone();
    let lt = io_prep_linked_timeout(req, &mut ring.lock_uring(cx));
    if let Some(lt) = lt {
        io_queue_linked_timeout(lt, &mut ring.lock_timeout(cx));
    }
    let issued = match &req.op {
        Some(Op::Read { .. }) => channel::io_read_blocking(req),
        Some(Op::PollAdd { .. }) => channel::io_poll_blocking(req),
        Some(Op::Write { .. }) => channel::io_write(req),
        Some(Op::Nop) => Issued::res(0),
        _ => io_issue_sqe(req, &mut ring.lock_uring(cx)),
    };
    match issued {
        Issued::Done { res, fail } => {
            req.set_res(res);
            if fail {
                req.set_fail();
            }
            io_req_complete_post(req, cx);
        }
        // It completes through its timer or a channel; io-wq's reference is
        // dropped by `io_wq_free_work()` as usual.
        Issued::Queued => {}
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
/// and returned for `io_run_cancel()`; a running one is signalled.
pub(crate) fn io_wq_cancel_cb(
    w: &mut IoWqGuard<'_>,
    mut matches: impl FnMut(&Req, &mut AtomicCtx) -> bool,
) -> (IoWqCancel, Option<Arc<Req>>) {
    let (st, actx) = w.split();
    let found = st
        .works
        .iter()
        .find(|(_, r)| {
            let state = r.iowq_state();
            (state == IoWqState::Pending
                || (state == IoWqState::Running && !r.signalled.load(Ordering::Acquire)))
                && matches(r, actx)
        })
        .map(|(seq, r)| (*seq, r.clone()));
    let Some((seq, req)) = found else {
        return (IoWqCancel::NotFound, None);
    };
    if req.iowq_transition(IoWqState::Pending, IoWqState::Cancelled) {
        st.works.remove(&seq);
        return (IoWqCancel::Ok, Some(req));
    }
    // Running: `IO_WQ_WORK_CANCEL` and a signal to the worker.
    req.signalled.store(true, Ordering::Release);
    if let Some(Op::Read { chan, .. } | Op::PollAdd { chan, .. }) = &req.op {
        chan.wake_all();
    }
    (IoWqCancel::Running, None)
}

/// `io_run_cancel()`: fails a pending request that was taken off io-wq, then
/// drops io-wq's reference.
///
/// The request's work item is taken off the workqueue first, if it has not
/// started: its reference then goes with it, and the request is freed here
/// without ever needing one of the workqueue's active slots. Without that,
/// a cancelled request waits in the queue behind up to `max_active` io-wq
/// items of other rings blocked in reads, and its ring's exit with it.
pub(crate) fn io_run_cancel(req: Arc<Req>, lock: FreeWorkLock<'_, '_>) {
    wq::iowq_cancel(&req);
    req.set_res(ECANCELED.to_errno());
    req.set_fail();
    match lock {
        FreeWorkLock::Locked(g) => {
            io_req_complete(req.clone(), g);
            drop(io_wq_free_work(req, FreeWorkLock::Locked(g)));
        }
        FreeWorkLock::Unlocked(cx) => {
            tw::queue(req.clone(), TwAction::Complete);
            drop(io_wq_free_work(req, FreeWorkLock::Unlocked(cx)));
        }
    }
}
