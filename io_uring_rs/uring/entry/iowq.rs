// SPDX-License-Identifier: GPL-2.0

//! The io-wq worker thread (`io_wq_worker()`, `io_worker_handle_work()`):
//! takes its account's pending work, oldest first, and runs each request,
//! then the requests linked after it, in the same worker; idles when there
//! is none, and exits after a while without work or at ring exit.

use crate::glue::arc_slot::ArcSlot;
use crate::glue::context::TaskCtx;
use crate::glue::kthread::ThreadCtx;
use crate::uring::lifecycle::iowq::{
    io_wq_create_worker_for, io_wq_free_work, io_wq_submit_work, FreeWorkLock,
};
use crate::uring::lifecycle::tw;
use crate::uring::model::req::{Req, ReqArc, ReqRef, TwAction};
use crate::uring::model::ring::{IoWorker, Ring, WorkerKey};
use kernel::prelude::*;

/// Makes the next request of a chain the work of worker `key`, to run it
/// next as io-wq does, unless ring exit has begun: then it goes to task
/// work, whose `io_queue_sqe()` fails it with `-ECANCELED` on a dying ring.
/// `dying` is read under the io-wq lock, which exit's cancel pass takes
/// after setting it: a request made a worker's work there is seen by that
/// pass, or this sees `dying`. The same acquisition gives `freed` to the
/// request cache, and may ask for a worker for the account's pending work,
/// which this one leaves to run the chain (`IoWqGuard::run_linked`).
/// Returns the request's own reference, for the worker to issue it with.
fn continue_chain<'id>(
    next: ReqRef<'id>,
    freed: Option<ArcSlot<Req>>,
    ring: Ring<'_, 'id>,
    cx: &mut TaskCtx,
    key: WorkerKey,
) -> Option<ReqRef<'id>> {
    let mut w = ring.lock_iowq(cx);
    if let Some(freed) = freed {
        w.req_cache_free(freed);
    }
    if !ring.is_dying() {
        let iowq_ref = next.pin().get_ref();
        let create = w.run_linked(iowq_ref, key);
        drop(w);
        if let Some(new) = create {
            // Outside the io-wq lock: creating takes `uring_lock`.
            io_wq_create_worker_for(ring, cx, new);
        }
        return Some(next);
    }
    drop(w);
    tw::queue(next, TwAction::Submit);
    None
}

/// `io_worker_handle_work()`: runs `req`, which worker `key` took off the
/// pending work, and the chain after it. Returns the memory of the last
/// request it freed, for the request cache, which the worker's next
/// acquisition of the io-wq lock fills.
///
/// The worker holds each request by its own reference, unparked from the
/// request, and io-wq's reference, its work; the memory of the last put of
/// the latter is what it recycles.
fn io_worker_handle_work<'id>(
    req: ReqArc<'id>,
    ring: Ring<'_, 'id>,
    tcx: &mut ThreadCtx,
    key: WorkerKey,
) -> Option<ArcSlot<Req>> {
    let mut work = match req.into_unparked() {
        Ok(own) => Some(own),
        Err(req) => {
            pr_err!(
                "BUG: io-wq work {:#x} without a reference\n",
                req.user_data()
            );
            return None;
        }
    };
    while let Some(own) = work.take() {
        let user_data = own.user_data();
        io_wq_submit_work(own, ring, tcx.task());
        let iowq_ref = ring.lock_iowq(tcx.task()).finish(key);
        let Some(iowq_ref) = iowq_ref else {
            tcx.clear_notify_signal();
            pr_err!("BUG: io-wq work {:#x} left its worker\n", user_data);
            return None;
        };
        // A cancel interrupts a worker only for running work it marks
        // first, under the io-wq lock `finish` took, which no cancel finds
        // from here on: unmarked, the worker was not interrupted for it.
        if iowq_ref.signalled() {
            tcx.clear_notify_signal();
        }
        let cx = tcx.task();
        let freed = io_wq_free_work(iowq_ref, FreeWorkLock::Unlocked(cx));
        // Freed outside the lock; the memory goes to the request cache
        // with the next acquisition.
        let slot = freed
            .freed
            .and_then(|last| ArcSlot::reclaim(last.into_arc()));
        match freed.next {
            Some(next) => work = continue_chain(next, slot, ring, cx, key),
            None => return slot,
        }
    }
    None
}

/// `io_wq_worker()`: the thread of io-wq worker `worker`.
pub(crate) fn io_wq_worker(worker: &IoWorker, tcx: &mut ThreadCtx) {
    let (acct, key) = (worker.acct(), worker.key());
    worker.open(|ring| {
        let task = tcx.current_task();
        ring.lock_iowq(tcx.task()).worker_started(key, task);
        let mut freed = None;
        loop {
            let next = {
                let mut w = ring.lock_iowq(tcx.task());
                if let Some(slot) = freed.take() {
                    w.req_cache_free(slot);
                }
                w.next_work(acct, key)
            };
            let Some((req, create)) = next else {
                return;
            };
            if let Some(new) = create {
                // Outside the io-wq lock: creating takes `uring_lock`.
                io_wq_create_worker_for(ring, tcx.task(), new);
            }
            freed = io_worker_handle_work(req, ring, tcx, key);
        }
    })
}
