// SPDX-License-Identifier: GPL-2.0

//! The io-wq worker loop (`io_worker_handle_work()`): runs a request, then
//! the requests linked after it, in the same worker.

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::{
    io_wq_enqueue, io_wq_free_work, io_wq_submit_work, FreeWorkLock,
};
use crate::uring::lifecycle::tw;
use crate::uring::model::req::{IoWqStage, Req, ReqArc, ReqRef, ReqSlot, TwAction};
use crate::uring::model::ring::Ring;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Registers the next request of a chain with io-wq, to run it in the same
/// worker as io-wq does, unless ring exit has begun: then (or without
/// memory) it goes to task work, whose `io_queue_sqe()` fails it with
/// `-ECANCELED` on a dying ring. `dying` is read under the io-wq lock, which
/// exit's cancel pass takes after setting it: a request registered here is
/// seen by that pass, or this sees `dying`.
fn continue_chain<'id>(
    next: ReqRef<'id>,
    ring: Ring<'_, 'id>,
    cx: &mut TaskCtx,
) -> Option<ReqArc<'id>> {
    if let Ok(slot) = ReqSlot::new(cx) {
        let mut w = ring.lock_iowq(cx);
        if !ring.is_dying() {
            return Some(io_wq_enqueue(next, slot, &mut w));
        }
    }
    tw::queue(next, TwAction::Submit);
    None
}

/// Runs the io-wq work item of `req`.
pub(crate) fn io_wq_worker(req: Arc<Req>, cx: &mut TaskCtx) {
    ReqArc::open(req, |ring, req| {
        let mut work = Some(req);
        while let Some(req) = work.take() {
            if !req.iowq_transition(IoWqStage::Pending, IoWqStage::Running) {
                // Cancelled while pending: `io_run_cancel()` completed it.
                return;
            }
            let Some(own) = req.unpark() else {
                pr_err!(
                    "BUG: io-wq work {:#x} without a reference\n",
                    req.user_data()
                );
                return;
            };
            io_wq_submit_work(own, ring, cx);
            let iowq_ref = ring.lock_iowq(cx).split().0.remove(req.seq());
            req.iowq_transition(IoWqStage::Running, IoWqStage::Idle);
            let Some(iowq_ref) = iowq_ref else {
                pr_err!("BUG: io-wq work {:#x} left the list\n", req.user_data());
                return;
            };
            if let Some(next) = io_wq_free_work(iowq_ref, FreeWorkLock::Unlocked(cx)) {
                work = continue_chain(next, ring, cx);
            }
        }
    })
}
