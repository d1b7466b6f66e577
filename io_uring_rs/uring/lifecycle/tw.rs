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

use crate::uring::model::req::{task_work_add_bare, Req, ReqRef, TwAction};
use crate::uring::model::ring::UringGuard;
use kernel::sync::Arc;

pub(crate) use crate::uring::model::req::BareTw;

/// `io_should_terminate_tw()`: whether task work for `req` runs after its
/// task started exiting (C: `PF_EXITING`, or `PF_KTHREAD` in the fallback
/// worker that runs a dead task's work) or while its ring exits
/// (`percpu_ref_is_dying(&ctx->refs)`). The exit is seen from the thread's
/// `PF_EXITING` (from `do_exit()` on), and, where there is no thread to ask
/// (the host, a list run by the fallback worker only), from the exit the
/// device's `flush()` recorded.
pub(crate) fn io_should_terminate_tw(req: &Req, g: &mut UringGuard<'_, '_>) -> bool {
    g.ring().is_dying() || req.task_exiting() || g.state().task_exited(req.task(), req.seq())
}

/// Queues `action` for `req`, with the reference the caller gives up: it is
/// parked in the request until the task work takes it back.
pub(crate) fn queue(req: ReqRef<'_>, action: TwAction) {
    req.task_work_add(action);
}

/// Queues `action` for `req` with no reference.
pub(crate) fn queue_bare(req: Arc<Req>, action: BareTw) {
    task_work_add_bare(req, action);
}
