// SPDX-License-Identifier: GPL-2.0

//! The io-wq worker thread (`io_wq_worker()`, `io_worker_handle_work()`):
//! takes its account's pending work, oldest first, and runs each request,
//! then the requests linked after it, in the same worker; idles when there
//! is none, and exits after a while without work or at ring exit.

use crate::glue::arc_slot::ArcSlot;
use crate::glue::context::TaskCtx;
use crate::glue::kthread::ThreadCtx;
use crate::uring::lifecycle::iowq::{io_wq_free_work, io_wq_submit_work, FreeWorkLock};
use crate::uring::lifecycle::tw;
use crate::uring::model::req::{ReqArc, ReqRef, ReqSlot, TwAction};
use crate::uring::model::ring::{IoWorker, Ring};
use kernel::prelude::*;

/// Puts the next request of a chain on io-wq's running work, to run it in
/// worker `id` as io-wq does, unless ring exit has begun: then (or
/// without memory) it goes to task work, whose `io_queue_sqe()` fails it
/// with `-ECANCELED` on a dying ring. `dying` is read under the io-wq lock,
/// which exit's cancel pass takes after setting it: a request put there is
/// seen by that pass, or this sees `dying`.
fn continue_chain<'id>(
    next: ReqRef<'id>,
    ring: Ring<'_, 'id>,
    cx: &mut TaskCtx,
    id: u64,
) -> Option<ReqArc<'id>> {
    let cached = ring.lock_iowq(cx).take_slot();
    if let Ok(slot) = cached.map_or_else(|| ReqSlot::new(cx), Ok) {
        let mut w = ring.lock_iowq(cx);
        if !ring.is_dying() {
            let iowq_ref = next.pin().get_ref();
            w.run_linked(slot, iowq_ref, id);
            return Some(next.park());
        }
    }
    tw::queue(next, TwAction::Submit);
    None
}

/// `io_worker_handle_work()`: runs `req`, which worker `id` took off the
/// pending work, and the chain after it.
fn io_worker_handle_work<'id>(req: ReqArc<'id>, ring: Ring<'_, 'id>, tcx: &mut ThreadCtx, id: u64) {
    let mut work = Some(req);
    while let Some(req) = work.take() {
        let Some(own) = req.unpark() else {
            pr_err!(
                "BUG: io-wq work {:#x} without a reference\n",
                req.user_data()
            );
            return;
        };
        io_wq_submit_work(own, ring, tcx.task());
        let iowq_ref = ring.lock_iowq(tcx.task()).finish(req.seq());
        // A cancel may have interrupted the request; none interrupts this
        // worker for it any more.
        tcx.clear_notify_signal();
        let Some(iowq_ref) = iowq_ref else {
            pr_err!("BUG: io-wq work {:#x} left the list\n", req.user_data());
            return;
        };
        let cx = tcx.task();
        if let Some(next) = io_wq_free_work(iowq_ref, FreeWorkLock::Unlocked(cx)) {
            work = continue_chain(next, ring, cx, id);
        }
        // Freed outside the lock; the memory goes to the request cache.
        if let Some(slot) = ArcSlot::reclaim(req.into_arc()) {
            ring.lock_iowq(cx).req_cache_free(slot);
        }
    }
}

/// `io_wq_worker()`: the thread of io-wq worker `worker`.
pub(crate) fn io_wq_worker(worker: &IoWorker, tcx: &mut ThreadCtx) {
    let (acct, id) = (worker.acct(), worker.id());
    worker.open(|ring| {
        let task = tcx.current_task();
        ring.lock_iowq(tcx.task()).worker_started(id, task);
        loop {
            let next = ring.lock_iowq(tcx.task()).next_work(acct, id);
            match next {
                Some(req) => io_worker_handle_work(req, ring, tcx, id),
                None => return,
            }
        }
    })
}
