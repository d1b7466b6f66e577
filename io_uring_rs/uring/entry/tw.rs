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
use crate::uring::model::req::{ReqArc, TwAction};
use crate::uring::model::ring::UringGuard;
use kernel::prelude::*;

/// `tctx_task_work()`: runs what is on `tctx`'s list, oldest first, and
/// returns how many requests' task work it ran. The task itself calls it
/// (its callback, `io_uring_enter()`'s wait), or the fallback worker.
///
/// As C's `handle_tw_list()`, one `uring_lock` is held across consecutive
/// requests of the same ring (a list is one ring's, so that is the whole
/// list), let go only when the scheduler wants the CPU back.
pub(crate) fn tctx_task_work(tctx: &IoUringTask, cx: &mut TaskCtx) -> usize {
    let mut ran = 0;
    let mut batch = tctx.take_all();
    let mut next = batch.next();
    while let Some(first) = next.take() {
        next = ReqArc::open(first, |ring, mut req| {
            let mut g = ring.lock_uring(cx);
            loop {
                run(req, &mut g);
                ran += 1;
                let more = batch.next()?;
                req = match ReqArc::adopt(ring, more) {
                    Ok(req) => req,
                    Err(other) => return Some(other),
                };
                if g.task().need_resched() {
                    return Some(req.into_arc());
                }
            }
        });
        cx.cond_resched();
    }
    ran
}

/// Runs `req`'s task work with `uring_lock` held: does what was queued,
/// with the reference that was parked for it.
fn run<'id>(req: ReqArc<'id>, g: &mut UringGuard<'_, 'id>) {
    let action = req.take_tw_action();
    let terminate = io_should_terminate_tw(&req, g);
    match action {
        TwAction::None => {}
        TwAction::LinkTimeout => timeout::io_req_task_link_timeout(req, terminate, g),
        TwAction::PollWake => poll::io_poll_task_func(req, terminate, g),
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
                TwAction::Submit => issue::io_req_task_submit(r, terminate, g),
                TwAction::Complete => complete::io_req_complete(r, g),
                _ => link::io_req_tw_fail_links(r, g),
            }
            // If that freed the request, its memory goes to the cache.
            g.io_req_cache_free(req);
        }
    }
}
