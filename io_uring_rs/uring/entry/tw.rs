// SPDX-License-Identifier: GPL-2.0

//! The task-work runner: runs a task's list of queued task work
//! (`tctx_task_work()`, or `io_fallback_req_func()` in the fallback worker),
//! each request's in task context with `uring_lock` held, terminated as C
//! terminates it once the request's task has exited or its ring exits
//! (`io_should_terminate_tw()`).

use crate::glue::context::TaskCtx;
use crate::glue::tctx::IoUringTask;
use crate::uring::lifecycle::tw::io_should_terminate_tw;
use crate::uring::lifecycle::{complete, issue, link, poll, timeout};
use crate::uring::model::req::{Req, ReqArc, TwAction};
use kernel::prelude::*;
use kernel::sync::Arc;

/// `tctx_task_work()`: runs what is on `tctx`'s list, oldest first, and
/// returns how many requests' task work it ran. The task itself calls it
/// (its callback, `io_uring_enter()`'s wait), or the fallback worker.
pub(crate) fn tctx_task_work(tctx: &IoUringTask, cx: &mut TaskCtx) -> usize {
    let mut ran = 0;
    for req in tctx.take_all() {
        run(req, cx);
        ran += 1;
        cx.cond_resched();
    }
    ran
}

/// Runs `req`'s task work: opens its ring, takes `uring_lock`, and does
/// what was queued, with the reference that was parked for it.
fn run(req: Arc<Req>, cx: &mut TaskCtx) {
    ReqArc::open(req, |ring, req| {
        let mut g = ring.lock_uring(cx);
        let action = req.take_tw_action();
        let terminate = io_should_terminate_tw(&req, &mut g);
        match action {
            TwAction::None => {}
            TwAction::LinkTimeout => timeout::io_req_task_link_timeout(req, terminate, &mut g),
            TwAction::PollWake => poll::io_poll_task_func(req, terminate, &mut g),
            TwAction::Submit | TwAction::Complete | TwAction::FailLinks => {
                let Some(r) = req.unpark() else {
                    pr_err!(
                        "BUG: task work {:?} on {:#x} without a reference\n",
                        action,
                        req.user_data()
                    );
                    return;
                };
                match action {
                    TwAction::Submit => issue::io_req_task_submit(r, terminate, &mut g),
                    TwAction::Complete => complete::io_req_complete(r, &mut g),
                    _ => link::io_req_tw_fail_links(r, &mut g),
                }
                // If that freed the request, its memory goes to the cache.
                g.io_req_cache_free(req);
            }
        }
    })
}
