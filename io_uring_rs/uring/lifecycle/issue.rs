// SPDX-License-Identifier: GPL-2.0

//! Issuing requests: `io_queue_sqe()`, `io_issue_sqe()` and each opcode's
//! `->issue()` in task context with `uring_lock` held; draining
//! (`io_drain_req()`, `io_queue_deferred()`).

use super::complete::io_req_complete;
use super::iowq::io_queue_iowq;
use super::timeout::{io_prep_linked_timeout, io_queue_linked_timeout};
use super::tw::io_should_terminate_tw;
use super::{cancel, channel, poll, rw, timeout};
use crate::glue::context::TaskCtx;
use crate::uring::model::error::ecanceled;
use crate::uring::model::req::{Req, ReqRef, ReqSlot, REQ_F_FAIL, REQ_F_IO_DRAIN};
use crate::uring::model::ring::UringGuard;
use crate::uring::model::sqe::Op;
use kernel::prelude::*;

/// What issuing a request did.
pub(crate) enum Issued<'id> {
    /// It completed with `res`; `fail` breaks its links. The reference comes
    /// back to the caller, who completes it.
    Done {
        req: ReqRef<'id>,
        res: i32,
        fail: bool,
    },
    /// It waits for an event (a timer, a channel); its reference went where
    /// it waits, and whoever takes it from there completes it.
    Queued,
}

impl<'id> Issued<'id> {
    /// A completion with an error: fails the links.
    pub(crate) fn err(req: ReqRef<'id>, e: Error) -> Self {
        Issued::Done {
            req,
            res: e.to_errno(),
            fail: true,
        }
    }

    /// A completion with `res`, failed if negative.
    pub(crate) fn res(req: ReqRef<'id>, res: i32) -> Self {
        Issued::Done {
            req,
            res,
            fail: res < 0,
        }
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
pub(crate) fn io_queue_sqe<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    if req.op().is_none() || req.flags() & REQ_F_FAIL != 0 {
        // Failed at preparation (`io_req_defer_failed()`): its result is set.
        io_req_complete(req, g);
        return;
    }
    if g.ring().is_dying() {
        finish(req, ecanceled().to_errno(), true, g);
        return;
    }
    let lt = io_prep_linked_timeout(&req, g);
    if req.force_async() {
        io_queue_iowq(req, g);
    } else if let Issued::Done { req, res, fail } = io_issue_sqe(req, g) {
        // A linked timeout that was prepared but not armed is cancelled when
        // the target's chain advances.
        finish(req, res, fail, g);
        return;
    }
    if let Some(lt) = lt {
        // Without a node the timer is not armed; the target's completion
        // then finds the claim and cancels the timeout as never armed.
        let slot = ReqSlot::new(g.task()).ok();
        io_queue_linked_timeout(lt, slot, &mut g.lock_timeout());
    }
}

/// `io_req_task_submit()`: issues `req` from task work, or, if the task
/// work is terminated (`terminate`: its task exited, or the ring exits),
/// fails it with `-EFAULT` (`io_req_defer_failed()`), which cancels its
/// links unless it is a hard link.
pub(crate) fn io_req_task_submit<'id>(
    req: ReqRef<'id>,
    terminate: bool,
    g: &mut UringGuard<'_, 'id>,
) {
    if terminate {
        finish(req, EFAULT.to_errno(), true, g);
    } else {
        io_queue_sqe(req, g);
    }
}

/// Submits a published chain head (`io_queue_sqe()` at submission): a
/// drained head, or any head while drained ones wait, is deferred
/// (`io_drain_req()`).
pub(crate) fn io_submit_head<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) {
    let waiting = !g.defer_list_ref().is_empty();
    if !waiting && !drain_needs_defer(req.flags(), req.drain_seq(), g) {
        io_queue_sqe(req, g);
        return;
    }
    let slot = match ReqSlot::new(g.task()) {
        Ok(slot) => slot,
        Err(e) => {
            finish(req, e.to_errno(), true, g);
            return;
        }
    };
    let key = req.drain_seq();
    g.defer_list().insert(slot, key, req);
    g.ring().set_drain_active(true);
}

/// Whether a drained head must still wait: not every request submitted
/// before it has completed (`req_need_defer()`). If so, `drain_active` is
/// set before `completion_lock` is let go, as C's `io_drain_req()` decides
/// under it: a completion posted without `uring_lock` (io-wq's) counts
/// after this look, and then sees `drain_active` and issues what waits
/// (`io_queue_deferred()`, once the caller let `uring_lock` go); one that
/// counted before it is seen here, and the head does not wait.
fn drain_needs_defer(flags: u32, drain_seq: u64, g: &mut UringGuard<'_, '_>) -> bool {
    if flags & REQ_F_IO_DRAIN == 0 {
        return false;
    }
    let mut c = g.lock_completion();
    let defer = c.state().completed < drain_seq;
    if defer {
        c.ring().set_drain_active(true);
    }
    defer
}

/// `io_queue_deferred()`: issues the deferred heads that may run now, in
/// order.
pub(crate) fn io_queue_deferred(g: &mut UringGuard<'_, '_>) {
    loop {
        let first = g
            .defer_list_ref()
            .first()
            .map(|(key, head)| (key, head.flags(), head.drain_seq()));
        let Some((key, flags, drain_seq)) = first else {
            g.ring().set_drain_active(false);
            return;
        };
        if drain_needs_defer(flags, drain_seq, g) {
            return;
        }
        if let Some(head) = g.defer_list().remove(key) {
            // C queues the head's issue as task work (`io_req_task_queue()`),
            // which is terminated once its task has exited.
            let terminate = io_should_terminate_tw(&head, g);
            io_req_task_submit(head, terminate, g);
        }
    }
}

/// Completes `req` with `res`, failing it first if `fail`.
pub(crate) fn finish<'id>(req: ReqRef<'id>, res: i32, fail: bool, g: &mut UringGuard<'_, 'id>) {
    req.set_res(res);
    if fail {
        req.set_fail();
    }
    io_req_complete(req, g);
}

/// `io_assign_file()`: takes the request's file as it is issued, inline,
/// from task work or in io-wq, in the submitter's file table
/// (`io_file_get_normal()`); a request not issued yet holds none. A ring's
/// file (or a channel that stands for one) makes the request
/// `REQ_F_INFLIGHT` here, not at preparation: task exit does not cancel a
/// chain whose inflight request was never issued (still behind its link,
/// or deferred by a drain). A descriptor that names no file then fails the
/// issue itself, with `-EBADF`. An opcode without a file returns at once,
/// inline (`!def->needs_file`).
#[inline]
pub(crate) fn io_assign_file(req: &Req, cx: &TaskCtx) {
    if req.op().is_some_and(Op::needs_file) {
        io_assign_needed_file(req, cx);
    }
}

/// The part of [`io_assign_file`] for an opcode with a file or channel.
fn io_assign_needed_file(req: &Req, cx: &TaskCtx) {
    let inflight = match req.op().and_then(Op::channel) {
        Some(chan) => chan.tracks_inflight(),
        None => req
            .op()
            .and_then(Op::file)
            .is_some_and(|file| file.assign(cx, req.files()).is_ok_and(|f| f.mode().ring())),
    };
    if inflight {
        req.track_inflight();
    }
}

/// `io_issue_sqe()` without blocking: runs the opcode's issue handler.
pub(crate) fn io_issue_sqe<'id>(req: ReqRef<'id>, g: &mut UringGuard<'_, 'id>) -> Issued<'id> {
    io_assign_file(&req, g.task());
    match req.op() {
        Some(Op::Nop) => Issued::res(req, 0),
        Some(Op::Timeout { .. }) => timeout::io_timeout(req, g),
        Some(Op::TimeoutRemove { .. }) => {
            let res = timeout::io_timeout_remove(&req, g);
            Issued::res(req, res)
        }
        Some(Op::AsyncCancel { .. }) => {
            let res = cancel::io_async_cancel(&req, g);
            Issued::res(req, res)
        }
        // No buffer group exists (`io_remove_buffers()` finds none).
        Some(Op::RemoveBuffers) => Issued::res(req, ENOENT.to_errno()),
        Some(Op::Read { .. }) => channel::io_read(req, g),
        Some(Op::Write { .. }) => channel::io_write(req),
        Some(Op::PollAdd { .. }) => channel::io_poll_add(req, g),
        Some(Op::Rw(_)) => rw::io_rw(req, g),
        Some(Op::PollFile { .. }) => poll::io_poll_add(req, g),
        Some(Op::PollRemove { .. }) => {
            let res = poll::io_poll_remove(&req, g);
            Issued::res(req, res)
        }
        // A linked timeout is never issued: it is armed for its target.
        Some(Op::LinkTimeout { .. }) | None => Issued::err(req, EINVAL),
    }
}
