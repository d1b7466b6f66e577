// SPDX-License-Identifier: GPL-2.0

//! Task work: what C runs in the submitting task with `uring_lock` held
//! (`io_req_task_work_add()` and the `io_task_work.func` callbacks).
//!
//! The module has no hook into a task's return to user space, so task work
//! runs the way C's fallback path runs it (`io_fallback_req_func()`): in a
//! kernel worker that takes `uring_lock`. The queue is ordered, so items run
//! one at a time and in the order they were queued, as a task's list does.

use super::context::TaskCtx;
use super::req::{Req, TwAction};
use super::{channel, complete, issue, link, timeout};
use crate::glue::wq;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Queues `action` for `req` on the task-work queue. Callable from any
/// context, hard IRQ included (it allocates nothing).
pub(crate) fn queue(req: Arc<Req>, action: TwAction) {
    let prev = req.set_tw_action(action);
    if prev != TwAction::None {
        pr_err!(
            "BUG: task work {:?} queued on {:#x} over pending {:?}\n",
            action,
            req.user_data,
            prev
        );
    }
    if wq::tw().enqueue::<Arc<Req>, 0>(req).is_err() {
        pr_err!("BUG: task work already queued\n");
    }
}

/// Runs `req`'s task work: takes `uring_lock` and does what was queued.
pub(crate) fn run(req: Arc<Req>) {
    let mut cx = TaskCtx::enter();
    let ring = req.ring.clone();
    let mut g = ring.lock_uring(&mut cx);
    match req.take_tw_action() {
        TwAction::Submit => issue::io_queue_sqe(req, &mut g),
        TwAction::Complete => complete::io_req_complete(req, &mut g),
        TwAction::FailLinks => link::io_req_tw_fail_links(req, &mut g),
        TwAction::LinkTimeout => timeout::io_req_task_link_timeout(req, &mut g),
        TwAction::PollWake => channel::io_poll_task_func(req, &mut g),
        TwAction::None => {}
    }
}
