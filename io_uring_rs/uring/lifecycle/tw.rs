// SPDX-License-Identifier: GPL-2.0

//! Queueing task work: what C runs in the submitting task with `uring_lock`
//! held (`io_req_task_work_add()`); `entry/tw.rs` runs it.
//!
//! The module has no hook into a task's return to user space, so task work
//! runs the way C's fallback path runs it (`io_fallback_req_func()`): in a
//! kernel worker that takes `uring_lock`. The queue is ordered, so items run
//! one at a time and in the order they were queued, as a task's list does.
//! Both functions allocate nothing and may be called in any context.
//!
//! Once the submitting task has exited, C runs its task work in the
//! fallback worker, where `io_should_terminate_tw()` is true: issuing is
//! terminated (`-EFAULT`), a poll wake-up cancels, a linked timeout no
//! longer cancels its target. [`io_should_terminate_tw`] tells the task-work
//! handlers when that is the case here.

use crate::glue::wq;
use crate::uring::model::req::{Req, ReqRef, TwAction};
use crate::uring::model::ring::UringGuard;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `io_should_terminate_tw()`: whether task work for `req` runs after its
/// task exited (C: `PF_EXITING`, or `PF_KTHREAD` in the fallback worker
/// that runs a dead task's work) or while its ring exits
/// (`percpu_ref_is_dying(&ctx->refs)`).
pub(crate) fn io_should_terminate_tw(req: &Req, g: &mut UringGuard<'_, '_>) -> bool {
    g.ring().is_dying() || g.state().task_exited(req.task(), req.seq())
}

/// Queues `action` for `req`, with the reference the caller gives up: it is
/// parked in the request until the task work takes it back.
pub(crate) fn queue(req: ReqRef<'_>, action: TwAction) {
    enqueue(req.park().into_arc(), action);
}

/// Queues `action` for `req` with no reference (a poll wake-up, a linked
/// timeout's expiry: the task work finds the reference where it is kept).
pub(crate) fn queue_bare(req: Arc<Req>, action: TwAction) {
    enqueue(req, action);
}

fn enqueue(req: Arc<Req>, action: TwAction) {
    let prev = req.set_tw_action(action);
    if prev != TwAction::None {
        pr_err!(
            "BUG: task work {:?} queued on {:#x} over pending {:?}\n",
            action,
            req.user_data(),
            prev
        );
    }
    if wq::tw().enqueue::<Arc<Req>, 0>(req).is_err() {
        pr_err!("BUG: task work already queued\n");
    }
}
