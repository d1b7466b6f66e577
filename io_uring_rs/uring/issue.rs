// SPDX-License-Identifier: GPL-2.0

//! Issuing requests: `io_queue_sqe()`, `io_issue_sqe()` and each opcode's
//! `->issue()` in task context with `uring_lock` held.

use super::complete::io_req_complete;
use super::errno::ECANCELED;
use super::iowq::io_queue_iowq;
use super::locks::UringGuard;
use super::req::{Req, REQ_F_FAIL, REQ_F_IO_DRAIN};
use super::sqe::Op;
use super::timeout::{io_prep_linked_timeout, io_queue_linked_timeout};
use super::{cancel, channel, timeout};
use crate::glue::atomic::Ordering;
use kernel::prelude::*;
use kernel::rbtree::RBTreeNode;
use kernel::sync::Arc;

/// What issuing a request did.
pub(crate) enum Issued {
    /// It completed with `res`; `fail` breaks its links.
    Done { res: i32, fail: bool },
    /// It waits for an event (a timer, a channel); it completes later.
    /// (Where C would punt to io-wq on `-EAGAIN`, channels arm poll.)
    Queued,
}

impl Issued {
    /// A completion with an error: fails the links.
    pub(crate) fn err(e: Error) -> Self {
        Issued::Done {
            res: e.to_errno(),
            fail: true,
        }
    }

    /// A completion with `res`, failed if negative.
    pub(crate) fn res(res: i32) -> Self {
        Issued::Done { res, fail: res < 0 }
    }
}

/// `io_queue_sqe()`: issues a published request (the head of a chain, or the
/// next request of one) from task context.
///
/// Once ring exit has begun, nothing is issued any more: the request fails
/// with `-ECANCELED` and its links are cancelled (C's task work fails it
/// when `io_should_terminate_tw()`, with `-EFAULT`; io-wq work of an exiting
/// io-wq fails with `-ECANCELED`). `dying` is set before exit's first cancel
/// pass, which takes `uring_lock`, held here: either this request is issued
/// before that pass, which then finds it, or it sees `dying`.
pub(crate) fn io_queue_sqe(req: Arc<Req>, g: &mut UringGuard<'_>) {
    if req.op.is_none() || req.flags() & REQ_F_FAIL != 0 {
        // Failed at preparation (`io_req_defer_failed()`): its result is set.
        io_req_complete(req, g);
        return;
    }
    if g.ring().dying.load(Ordering::Acquire) {
        finish(req, ECANCELED.to_errno(), true, g);
        return;
    }
    let lt = io_prep_linked_timeout(&req, g);
    if req.force_async() {
        io_queue_iowq(req, g);
    } else {
        match io_issue_sqe(&req, g) {
            Issued::Done { res, fail } => {
                // A linked timeout that was prepared but not armed is
                // cancelled when the target's chain advances.
                finish(req, res, fail, g);
                return;
            }
            Issued::Queued => {}
        }
    }
    if let Some(lt) = lt {
        io_queue_linked_timeout(lt, &mut g.lock_timeout());
    }
}

/// Submits a published chain head (`io_queue_sqe()` at submission): a
/// drained head, or any head while drained ones wait, is deferred
/// (`io_drain_req()`).
pub(crate) fn io_submit_head(req: Arc<Req>, g: &mut UringGuard<'_>) {
    let waiting = g.state().defer_list.iter().next().is_some();
    if !waiting && !drain_needs_defer(&req, g) {
        io_queue_sqe(req, g);
        return;
    }
    let node = match RBTreeNode::new(
        req.drain_seq.load(Ordering::Relaxed),
        req.clone(),
        GFP_KERNEL,
    ) {
        Ok(node) => node,
        Err(e) => {
            finish(req, e.to_errno(), true, g);
            return;
        }
    };
    g.state().defer_list.insert(node);
    g.ring().drain_active.store(true, Ordering::Release);
}

/// Whether a drained head must still wait: not every request submitted
/// before it has completed (`req_need_defer()`).
fn drain_needs_defer(req: &Req, g: &mut UringGuard<'_>) -> bool {
    req.flags() & REQ_F_IO_DRAIN != 0
        && g.lock_completion().state().completed < req.drain_seq.load(Ordering::Relaxed)
}

/// `io_queue_deferred()`: issues the deferred heads that may run now, in
/// order.
pub(crate) fn io_queue_deferred(g: &mut UringGuard<'_>) {
    loop {
        let Some(head) = g.state().defer_list.values().next().cloned() else {
            g.ring().drain_active.store(false, Ordering::Release);
            return;
        };
        if drain_needs_defer(&head, g) {
            return;
        }
        g.state()
            .defer_list
            .remove(&head.drain_seq.load(Ordering::Relaxed));
        io_queue_sqe(head, g);
    }
}

/// Completes `req` with `res`, failing it first if `fail`.
pub(crate) fn finish(req: Arc<Req>, res: i32, fail: bool, g: &mut UringGuard<'_>) {
    req.set_res(res);
    if fail {
        req.set_fail();
    }
    io_req_complete(req, g);
}

/// `io_issue_sqe()` without blocking: runs the opcode's issue handler.
pub(crate) fn io_issue_sqe(req: &Arc<Req>, g: &mut UringGuard<'_>) -> Issued {
    match &req.op {
        Some(Op::Nop) => Issued::res(0),
        Some(Op::Timeout { .. }) => timeout::io_timeout(req, g),
        Some(Op::TimeoutRemove { .. }) => Issued::res(timeout::io_timeout_remove(req, g)),
        Some(Op::AsyncCancel { .. }) => Issued::res(cancel::io_async_cancel(req, g)),
        Some(Op::Read { .. }) => channel::io_read(req, g),
        Some(Op::Write { .. }) => channel::io_write(req),
        Some(Op::PollAdd { .. }) => channel::io_poll_add(req, g),
        // A linked timeout is never issued: it is armed for its target.
        Some(Op::LinkTimeout { .. }) | None => Issued::err(EINVAL),
    }
}
