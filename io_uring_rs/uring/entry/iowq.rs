// SPDX-License-Identifier: GPL-2.0

//! The io-wq worker loop (`io_worker_handle_work()`): runs a request, then
//! the requests linked after it, in the same worker.

use crate::glue::context::TaskCtx;
use crate::uring::lifecycle::iowq::{
    io_wq_enqueue, io_wq_free_work, io_wq_submit_work, FreeWorkLock,
};
use crate::uring::lifecycle::tw;
use crate::uring::model::req::{IoWqStage, Req, ReqArc, ReqSlot, TwAction};
use kernel::prelude::*;
use kernel::sync::Arc;

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
            let Some(next) = io_wq_free_work(iowq_ref, FreeWorkLock::Unlocked(cx)) else {
                continue;
            };
            // Continue with the next request of the chain here, as io-wq
            // does; without memory for its node, issue it from task work.
            match ReqSlot::new(cx) {
                Ok(slot) => work = Some(io_wq_enqueue(next, slot, &mut ring.lock_iowq(cx))),
                Err(_) => tw::queue(next, TwAction::Submit),
            }
        }
    })
}
